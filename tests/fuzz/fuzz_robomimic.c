// libFuzzer: the robomimic reader's HDF5 metadata path. The input is a little program that
// builds an HDF5 file in memory (core driver, nothing on disk): env_args and total of any
// kind or absent, members of `data` named demo_<k> or not (leading zeros, huge numbers,
// "mask"), groups, datasets or dangling links, num_samples and model_file of every attribute
// kind, and each of actions, states, rewards, dones and the obs/next_obs keys present or
// not, in f64, f32, i64, u8, strings or bool, of any rank, with more, fewer or no rows,
// contiguous or gzip'd. The file's image is then reopened read-only (HDF5 decodes its own
// metadata afresh) for rm_open + reading every demo's keys. Byte 0 of every choice is the
// well-formed option, so a short input makes a valid file. Properties beyond "no crash":
// every error is one line naming the file, demos come out in numeric order, and after
// rm_close no HDF5 object is left open.
//
// Why not raw bytes as the file image: Debian's libhdf5 1.10.8 has bugs of its own that
// arbitrary bytes reach within seconds (an endless loop decoding a global heap collection
// with a zero-size object, allocations of a corrupt length in H5C_protect, a heap overflow
// decoding attribute messages in H5Aexists, leaks on its error paths), none in onedp and none
// onedp could guard against. ONEDP_FUZZ_RAW_HDF5=1 in the environment opens the input bytes
// as the file image all the same, for an HDF5 that fixes them.
#include <hdf5.h>

#include "core/error.h"
#include "data/robomimic_internal.h"
#include "fuzz.h"

#define MAX_READ (1 << 20)  // elements of one dataset read whole

typedef struct {
  const uint8_t *p;
  size_t n;
} Program;

// The next choice in [0, range): 0 once the input is spent.
static unsigned take(Program *b, unsigned range) {
  if (!b->n) return 0;
  b->n--;
  return *b->p++ % range;
}

// 0 (the well-formed option) about half the time, else 1 .. n - 1: random bytes still reach
// deep into a file that is mostly valid.
static unsigned rare(Program *b, unsigned n) {
  unsigned v = take(b, 2 * n);
  return v < n ? 0 : v - n;
}

// ---------------------------------------------------------------- building the file

static void put_attr(hid_t obj, const char *name, unsigned kind, int64_t value) {
  const char *text = "{\"env_name\": \"Lift\"}";
  hid_t s = kind == 4 ? H5Screate_simple(1, (hsize_t[]){2}, NULL) : H5Screate(kind == 7 ? H5S_NULL : H5S_SCALAR);
  hid_t t = H5Tcopy(kind == 1 || kind == 4 || kind == 7 ? H5T_NATIVE_INT64 : kind == 2 ? H5T_NATIVE_DOUBLE
                    : kind == 5 ? H5T_NATIVE_UINT8 : H5T_C_S1);
  if (kind == 0 || kind == 3) H5Tset_size(t, kind == 0 ? H5T_VARIABLE : strlen(text) + 1);
  hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  int64_t v[2] = {value, value};
  double x = (double)value;
  uint8_t u = (uint8_t)value;
  if (kind != 7) H5Awrite(a, t, kind == 0 ? (const void *)&text : kind == 3 ? (const void *)text : kind == 2 ? (void *)&x
                                                                                   : kind == 5 ? (void *)&u : (void *)v);
  H5Aclose(a), H5Tclose(t), H5Sclose(s);
}

// A string attribute of some kind (0: vlen str) or none (6).
static void str_attr(Program *b, hid_t obj, const char *name) {
  unsigned kind = rare(b, 8);
  if (kind != 6) put_attr(obj, name, kind == 1 ? 3 : kind, 7);
}

// An int64 attribute holding value (choice 0), another kind, or none. Returns what a reader
// that accepts it sees, or -1.
static int64_t int_attr(Program *b, hid_t obj, const char *name, int64_t value) {
  static const int64_t odd[4] = {-1, 1LL << 41, 0, 1};
  static const unsigned kinds[6] = {1, 2, 0, 4, 5, 7};  // int64, double, str, int64 (2,), uint8, null space
  unsigned choice = rare(b, 11);
  if (choice == 6) return -1;  // absent
  if (choice > 6) value = odd[choice - 7], choice = 0;
  put_attr(obj, name, kinds[choice], value);
  return choice == 0 || choice == 4 ? value : -1;
}

