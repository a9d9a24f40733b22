// zarr v2 metadata: parsing .zarray, accessors, listing the arrays of a store.
#include "data/zarr_internal.h"

#include <blosc.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"

#define ZARR_MAX_META_BYTES (1 << 20)

static char *join_path(const char *a, const char *b) {
  size_t la = strlen(a), lb = b ? strlen(b) : 0;
  char *s = odp_malloc(la + lb + 2, "zarr path");
  if (!s) return NULL;
  memcpy(s, a, la);
  if (lb) {
    s[la] = '/';
    memcpy(s + la + 1, b, lb);
    la += lb + 1;
  }
  s[la] = 0;
  return s;
}

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = odp_malloc(n, "zarr string");
  if (d) memcpy(d, s, n);
  return d;
}

// Reads a small text file whole, NUL-terminated. NULL + error on failure.
static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    odp_fail("%s: %s", path, strerror(errno));
    return NULL;
  }
  struct stat sb;
  const char *bad = fstat(fileno(f), &sb) ? strerror(errno)
                    : !S_ISREG(sb.st_mode)             ? "not a regular file"
                    : sb.st_size > ZARR_MAX_META_BYTES ? "larger than 1 MiB"
                                                       : NULL;
  // One byte more than the size: a file that grew meanwhile is read short, not overrun.
  char *buf = bad ? NULL : odp_malloc((size_t)sb.st_size + 2, "zarr metadata");
  size_t n = buf ? fread(buf, 1, (size_t)sb.st_size + 1, f) : 0;
  int err = ferror(f);
  fclose(f);
  if (bad || err || (buf && n > (size_t)sb.st_size)) {
    odp_fail("%s: %s", path, bad ? bad : err ? "read error" : "changed while being read");
    free(buf);
    return NULL;
  }
  if (buf) buf[n] = 0;
  return buf;
}

// A JSON number that is an exact integer in [lo, 2^53].
static int json_int(const cJSON *j, int64_t lo, int64_t *out) {
  if (!cJSON_IsNumber(j)) return 0;
  double v = j->valuedouble;
  if (!(v >= (double)lo && v <= 9007199254740992.0) || v != floor(v)) return 0;
  *out = (int64_t)v;
  return 1;
}

static int parse_dims(const cJSON *j, const char *field, int64_t lo, int64_t *out, int *ndim) {
  if (!cJSON_IsArray(j)) return odp_fail("'%s' is missing or not a list", field);
  int n = cJSON_GetArraySize(j);
  if (n < 1 || n > ZARR_MAX_DIMS) return odp_fail("'%s' has %d dims (supported: 1..%d)", field, n, ZARR_MAX_DIMS);
  int i = 0;
  for (const cJSON *e = j->child; e; e = e->next, i++)
    if (!json_int(e, lo, &out[i])) return odp_fail("'%s'[%d] is not an integer >= %lld", field, i, (long long)lo);
  *ndim = n;
  return ODP_OK;
}

static int parse_dtype(ZarrArray *a, const cJSON *j) {
  static const struct { const char *s; ZarrType t; size_t size; } known[] = {
      {"<f4", ZARR_F32, 4}, {"<f8", ZARR_F64, 8}, {"<i8", ZARR_I64, 8}, {"|u1", ZARR_U8, 1}, {"<u1", ZARR_U8, 1}};
  if (!cJSON_IsString(j)) return odp_fail("'dtype' is missing or not a string (structured dtypes unsupported)");
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (!strcmp(j->valuestring, known[i].s)) {
      a->dtype = known[i].t;
      a->itemsize = known[i].size;
      snprintf(a->dtype_str, sizeof a->dtype_str, "%s", known[i].s);
      return ODP_OK;
    }
  return odp_fail("unsupported dtype '%.16s' (supported: <f4 <f8 <i8 |u1)", j->valuestring);
}

