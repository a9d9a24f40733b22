#include "io/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/le.h"

#define ST_MAX_HEADER (100ull << 20)  // the reference implementation's limit
#define ST_CHUNK 65536                // elements converted per read/write call

// ---------------------------------------------------------------------------
// dtypes and conversions (explicit little-endian, so the host's order is irrelevant)

static const struct {
  const char *name;
  int size;
} dtypes[] = {
    [ST_F32] = {"F32", 4}, [ST_F16] = {"F16", 2}, [ST_BF16] = {"BF16", 2}, [ST_F64] = {"F64", 8},
    [ST_I64] = {"I64", 8}, [ST_I32] = {"I32", 4}, [ST_I16] = {"I16", 2},  [ST_I8] = {"I8", 1},
    [ST_U8] = {"U8", 1},   [ST_BOOL] = {"BOOL", 1},
};
#define N_DTYPES ((int)(sizeof dtypes / sizeof dtypes[0]))

const char *safetensors_dtype_name(SafetensorsDtype d) {
  return (int)d >= 0 && (int)d < N_DTYPES ? dtypes[d].name : "?";
}
int safetensors_dtype_size(SafetensorsDtype d) { return (int)d >= 0 && (int)d < N_DTYPES ? dtypes[d].size : 0; }

static int dtype_parse(const char *s) {
  for (int i = 0; i < N_DTYPES; i++)
    if (strcmp(s, dtypes[i].name) == 0) return i;
  return -1;
}

static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static float bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0) {  // zero or subnormal: mant * 2^-24, exact in float
    float v = (float)mant * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  if (exp == 31) return bits_f32(sign | 0x7f800000u | mant << 13);  // inf, NaN (payload kept)
  return bits_f32(sign | (exp + 112) << 23 | mant << 13);
}

static uint16_t f32_to_f16(float f) {  // round to nearest even
  uint32_t x = f32_bits(f), sign = (x >> 16) & 0x8000, ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00);           // NaN stays NaN
  if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00);          // >= 65520 rounds to inf
  if (ax < 0x38800000u) return (uint16_t)(sign | lrintf(bits_f32(ax) * 16777216.0f));  // subnormal
  uint32_t h = ax - (112u << 23);
  h += 0xfff + ((h >> 13) & 1);
  return (uint16_t)(sign | h >> 13);
}

static uint16_t f32_to_bf16(float f) {  // round to nearest even
  uint32_t x = f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)(x >> 16 | 0x40);  // quiet NaN
  return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

static double f64_from_bits(uint64_t v) {
  double x;
  memcpy(&x, &v, 8);
  return x;
}

// n elements of dtype d (little-endian bytes) to floats; one loop per dtype so each vectorises.
static void decode(SafetensorsDtype d, const unsigned char *p, long n, float *out) {
  switch (d) {
    case ST_F32: for (long i = 0; i < n; i++) out[i] = bits_f32((uint32_t)le_load(p + 4 * i, 4)); break;
    case ST_F16: for (long i = 0; i < n; i++) out[i] = f16_to_f32((uint16_t)le_load(p + 2 * i, 2)); break;
    case ST_BF16: for (long i = 0; i < n; i++) out[i] = bits_f32((uint32_t)(p[2 * i] | p[2 * i + 1] << 8) << 16); break;
    case ST_F64: for (long i = 0; i < n; i++) out[i] = (float)f64_from_bits(le_load(p + 8 * i, 8)); break;
    case ST_I64: for (long i = 0; i < n; i++) out[i] = (float)(int64_t)le_load(p + 8 * i, 8); break;
    case ST_I32: for (long i = 0; i < n; i++) out[i] = (float)(int32_t)(uint32_t)le_load(p + 4 * i, 4); break;
    case ST_I16: for (long i = 0; i < n; i++) out[i] = (float)(int16_t)(uint16_t)le_load(p + 2 * i, 2); break;
    case ST_I8: for (long i = 0; i < n; i++) out[i] = (float)(int8_t)p[i]; break;
    case ST_U8: for (long i = 0; i < n; i++) out[i] = (float)p[i]; break;
    case ST_BOOL: for (long i = 0; i < n; i++) out[i] = p[i] ? 1.0f : 0.0f; break;
  }
}

