// Reader for the oracle files that tests/ref/*.py write with refbin.py:
//   "ODPREF1\n", then records of (u32 name length, name, u64 count, count f64).
// Tests load the whole file once and look arrays up by name.
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char name[64];
  long count;
  double *data;
} RefArray;

typedef struct {
  RefArray *arrays;
  int count;
} RefFile;

// Loads $ONEDP_BUILD/ref/<file>; returns 0 on success, prints why and returns -1 if not.
static int ref_load(RefFile *rf, const char *file) {
  const char *build = getenv("ONEDP_BUILD");
  char path[1024];
  snprintf(path, sizeof path, "%s/ref/%s", build ? build : "build", file);
  memset(rf, 0, sizeof *rf);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open oracle file %s (run its tests/ref script first)\n", path);
    return -1;
  }
  char magic[8];
  if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "ODPREF1\n", 8) != 0) {
    fprintf(stderr, "%s: not an oracle file\n", path);
    fclose(f);
    return -1;
  }
  for (;;) {
    uint32_t len;
    uint64_t n;
    if (fread(&len, 4, 1, f) != 1) break;
    RefArray a = {0};
    if (len >= sizeof a.name || fread(a.name, 1, len, f) != len || fread(&n, 8, 1, f) != 1 ||
        n > (1ull << 32)) {
      fprintf(stderr, "%s: bad record\n", path);
      fclose(f);
      return -1;
    }
    a.count = (long)n;
    a.data = malloc((n ? n : 1) * sizeof(double));
    if (!a.data || fread(a.data, 8, n, f) != n) {
      fprintf(stderr, "%s: truncated array %s\n", path, a.name);
      fclose(f);
      return -1;
    }
    rf->arrays = realloc(rf->arrays, (size_t)(rf->count + 1) * sizeof a);
    rf->arrays[rf->count++] = a;
  }
  fclose(f);
  return 0;
}

// The array called `name`, or NULL (with a message) when absent or not `count` long
// (count < 0: any length).
static const double *ref_get(const RefFile *rf, const char *name, long count) {
  for (int i = 0; i < rf->count; i++) {
    if (strcmp(rf->arrays[i].name, name) != 0) continue;
    if (count >= 0 && rf->arrays[i].count != count) {
      fprintf(stderr, "oracle array %s has %ld values, expected %ld\n", name, rf->arrays[i].count,
              count);
      return NULL;
    }
    return rf->arrays[i].data;
  }
  fprintf(stderr, "oracle array %s missing\n", name);
  return NULL;
}

static long ref_count(const RefFile *rf, const char *name) {
  for (int i = 0; i < rf->count; i++)
    if (strcmp(rf->arrays[i].name, name) == 0) return rf->arrays[i].count;
  return -1;
}

static void ref_free(RefFile *rf) {
  for (int i = 0; i < rf->count; i++) free(rf->arrays[i].data);
  free(rf->arrays);
  memset(rf, 0, sizeof *rf);
}

// A malloc'd float copy of oracle values (the C code under test works in float32).
static float *to_float(const double *d, long n) {
  float *f = malloc((size_t)n * sizeof *f);
  for (long i = 0; i < n; i++) f[i] = (float)d[i];
  return f;
}
