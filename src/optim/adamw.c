#include "optim/adamw.h"

#include <math.h>

AdamWConfig adamw_config_dp(void) {
  AdamWConfig c = {.lr = 1e-4, .beta1 = 0.95, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 1e-6};
  return c;
}

// Scalars are computed in double and rounded to float once, as PyTorch does with
// Python-float hyper-parameters; the per-element arithmetic is float in the same
// order as torch's kernels (mul_, add_, addcmul_, sqrt, div, add_, addcdiv_).
void adamw_update(float *p, float *m, float *v, const float *g, long n, const AdamWConfig *cfg,
                  double lr, long step) {
  const float decay = (float)(1.0 - lr * cfg->weight_decay);
  const float b1 = (float)cfg->beta1, one_minus_b1 = (float)(1.0 - cfg->beta1);
  const float b2 = (float)cfg->beta2, one_minus_b2 = (float)(1.0 - cfg->beta2);
  const double bc1 = 1.0 - pow(cfg->beta1, (double)step);  // 1 when beta1 = 0
  const double bc2 = 1.0 - pow(cfg->beta2, (double)step);
  const float neg_step_size = (float)(-(lr / bc1));
  const float bc2_sqrt = (float)sqrt(bc2);
  const float eps = (float)cfg->eps;
#pragma omp parallel for simd schedule(static) if (n > 32768)
  for (long i = 0; i < n; i++) {
    float pi = p[i] * decay;
    float mi = m[i] * b1 + one_minus_b1 * g[i];
    float vi = v[i] * b2 + one_minus_b2 * g[i] * g[i];
    float denom = sqrtf(vi) / bc2_sqrt + eps;
    p[i] = pi + neg_step_size * (mi / denom);
    m[i] = mi;
    v[i] = vi;
  }
}

void adamw_step(AdamW *opt, float *p, float *m, float *v, const float *g, long n, double lr) {
  opt->step++;
  adamw_update(p, m, v, g, n, &opt->cfg, lr, opt->step);
}
