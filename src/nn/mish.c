#include "nn/mish.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

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

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

static inline v8f select8(v8i mask, v8f a, v8f b) { return (v8f)((mask & (v8i)a) | (~mask & (v8i)b)); }

// exp(x) for x <= 20 (all Mish needs): 2^n * p(r), x = n ln2 + r, |r| <= ln2 / 2.
static inline v8f exp8(v8f x) {
  const v8f lo = {-87, -87, -87, -87, -87, -87, -87, -87};
  x = select8(x < lo, lo, x);
  v8f n = __builtin_convertvector(__builtin_convertvector(x * 1.44269504f + 128.5f, v8i), v8f) - 128.0f;  // floor
  v8f r = x - n * 0.693359375f + n * 2.12194440e-4f;
  v8f p = 1.9875691500e-4f * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f, p = p * r + 4.1665795894e-2f, p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * (v8f)((__builtin_convertvector(n, v8i) + 127) << 23);
}

// tanh(softplus(x)) = n / (n + 2) with n = e (e + 2); above 20 it is 1 in float.
static inline v8f mish8(v8f x) {
  const v8f hi = {20, 20, 20, 20, 20, 20, 20, 20};
  v8f e = exp8(select8(x < hi, x, hi)), m = e * (e + 2.0f);
  return x * (m / (m + 2.0f));
}

void mish_forward_vec(float *y, const float *x, long n) {
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    v8f v;
    memcpy(&v, x + i, sizeof v);
    v = mish8(v);
    memcpy(y + i, &v, sizeof v);
  }
  if (i < n) {  // the tail through one zero-padded vector
    v8f v = {0};
    memcpy(&v, x + i, (size_t)(n - i) * sizeof *x);
    v = mish8(v);
    memcpy(y + i, &v, (size_t)(n - i) * sizeof *y);
  }
}
