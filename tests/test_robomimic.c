// robomimic HDF5 reader/writer and the rotation helpers.
//   test_robomimic                      self-contained checks: rotations, writer -> reader round trip
//                                       (numeric demo order), training windows, damaged files
//   test_robomimic dump H5 DIR          every value the reader sees, for tests/ref/robomimic_h5.py
//   test_robomimic write H5             the formula-valued file the oracle checks with h5py
//   test_robomimic windows H5 OUT ROT6D KEYS T TO TA VAL SEED MAX   rm_sequence_open's windows as text
//   test_robomimic open H5              open + read every key; prints "ok" or the one-line error
//   test_robomimic rot                  stdin lines "aa(3) r6(6)" -> R(aa)(9) R(r6)(9) aa(R(r6))(3)
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/rotation.h"
#include "data/robomimic.h"
#include "test.h"
#include "test_dir.h"

static int open_handles(void) { return (int)H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL); }

// ---------------------------------------------------------------- the formula file

// Value of array a (0 actions, 1 states, 2 rewards, 3 + k: low-dim key k) of demo d at row t, column j:
// exact in binary, so every comparison is ==. tests/ref/robomimic_h5.py has the same formula.
static double formula(int d, int a, long t, int j) { return d * 1000 + a * 100 + t + j / 8.0; }
static uint8_t pixel(int d, long t, int y, int x, int c) { return (uint8_t)((d * 31 + t * 7 + y * 5 + x * 3 + c) & 255); }

#define N_DEMOS 12
#define IMG_H 6
#define IMG_W 5
static const char *LOWDIM[2] = {"robot0_eef_pos", "object"};
static const int LOWDIM_DIM[2] = {3, 10};
static const char *ENV_ARGS = "{\"env_name\": \"Lift\", \"type\": 1, \"env_kwargs\": {\"note\": \"\xc3\xbc\"}}";

static long demo_len(int d) { return 2 + (d * 7) % 5; }

// Demo d of the formula file (arrays malloc'd into bufs[0..7], freed by the caller).
static RmDemo formula_demo(int d, RmLowdimObs lo[2], RmImageObs *im, void *bufs[8], char *model, size_t model_size) {
  long n = demo_len(d);
  double *a = malloc(sizeof(double) * n * 7), *s = malloc(sizeof(double) * n * 5), *r = malloc(sizeof(double) * n);
  int64_t *done = malloc(sizeof(int64_t) * n);
  uint8_t *img = malloc((size_t)(n + 1) * IMG_H * IMG_W * 3);
  for (long t = 0; t < n; t++) {
    for (int j = 0; j < 7; j++) a[t * 7 + j] = formula(d, 0, t, j);
    for (int j = 0; j < 5; j++) s[t * 5 + j] = formula(d, 1, t, j);
    r[t] = formula(d, 2, t, 0), done[t] = t == n - 1;
  }
  for (int k = 0; k < 2; k++) {
    double *x = malloc(sizeof(double) * (n + 1) * LOWDIM_DIM[k]);
    for (long t = 0; t <= n; t++)
      for (int j = 0; j < LOWDIM_DIM[k]; j++) x[t * LOWDIM_DIM[k] + j] = formula(d, 3 + k, t, j);
    lo[k] = (RmLowdimObs){LOWDIM[k], LOWDIM_DIM[k], x};
    bufs[4 + k] = x;
  }
  for (long t = 0; t <= n; t++)
    for (int y = 0; y < IMG_H; y++)
      for (int x = 0; x < IMG_W; x++)
        for (int c = 0; c < 3; c++) img[((t * IMG_H + y) * IMG_W + x) * 3 + c] = pixel(d, t, y, x, c);
  *im = (RmImageObs){"agentview_image", IMG_H, IMG_W, img};
  bufs[0] = a, bufs[1] = s, bufs[2] = r, bufs[3] = done, bufs[6] = img, bufs[7] = NULL;
  snprintf(model, model_size, "<mujoco model=\"demo_%d\"/>", d);
  return (RmDemo){n, 7, 5, a, s, r, done, 2, 1, lo, im, model};
}

