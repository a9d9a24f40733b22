#include "nn/group_norm.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>

// Work is split over (group, range of batch items): with batch innermost each range is a
// column range of every row. Ranges are as wide as the thread count allows (the whole
// batch when there are as many groups as threads: rows are then read contiguously), so a
// network with few groups (an image encoder's first layers have one) still spreads over
// threads. Per batch item every sum runs over the group's rows in the same order whatever
// the split, so results do not depend on it.
static int batch_ranges(int G, int B) {
  int threads = omp_get_max_threads(), ranges = (threads + G - 1) / G, most = (B + 15) / 16;
  return ranges < 1 ? 1 : ranges > most ? most : ranges;
}

// Per batch item in [b0, b1): mean and rstd of one group, rows of width B (a row = one (c, t)).
static void group_stats(float *mean, float *rstd, const float *x, long rows, int B, int b0, int b1, float eps) {
  double *sum = calloc((size_t)(b1 - b0), sizeof *sum), *sq = calloc((size_t)(b1 - b0), sizeof *sq);
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
  free(sum), free(sq);
}

void group_norm_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                        int C, int T, int B, int G, float eps) {
  const int cg = C / G, ranges = batch_ranges(G, B), width = (B + ranges - 1) / ranges;
  const long group_size = (long)cg * T * B;
#pragma omp parallel for schedule(static)
  for (int task = 0; task < G * ranges; task++) {
    const int g = task / ranges, b0 = task % ranges * width, b1 = b0 + width < B ? b0 + width : B;
    if (b0 >= b1) continue;
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
  const int cg = C / G, ranges = batch_ranges(G, B), width = (B + ranges - 1) / ranges;
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
  for (int task = 0; task < G * ranges; task++) {
    const int g = task / ranges, b0 = task % ranges * width, b1 = b0 + width < B ? b0 + width : B;
    if (b0 >= b1) continue;
    const float *xg = x + g * group_size, *dyg = dy + g * group_size;
    const float *m = mean + (long)g * B, *s = rstd + (long)g * B;
    double *sum_dxhat = calloc((size_t)(b1 - b0), sizeof(double)), *sum_dxhat_xhat = calloc((size_t)(b1 - b0), sizeof(double));
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
    free(sum_dxhat), free(sum_dxhat_xhat);
  }
}
