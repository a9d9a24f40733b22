#include "diffusion/consistency.h"

#include "core/error.h"
#include "core/rng.h"

CmMap cm_map(const EdmSettings *set, double t, double s) {
  const EdmScaling ct = edm_scaling(set, t), cs = edm_scaling(set, s);
  const double r = s / t;
  return (CmMap){(float)(r + (1 - r) * ct.skip), (float)((1 - r) * ct.out), ct.in, ct.noise, cs.noise};
}

void cm_chain_times(const EdmSettings *set, int N, double *sigmas) {
  double grid[DIFFUSION_MAX_TRAIN_STEPS + 2];
  edm_karras_sigmas(set, N + 1, grid);  // grid[0] = sigma_max ... grid[N] = sigma_min
  for (int j = 0; j < N; j++) sigmas[j] = grid[j];
}

int cm_sample_ws(float *x, int B, long per, const EdmSettings *set, int N, DenoiseFn fn, void *ctx, uint64_t seed,
                 const DiffusionWork *w) {
  double times[DIFFUSION_MAX_TRAIN_STEPS];
  if (N < 1 || N >= DIFFUSION_MAX_TRAIN_STEPS)
    return odp_fail("cp: %d calls (must be 1..%d)", N, DIFFUSION_MAX_TRAIN_STEPS - 1);
  cm_chain_times(set, N, times);
  const long n = (long)B * per;
  for (long i = 0; i < n; i++) x[i] *= (float)times[0];
  for (int j = 0; j < N; j++) {
    if (j > 0) {  // re-noise the last x0 to t_j
      diffusion_noise(w->z, B, per, seed, ODP_STREAM(j, DIFFUSION_PURPOSE_CM), w);
      for (long i = 0; i < n; i++) x[i] += (float)times[j] * w->z[i];
    }
    const CmMap m = cm_map(set, times[j], set->sigma_min);
    for (long i = 0; i < n; i++) w->z[i] = m.in * x[i];
    for (int b = 0; b < B; b++) w->tb[2 * b] = m.time_t, w->tb[2 * b + 1] = m.time_s;
    if (fn(ctx, w->z, w->tb, B, w->eps)) return odp_fail_context("cp call %d at sigma=%g", j + 1, times[j]);
    for (long i = 0; i < n; i++) {
      float v = m.a * x[i] + m.b * w->eps[i];
      x[i] = v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;  // NaN passes, as torch.clamp
    }
  }
  return ODP_OK;
}
