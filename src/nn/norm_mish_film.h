// GroupNorm -> Mish -> FiLM fused, in place, for inference: one pass of statistics and
// one of normalisation per group, a vectorised Mish (nn/mish.h's mish_forward_vec) and
// the FiLM affine, with nothing kept for a backward pass. The unfused layers are
// nn/group_norm.h, nn/mish.h and nn/film.h (tests/test_nn_fused.c holds the two to the
// same results at float rounding).
#pragma once

// y (C, T, B) := FiLM(Mish(GroupNorm(y))). mean, rstd hold (G, B) floats of scratch.
// film: the conditioning projection's output as rows, (2C, B) = [scale ; bias] with
// with_scale, (C, B) bias only without; NULL for no FiLM.
void norm_mish_film_forward(float *y, const float *gamma, const float *beta, int C, int T, int B, int G, float eps,
                            float *mean, float *rstd, const float *film, int with_scale);
