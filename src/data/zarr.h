// A zarr v2 reader: .zarray metadata (cJSON), Blosc or uncompressed chunks
// (libblosc), C order, dtypes <f4 <f8 <i8 |u1. Chunks are decoded on demand
// and kept in a small per-array cache, so a 1.8 GB array streams in chunk-sized
// pieces. Every failure (missing file, bad JSON, corrupt chunk, size mismatch,
// unsupported dtype) is an error value naming the array and, where relevant,
// the chunk key; see core/error.h.
//
// Rows are indices along dimension 0; a row holds zarr_row_elems() elements
// (the product of shape[1:]) in C order. A ZarrArray is not thread-safe (its
// chunk cache is mutable): open one handle per thread.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define ZARR_MAX_DIMS 8

typedef enum { ZARR_F32, ZARR_F64, ZARR_I64, ZARR_U8 } ZarrType;

typedef struct ZarrArray ZarrArray;

// Opens the array at root/array_path (e.g. root = "x.zarr", array_path =
// "data/state"). Returns NULL and sets odp_error() on failure.
ZarrArray *zarr_open(const char *root, const char *array_path);
void zarr_close(ZarrArray *arr);

const char *zarr_name(const ZarrArray *arr);  // array_path as given to zarr_open
int zarr_ndim(const ZarrArray *arr);
const int64_t *zarr_shape(const ZarrArray *arr);   // (ndim,)
const int64_t *zarr_chunks(const ZarrArray *arr);  // (ndim,)
ZarrType zarr_dtype(const ZarrArray *arr);         // the stored type
const char *zarr_dtype_str(const ZarrArray *arr);  // as in .zarray, e.g. "<f4"
const char *zarr_compressor_str(const ZarrArray *arr);  // e.g. "blosc/zstd/5/shuffle=2", "none"
int64_t zarr_rows(const ZarrArray *arr);       // shape[0]
int64_t zarr_row_elems(const ZarrArray *arr);  // prod(shape[1:])

// fill_value from .zarray; *is_null set when it is null (NaN/Infinity strings accepted).
double zarr_fill_value(const ZarrArray *arr, int *is_null);
// A missing chunk file is an error by default (recorded datasets are dense, and
// a silently zero-filled episode is worse than a loud failure). Allowing it gives
// zarr's semantics: the chunk reads as fill_value (still an error if that is null).
void zarr_allow_missing_chunks(ZarrArray *arr, int allow);

// out: (nrows, row_elems) of out_type. Reads rows [row0, row0+nrows), converting
// from the stored dtype: any type converts to ZARR_F32/F64; to ZARR_I64 only
// integer types; to ZARR_U8 only |u1 (lossy conversions are refused, not guessed).
int zarr_read_rows(ZarrArray *arr, int64_t row0, int64_t nrows, ZarrType out_type, void *out);

size_t zarr_type_size(ZarrType t);
const char *zarr_type_name(ZarrType t);  // "f32", "f64", "i64", "u8"

// Lists the arrays below root (paths relative to root, e.g. "data/img"), sorted.
// *names is one malloc'd array of malloc'd strings; free with zarr_free_names.
int zarr_list_arrays(const char *root, char ***names, int *count);
void zarr_free_names(char **names, int count);
