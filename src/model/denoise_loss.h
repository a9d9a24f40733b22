// The denoising loss of a ConditionalUnet1D and its gradient, through the diffusion
// process's interface (diffusion/diffusion.h); for DDPM the noise-prediction loss
//   k ~ U{0..K-1}, eps ~ N(0, I), x_k = sqrt(abar_k) x0 + sqrt(1 - abar_k) eps,
//   loss = mean((unet(x_k, k, cond) - eps)^2).
// Draws come from the counter-based RNG keyed by (seed, step), so a step's noise is the
// same whatever the thread count and however training was interrupted.
#pragma once
#include <stdint.h>

#include "diffusion/diffusion.h"
#include "model/unet1d.h"

// A share of a batch: its rows [first, first + B) of `total` rows. Data-parallel training
// gives each rank one (src/dist/dist.h): the rows draw their timesteps and noise at their
// places in the whole batch, and the loss is the whole batch's mean, so the ranks' sums
// are the single process's loss and gradient. The whole batch: {0, B}.
typedef struct {
  long first, total;
} BatchShare;

// Accumulates d loss / d params into grads (forward only when grads is NULL) and, when
// dcond is not NULL, d loss / d cond into dcond (B, Gc) (overwritten: an image policy's
// encoder continues the backward pass from it); returns the share's part of the loss
// (its squared errors over the whole batch's element count). x0 (B, T, Da), cond (B, Gc),
// B = a->B the share's rows. work holds 3 * B * T * Da floats.
double denoise_loss_step(const Unet *u, const float *params, float *grads, float *dcond, UnetActs *a,
                         const Diffusion *df, const float *x0, const float *cond, uint64_t seed, long step,
                         BatchShare share, float *work);
