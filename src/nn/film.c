#include "nn/film.h"

void film_forward(float *y, const float *h, const float *emb, int C, int T, int B, int with_scale) {
  int width = with_scale ? 2 * C : C;
#pragma omp parallel for schedule(static) if ((long)C * T * B > 65536)
  for (int c = 0; c < C; c++)
    for (int t = 0; t < T; t++) {
      long row = ((long)c * T + t) * B;
      for (int b = 0; b < B; b++) {
        const float *e = emb + (long)b * width;
        float scale = with_scale ? e[c] : 1.0f, bias = with_scale ? e[C + c] : e[c];
        y[row + b] = scale * h[row + b] + bias;
      }
    }
}

void film_backward(float *dh, float *demb, const float *dy, const float *h, const float *emb, int C, int T, int B,
                   int with_scale) {
  int width = with_scale ? 2 * C : C;
#pragma omp parallel for schedule(static) if ((long)C * T * B > 65536)
  for (int c = 0; c < C; c++)
    for (int t = 0; t < T; t++) {
      long row = ((long)c * T + t) * B;
      for (int b = 0; b < B; b++) {
        float *de = demb + (long)b * width;
        float g = dy[row + b];
        if (with_scale) {
          dh[row + b] += g * emb[(long)b * width + c];
          de[c] += g * h[row + b];
          de[C + c] += g;
        } else {
          dh[row + b] += g;
          de[c] += g;
        }
      }
    }
}
