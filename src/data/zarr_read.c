// zarr v2 chunk access: load (raw or libblosc), LRU cache, and row reads with
// dtype conversion.
#include <blosc.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/zarr_internal.h"

#define KEY_CAP 256

// Reads the chunk file into a->raw. *missing = 1 (and OK) when it does not exist.
static int read_chunk_file(ZarrArray *a, const char *key, size_t *len, int *missing) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s/%s", a->dir, key) >= (int)sizeof path) return odp_fail("path too long");
  FILE *f = fopen(path, "rb");
  *missing = !f && errno == ENOENT;
  if (!f) return *missing ? ODP_OK : odp_fail("%s: %s", path, strerror(errno));
  // A valid file is at most chunk_bytes (+ blosc overhead); read one byte more to detect excess.
  size_t limit = a->chunk_bytes + (a->blosc ? BLOSC_MAX_OVERHEAD : 0) + 1;
  if (a->raw_cap < limit) {
    free(a->raw);
    a->raw_cap = 0;
    if (!(a->raw = odp_malloc(limit, "zarr compressed chunk"))) {
      fclose(f);
      return ODP_ERR;
    }
    a->raw_cap = limit;
  }
  *len = fread(a->raw, 1, limit, f);
  int err = ferror(f);
  fclose(f);
  if (err) return odp_fail("%s: read error", path);
  if (*len == limit) return odp_fail("file is larger than a chunk of %zu bytes can be", a->chunk_bytes);
  return ODP_OK;
}

static int decode_blosc(ZarrArray *a, size_t len, unsigned char *dst) {
  if (len < BLOSC_MIN_HEADER_LENGTH) return odp_fail("truncated: %zu bytes, shorter than a blosc header", len);
  size_t nbytes = 0, cbytes = 0, blocksize = 0;
  blosc_cbuffer_sizes(a->raw, &nbytes, &cbytes, &blocksize);
  if (cbytes != len) return odp_fail("corrupt or truncated: blosc header says %zu compressed bytes, file has %zu", cbytes, len);
  if (nbytes != a->chunk_bytes)
    return odp_fail("size mismatch: decodes to %zu bytes, expected %zu (%lld elements of %s)", nbytes, a->chunk_bytes,
                    (long long)a->chunk_elems, a->dtype_str);
  if (blosc_cbuffer_validate(a->raw, len, &nbytes) < 0) return odp_fail("corrupt blosc header");
  int n = blosc_decompress_ctx(a->raw, dst, a->chunk_bytes, 1);
  if (n < 0 || (size_t)n != a->chunk_bytes) return odp_fail("corrupt: blosc decompression failed (code %d)", n);
  return ODP_OK;
}

static void fill_chunk(const ZarrArray *a, unsigned char *dst) {
  for (int64_t i = 0; i < a->chunk_elems; i++) {
    unsigned char *p = dst + (size_t)i * a->itemsize;
    if (a->dtype == ZARR_F32) *(float *)p = (float)a->fill;
    else if (a->dtype == ZARR_F64) *(double *)p = a->fill;
    else if (a->dtype == ZARR_I64) *(int64_t *)p = (int64_t)a->fill;
    else *p = (unsigned char)a->fill;
  }
}

// Decodes chunk `index` into dst (chunk_bytes).
static int load_chunk(ZarrArray *a, int64_t index, unsigned char *dst) {
  char key[KEY_CAP];
  zarr_chunk_key(a, index, key, sizeof key);
  size_t len = 0;
  int missing = 0, rc = read_chunk_file(a, key, &len, &missing);
  if (!rc && missing) {
    if (!a->allow_missing) rc = odp_fail("chunk file missing");
    else if (a->fill_null) rc = odp_fail("chunk file missing and fill_value is null");
    else fill_chunk(a, dst);
  } else if (!rc && a->blosc) {
    rc = decode_blosc(a, len, dst);
  } else if (!rc) {
    if (len != a->chunk_bytes) rc = odp_fail("size mismatch: %zu bytes, expected %zu", len, a->chunk_bytes);
    else memcpy(dst, a->raw, len);
  }
  if (rc) return odp_fail_context("zarr array '%s' (%s): chunk %s", a->name, a->dir, key);
  return ODP_OK;
}

// Returns the decoded chunk, from the cache or freshly loaded into the LRU slot.
static const unsigned char *get_chunk(ZarrArray *a, int64_t index) {
  ZarrCacheSlot *victim = &a->cache[0];
  for (int i = 0; i < ZARR_CACHE_SLOTS; i++) {
    ZarrCacheSlot *s = &a->cache[i];
    if (s->index == index) {
      s->stamp = ++a->clock;
      return s->data;
    }
    if (s->index < 0 || (victim->index >= 0 && s->stamp < victim->stamp)) victim = s;
  }
  if (!victim->data && !(victim->data = odp_malloc(a->chunk_bytes, "zarr chunk"))) return NULL;
  victim->index = -1;
  if (load_chunk(a, index, victim->data)) return NULL;
  victim->index = index;
  victim->stamp = ++a->clock;
  return victim->data;
}

