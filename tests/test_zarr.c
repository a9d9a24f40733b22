// zarr reader: synthetic stores (every dtype, N-d chunking, partial edge chunks,
// both separators, raw and blosc), corrupt stores (each failure must name the
// array and chunk), and the PushT demonstration store cross-checked against facts
// that do not come from this decoder.
#define _XOPEN_SOURCE 700  // nftw
#include <blosc.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "data/zarr.h"
#include "test.h"

#define PUSHT "../shared/data/pusht/pusht_cchi_v7_replay.zarr"

static char tmp_root[256];

static void write_file(const char *rel, const void *data, size_t n) {
  char path[512], dir[512];
  snprintf(path, sizeof path, "%s/%s", tmp_root, rel);
  snprintf(dir, sizeof dir, "%s", path);
  for (char *p = dir + strlen(tmp_root) + 1; *p; p++)
    if (*p == '/') *p = 0, mkdir(dir, 0755), *p = '/';
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
  fwrite(data, 1, n, f);
  fclose(f);
}

static void write_text(const char *rel, const char *text) { write_file(rel, text, strlen(text)); }

static void write_blosc(const char *rel, const void *data, size_t n, size_t typesize) {
  unsigned char *buf = malloc(n + BLOSC_MAX_OVERHEAD);
  int c = blosc_compress_ctx(5, BLOSC_BITSHUFFLE, typesize, n, data, buf, n + BLOSC_MAX_OVERHEAD, "zstd", 0, 1);
  if (c <= 0) exit(1);
  write_file(rel, buf, (size_t)c);
  free(buf);
}

static const char *BLOSC_JSON = "{\"id\":\"blosc\",\"cname\":\"zstd\",\"clevel\":5,\"shuffle\":2,\"blocksize\":0}";

static void write_zarray(const char *arr, const char *shape, const char *chunks, const char *dtype, const char *comp,
                         const char *fill, const char *extra) {
  char rel[256], text[1024];
  snprintf(rel, sizeof rel, "%s/.zarray", arr);
  snprintf(text, sizeof text,
           "{\"zarr_format\":2%s,\"shape\":%s,\"chunks\":%s,\"dtype\":\"%s\",\"compressor\":%s,\"fill_value\":%s,"
           "\"filters\":null,\"order\":\"C\"}",
           extra, shape, chunks, dtype, comp, fill);  // extra first: cJSON keeps the first of duplicate keys
  write_text(rel, text);
}

// value at (i, j, k) of the synthetic 3-d arrays
static double synth(int i, int j, int k) { return i * 100 + j * 10 + k; }

// Writes `arr` with shape (7,5,3), chunks (3,2,3): grid (3,3,1), edge chunks partial in dims 0 and 1.
static void write_synth_3d(const char *arr, const char *dtype, int blosc, char sep) {
  char extra[64] = "";
  if (sep == '/') snprintf(extra, sizeof extra, ",\"dimension_separator\":\"/\"");
  write_zarray(arr, "[7,5,3]", "[3,2,3]", dtype, blosc ? BLOSC_JSON : "null", "0", extra);
  size_t isz = (size_t)(dtype[2] - '0');
  for (int ci = 0; ci < 3; ci++)
    for (int cj = 0; cj < 3; cj++) {
      unsigned char chunk[3 * 2 * 3 * 8];
      memset(chunk, 0xEE, sizeof chunk);  // junk outside the array, as zarr leaves it
      for (int a = 0; a < 3; a++)
        for (int b = 0; b < 2; b++)
          for (int k = 0; k < 3; k++) {
            int i = ci * 3 + a, j = cj * 2 + b;
            if (i >= 7 || j >= 5) continue;
            double v = synth(i, j, k);
            unsigned char *p = chunk + ((a * 2 + b) * 3 + k) * isz;
            if (isz == 1) *p = (unsigned char)((i * 31 + j * 7 + k) & 0xFF);
            else if (dtype[1] == 'f' && isz == 4) *(float *)p = (float)v;
            else if (dtype[1] == 'f') *(double *)p = v;
            else *(int64_t *)p = (int64_t)v - 300;
          }
      char rel[256];
      snprintf(rel, sizeof rel, "%s/%d%c%d%c0", arr, ci, sep, cj, sep);
      if (blosc) write_blosc(rel, chunk, 18 * isz, isz);
      else write_file(rel, chunk, 18 * isz);
    }
}

