// robomimic HDF5 demonstrations: reader, writer and training windows (see robomimic.h).
// Every hid_t is released through drop() on every path (H5Idec_ref closes any kind of
// id), so a failed read leaves no open object behind; the fuzz harness checks that.
#include "data/robomimic.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/rotation.h"
#include "data/robomimic_internal.h"

#define MAX_ELEMS (1LL << 40)  // one dataset's elements: far beyond any demo, short of overflow

typedef struct {
  char *name;  // "demo_<k>"
  long k, samples;
} RmDemoInfo;

struct RmFile {
  hid_t file, data;
  char *path, *env_args;
  int n;
  RmDemoInfo *demos;  // (n,) sorted by k
};

struct RmWriter {
  hid_t file, data;
  char *path, *tmp;
  int n;
  int64_t total;
};

// HDF5 prints its error stack by default; our errors are values.
static void quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static void drop(hid_t id) {
  if (id >= 0) H5Idec_ref(id);
}

static char *dup_str(const char *s) {
  char *d = odp_malloc(strlen(s) + 1, "string");
  return d ? strcpy(d, s) : NULL;
}

// ---------------------------------------------------------------- attributes

// Scalar (or one-element) attribute `name` of obj: opened with its type and class checked.
// Returns 1 found (a, t set), 0 absent, -1 error naming path: where.name.
static int open_attr(hid_t obj, const char *name, H5T_class_t cls, const char *path, const char *where, hid_t *a,
                     hid_t *t) {
  htri_t has = H5Aexists(obj, name);
  if (has <= 0) return has < 0 ? odp_fail("%s: %s: cannot read attributes", path, where) : 0;
  hid_t s = -1;
  *a = H5Aopen(obj, name, H5P_DEFAULT), *t = *a < 0 ? -1 : H5Aget_type(*a), s = *a < 0 ? -1 : H5Aget_space(*a);
  int ok = *t >= 0 && s >= 0 && H5Tget_class(*t) == cls && H5Sget_simple_extent_npoints(s) == 1;
  drop(s);
  if (ok) return 1;
  drop(*t), drop(*a);
  return odp_fail("%s: %s.%s: not a single %s", path, where, name, cls == H5T_STRING ? "string" : "integer");
}

// 1 and *v set, 0 absent, -1 error.
static int read_i64_attr(hid_t obj, const char *name, int64_t *v, const char *path, const char *where) {
  hid_t a = -1, t = -1;
  int rc = open_attr(obj, name, H5T_INTEGER, path, where, &a, &t);
  if (rc <= 0) return rc;
  if (H5Aread(a, H5T_NATIVE_INT64, v) < 0) rc = odp_fail("%s: %s.%s: cannot read", path, where, name);
  drop(t), drop(a);
  return rc;
}

// A string attribute, variable (as h5py writes str) or fixed length, malloc'd; "" when absent.
static char *read_str_attr(hid_t obj, const char *name, const char *path, const char *where) {
  hid_t a = -1, t = -1;
  int rc = open_attr(obj, name, H5T_STRING, path, where, &a, &t);
  if (rc <= 0) return rc < 0 ? NULL : dup_str("");
  char *out = NULL, *v = NULL;
  hid_t m = H5Tcopy(H5T_C_S1);
  size_t size = H5Tget_size(t);
  int vlen = H5Tis_variable_str(t) > 0;
  // The file's character set, so HDF5 has no ASCII <-> UTF-8 conversion to refuse.
  if (m >= 0 && H5Tset_cset(m, H5Tget_cset(t)) >= 0 && H5Tset_size(m, vlen ? H5T_VARIABLE : size + 1) >= 0) {
    if (vlen && H5Aread(a, m, &v) >= 0) {
      out = dup_str(v ? v : "");
      H5free_memory(v);
    } else if (!vlen && size < (64u << 20) && (v = odp_malloc(size + 1, "attribute"))) {
      if (H5Aread(a, m, v) >= 0) out = v, v = NULL;
      free(v);
    }
  }
  if (!out) odp_fail("%s: %s.%s: cannot read the string", path, where, name);
  drop(m), drop(t), drop(a);
  return out;
}

static int write_attr(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *buf) {
  hid_t s = H5Screate(H5S_SCALAR), a = s < 0 ? -1 : H5Acreate2(obj, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT);
  int ok = a >= 0 && H5Awrite(a, mtype, buf) >= 0;
  drop(a), drop(s);
  return ok ? ODP_OK : ODP_ERR;
}