static void encode(SafetensorsDtype d, const float *x, long n, unsigned char *out) {
  for (long i = 0; i < n; i++) {
    if (d == ST_F32) le_store(out + 4 * i, f32_bits(x[i]), 4);
    else if (d == ST_F16) le_store(out + 2 * i, f32_to_f16(x[i]), 2);
    else le_store(out + 2 * i, f32_to_bf16(x[i]), 2);
  }
}

// "(2, 16, 8)" for shapes held as longs.
static char *shape_str_long(int ndim, const long *shape, char *buf, int size) {
  int n = snprintf(buf, size, "(");
  for (int i = 0; i < ndim && n < size; i++) n += snprintf(buf + n, size - n, i ? ", %ld" : "%ld", shape[i]);
  if (n < size) snprintf(buf + n, size - n, ")");
  return buf;
}

// "file: tensor 'name': message" (names from a file may be long or hostile: truncated).
static int tensor_fail(const char *path, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int tensor_fail(const char *path, const char *name, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return odp_fail("%s: tensor '%.160s': %s", path, name, msg);
}

// ---------------------------------------------------------------------------
// Writing

typedef struct {
  char *name;
  int ndim;
  int shape[ST_MAX_DIMS];
  long numel;
  float *owned;             // the copy safetensors_writer_add made, if any
  const float *data;        // what is written
  const ParamEntry *param;  // convert from this storage layout, or NULL: already PyTorch's
} WriterTensor;

struct SafetensorsWriter {
  char *path;
  SafetensorsDtype dtype;
  WriterTensor *t;
  int count, capacity;
  cJSON *metadata;
};

SafetensorsWriter *safetensors_writer_new(const char *path, SafetensorsDtype dtype) {
  if (dtype != ST_F32 && dtype != ST_F16 && dtype != ST_BF16) {
    odp_fail("%s: cannot write dtype %s (F32, F16 or BF16 only)", path, safetensors_dtype_name(dtype));
    return NULL;
  }
  SafetensorsWriter *w = odp_calloc(1, sizeof *w, "safetensors writer");
  if (!w) return NULL;
  w->path = strdup(path);
  w->dtype = dtype;
  w->metadata = cJSON_CreateObject();
  if (!w->path || !w->metadata) {
    safetensors_writer_abort(w);
    odp_fail("%s: out of memory", path);
    return NULL;
  }
  return w;
}

void safetensors_writer_abort(SafetensorsWriter *w) {
  if (!w) return;
  for (int i = 0; i < w->count; i++) free(w->t[i].name), free(w->t[i].owned);
  free(w->t);
  cJSON_Delete(w->metadata);
  free(w->path);
  free(w);
}

// Appends a tensor without copying its data (which must outlive finish).
static int writer_push(SafetensorsWriter *w, const char *name, int ndim, const int *shape, const float *data,
                       const ParamEntry *param) {
  if (ndim < 0 || ndim > ST_MAX_DIMS) return tensor_fail(w->path, name, "%d dims (at most %d)", ndim, ST_MAX_DIMS);
  if (strcmp(name, "__metadata__") == 0) return tensor_fail(w->path, name, "reserved name");
  for (int i = 0; i < ndim; i++)
    if (shape[i] < 0) return tensor_fail(w->path, name, "negative dimension %d", shape[i]);
  for (int i = 0; i < w->count; i++)
    if (strcmp(w->t[i].name, name) == 0) return tensor_fail(w->path, name, "added twice");
  if (w->count == w->capacity) {
    int cap = w->capacity ? 2 * w->capacity : 64;
    WriterTensor *t = realloc(w->t, (size_t)cap * sizeof *t);
    if (!t) return odp_fail("%s: out of memory", w->path);
    w->t = t, w->capacity = cap;
  }
  WriterTensor *t = &w->t[w->count];
  memset(t, 0, sizeof *t);
  if (!(t->name = strdup(name))) return odp_fail("%s: out of memory", w->path);
  t->ndim = ndim;
  if (ndim) memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
  t->numel = shape_numel(ndim, shape);
  t->data = data;
  t->param = param;
  w->count++;
  return ODP_OK;
}

int safetensors_writer_add(SafetensorsWriter *w, const char *name, int ndim, const int *shape, const float *data) {
  if (writer_push(w, name, ndim, shape, data, NULL)) return ODP_ERR;
  WriterTensor *t = &w->t[w->count - 1];
  t->owned = odp_malloc((unsigned long)t->numel * sizeof(float), "safetensors tensor copy");
  if (!t->owned) {
    free(t->name);
    w->count--;
    return odp_fail_context("%s", w->path);
  }
  if (t->numel) memcpy(t->owned, data, (size_t)t->numel * sizeof(float));
  t->data = t->owned;
  return ODP_OK;
}

int safetensors_writer_set_metadata(SafetensorsWriter *w, const char *key, const char *value) {
  cJSON *s = cJSON_CreateString(value);
  if (!s) return odp_fail("%s: out of memory", w->path);
  if (cJSON_GetObjectItemCaseSensitive(w->metadata, key)) {
    cJSON_ReplaceItemInObjectCaseSensitive(w->metadata, key, s);
  } else {
    cJSON_AddItemToObject(w->metadata, key, s);
  }
  return ODP_OK;
}

// The JSON header, padded with spaces to a multiple of 8 bytes (so the data is aligned).
static char *writer_header(const SafetensorsWriter *w, uint64_t *len) {
  cJSON *root = cJSON_CreateObject();
  if (!root) return NULL;
  int ok = cJSON_GetArraySize(w->metadata) == 0 ||
           cJSON_AddItemToObject(root, "__metadata__", cJSON_Duplicate(w->metadata, 1));
  uint64_t offset = 0, esize = (uint64_t)dtypes[w->dtype].size;
  for (int i = 0; i < w->count && ok; i++) {
    const WriterTensor *t = &w->t[i];
    double range[2] = {(double)offset, (double)(offset + (uint64_t)t->numel * esize)};
    cJSON *e = cJSON_AddObjectToObject(root, t->name);
    ok = e && cJSON_AddStringToObject(e, "dtype", dtypes[w->dtype].name) &&
         cJSON_AddItemToObject(e, "shape", cJSON_CreateIntArray(t->shape, t->ndim)) &&
         cJSON_AddItemToObject(e, "data_offsets", cJSON_CreateDoubleArray(range, 2));
    offset += (uint64_t)t->numel * esize;
  }
  char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  if (!json) return NULL;
  size_t n = strlen(json), padded = (n + 7) & ~(size_t)7;
  char *out = realloc(json, padded + 1);
  if (!out) return free(json), NULL;
  memset(out + n, ' ', padded - n);
  out[padded] = 0;
  *len = padded;
  return out;
}

static int write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return ODP_ERR;
    p += k, n -= (size_t)k;
  }
  return ODP_OK;
}

