// Learning-rate schedules as diffusers' get_*_schedule (torch LambdaLR), stepped once
// per batch: the optimisation step with 0-based index `step` uses lr_at(s, step).
// Diffusion Policy builds its cosine schedule with num_training_steps =
// batches_per_epoch * epochs and 500 warm-up steps.
#pragma once

typedef enum {
  LR_CONSTANT = 0,         // base_lr at every step
  LR_CONSTANT_WARMUP = 1,  // linear 0 -> base_lr over warmup_steps, then constant
  LR_COSINE = 2,           // linear warm-up, then half a cosine down to 0 at total_steps
} LrScheduleKind;

typedef struct {
  LrScheduleKind kind;
  double base_lr;
  long warmup_steps;
  long total_steps;   // cosine only: num_training_steps
  double num_cycles;  // cosine only: 0.5 = a single half-cosine (diffusers' default)
} LrSchedule;

LrSchedule lr_schedule_cosine(double base_lr, long warmup_steps, long total_steps);
LrSchedule lr_schedule_constant(double base_lr);

// Multiplier of base_lr (LambdaLR's lambda) and the lr itself at 0-based step `step`.
double lr_factor(const LrSchedule *s, long step);
double lr_at(const LrSchedule *s, long step);
