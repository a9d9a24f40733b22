#include "diffusion/schedule.h"

#include <math.h>
#include <stddef.h>

#include "core/error.h"
#include "core/rng.h"

static double alpha_bar_cos(double t) {
  double c = cos((t + 0.008) / 1.008 * M_PI / 2.0);
  return c * c;
}

int noise_schedule_squaredcos(NoiseSchedule *s, int num_train_steps) {
  if (num_train_steps < 1 || num_train_steps > DIFFUSION_MAX_TRAIN_STEPS)
    return odp_fail("noise schedule: %d training steps (must be 1..%d)", num_train_steps,
                    DIFFUSION_MAX_TRAIN_STEPS);
  s->num_train_steps = num_train_steps;
  s->clip_sample = 1;
  // torch.cumprod on CPU accumulates float32 in double and rounds each prefix to float.
  double cum = 1.0;
  for (int i = 0; i < num_train_steps; i++) {
    double t1 = (double)i / num_train_steps, t2 = (double)(i + 1) / num_train_steps;
    double beta = fmin(1.0 - alpha_bar_cos(t2) / alpha_bar_cos(t1), 0.999);
    s->betas[i] = (float)beta;
    s->alphas[i] = 1.0f - s->betas[i];
    cum *= (double)s->alphas[i];
    s->alphas_cumprod[i] = (float)cum;
  }
  return ODP_OK;
}

float schedule_abar(const NoiseSchedule *s, int t) { return t < 0 ? 1.0f : s->alphas_cumprod[t]; }

int schedule_prev_timestep(const NoiseSchedule *s, int t, int num_steps) {
  return t - s->num_train_steps / num_steps;
}

void diffusion_pred_x0(float *x0, const float *x, const float *eps_hat, long n, float abar, int clip) {
  float sa = sqrtf(abar), sb = sqrtf(1.0f - abar);
  for (long i = 0; i < n; i++) {
    float v = (x[i] - sb * eps_hat[i]) / sa;
    if (clip) v = v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;  // NaN passes, as torch.clamp
    x0[i] = v;
  }
}

int diffusion_denoise_at(DenoiseFn fn, void *ctx, const float *x, int B, int t, float *tb, float *out,
                         const char *sampler) {
  for (int b = 0; b < B; b++) tb[b] = (float)t;
  if (fn(ctx, x, tb, B, out) == ODP_OK) return ODP_OK;
  return odp_fail_context("%s step at t=%d", sampler, t);
}

void diffusion_initial_noise(float *x, long n, uint64_t seed) {
  diffusion_noise(x, 1, n, seed, ODP_STREAM(0, DIFFUSION_PURPOSE_INIT), NULL);
}

void diffusion_noise(float *x, int B, long per, uint64_t seed, uint64_t stream, const DiffusionWork *w) {
  if (!w || !w->row_seeds) {
    rng_fill_normal(rng_make(seed, stream), w ? (uint64_t)(w->first_row * per) : 0, x, (long)B * per);
    return;
  }
  for (int b = 0; b < B; b++) rng_fill_normal(rng_make(w->row_seeds[b], stream), 0, x + (long)b * per, per);
}