static int write_formula_file(const char *path) {
  RmWriter *w = rm_writer_create(path, ENV_ARGS);
  for (int d = 0; w && d < N_DEMOS; d++) {
    RmLowdimObs lo[2];
    RmImageObs im;
    void *bufs[8];
    char model[64];
    RmDemo demo = formula_demo(d, lo, &im, bufs, model, sizeof model);
    int rc = rm_writer_add(w, &demo);
    for (int k = 0; k < 8; k++) free(bufs[k]);
    if (rc) {
      rm_writer_abort(w);
      return ODP_ERR;
    }
  }
  return w ? rm_writer_close(w) : ODP_ERR;
}

// ---------------------------------------------------------------- reading everything

// Reads every array of every demo (images by rank); each is handed to `visit` (may be NULL).
typedef void (*Visit)(const RmFile *f, int i, const char *key, int rows, int dim, int h, int w, const void *data);

static int read_everything(const RmFile *f, Visit visit) {
  static const char *fixed[4] = {"actions", "states", "rewards", "dones"};
  for (int i = 0; i < rm_demo_count(f); i++) {
    char *model = rm_model_file(f, i);
    if (!model) return ODP_ERR;
    if (visit) visit(f, i, "model_file", 0, 0, 0, 0, model);
    free(model);
    char **keys[2] = {NULL, NULL};
    int counts[2] = {0, 0}, rc = rm_keys(f, i, "obs", &keys[0], &counts[0]) || rm_keys(f, i, "next_obs", &keys[1], &counts[1]);
    for (int k = 0; !rc && k < 4 + counts[0] + counts[1]; k++) {
      char key[512];
      int rank, dim, h = 0, w = 0;
      int64_t dims[RM_MAX_RANK];
      if (k < 4) snprintf(key, sizeof key, "%s", fixed[k]);
      else if (k < 4 + counts[0]) snprintf(key, sizeof key, "obs/%s", keys[0][k - 4]);
      else snprintf(key, sizeof key, "next_obs/%s", keys[1][k - 4 - counts[0]]);
      void *data = NULL;
      rc = rm_shape(f, i, key, &rank, dims) ||
           (rank == 4 ? rm_read_images(f, i, key, &h, &w, (uint8_t **)&data) : rm_read_f64(f, i, key, &dim, (double **)&data));
      if (!rc && visit) visit(f, i, key, (int)rm_demo_samples(f, i), rank == 4 ? 3 : dim, h, w, data);
      free(data);
    }
    rm_free_keys(keys[0], counts[0]), rm_free_keys(keys[1], counts[1]);
    if (rc) return ODP_ERR;
  }
  return ODP_OK;
}

// ---------------------------------------------------------------- tool modes

static FILE *manifest;
static const char *dump_dir;

static void dump_one(const RmFile *f, int i, const char *key, int rows, int dim, int h, int w, const void *data) {
  char name[700], path[1400];
  snprintf(name, sizeof name, "%s.%s.bin", rm_demo_name(f, i), key);
  for (char *c = name; *c; c++) *c = *c == '/' ? '.' : *c;
  snprintf(path, sizeof path, "%s/%s", dump_dir, name);
  size_t bytes = !strcmp(key, "model_file") ? strlen(data) : h ? (size_t)rows * h * w * 3 : sizeof(double) * rows * dim;
  FILE *out = fopen(path, "wb");
  if (!out || fwrite(data, 1, bytes, out) != bytes || fclose(out)) exit(1);
  fprintf(manifest, "%s %s %s %d %d %d %d %s\n", h ? "u8" : !strcmp(key, "model_file") ? "text" : "f64",
          rm_demo_name(f, i), key, rows, dim, h, w, name);
}