// One tensor in PyTorch layout, converted chunk by chunk to the file's dtype.
static int write_tensor(int fd, const WriterTensor *t, SafetensorsDtype dtype, unsigned char *bytes) {
  const float *src = t->data;
  float *pytorch = NULL;
  if (t->param && t->param->layout != LAYOUT_PLAIN) {
    pytorch = malloc((size_t)t->numel * sizeof(float));
    if (!pytorch) return odp_fail("out of memory converting tensor '%s'", t->name);
    param_to_pytorch(t->param, t->data, pytorch);
    src = pytorch;
  }
  int esize = dtypes[dtype].size, rc = ODP_OK;
  for (long i = 0; i < t->numel && rc == ODP_OK; i += ST_CHUNK) {
    long n = t->numel - i < ST_CHUNK ? t->numel - i : ST_CHUNK;
    encode(dtype, src + i, n, bytes);
    if (write_all(fd, bytes, (size_t)n * esize)) rc = odp_fail("writing tensor '%s': %s", t->name, strerror(errno));
  }
  free(pytorch);
  return rc;
}

static int write_body(int fd, const SafetensorsWriter *w, const char *header, uint64_t header_len) {
  unsigned char len[8];
  le_store(len, header_len, 8);
  if (write_all(fd, len, 8) || write_all(fd, header, header_len)) return odp_fail("writing header: %s", strerror(errno));
  unsigned char *bytes = odp_malloc(ST_CHUNK * 4, "safetensors write buffer");
  if (!bytes) return ODP_ERR;
  int rc = ODP_OK;
  for (int i = 0; i < w->count && rc == ODP_OK; i++) rc = write_tensor(fd, &w->t[i], w->dtype, bytes);
  free(bytes);
  if (rc == ODP_OK && fsync(fd)) rc = odp_fail("fsync: %s", strerror(errno));
  return rc;
}

