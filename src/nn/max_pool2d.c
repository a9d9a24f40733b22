#include "nn/max_pool2d.h"

#include <math.h>

void max_pool2d_forward(float *out, int *argmax, const float *in, Pool2dShape s, int C, int h, int w, int B) {
  const int ho = max_pool2d_out_size(s, h), wo = max_pool2d_out_size(s, w);
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; c++)
    for (int y = 0; y < ho; y++)
      for (int x = 0; x < wo; x++)
        for (int b = 0; b < B; b++) {
          float best = -INFINITY;
          long at = -1;
          for (int i = 0; i < s.kernel; i++) {
            int iy = y * s.stride + i - s.pad;
            if (iy < 0 || iy >= h) continue;
            for (int j = 0; j < s.kernel; j++) {
              int ix = x * s.stride + j - s.pad;
              if (ix < 0 || ix >= w) continue;
              long k = (((long)c * h + iy) * w + ix) * B + b;
              if (at < 0 || in[k] > best || isnan(in[k])) best = in[k], at = k;
            }
          }
          long o = (((long)c * ho + y) * wo + x) * B + b;
          out[o] = best, argmax[o] = (int)at;
        }
}

void max_pool2d_backward(float *din, const float *dout, const int *argmax, long n_out) {
  for (long o = 0; o < n_out; o++) din[argmax[o]] += dout[o];
}