static int tool_dump(const char *h5, const char *dir) {
  RmFile *f = rm_open(h5);
  char path[1024];
  snprintf(path, sizeof path, "%s/manifest.txt", dir);
  if (!f || !(manifest = fopen(path, "w"))) return fprintf(stderr, "%s\n", odp_error()), 1;
  dump_dir = dir;
  fprintf(manifest, "env_args %zu\n%s\n", strlen(rm_env_args(f)), rm_env_args(f));
  for (int i = 0; i < rm_demo_count(f); i++) fprintf(manifest, "demo %s %ld\n", rm_demo_name(f, i), rm_demo_samples(f, i));
  int rc = read_everything(f, dump_one);
  fclose(manifest);
  rm_close(f);
  if (rc) fprintf(stderr, "%s\n", odp_error());
  return rc ? 1 : 0;
}

static int tool_open(const char *h5) {
  RmFile *f = rm_open(h5);
  int rc = f ? read_everything(f, NULL) : ODP_ERR;
  rm_close(f);
  if (open_handles()) return printf("LEAK: %d HDF5 objects open\n", open_handles()), 1;
  if (rc) return printf("%s\n", odp_error()), 1;
  return printf("ok\n"), 0;
}

static int tool_windows(char **argv) {  // argv: windows H5 OUT ROT6D KEYS T TO TA VAL SEED MAX
  const char *keys[16];
  int n_keys = 0;
  for (char *k = strtok(argv[5], ","); k && n_keys < 16; k = strtok(NULL, ",")) keys[n_keys++] = k;
  SeqConfig cfg = seq_config_default();
  cfg.horizon = atoi(argv[6]), cfg.n_obs_steps = atoi(argv[7]), cfg.n_action_steps = atoi(argv[8]);
  cfg.val_ratio = atof(argv[9]), cfg.split_seed = (uint32_t)strtoul(argv[10], NULL, 10);
  cfg.max_train_episodes = atoi(argv[11]);
  SeqDataset *ds = rm_sequence_open(argv[2], keys, n_keys, atoi(argv[4]), &cfg);
  FILE *out = ds ? fopen(argv[3], "w") : NULL;
  if (!ds || !out) return fprintf(stderr, "%s\n", odp_error()), 1;
  int od = seqds_obs_dim(ds), ad = seqds_action_dim(ds), T = seqds_horizon(ds);
  float *obs = malloc(sizeof(float) * T * od), *act = malloc(sizeof(float) * T * ad);
  fprintf(out, "dims %d %d\n", od, ad);
  for (int s = 0; s < 2; s++) {
    fprintf(out, "split %s %ld\n", s ? "val" : "train", seqds_count(ds, s));
    for (long k = 0; k < seqds_count(ds, s); k++) {
      SeqWindow w = seqds_window(ds, s, k);
      if (seqds_get(ds, s, k, obs, act)) return fprintf(stderr, "%s\n", odp_error()), 1;
      fprintf(out, "window %lld %lld %lld %lld\n", (long long)w.buffer_start, (long long)w.buffer_end,
              (long long)w.sample_start, (long long)w.sample_end);
      for (int j = 0; j < T * od; j++) fprintf(out, "%.9g%c", obs[j], j + 1 < T * od ? ' ' : '\n');
      for (int j = 0; j < T * ad; j++) fprintf(out, "%.9g%c", act[j], j + 1 < T * ad ? ' ' : '\n');
    }
  }
  free(obs), free(act);
  seqds_close(ds);
  return fclose(out) ? 1 : 0;
}

static int tool_rot(void) {
  double in[9], R[9], R6[9], aa[3];
  while (1) {
    for (int j = 0; j < 9; j++)
      if (scanf("%lf", &in[j]) != 1) return 0;
    rot_axis_angle_to_matrix(in, R);
    rot_6d_to_matrix(in + 3, R6);
    rot_matrix_to_axis_angle(R6, aa);
    for (int j = 0; j < 9; j++) printf("%.17g ", R[j]);
    for (int j = 0; j < 9; j++) printf("%.17g ", R6[j]);
    printf("%.17g %.17g %.17g\n", aa[0], aa[1], aa[2]);
  }
}

// ---------------------------------------------------------------- self-tests

static void check_matrix(const double *R, const double *want, double tol, const char *what) {
  double err = 0;
  for (int j = 0; j < 9; j++) err = fmax(err, fabs(R[j] - want[j]));
  CHECK(err <= tol, "%s: max error %g", what, err);
}

