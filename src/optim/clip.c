#include "optim/clip.h"

#include <math.h>
#include <stdlib.h>

#define CLIP_CHUNK 4096L
#define CLIP_STACK_CHUNKS 1024L

static double chunk_sumsq(const float *g, long lo, long hi) {
  double s = 0.0;
  for (long i = lo; i < hi; i++) s += (double)g[i] * (double)g[i];
  return s;
}

// Partial sums per chunk in parallel, then added in chunk order: the same bits for any
// thread count.
static double sum_of_squares(const float *g, long n) {
  long nchunks = (n + CLIP_CHUNK - 1) / CLIP_CHUNK;
  double stack[CLIP_STACK_CHUNKS];
  double *part = nchunks <= CLIP_STACK_CHUNKS ? stack : malloc((size_t)nchunks * sizeof *part);
  if (!part) {  // no memory for partials: the same chunked sum, serially
    double total = 0.0;
    for (long c = 0; c < nchunks; c++) {
      long hi = (c + 1) * CLIP_CHUNK;
      total += chunk_sumsq(g, c * CLIP_CHUNK, hi < n ? hi : n);
    }
    return total;
  }
#pragma omp parallel for schedule(static) if (nchunks > 8)
  for (long c = 0; c < nchunks; c++) {
    long hi = (c + 1) * CLIP_CHUNK;
    part[c] = chunk_sumsq(g, c * CLIP_CHUNK, hi < n ? hi : n);
  }
  double total = 0.0;
  for (long c = 0; c < nchunks; c++) total += part[c];
  if (part != stack) free(part);
  return total;
}

double grad_norm(const float *g, long n) { return sqrt(sum_of_squares(g, n)); }

double clip_grad_norm(float *g, long n, double max_norm) {
  double norm = grad_norm(g, n);
  double scale = max_norm / (norm + 1e-6);
  if (!isfinite(norm) || !(scale < 1.0)) return norm;
  const float s = (float)scale;
#pragma omp parallel for simd schedule(static) if (n > 32768)
  for (long i = 0; i < n; i++) g[i] *= s;
  return norm;
}
