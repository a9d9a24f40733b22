#include "nn/group_norm.h"

#include <math.h>
#include <stdlib.h>

// Per batch item mean and rstd of one group: rows [r0, r1) of width B (a row = one (c, t)).
static void group_stats(float *mean, float *rstd, const float *x, long rows, int B, float eps) {
  double *sum = calloc((size_t)B, sizeof *sum), *sq = calloc((size_t)B, sizeof *sq);
  for (long r = 0; r < rows; r++)
    for (int b = 0; b < B; b++) sum[b] += x[r * B + b];
  for (int b = 0; b < B; b++) sum[b] /= (double)rows;
  for (long r = 0; r < rows; r++)
    for (int b = 0; b < B; b++) {
      double d = x[r * B + b] - sum[b];
      sq[b] += d * d;
    }
  for (int b = 0; b < B; b++) {
    mean[b] = (float)sum[b];
    rstd[b] = (float)(1.0 / sqrt(sq[b] / (double)rows + eps));
  }
  free(sum), free(sq);
}

void group_norm_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                        int C, int T, int B, int G, float eps) {
  int cg = C / G;
  long group_size = (long)cg * T * B;
#pragma omp parallel for schedule(static)
  for (int g = 0; g < G; g++) {
    const float *xg = x + g * group_size;
    float *yg = y + g * group_size, *m = mean + (long)g * B, *s = rstd + (long)g * B;
    group_stats(m, s, xg, (long)cg * T, B, eps);
    for (int c = 0; c < cg; c++) {
      float ga = gamma[g * cg + c], be = beta[g * cg + c];
      for (int t = 0; t < T; t++) {
        long row = ((long)c * T + t) * B;
        for (int b = 0; b < B; b++) yg[row + b] = (xg[row + b] - m[b]) * s[b] * ga + be;
      }
    }
  }
}

// dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), means over the group.
void group_norm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *mean,
                         const float *rstd, const float *gamma, int C, int T, int B, int G) {
  int cg = C / G;
  long group_size = (long)cg * T * B;
  double inv_n = 1.0 / ((double)cg * T);
#pragma omp parallel for schedule(static)
  for (int g = 0; g < G; g++) {
    const float *xg = x + g * group_size, *dyg = dy + g * group_size;
    const float *m = mean + (long)g * B, *s = rstd + (long)g * B;
    double *sum_dxhat = calloc((size_t)B, sizeof(double)), *sum_dxhat_xhat = calloc((size_t)B, sizeof(double));
    for (int c = 0; c < cg; c++) {
      float ga = gamma[g * cg + c];
      double dga = 0, dbe = 0;
      for (long r = (long)c * T; r < (long)(c + 1) * T; r++)
        for (int b = 0; b < B; b++) {
          float xhat = (xg[r * B + b] - m[b]) * s[b], d = dyg[r * B + b];
          dga += d * xhat, dbe += d;
          sum_dxhat[b] += d * ga, sum_dxhat_xhat[b] += d * ga * xhat;
        }
      dgamma[g * cg + c] += (float)dga;
      dbeta[g * cg + c] += (float)dbe;
    }
    if (dx) {
      float *dxg = dx + g * group_size;
      for (int c = 0; c < cg; c++) {
        float ga = gamma[g * cg + c];
        for (long r = (long)c * T; r < (long)(c + 1) * T; r++)
          for (int b = 0; b < B; b++) {
            float xhat = (xg[r * B + b] - m[b]) * s[b];
            double v = dyg[r * B + b] * ga - sum_dxhat[b] * inv_n - xhat * sum_dxhat_xhat[b] * inv_n;
            dxg[r * B + b] += (float)(s[b] * v);
          }
      }
    }
    free(sum_dxhat), free(sum_dxhat_xhat);
  }
}