// Copies n elements converting stored type st to out type ot (pairs pre-checked).
static void convert(const unsigned char *src, ZarrType st, unsigned char *dst, ZarrType ot, int64_t n) {
  if (st == ot) {
    memcpy(dst, src, (size_t)n * zarr_type_size(st));
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    double v;  // every stored value is exact in double except |i64| > 2^53, converted to f32/f64 anyway
    switch (st) {
      case ZARR_F32: v = ((const float *)src)[i]; break;
      case ZARR_F64: v = ((const double *)src)[i]; break;
      case ZARR_I64: v = (double)((const int64_t *)src)[i]; break;
      default: v = src[i]; break;
    }
    if (ot == ZARR_F32) ((float *)dst)[i] = (float)v;
    else if (ot == ZARR_F64) ((double *)dst)[i] = v;
    else ((int64_t *)dst)[i] = st == ZARR_I64 ? ((const int64_t *)src)[i] : (int64_t)src[i];
  }
}

static int conversion_ok(ZarrType st, ZarrType ot) {
  if (ot == ZARR_F32 || ot == ZARR_F64) return 1;
  if (ot == ZARR_I64) return st == ZARR_I64 || st == ZARR_U8;
  return ot == ZARR_U8 && st == ZARR_U8;
}

// Copies the part of chunk c (grid coordinates) inside rows [row0, row1) to out,
// whose row 0 is global row row0. Runs along the last dim are contiguous in both.
static void copy_chunk_region(const ZarrArray *a, const int64_t *c, const unsigned char *chunk, int64_t row0, int64_t row1,
                              ZarrType ot, unsigned char *out) {
  int nd = a->ndim;
  int64_t lo[ZARR_MAX_DIMS] = {0}, hi[ZARR_MAX_DIMS] = {0}, g[ZARR_MAX_DIMS] = {0};
  int rows_contiguous = 1;  // chunks span whole rows: one run for the chunk
  for (int d = 0; d < nd; d++) {
    lo[d] = c[d] * a->chunks[d];
    hi[d] = lo[d] + a->chunks[d] < a->shape[d] ? lo[d] + a->chunks[d] : a->shape[d];
    if (d && a->chunks[d] != a->shape[d]) rows_contiguous = 0;
  }
  if (lo[0] < row0) lo[0] = row0;
  if (hi[0] > row1) hi[0] = row1;
  size_t osize = zarr_type_size(ot);
  if (rows_contiguous) {
    int64_t re = zarr_row_elems(a);
    convert(chunk + (size_t)((lo[0] - c[0] * a->chunks[0]) * re) * a->itemsize, a->dtype,
            out + (size_t)((lo[0] - row0) * re) * osize, ot, (hi[0] - lo[0]) * re);
    return;
  }
  int64_t run = hi[nd - 1] - lo[nd - 1];
  for (int d = 0; d < nd; d++) g[d] = lo[d];
  for (;;) {
    int64_t ci = 0, oi = 0;  // element offsets in chunk and in out
    for (int d = 0; d < nd; d++) {
      ci = ci * a->chunks[d] + (g[d] - c[d] * a->chunks[d]);
      oi = oi * (d ? a->shape[d] : 1) + (d ? g[d] : g[d] - row0);
    }
    convert(chunk + (size_t)ci * a->itemsize, a->dtype, out + (size_t)oi * osize, ot, run);
    int d = nd - 2;
    while (d >= 0 && ++g[d] == hi[d]) g[d] = lo[d], d--;
    if (d < 0) return;
  }
}

int zarr_read_rows(ZarrArray *a, int64_t row0, int64_t nrows, ZarrType ot, void *out) {
  if ((unsigned)ot > ZARR_U8 || !conversion_ok(a->dtype, ot))
    return odp_fail("zarr array '%s': cannot read dtype %s as %s", a->name, a->dtype_str, zarr_type_name(ot));
  if (row0 < 0 || nrows < 0 || row0 > a->shape[0] || nrows > a->shape[0] - row0)
    return odp_fail("zarr array '%s': rows [%lld, %lld) outside [0, %lld)", a->name, (long long)row0,
                    (long long)row0 + nrows, (long long)a->shape[0]);
  if (nrows == 0 || zarr_row_elems(a) == 0) return ODP_OK;
  int64_t c[ZARR_MAX_DIMS] = {0};
  int nd = a->ndim;
  for (c[0] = row0 / a->chunks[0]; c[0] * a->chunks[0] < row0 + nrows; c[0]++) {
    for (int d = 1; d < nd; d++) c[d] = 0;
    for (;;) {
      int64_t index = 0;
      for (int d = 0; d < nd; d++) index = index * a->grid[d] + c[d];
      const unsigned char *chunk = get_chunk(a, index);
      if (!chunk) return ODP_ERR;
      copy_chunk_region(a, c, chunk, row0, row0 + nrows, ot, out);
      int d = nd - 1;
      while (d >= 1 && ++c[d] == a->grid[d]) c[d] = 0, d--;
      if (d < 1) break;
    }
  }
  return ODP_OK;
}
