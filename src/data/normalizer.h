// LinearNormalizer in Diffusion Policy's "limits" mode: per feature, [min, max] of the
// whole dataset maps to [-1, 1]: y = x * scale + offset. A feature whose range is below
// 1e-4 gets scale 1 and offset -min (as the reference does). Stored in checkpoints as
// PyTorch's normalizer.params_dict.<key>.{scale,offset}.
#pragma once

#define NORMALIZER_MAX_DIM 512

typedef struct {
  int dim;
  float scale[NORMALIZER_MAX_DIM], offset[NORMALIZER_MAX_DIM];
} Normalizer;

// Fits from n rows of x (n, dim). Fails on NaN/Inf (naming `what` and the row) or dim out of range.
int normalizer_fit_limits(Normalizer *nz, const float *x, long n, int dim, const char *what);

// y = x * scale + offset over n rows (in place allowed); and the inverse.
void normalizer_apply(const Normalizer *nz, float *y, const float *x, long n);
void normalizer_unapply(const Normalizer *nz, float *x, const float *y, long n);
