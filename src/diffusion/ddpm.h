// DDPM ancestral sampling (Ho et al. 2020) as Diffusion Policy runs it through
// diffusers' DDPMScheduler: ε-prediction, x̂_0 clipped to [-1, 1], "fixed_small"
// variance. With 100 steps on a 100-step schedule this is exactly docs/facts.md §4.
#pragma once
#include "diffusion/schedule.h"
#include "diffusion/work.h"

// One reverse step from t to t_prev (t_prev < 0: to the clean sample), in place on x
// (n values), given the predicted noise eps_hat and, for t > 0, the standard normal
// variance noise z (ignored, may be NULL, at t = 0):
//   ᾱ = ᾱ_t, ᾱ' = ᾱ_{t_prev} (1 if t_prev < 0), α = ᾱ/ᾱ', β = 1 − α,
//   x ← (√ᾱ'·β/(1−ᾱ))·x̂_0 + (√α·(1−ᾱ')/(1−ᾱ))·x + [t > 0] √max((1−ᾱ')/(1−ᾱ)·β, 1e-20)·z
void ddpm_step(float *x, const float *eps_hat, const float *z, long n, const NoiseSchedule *s,
               int t, int t_prev);

// The timesteps of an num_steps-step chain, descending: (0..N−1)·(num_train // N)
// reversed (for N = num_train: 99, 98, ..., 0). Returns N, or ODP_ERR if N is not in
// [1, num_train].
int ddpm_timesteps(int *ts, int num_steps, const NoiseSchedule *s);

// Samples in place: x (B, per) holds x_T on entry (e.g. from diffusion_initial_noise)
// and x_0 on return. The variance noise of the step at t is element b·per + i of
// stream (seed, ODP_STREAM(t, DIFFUSION_PURPOSE_DDPM)). One denoiser call per step.
int ddpm_sample(float *x, int B, long per, const NoiseSchedule *s, int num_steps, DenoiseFn fn,
                void *ctx, uint64_t seed);
// The same with the caller's scratch (w->eps, w->z: B·per floats, w->tb: B floats): no allocation.
int ddpm_sample_ws(float *x, int B, long per, const NoiseSchedule *s, int num_steps, DenoiseFn fn,
                   void *ctx, uint64_t seed, const DiffusionWork *w);
