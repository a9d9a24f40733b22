// safetensors files: an 8-byte little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "string", ...}}
// then the tensor bytes (little-endian), offsets relative to the end of the header.
//
// Files come from elsewhere, so the reader validates the whole header when the file
// is opened (lengths, dtypes, shapes, offsets in range and not overlapping) and every
// error names the file and, where there is one, the tensor. Writers replace the file
// atomically: readers see the old file or the complete new one, never a partial one.
#pragma once
#include "core/params.h"

typedef enum {
  ST_F32 = 0,
  ST_F16,
  ST_BF16,
  ST_F64,
  ST_I64,
  ST_I32,
  ST_I16,
  ST_I8,
  ST_U8,
  ST_BOOL,
} SafetensorsDtype;

#define ST_MAX_DIMS 8  // more dims in a file is an error at open

const char *safetensors_dtype_name(SafetensorsDtype dtype);  // "F32", "BF16", ...
int safetensors_dtype_size(SafetensorsDtype dtype);          // bytes per element

// ---- Model checkpoints ----

// Writes every table entry, in table order, with its PyTorch name, shape and layout
// (converted from the buffer's storage layout), as F32, F16 or BF16 (round to nearest
// even). Metadata: "format": "pt" and, when config_json is not NULL, "config": it
// (which must be valid JSON).
int safetensors_save_params(const char *path, const ParamTable *table, const float *buffer,
                            const char *config_json, SafetensorsDtype dtype);

// Loads every table entry into buffer (converted to its storage layout). The file must
// hold exactly the table's tensors with exactly their shapes, and finite values; on any
// error buffer is left untouched. When config_json_out is not NULL it receives a malloc'd
// copy of the "config" metadata string, or NULL when the file has none.
int safetensors_load_params(const char *path, const ParamTable *table, float *buffer,
                            char **config_json_out);

// ---- Writing arbitrary tensors (goldens, exports) ----

typedef struct SafetensorsWriter SafetensorsWriter;

// NULL (with odp_error set) on failure. dtype is F32, F16 or BF16.
SafetensorsWriter *safetensors_writer_new(const char *path, SafetensorsDtype dtype);
// Copies the data (numel = product of shape; ndim 0 is a scalar). Names must be unique.
int safetensors_writer_add(SafetensorsWriter *w, const char *name, int ndim, const int *shape,
                           const float *data);
int safetensors_writer_set_metadata(SafetensorsWriter *w, const char *key, const char *value);
// Writes the file atomically and frees w (also on failure).
int safetensors_writer_finish(SafetensorsWriter *w);
// Frees w without writing anything.
void safetensors_writer_abort(SafetensorsWriter *w);

// ---- Reading ----

typedef struct Safetensors Safetensors;

// Reads and validates the whole header; NULL (with odp_error set) on failure.
Safetensors *safetensors_open(const char *path);
void safetensors_close(Safetensors *st);

const char *safetensors_path(const Safetensors *st);
int safetensors_count(const Safetensors *st);
const char *safetensors_name(const Safetensors *st, int i);  // in header order
int safetensors_find(const Safetensors *st, const char *name);  // index, or -1
SafetensorsDtype safetensors_dtype(const Safetensors *st, int i);
int safetensors_ndim(const Safetensors *st, int i);
const long *safetensors_shape(const Safetensors *st, int i);  // ndim entries
long safetensors_numel(const Safetensors *st, int i);
// The metadata value for key, or NULL when absent. Valid until safetensors_close.
const char *safetensors_metadata(const Safetensors *st, const char *key);

// Reads tensor `name` into out as floats (any dtype above; F16/BF16 exact, including
// subnormals, inf and NaN). numel must equal the tensor's element count.
int safetensors_read_f32(Safetensors *st, const char *name, float *out, long numel);

// safetensors_load_params on a file already open: its metadata and its tensors then
// come from the same file even if the path is replaced meanwhile (checkpoints are
// rewritten by rename while a run trains).
int safetensors_read_params(Safetensors *st, const ParamTable *table, float *buffer);
