#include "nn/group_norm.h"

#include <math.h>
#include <stdlib.h>

// Work is split over (group, chunk of batch items): with batch innermost each chunk is a
// column range of every row, so a network with few groups (an image encoder's first
// layers have one) still spreads over threads. Per batch item, every sum runs over the
// group's rows in the same order whatever the split, so results do not depend on it.
#define BATCH_CHUNK 16

// Per batch item in [b0, b1): mean and rstd of one group, rows of width B (a row = one (c, t)).
static void group_stats(float *mean, float *rstd, const float *x, long rows, int B, int b0, int b1, float eps) {
  double sum[BATCH_CHUNK] = {0}, sq[BATCH_CHUNK] = {0};
  for (long r = 0; r < rows; r++)
    for (int b = b0; b < b1; b++) sum[b - b0] += x[r * B + b];
  for (int b = b0; b < b1; b++) sum[b - b0] /= (double)rows;
  for (long r = 0; r < rows; r++)
    for (int b = b0; b < b1; b++) {
      double d = x[r * B + b] - sum[b - b0];
      sq[b - b0] += d * d;
    }
  for (int b = b0; b < b1; b++) {
    mean[b] = (float)sum[b - b0];
    rstd[b] = (float)(1.0 / sqrt(sq[b - b0] / (double)rows + eps));
  }
}

void group_norm_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                        int C, int T, int B, int G, float eps) {
  const int cg = C / G, chunks = (B + BATCH_CHUNK - 1) / BATCH_CHUNK;
  const long group_size = (long)cg * T * B;
#pragma omp parallel for schedule(static)
  for (int task = 0; task < G * chunks; task++) {
    const int g = task / chunks, b0 = task % chunks * BATCH_CHUNK, b1 = b0 + BATCH_CHUNK < B ? b0 + BATCH_CHUNK : B;
    const float *xg = x + g * group_size;
    float *yg = y + g * group_size, *m = mean + (long)g * B, *s = rstd + (long)g * B;
    group_stats(m, s, xg, (long)cg * T, B, b0, b1, eps);
    for (int c = 0; c < cg; c++) {
      float ga = gamma[g * cg + c], be = beta[g * cg + c];
      for (int t = 0; t < T; t++) {
        long row = ((long)c * T + t) * B;
        for (int b = b0; b < b1; b++) yg[row + b] = (xg[row + b] - m[b]) * s[b] * ga + be;
      }
    }
  }
}

// dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), means over the group;
// dgamma, dbeta: sums over each channel's rows, one channel per task.
void group_norm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *mean,
                         const float *rstd, const float *gamma, int C, int T, int B, int G) {
  const int cg = C / G, chunks = (B + BATCH_CHUNK - 1) / BATCH_CHUNK;
  const long group_size = (long)cg * T * B;
  const double inv_n = 1.0 / ((double)cg * T);
#pragma omp parallel for schedule(static)
  for (int ch = 0; ch < C; ch++) {
    const int g = ch / cg;
    const float *m = mean + (long)g * B, *s = rstd + (long)g * B;
    double dga = 0, dbe = 0;
    for (long r = (long)ch * T; r < (long)(ch + 1) * T; r++)
      for (int b = 0; b < B; b++) {
        float xhat = (x[r * B + b] - m[b]) * s[b], d = dy[r * B + b];
        dga += d * xhat, dbe += d;
      }
    dgamma[ch] += (float)dga;
    dbeta[ch] += (float)dbe;
  }
  if (!dx) return;
#pragma omp parallel for schedule(static)
  for (int task = 0; task < G * chunks; task++) {
    const int g = task / chunks, b0 = task % chunks * BATCH_CHUNK, b1 = b0 + BATCH_CHUNK < B ? b0 + BATCH_CHUNK : B;
    const float *xg = x + g * group_size, *dyg = dy + g * group_size;
    const float *m = mean + (long)g * B, *s = rstd + (long)g * B;
    double sum_dxhat[BATCH_CHUNK] = {0}, sum_dxhat_xhat[BATCH_CHUNK] = {0};
    for (int c = 0; c < cg; c++) {
      float ga = gamma[g * cg + c];
      for (long r = (long)c * T; r < (long)(c + 1) * T; r++)
        for (int b = b0; b < b1; b++) {
          float xhat = (xg[r * B + b] - m[b]) * s[b], d = dyg[r * B + b];
          sum_dxhat[b - b0] += d * ga, sum_dxhat_xhat[b - b0] += d * ga * xhat;
        }
    }
    float *dxg = dx + g * group_size;
    for (int c = 0; c < cg; c++) {
      float ga = gamma[g * cg + c];
      for (long r = (long)c * T; r < (long)(c + 1) * T; r++)
        for (int b = b0; b < b1; b++) {
          float xhat = (xg[r * B + b] - m[b]) * s[b];
          double v = dyg[r * B + b] * ga - sum_dxhat[b - b0] * inv_n - xhat * sum_dxhat_xhat[b - b0] * inv_n;
          dxg[r * B + b] += (float)(s[b] * v);
        }
    }
  }
}