static void test_rotation(void) {
  double R[9], R2[9], r6[6], aa[3];
  rot_axis_angle_to_matrix((double[3]){0, 0, M_PI / 2}, R);
  check_matrix(R, (double[9]){0, -1, 0, 1, 0, 0, 0, 0, 1}, 1e-15, "90 degrees about z");
  rot_axis_angle_to_matrix((double[3]){0, 0, 0}, R);
  check_matrix(R, (double[9]){1, 0, 0, 0, 1, 0, 0, 0, 1}, 0, "zero rotation");
  for (int k = 0; k < 200; k++) {  // axis-angle -> R -> 6d -> R -> axis-angle, angles in [0, pi)
    double in[3] = {sin(k * 1.3), cos(k * 0.7), sin(k * 2.1 + 1)}, n = sqrt(in[0] * in[0] + in[1] * in[1] + in[2] * in[2]);
    double angle = k == 0 ? 1e-9 : k == 1 ? M_PI - 1e-6 : fmod(k * 0.37, M_PI);
    for (int j = 0; j < 3; j++) in[j] *= angle / n;
    rot_axis_angle_to_matrix(in, R);
    rot_matrix_to_6d(R, r6);
    rot_6d_to_matrix(r6, R2);
    check_matrix(R2, R, 1e-12, "6d round trip");
    rot_matrix_to_axis_angle(R, aa);
    CHECK(fabs(aa[0] - in[0]) + fabs(aa[1] - in[1]) + fabs(aa[2] - in[2]) < (k == 1 ? 1e-6 : 1e-9),
          "axis-angle round trip %d: (%g %g %g) vs (%g %g %g)", k, aa[0], aa[1], aa[2], in[0], in[1], in[2]);
  }
  // A raw network output (rows neither unit nor orthogonal) still gives a proper rotation.
  rot_6d_to_matrix((double[6]){2, 0.5, -1, 0.3, 3, 0.2}, R);
  double RRt[9], det = R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);
  for (int i = 0; i < 9; i++) RRt[i] = R[i / 3 * 3] * R[i % 3 * 3] + R[i / 3 * 3 + 1] * R[i % 3 * 3 + 1] + R[i / 3 * 3 + 2] * R[i % 3 * 3 + 2];
  check_matrix(RRt, (double[9]){1, 0, 0, 0, 1, 0, 0, 0, 1}, 1e-15, "6d -> R is orthonormal");
  CHECK_NEAR(det, 1, 1e-15, "6d -> R has det 1");
}

static int visit_bad;  // values that differ from the formula

static void check_one(const RmFile *f, int i, const char *key, int rows, int dim, int h, int w, const void *data) {
  int d = atoi(rm_demo_name(f, i) + 5), next = !strncmp(key, "next_obs/", 9), a = -1;
  const char *leaf = strchr(key, '/') ? strchr(key, '/') + 1 : key;
  if (!strcmp(key, "model_file")) {
    char want[64];
    snprintf(want, sizeof want, "<mujoco model=\"demo_%d\"/>", d);
    visit_bad += strcmp(data, want) != 0;
    return;
  }
  if (h) {
    visit_bad += h != IMG_H || w != IMG_W || strcmp(leaf, "agentview_image");
    for (long t = 0; t < rows && h == IMG_H && w == IMG_W; t++)
      for (int j = 0; j < IMG_H * IMG_W * 3; j++)
        visit_bad += ((const uint8_t *)data)[t * IMG_H * IMG_W * 3 + j] != pixel(d, t + next, j / 15, j / 3 % 5, j % 3);
    return;
  }
  const char *names[5] = {"actions", "states", "rewards", LOWDIM[0], LOWDIM[1]};
  for (int k = 0; k < 5; k++) a = strcmp(leaf, names[k]) ? a : k < 3 ? k : k;
  const double *x = data;
  for (long t = 0; t < rows; t++)
    for (int j = 0; j < dim; j++) {
      double want = !strcmp(key, "dones") ? t == rows - 1 : a < 0 ? -1 : formula(d, a, t + next, j);
      visit_bad += x[t * dim + j] != want;
    }
}

