#include "nn/mish.h"

#include <math.h>

// Above this softplus(x) == x and tanh == 1 in float (PyTorch's softplus threshold).
#define MISH_LINEAR_ABOVE 20.0f

static inline float mish_tanh_softplus(float x) {
  float e = expf(x), n = e * (e + 2.0f);
  return n / (n + 2.0f);
}

void mish_forward(float *y, const float *x, long n) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (long i = 0; i < n; i++) {
    float v = x[i];
    y[i] = v > MISH_LINEAR_ABOVE ? v : v * mish_tanh_softplus(v);
  }
}

// mish'(x) = tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2)
void mish_backward(float *dx, const float *dy, const float *x, long n) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (long i = 0; i < n; i++) {
    float v = x[i];
    if (v > MISH_LINEAR_ABOVE) {
      dx[i] += dy[i];
      continue;
    }
    float e = expf(v), nn = e * (e + 2.0f), th = nn / (nn + 2.0f);
    float sigmoid = e / (1.0f + e);
    dx[i] += dy[i] * (th + v * sigmoid * (1.0f - th * th));
  }
}
