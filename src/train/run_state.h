// Everything a training run needs to continue exactly where it stopped: named flat
// buffers (parameters, EMA, Adam moments...), the step count and the run config, in one
// safetensors file written atomically, so a crash leaves the previous state intact.
#pragma once

typedef struct {
  const char *name;
  float *data;
  long n;
} StateBuffer;

// Fails (naming the buffer and element) when any value is NaN or infinite: a diverged
// run must never overwrite its last good state.
int run_state_check_finite(const StateBuffer *bufs, int count);

// Refuses non-finite buffers (run_state_check_finite); nothing is written on error.
int run_state_save(const char *path, long step, const char *config_json, const StateBuffer *bufs, int count);

// Reads step and a malloc'd copy of the config (either may be NULL) without the buffers.
int run_state_peek(const char *path, long *step, char **config_json);

// Fills every buffer (sizes must match the file's, values must be finite); on error the
// buffers' contents are unspecified.
int run_state_load(const char *path, const StateBuffer *bufs, int count);
