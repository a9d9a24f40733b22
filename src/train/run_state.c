#include "train/run_state.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/safetensors.h"

int run_state_check_finite(const StateBuffer *bufs, int count) {
  for (int i = 0; i < count; i++)
    for (long j = 0; j < bufs[i].n; j++)
      if (!isfinite(bufs[i].data[j]))
        return odp_fail("tensor '%s' element %ld is %s", bufs[i].name, j, isnan(bufs[i].data[j]) ? "NaN" : "infinite");
  return ODP_OK;
}

int run_state_save(const char *path, long step, const char *config_json, const StateBuffer *bufs, int count) {
  if (run_state_check_finite(bufs, count)) return odp_fail_context("%s: not written", path);
  SafetensorsWriter *w = safetensors_writer_new(path, ST_F32);
  if (!w) return ODP_ERR;
  char step_text[32];
  snprintf(step_text, sizeof step_text, "%ld", step);
  int err = safetensors_writer_set_metadata(w, "step", step_text) ||
            safetensors_writer_set_metadata(w, "config", config_json);
  for (int i = 0; i < count && !err; i++) {
    if (bufs[i].n > 0x7fffffffL) err = odp_fail("%s: buffer %s too large", path, bufs[i].name);
    else {
      int shape = (int)bufs[i].n;
      err = safetensors_writer_add(w, bufs[i].name, 1, &shape, bufs[i].data);
    }
  }
  if (err) {
    safetensors_writer_abort(w);
    return ODP_ERR;
  }
  return safetensors_writer_finish(w);
}

int run_state_peek(const char *path, long *step, char **config_json) {
  Safetensors *st = safetensors_open(path);
  if (!st) return ODP_ERR;
  const char *s = safetensors_metadata(st, "step"), *c = safetensors_metadata(st, "config");
  char *end = NULL;
  errno = 0;
  long v = s ? strtol(s, &end, 10) : -1;
  if (!s || end == s || *end || errno || v < 0 || !c) {
    safetensors_close(st);
    return odp_fail("%s: not a onedp training state (missing or bad 'step'/'config' metadata)", path);
  }
  if (step) *step = v;
  if (config_json) *config_json = strdup(c);
  safetensors_close(st);
  return ODP_OK;
}

int run_state_load(const char *path, const StateBuffer *bufs, int count) {
  Safetensors *st = safetensors_open(path);
  if (!st) return ODP_ERR;
  int err = ODP_OK;
  for (int i = 0; i < count && !err; i++) {
    int idx = safetensors_find(st, bufs[i].name);
    if (idx < 0) err = odp_fail("%s: tensor '%s' missing", path, bufs[i].name);
    else if (safetensors_numel(st, idx) != bufs[i].n)
      err = odp_fail("%s: tensor '%s' has %ld values, the run needs %ld", path, bufs[i].name,
                     safetensors_numel(st, idx), bufs[i].n);
  }
  // Sizes all checked: now read (a read error here can only be I/O or corrupt data).
  for (int i = 0; i < count && !err; i++) err = safetensors_read_f32(st, bufs[i].name, bufs[i].data, bufs[i].n);
  safetensors_close(st);
  if (!err && run_state_check_finite(bufs, count)) err = odp_fail_context("%s", path);
  return err;
}
