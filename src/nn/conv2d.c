#include "nn/conv2d.h"

#include <cblas.h>
#include <omp.h>
#include <string.h>

#include "nn/conv1d.h"
#include "nn/gemm_narrow.h"

static int is_pointwise(Conv2dShape s) { return s.kernel == 1 && s.stride == 1 && s.pad == 0; }

// Layers with few output channels (a narrow trunk's stem and first layers) multiply with
// nn/gemm_narrow.h, which reads the im2col tile in place; wider ones with OpenBLAS.
static int narrow(Conv2dShape s) { return s.cout <= GEMM_NARROW; }

// The im2col matrix is built and consumed in tiles of consecutive output positions (y, x),
// all batch items each: a tile's columns are contiguous in the output (C, Ho*Wo*B), and a
// tile of at most TILE_FLOATS (256 KB) stays in cache between its gather and its GEMM
// (Zen 5, batch 128: the stem 2x faster than one whole-image im2col).
// Threads work on whole tiles with their own scratch slot and a one-thread GEMM (OpenBLAS
// runs single-threaded inside a parallel region): the forward pass splits the tiles; the
// backward pass splits the input channels, so each weight-gradient column and each input
// pixel is summed by one thread over the tiles in order, the same whatever the thread count.
#define TILE_FLOATS (64L * 1024)
#define SLOTS 8  // threads at most on one convolution (scratch: SLOTS tiles)
// A tile has at least this many columns: a small batch (inference: one observation's frames)
// would otherwise make many narrow GEMMs, each packing the whole weight matrix again.
#define MIN_COLUMNS 256

static long tile_positions(Conv2dShape s, int ho, int wo, int B) {
  long per = (long)s.cin * s.kernel * s.kernel * B, n = TILE_FLOATS / per, least = (MIN_COLUMNS + B - 1) / B;
  n = n < least ? least : n;
  return n > (long)ho * wo ? (long)ho * wo : n;
}

long conv2d_scratch_floats(Conv2dShape s, int h, int w, int B) {
  if (is_pointwise(s)) return 0;
  const int ho = conv2d_out_size(s, h), wo = conv2d_out_size(s, w);
  return SLOTS * (long)s.cin * s.kernel * s.kernel * tile_positions(s, ho, wo, B) * B;
}

// Output columns [x0, x1) whose tap j lands inside a row of width w: x*stride + j - pad in [0, w).
static void valid_columns(Conv2dShape s, int w, int wo, int j, int *x0, int *x1) {
  int d = j - s.pad;
  int lo = d >= 0 ? 0 : (-d + s.stride - 1) / s.stride;
  int hi = w - 1 - d < 0 ? 0 : (w - 1 - d) / s.stride + 1;
  *x0 = lo, *x1 = hi < wo ? hi : wo;
}

static int slots(long tasks) {
  int t = omp_get_max_threads();
  t = t > SLOTS ? SLOTS : t;
  return tasks < t ? (int)tasks : t;
}

// col (rows of input channels [c0, c1) x K x K, (p1 - p0) * B): row (ci, i, j) holds
// in[ci, y*s + i - p, x*s + j - p, :] for the output positions p = y * Wo + x in [p0, p1),
// zero outside the image. With src set: im2col (col = the gathered input). With dst set:
// col2im (dst += col scattered back).
static void im2col_tile(float *col, const float *src, float *dst, Conv2dShape s, int h, int w, int B, long p0,
                        long p1, int c0, int c1) {
  const int wo = conv2d_out_size(s, w), K = s.kernel;
  const long n = (p1 - p0) * B;
  for (int ci = c0; ci < c1; ci++)
    for (int i = 0; i < K; i++)
      for (int j = 0; j < K; j++) {
        float *c = col + (((long)(ci - c0) * K + i) * K + j) * n;
        int x0, x1;  // the output columns whose tap j lands inside the image row
        valid_columns(s, w, wo, j, &x0, &x1);
        for (long p = p0; p < p1;) {  // one output row's share of the tile at a time
          const int y = (int)(p / wo), xa = (int)(p % wo);
          const int xb = p1 - p < wo - xa ? xa + (int)(p1 - p) : wo;
          const int iy = y * s.stride + i - s.pad, lo = xa > x0 ? xa : x0, hi = xb < x1 ? xb : x1;
          float *row = c + (p - p0) * B;  // output column xa of this row
          p += xb - xa;
          if (iy < 0 || iy >= h || lo >= hi) {
            if (src) memset(row, 0, (size_t)(xb - xa) * B * sizeof *row);
            continue;
          }
          if (src) {
            memset(row, 0, (size_t)(lo - xa) * B * sizeof *row);
            memset(row + (long)(hi - xa) * B, 0, (size_t)(xb - hi) * B * sizeof *row);
          }
          const float *in_row = src ? src + ((long)ci * h + iy) * w * B : NULL;
          float *out_row = dst ? dst + ((long)ci * h + iy) * w * B : NULL;
          if (s.stride == 1) {  // a contiguous run of the input row
            const long at = (long)(lo + j - s.pad) * B, len = (long)(hi - lo) * B;
            float *run = row + (long)(lo - xa) * B;
            if (src) memcpy(run, in_row + at, (size_t)len * sizeof *run);
            else
              for (long k = 0; k < len; k++) out_row[at + k] += run[k];
            continue;
          }
          for (int x = lo; x < hi; x++) {
            const long at = (long)(x * s.stride + j - s.pad) * B;
            float *px = row + (long)(x - xa) * B;
            if (src)
              for (int b = 0; b < B; b++) px[b] = in_row[at + b];
            else
              for (int b = 0; b < B; b++) out_row[at + b] += px[b];
          }
        }
      }
}