static int parse_compressor(ZarrArray *a, const cJSON *j) {
  if (!j || cJSON_IsNull(j)) {
    snprintf(a->compressor, sizeof a->compressor, "none");
    return ODP_OK;
  }
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
  if (!cJSON_IsObject(j) || !cJSON_IsString(id)) return odp_fail("'compressor' is neither null nor an object with an 'id'");
  if (strcmp(id->valuestring, "blosc")) return odp_fail("unsupported compressor '%.32s' (supported: blosc, null)", id->valuestring);
  const cJSON *cname = cJSON_GetObjectItemCaseSensitive(j, "cname");
  const cJSON *clevel = cJSON_GetObjectItemCaseSensitive(j, "clevel");
  const cJSON *shuffle = cJSON_GetObjectItemCaseSensitive(j, "shuffle");
  a->blosc = 1;
  // The blosc frame header is authoritative for decoding; these fields are informational.
  snprintf(a->compressor, sizeof a->compressor, "blosc/%.16s/%d/shuffle=%d", cJSON_IsString(cname) ? cname->valuestring : "?",
           cJSON_IsNumber(clevel) ? clevel->valueint : -1, cJSON_IsNumber(shuffle) ? shuffle->valueint : -1);
  return ODP_OK;
}

static int parse_fill(ZarrArray *a, const cJSON *j) {
  a->fill = 0, a->fill_null = 0;
  if (!j || cJSON_IsNull(j)) a->fill_null = 1;
  else if (cJSON_IsNumber(j)) a->fill = j->valuedouble;
  else if (cJSON_IsString(j) && !strcmp(j->valuestring, "NaN")) a->fill = NAN;
  else if (cJSON_IsString(j) && !strcmp(j->valuestring, "Infinity")) a->fill = INFINITY;
  else if (cJSON_IsString(j) && !strcmp(j->valuestring, "-Infinity")) a->fill = -INFINITY;
  else return odp_fail("'fill_value' is not a number, null, NaN or +-Infinity");
  if (!a->fill_null && a->dtype != ZARR_F32 && a->dtype != ZARR_F64) {
    double lo = a->dtype == ZARR_U8 ? 0 : -0x1p63, end = a->dtype == ZARR_U8 ? 256 : 0x1p63;  // [lo, end)
    if (!(a->fill >= lo && a->fill < end) || a->fill != floor(a->fill))
      return odp_fail("'fill_value' %g does not fit dtype %s", a->fill, a->dtype_str);
  }
  return ODP_OK;
}

static int parse_misc(ZarrArray *a, const cJSON *root) {
  int64_t fmt;
  if (!json_int(cJSON_GetObjectItemCaseSensitive(root, "zarr_format"), 0, &fmt) || fmt != 2)
    return odp_fail("'zarr_format' is not 2");
  const cJSON *order = cJSON_GetObjectItemCaseSensitive(root, "order");
  if (order && !(cJSON_IsString(order) && !strcmp(order->valuestring, "C")))
    return odp_fail("unsupported 'order' (only \"C\")");
  const cJSON *filters = cJSON_GetObjectItemCaseSensitive(root, "filters");
  if (filters && !cJSON_IsNull(filters) && !(cJSON_IsArray(filters) && cJSON_GetArraySize(filters) == 0))
    return odp_fail("'filters' are not supported");
  const cJSON *sep = cJSON_GetObjectItemCaseSensitive(root, "dimension_separator");
  a->sep = '.';
  if (sep && !cJSON_IsNull(sep)) {
    if (!cJSON_IsString(sep) || (strcmp(sep->valuestring, ".") && strcmp(sep->valuestring, "/")))
      return odp_fail("'dimension_separator' must be \".\" or \"/\"");
    a->sep = sep->valuestring[0];
  }
  return ODP_OK;
}

