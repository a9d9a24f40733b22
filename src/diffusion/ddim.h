// DDIM with η = 0 (Song et al. 2021), deterministic, as diffusers' DDIMScheduler with
// Diffusion Policy's settings (clip_sample on, set_alpha_to_one, steps_offset 0):
//   x_prev = √ᾱ'·x̂_0 + √(1−ᾱ')·ε̂,  ᾱ' = ᾱ_{t_prev} (1 after the last step).
// Two timestep spacings, and they behave very differently at one step:
//   DDIM_SPACING_LEADING  — diffusers 0.11, the one the reference and the OneDP paper
//     use: (0..N−1)·(num_train // N) reversed; N = 10 → 90, 80, ..., 0. At N = 1 the
//     only step is t = 0, so the network sees pure noise labelled "almost clean" and
//     hands the noise back as the action (the paper's DDIM-1 = 0 success).
//   DDIM_SPACING_TRAILING — later diffusers' timestep_spacing="trailing":
//     round(arange(num_train, 0, −num_train/N)) − 1; N = 1 → 99, the network's
//     posterior-mean guess from pure noise: the fair one-step baseline.
#pragma once
#include "diffusion/schedule.h"
#include "diffusion/work.h"

typedef enum {
  DDIM_SPACING_LEADING = 0,
  DDIM_SPACING_TRAILING = 1,
} DdimSpacing;

// "leading" / "trailing"; and the inverse (ODP_ERR for another name).
const char *ddim_spacing_name(DdimSpacing spacing);
int ddim_spacing_parse(DdimSpacing *out, const char *name);

// The N timesteps, descending. Returns N, or ODP_ERR if N is not in [1, num_train].
int ddim_timesteps(int *ts, int num_steps, const NoiseSchedule *s, DdimSpacing spacing);

// One η = 0 step from t to t_prev (t_prev < 0: ᾱ' = 1), in place on x (n values).
void ddim_step(float *x, const float *eps_hat, long n, const NoiseSchedule *s, int t, int t_prev);

// Samples in place: x (B, per) holds x_T on entry and x_0 on return. t_prev of each
// step is t − num_train // N (diffusers' rule, for both spacings).
int ddim_sample(float *x, int B, long per, const NoiseSchedule *s, int num_steps,
                DdimSpacing spacing, DenoiseFn fn, void *ctx);
// The same with the caller's scratch (w->eps: B·per floats, w->tb: B floats; w->z unused).
int ddim_sample_ws(float *x, int B, long per, const NoiseSchedule *s, int num_steps, DdimSpacing spacing,
                   DenoiseFn fn, void *ctx, const DiffusionWork *w);