void conv2d_forward(float *out, const float *in, const float *weight, const float *bias, Conv2dShape s, int h, int w,
                    int B, float *scratch) {
  const int ho = conv2d_out_size(s, h), wo = conv2d_out_size(s, w), k = s.cin * s.kernel * s.kernel;
  const long n = (long)ho * wo * B, P = (long)ho * wo;
  channel_bias_set(out, bias, s.cout, ho * wo, B);
  if (is_pointwise(s)) {
    if (narrow(s)) gemm_narrow_nn(out, n, weight, k, 1, in, n, s.cout, n, k);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.cout, (int)n, k, 1.0f, weight, k, in, (int)n, 1.0f,
                  out, (int)n);
    return;
  }
  const long tile = tile_positions(s, ho, wo, B), tiles = (P + tile - 1) / tile;
  const int nt = slots(tiles);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long it = 0; it < tiles; it++) {
    const long p0 = it * tile, p1 = p0 + tile < P ? p0 + tile : P, m = (p1 - p0) * B;
    float *col = scratch + omp_get_thread_num() * k * tile * B;
    im2col_tile(col, in, NULL, s, h, w, B, p0, p1, 0, s.cin);
    if (narrow(s)) gemm_narrow_nn(out + p0 * B, n, weight, k, 1, col, m, s.cout, m, k);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.cout, (int)m, k, 1.0f, weight, k, col, (int)m, 1.0f,
                  out + p0 * B, (int)n);
  }
}

void conv2d_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                     const float *weight, Conv2dShape s, int h, int w, int B, float *scratch) {
  const int ho = conv2d_out_size(s, h), wo = conv2d_out_size(s, w), KK = s.kernel * s.kernel, k = s.cin * KK;
  const long n = (long)ho * wo * B, P = (long)ho * wo;
  if (dbias) channel_bias_grad(dbias, dout, s.cout, ho * wo, B);
  if (is_pointwise(s) && narrow(s)) {
    gemm_narrow_nt(dweight, k, dout, n, in, n, s.cout, k, n);
    if (din) gemm_narrow_nn(din, n, weight, 1, k, dout, n, k, n, s.cout);  // W^T: (ci, co) at weight[co * k + ci]
    return;
  }
  if (is_pointwise(s)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.cout, k, (int)n, 1.0f, dout, (int)n, in, (int)n, 1.0f,
                dweight, k);
    if (din)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, (int)n, s.cout, 1.0f, weight, k, dout, (int)n, 1.0f, din,
                  (int)n);
    return;
  }
  const long tile = tile_positions(s, ho, wo, B);
  const int nt = slots(s.cin);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = omp_get_thread_num(), c0 = (int)((long)s.cin * t / nt), c1 = (int)((long)s.cin * (t + 1) / nt);
    const int rows = (c1 - c0) * KK;  // this thread's rows of the im2col matrix and columns of dweight
    float *col = scratch + t * k * tile * B;
    for (long p0 = 0; p0 < P && rows; p0 += tile) {
      const long p1 = p0 + tile < P ? p0 + tile : P, m = (p1 - p0) * B;
      im2col_tile(col, in, NULL, s, h, w, B, p0, p1, c0, c1);
      if (narrow(s)) gemm_narrow_nt(dweight + (long)c0 * KK, k, dout + p0 * B, n, col, m, s.cout, rows, m);
      else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.cout, rows, (int)m, 1.0f, dout + p0 * B, (int)n, col,
                    (int)m, 1.0f, dweight + (long)c0 * KK, k);
      if (!din) continue;
      // dcol = W^T dout for these rows, scattered back onto the input positions they came from.
      if (narrow(s)) {
        memset(col, 0, (size_t)rows * m * sizeof *col);
        gemm_narrow_nn(col, m, weight + (long)c0 * KK, 1, k, dout + p0 * B, n, rows, m, s.cout);
      } else {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rows, (int)m, s.cout, 1.0f, weight + (long)c0 * KK, k,
                    dout + p0 * B, (int)n, 0.0f, col, (int)m);
      }
      im2col_tile(col, NULL, din, s, h, w, B, p0, p1, c0, c1);
    }
  }
}
