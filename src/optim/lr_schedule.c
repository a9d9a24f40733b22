#include "optim/lr_schedule.h"

#include <math.h>

LrSchedule lr_schedule_cosine(double base_lr, long warmup_steps, long total_steps) {
  LrSchedule s = {LR_COSINE, base_lr, warmup_steps, total_steps, 0.5};
  return s;
}

LrSchedule lr_schedule_constant(double base_lr) {
  LrSchedule s = {LR_CONSTANT, base_lr, 0, 0, 0.5};
  return s;
}

static long max1(long a) { return a > 1 ? a : 1; }

double lr_factor(const LrSchedule *s, long step) {
  if (s->kind == LR_CONSTANT) return 1.0;
  if (step < s->warmup_steps) return (double)step / (double)max1(s->warmup_steps);
  if (s->kind == LR_CONSTANT_WARMUP) return 1.0;
  // Past total_steps the cosine rises again, exactly as diffusers' formula does.
  double progress = (double)(step - s->warmup_steps) / (double)max1(s->total_steps - s->warmup_steps);
  return fmax(0.0, 0.5 * (1.0 + cos(M_PI * s->num_cycles * 2.0 * progress)));
}

double lr_at(const LrSchedule *s, long step) { return s->base_lr * lr_factor(s, step); }
