// LinearNormalizer "limits" mode, computed in float32 as the reference's torch code
// does (output range [-1, 1], range_eps 1e-4), so fitted parameters match bit for bit.
#include "data/normalizer.h"

#include <math.h>

#include "core/error.h"

#define OUT_MIN (-1.0f)
#define OUT_MAX 1.0f
#define RANGE_EPS 1e-4f

// lo, hi: (dim,) column minima and maxima of x (n, dim); fails on the first non-finite value.
static int column_limits(float *lo, float *hi, const float *x, long n, int dim, const char *what) {
  for (long i = 0; i < n; i++) {
    const float *row = x + i * dim;
    for (int j = 0; j < dim; j++) {
      float v = row[j];
      if (!isfinite(v)) return odp_fail("normalizer: %s row %ld, feature %d is %g", what, i, j, (double)v);
      if (i == 0 || v < lo[j]) lo[j] = v;
      if (i == 0 || v > hi[j]) hi[j] = v;
    }
  }
  return ODP_OK;
}

int normalizer_fit_limits(Normalizer *nz, const float *x, long n, int dim, const char *what) {
  if (dim < 1 || dim > NORMALIZER_MAX_DIM)
    return odp_fail("normalizer: %s has %d features (1..%d supported)", what, dim, NORMALIZER_MAX_DIM);
  if (n < 1) return odp_fail("normalizer: %s has no rows to fit", what);
  float lo[NORMALIZER_MAX_DIM], hi[NORMALIZER_MAX_DIM];
  if (column_limits(lo, hi, x, n, dim, what)) return ODP_ERR;
  nz->dim = dim;
  for (int j = 0; j < dim; j++) {
    float range = hi[j] - lo[j];
    if (range < RANGE_EPS) {
      // A (near-)constant feature is only shifted: it lands at the middle of the output range.
      nz->scale[j] = 1.0f;
      nz->offset[j] = (OUT_MAX + OUT_MIN) / 2 - lo[j];
    } else {
      float scale = (OUT_MAX - OUT_MIN) / range;
      float prod = scale * lo[j];  // rounded on its own, as torch does (no fused multiply-add)
      nz->scale[j] = scale;
      nz->offset[j] = OUT_MIN - prod;
    }
  }
  return ODP_OK;
}

void normalizer_apply(const Normalizer *nz, float *y, const float *x, long n) {
  int d = nz->dim;
  for (long i = 0; i < n; i++)
    for (int j = 0; j < d; j++) {
      float p = x[i * d + j] * nz->scale[j];
      y[i * d + j] = p + nz->offset[j];
    }
}

void normalizer_unapply(const Normalizer *nz, float *x, const float *y, long n) {
  int d = nz->dim;
  for (long i = 0; i < n; i++)
    for (int j = 0; j < d; j++) x[i * d + j] = (y[i * d + j] - nz->offset[j]) / nz->scale[j];
}
