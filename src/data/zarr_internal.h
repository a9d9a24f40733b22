// Private to src/data/zarr*.c: the array handle and its chunk cache.
#pragma once
#include "data/zarr.h"

#define ZARR_CACHE_SLOTS 4

typedef struct {
  int64_t index;   // linear chunk index, -1 when empty
  uint64_t stamp;  // last use, for LRU eviction
  unsigned char *data;  // (chunk_elems,) of the stored dtype
} ZarrCacheSlot;

struct ZarrArray {
  char *dir;   // root/array_path
  char *name;  // array_path
  int ndim;
  int64_t shape[ZARR_MAX_DIMS], chunks[ZARR_MAX_DIMS], grid[ZARR_MAX_DIMS];  // grid: chunks per dim
  int64_t chunk_elems;
  size_t chunk_bytes;
  ZarrType dtype;
  size_t itemsize;
  char dtype_str[8];
  char compressor[64];
  int blosc;  // 0: chunks stored raw
  char sep;   // chunk key separator, '.' or '/'
  double fill;
  int fill_null, allow_missing;
  ZarrCacheSlot cache[ZARR_CACHE_SLOTS];
  uint64_t clock;
  unsigned char *raw;  // compressed bytes of the chunk being decoded
  size_t raw_cap;
};

// The array stored in directory `dir` that the .zarray text describes (zarr_open
// reads that text from dir/.zarray); name and origin (the text's source) appear in
// errors. NULL + odp_error() on failure.
ZarrArray *zarr_open_text(const char *dir, const char *name, const char *zarray_json, const char *origin);

// Formats the key of chunk `index` ("3.0" or "3/0") into buf. index is in
// [0, product of grid), so an array with a zero-length dimension has no keys.
void zarr_chunk_key(const ZarrArray *arr, int64_t index, char *buf, size_t cap);