// A variable-length UTF-8 string, as h5py stores a Python str.
static int write_str_attr(hid_t obj, const char *name, const char *text) {
  hid_t t = H5Tcopy(H5T_C_S1);
  int ok = t >= 0 && H5Tset_size(t, H5T_VARIABLE) >= 0 && H5Tset_cset(t, H5T_CSET_UTF8) >= 0 &&
           write_attr(obj, name, t, t, &text) == ODP_OK;
  drop(t);
  return ok ? ODP_OK : ODP_ERR;
}

// ---------------------------------------------------------------- reader

// "demo_<k>": digits only, no leading zero (demo_01 would collide with demo_1), k < 10^9.
static long demo_number(const char *name) {
  if (strncmp(name, "demo_", 5)) return -1;
  const char *d = name + 5;
  size_t n = strlen(d);
  if (n < 1 || n > 9 || (d[0] == '0' && n > 1) || strspn(d, "0123456789") != n) return -1;
  return strtol(d, NULL, 10);
}

static int by_number(const void *a, const void *b) {
  long x = ((const RmDemoInfo *)a)->k, y = ((const RmDemoInfo *)b)->k;
  return (x > y) - (x < y);
}

// The name of member idx of group g, malloc'd.
static char *member_name(hid_t g, hsize_t idx) {
  ssize_t len = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, idx, NULL, 0, H5P_DEFAULT);
  char *name = len < 0 ? NULL : odp_malloc((size_t)len + 1, "member name");
  if (name && H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, idx, name, (size_t)len + 1, H5P_DEFAULT) < 0)
    free(name), name = NULL;
  return name;
}

// Demo d's name and num_samples (>= 0).
static int load_demo(RmFile *f, RmDemoInfo *d) {
  if ((d->k = demo_number(d->name)) < 0) return odp_fail("%s: data/%s: not a demo name (demo_<integer>)", f->path, d->name);
  hid_t g = H5Gopen2(f->data, d->name, H5P_DEFAULT);
  if (g < 0) return odp_fail("%s: data/%s: not a group", f->path, d->name);
  char where[300];
  snprintf(where, sizeof where, "data/%s", d->name);
  int64_t n = -1;
  int rc = read_i64_attr(g, "num_samples", &n, f->path, where);
  drop(g);
  if (rc == 0 || (rc > 0 && (n < 0 || n > MAX_ELEMS)))
    return rc == 0 ? odp_fail("%s: %s: no num_samples attribute", f->path, where)
                   : odp_fail("%s: %s: num_samples %lld", f->path, where, (long long)n);
  d->samples = (long)n;
  return rc < 0 ? ODP_ERR : ODP_OK;
}

static int load_demos(RmFile *f) {
  H5G_info_t info;
  if (H5Gget_info(f->data, &info) < 0) return odp_fail("%s: data: cannot list its members", f->path);
  if (info.nlinks > 1000000) return odp_fail("%s: data: %llu members", f->path, (unsigned long long)info.nlinks);
  if (!(f->demos = odp_calloc(info.nlinks + 1, sizeof *f->demos, "demo list"))) return ODP_ERR;
  for (hsize_t i = 0; i < info.nlinks; i++, f->n++)
    if (!(f->demos[i].name = member_name(f->data, i))) return odp_fail("%s: data: cannot read member %llu", f->path, (unsigned long long)i);
  int64_t sum = 0, total;
  for (int i = 0; i < f->n; i++) {
    if (load_demo(f, &f->demos[i])) return ODP_ERR;
    sum += f->demos[i].samples;
  }
  qsort(f->demos, (size_t)f->n, sizeof *f->demos, by_number);
  int rc = read_i64_attr(f->data, "total", &total, f->path, "data");
  if (rc > 0 && total != sum)
    return odp_fail("%s: data: total says %lld, the demos' num_samples sum to %lld", f->path, (long long)total,
                    (long long)sum);
  return rc < 0 ? ODP_ERR : ODP_OK;
}

RmFile *rm_open_hid(hid_t file, const char *label) {
  quiet();
  RmFile *f = odp_calloc(1, sizeof *f, "robomimic file");
  if (!f || !(f->path = dup_str(label))) {
    H5Fclose(file), free(f);
    return NULL;
  }
  f->file = file;
  f->data = H5Gopen2(file, "data", H5P_DEFAULT);
  if (f->data < 0) odp_fail("%s: no group 'data' (not a robomimic dataset)", label);
  else if ((f->env_args = read_str_attr(f->data, "env_args", label, "data")) && load_demos(f) == ODP_OK) return f;
  rm_close(f);
  return NULL;
}