static void test_synthetic(void) {
  write_text(".zgroup", "{\"zarr_format\":2}");
  write_synth_3d("g/f8", "<f8", 1, '.');
  write_synth_3d("g/f4", "<f4", 0, '/');
  write_synth_3d("g/i8", "<i8", 1, '.');
  write_synth_3d("u1", "|u1", 0, '.');
  const char *names[] = {"g/f8", "g/f4", "g/i8"};
  for (int n = 0; n < 3; n++) {
    ZarrArray *a = zarr_open(tmp_root, names[n]);
    CHECK(a != NULL, "open %s: %s", names[n], odp_error());
    if (!a) continue;
    CHECK(zarr_ndim(a) == 3 && zarr_rows(a) == 7 && zarr_row_elems(a) == 15, "%s geometry", names[n]);
    double all[7 * 15], part[3 * 15];
    CHECK(zarr_read_rows(a, 0, 7, ZARR_F64, all) == ODP_OK, "%s read: %s", names[n], odp_error());
    CHECK(zarr_read_rows(a, 2, 3, ZARR_F64, part) == ODP_OK, "%s read part: %s", names[n], odp_error());
    int bad = 0, badpart = 0;
    double off = n == 2 ? -300 : 0;
    for (int i = 0; i < 7; i++)
      for (int j = 0; j < 5; j++)
        for (int k = 0; k < 3; k++) {
          bad += all[(i * 5 + j) * 3 + k] != synth(i, j, k) + off;
          if (i >= 2 && i < 5) badpart += part[((i - 2) * 5 + j) * 3 + k] != synth(i, j, k) + off;
        }
    CHECK(bad == 0 && badpart == 0, "%s: %d wrong values, %d in the partial read", names[n], bad, badpart);
    float f[15];
    CHECK(zarr_read_rows(a, 6, 1, ZARR_F32, f) == ODP_OK && f[14] == (float)(synth(6, 4, 2) + off), "%s last row as f32",
          names[n]);
    int64_t iv[15];
    int rc = zarr_read_rows(a, 0, 1, ZARR_I64, iv);
    CHECK(n == 2 ? rc == ODP_OK && iv[4] == 11 - 300 : rc == ODP_ERR, "%s as i64: rc %d", names[n], rc);
    unsigned char u[15];
    CHECK(zarr_read_rows(a, 0, 1, ZARR_U8, u) == ODP_ERR && strstr(odp_error(), names[n]), "%s as u8 must be refused",
          names[n]);
    CHECK(zarr_read_rows(a, 5, 3, ZARR_F64, all) == ODP_ERR && strstr(odp_error(), "outside"), "rows past the end");
    zarr_close(a);
  }
  ZarrArray *u = zarr_open(tmp_root, "u1");
  CHECK(u && zarr_dtype(u) == ZARR_U8, "open u1: %s", odp_error());
  if (u) {
    unsigned char b[7 * 15];
    int64_t w[7 * 15];
    int bad = zarr_read_rows(u, 0, 7, ZARR_U8, b) || zarr_read_rows(u, 0, 7, ZARR_I64, w);
    for (int i = 0; i < 7 * 15 && !bad; i++) {
      int ii = i / 15, j = i / 3 % 5, k = i % 3, want = (ii * 31 + j * 7 + k) & 0xFF;
      bad += b[i] != want || w[i] != want;
    }
    CHECK(!bad, "u1 values");
    zarr_close(u);
  }
  char **list;
  int count;
  CHECK(zarr_list_arrays(tmp_root, &list, &count) == ODP_OK && count == 4 && !strcmp(list[0], "g/f4") &&
            !strcmp(list[3], "u1"),
        "list arrays: %d", count);
  if (count) zarr_free_names(list, count);
}

