#include "nn/norm_mish_film.h"

#include <math.h>
#include <stddef.h>

#include "core/parallel.h"
#include "nn/mish.h"

#define LANES 8  // partial sums: the adds vectorise and no single chain waits on the last

// Sum of x[i * stride] over i < n.
static float strided_sum(const float *x, long n, int stride) {
  float acc[LANES] = {0}, s = 0;
  long i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int j = 0; j < LANES; j++) acc[j] += x[(i + j) * stride];
  for (; i < n; i++) s += x[i * stride];
  for (int j = 0; j < LANES; j++) s += acc[j];
  return s;
}

// Sum of (x[i * stride] - m)^2 over i < n.
static float strided_sq_dev(const float *x, long n, int stride, float m) {
  float acc[LANES] = {0}, s = 0;
  long i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int j = 0; j < LANES; j++) acc[j] += (x[(i + j) * stride] - m) * (x[(i + j) * stride] - m);
  for (; i < n; i++) s += (x[i * stride] - m) * (x[i * stride] - m);
  for (int j = 0; j < LANES; j++) s += acc[j];
  return s;
}

// Mean and 1/std of each batch item's `rows` values in a (rows, B) slab (two passes, as PyTorch).
static void slab_stats(float *mean, float *rstd, const float *x, long rows, int B, float eps) {
  for (int b = 0; b < B; b++) {
    float m = strided_sum(x + b, rows, B) / (float)rows;
    mean[b] = m, rstd[b] = 1.0f / sqrtf(strided_sq_dev(x + b, rows, B, m) / (float)rows + eps);
  }
}

// x (T, B) of one channel = (x - mean) rstd gamma + beta, per batch item.
static void normalize_row(float *restrict x, const float *restrict mean, const float *restrict rstd, float gamma,
                          float beta, int T, int B) {
  if (B == 1) {
    float a = rstd[0] * gamma, c = beta - mean[0] * a;
    for (int t = 0; t < T; t++) x[t] = x[t] * a + c;
    return;
  }
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) x[t * B + b] = (x[t * B + b] - mean[b]) * rstd[b] * gamma + beta;
}

// FiLM on one channel's (T, B) row: scale * x + bias per batch item (scale NULL: bias only).
static void film_row(float *restrict x, const float *restrict scale, const float *restrict bias, int T, int B) {
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) x[t * B + b] = (scale ? scale[b] * x[t * B + b] : x[t * B + b]) + bias[b];
}

// GroupNorm of group g of y (C, T, B) in place; its stats to mean, rstd (G x B).
static void norm_group(float *y, const float *gamma, const float *beta, int g, int cg, int T, int B, float eps,
                       float *mean, float *rstd) {
  const long rows = (long)cg * T;  // rows of B values per group
  float *yg = y + g * rows * B, *m = mean + (long)g * B, *s = rstd + (long)g * B;
  slab_stats(m, s, yg, rows, B, eps);
  for (int c = 0; c < cg; c++) normalize_row(yg + (long)c * T * B, m, s, gamma[g * cg + c], beta[g * cg + c], T, B);
}

void norm_mish_film_forward(float *y, const float *gamma, const float *beta, int C, int T, int B, int G, float eps,
                            float *mean, float *rstd, const float *film, int with_scale) {
  const int cg = C / G;
  if (odp_go_parallel((long)C * T * B > 65536)) {
#pragma omp parallel for schedule(static)
    for (int g = 0; g < G; g++) norm_group(y, gamma, beta, g, cg, T, B, eps, mean, rstd);
  } else {
    for (int g = 0; g < G; g++) norm_group(y, gamma, beta, g, cg, T, B, eps, mean, rstd);
  }
  mish_forward_vec(y, y, (long)C * T * B);
  if (!film) return;
  const float *bias = with_scale ? film + (long)C * B : film;
  for (int c = 0; c < C; c++)
    film_row(y + (long)c * T * B, with_scale ? film + (long)c * B : NULL, bias + (long)c * B, T, B);
}