RmFile *rm_open(const char *path) {
  quiet();
  if (access(path, R_OK)) {
    odp_fail("%s: %s", path, strerror(errno));
    return NULL;
  }
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) {
    odp_fail("%s: not an HDF5 file, or a damaged one", path);
    return NULL;
  }
  return rm_open_hid(file, path);
}

void rm_close(RmFile *f) {
  if (!f) return;
  drop(f->data);
  H5Fclose(f->file);
  for (int i = 0; i < f->n; i++) free(f->demos[i].name);
  free(f->demos), free(f->env_args), free(f->path), free(f);
}

int rm_demo_count(const RmFile *f) { return f->n; }
const char *rm_demo_name(const RmFile *f, int i) { return f->demos[i].name; }
long rm_demo_samples(const RmFile *f, int i) { return f->demos[i].samples; }
const char *rm_env_args(const RmFile *f) { return f->env_args; }

static int bad_demo(const RmFile *f, int i) {
  return i < 0 || i >= f->n ? odp_fail("%s: demo index %d of %d", f->path, i, f->n) : ODP_OK;
}

char *rm_model_file(const RmFile *f, int i) {
  if (bad_demo(f, i)) return NULL;
  char where[300];
  snprintf(where, sizeof where, "data/%s", f->demos[i].name);
  hid_t g = H5Gopen2(f->data, f->demos[i].name, H5P_DEFAULT);
  char *text = g < 0 ? NULL : read_str_attr(g, "model_file", f->path, where);
  if (g < 0) odp_fail("%s: %s: not a group", f->path, where);
  drop(g);
  return text;
}

// Opens data/<demo i>/<key>: *rank <= RM_MAX_RANK, dims (RM_MAX_RANK,), their product
// <= MAX_ELEMS. -1 + error naming the path on failure.
static hid_t open_ds(const RmFile *f, int i, const char *key, int *rank, int64_t *dims) {
  if (bad_demo(f, i)) return -1;
  char rel[1024];
  snprintf(rel, sizeof rel, "%s/%s", f->demos[i].name, key);
  hid_t d = key[0] ? H5Dopen2(f->data, rel, H5P_DEFAULT) : -1, s = d < 0 ? -1 : H5Dget_space(d);
  int r = s < 0 ? -1 : H5Sget_simple_extent_ndims(s);
  hsize_t h[H5S_MAX_RANK];
  if (r < 0 || r > H5S_MAX_RANK || H5Sget_simple_extent_dims(s, h, NULL) < 0) r = -1;
  int64_t elems = 1;
  for (int k = 0; k < RM_MAX_RANK; k++) {
    dims[k] = k < r && r <= RM_MAX_RANK ? (int64_t)(h[k] > (hsize_t)MAX_ELEMS ? MAX_ELEMS + 1 : h[k]) : 1;
    elems = elems > MAX_ELEMS ? elems : elems * dims[k];  // each factor <= MAX_ELEMS + 1: no overflow
  }
  drop(s);
  if (d < 0) odp_fail("%s: data/%s: missing, or not a dataset", f->path, rel);
  else if (r < 1 || r > RM_MAX_RANK) odp_fail("%s: data/%s: rank %d", f->path, rel, r);
  else if (elems > MAX_ELEMS) odp_fail("%s: data/%s: too large", f->path, rel);
  else {
    *rank = r;
    return d;
  }
  drop(d);
  return -1;
}

int rm_shape(const RmFile *f, int i, const char *key, int *rank, int64_t *dims) {
  hid_t d = open_ds(f, i, key, rank, dims);
  drop(d);
  return d < 0 ? ODP_ERR : ODP_OK;
}

