// EDM (diffusion/edm.h) as a DiffusionOps. The interface's x_k is the network's input
// c_in(sigma) (x0 + sigma eps), so a level's process reads x_k = signal x0 + c_in sigma eps
// with signal = c_in, and the network output `out` is EDM's F:
//   x0 = D = c_skip y + c_out F,  y = x_k / c_in.
// Training regresses F on its effective target (x0 - c_skip y) / c_out, unweighted: EDM's
// loss with lambda(sigma) = 1 / c_out^2 (Karras et al. 2022, eq. 8).
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "diffusion/diffusion.h"

static double sigma_at(const Diffusion *d, float level) { return d->edm.sigma[(int)level]; }
static EdmScaling scaling_at(const Diffusion *d, float level) { return edm_scaling(&d->edm.set, sigma_at(d, level)); }

static float level_in(const Diffusion *d, uint32_t bits, float lo, float hi) {
  (void)d;
  return diffusion_level_uniform(bits, lo, hi);
}

static float max_level(const Diffusion *d) { return (float)(d->edm.num_levels - 1); }

static float signal(const Diffusion *d, float level) { return scaling_at(d, level).in; }

static void diffuse(const Diffusion *d, float *xk, const float *x0, const float *eps, long n, float level) {
  const float in = scaling_at(d, level).in, sigma = (float)sigma_at(d, level);
  for (long i = 0; i < n; i++) xk[i] = in * (x0[i] + sigma * eps[i]);
}

static float net_time(const Diffusion *d, float level) { return scaling_at(d, level).noise; }

static void pred_x0(const Diffusion *d, float *x0, const float *xk, const float *out, long n, float level, int clip) {
  const EdmScaling c = scaling_at(d, level);
  const float skip = c.skip / c.in;  // c_skip y = c_skip x_k / c_in
  for (long i = 0; i < n; i++) {
    float v = skip * xk[i] + c.out * out[i];
    if (clip) v = v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
    x0[i] = v;
  }
}

static void out_from_x0(const Diffusion *d, float *out, const float *xk, const float *x0, long n, float level) {
  const EdmScaling c = scaling_at(d, level);
  const float skip = c.skip / c.in;
  for (long i = 0; i < n; i++) out[i] = (x0[i] - skip * xk[i]) / c.out;
}

static float x0_out_grad(const Diffusion *d, float level) { return scaling_at(d, level).out; }

// The reverse-KL weight w = sigma^2 on EDM's own chain y = x0 + sigma n (score
// s = (D - y) / sigma^2), so w (s_a - s_b) = D_a - D_b = c_out (F_a - F_b) in y; in the
// interface's x_k = c_in y that is f = -c_out / c_in = -sigma sigma_data.
static float score_diff_weight(const Diffusion *d, float level) {
  return (float)(-sigma_at(d, level) * d->edm.set.sigma_data);
}

// F's target (x0 - c_skip y) / c_out with y = x0 + sigma eps, written over target (which
// may alias eps: each element reads eps before writing).
static const float *train_target(const Diffusion *d, float *target, const float *x0, const float *xk,
                                 const float *eps, long n, float level) {
  (void)xk;
  const EdmScaling c = scaling_at(d, level);
  const float sigma = (float)sigma_at(d, level);
  for (long i = 0; i < n; i++) target[i] = (x0[i] - c.skip * (x0[i] + sigma * eps[i])) / c.out;
  return target;
}

static int check_sampler(const Diffusion *d, const SamplerSpec *s) {
  (void)d;
  char name[64];
  if (s->kind != SAMPLER_EDM_HEUN && s->kind != SAMPLER_EDM_EULER)
    return odp_fail("--sampler %s: not a sampler of an EDM policy (policy.diffusion edm: edm:N or euler:N)",
                    sampler_name(s, name, 64));
  return ODP_OK;
}

// Heun with 18 steps, 35 calls: the paper's DP-EDM.
static SamplerSpec default_sampler(const Diffusion *d) {
  (void)d;
  return (SamplerSpec){.kind = SAMPLER_EDM_HEUN, .steps = 18};
}

static int sample(const Diffusion *d, const SamplerSpec *s, float *x, int B, long per, DenoiseFn fn, void *ctx,
                  uint64_t seed, const DiffusionWork *w) {
  diffusion_noise(x, B, per, seed, ODP_STREAM(0, DIFFUSION_PURPOSE_INIT), w);
  return edm_sample_ws(x, B, per, &d->edm.set, s->steps, s->kind == SAMPLER_EDM_HEUN ? EDM_HEUN : EDM_EULER, fn, ctx,
                       w);
}

static const DiffusionOps edm_ops = {
    .name = "edm", .level_in = level_in, .max_level = max_level, .signal = signal, .diffuse = diffuse,
    .net_time = net_time, .pred_x0 = pred_x0, .out_from_x0 = out_from_x0, .x0_out_grad = x0_out_grad,
    .score_diff_weight = score_diff_weight, .train_target = train_target, .check_sampler = check_sampler,
    .default_sampler = default_sampler, .sample = sample,
};

int diffusion_init_edm(Diffusion *d, int num_train_steps, const EdmSettings *set) {
  memset(d, 0, sizeof *d);
  d->ops = &edm_ops;
  const EdmSettings defaults = edm_default_settings();
  return edm_schedule_init(&d->edm, set ? set : &defaults, num_train_steps);
}
