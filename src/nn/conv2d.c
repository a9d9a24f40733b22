#include "nn/conv2d.h"

#include <cblas.h>
#include <string.h>

#include "nn/conv1d.h"

static int is_pointwise(Conv2dShape s) { return s.kernel == 1 && s.stride == 1 && s.pad == 0; }

long conv2d_scratch_floats(Conv2dShape s, int h, int w, int B) {
  if (is_pointwise(s)) return 0;
  return (long)s.cin * s.kernel * s.kernel * conv2d_out_size(s, h) * conv2d_out_size(s, w) * B;
}

// Output columns [x0, x1) whose tap j lands inside a row of width w: x*stride + j - pad in [0, w).
static void valid_columns(Conv2dShape s, int w, int wo, int j, int *x0, int *x1) {
  int d = j - s.pad;
  int lo = d >= 0 ? 0 : (-d + s.stride - 1) / s.stride;
  int hi = w - 1 - d < 0 ? 0 : (w - 1 - d) / s.stride + 1;
  *x0 = lo, *x1 = hi < wo ? hi : wo;
}

// col row (ci, i, j) holds in[ci, y*s + i - p, x*s + j - p, :] over output positions (y, x).
// With src set: im2col (col = the gathered input). With dst set: col2im (dst += col
// scattered back). Threads split the input channels, so col2im's adds never collide.
static void im2col_walk(float *col, const float *src, float *dst, Conv2dShape s, int h, int w, int B) {
  const int ho = conv2d_out_size(s, h), wo = conv2d_out_size(s, w), K = s.kernel;
  const long row_len = (long)ho * wo * B;
#pragma omp parallel for schedule(static)
  for (int ci = 0; ci < s.cin; ci++)
    for (int i = 0; i < K; i++)
      for (int j = 0; j < K; j++) {
        float *c = col + (((long)ci * K + i) * K + j) * row_len;
        int x0, x1;
        valid_columns(s, w, wo, j, &x0, &x1);
        for (int y = 0; y < ho; y++) {
          const int iy = y * s.stride + i - s.pad;
          float *cy = c + (long)y * wo * B;
          if (iy < 0 || iy >= h || x1 <= x0) {
            if (src) memset(cy, 0, (size_t)wo * B * sizeof *cy);
            continue;
          }
          const long row0 = (((long)ci * h + iy) * w) * B;
          if (src) {
            memset(cy, 0, (size_t)x0 * B * sizeof *cy);
            memset(cy + (long)x1 * B, 0, (size_t)(wo - x1) * B * sizeof *cy);
          }
          if (s.stride == 1) {  // a contiguous run of the input row
            const long in0 = row0 + (long)(x0 + j - s.pad) * B, n = (long)(x1 - x0) * B;
            float *run = cy + (long)x0 * B;
            if (src) memcpy(run, src + in0, (size_t)n * sizeof *cy);
            else
              for (long k = 0; k < n; k++) dst[in0 + k] += run[k];
            continue;
          }
          for (int x = x0; x < x1; x++) {
            const long in0 = row0 + (long)(x * s.stride + j - s.pad) * B;
            float *px = cy + (long)x * B;
            for (int b = 0; b < B; b++) {
              if (src) px[b] = src[in0 + b];
              else dst[in0 + b] += px[b];
            }
          }
        }
      }
}

void conv2d_forward(float *out, const float *in, const float *weight, const float *bias, Conv2dShape s, int h, int w,
                    int B, float *scratch) {
  const int n = conv2d_out_size(s, h) * conv2d_out_size(s, w) * B, k = s.cin * s.kernel * s.kernel;
  channel_bias_set(out, bias, s.cout, n / B, B);
  const float *col = in;
  if (!is_pointwise(s)) {
    im2col_walk(scratch, in, NULL, s, h, w, B);
    col = scratch;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.cout, n, k, 1.0f, weight, k, col, n, 1.0f, out, n);
}

void conv2d_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                     const float *weight, Conv2dShape s, int h, int w, int B, float *scratch) {
  const int n = conv2d_out_size(s, h) * conv2d_out_size(s, w) * B, k = s.cin * s.kernel * s.kernel;
  if (dbias) channel_bias_grad(dbias, dout, s.cout, n / B, B);
  if (is_pointwise(s)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.cout, k, n, 1.0f, dout, n, in, n, 1.0f, dweight, k);
    if (din) cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, n, s.cout, 1.0f, weight, k, dout, n, 1.0f, din, n);
    return;
  }
  im2col_walk(scratch, in, NULL, s, h, w, B);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.cout, k, n, 1.0f, dout, n, scratch, n, 1.0f, dweight, k);
  if (!din) return;
  // dcol = W^T dout, then scattered back onto the input positions it was gathered from.
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, n, s.cout, 1.0f, weight, k, dout, n, 0.0f, scratch, n);
  im2col_walk(scratch, NULL, din, s, h, w, B);
}
