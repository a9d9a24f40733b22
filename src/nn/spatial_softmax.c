#include "nn/spatial_softmax.h"

#include <math.h>

#include "core/parallel.h"

static float grid(int i, int n) { return n > 1 ? -1.0f + 2.0f * (float)i / (float)(n - 1) : -1.0f; }

// Keypoint k of batch item b.
static void read_out(float *out, float *prob, const float *maps, int k, int b, int K, int h, int w, int B,
                     float temperature) {
  const int n = h * w;
  const float *m = maps + (long)k * n * B + b;
  float *p = prob + (long)k * n * B + b;
  float top = -INFINITY;
  for (int i = 0; i < n; i++) top = fmaxf(top, m[(long)i * B]);
  double sum = 0, ex = 0, ey = 0;
  for (int i = 0; i < n; i++) {
    float e = expf((m[(long)i * B] - top) / temperature);
    p[(long)i * B] = e, sum += e;
  }
  for (int i = 0; i < n; i++) {
    float pi = (float)(p[(long)i * B] / sum);
    p[(long)i * B] = pi;
    ex += pi * grid(i % w, w), ey += pi * grid(i / w, h);
  }
  out[(long)b * 2 * K + 2 * k] = (float)ex, out[(long)b * 2 * K + 2 * k + 1] = (float)ey;
}

void spatial_softmax_forward(float *out, float *prob, const float *maps, int K, int h, int w, int B,
                             float temperature) {
  if (odp_go_parallel(K > 1)) {
#pragma omp parallel for schedule(static)
    for (int k = 0; k < K; k++)
      for (int b = 0; b < B; b++) read_out(out, prob, maps, k, b, K, h, w, B, temperature);
    return;
  }
  for (int k = 0; k < K; k++)
    for (int b = 0; b < B; b++) read_out(out, prob, maps, k, b, K, h, w, B, temperature);
}

// d map_i = p_i ((gx_i - E x) dx + (gy_i - E y) dy) / temperature.
void spatial_softmax_backward(float *dmaps, const float *dout, const float *out, const float *prob, int K, int h, int w,
                              int B, float temperature) {
  const int n = h * w;
#pragma omp parallel for schedule(static)
  for (int k = 0; k < K; k++)
    for (int b = 0; b < B; b++) {
      const float *p = prob + (long)k * n * B + b;
      float *d = dmaps + (long)k * n * B + b;
      const long at = (long)b * 2 * K + 2 * k;
      const float ex = out[at], ey = out[at + 1], gx = dout[at], gy = dout[at + 1];
      for (int i = 0; i < n; i++)
        d[(long)i * B] += p[(long)i * B] * ((grid(i % w, w) - ex) * gx + (grid(i / w, h) - ey) * gy) / temperature;
    }
}