// fsync the directory holding path, so the rename itself survives a crash.
static void sync_parent_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  if (!dir) return;
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) fsync(fd), close(fd);
  free(dir);
}

// Temp file next to path, fsync, rename over path: no half-written file under its name.
static int writer_commit(const SafetensorsWriter *w, const char *header, uint64_t header_len) {
  size_t n = strlen(w->path);
  char *tmp = malloc(n + 16);
  if (!tmp) return odp_fail("%s: out of memory", w->path);
  snprintf(tmp, n + 16, "%s.tmp.XXXXXX", w->path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    odp_fail("%s: cannot create temporary file: %s", w->path, strerror(errno));
    return free(tmp), ODP_ERR;
  }
  int rc = fchmod(fd, 0644) ? odp_fail("chmod: %s", strerror(errno)) : write_body(fd, w, header, header_len);
  if (close(fd) && rc == ODP_OK) rc = odp_fail("close: %s", strerror(errno));
  if (rc == ODP_OK && rename(tmp, w->path)) rc = odp_fail("rename: %s", strerror(errno));
  if (rc != ODP_OK) {
    unlink(tmp);
    odp_fail_context("%s", w->path);
  } else {
    sync_parent_dir(w->path);
  }
  free(tmp);
  return rc;
}

int safetensors_writer_finish(SafetensorsWriter *w) {
  uint64_t header_len = 0;
  char *header = writer_header(w, &header_len);
  int rc = header ? writer_commit(w, header, header_len) : odp_fail("%s: out of memory building header", w->path);
  free(header);
  safetensors_writer_abort(w);
  return rc;
}

int safetensors_save_params(const char *path, const ParamTable *table, const float *buffer,
                            const char *config_json, SafetensorsDtype dtype) {
  if (config_json) {
    cJSON *c = cJSON_Parse(config_json);
    if (!c) return odp_fail("%s: model config to store is not valid JSON", path);
    cJSON_Delete(c);
  }
  SafetensorsWriter *w = safetensors_writer_new(path, dtype);
  if (!w) return ODP_ERR;
  int rc = safetensors_writer_set_metadata(w, "format", "pt");
  if (rc == ODP_OK && config_json) rc = safetensors_writer_set_metadata(w, "config", config_json);
  for (int i = 0; i < table->count && rc == ODP_OK; i++) {
    const ParamEntry *e = &table->entries[i];
    rc = writer_push(w, e->name, e->ndim, e->shape, buffer + e->offset, e);
  }
  if (rc != ODP_OK) {
    safetensors_writer_abort(w);
    return ODP_ERR;
  }
  return safetensors_writer_finish(w);
}

// ---------------------------------------------------------------------------
// Reading

typedef struct {
  const char *name;  // points into the parsed header
  SafetensorsDtype dtype;
  int ndim;
  long shape[ST_MAX_DIMS];
  long numel;
  uint64_t begin, end;  // byte range within the data section
} StTensor;

