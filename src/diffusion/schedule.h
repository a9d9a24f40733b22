// Discrete-time noise schedule for ε-prediction diffusion, as diffusers 0.11's
// DDPMScheduler/DDIMScheduler build it for Diffusion Policy: "squaredcos_cap_v2" betas
// computed in double and stored as float, ᾱ_k = Π_{i≤k}(1 − β_i). Also the pieces both
// samplers share: the x̂_0 formula, the denoiser callback and the initial noise.
// Layer-free: the network is reached only through DenoiseFn. Policies, trainers and
// the distiller reach a schedule only through diffusion/diffusion.h.
#pragma once
#include "diffusion/work.h"
#include <stdint.h>

#define DIFFUSION_MAX_TRAIN_STEPS 1000

typedef struct {
  int num_train_steps;  // 100 for Diffusion Policy
  int clip_sample;      // clip x̂_0 to [-1, 1] (Diffusion Policy: on, for DDPM and DDIM)
  float betas[DIFFUSION_MAX_TRAIN_STEPS];
  float alphas[DIFFUSION_MAX_TRAIN_STEPS];          // 1 − β_k
  float alphas_cumprod[DIFFUSION_MAX_TRAIN_STEPS];  // ᾱ_k
} NoiseSchedule;

// β_i = min(1 − ᾱ(i+1/N)/ᾱ(i/N), 0.999) with ᾱ(t) = cos²((t + 0.008)/1.008 · π/2);
// clip_sample on. Fails if num_train_steps is not in [1, DIFFUSION_MAX_TRAIN_STEPS].
int noise_schedule_squaredcos(NoiseSchedule *s, int num_train_steps);

// ᾱ_t, and 1 for t < 0: the "previous" ᾱ of a chain's last step (diffusers' `one` in
// DDPM, final_alpha_cumprod with set_alpha_to_one in DDIM).
float schedule_abar(const NoiseSchedule *s, int t);

// The timestep a sampler with num_steps steps goes to after t (diffusers:
// t − num_train_steps // num_steps, for every spacing); < 0 means the clean sample.
int schedule_prev_timestep(const NoiseSchedule *s, int t, int num_steps);

// x̂_0 = (x − √(1−ᾱ)·ε̂)/√ᾱ over n values, clipped to [-1, 1] when clip is set.
void diffusion_pred_x0(float *x0, const float *x, const float *eps_hat, long n, float abar, int clip);

// The network: fills out (B, per) with its output (DDPM: the predicted noise) for x
// (B, per) at the per-sample time inputs t (B; DDPM: the timestep as a float).
// Returns ODP_OK or ODP_ERR (with odp_error set).
typedef int (*DenoiseFn)(void *ctx, const float *x, const float *t, int B, float *out);

// One denoiser call with every batch item at timestep t (tb: B floats of scratch);
// on failure the message names the sampler's step ("ddpm step at t=42: ...").
int diffusion_denoise_at(DenoiseFn fn, void *ctx, const float *x, int B, int t, float *tb, float *out,
                         const char *sampler);

// RNG purposes (the low byte of ODP_STREAM) used by the samplers.
#define DIFFUSION_PURPOSE_INIT 0x10  // x_T ~ N(0, I), stream ODP_STREAM(0, purpose)
#define DIFFUSION_PURPOSE_DDPM 0x11  // the variance noise of the step at t: ODP_STREAM(t, purpose)
#define DIFFUSION_PURPOSE_CM 0x12    // a consistency chain's re-noising before call j: ODP_STREAM(j, purpose)

// x_T: n standard normals from (seed, ODP_STREAM(0, DIFFUSION_PURPOSE_INIT)), element i
// of the buffer being element i of the stream.
void diffusion_initial_noise(float *x, long n, uint64_t seed);
// Standard normal noise x (B, per) for Philox purpose `stream` of a call keyed by seed (its
// rows w->first_row.. when w is not NULL), or, with w->row_seeds, item b's as a batch-1 call
// keyed by row_seeds[b] would draw it.
void diffusion_noise(float *x, int B, long per, uint64_t seed, uint64_t stream, const DiffusionWork *w);
