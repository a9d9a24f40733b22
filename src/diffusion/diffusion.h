// The noise process a policy is trained, sampled and distilled with, behind one
// interface: the policy (model/policy.c), the denoising loss (model/denoise_loss.c) and
// the OneDP distiller (distill/onedp_core.c) see only these operations, never a
// schedule's tables. Noise levels are floats: DDPM's are its integer timesteps k in
// [0, N) (diffusion/ddpm_process.c); a continuous process (EDM's sigma) is another
// DiffusionOps in a file of its own, registered in diffusion/diffusion.c.
//
// The operations are stated for an x0-noising process
//   x_k = signal(k) x0 + sigma(k) eps
// and a network whose raw output `out` the process reads (DDPM: the predicted noise).
#pragma once
#include <stdint.h>

#include "diffusion/ddim.h"
#include "diffusion/edm.h"
#include "diffusion/schedule.h"
#include "diffusion/work.h"

typedef struct Diffusion Diffusion;

// EDM_HEUN / EDM_EULER: an EDM teacher's samplers (diffusion/edm.h); CP: a consistency
// student's chained one-step maps (distill/consistency.h).
typedef enum { SAMPLER_DDPM, SAMPLER_DDIM, SAMPLER_ONESTEP, SAMPLER_EDM_HEUN, SAMPLER_EDM_EULER, SAMPLER_CP } SamplerKind;

typedef struct {
  SamplerKind kind;
  int steps;            // DDPM/DDIM/EDM steps (Heun: 2N - 1 calls); one-step: 1, or 2 with a refining step; CP: calls
  DdimSpacing spacing;  // DDIM only
  int refine_level;     // one-step with 2 calls: the level the chunk is re-noised to (set by sampler_parse)
} SamplerSpec;

// The two-step student's default re-noising level: docs/onedp_pusht.md measured k = 10.
#define SAMPLER_REFINE_LEVEL 10

typedef struct {
  const char *name;  // "ddpm"
  // A level uniform over the process's levels in [lo, hi], from 32 random bits.
  float (*level_in)(const Diffusion *d, uint32_t bits, float lo, float hi);
  // The largest level (training draws levels in [0, max_level]).
  float (*max_level)(const Diffusion *d);
  // signal(k): x0's factor in x_k (DDPM: sqrt(abar_k)).
  float (*signal)(const Diffusion *d, float level);
  // x_k = signal x0 + sigma eps over n values, at level k.
  void (*diffuse)(const Diffusion *d, float *xk, const float *x0, const float *eps, long n, float level);
  // The network's time input at a level (DDPM: k).
  float (*net_time)(const Diffusion *d, float level);
  // x̂0 from the network output at level k (clipped to [-1, 1] with clip).
  void (*pred_x0)(const Diffusion *d, float *x0, const float *xk, const float *out, long n, float level, int clip);
  // The network output that predicts x0 from xk at level k (pred_x0's inverse).
  void (*out_from_x0)(const Diffusion *d, float *out, const float *xk, const float *x0, long n, float level);
  // d x̂0 / d out at level k (elementwise: every process here is affine in out).
  float (*x0_out_grad)(const Diffusion *d, float level);
  // f(k) such that signal(k) f(k) (out_b - out_a) is the reverse-KL gradient w (s_a - s_b)
  // of two networks' scores carried back to the clean sample (DDPM: w = sigma^2 on x_k,
  // f = sigma; EDM: w = sigma^2 on y = x0 + sigma n, f = -sigma sigma_data).
  float (*score_diff_weight)(const Diffusion *d, float level);
  // The denoising loss's regression target for a training example (DDPM: eps itself,
  // returned without a copy; others write target, which may alias eps).
  const float *(*train_target)(const Diffusion *d, float *target, const float *x0, const float *xk,
                               const float *eps, long n, float level);
  // Whether a multi-step sampler is this process's, and its largest step count.
  int (*check_sampler)(const Diffusion *d, const SamplerSpec *s);
  // The sampler a teacher of this process runs when none is asked for (DDPM: ddpm:N, every level).
  SamplerSpec (*default_sampler)(const Diffusion *d);
  // Runs a multi-step sampler in place on x (B, per): x_T drawn here from seed, scratch
  // from w (eps, z: B·per floats, tb: B floats), so it allocates nothing.
  int (*sample)(const Diffusion *d, const SamplerSpec *s, float *x, int B, long per, DenoiseFn fn, void *ctx,
                uint64_t seed, const DiffusionWork *w);
} DiffusionOps;

