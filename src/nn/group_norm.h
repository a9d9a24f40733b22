// GroupNorm over (C, T, B) activations, as PyTorch's nn.GroupNorm: each batch item's
// channels split into G groups, each normalised over its (C/G) x T values, then a
// per-channel affine. With batch innermost, the reductions vectorise across B.
#pragma once
#include "nn/nhwc.h"

#define GROUP_NORM_EPS 1e-5f  // PyTorch nn.GroupNorm's default, every GroupNorm in onedp

// y (C, T, B) from x; saves mean and rstd (G, B) for the backward pass.
void group_norm_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                        int C, int T, int B, int G, float eps);

// Accumulates dx (may be NULL), dgamma and dbeta (C).
void group_norm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *mean,
                         const float *rstd, const float *gamma, int C, int T, int B, int G);

// Inference over one channels-last image (nn/nhwc.h), in place on x's interior:
// x = GroupNorm(x) (the same statistics as group_norm_forward), then + identity's interior
// (NULL: none), then ReLU when relu is set: a ResNet unit's tail in one pass.
void group_norm_nhwc_forward(NhwcImage *x, const float *gamma, const float *beta, int G, float eps,
                             const NhwcImage *identity, int relu);