// Fills the geometry fields and checks that sizes cannot overflow.
static int parse_geometry(ZarrArray *a, const cJSON *root) {
  int nchunk_dims;
  if (parse_dims(cJSON_GetObjectItemCaseSensitive(root, "shape"), "shape", 0, a->shape, &a->ndim)) return ODP_ERR;
  if (parse_dims(cJSON_GetObjectItemCaseSensitive(root, "chunks"), "chunks", 1, a->chunks, &nchunk_dims)) return ODP_ERR;
  if (nchunk_dims != a->ndim) return odp_fail("'chunks' has %d dims but 'shape' has %d", nchunk_dims, a->ndim);
  double elems = 1, chunk_elems = 1, row_elems = 1;
  for (int d = 0; d < a->ndim; d++) {
    a->grid[d] = (a->shape[d] + a->chunks[d] - 1) / a->chunks[d];
    elems *= (double)a->shape[d];
    chunk_elems *= (double)a->chunks[d];
    if (d) row_elems *= (double)a->shape[d];
  }
  if (elems * (double)a->itemsize > 1e15) return odp_fail("array of %.0f elements is too large", elems);
  // A zero-length first dimension leaves no elements but rows of any size: bound them too.
  if (row_elems * (double)a->itemsize > 1e15) return odp_fail("rows of %.0f elements are too large", row_elems);
  if (chunk_elems * (double)a->itemsize > (double)BLOSC_MAX_BUFFERSIZE)
    return odp_fail("chunk of %.0f elements exceeds the 2 GiB blosc limit", chunk_elems);
  a->chunk_elems = (int64_t)chunk_elems;
  a->chunk_bytes = (size_t)a->chunk_elems * a->itemsize;
  return ODP_OK;
}

static int parse_zarray(ZarrArray *a, const char *text) {
  cJSON *root = cJSON_ParseWithOpts(text, NULL, 1);  // 1: nothing may follow the object
  if (!root) return odp_fail("invalid JSON near byte %ld", (long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - text : -1));
  int rc = ODP_ERR;
  if (!cJSON_IsObject(root)) odp_fail("not a JSON object");
  else if (!parse_misc(a, root) && !parse_dtype(a, cJSON_GetObjectItemCaseSensitive(root, "dtype")) &&
           !parse_geometry(a, root) && !parse_compressor(a, cJSON_GetObjectItemCaseSensitive(root, "compressor")) &&
           !parse_fill(a, cJSON_GetObjectItemCaseSensitive(root, "fill_value")))
    rc = ODP_OK;
  cJSON_Delete(root);
  return rc;
}

ZarrArray *zarr_open_text(const char *dir, const char *name, const char *zarray_json, const char *origin) {
  ZarrArray *a = odp_calloc(1, sizeof *a, "zarr array");
  if (!a) return NULL;
  for (int i = 0; i < ZARR_CACHE_SLOTS; i++) a->cache[i].index = -1;
  a->dir = xstrdup(dir);
  a->name = xstrdup(name);
  if (!a->dir || !a->name || parse_zarray(a, zarray_json)) {
    odp_fail_context("zarr array '%s' (%s)", name, origin);
    zarr_close(a);
    return NULL;
  }
  return a;
}

ZarrArray *zarr_open(const char *root, const char *array_path) {
  if (!array_path) array_path = "";
  char *dir = join_path(root, array_path);
  char *meta = dir ? join_path(dir, ".zarray") : NULL;
  char *text = meta ? read_text(meta) : NULL;
  ZarrArray *a = text ? zarr_open_text(dir, array_path, text, meta) : NULL;
  if (!text) odp_fail_context("zarr array '%s' (%s)", array_path, meta ? meta : root);
  free(text);
  free(meta);
  free(dir);
  return a;
}

void zarr_close(ZarrArray *a) {
  if (!a) return;
  for (int i = 0; i < ZARR_CACHE_SLOTS; i++) free(a->cache[i].data);
  free(a->raw);
  free(a->dir);
  free(a->name);
  free(a);
}

const char *zarr_name(const ZarrArray *a) { return a->name; }
int zarr_ndim(const ZarrArray *a) { return a->ndim; }
const int64_t *zarr_shape(const ZarrArray *a) { return a->shape; }
const int64_t *zarr_chunks(const ZarrArray *a) { return a->chunks; }
ZarrType zarr_dtype(const ZarrArray *a) { return a->dtype; }
const char *zarr_dtype_str(const ZarrArray *a) { return a->dtype_str; }
const char *zarr_compressor_str(const ZarrArray *a) { return a->compressor; }
int64_t zarr_rows(const ZarrArray *a) { return a->shape[0]; }
void zarr_allow_missing_chunks(ZarrArray *a, int allow) { a->allow_missing = allow; }

