// The fused inference layer (nn/norm_mish_film.h) against the training layers it fuses:
// GroupNorm (nn/group_norm.h), Mish (nn/mish.h), FiLM (nn/film.h), on random inputs
// with and without FiLM scale, at batch 1 (the robot's path) and batch 5.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "nn/film.h"
#include "nn/group_norm.h"
#include "nn/mish.h"
#include "nn/norm_mish_film.h"
#include "test.h"

// Relative to the largest output: the fused layer sums statistics in another order and
// uses mish_forward_vec's polynomial exp (relative error ~2e-7).
static double fused_vs_unfused(int C, int T, int B, int G, int film_mode /* 0 none, 1 bias, 2 scale+bias */) {
  long n = (long)C * T * B;
  int width = film_mode == 2 ? 2 * C : C;
  float *x = malloc(n * 4), *ref = malloc(n * 4), *fused = malloc(n * 4), *gamma = malloc(C * 4), *beta = malloc(C * 4);
  float *emb = malloc((long)B * width * 4), *rows = malloc((long)B * width * 4);
  float *mean = malloc((long)G * B * 4), *rstd = malloc((long)G * B * 4);
  rng_fill_normal(rng_make(5, 1), 0, x, n);
  for (long i = 0; i < n; i++) x[i] = 3.0f * x[i] + 0.5f;  // off-centre, not unit scale
  rng_fill_normal(rng_make(5, 2), 0, gamma, C);
  rng_fill_normal(rng_make(5, 3), 0, beta, C);
  rng_fill_normal(rng_make(5, 4), 0, emb, (long)B * width);
  for (int b = 0; b < B; b++)  // the projection's output: (B, width) rows for film.h, (width, B) for the fused layer
    for (int r = 0; r < width; r++) rows[(long)r * B + b] = emb[(long)b * width + r];
  group_norm_forward(ref, mean, rstd, x, gamma, beta, C, T, B, G, 1e-5f);
  mish_forward(ref, ref, n);
  if (film_mode) film_forward(ref, ref, emb, C, T, B, film_mode == 2);
  for (long i = 0; i < n; i++) fused[i] = x[i];
  norm_mish_film_forward(fused, gamma, beta, C, T, B, G, 1e-5f, mean, rstd, film_mode ? rows : NULL, film_mode == 2);
  double worst = 0, top = 0;
  for (long i = 0; i < n; i++) worst = fmax(worst, fabs(fused[i] - ref[i])), top = fmax(top, fabs(ref[i]));
  free(x), free(ref), free(fused), free(gamma), free(beta), free(emb), free(rows), free(mean), free(rstd);
  return worst / top;
}

int main(void) {
  const int shapes[][4] = {{16, 16, 1, 8}, {64, 4, 1, 8}, {32, 8, 5, 4}, {256, 16, 1, 8}, {24, 3, 5, 3}, {1024, 4, 2, 8}};
  for (unsigned s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int mode = 0; mode < 3; mode++) {
      const int *d = shapes[s];
      double err = fused_vs_unfused(d[0], d[1], d[2], d[3], mode);
      CHECK(err < 2e-6, "C %d T %d B %d G %d film %d: fused differs by %g of the largest output", d[0], d[1], d[2],
            d[3], mode, err);
    }
  TEST_MAIN_END();
}