struct Safetensors {
  char *path;
  int fd;
  cJSON *header;
  const cJSON *metadata;  // NULL when the file has none
  StTensor *t;
  int count;
  uint64_t data_start, data_size;
};

static int read_at(int fd, void *buf, size_t n, uint64_t offset) {
  char *p = buf;
  while (n) {
    ssize_t k = pread(fd, p, n, (off_t)offset);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return ODP_ERR;
    p += k, n -= (size_t)k, offset += (uint64_t)k;
  }
  return ODP_OK;
}

// A JSON number that is an exact non-negative integer (below 2^53, so the double is exact).
static int json_uint(const cJSON *x, uint64_t *out) {
  if (!cJSON_IsNumber(x)) return ODP_ERR;
  double d = x->valuedouble;
  if (!(d >= 0 && d <= 9007199254740992.0) || d != floor(d)) return ODP_ERR;
  *out = (uint64_t)d;
  return ODP_OK;
}

static int parse_shape(const char *path, const char *name, const cJSON *shape, StTensor *t) {
  if (!cJSON_IsArray(shape)) return tensor_fail(path, name, "\"shape\" is not an array");
  int ndim = cJSON_GetArraySize(shape);
  if (ndim > ST_MAX_DIMS) return tensor_fail(path, name, "%d dims (at most %d supported)", ndim, ST_MAX_DIMS);
  uint64_t numel = 1;
  int i = 0;
  for (const cJSON *d = shape->child; d; d = d->next, i++) {
    uint64_t v;
    if (json_uint(d, &v)) return tensor_fail(path, name, "shape entry %d is not a non-negative integer", i);
    if (__builtin_mul_overflow(numel, v, &numel) || numel > (1ull << 53))
      return tensor_fail(path, name, "element count overflows");
    t->shape[i] = (long)v;
  }
  t->ndim = ndim;
  t->numel = (long)numel;
  return ODP_OK;
}

static int parse_tensor(const Safetensors *st, const cJSON *e, StTensor *t) {
  const char *name = e->string;
  t->name = name;
  if (!cJSON_IsObject(e)) return tensor_fail(st->path, name, "entry is not a JSON object");
  const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(e, "dtype");
  const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
  if (!cJSON_IsString(dtype)) return tensor_fail(st->path, name, "missing \"dtype\" string");
  int d = dtype_parse(dtype->valuestring);
  if (d < 0) return tensor_fail(st->path, name, "unsupported dtype '%.32s'", dtype->valuestring);
  t->dtype = (SafetensorsDtype)d;
  if (parse_shape(st->path, name, cJSON_GetObjectItemCaseSensitive(e, "shape"), t)) return ODP_ERR;
  if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 || json_uint(offsets->child, &t->begin) ||
      json_uint(offsets->child->next, &t->end))
    return tensor_fail(st->path, name, "\"data_offsets\" is not two non-negative integers");
  if (t->end < t->begin) return tensor_fail(st->path, name, "data_offsets [%llu, %llu] end before begin",
                                            (unsigned long long)t->begin, (unsigned long long)t->end);
  if (t->end > st->data_size)
    return tensor_fail(st->path, name, "data_offsets [%llu, %llu] beyond the %llu bytes of data (truncated file?)",
                       (unsigned long long)t->begin, (unsigned long long)t->end,
                       (unsigned long long)st->data_size);
  uint64_t want = (uint64_t)t->numel * (uint64_t)dtypes[d].size;
  if (t->end - t->begin != want) {
    char s[160];
    return tensor_fail(st->path, name, "shape %s of %s needs %llu bytes but data_offsets span %llu",
                       shape_str_long(t->ndim, t->shape, s, sizeof s), dtypes[d].name, (unsigned long long)want,
                       (unsigned long long)(t->end - t->begin));
  }
  return ODP_OK;
}

