#include "model/denoise_loss.h"

#include <stdlib.h>

#include "core/rng.h"

enum { LOSS_TIMESTEP = 0x20, LOSS_NOISE = 0x21 };

double denoise_loss_step(const Unet *u, const float *params, float *grads, UnetActs *a, const NoiseSchedule *s,
                         const float *x0, const float *cond, uint64_t seed, long step, float *work) {
  const int B = a->B;
  const long per = (long)a->T * u->cfg.input_dim, n = B * per;
  float *eps = work, *xt = work + n, *pred = work + 2 * n;
  int *k = malloc((size_t)B * sizeof *k);
  float *kf = malloc((size_t)B * sizeof *kf);
  Rng tr = rng_make(seed, ODP_STREAM(step, LOSS_TIMESTEP));
  for (int b = 0; b < B; b++) k[b] = (int)(rng_u32(tr, (uint64_t)b) % (uint32_t)s->num_train_steps), kf[b] = (float)k[b];
  rng_fill_normal(rng_make(seed, ODP_STREAM(step, LOSS_NOISE)), 0, eps, n);
  diffusion_add_noise(xt, x0, eps, k, B, per, s);
  unet_forward(u, params, a, pred, xt, kf, cond);
  double loss = 0;
  for (long i = 0; i < n; i++) {
    float d = pred[i] - eps[i];
    loss += (double)d * d;
    pred[i] = 2.0f * d / (float)n;  // d loss / d pred, reusing the buffer
  }
  if (grads) unet_backward(u, params, a, grads, pred, NULL, NULL);
  free(k), free(kf);
  return loss / (double)n;
}
