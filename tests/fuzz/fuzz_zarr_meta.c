// libFuzzer: the zarr v2 .zarray parser (shape, chunks, dtype, compressor, fill_value,
// order, filters, dimension_separator) on arbitrary text, then the chunk geometry:
// with no chunk files at all and missing chunks allowed, reading rows fills them from
// fill_value, so every element of the output must come out equal to it.
#include <math.h>

#include "core/error.h"
#include "data/zarr_internal.h"
#include "fuzz.h"

#define MAX_OUT 4096           // elements read per input
#define MAX_CHUNK (64 << 10)   // bytes of one decoded chunk

static int same(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

// Rows [row0, row0 + n) as f64: each must equal the fill value (it was a sentinel).
static void check_filled(ZarrArray *a, int64_t row0, int64_t n, double fill) {
  static double out[MAX_OUT];
  int64_t elems = n * zarr_row_elems(a);
  const double sentinel = same(fill, 1234.5) ? -1234.5 : 1234.5;
  for (int64_t i = 0; i < elems; i++) out[i] = sentinel;
  if (zarr_read_rows(a, row0, n, ZARR_F64, out) != ODP_OK) return;
  double want = zarr_dtype(a) == ZARR_F32 ? (double)(float)fill : fill;
  for (int64_t i = 0; i < elems; i++)
    FUZZ_CHECK(same(out[i], want), "row %lld + element %lld: %g, fill %g", (long long)row0, (long long)i, out[i], want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_part(data, size, 0, NULL);
  ZarrArray *a = zarr_open_text("/nonexistent/onedp-fuzz", "fuzz", text, "fuzz.zarray");
  free(text);
  if (!a) return 0;
  char key[256];
  // Keys of the first and the last chunk. The chunk count saturates at 2^40 (a zero-length
  // dimension after two huge ones would overflow the product): a valid index all the same.
  const int64_t cap = 1LL << 40;
  int64_t n_chunks = 1;
  int empty = 0;  // a zero-length dimension: no chunk exists, none has a key
  for (int d = 0; d < zarr_ndim(a); d++) {
    FUZZ_CHECK(zarr_shape(a)[d] >= 0 && zarr_chunks(a)[d] >= 1, "dim %d", d);
    empty |= a->grid[d] == 0;
    if (!empty && (__builtin_mul_overflow(n_chunks, a->grid[d], &n_chunks) || n_chunks > cap)) n_chunks = cap;
  }
  if (!empty) {
    zarr_chunk_key(a, 0, key, sizeof key);
    zarr_chunk_key(a, n_chunks - 1, key, sizeof key);
  }
  zarr_compressor_str(a), zarr_dtype_str(a);
  int fill_null;
  double fill = zarr_fill_value(a, &fill_null);
  zarr_allow_missing_chunks(a, 1);
  int64_t re = zarr_row_elems(a), rows = zarr_rows(a);
  if (!fill_null && a->chunk_bytes <= MAX_CHUNK && re > 0 && re <= MAX_OUT) {
    int64_t n = MAX_OUT / re < rows ? MAX_OUT / re : rows;
    check_filled(a, 0, n, fill);
    check_filled(a, rows - n, n, fill);  // the last rows: a partial last chunk
  }
  zarr_close(a);
  return 0;
}