// Expects zarr_open(name) to fail with a message containing all of the given words.
static void expect_open_error(const char *name, const char *w1, const char *w2) {
  ZarrArray *a = zarr_open(tmp_root, name);
  const char *e = odp_error();
  CHECK(!a && strstr(e, name) && strstr(e, w1) && (!w2 || strstr(e, w2)), "open %s: %s", name, a ? "succeeded" : e);
  zarr_close(a);
}

static void test_bad_metadata(void) {
  write_text("bad/json/.zarray", "{\"zarr_format\": 2, \"shape\": [3,");
  expect_open_error("bad/json", "invalid JSON", ".zarray");
  write_zarray("bad/dtype", "[4]", "[2]", ">f4", "null", "0", "");
  expect_open_error("bad/dtype", "unsupported dtype", ">f4");
  write_zarray("bad/i4", "[4]", "[2]", "<i4", "null", "0", "");
  expect_open_error("bad/i4", "unsupported dtype", "<i4");
  write_zarray("bad/order", "[4]", "[2]", "<f4", "null", "0", ",\"order\":\"F\"");
  expect_open_error("bad/order", "order", NULL);
  write_zarray("bad/dims", "[4,2]", "[2]", "<f4", "null", "0", "");
  expect_open_error("bad/dims", "chunks", "dims");
  write_zarray("bad/chunk0", "[4]", "[0]", "<f4", "null", "0", "");
  expect_open_error("bad/chunk0", "chunks", NULL);
  write_zarray("bad/shape", "[-4]", "[2]", "<f4", "null", "0", "");
  expect_open_error("bad/shape", "shape", NULL);
  write_zarray("bad/comp", "[4]", "[2]", "<f4", "{\"id\":\"zlib\",\"level\":1}", "0", "");
  expect_open_error("bad/comp", "compressor", "zlib");
  write_zarray("bad/filters", "[4]", "[2]", "<f4", "null", "0", ",\"filters\":[{\"id\":\"delta\"}]");
  expect_open_error("bad/filters", "filters", NULL);
  write_zarray("bad/fill", "[4]", "[2]", "|u1", "null", "300", "");
  expect_open_error("bad/fill", "fill_value", NULL);
  write_zarray("bad/fill_i8", "[4]", "[2]", "<i8", "null", "-9.3e18", "");  // below -2^63: no int64 holds it
  expect_open_error("bad/fill_i8", "fill_value", NULL);
  write_zarray("bad/fill_i8_top", "[4]", "[2]", "<i8", "null", "9223372036854775808", "");  // 2^63
  expect_open_error("bad/fill_i8_top", "fill_value", NULL);
  write_text("bad/trailing/.zarray", "{\"zarr_format\":2,\"shape\":[4],\"chunks\":[2],\"dtype\":\"<f4\","
                                     "\"compressor\":null,\"fill_value\":0} {\"shape\":[8]}");
  expect_open_error("bad/trailing", "invalid JSON", NULL);
  write_text("bad/isdir/.zarray/x", "");
  expect_open_error("bad/isdir", "not a regular file", NULL);
  write_zarray("bad/huge", "[4]", "[1000000000]", "<f8", "null", "0", "");
  expect_open_error("bad/huge", "chunk", "2 GiB");
  write_text("bad/v3/.zarray", "{\"zarr_format\":3,\"shape\":[4],\"chunks\":[2],\"dtype\":\"<f4\",\"compressor\":null}");
  expect_open_error("bad/v3", "zarr_format", NULL);
  write_text("bad/list/.zarray", "[1,2,3]");
  expect_open_error("bad/list", "not a JSON object", NULL);
  expect_open_error("bad/absent", ".zarray", "No such file");
}

// Expects reading all rows of `name` to fail naming the array and chunk key, plus `what`.
static void expect_read_error(const char *name, const char *key, const char *what) {
  ZarrArray *a = zarr_open(tmp_root, name);
  CHECK(a != NULL, "open %s: %s", name, odp_error());
  if (!a) return;
  double out[512];
  int rc = zarr_read_rows(a, 0, zarr_rows(a), ZARR_F64, out);
  char chunk[64];
  snprintf(chunk, sizeof chunk, "chunk %s", key);
  const char *e = odp_error();
  CHECK(rc == ODP_ERR && strstr(e, name) && strstr(e, chunk) && strstr(e, what), "%s: rc %d: %s", name, rc, e);
  zarr_close(a);
}