// Opens a dataset for reading and checks its type class, rank and rows; NULL out when any fails.
static hid_t open_rows(const RmFile *f, int i, const char *key, H5T_class_t cls, int *rank, int64_t *dims) {
  hid_t d = open_ds(f, i, key, rank, dims);
  if (d < 0) return -1;
  hid_t t = H5Dget_type(d);
  H5T_class_t c = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
  int byte = t >= 0 && H5Tget_size(t) == 1 && H5Tget_sign(t) == H5T_SGN_NONE;
  drop(t);
  const char *name = f->demos[i].name;
  if (cls == H5T_INTEGER ? c != H5T_INTEGER || !byte : c != H5T_INTEGER && c != H5T_FLOAT)
    odp_fail("%s: data/%s/%s: %s", f->path, name, key, cls == H5T_INTEGER ? "not uint8" : "not numeric");
  else if (dims[0] != f->demos[i].samples)
    odp_fail("%s: data/%s/%s: %lld rows, num_samples says %ld", f->path, name, key, (long long)dims[0],
             f->demos[i].samples);
  else return d;
  drop(d);
  return -1;
}

static int read_all(const RmFile *f, int i, const char *key, hid_t d, hid_t mtype, size_t bytes, void **out) {
  *out = odp_malloc(bytes ? bytes : 1, key);
  if (*out && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) >= 0) return drop(d), ODP_OK;
  if (*out) odp_fail("%s: data/%s/%s: cannot read (damaged, or a filter this build lacks)", f->path, f->demos[i].name, key);
  free(*out), *out = NULL;
  drop(d);
  return ODP_ERR;
}

int rm_read_f64(const RmFile *f, int i, const char *key, int *dim, double **out) {
  int rank;
  int64_t dims[RM_MAX_RANK];
  *out = NULL;
  hid_t d = open_rows(f, i, key, H5T_FLOAT, &rank, dims);
  if (d < 0) return ODP_ERR;
  if (rank > 2 || dims[1] < 1 || dims[1] > 1 << 20) {
    drop(d);
    return odp_fail("%s: data/%s/%s: shape (%lld, %lld%s), expected (N, d) or (N,)", f->path, f->demos[i].name, key,
                    (long long)dims[0], (long long)dims[1], rank > 2 ? ", ..." : "");
  }
  *dim = (int)dims[1];
  return read_all(f, i, key, d, H5T_NATIVE_DOUBLE, sizeof(double) * (size_t)(dims[0] * dims[1]), (void **)out);
}

int rm_read_images(const RmFile *f, int i, const char *key, int *height, int *width, uint8_t **out) {
  int rank;
  int64_t dims[RM_MAX_RANK];
  *out = NULL;
  hid_t d = open_rows(f, i, key, H5T_INTEGER, &rank, dims);
  if (d < 0) return ODP_ERR;
  if (rank != 4 || dims[3] != 3 || (*height > 0 && dims[1] != *height) || (*width > 0 && dims[2] != *width)) {
    char want[64] = "H, W";
    if (*height > 0 && *width > 0) snprintf(want, sizeof want, "%d, %d", *height, *width);
    drop(d);
    return odp_fail("%s: data/%s/%s: rank %d, shape (%lld, %lld, %lld, %lld), expected (N, %s, 3) uint8", f->path,
                    f->demos[i].name, key, rank, (long long)dims[0], (long long)dims[1], (long long)dims[2],
                    (long long)dims[3], want);
  }
  *height = (int)dims[1], *width = (int)dims[2];
  return read_all(f, i, key, d, H5T_NATIVE_UCHAR, (size_t)(dims[0] * dims[1] * dims[2] * 3), (void **)out);
}

int rm_keys(const RmFile *f, int i, const char *group, char ***names, int *count) {
  *names = NULL, *count = 0;
  if (bad_demo(f, i)) return ODP_ERR;
  char rel[1024];
  snprintf(rel, sizeof rel, "%s/%s", f->demos[i].name, group);
  hid_t g = H5Gopen2(f->data, rel, H5P_DEFAULT);
  H5G_info_t info;
  int rc = g >= 0 && H5Gget_info(g, &info) >= 0 && info.nlinks <= 100000 ? ODP_OK : ODP_ERR;
  if (rc == ODP_OK && !(*names = odp_calloc(info.nlinks + 1, sizeof(char *), "key list"))) rc = ODP_ERR;
  for (hsize_t k = 0; rc == ODP_OK && k < info.nlinks; k++, (*count)++)
    if (!((*names)[k] = member_name(g, k))) rc = ODP_ERR;
  drop(g);
  if (rc == ODP_OK) return ODP_OK;
  rm_free_keys(*names, *count);
  *names = NULL, *count = 0;
  return odp_fail("%s: data/%s: not a readable group", f->path, rel);
}