static int parse_metadata(Safetensors *st, const cJSON *m) {
  if (!cJSON_IsObject(m)) return odp_fail("%s: __metadata__ is not a JSON object", st->path);
  for (const cJSON *x = m->child; x; x = x->next)
    if (!cJSON_IsString(x)) return odp_fail("%s: __metadata__ value '%.100s' is not a string", st->path, x->string);
  st->metadata = m;
  return ODP_OK;
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const StTensor *)a)->name, ((const StTensor *)b)->name);
}
static int by_begin(const void *a, const void *b) {
  uint64_t x = ((const StTensor *)a)->begin, y = ((const StTensor *)b)->begin;
  return x < y ? -1 : x > y;
}

// Names unique; byte ranges of non-empty tensors disjoint. Checked on a sorted copy.
static int check_disjoint(const Safetensors *st) {
  if (st->count < 2) return ODP_OK;
  StTensor *s = odp_malloc((size_t)st->count * sizeof *s, "safetensors header check");
  if (!s) return odp_fail_context("%s", st->path);
  memcpy(s, st->t, (size_t)st->count * sizeof *s);
  int rc = ODP_OK;
  qsort(s, (size_t)st->count, sizeof *s, by_name);
  for (int i = 1; i < st->count && rc == ODP_OK; i++)
    if (strcmp(s[i - 1].name, s[i].name) == 0) rc = tensor_fail(st->path, s[i].name, "listed twice");
  qsort(s, (size_t)st->count, sizeof *s, by_begin);
  const StTensor *prev = NULL;
  for (int i = 0; i < st->count && rc == ODP_OK; i++) {
    if (s[i].begin == s[i].end) continue;
    if (prev && s[i].begin < prev->end)
      rc = tensor_fail(st->path, s[i].name, "data_offsets overlap those of tensor '%.160s'", prev->name);
    prev = &s[i];
  }
  free(s);
  return rc;
}

static int parse_header(Safetensors *st, const char *json, uint64_t len) {
  const char *end = NULL;
  st->header = cJSON_ParseWithLengthOpts(json, (size_t)len, &end, 0);
  if (!st->header) return odp_fail("%s: header is not valid JSON", st->path);
  for (; end && end < json + len; end++)
    if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r')
      return odp_fail("%s: header has trailing bytes after its JSON", st->path);
  if (!cJSON_IsObject(st->header)) return odp_fail("%s: header is not a JSON object", st->path);
  int n = cJSON_GetArraySize(st->header);
  st->t = odp_calloc((size_t)n, sizeof *st->t, "safetensors tensor list");
  if (!st->t) return odp_fail_context("%s", st->path);
  for (const cJSON *e = st->header->child; e; e = e->next) {
    if (strcmp(e->string, "__metadata__") == 0) {
      if (parse_metadata(st, e)) return ODP_ERR;
    } else if (parse_tensor(st, e, &st->t[st->count++])) {
      return ODP_ERR;
    }
  }
  return check_disjoint(st);
}

static int open_file(Safetensors *st) {
  struct stat sb;
  if ((st->fd = open(st->path, O_RDONLY | O_CLOEXEC)) < 0)
    return odp_fail("%s: cannot open: %s", st->path, strerror(errno));
  if (fstat(st->fd, &sb)) return odp_fail("%s: cannot stat: %s", st->path, strerror(errno));
  if (S_ISDIR(sb.st_mode)) return odp_fail("%s: is a directory, not a safetensors file", st->path);
  if (!S_ISREG(sb.st_mode)) return odp_fail("%s: not a regular file", st->path);
  uint64_t size = (uint64_t)sb.st_size;
  if (size == 0) return odp_fail("%s: empty file, not a safetensors file", st->path);
  if (size < 8) return odp_fail("%s: %llu bytes, too short for a safetensors header", st->path, (unsigned long long)size);
  unsigned char lenbuf[8];
  if (read_at(st->fd, lenbuf, 8, 0)) return odp_fail("%s: cannot read header length", st->path);
  uint64_t len = le_load(lenbuf, 8);
  if (len > ST_MAX_HEADER)
    return odp_fail("%s: header length %llu exceeds the 100 MB limit (not a safetensors file?)", st->path,
                    (unsigned long long)len);
  if (len > size - 8)
    return odp_fail("%s: header length %llu exceeds the file's %llu bytes (truncated?)", st->path,
                    (unsigned long long)len, (unsigned long long)size);
  if (len < 2) return odp_fail("%s: header length %llu too short for a JSON object", st->path, (unsigned long long)len);
  char *json = odp_malloc(len + 1, "safetensors header");
  if (!json) return odp_fail_context("%s", st->path);
  int rc = read_at(st->fd, json, len, 8) ? odp_fail("%s: cannot read %llu-byte header", st->path, (unsigned long long)len)
                                          : ODP_OK;
  json[len] = 0;
  st->data_start = 8 + len;
  st->data_size = size - 8 - len;
  if (rc == ODP_OK) rc = parse_header(st, json, len);
  free(json);
  return rc;
}