// Bounded at open (parse_geometry) unless a dimension is 0; then huge partners must not
// be multiplied first.
int64_t zarr_row_elems(const ZarrArray *a) {
  int64_t n = 1;
  for (int d = 1; d < a->ndim; d++)
    if (a->shape[d] == 0) return 0;
  for (int d = 1; d < a->ndim; d++) n *= a->shape[d];
  return n;
}

double zarr_fill_value(const ZarrArray *a, int *is_null) {
  if (is_null) *is_null = a->fill_null;
  return a->fill;
}

size_t zarr_type_size(ZarrType t) { return t == ZARR_U8 ? 1 : t == ZARR_F32 ? 4 : 8; }

const char *zarr_type_name(ZarrType t) {
  static const char *names[] = {"f32", "f64", "i64", "u8"};
  return (unsigned)t < 4 ? names[t] : "?";
}

void zarr_chunk_key(const ZarrArray *a, int64_t index, char *buf, size_t cap) {
  int64_t idx[ZARR_MAX_DIMS];
  for (int d = a->ndim - 1; d >= 0; d--) idx[d] = index % a->grid[d], index /= a->grid[d];
  size_t len = 0;
  buf[0] = 0;
  for (int d = 0; d < a->ndim && len < cap; d++) {
    if (d && len + 1 < cap) buf[len++] = a->sep;
    if (len < cap) len += (size_t)snprintf(buf + len, cap - len, "%lld", (long long)idx[d]);
  }
  buf[len < cap ? len : cap - 1] = 0;
}

// ---- listing ----

typedef struct {
  char **names;
  int count, cap;
} NameList;

static int push_name(NameList *l, const char *name) {
  if (l->count == l->cap) {
    int cap = l->cap ? 2 * l->cap : 16;
    char **n = realloc(l->names, (size_t)cap * sizeof *n);
    if (!n) return odp_fail("out of memory listing zarr arrays");
    l->names = n, l->cap = cap;
  }
  if (!(l->names[l->count] = xstrdup(name))) return ODP_ERR;
  l->count++;
  return ODP_OK;
}

static int is_file(const char *dir, const char *name) {
  char *p = join_path(dir, name);
  struct stat st;
  int ok = p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
  free(p);
  return ok;
}

// Adds the arrays under root/rel (rel "" for root itself), descending into groups.
static int walk(const char *root, const char *rel, int depth, NameList *l) {
  char *dir = *rel ? join_path(root, rel) : xstrdup(root);
  if (!dir) return ODP_ERR;
  int rc = ODP_OK;
  if (is_file(dir, ".zarray")) rc = push_name(l, rel);
  else if (depth < 16) {
    DIR *d = opendir(dir);
    if (!d) rc = odp_fail("%s: %s", dir, strerror(errno));
    for (struct dirent *e; !rc && d && (e = readdir(d));) {
      char *sub = *rel ? join_path(rel, e->d_name) : xstrdup(e->d_name);
      char *full = sub ? join_path(root, sub) : NULL;
      struct stat st;
      if (!sub || !full) rc = ODP_ERR;
      else if (e->d_name[0] != '.' && stat(full, &st) == 0 && S_ISDIR(st.st_mode)) rc = walk(root, sub, depth + 1, l);
      free(sub);
      free(full);
    }
    if (d) closedir(d);
  }
  free(dir);
  return rc;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int zarr_list_arrays(const char *root, char ***names, int *count) {
  *names = NULL, *count = 0;
  if (!is_file(root, ".zgroup") && !is_file(root, ".zarray"))
    return odp_fail("%s: not a zarr v2 store (no .zgroup or .zarray)", root);
  NameList l = {0};
  if (walk(root, "", 0, &l)) {
    zarr_free_names(l.names, l.count);
    return ODP_ERR;
  }
  qsort(l.names, (size_t)l.count, sizeof *l.names, cmp_names);
  *names = l.names, *count = l.count;
  return ODP_OK;
}

void zarr_free_names(char **names, int count) {
  for (int i = 0; i < count; i++) free(names[i]);
  free(names);
}
