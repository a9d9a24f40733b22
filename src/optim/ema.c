#include "optim/ema.h"

#include <math.h>

EmaConfig ema_config_dp(void) {
  EmaConfig c = {.update_after_step = 0, .inv_gamma = 1.0, .power = 0.75, .min_value = 0.0,
                 .max_value = 0.9999};
  return c;
}

double ema_decay(const EmaConfig *cfg, long n) {
  long s = n - cfg->update_after_step - 1;
  if (s <= 0) return 0.0;
  double value = 1.0 - pow(1.0 + (double)s / cfg->inv_gamma, -cfg->power);
  return fmax(cfg->min_value, fmin(value, cfg->max_value));
}

void ema_update(float *ema, const float *params, long n, double decay) {
  const float d = (float)decay, one_minus_d = (float)(1.0 - decay);
#pragma omp parallel for simd schedule(static) if (n > 32768)
  for (long i = 0; i < n; i++) ema[i] = ema[i] * d + one_minus_d * params[i];
}
