// Finite-difference gradient checks for layers with explicit forward/backward.
// The scalar loss is L = sum(out * r) for a fixed random r, so backward is fed r.
// For each checked buffer, random coordinates are nudged by +-eps and the central
// difference of L (accumulated in double) is compared with the analytic gradient.
#pragma once
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "test.h"

typedef struct {
  const char *name;
  float *value, *grad;
  long n;
} GradBuffer;

typedef struct {
  void *ctx;
  float *out;  // written by forward
  long n_out;
  void (*forward)(void *ctx);
  void (*backward)(void *ctx, const float *dout);  // accumulates into every GradBuffer.grad
  GradBuffer *buffers;
  int n_buffers;
} GradCase;

static double gradcheck_loss(GradCase *gc, const float *r) {
  gc->forward(gc->ctx);
  double l = 0;
  for (long i = 0; i < gc->n_out; i++) l += (double)gc->out[i] * r[i];
  return l;
}

// Checks `probes` coordinates per buffer; returns the worst relative error seen.
static double gradcheck(const char *what, GradCase *gc, int probes, float eps, double tol) {
  float *r = malloc((size_t)gc->n_out * sizeof *r);
  rng_fill_normal(rng_make(7, 99), 0, r, gc->n_out);
  for (int j = 0; j < gc->n_buffers; j++) memset(gc->buffers[j].grad, 0, (size_t)gc->buffers[j].n * sizeof(float));
  gc->forward(gc->ctx);
  gc->backward(gc->ctx, r);
  double worst = 0;
  for (int j = 0; j < gc->n_buffers; j++) {
    GradBuffer *b = &gc->buffers[j];
    // Check the gradient is not trivially zero: its scale sets the absolute tolerance.
    double scale = 0;
    for (long i = 0; i < b->n; i++) scale = fmax(scale, fabs(b->grad[i]));
    CHECK(scale > 0, "%s: gradient of %s is all zero", what, b->name);
    for (int p = 0; p < probes && p < b->n; p++) {
      long i = b->n <= probes ? p : (long)(rng_u32(rng_make(11, j), p) % (uint32_t)b->n);
      float saved = b->value[i];
      b->value[i] = saved + eps;
      double lp = gradcheck_loss(gc, r);
      b->value[i] = saved - eps;
      double lm = gradcheck_loss(gc, r);
      b->value[i] = saved;
      double fd = (lp - lm) / (2.0 * eps), an = b->grad[i];
      double err = fabs(fd - an) / (fabs(fd) + fabs(an) + 0.05 * scale + 1e-12);
      if (err > worst) worst = err;
      CHECK(err <= tol, "%s: d/d %s[%ld]: finite difference %.6g, analytic %.6g (rel err %.3g)", what, b->name, i,
            fd, an, err);
    }
  }
  free(r);
  gc->forward(gc->ctx);
  return worst;
}