static void test_round_trip(void) {
  const char *path = path_in("formula.hdf5");
  CHECK(write_formula_file(path) == ODP_OK, "write: %s", odp_error());
  CHECK(access(path_in("formula.hdf5.tmp"), F_OK) != 0, "the tmp file is renamed away");
  RmFile *f = rm_open(path);
  CHECK(f != NULL, "open: %s", odp_error());
  if (!f) return;
  CHECK(rm_demo_count(f) == N_DEMOS && !strcmp(rm_env_args(f), ENV_ARGS), "%d demos, env_args %s", rm_demo_count(f), rm_env_args(f));
  int order = 0;
  for (int i = 0; i < rm_demo_count(f); i++) {
    char want[32];
    snprintf(want, sizeof want, "demo_%d", i);
    order += strcmp(rm_demo_name(f, i), want) != 0 || rm_demo_samples(f, i) != demo_len(i);
  }
  CHECK(order == 0, "demos in numeric order (demo_10 after demo_9) with their num_samples");
  char **keys;
  int count;
  CHECK(rm_keys(f, 2, "next_obs", &keys, &count) == ODP_OK && count == 3 && !strcmp(keys[0], "agentview_image") &&
            !strcmp(keys[1], "object") && !strcmp(keys[2], "robot0_eef_pos"),
        "next_obs keys: %d", count);
  rm_free_keys(keys, count);
  visit_bad = 0;
  CHECK(read_everything(f, check_one) == ODP_OK, "read: %s", odp_error());
  CHECK(visit_bad == 0, "%d values differ from what was written", visit_bad);
  int h = IMG_H + 1, w = IMG_W;
  uint8_t *img;
  CHECK(rm_read_images(f, 0, "obs/agentview_image", &h, &w, &img) == ODP_ERR && strstr(odp_error(), "expected (N, 7, 5, 3)"),
        "image height checked: %s", odp_error());
  rm_close(f);
  CHECK(open_handles() == 0, "%d HDF5 objects left open", open_handles());
}

static void test_windows(void) {
  const char *keys[2] = {"object", "robot0_eef_pos"};
  SeqConfig cfg = seq_config_default();
  cfg.horizon = 4, cfg.n_obs_steps = 2, cfg.n_action_steps = 2, cfg.val_ratio = 0.2;
  SeqDataset *ds = rm_sequence_open(path_in("formula.hdf5"), keys, 2, 1, &cfg);
  CHECK(ds != NULL, "rm_sequence_open: %s", odp_error());
  if (!ds) return;
  long n, n_act, want_rows = 0;
  const float *obs = seqds_rows(ds, SEQ_OBS, &n), *act = seqds_rows(ds, SEQ_ACTION, &n_act);
  for (int d = 0; d < N_DEMOS; d++) want_rows += demo_len(d);
  CHECK(n == want_rows && n_act == n && seqds_obs_dim(ds) == 13 && seqds_action_dim(ds) == 10, "%ld rows, dims %d %d", n,
        seqds_obs_dim(ds), seqds_action_dim(ds));
  int bad = 0;
  for (long row = 0, d = 0, t = 0; row < n && n == want_rows; row++, t++) {
    if (t == demo_len((int)d)) d++, t = 0;
    for (int j = 0; j < 13; j++) bad += obs[row * 13 + j] != (float)formula((int)d, j < 10 ? 4 : 3, t, j < 10 ? j : j - 10);
    double aa[3] = {formula((int)d, 0, t, 3), formula((int)d, 0, t, 4), formula((int)d, 0, t, 5)}, R[9];
    rot_axis_angle_to_matrix(aa, R);
    for (int j = 0; j < 10; j++)
      bad += act[row * 10 + j] != (float)(j < 3 ? formula((int)d, 0, t, j) : j < 9 ? R[j - 3] : formula((int)d, 0, t, 6));
  }
  CHECK(bad == 0, "%d window rows differ from the formula", bad);
  CHECK(seqds_count(ds, SEQ_VAL) > 0 && seqds_count(ds, SEQ_TRAIN) > 0, "both splits hold windows");
  seqds_close(ds);
  const char *nope[1] = {"nope"};
  CHECK(!rm_sequence_open(path_in("formula.hdf5"), nope, 1, 0, &cfg) && strstr(odp_error(), "data/demo_0/obs/nope: missing"),
        "unknown key: %s", odp_error());
  CHECK(open_handles() == 0, "%d HDF5 objects left open", open_handles());
}

