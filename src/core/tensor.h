// A tensor is a view: a shape and a float pointer it does not own.
#pragma once

#define ODP_MAX_DIMS 4

typedef struct {
  float *data;
  int ndim;
  int shape[ODP_MAX_DIMS];
} Tensor;

static inline long shape_numel(int ndim, const int *shape) {
  long n = 1;
  for (int i = 0; i < ndim; i++) n *= shape[i];
  return n;
}

static inline long tensor_numel(const Tensor *t) { return shape_numel(t->ndim, t->shape); }

// "(2, 16, 8)" into buf; returns buf.
char *shape_str(int ndim, const int *shape, char *buf, int bufsize);