static void test_bad_chunks(void) {
  double v[4] = {1, 2, 3, 4};
  unsigned char buf[256];
  int c = blosc_compress_ctx(5, BLOSC_SHUFFLE, 8, sizeof v, v, buf, sizeof buf, "zstd", 0, 1);
  // missing chunk: an error by default, fill_value when allowed
  write_zarray("c/missing", "[8]", "[4]", "<f8", BLOSC_JSON, "-1.5", "");
  write_file("c/missing/0", buf, (size_t)c);
  expect_read_error("c/missing", "1", "missing");
  ZarrArray *a = zarr_open(tmp_root, "c/missing");
  double out[8] = {0};
  if (a) zarr_allow_missing_chunks(a, 1);
  CHECK(a && zarr_read_rows(a, 0, 8, ZARR_F64, out) == ODP_OK && out[3] == 4 && out[4] == -1.5 && out[7] == -1.5,
        "missing chunk as fill_value: %s", odp_error());
  zarr_close(a);
  // the smallest <i8 fill_value, -2^63, fills exactly
  write_zarray("c/fill_min", "[4]", "[2]", "<i8", "null", "-9223372036854775808", "");
  a = zarr_open(tmp_root, "c/fill_min");
  int64_t iout[4] = {0};
  if (a) zarr_allow_missing_chunks(a, 1);
  CHECK(a && zarr_read_rows(a, 0, 4, ZARR_I64, iout) == ODP_OK && iout[0] == INT64_MIN && iout[3] == INT64_MIN,
        "fill_value -2^63: %s", odp_error());
  zarr_close(a);
  // truncated: header intact, payload cut short
  write_zarray("c/trunc", "[8]", "[4]", "<f8", BLOSC_JSON, "0", "");
  write_file("c/trunc/0", buf, (size_t)c);
  write_file("c/trunc/1", buf, (size_t)c - 5);
  expect_read_error("c/trunc", "1", "truncated");
  write_zarray("c/tiny", "[8]", "[4]", "<f8", BLOSC_JSON, "0", "");
  write_file("c/tiny/0", buf, 7);
  expect_read_error("c/tiny", "0", "truncated");
  // corrupt payload behind a valid header (compressible data, so blosc does not store it verbatim)
  double ramp[512];
  unsigned char bad[sizeof ramp + BLOSC_MAX_OVERHEAD];
  for (int i = 0; i < 512; i++) ramp[i] = i;
  int cb = blosc_compress_ctx(5, BLOSC_SHUFFLE, 8, sizeof ramp, ramp, bad, sizeof bad, "zstd", 0, 1);
  CHECK(cb > 0 && cb < 1024, "ramp compresses: %d bytes", cb);
  memset(bad + BLOSC_MIN_HEADER_LENGTH, 0xFF, (size_t)cb - BLOSC_MIN_HEADER_LENGTH);
  write_zarray("c/corrupt", "[512]", "[512]", "<f8", BLOSC_JSON, "0", "");
  write_file("c/corrupt/0", bad, (size_t)cb);
  expect_read_error("c/corrupt", "0", "corrupt");
  // valid blosc frame of the wrong size (3 doubles in a 4-double chunk)
  c = blosc_compress_ctx(5, BLOSC_SHUFFLE, 8, 24, v, buf, sizeof buf, "zstd", 0, 1);
  write_zarray("c/size", "[4]", "[4]", "<f8", BLOSC_JSON, "0", "");
  write_file("c/size/0", buf, (size_t)c);
  expect_read_error("c/size", "0", "size mismatch");
  // uncompressed chunks must be exactly chunk-sized
  write_zarray("c/raw", "[6]", "[3]", "<f8", "null", "0", "");
  write_file("c/raw/0", v, 24);
  write_file("c/raw/1", v, 16);
  expect_read_error("c/raw", "1", "size mismatch");
  // a chunk key that is a directory cannot be read
  write_zarray("c/dir", "[2,2]", "[1,2]", "<f8", "null", "0", ",\"dimension_separator\":\"/\"");
  write_file("c/dir/0/0", v, 16);
  write_file("c/dir/1/0/x", v, 16);
  expect_read_error("c/dir", "1/0", "dir");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

// ---- the PushT demonstrations ----

static ZarrArray *open_pusht(const char *name) {
  ZarrArray *a = zarr_open(PUSHT, name);
  CHECK(a != NULL, "PushT data missing or unreadable (expected at %s from the repo root): %s", PUSHT, odp_error());
  return a;
}

static void test_pusht_meta(void) {
  static const struct { const char *name; int ndim; int64_t shape[4]; } want[] = {
      {"data/action", 2, {25650, 2}},        {"data/img", 4, {25650, 96, 96, 3}}, {"data/keypoint", 3, {25650, 9, 2}},
      {"data/n_contacts", 2, {25650, 1}},    {"data/state", 2, {25650, 5}},       {"meta/episode_ends", 1, {206}}};
  char **names;
  int count = 0;
  CHECK(zarr_list_arrays(PUSHT, &names, &count) == ODP_OK && count == 6, "PushT arrays: %d: %s", count, odp_error());
  for (int i = 0; i < count && i < 6; i++) {
    CHECK(!strcmp(names[i], want[i].name), "array %d is %s", i, names[i]);
    ZarrArray *a = open_pusht(want[i].name);
    if (!a) continue;
    int ok = zarr_ndim(a) == want[i].ndim;
    for (int d = 0; ok && d < want[i].ndim; d++) ok = zarr_shape(a)[d] == want[i].shape[d];
    CHECK(ok, "%s shape", want[i].name);
    CHECK(zarr_dtype(a) == (i == 5 ? ZARR_I64 : ZARR_F32), "%s dtype %s", want[i].name, zarr_dtype_str(a));
    zarr_close(a);
  }
  if (count) zarr_free_names(names, count);
}

static void test_pusht_rows(void) {
  ZarrArray *s = open_pusht("data/state"), *act = open_pusht("data/action"), *e = open_pusht("meta/episode_ends");
  if (!s || !act || !e) return;
  int64_t ends[206];
  CHECK(zarr_read_rows(e, 0, 206, ZARR_I64, ends) == ODP_OK, "episode_ends: %s", odp_error());
  CHECK(ends[0] == 161 && ends[1] == 279 && ends[2] == 420 && ends[205] == 25650, "episode_ends %lld %lld %lld .. %lld",
        (long long)ends[0], (long long)ends[1], (long long)ends[2], (long long)ends[205]);
  int increasing = 1;
  for (int i = 1; i < 206; i++) increasing &= ends[i] > ends[i - 1];
  CHECK(increasing, "episode_ends strictly increasing");
  float st[5], a0[2];
  CHECK(zarr_read_rows(s, 0, 1, ZARR_F32, st) == ODP_OK && zarr_read_rows(act, 0, 1, ZARR_F32, a0) == ODP_OK, "row 0");
  const double want[5] = {222.0, 97.0, 222.99, 381.60, 3.008};
  for (int i = 0; i < 5; i++) CHECK_NEAR(st[i], want[i], 0.01, "state[0]");
  CHECK(a0[0] == 233 && a0[1] == 71, "action[0] = %g %g", a0[0], a0[1]);
  // A read spanning chunk boundaries equals row-by-row reads through the cache (and evictions).
  float span[60 * 5], one[5];
  int bad = zarr_read_rows(s, 140, 60, ZARR_F32, span) != ODP_OK;
  for (int r = 59; r >= 0 && !bad; r--) {
    if (zarr_read_rows(s, 25649 - r, 1, ZARR_F32, one) || zarr_read_rows(s, 140 + r, 1, ZARR_F32, one)) bad = 1;
    bad += memcmp(one, span + r * 5, sizeof one) != 0;
  }
  CHECK(!bad, "spanning read vs single rows");
  zarr_close(s), zarr_close(act), zarr_close(e);
}

// Block keypoints computed from `state` (docs/facts.md §8 body-frame points) must match
// the separately stored `keypoint` array: a decoding error in either breaks this.
static void test_pusht_keypoints(void) {
  static const double local[9][2] = {{9.26979, 90.04097},   {-60.98347, -1.18673}, {60.91276, -1.39336},
                                     {-0.27050, 25.54362},  {-14.06493, 122.81585}, {39.00274, 32.85740},
                                     {-39.96641, 32.72966}, {-16.82434, 62.86318},  {23.54146, -1.70029}};
  ZarrArray *s = open_pusht("data/state"), *k = open_pusht("data/keypoint"), *c = open_pusht("data/n_contacts");
  enum { N = 25650 };
  float *st = malloc(N * 5 * sizeof(float)), *kp = malloc(N * 18 * sizeof(float)), *nc = malloc(N * sizeof(float));
  if (s && k && c && !zarr_read_rows(s, 0, N, ZARR_F32, st) && !zarr_read_rows(k, 0, N, ZARR_F32, kp) &&
      !zarr_read_rows(c, 0, N, ZARR_F32, nc)) {
    double worst_free = 0, worst_contact = 0;
    long free_rows = 0;
    for (int t = 0; t < N; t++) {
      double cs = cos(st[t * 5 + 4]), sn = sin(st[t * 5 + 4]);
      for (int j = 0; j < 9; j++) {
        double x = st[t * 5 + 2] + cs * local[j][0] - sn * local[j][1];
        double y = st[t * 5 + 3] + sn * local[j][0] + cs * local[j][1];
        double d = hypot(x - kp[t * 18 + 2 * j], y - kp[t * 18 + 2 * j + 1]);
        double *w = nc[t] == 0 ? &worst_free : &worst_contact;
        if (!(d <= *w)) *w = d;
      }
      free_rows += nc[t] == 0;
    }
    CHECK(free_rows > 10000 && free_rows < N, "rows without contact: %ld", free_rows);
    CHECK(worst_free < 0.05, "keypoints vs state off by %g px on rows without contact", worst_free);
    CHECK(worst_contact < 3.0, "keypoints vs state off by %g px on rows in contact", worst_contact);
  } else {
    CHECK(0, "reading state/keypoint/n_contacts: %s", odp_error());
  }
  free(st), free(kp), free(nc);
  zarr_close(s), zarr_close(k), zarr_close(c);
}

// The agent's inner disc (65,105,225 ring, 78,126,255 core, docs/facts.md §7) must sit
// in the image at the recorded agent position: ties `img` decoding to `state`.
static void test_pusht_images(void) {
  ZarrArray *im = open_pusht("data/img"), *s = open_pusht("data/state");
  if (!im || !s) return;
  float *img = malloc(96 * 96 * 3 * sizeof(float)), st[5];
  int sampled = 0, exact = 0, integral = 1, in_range = 1, err = 0;
  for (int t = 0; t < 25650 && !err; t += 101, sampled++) {
    err = zarr_read_rows(im, t, 1, ZARR_F32, img) || zarr_read_rows(s, t, 1, ZARR_F32, st);
    int px = (int)(st[0] * 96 / 512), py = (int)(st[1] * 96 / 512);
    const float *p = img + ((py < 95 ? py : 95) * 96 + (px < 95 ? px : 95)) * 3;
    exact += p[0] == 78 && p[1] == 126 && p[2] == 255;
    for (int i = 0; i < 96 * 96 * 3; i++) {
      integral &= img[i] == floorf(img[i]);
      in_range &= img[i] >= 0 && img[i] <= 255;
    }
  }
  CHECK(!err, "reading img: %s", odp_error());
  CHECK(integral && in_range, "img values integral in [0,255]");
  CHECK(exact >= sampled * 98 / 100, "agent colour at agent position in %d of %d frames", exact, sampled);
  free(img);
  zarr_close(im), zarr_close(s);
}

int main(void) {
  snprintf(tmp_root, sizeof tmp_root, "/tmp/onedp_zarr_XXXXXX");
  if (!mkdtemp(tmp_root)) return 1;
  test_synthetic();
  test_bad_metadata();
  test_bad_chunks();
  nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  test_pusht_meta();
  test_pusht_rows();
  test_pusht_keypoints();
  test_pusht_images();
  TEST_MAIN_END();
}
