#include "diffusion/ddpm.h"

#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/rng.h"

// Scalars in float in diffusers' order (its coefficients are float32 0-d tensors).
void ddpm_step(float *x, const float *eps_hat, const float *z, long n, const NoiseSchedule *s,
               int t, int t_prev) {
  const float abar = schedule_abar(s, t), abar_prev = schedule_abar(s, t_prev);
  const float beta_prod = 1.0f - abar, beta_prod_prev = 1.0f - abar_prev;
  const float alpha = abar / abar_prev, beta = 1.0f - alpha;
  const float c_x0 = sqrtf(abar_prev) * beta / beta_prod;
  const float c_x = sqrtf(alpha) * beta_prod_prev / beta_prod;
  const float sa = sqrtf(abar), sb = sqrtf(beta_prod);
  float std = 0.0f;
  if (t > 0) {
    float var = beta_prod_prev / beta_prod * beta;
    std = sqrtf(var < 1e-20f ? 1e-20f : var);
  }
  for (long i = 0; i < n; i++) {
    float x0 = (x[i] - sb * eps_hat[i]) / sa;
    if (s->clip_sample) x0 = x0 < -1.0f ? -1.0f : x0 > 1.0f ? 1.0f : x0;
    float prev = c_x0 * x0 + c_x * x[i];
    x[i] = t > 0 ? prev + std * z[i] : prev;
  }
}

int ddpm_timesteps(int *ts, int num_steps, const NoiseSchedule *s) {
  if (num_steps < 1 || num_steps > s->num_train_steps)
    return odp_fail("ddpm: %d sampling steps (must be 1..%d)", num_steps, s->num_train_steps);
  int ratio = s->num_train_steps / num_steps;
  for (int i = 0; i < num_steps; i++) ts[i] = (num_steps - 1 - i) * ratio;
  return num_steps;
}

int ddpm_sample_ws(float *x, int B, long per, const NoiseSchedule *s, int num_steps, DenoiseFn fn,
                   void *ctx, uint64_t seed, const DiffusionWork *w) {
  int ts[DIFFUSION_MAX_TRAIN_STEPS];
  if (ddpm_timesteps(ts, num_steps, s) < 0) return ODP_ERR;
  long n = (long)B * per;
  float *eps = w->eps, *z = w->z, *tb = w->tb;
  int rc = ODP_OK;
  for (int k = 0; k < num_steps && rc == ODP_OK; k++) {
    int t = ts[k];
    rc = diffusion_denoise_at(fn, ctx, x, B, t, tb, eps, "ddpm");
    if (rc != ODP_OK) break;
    if (t > 0) diffusion_noise(z, B, per, seed, ODP_STREAM(t, DIFFUSION_PURPOSE_DDPM), w);
    ddpm_step(x, eps, z, n, s, t, schedule_prev_timestep(s, t, num_steps));
  }
  return rc;
}

int ddpm_sample(float *x, int B, long per, const NoiseSchedule *s, int num_steps, DenoiseFn fn,
                void *ctx, uint64_t seed) {
  long n = (long)B * per;
  DiffusionWork w = {odp_malloc((unsigned long)n * sizeof(float), "ddpm predicted noise"),
                     odp_malloc((unsigned long)n * sizeof(float), "ddpm variance noise"),
                     odp_malloc((unsigned long)B * sizeof(float), "ddpm timesteps"), NULL, NULL, 0};
  int rc = w.eps && w.z && w.tb ? ddpm_sample_ws(x, B, per, s, num_steps, fn, ctx, seed, &w) : ODP_ERR;
  free(w.eps), free(w.z), free(w.tb);
  return rc;
}
