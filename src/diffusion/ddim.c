#include "diffusion/ddim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

const char *ddim_spacing_name(DdimSpacing spacing) {
  return spacing == DDIM_SPACING_TRAILING ? "trailing" : "leading";
}

int ddim_spacing_parse(DdimSpacing *out, const char *name) {
  if (strcmp(name, "leading") == 0) *out = DDIM_SPACING_LEADING;
  else if (strcmp(name, "trailing") == 0) *out = DDIM_SPACING_TRAILING;
  else return odp_fail("ddim spacing '%s' (expected leading or trailing)", name);
  return ODP_OK;
}

int ddim_timesteps(int *ts, int num_steps, const NoiseSchedule *s, DdimSpacing spacing) {
  int nt = s->num_train_steps;
  if (num_steps < 1 || num_steps > nt)
    return odp_fail("ddim: %d sampling steps (must be 1..%d)", num_steps, nt);
  if (spacing == DDIM_SPACING_LEADING) {
    for (int i = 0; i < num_steps; i++) ts[i] = (num_steps - 1 - i) * (nt / num_steps);
  } else {
    // numpy: arange(nt, 0, -ratio) is nt - i*ratio; round() is half-to-even, as rint.
    double ratio = (double)nt / num_steps;
    for (int i = 0; i < num_steps; i++) ts[i] = (int)rint((double)nt - i * ratio) - 1;
  }
  return num_steps;
}

// Scalars in float in diffusers' order; with η = 0 the direction coefficient is
// √(1 − ᾱ' − 0).
void ddim_step(float *x, const float *eps_hat, long n, const NoiseSchedule *s, int t, int t_prev) {
  const float abar = schedule_abar(s, t), abar_prev = schedule_abar(s, t_prev);
  const float sa = sqrtf(abar), sb = sqrtf(1.0f - abar);
  const float sa_prev = sqrtf(abar_prev), sdir = sqrtf(1.0f - abar_prev);
  for (long i = 0; i < n; i++) {
    float x0 = (x[i] - sb * eps_hat[i]) / sa;
    if (s->clip_sample) x0 = x0 < -1.0f ? -1.0f : x0 > 1.0f ? 1.0f : x0;
    x[i] = sa_prev * x0 + sdir * eps_hat[i];
  }
}

int ddim_sample_ws(float *x, int B, long per, const NoiseSchedule *s, int num_steps, DdimSpacing spacing,
                   DenoiseFn fn, void *ctx, const DiffusionWork *w) {
  int ts[DIFFUSION_MAX_TRAIN_STEPS];
  if (ddim_timesteps(ts, num_steps, s, spacing) < 0) return ODP_ERR;
  long n = (long)B * per;
  float *eps = w->eps, *tb = w->tb;
  int rc = ODP_OK;
  for (int k = 0; k < num_steps && rc == ODP_OK; k++) {
    int t = ts[k];
    rc = diffusion_denoise_at(fn, ctx, x, B, t, tb, eps, "ddim");
    if (rc != ODP_OK) break;
    ddim_step(x, eps, n, s, t, schedule_prev_timestep(s, t, num_steps));
  }
  return rc;
}

int ddim_sample(float *x, int B, long per, const NoiseSchedule *s, int num_steps,
                DdimSpacing spacing, DenoiseFn fn, void *ctx) {
  DiffusionWork w = {odp_malloc((unsigned long)B * per * sizeof(float), "ddim predicted noise"), NULL,
                     odp_malloc((unsigned long)B * sizeof(float), "ddim timesteps"), NULL, NULL, 0};
  int rc = w.eps && w.tb ? ddim_sample_ws(x, B, per, s, num_steps, spacing, fn, ctx, &w) : ODP_ERR;
  free(w.eps), free(w.tb);
  return rc;
}
