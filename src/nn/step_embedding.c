#include "nn/step_embedding.h"

#include <math.h>

// PyTorch computes the frequencies and the products in float32; so do we, to agree bit-for-bit.
static inline float step_frequency(int i, int half) {
  return expf((float)i * -(float)(log(10000.0) / (half - 1)));
}

void step_embedding_forward(float *emb, const float *t, int B, int dim) {
  int half = dim / 2;
  for (int b = 0; b < B; b++)
    for (int i = 0; i < half; i++) {
      float arg = t[b] * step_frequency(i, half);
      emb[(long)b * dim + i] = sinf(arg);
      emb[(long)b * dim + half + i] = cosf(arg);
    }
}

void step_embedding_backward(float *dt, const float *demb, const float *t, int B, int dim) {
  int half = dim / 2;
  for (int b = 0; b < B; b++) {
    double acc = 0;
    for (int i = 0; i < half; i++) {
      float f = step_frequency(i, half), arg = t[b] * f;
      acc += demb[(long)b * dim + i] * f * cosf(arg) - demb[(long)b * dim + half + i] * f * sinf(arg);
    }
    dt[b] += (float)acc;
  }
}
