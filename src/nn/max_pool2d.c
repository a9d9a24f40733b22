#include "nn/max_pool2d.h"

// Per output position, the window's taps in row-major order, each a contiguous run of B
// batch items: the running maximum vectorises over the batch. A tap replaces the maximum
// when it is larger or NaN (so NaN propagates, as in PyTorch); ties keep the first.
void max_pool2d_forward(float *out, int *argmax, const float *in, Pool2dShape s, int C, int h, int w, int B) {
  const int ho = max_pool2d_out_size(s, h), wo = max_pool2d_out_size(s, w);
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; c++)
    for (int y = 0; y < ho; y++)
      for (int x = 0; x < wo; x++) {
        const long o = (((long)c * ho + y) * wo + x) * B;
        int first = 1;
        for (int i = 0; i < s.kernel; i++) {
          const int iy = y * s.stride + i - s.pad;
          if (iy < 0 || iy >= h) continue;
          for (int j = 0; j < s.kernel; j++) {
            const int ix = x * s.stride + j - s.pad;
            if (ix < 0 || ix >= w) continue;
            const long k = (((long)c * h + iy) * w + ix) * B;
            const float *v = in + k;
            if (first) {
              for (int b = 0; b < B; b++) out[o + b] = v[b], argmax[o + b] = (int)(k + b);
              first = 0;
              continue;
            }
            for (int b = 0; b < B; b++)
              if (out[o + b] == out[o + b] && !(v[b] <= out[o + b])) out[o + b] = v[b], argmax[o + b] = (int)(k + b);
          }
        }
      }
}

void max_pool2d_backward(float *din, const float *dout, const int *argmax, long n_out) {
  for (long o = 0; o < n_out; o++) din[argmax[o]] += dout[o];
}

void max_pool2d_nhwc_forward(NhwcImage *out, const NhwcImage *in, Pool2dShape s) {
  const int C = in->c;
  for (int y = 0; y < out->h; y++)
    for (int x = 0; x < out->w; x++) {
      float *o = nhwc_at(out, y, x, 0);
      const float *first = nhwc_at(in, y * s.stride - s.pad, x * s.stride - s.pad, 0);
      for (int c = 0; c < C; c++) o[c] = first[c];
      for (int i = 0; i < s.kernel; i++)
        for (int j = 0; j < s.kernel; j++) {
          const float *v = nhwc_at(in, y * s.stride + i - s.pad, x * s.stride + j - s.pad, 0);
          for (int c = 0; c < C; c++) o[c] = v[c] > o[c] ? v[c] : o[c];
        }
    }
}
