// A run directory's bookkeeping, shared by teacher training and distillation.
#pragma once
#include "data/sequence.h"
#include "io/config.h"
#include "model/policy.h"

// Creates dir if needed; fails if it exists as something else.
int run_dir_make(const char *dir);

// The files every run directory holds.
typedef struct {
  char state[1100], policy[1100], log[1100];  // train_state.safetensors, policy.safetensors, log.jsonl
} RunPaths;

// Creates the run directory and names its files.
int run_paths_make(RunPaths *p, const char *dir);

// Sets OpenMP's and OpenBLAS's thread counts (0: all cores); returns the count.
int run_set_threads(int threads);
// dir/name written atomically (temp file + rename).
int run_dir_write_text(const char *dir, const char *name, const char *text);
// Appends one line to the log file (best effort: a full disk must not stop training).
void run_dir_log(const char *path, const char *line);
// A fresh run's config (the file with key=value overrides applied), or a resumed run's
// own config from its training state (overrides refused: the run continues as it began).
Config *run_load_config(const char *config_path, int n_overrides, char **overrides, const char *state_path,
                        int resume);
// The demonstration windows the run config's "task" section names, shaped for the policy.
SeqDataset *run_open_task_dataset(const Config *cfg, const PolicyShape *shape);
