#include "nn/film.h"

#include <stdlib.h>

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

// Per channel, the (T, B) rows reduce into per-item sums first: demb rows are 2C apart,
// so accumulating into them element by element would touch B cache lines per product.
void film_backward(float *dh, float *demb, const float *dy, const float *h, const float *emb, int C, int T, int B,
                   int with_scale) {
  int width = with_scale ? 2 * C : C;
#pragma omp parallel if ((long)C * T * B > 65536)
  {
    // Per item: this channel's scale, and the sums of d scale and d bias.
    float *sc = malloc((size_t)B * sizeof *sc), *gs = malloc((size_t)B * sizeof *gs), *gb = malloc((size_t)B * sizeof *gb);
#pragma omp for schedule(static)
    for (int c = 0; c < C; c++) {
      for (int b = 0; b < B; b++) sc[b] = with_scale ? emb[(long)b * width + c] : 1.0f, gs[b] = gb[b] = 0;
      for (int t = 0; t < T; t++) {
        long row = ((long)c * T + t) * B;
        for (int b = 0; b < B; b++) {
          float g = dy[row + b];
          dh[row + b] += g * sc[b];
          gs[b] += g * h[row + b], gb[b] += g;
        }
      }
      for (int b = 0; b < B; b++) {
        float *de = demb + (long)b * width;
        if (with_scale) de[c] += gs[b], de[C + c] += gb[b];
        else de[c] += gb[b];
      }
    }
    free(sc), free(gs), free(gb);
  }
}
