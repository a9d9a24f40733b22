// DDPM (discrete timesteps, ε-prediction) as a DiffusionOps: levels are the integer
// timesteps k of the squared-cosine schedule (diffusion/schedule.h), the network sees
// x_k and k and predicts the noise, and the multi-step samplers are DDPM ancestral
// (diffusion/ddpm.h) and DDIM (diffusion/ddim.h).
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "diffusion/ddpm.h"
#include "diffusion/diffusion.h"

static float abar_at(const Diffusion *d, float level) { return d->ddpm.alphas_cumprod[(int)level]; }

static float level_in(const Diffusion *d, uint32_t bits, float lo, float hi) {
  (void)d;
  return diffusion_level_uniform(bits, lo, hi);
}

static float max_level(const Diffusion *d) { return (float)(d->ddpm.num_train_steps - 1); }

static float signal(const Diffusion *d, float level) { return sqrtf(abar_at(d, level)); }

static void diffuse(const Diffusion *d, float *xk, const float *x0, const float *eps, long n, float level) {
  float abar = abar_at(d, level), sa = sqrtf(abar), sb = sqrtf(1.0f - abar);
  for (long i = 0; i < n; i++) xk[i] = sa * x0[i] + sb * eps[i];
}

static float net_time(const Diffusion *d, float level) {
  (void)d;
  return level;
}

static void pred_x0(const Diffusion *d, float *x0, const float *xk, const float *out, long n, float level, int clip) {
  diffusion_pred_x0(x0, xk, out, n, abar_at(d, level), clip);
}

// eps = (x_k - sqrt(abar) x0) / sigma.
static void out_from_x0(const Diffusion *d, float *out, const float *xk, const float *x0, long n, float level) {
  float abar = abar_at(d, level), a = sqrtf(abar), sigma = sqrtf(1.0f - abar);
  for (long i = 0; i < n; i++) out[i] = (xk[i] - a * x0[i]) / sigma;
}

// x̂0 = (x - sigma eps) / sqrt(abar): d x̂0 / d eps = -sigma / sqrt(abar).
static float x0_out_grad(const Diffusion *d, float level) {
  float abar = abar_at(d, level);
  return -sqrtf(1.0f - abar) / sqrtf(abar);
}

// s = -eps / sigma and w = sigma^2: w (s_a - s_b) = sigma (eps_b - eps_a).
static float score_diff_weight(const Diffusion *d, float level) { return sqrtf(1.0f - abar_at(d, level)); }

static const float *train_target(const Diffusion *d, float *target, const float *x0, const float *xk,
                                 const float *eps, long n, float level) {
  (void)d, (void)target, (void)x0, (void)xk, (void)n, (void)level;
  return eps;
}

static int check_sampler(const Diffusion *d, const SamplerSpec *s) {
  char name[64];
  if (s->kind != SAMPLER_DDPM && s->kind != SAMPLER_DDIM)
    return odp_fail("--sampler %s: not a sampler of a DDPM policy (policy.diffusion ddpm: ddpm:N or ddim:N)",
                    sampler_name(s, name, 64));
  if (s->steps > d->ddpm.num_train_steps)
    return odp_fail("--sampler %s: %d steps, but policy.num_train_timesteps is %d", sampler_name(s, name, 64),
                    s->steps, d->ddpm.num_train_steps);
  return ODP_OK;
}

static SamplerSpec default_sampler(const Diffusion *d) {
  return (SamplerSpec){.kind = SAMPLER_DDPM, .steps = d->ddpm.num_train_steps};
}

static int sample(const Diffusion *d, const SamplerSpec *s, float *x, int B, long per, DenoiseFn fn, void *ctx,
                  uint64_t seed, const DiffusionWork *w) {
  diffusion_noise(x, B, per, seed, ODP_STREAM(0, DIFFUSION_PURPOSE_INIT), w);
  if (s->kind == SAMPLER_DDPM) return ddpm_sample_ws(x, B, per, &d->ddpm, s->steps, fn, ctx, seed, w);
  return ddim_sample_ws(x, B, per, &d->ddpm, s->steps, s->spacing, fn, ctx, w);
}

static const DiffusionOps ddpm_ops = {
    .name = "ddpm", .level_in = level_in, .max_level = max_level, .signal = signal, .diffuse = diffuse,
    .net_time = net_time, .pred_x0 = pred_x0, .out_from_x0 = out_from_x0, .x0_out_grad = x0_out_grad,
    .score_diff_weight = score_diff_weight, .train_target = train_target, .check_sampler = check_sampler,
    .default_sampler = default_sampler,
    .sample = sample,
};

int diffusion_init_ddpm(Diffusion *d, int num_train_steps, const EdmSettings *unused) {
  (void)unused;
  memset(d, 0, sizeof *d);
  d->ops = &ddpm_ops;
  return noise_schedule_squaredcos(&d->ddpm, num_train_steps);
}
