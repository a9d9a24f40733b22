// DMD2's discriminator head (Yin et al. 2024, "Improved Distribution Matching Distillation"):
// a classifier on the bottleneck features of the generator score network psi, trained with
// psi to tell diffused demonstrations (real) from diffused generator samples (fake); the
// generator is then also trained to make its samples classify as real.
//
// features (C, T, B) -> flatten per chunk (C·T) -> Linear(C·T, H) -> Mish -> Linear(H, 1) -> logit (B)
// The features' channel-major layout is the U-Net's (model/unet1d.h); the head reads it
// as one row per chunk.
#pragma once
#include <stdint.h>

typedef struct {
  int channels, frames, hidden;  // C, T of the features, and H
  long w1, b1, w2, b2;           // offsets into the head's own parameter vector
  long numel;
} Discriminator;

// What a forward pass at batch B keeps for its backward pass.
typedef struct {
  int B;
  float *rows;    // (B, C·T): the features as one row per chunk
  float *h, *hm;  // (B, H): before and after Mish
  float *logit;   // (B)
  float *drows, *dhm, *dh;
} DiscriminatorActs;

void discriminator_init(Discriminator *d, int channels, int frames, int hidden);
// PyTorch's nn.Linear initialisation (uniform +-1/sqrt(fan_in)), from the counter-based RNG.
void discriminator_init_params(const Discriminator *d, float *params, uint64_t seed);
int discriminator_acts_alloc(DiscriminatorActs *a, const Discriminator *d, int B);
void discriminator_acts_free(DiscriminatorActs *a);

// a->logit (B) from features (C, T, B).
void discriminator_forward(const Discriminator *d, const float *params, DiscriminatorActs *a, const float *features);
// Accumulates the parameter gradients into grads and writes dfeatures (C, T, B), from
// dlogit (B). Uses the activations of the last forward.
void discriminator_backward(const Discriminator *d, const float *params, DiscriminatorActs *a, float *grads,
                            const float *dlogit, float *dfeatures);

// The logistic loss toward label (1 real, 0 fake) of the B chunks, as their part of a mean
// over total (B, or a batch whose other rows are on other ranks: onedp_core.h OnedpStep):
// softplus(-logit) for real, softplus(logit) for fake. Writes dlogit (B) =
// weight · d loss / d logit, counts the chunks on the label's side of 0 into *correct (may be NULL), and
// returns the (unweighted) loss.
double discriminator_loss(const float *logit, int B, long total, int label, float weight, float *dlogit,
                          int *correct);