struct Diffusion {
  const DiffusionOps *ops;
  NoiseSchedule ddpm;  // DDPM's tables (ddpm_process.c)
  EdmSchedule edm;     // EDM's settings and level sigmas (edm_process.c)
};

// The process a policy config names ("ddpm", the default when absent, or "edm"), with N
// levels; edm: EDM's settings (NULL: edm_default_settings), read by the EDM process only.
int diffusion_init(Diffusion *d, const char *name, int num_train_steps, const EdmSettings *edm);
// DDPM with the squared-cosine schedule (Diffusion Policy's).
int diffusion_init_ddpm(Diffusion *d, int num_train_steps, const EdmSettings *unused);
// EDM with N quantile levels (diffusion/edm.h).
int diffusion_init_edm(Diffusion *d, int num_train_steps, const EdmSettings *edm);
// A whole level uniform in [lo, hi] from 32 random bits: the level_in of processes with
// integer levels (both here).
float diffusion_level_uniform(uint32_t bits, float lo, float hi);

// "ddpm:100", "ddim:10", "ddim:1:trailing" (spacing leading by default), "onestep",
// "onestep:2" (re-noised to SAMPLER_REFINE_LEVEL and denoised once more), "onestep:2:K",
// "edm:18" (Heun), "euler:18", "cp:1", "cp:3".
// Messages name the text as the command line's option: "--sampler ddim:0: ...".
int sampler_parse(SamplerSpec *s, const char *text);
// Network calls per chunk (Heun: 2N - 1; every other sampler: its steps).
int sampler_nfe(const SamplerSpec *s);
// Writes the canonical name ("ddim:10:leading") into buf.
const char *sampler_name(const SamplerSpec *s, char *buf, int size);

static inline float diffusion_level_in(const Diffusion *d, uint32_t bits, float lo, float hi) {
  return d->ops->level_in(d, bits, lo, hi);
}
static inline float diffusion_max_level(const Diffusion *d) { return d->ops->max_level(d); }
static inline float diffusion_signal(const Diffusion *d, float level) { return d->ops->signal(d, level); }
static inline void diffusion_diffuse(const Diffusion *d, float *xk, const float *x0, const float *eps, long n,
                                     float level) {
  d->ops->diffuse(d, xk, x0, eps, n, level);
}
static inline float diffusion_net_time(const Diffusion *d, float level) { return d->ops->net_time(d, level); }
static inline void diffusion_x0(const Diffusion *d, float *x0, const float *xk, const float *out, long n, float level,
                                int clip) {
  d->ops->pred_x0(d, x0, xk, out, n, level, clip);
}
static inline void diffusion_out_from_x0(const Diffusion *d, float *out, const float *xk, const float *x0, long n,
                                         float level) {
  d->ops->out_from_x0(d, out, xk, x0, n, level);
}
static inline float diffusion_x0_out_grad(const Diffusion *d, float level) { return d->ops->x0_out_grad(d, level); }
static inline float diffusion_score_diff_weight(const Diffusion *d, float level) {
  return d->ops->score_diff_weight(d, level);
}
static inline const float *diffusion_train_target(const Diffusion *d, float *target, const float *x0, const float *xk,
                                                  const float *eps, long n, float level) {
  return d->ops->train_target(d, target, x0, xk, eps, n, level);
}
static inline SamplerSpec diffusion_default_sampler(const Diffusion *d) { return d->ops->default_sampler(d); }
static inline int diffusion_check_sampler(const Diffusion *d, const SamplerSpec *s) {
  return d->ops->check_sampler(d, s);
}
static inline int diffusion_sample(const Diffusion *d, const SamplerSpec *s, float *x, int B, long per, DenoiseFn fn,
                                   void *ctx, uint64_t seed, const DiffusionWork *w) {
  return d->ops->sample(d, s, x, B, per, fn, ctx, seed, w);
}
