// The "train" section of a run config: optimiser, schedule, budget and bookkeeping.
// Shared by teacher training and distillation (which adds its own keys).
#pragma once
#include <stdint.h>

#include "io/config.h"
#include "optim/adamw.h"
#include "optim/lr_schedule.h"

typedef struct {
  long steps;
  int batch;
  AdamWConfig adam;
  LrSchedule schedule;
  int ema;
  uint64_t seed;
  int threads;  // 0: all cores
  int log_every, val_every, checkpoint_every;
  int keep_checkpoints;  // each checkpoint's policy also as policy_step<N>.safetensors (training curves)
} TrainOptions;

int train_options_read(TrainOptions *o, const Config *c);
// The keys of the "train" section it reads, NULL-terminated.
extern const char *const train_option_keys[];
