// What the golden tests share: tensors from the oracle's safetensors, relative errors, and
// a parameter table against PyTorch's (names, shapes, order).
#pragma once
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/params.h"
#include "io/safetensors.h"
#include "test.h"

// Tensor `name` of n floats; exits on a missing or mis-sized one (the oracle wrote them all).
static inline float *read_tensor(Safetensors *st, const char *name, long n) {
  float *x = malloc((size_t)n * sizeof *x);
  if (safetensors_read_f32(st, name, x, n)) {
    fprintf(stderr, "%s\n", odp_error());
    exit(1);
  }
  return x;
}

// ||a - b|| / max(||b||, floor): the floor keeps a tensor whose reference is (near) zero
// from turning float noise into a large relative error.
static inline double rel_error_floor(const float *a, const float *b, long n, double floor) {
  double num = 0, den = 0;
  for (long i = 0; i < n; i++) num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]), den += (double)b[i] * b[i];
  return sqrt(num) / fmax(sqrt(den), floor + 1e-30);
}

static inline double rel_error(const float *a, const float *b, long n) { return rel_error_floor(a, b, n, 0); }

static inline double norm(const float *x, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) s += (double)x[i] * x[i];
  return sqrt(s);
}

// A whole file as a NUL-terminated string (malloc'd), or NULL.
static inline char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  s[fread(s, 1, (size_t)n, f)] = 0;
  fclose(f);
  return s;
}

// t against the oracle's [[name, shape], ...] in PyTorch's state_dict order.
static inline void check_param_table(const char *what, const ParamTable *t, const cJSON *tensors) {
  CHECK(cJSON_GetArraySize(tensors) == t->count, "%s: %d tensors, PyTorch %d", what, t->count,
        cJSON_GetArraySize(tensors));
  for (int i = 0; i < t->count && i < cJSON_GetArraySize(tensors); i++) {
    const cJSON *item = cJSON_GetArrayItem(tensors, i), *shape = cJSON_GetArrayItem(item, 1);
    const ParamEntry *e = &t->entries[i];
    int same = !strcmp(e->name, cJSON_GetArrayItem(item, 0)->valuestring) && cJSON_GetArraySize(shape) == e->ndim;
    for (int k = 0; same && k < e->ndim; k++) same = (int)cJSON_GetArrayItem(shape, k)->valuedouble == e->shape[k];
    CHECK(same, "%s: tensor %d is %s, PyTorch has %s", what, i, e->name, cJSON_GetArrayItem(item, 0)->valuestring);
  }
}