// ---------------------------------------------------------------- damaged files

static void copy_file(const char *from, const char *to, long keep) {  // keep < 0: all
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  char buf[4096];
  size_t k;
  for (long done = 0; in && out && (k = fread(buf, 1, sizeof buf, in)) > 0; done += (long)k)
    fwrite(buf, 1, keep >= 0 && done + (long)k > keep ? (size_t)(keep - done > 0 ? keep - done : 0) : k, out);
  if (in) fclose(in);
  if (out) fclose(out);
}

static void set_attr(hid_t file, const char *obj, const char *name, hid_t type, const void *v) {
  hid_t o = H5Oopen(file, obj, H5P_DEFAULT), s = H5Screate(H5S_SCALAR);
  H5Adelete(o, name);
  hid_t a = H5Acreate2(o, name, type, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, type, v);
  H5Aclose(a), H5Sclose(s), H5Oclose(o);
}

static void replace_ds(hid_t file, const char *path, hid_t type, int rank, const hsize_t *dims) {
  H5Ldelete(file, path, H5P_DEFAULT);
  hid_t s = H5Screate_simple(rank, dims, NULL), d = H5Dcreate2(file, path, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(d), H5Sclose(s);
}

// Damages a copy of the formula file in way `which`; returns the text the error must hold.
static const char *damage(hid_t file, int which) {
  int64_t v;
  double x = 4;
  hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 8);
  const char *want = NULL;
  switch (which) {
    case 0: v = 999, set_attr(file, "data", "total", H5T_NATIVE_INT64, &v), want = "data: total says 999, the demos' num_samples sum to 46"; break;
    case 1: v = 5, set_attr(file, "data/demo_3", "num_samples", H5T_NATIVE_INT64, &v);  // demo_3 holds 3
      v = 48, set_attr(file, "data", "total", H5T_NATIVE_INT64, &v), want = "data/demo_3/actions: 3 rows, num_samples says 5"; break;
    case 2: H5Lmove(file, "data/demo_1", file, "data/demo_x", H5P_DEFAULT, H5P_DEFAULT), want = "data/demo_x: not a demo name"; break;
    case 3: H5Lmove(file, "data/demo_1", file, "data/demo_01", H5P_DEFAULT, H5P_DEFAULT), want = "data/demo_01: not a demo name"; break;
    case 4: H5Ldelete(file, "data/demo_0/actions", H5P_DEFAULT), want = "data/demo_0/actions: missing"; break;
    case 5: replace_ds(file, "data/demo_2/obs/object", str, 1, (hsize_t[]){4}), want = "data/demo_2/obs/object: not numeric"; break;
    case 6: replace_ds(file, "data/demo_2/next_obs/agentview_image", H5T_NATIVE_DOUBLE, 4, (hsize_t[]){6, 6, 5, 3});
      want = "data/demo_2/next_obs/agentview_image: not uint8"; break;
    case 7: replace_ds(file, "data/demo_2/states", H5T_NATIVE_DOUBLE, 3, (hsize_t[]){6, 5, 1}), want = "data/demo_2/states: shape (6, 5, ...)"; break;
    case 8: replace_ds(file, "data/demo_4/obs/agentview_image", H5T_NATIVE_UCHAR, 4, (hsize_t[]){5, 6, 5, 4});
      want = "data/demo_4/obs/agentview_image: rank 4, shape (5, 6, 5, 4)"; break;
    case 9: set_attr(file, "data/demo_7", "num_samples", H5T_NATIVE_DOUBLE, &x), want = "data/demo_7.num_samples: not a single integer"; break;
    case 10: set_attr(file, "data", "env_args", H5T_NATIVE_DOUBLE, &x), want = "data.env_args: not a single string"; break;
    case 11: H5Ldelete(file, "data/demo_5", H5P_DEFAULT), replace_ds(file, "data/demo_5", H5T_NATIVE_DOUBLE, 1, (hsize_t[]){2});
      want = "data/demo_5: not a group"; break;
    case 12: H5Ldelete(file, "data/demo_6/next_obs", H5P_DEFAULT), want = "data/demo_6/next_obs: not a readable group"; break;
    case 13: H5Ldelete(file, "data", H5P_DEFAULT), want = "no group 'data'"; break;
  }
  H5Tclose(str);
  return want;
}

