// GroupNorm over (C, T, B) activations, as PyTorch's nn.GroupNorm: each batch item's
// channels split into G groups, each normalised over its (C/G) x T values, then a
// per-channel affine. With batch innermost, the reductions vectorise across B.
#pragma once

// y (C, T, B) from x; saves mean and rstd (G, B) for the backward pass.
void group_norm_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                        int C, int T, int B, int G, float eps);

// Accumulates dx (may be NULL), dgamma and dbeta (C).
void group_norm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *mean,
                         const float *rstd, const float *gamma, int C, int T, int B, int G);