// loc/name: default dtype `type` and shape (rank, dims), or a variation of it (choice 0: none).
static void put_dataset(Program *b, hid_t loc, const char *name, hid_t type, int rank, hsize_t *dims) {
  unsigned present = rare(b, 16), kind = rare(b, 8), reshape = rare(b, 6), rows = rare(b, 4), gzip = take(b, 3);
  if (present == 15) return;
  if (present == 14) {  // a group in its place
    H5Gclose(H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    return;
  }
  hid_t t = H5Tcopy(kind == 1 ? H5T_NATIVE_FLOAT : kind == 2 ? H5T_NATIVE_INT64 : kind == 3 ? H5T_NATIVE_UINT8
                    : kind == 4 ? H5T_NATIVE_INT8 : kind == 5 ? H5T_C_S1 : kind == 6 ? H5T_NATIVE_UINT16 : type);
  if (kind == 7) {  // h5py's bool
    H5Tclose(t), t = H5Tenum_create(H5T_NATIVE_INT8);
    int8_t f = 0, v = 1;
    H5Tenum_insert(t, "FALSE", &f), H5Tenum_insert(t, "TRUE", &v);
  }
  if (reshape == 1 && rank > 1) rank--;
  if (reshape == 2 && rank < 5) dims[rank++] = 2;
  if (reshape == 3) dims[rank - 1] = take(b, 5);
  if (rows == 1) dims[0]++;
  if (rows == 2 && dims[0]) dims[0]--;
  if (rows == 3) dims[0] = 0;
  hid_t s = reshape == 4 ? H5Screate(H5S_SCALAR) : reshape == 5 ? H5Screate(H5S_NULL) : H5Screate_simple(rank, dims, NULL);
  hid_t p = H5Pcreate(H5P_DATASET_CREATE);
  hsize_t chunk[5] = {1, 1, 1, 1, 1}, elems = 1;
  for (int k = 0; k < rank; k++) elems *= dims[k];
  if (gzip == 2 && reshape < 4 && elems) H5Pset_chunk(p, rank, chunk), H5Pset_deflate(p, 1);
  hid_t d = H5Dcreate2(loc, name, t, s, H5P_DEFAULT, p, H5P_DEFAULT);
  void *zeros = calloc(elems + 1, 8);
  H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros);
  free(zeros);
  H5Dclose(d), H5Pclose(p), H5Sclose(s), H5Tclose(t);
}

