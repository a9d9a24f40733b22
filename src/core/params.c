#include "core/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

long param_table_add(ParamTable *t, const char *name, int ndim, const int *shape, ParamLayout layout) {
  if (strlen(name) >= sizeof t->entries[0].name) return odp_fail("parameter name too long: %s", name);
  if (layout == LAYOUT_TAPS && ndim != 3) return odp_fail("parameter %s: tap layout needs 3 dims", name);
  if (t->count == t->capacity) {
    int cap = t->capacity ? 2 * t->capacity : 64;
    ParamEntry *e = realloc(t->entries, (size_t)cap * sizeof *e);
    if (!e) return odp_fail("out of memory growing parameter table");
    t->entries = e, t->capacity = cap;
  }
  ParamEntry *e = &t->entries[t->count++];
  memset(e, 0, sizeof *e);
  strcpy(e->name, name);
  e->ndim = ndim;
  memcpy(e->shape, shape, (size_t)ndim * sizeof *shape);
  e->numel = shape_numel(ndim, shape);
  e->offset = t->numel;
  e->layout = layout;
  t->numel += e->numel;
  return e->offset;
}

long param_table_add_in(ParamTable *t, const char *module, const char *suffix, int ndim, const int *shape,
                        ParamLayout layout) {
  char name[sizeof t->entries[0].name + 1];
  if (snprintf(name, sizeof name, "%s.%s", module, suffix) >= (int)sizeof name)
    return odp_fail("parameter name too long: %s.%s", module, suffix);
  return param_table_add(t, name, ndim, shape, layout);
}

const ParamEntry *param_table_find(const ParamTable *t, const char *name) {
  for (int i = 0; i < t->count; i++)
    if (strcmp(t->entries[i].name, name) == 0) return &t->entries[i];
  return NULL;
}

int param_table_trainable(const ParamTable *t, ParamSpan *spans, int max) {
  int n = 0;
  for (int i = 0; i < t->count; i++) {
    const ParamEntry *e = &t->entries[i];
    if (e->frozen) continue;
    if (n && spans[n - 1].offset + spans[n - 1].numel == e->offset) {
      spans[n - 1].numel += e->numel;
      continue;
    }
    if (n == max) return odp_fail("parameter table: more than %d trainable runs", max);
    spans[n++] = (ParamSpan){e->offset, e->numel};
  }
  return n;
}

long param_table_trainable_end(const ParamTable *t) {
  long end = 0;
  for (int i = 0; i < t->count; i++)
    if (!t->entries[i].frozen) end = t->entries[i].offset + t->entries[i].numel;
  return end;
}

void param_table_free(ParamTable *t) {
  free(t->entries);
  memset(t, 0, sizeof *t);
}

void param_to_pytorch(const ParamEntry *e, const float *stored, float *pytorch) {
  if (e->layout == LAYOUT_PLAIN) {
    memcpy(pytorch, stored, (size_t)e->numel * sizeof(float));
    return;
  }
  int A = e->shape[0], B = e->shape[1], K = e->shape[2];
  for (int k = 0; k < K; k++)
    for (int a = 0; a < A; a++)
      for (int b = 0; b < B; b++) pytorch[((long)a * B + b) * K + k] = stored[((long)k * A + a) * B + b];
}

void param_from_pytorch(const ParamEntry *e, const float *pytorch, float *stored) {
  if (e->layout == LAYOUT_PLAIN) {
    memcpy(stored, pytorch, (size_t)e->numel * sizeof(float));
    return;
  }
  int A = e->shape[0], B = e->shape[1], K = e->shape[2];
  for (int k = 0; k < K; k++)
    for (int a = 0; a < A; a++)
      for (int b = 0; b < B; b++) stored[((long)k * A + a) * B + b] = pytorch[((long)a * B + b) * K + k];
}
