// A run directory's bookkeeping, shared by teacher training and distillation.
//
// Crash safety: the training state is the commit point. Checkpoints are written
// policy first, then state, each atomically (temp file, fsync, rename, fsync of the
// directory), so after a kill at any moment the state is whole and never ahead of the
// policy; --resume continues from the state, drops the log lines written past it and
// rewrites them, and the temp files a kill left behind are removed. One process at a
// time holds a run directory (flock on the directory, released when the process dies).
#pragma once
#include "data/sequence.h"
#include "io/config.h"
#include "model/policy.h"

// The files every run directory holds.
typedef struct {
  char dir[1024];
  char state[1100], policy[1100], log[1100];  // train_state.safetensors, policy.safetensors, log.jsonl
  int lock_fd;                                // the directory, flock'd while the run owns it
  int created;                                // run_paths_make made the directory
} RunPaths;

// Creates the run directory (fresh runs), takes its lock, names its files and removes temp
// files a killed run left. A fresh run (resume 0) refuses a directory that holds a
// training state and starts an empty log; a resumed one needs the directory and state.
int run_paths_make(RunPaths *p, const char *dir, int resume);
// After a fresh run failed before its first checkpoint: removes the files it wrote and
// the directory if it made it, so nothing is left that looks like a run.
void run_paths_discard(RunPaths *p);
// Releases the lock.
void run_paths_release(RunPaths *p);

// "the checkpoint at step N in DIR is intact" (saved_step < 0: "no checkpoint was
// written"): how a stopped run's message says what it kept.
const char *run_kept_note(char *buf, int size, long saved_step, const char *dir);

// Sets OpenMP's and OpenBLAS's thread counts (0: all cores, divided among the data-parallel
// ranks on this computer: dist/dist.h); returns the count.
int run_set_threads(int threads);
// dir/name written atomically (temp file, fsync, rename).
int run_dir_write_text(const char *dir, const char *name, const char *text);
// Appends one line to the log file and syncs it (best effort: a full disk must not stop training).
void run_dir_log(const char *path, const char *line);
// Keeps the log's complete lines up to `step` (the state a resumed run continues from):
// lines a killed run wrote past its last checkpoint are dropped, as is a torn last line,
// so the resumed run's lines follow without duplicate or missing steps. Atomic. *elapsed
// (may be NULL): the last kept line's elapsed_s (0 if none), where the resumed run's clock
// continues, so elapsed_s is the run's own time across resumes (the time lost after the
// last checkpoint is not counted).
int run_log_rewind(const char *path, long step, double *elapsed);
// A fresh run's config (the file with key=value overrides applied), or a resumed run's
// own config from its training state (overrides refused: the run continues as it
// began). Every key must be in `known`.
Config *run_load_config(const char *config_path, int n_overrides, char **overrides, const char *const *known,
                        const char *state_path, int resume);
// The demonstration windows the run config's "task" section names, shaped for the policy.
SeqDataset *run_open_task_dataset(const Config *cfg, const Policy *policy);
// The "task" section's keys (task.name: env/env.h env_for_config), NULL-terminated.
extern const char *const run_task_keys[];
