#include "nn/group_norm.h"

#include <math.h>
#include <omp.h>
#include <stddef.h>

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

// Per-batch-item sums are kept on the stack for at most this many items at a time (a wider
// range is done in pieces; each item's sums are the same either way): no allocation, so an
// inference call through the runtime API allocates nothing here.
#define MAX_RANGE 512

// Per batch item in [b0, b1) (b1 - b0 <= MAX_RANGE): mean and rstd of one group, rows of
// width B (a row = one (c, t)).
static void group_stats_range(float *mean, float *rstd, const float *x, long rows, int B, int b0, int b1, float eps) {
  double sum[MAX_RANGE] = {0}, sq[MAX_RANGE] = {0};
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

static void group_stats(float *mean, float *rstd, const float *x, long rows, int B, int b0, int b1, float eps) {
  for (int a = b0; a < b1; a += MAX_RANGE) group_stats_range(mean, rstd, x, rows, B, a, b1 - a < MAX_RANGE ? b1 : a + MAX_RANGE, eps);
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

// Group g's input gradient for batch items [b0, b1) (b1 - b0 <= MAX_RANGE).
static void input_grad_range(float *dx, const float *dy, const float *x, const float *mean, const float *rstd,
                             const float *gamma, int cg, int T, int B, int g, int b0, int b1, double inv_n) {
  const long group_size = (long)cg * T * B;
  const float *xg = x + g * group_size, *dyg = dy + g * group_size;
  const float *m = mean + (long)g * B, *s = rstd + (long)g * B;
  double sum_dxhat[MAX_RANGE] = {0}, sum_dxhat_xhat[MAX_RANGE] = {0};
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

// dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), means over the group;
// dgamma, dbeta: sums over each channel's rows, one channel per task.
void group_norm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *mean,
                         const float *rstd, const float *gamma, int C, int T, int B, int G) {
  const int cg = C / G, ranges = batch_ranges(G, B), width = (B + ranges - 1) / ranges;
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
    for (int a = b0; a < b1; a += MAX_RANGE)
      input_grad_range(dx, dy, x, mean, rstd, gamma, cg, T, B, g, a, b1 - a < MAX_RANGE ? b1 : a + MAX_RANGE, inv_n);
  }
}

// ---------------------------------------------------------------- channels-last inference

// Sum over the interior of channels [c0, c0 + n) (n <= 16), of v or (v - m)^2: one
// double per channel lane, so the loop vectorises across channels (a single running sum
// could not be reordered), the lanes added in order at the end.
static double nhwc_lane_sum(const NhwcImage *x, int c0, int n, double m, int squares) {
  double lane[16] = {0};
  for (int y = 0; y < x->h; y++)
    for (int i = 0; i < x->w; i++) {
      const float *v = nhwc_at(x, y, i, c0);
      if (squares)
        for (int c = 0; c < n; c++) lane[c] += (v[c] - m) * (v[c] - m);
      else
        for (int c = 0; c < n; c++) lane[c] += v[c];
    }
  double sum = 0;
  for (int c = 0; c < n; c++) sum += lane[c];
  return sum;
}

// Mean and rstd of channels [c0, c0 + cg) over the interior, two passes in double like
// group_stats_range.
static void nhwc_group_stats(const NhwcImage *x, int c0, int cg, float eps, float *mean, float *rstd) {
  double sum = 0, sq = 0;
  for (int c = 0; c < cg; c += 16) sum += nhwc_lane_sum(x, c0 + c, cg - c < 16 ? cg - c : 16, 0, 0);
  const double n = (double)cg * x->h * x->w, m = sum / n;
  for (int c = 0; c < cg; c += 16) sq += nhwc_lane_sum(x, c0 + c, cg - c < 16 ? cg - c : 16, m, 1);
  *mean = (float)m, *rstd = (float)(1.0 / sqrt(sq / n + eps));
}

void group_norm_nhwc_forward(NhwcImage *x, const float *gamma, const float *beta, int G, float eps,
                             const NhwcImage *identity, int relu) {
  const int cg = x->c / G;
  for (int g = 0; g < G; g++) {
    float mean, rstd;
    nhwc_group_stats(x, g * cg, cg, eps, &mean, &rstd);
    for (int y = 0; y < x->h; y++)
      for (int i = 0; i < x->w; i++) {
        float *v = nhwc_at(x, y, i, g * cg);
        const float *id = identity ? nhwc_at(identity, y, i, g * cg) : NULL;
        for (int c = 0; c < cg; c++) {
          float o = (v[c] - mean) * rstd * gamma[g * cg + c] + beta[g * cg + c];
          if (id) o += id[c];
          v[c] = relu && !(o > 0.0f) ? 0.0f : o;
        }
      }
  }
}