void rm_free_keys(char **names, int count) {
  for (int k = 0; names && k < count; k++) free(names[k]);
  free(names);
}

// ---------------------------------------------------------------- writer

RmWriter *rm_writer_create(const char *path, const char *env_args_json) {
  quiet();
  RmWriter *w = odp_calloc(1, sizeof *w, "robomimic writer");
  if (!w) return NULL;
  w->file = w->data = -1;
  if ((w->path = dup_str(path)) && (w->tmp = odp_malloc(strlen(path) + 5, "path"))) {
    sprintf(w->tmp, "%s.tmp", path);
    errno = 0;
    w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    w->data = w->file < 0 ? -1 : H5Gcreate2(w->file, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (w->data >= 0 && write_str_attr(w->data, "env_args", env_args_json ? env_args_json : "") == ODP_OK) return w;
    odp_fail("%s: cannot create (%s)", w->tmp, errno ? strerror(errno) : "HDF5 error");
  }
  rm_writer_abort(w);
  return NULL;
}

// loc/name: a dataset of `rank` dims; images chunked one frame each and gzip'd (level 4, h5py's default).
static int write_ds(const RmWriter *w, hid_t loc, const char *where, const char *name, hid_t ftype, hid_t mtype,
                    int rank, const hsize_t *dims, const void *buf) {
  hid_t s = H5Screate_simple(rank, dims, NULL), p = H5Pcreate(H5P_DATASET_CREATE), d = -1;
  int ok = s >= 0 && p >= 0;
  if (ok && rank == 4) {
    hsize_t chunk[4] = {1, dims[1], dims[2], dims[3]};
    ok = H5Pset_chunk(p, 4, chunk) >= 0 && H5Pset_deflate(p, 4) >= 0;
  }
  if (ok) d = H5Dcreate2(loc, name, ftype, s, H5P_DEFAULT, p, H5P_DEFAULT);
  ok = d >= 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
  drop(d), drop(p), drop(s);
  return ok ? ODP_OK : odp_fail("%s: %s/%s: cannot write", w->path, where, name);
}

static int bad_name(const char *name) { return !name || !name[0] || strchr(name, '/') || !strcmp(name, "."); }

static int check_demo(const RmWriter *w, const RmDemo *d) {
  int bad = d->n < 1 || d->n > MAX_ELEMS / 4096 || d->action_dim < 1 || d->state_dim < 1 || !d->actions ||
            !d->states || !d->rewards || !d->dones || d->n_lowdim < 0 || d->n_images < 0 ||
            (d->n_lowdim && !d->lowdim) || (d->n_images && !d->images);
  for (int k = 0; !bad && k < d->n_lowdim; k++)
    bad = bad_name(d->lowdim[k].name) || d->lowdim[k].dim < 1 || !d->lowdim[k].data;
  for (int k = 0; !bad && k < d->n_images; k++)
    bad = bad_name(d->images[k].name) || d->images[k].height < 1 || d->images[k].width < 1 || !d->images[k].data;
  return bad ? odp_fail("%s: demo_%d: bad sizes, missing arrays or key names", w->path, w->n) : ODP_OK;
}

// obs/<key> (rows 0..n-1) and next_obs/<key> (rows 1..n) of every key, into groups g[0], g[1].
static int write_obs(const RmWriter *w, const RmDemo *d, const char *where, hid_t g[2]) {
  for (int j = 0; j < 2; j++) {
    char at[320];
    snprintf(at, sizeof at, "%s/%s", where, j ? "next_obs" : "obs");
    for (int k = 0; k < d->n_lowdim; k++) {
      const RmLowdimObs *o = &d->lowdim[k];
      hsize_t dims[2] = {(hsize_t)d->n, (hsize_t)o->dim};
      if (write_ds(w, g[j], at, o->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, o->data + (size_t)j * o->dim))
        return ODP_ERR;
    }
    for (int k = 0; k < d->n_images; k++) {
      const RmImageObs *o = &d->images[k];
      hsize_t dims[4] = {(hsize_t)d->n, (hsize_t)o->height, (hsize_t)o->width, 3};
      size_t frame = (size_t)o->height * (size_t)o->width * 3;
      if (write_ds(w, g[j], at, o->name, H5T_STD_U8LE, H5T_NATIVE_UCHAR, 4, dims, o->data + (size_t)j * frame))
        return ODP_ERR;
    }
  }
  return ODP_OK;
}

int rm_writer_add(RmWriter *w, const RmDemo *d) {
  if (check_demo(w, d)) return ODP_ERR;
  char name[32], where[64];
  snprintf(name, sizeof name, "demo_%d", w->n);
  snprintf(where, sizeof where, "data/%s", name);
  hid_t g = H5Gcreate2(w->data, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), obs[2] = {-1, -1};
  if (g >= 0) obs[0] = H5Gcreate2(g, "obs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g >= 0) obs[1] = H5Gcreate2(g, "next_obs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int64_t n = d->n;
  hsize_t na[2] = {(hsize_t)n, (hsize_t)d->action_dim}, ns[2] = {(hsize_t)n, (hsize_t)d->state_dim};
  int rc = obs[0] >= 0 && obs[1] >= 0 && write_attr(g, "num_samples", H5T_STD_I64LE, H5T_NATIVE_INT64, &n) == ODP_OK &&
                   write_str_attr(g, "model_file", d->model_file ? d->model_file : "") == ODP_OK
               ? ODP_OK
               : odp_fail("%s: %s: cannot create", w->path, where);
  if (rc == ODP_OK)
    rc = write_ds(w, g, where, "actions", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, na, d->actions) ||
                 write_ds(w, g, where, "states", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, ns, d->states) ||
                 write_ds(w, g, where, "rewards", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, na, d->rewards) ||
                 write_ds(w, g, where, "dones", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, na, d->dones) ||
                 write_obs(w, d, where, obs)
             ? ODP_ERR
             : ODP_OK;
  drop(obs[1]), drop(obs[0]), drop(g);
  if (rc == ODP_OK) w->n++, w->total += n;
  return rc;
}

int rm_writer_close(RmWriter *w) {
  int rc = write_attr(w->data, "total", H5T_STD_I64LE, H5T_NATIVE_INT64, &w->total);
  drop(w->data), w->data = -1;
  if (H5Fclose(w->file) < 0) rc = ODP_ERR;
  w->file = -1;
  if (rc) odp_fail("%s: cannot finish writing %s", w->path, w->tmp);
  else if (rename(w->tmp, w->path)) rc = odp_fail("%s: cannot rename %s into place: %s", w->path, w->tmp, strerror(errno));
  rm_writer_abort(w);  // a renamed tmp is gone already; otherwise it goes now
  return rc;
}

void rm_writer_abort(RmWriter *w) {
  if (!w) return;
  drop(w->data);
  if (w->file >= 0) H5Fclose(w->file);
  if (w->tmp) unlink(w->tmp);
  free(w->tmp), free(w->path), free(w);
}

// ---------------------------------------------------------------- training windows

int rm_is_path(const char *path) {
  const char *dot = strrchr(path, '.');
  return dot && (!strcmp(dot, ".hdf5") || !strcmp(dot, ".h5"));
}

void rm_actions_rot6d(const double *a, long n, int arms, float *out) {
  for (long t = 0; t < n * arms; t++, a += 7, out += 10) {
    double R[9], r6[6];
    rot_axis_angle_to_matrix(a + 3, R);
    rot_matrix_to_6d(R, r6);
    for (int j = 0; j < 3; j++) out[j] = (float)a[j];
    for (int j = 0; j < 6; j++) out[3 + j] = (float)r6[j];
    out[9] = (float)a[6];
  }
}

// Demo i's rows: obs keys side by side into obs (samples, obs_dim), actions into act.
// dims (n_keys + 1,): the widths fixed by demo 0 (0: not yet known).
static int load_rows(const RmFile *f, int i, const char *const *keys, int n_keys, int abs_rot6d, int *dims,
                     int obs_dim, float *obs, float *act) {
  long n = f->demos[i].samples;
  for (int k = 0, col = 0; k <= n_keys; k++) {
    char key[512];
    snprintf(key, sizeof key, k < n_keys ? "obs/%s" : "actions", k < n_keys ? keys[k] : "");
    int d;
    double *x;
    if (rm_read_f64(f, i, key, &d, &x)) return ODP_ERR;
    if (dims[k] && d != dims[k]) {
      free(x);
      return odp_fail("%s: data/%s/%s: width %d, %s's is %d", f->path, f->demos[i].name, key, d, f->demos[0].name, dims[k]);
    }
    if (k < n_keys)
      for (long t = 0; t < n * d; t++) obs[t / d * obs_dim + col + t % d] = (float)x[t];
    else if (abs_rot6d) rm_actions_rot6d(x, n, d / 7, act);
    else
      for (long t = 0; t < n * d; t++) act[t] = (float)x[t];
    col += d;
    free(x);
  }
  return ODP_OK;
}

int rm_sequence_load_frames(SeqDataset *ds, int camera, const char *path, const char *key, int height, int width) {
  RmFile *f = rm_open(path);
  if (!f) return ODP_ERR;
  long n_rows;
  seqds_rows(ds, SEQ_OBS, &n_rows);
  int64_t rows = 0;
  for (int i = 0; i < f->n; i++) rows += f->demos[i].samples;
  const size_t frame = (size_t)height * width * 3;
  uint8_t *frames = rows == n_rows ? odp_malloc(frame * (size_t)rows + 1, "camera frames") : NULL;
  if (rows != n_rows) odp_fail("%s: %lld rows, the dataset opened from it %ld", path, (long long)rows, n_rows);
  int64_t at = 0;
  for (int i = 0; frames && i < f->n; at += f->demos[i].samples, i++) {
    char obs_key[512];
    snprintf(obs_key, sizeof obs_key, "obs/%s", key);
    uint8_t *demo;
    int h = height, w = width;
    if (rm_read_images(f, i, obs_key, &h, &w, &demo)) free(frames), frames = NULL;
    else memcpy(frames + (size_t)at * frame, demo, frame * (size_t)f->demos[i].samples), free(demo);
  }
  rm_close(f);
  return frames ? seqds_set_frames(ds, camera, frames, height, width) : ODP_ERR;
}

SeqDataset *rm_sequence_open(const char *path, const char *const *obs_keys, int n_keys, int abs_rot6d,
                             const SeqConfig *cfg) {
  RmFile *f = n_keys < 1 ? NULL : rm_open(path);
  if (n_keys < 1) odp_fail("%s: no observation keys", path);
  if (!f) return NULL;
  SeqDataset *ds = NULL;
  float *obs = NULL, *act = NULL;
  int64_t *ends = odp_calloc((size_t)f->n + 1, sizeof(int64_t), "episode ends"), rows = 0;
  int *dims = odp_calloc((size_t)n_keys + 1, sizeof(int), "key widths"), obs_dim = 0, rank;
  int64_t shape[RM_MAX_RANK];
  if (!ends || !dims) goto done;
  for (int i = 0; i < f->n; i++) ends[i] = rows += f->demos[i].samples;
  if (f->n < 1) {
    odp_fail("%s: no demos", path);
    goto done;
  }
  for (int k = 0; k <= n_keys; k++) {  // widths from demo 0's shapes, before any read
    char key[512];
    snprintf(key, sizeof key, k < n_keys ? "obs/%s" : "actions", k < n_keys ? obs_keys[k] : "");
    if (rm_shape(f, 0, key, &rank, shape)) goto done;
    dims[k] = rank == 2 && shape[1] >= 1 && shape[1] <= 1 << 20 ? (int)shape[1] : 1;
    if (k < n_keys) obs_dim += dims[k];
  }
  int da = dims[n_keys], act_dim = abs_rot6d ? da / 7 * 10 : da;
  if (abs_rot6d && da != 7 && da != 14) {
    odp_fail("%s: data/%s/actions: %d columns; absolute actions are 7 (or 14: two arms)", path, f->demos[0].name, da);
    goto done;
  }
  if (rows > MAX_ELEMS / (obs_dim + act_dim)) {
    odp_fail("%s: %lld rows of %d + %d values: too large", path, (long long)rows, obs_dim, act_dim);
    goto done;
  }
  obs = odp_malloc(sizeof(float) * (size_t)(rows * obs_dim + 1), "observations");
  act = odp_malloc(sizeof(float) * (size_t)(rows * act_dim + 1), "actions");
  for (int i = 0; obs && act && i < f->n; i++)
    if (load_rows(f, i, obs_keys, n_keys, abs_rot6d, dims, obs_dim, obs + (i ? ends[i - 1] : 0) * obs_dim,
                  act + (i ? ends[i - 1] : 0) * act_dim))
      goto done;
  if (obs && act && !(ds = seqds_from_arrays(obs, obs_dim, act, act_dim, (long)rows, ends, f->n, cfg)))
    odp_fail_context("%s", path);
done:
  free(obs), free(act), free(ends), free(dims);
  rm_close(f);
  return ds;
}
