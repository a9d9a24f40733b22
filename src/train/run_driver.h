// One driver for every training run (teacher training, OneDP distillation, and the
// trainers to come): it owns the run directory and its lock, the config (keys checked
// against those the trainer's modules declare), fresh start or --resume, atomic
// checkpoints (policy, then the training state: run_dir.h), log.jsonl (rewound on
// resume), progress on stderr, the NaN guard and --until. A trainer supplies the rest
// through a RunTrainer: its options, its models and data, one step, its log fields and
// the buffers and policy file a checkpoint holds.
#pragma once
#include "io/config.h"
#include "train/run_state.h"

#define RUN_MAX_BUFFERS 12

// What the trainer's options say about the run's budget and bookkeeping.
typedef struct {
  long steps;            // the run's length
  int threads;           // 0: all cores
  int log_every, checkpoint_every;
  int log_at_until;      // also log the step --until stops at (distillation's habit)
  const char *progress;  // the progress bar's label
  int keep_checkpoints;  // also keep each checkpoint's policy as policy_step<N>.safetensors (budget curves)
} RunBudget;

// One step's outcome.
typedef struct {
  double loss;      // the NaN guard: a NaN or infinite value stops the run (0 when nothing is guarded)
  char status[96];  // the progress bar's text
} RunStepOut;

typedef struct {
  const char *name;                 // "train": in the narrow-kernels note
  const char *config_file;          // the effective config in the run directory ("config.json")
  const char *const *const *keys;   // the config keys of each module it reads, NULL-terminated lists
  const char *noun;                 // "training": "step N: loss is nan: training diverged, ..."
  const char *unsaved;              // "training diverged, stopped without saving": a non-finite checkpoint
  // Options from the run config (a fresh run's file with overrides, or a resumed run's own).
  int (*read_options)(void *self, const Config *cfg, RunBudget *budget);
  // Models, data and buffers; a fresh run (resume 0) also initialises its parameters.
  int (*setup)(void *self, const Config *cfg, int resume);
  // After a resume loaded the state buffers (e.g. unpacks what they hold); may be NULL.
  void (*resumed)(void *self);
  // The buffers train_state.safetensors holds, into b[RUN_MAX_BUFFERS]; returns how many.
  int (*buffers)(void *self, StateBuffer *b);
  // Writes the checkpoint's policy file (atomically) for `step`.
  int (*save_policy)(void *self, const char *path, long step);
  // Step `step` (0-based): the trainer accumulates what its log lines report.
  int (*step)(void *self, long step, RunStepOut *out);
  // The log line's fields after "step" for step `done` (means since its last line,
  // which it then resets); elapsed_s: seconds since this process's first step.
  int (*log_fields)(void *self, long done, double elapsed_s, char *buf, int size);
  // The line on stderr once set up: what runs, steps start..stop; may be NULL.
  void (*banner)(void *self, long start, long stop, int threads);
  // After a run that ended well (e.g. a cost summary); may be NULL.
  void (*finished)(void *self, long stop);
  void (*free)(void *self);  // called after every run_drive, set up or not; may be NULL
} RunTrainer;

// config_path, overrides: a fresh run's config (resume: NULL, none: the run's own config).
// until > 0 stops (with a checkpoint) once that many steps are done. A fresh run that
// fails leaves no run directory. Returns 0 on success.
int run_drive(const RunTrainer *t, void *self, const char *config_path, int n_overrides, char **overrides,
              const char *rundir, int resume, long until);