// obs or next_obs: a group of low-dim and camera keys, or something else.
static void put_obs(Program *b, hid_t demo, const char *name, hsize_t n) {
  unsigned kind = rare(b, 8), keys = 1 + take(b, 3);
  if (kind == 6) return;
  if (kind == 7) {
    put_dataset(b, demo, name, H5T_NATIVE_DOUBLE, 1, (hsize_t[5]){n});
    return;
  }
  hid_t g = H5Gcreate2(demo, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  for (unsigned k = 0; k < keys; k++) {
    char key[16];
    snprintf(key, sizeof key, "k%u", k);
    if (take(b, 3) == 2) put_dataset(b, g, key, H5T_NATIVE_UINT8, 4, (hsize_t[5]){n, 1 + take(b, 4), 1 + take(b, 4), 3});
    else put_dataset(b, g, key, H5T_NATIVE_DOUBLE, 2, (hsize_t[5]){n, 1 + take(b, 4)});
  }
  H5Gclose(g);
}

// Member i of data; returns the num_samples a reader sees (0 if none).
static int64_t put_member(Program *b, hid_t data, int i) {
  static const char *odd[6] = {"demo_", "demo_x", "mask", "demo_-1", "demo_4294967296", "demo_1e3"};
  char name[32];
  unsigned how = take(b, 64), what = rare(b, 16);  // a bad name fails the whole file: rarer still
  if (how < 48) snprintf(name, sizeof name, "demo_%d", i);
  else if (how < 52) snprintf(name, sizeof name, "demo_%u", take(b, 256));
  else if (how < 56) snprintf(name, sizeof name, "demo_0%d", i);
  else snprintf(name, sizeof name, "%s", odd[(how - 56) % 6]);
  if (H5Lexists(data, name, H5P_DEFAULT) > 0) return 0;
  if (what == 15) return H5Lcreate_soft("/nowhere", data, name, H5P_DEFAULT, H5P_DEFAULT), 0;
  if (what == 14) return put_dataset(b, data, name, H5T_NATIVE_DOUBLE, 1, (hsize_t[5]){3}), 0;
  hid_t g = H5Gcreate2(data, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t n = 1 + take(b, 5);
  int64_t seen = int_attr(b, g, "num_samples", (int64_t)n);
  str_attr(b, g, "model_file");
  put_dataset(b, g, "actions", H5T_NATIVE_DOUBLE, 2, (hsize_t[5]){n, 7});
  put_dataset(b, g, "states", H5T_NATIVE_DOUBLE, 2, (hsize_t[5]){n, 4});
  put_dataset(b, g, "rewards", H5T_NATIVE_DOUBLE, 1, (hsize_t[5]){n});
  put_dataset(b, g, "dones", H5T_NATIVE_INT64, 1, (hsize_t[5]){n});
  put_obs(b, g, "obs", n), put_obs(b, g, "next_obs", n);
  H5Gclose(g);
  return seen > 0 ? seen : 0;
}

// The file the program describes, as a malloc'd HDF5 image.
static void *build(Program *b, size_t *size) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_core(fapl, 1 << 16, 0);
  hid_t file = H5Fcreate("onedp-fuzz-robomimic.hdf5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  unsigned data_kind = rare(b, 16), members = 1 + take(b, 13);
  if (data_kind < 14) {
    hid_t data = H5Gcreate2(file, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    str_attr(b, data, "env_args");
    int64_t total = 0;
    for (unsigned i = 0; i < members; i++) total += put_member(b, data, (int)i);
    int_attr(b, data, "total", total + (rare(b, 8) == 7));
    H5Gclose(data);
  } else if (data_kind == 14) {
    put_dataset(b, file, "data", H5T_NATIVE_DOUBLE, 1, (hsize_t[5]){3});
  }
  H5Fflush(file, H5F_SCOPE_GLOBAL);
  ssize_t n = H5Fget_file_image(file, NULL, 0);
  void *image = n > 0 ? malloc((size_t)n) : NULL;
  if (!image || H5Fget_file_image(file, image, (size_t)n) != n) abort();
  H5Fclose(file);
  FUZZ_CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0, "the builder left objects open");
  *size = (size_t)n;
  return image;
}

// ---------------------------------------------------------------- reading it back

static void check_error(void) {
  const char *msg = odp_error();
  FUZZ_CHECK(!strchr(msg, '\n') && !strncmp(msg, "fuzz.hdf5", 9), "error '%s'", msg);
  odp_error_clear();
}

static void read_key(const RmFile *f, int i, const char *key) {
  int rank, dim, h = 0, w = 0;
  int64_t dims[RM_MAX_RANK];
  if (rm_shape(f, i, key, &rank, dims)) return check_error();
  if (dims[0] * dims[1] * dims[2] * dims[3] > MAX_READ) return;
  void *data = NULL;
  int rc = rank == 4 ? rm_read_images(f, i, key, &h, &w, (uint8_t **)&data) : rm_read_f64(f, i, key, &dim, (double **)&data);
  if (rc) check_error();
  else FUZZ_CHECK(data && dims[0] == rm_demo_samples(f, i), "%s: %lld rows read", key, (long long)dims[0]);
  free(data);
}

static void read_demo(const RmFile *f, int i) {
  static const char *fixed[4] = {"actions", "states", "rewards", "dones"};
  char *model = rm_model_file(f, i);
  if (!model) check_error();
  free(model);
  for (int k = 0; k < 4; k++) read_key(f, i, fixed[k]);
  for (int g = 0; g < 2; g++) {
    char **keys, key[1024];
    int count;
    if (rm_keys(f, i, g ? "next_obs" : "obs", &keys, &count)) {
      check_error();
      continue;
    }
    for (int k = 0; k < count; k++) {
      snprintf(key, sizeof key, "%s/%s", g ? "next_obs" : "obs", keys[k]);
      read_key(f, i, key);
    }
    rm_free_keys(keys, count);
  }
}

// Open ids of the kinds H5Fget_obj_count does not see (transient types, dataspaces, property lists).
static hsize_t loose_ids(void) {
  hsize_t total = 0, n;
  H5I_type_t kinds[3] = {H5I_DATATYPE, H5I_DATASPACE, H5I_GENPROP_LST};
  for (int k = 0; k < 3; k++) total += H5Inmembers(kinds[k], &n) >= 0 ? n : 0;
  return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int raw = -1;
  hsize_t loose = loose_ids();
  if (raw < 0) raw = getenv("ONEDP_FUZZ_RAW_HDF5") && atoi(getenv("ONEDP_FUZZ_RAW_HDF5"));
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  Program b = {data, size};
  size_t n = size;
  void *image = raw ? NULL : build(&b, &n);
  if (n < 8) return 0;  // an empty image: the core driver would read the named file instead
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), file = -1;
  if (H5Pset_fapl_core(fapl, 1 << 16, 0) >= 0 && H5Pset_file_image(fapl, raw ? (void *)data : image, n) >= 0)
    file = H5Fopen("/nonexistent/onedp-fuzz.hdf5", H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  free(image);
  if (file >= 0) {
    RmFile *f = rm_open_hid(file, "fuzz.hdf5");
    if (!f) check_error();
    for (int i = 0; f && i < rm_demo_count(f); i++) {
      FUZZ_CHECK(rm_demo_samples(f, i) >= 0 && !strncmp(rm_demo_name(f, i), "demo_", 5), "demo %d", i);
      FUZZ_CHECK(i == 0 || atol(rm_demo_name(f, i) + 5) > atol(rm_demo_name(f, i - 1) + 5), "demo order at %d", i);
      read_demo(f, i);
    }
    rm_close(f);
  }
  ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  FUZZ_CHECK(open == 0, "%zd HDF5 objects left open", open);
  FUZZ_CHECK(loose_ids() == loose, "%llu type/space/list ids left open", (unsigned long long)(loose_ids() - loose));
  return 0;
}