// Opening and reading all of `path` must fail with one line holding `want` and the path.
static void expect_error(const char *path, const char *want, const char *what) {
  RmFile *f = rm_open(path);
  int rc = f ? read_everything(f, NULL) : ODP_ERR;
  rm_close(f);
  const char *msg = odp_error();
  CHECK(rc == ODP_ERR && strstr(msg, path) && strstr(msg, want) && !strchr(msg, '\n'), "%s: '%s', want '%s'", what, msg, want);
  CHECK(open_handles() == 0, "%s: %d HDF5 objects left open", what, open_handles());
}

static void test_bad_files(void) {
  const char *good = path_in("formula.hdf5"), *bad = path_in("damaged.hdf5");
  for (int which = 0; which < 14; which++) {
    copy_file(good, bad, -1);
    hid_t file = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    const char *want = damage(file, which);
    H5Fclose(file);
    char what[32];
    snprintf(what, sizeof what, "damage %d", which);
    expect_error(bad, want, what);
  }
  expect_error(path_in("missing.hdf5"), "No such file", "missing file");
  FILE *g = fopen(bad, "w");
  fputs("certainly not HDF5\n", g), fclose(g);
  expect_error(bad, "not an HDF5 file", "garbage");
  FILE *in = fopen(good, "rb");
  fseek(in, 0, SEEK_END);
  long size = ftell(in);
  fclose(in);
  for (long keep = 0; keep < size; keep += size / 13 + 1) {  // every cut: an error, never a crash
    copy_file(good, bad, keep);
    char what[96];
    snprintf(what, sizeof what, "truncated to %ld of %ld bytes", keep, size);
    expect_error(bad, "", what);
  }
  // The writer: a bad demo is refused (the tmp file goes with abort), a bad directory named.
  RmWriter *w = rm_writer_create(path_in("refused.hdf5"), "{}");
  RmDemo empty = {0};
  CHECK(w && rm_writer_add(w, &empty) == ODP_ERR && strstr(odp_error(), "demo_0: bad sizes"), "empty demo: %s", odp_error());
  rm_writer_abort(w);
  CHECK(access(path_in("refused.hdf5.tmp"), F_OK) != 0, "abort removes the tmp file");
  CHECK(!rm_writer_create("/nonexistent/dir/x.hdf5", "{}") && strstr(odp_error(), "/nonexistent/dir/x.hdf5.tmp: cannot create"),
        "writer in a missing directory: %s", odp_error());
  CHECK(open_handles() == 0, "writer: %d HDF5 objects left open", open_handles());
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "dump")) return tool_dump(argv[2], argv[3]);
  if (argc == 3 && !strcmp(argv[1], "write")) return write_formula_file(argv[2]) ? fprintf(stderr, "%s\n", odp_error()), 1 : 0;
  if (argc == 12 && !strcmp(argv[1], "windows")) return tool_windows(argv);
  if (argc == 3 && !strcmp(argv[1], "open")) return tool_open(argv[2]);
  if (argc == 2 && !strcmp(argv[1], "rot")) return tool_rot();
  if (argc > 1) return fprintf(stderr, "usage: see the top of tests/test_robomimic.c\n"), 2;
  test_dir_open("robomimic");
  test_rotation();
  test_round_trip();
  test_windows();
  test_bad_files();
  TEST_MAIN_END();
}
