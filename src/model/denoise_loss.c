#include "model/denoise_loss.h"

#include <stdlib.h>

#include "core/rng.h"

enum { LOSS_TIMESTEP = 0x20, LOSS_NOISE = 0x21 };

double denoise_loss_step(const Unet *u, const float *params, float *grads, float *dcond, UnetActs *a,
                         const Diffusion *df, const float *x0, const float *cond, uint64_t seed, long step,
                         BatchShare share, float *work) {
  const int B = a->B;
  const long per = (long)a->T * u->cfg.input_dim, n = B * per, n_total = share.total * per;
  float *eps = work, *xt = work + n, *pred = work + 2 * n;
  float *level = malloc((size_t)B * sizeof *level), *t = malloc((size_t)B * sizeof *t);
  Rng tr = rng_make(seed, ODP_STREAM(step, LOSS_TIMESTEP));
  const float top = diffusion_max_level(df);
  for (int b = 0; b < B; b++) {  // row b draws at its place in the whole batch
    level[b] = diffusion_level_in(df, rng_u32(tr, (uint64_t)(share.first + b)), 0, top);
    t[b] = diffusion_net_time(df, level[b]);
  }
  rng_fill_normal(rng_make(seed, ODP_STREAM(step, LOSS_NOISE)), (uint64_t)(share.first * per), eps, n);
  for (int b = 0; b < B; b++) diffusion_diffuse(df, xt + b * per, x0 + b * per, eps + b * per, per, level[b]);
  unet_forward(u, params, a, pred, xt, t, cond);
  double loss = 0;
  for (int b = 0; b < B; b++) {
    float *e = eps + b * per;  // the target may overwrite eps
    const float *y = diffusion_train_target(df, e, x0 + b * per, xt + b * per, e, per, level[b]);
    for (long i = 0; i < per; i++) {
      float d = pred[b * per + i] - y[i];
      loss += (double)d * d;
      pred[b * per + i] = 2.0f * d / (float)n_total;  // d loss / d pred, reusing the buffer
    }
  }
  if (grads) unet_backward(u, params, a, grads, pred, NULL, dcond);
  free(level), free(t);
  return loss / (double)n_total;
}