Safetensors *safetensors_open(const char *path) {
  Safetensors *st = odp_calloc(1, sizeof *st, "safetensors reader");
  if (!st) return NULL;
  st->fd = -1;
  if (!(st->path = strdup(path))) {
    free(st);
    odp_fail("%s: out of memory", path);
    return NULL;
  }
  if (open_file(st)) {
    safetensors_close(st);
    return NULL;
  }
  return st;
}

void safetensors_close(Safetensors *st) {
  if (!st) return;
  if (st->fd >= 0) close(st->fd);
  cJSON_Delete(st->header);
  free(st->t);
  free(st->path);
  free(st);
}

const char *safetensors_path(const Safetensors *st) { return st->path; }
int safetensors_count(const Safetensors *st) { return st->count; }
const char *safetensors_name(const Safetensors *st, int i) { return st->t[i].name; }
SafetensorsDtype safetensors_dtype(const Safetensors *st, int i) { return st->t[i].dtype; }
int safetensors_ndim(const Safetensors *st, int i) { return st->t[i].ndim; }
const long *safetensors_shape(const Safetensors *st, int i) { return st->t[i].shape; }
long safetensors_numel(const Safetensors *st, int i) { return st->t[i].numel; }

int safetensors_find(const Safetensors *st, const char *name) {
  for (int i = 0; i < st->count; i++)
    if (strcmp(st->t[i].name, name) == 0) return i;
  return -1;
}

const char *safetensors_metadata(const Safetensors *st, const char *key) {
  const cJSON *v = st->metadata ? cJSON_GetObjectItemCaseSensitive(st->metadata, key) : NULL;
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int read_tensor(Safetensors *st, const StTensor *t, float *out) {
  int esize = dtypes[t->dtype].size;
  uint64_t start = st->data_start + t->begin;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (t->dtype == ST_F32) {  // the file's bytes are already the host's floats
    if (read_at(st->fd, out, (size_t)t->numel * 4, start) == ODP_OK) return ODP_OK;
    return tensor_fail(st->path, t->name, "cannot read its data (file truncated or unreadable)");
  }
#endif
  long chunk = t->numel < ST_CHUNK ? t->numel : ST_CHUNK;
  unsigned char *bytes = odp_malloc((size_t)chunk * esize, "safetensors read buffer");
  if (!bytes) return odp_fail_context("%s", st->path);
  int rc = ODP_OK;
  for (long i = 0; i < t->numel && rc == ODP_OK; i += chunk) {
    long n = t->numel - i < chunk ? t->numel - i : chunk;
    if (read_at(st->fd, bytes, (size_t)n * esize, start + (uint64_t)i * esize))
      rc = tensor_fail(st->path, t->name, "cannot read its data (file truncated or unreadable)");
    else
      decode(t->dtype, bytes, n, out + i);
  }
  free(bytes);
  return rc;
}

int safetensors_read_f32(Safetensors *st, const char *name, float *out, long numel) {
  int i = safetensors_find(st, name);
  if (i < 0) return tensor_fail(st->path, name, "not in the file");
  const StTensor *t = &st->t[i];
  if (numel != t->numel)
    return tensor_fail(st->path, name, "has %ld elements, caller expected %ld", t->numel, numel);
  return read_tensor(st, t, out);
}

// ---------------------------------------------------------------------------
// Model checkpoints

static int is_float_dtype(SafetensorsDtype d) { return d == ST_F32 || d == ST_F16 || d == ST_BF16 || d == ST_F64; }

// Exactly the table's tensors, with PyTorch's shapes and float dtypes.
static int check_against_table(const Safetensors *st, const ParamTable *table) {
  for (int k = 0; k < table->count; k++) {
    const ParamEntry *e = &table->entries[k];
    int i = safetensors_find(st, e->name);
    if (i < 0) return tensor_fail(st->path, e->name, "missing");
    const StTensor *t = &st->t[i];
    int same = t->ndim == e->ndim;
    for (int d = 0; same && d < e->ndim; d++) same = t->shape[d] == e->shape[d];
    char got[160], want[160];
    if (!same)
      return tensor_fail(st->path, e->name, "shape %s expected %s", shape_str_long(t->ndim, t->shape, got, sizeof got),
                         shape_str(e->ndim, e->shape, want, sizeof want));
    if (!is_float_dtype(t->dtype))
      return tensor_fail(st->path, e->name, "dtype %s is not a floating-point type", dtypes[t->dtype].name);
  }
  for (int i = 0; i < st->count; i++)
    if (!param_table_find(table, st->t[i].name)) return tensor_fail(st->path, st->t[i].name, "not a parameter of this model");
  return ODP_OK;
}

static int check_finite(const char *path, const char *name, const float *x, long n) {
  for (long i = 0; i < n; i++)
    if (!isfinite(x[i])) return tensor_fail(path, name, "element %ld is %s", i, isnan(x[i]) ? "NaN" : "infinite");
  return ODP_OK;
}

// Every tensor into a fresh buffer (storage layout); *out only on full success.
static int load_all(Safetensors *st, const ParamTable *table, float **out) {
  long max_numel = 0;
  for (int k = 0; k < table->count; k++)
    if (table->entries[k].numel > max_numel) max_numel = table->entries[k].numel;
  float *all = odp_malloc((size_t)table->numel * sizeof(float), "checkpoint parameters");
  float *pytorch = odp_malloc((size_t)max_numel * sizeof(float), "checkpoint tensor");
  int rc = all && pytorch ? ODP_OK : odp_fail_context("%s", st->path);
  for (int k = 0; k < table->count && rc == ODP_OK; k++) {
    const ParamEntry *e = &table->entries[k];
    rc = safetensors_read_f32(st, e->name, pytorch, e->numel);
    if (rc == ODP_OK) rc = check_finite(st->path, e->name, pytorch, e->numel);
    if (rc == ODP_OK) param_from_pytorch(e, pytorch, all + e->offset);
  }
  free(pytorch);
  if (rc != ODP_OK) return free(all), ODP_ERR;
  *out = all;
  return ODP_OK;
}

int safetensors_read_params(Safetensors *st, const ParamTable *table, float *buffer) {
  float *all = NULL;
  int rc = check_against_table(st, table);
  if (rc == ODP_OK) rc = load_all(st, table, &all);
  if (rc == ODP_OK) memcpy(buffer, all, (size_t)table->numel * sizeof(float));
  free(all);
  return rc;
}

int safetensors_load_params(const char *path, const ParamTable *table, float *buffer, char **config_json_out) {
  if (config_json_out) *config_json_out = NULL;
  Safetensors *st = safetensors_open(path);
  if (!st) return ODP_ERR;
  const char *c = safetensors_metadata(st, "config");
  char *config = NULL;
  int rc = config_json_out && c && !(config = strdup(c)) ? odp_fail("%s: out of memory", path) : ODP_OK;
  if (rc == ODP_OK) rc = safetensors_read_params(st, table, buffer);
  if (rc == ODP_OK && config_json_out) *config_json_out = config;
  else free(config);
  safetensors_close(st);
  return rc;
}
