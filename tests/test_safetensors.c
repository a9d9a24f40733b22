// safetensors: round trips through a parameter table (F32, BF16, tap layout), torch's
// files decoded to torch's values (tests/ref/safetensors_oracle.py), and a table of
// malformed files that must each fail cleanly, naming the file and tensor, leaving the
// destination buffer untouched.
#include "io/safetensors.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../tests/test.h"
#include "../tests/test_dir.h"
#include "core/error.h"


static void build_table(ParamTable *t) {
  memset(t, 0, sizeof *t);
  param_table_add(t, "conv.weight", 3, (int[]){4, 3, 5}, LAYOUT_TAPS);
  param_table_add(t, "conv.bias", 1, (int[]){4}, LAYOUT_PLAIN);
  param_table_add(t, "lin.weight", 2, (int[]){2, 4}, LAYOUT_PLAIN);
}

// The buffer whose PyTorch view is index * 0.25 - 3 per tensor (as the oracle's).
static void fill_reference(const ParamTable *t, float *buf) {
  for (int k = 0; k < t->count; k++) {
    const ParamEntry *e = &t->entries[k];
    float *pt = malloc(e->numel * sizeof(float));
    for (long i = 0; i < e->numel; i++) pt[i] = (float)i * 0.25f - 3;
    param_from_pytorch(e, pt, buf + e->offset);
    free(pt);
  }
}

static uint32_t bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static int same_bits(const float *a, const float *b, long n) {
  for (long i = 0; i < n; i++)
    if (!(bits(a[i]) == bits(b[i]) || (isnan(a[i]) && isnan(b[i])))) return 0;
  return 1;
}

static float bf16_round(float f) {  // reference: round to nearest even, by integer arithmetic
  uint32_t x = bits(f);
  x = (x + 0x7fff + ((x >> 16) & 1)) & 0xffff0000u;
  float r;
  memcpy(&r, &x, 4);
  return r;
}

static void write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (n) fwrite(data, 1, n, f);
  fclose(f);
}

static unsigned char *read_whole(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(*n + 1);
  *n = fread(b, 1, *n, f);
  fclose(f);
  return b;
}

// A file from a hand-written header and `data_bytes` bytes of data (value 0x3f).
static void write_raw(const char *path, const char *header, size_t data_bytes) {
  size_t n = strlen(header);
  unsigned char *b = malloc(8 + n + data_bytes);
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)n >> (8 * i));
  memcpy(b + 8, header, n);
  memset(b + 8 + n, 0x3f, data_bytes);
  write_file(path, b, 8 + n + data_bytes);
  free(b);
}

static int no_temp_files_left(void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int clean = 1;
  while ((e = readdir(d)))
    if (strstr(e->d_name, ".tmp.")) clean = 0;
  closedir(d);
  return clean;
}

// All 65536 F16 patterns: decoded, written back as F16, the same bytes (NaNs stay NaN).
static void test_f16_patterns(void) {
  const char *src = path_in("f16_all.safetensors"), *dst = path_in("f16_back.safetensors");
  const char *header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[65536],\"data_offsets\":[0,131072]}}";
  size_t hn = strlen(header);
  unsigned char *file = malloc(8 + hn + 131072);
  for (int i = 0; i < 8; i++) file[i] = (unsigned char)((uint64_t)hn >> (8 * i));
  memcpy(file + 8, header, hn);
  for (int i = 0; i < 65536; i++) file[8 + hn + 2 * i] = (unsigned char)i, file[8 + hn + 2 * i + 1] = (unsigned char)(i >> 8);
  write_file(src, file, 8 + hn + 131072);

  float *all = malloc(65536 * sizeof(float));
  Safetensors *st = safetensors_open(src);
  CHECK(st && safetensors_read_f32(st, "h", all, 65536) == ODP_OK, "%s", odp_error());
  safetensors_close(st);
  CHECK(all[1] == 5.9604644775390625e-8f && all[0x7c00] == INFINITY && isnan(all[0x7e00]) && all[0x8000] == 0 &&
            signbit(all[0x8000]), "F16 specials decoded wrongly");
  SafetensorsWriter *w = safetensors_writer_new(dst, ST_F16);
  safetensors_writer_add(w, "h", 1, (int[]){65536}, all);
  CHECK(safetensors_writer_finish(w) == ODP_OK, "%s", odp_error());

  size_t n;
  unsigned char *back = read_whole(dst, &n);
  uint64_t hl = 0;
  for (int i = 7; i >= 0; i--) hl = hl << 8 | back[i];
  int ok = n == 8 + hl + 131072;
  for (int i = 0; i < 65536 && ok; i++) {
    int v = back[8 + hl + 2 * i] | back[8 + hl + 2 * i + 1] << 8;
    int is_nan = (i & 0x7c00) == 0x7c00 && (i & 0x3ff);
    ok = is_nan ? (v & 0x7c00) == 0x7c00 && (v & 0x3ff) : v == i;
  }
  CHECK(ok, "F16 decode/encode is not the identity on all 65536 patterns");
  free(back), free(file), free(all);
}

static void test_round_trip(void) {
  ParamTable t;
  build_table(&t);
  float *src = malloc(t.numel * sizeof(float)), *dst = malloc(t.numel * sizeof(float));
  fill_reference(&t, src);
  src[0] = 1.00390625f;       // bf16 tie: rounds to even (1.0)
  src[1] = 1.0039063692f;     // just above the tie: rounds up
  src[2] = -1.2345678e-39f;   // subnormal
  const char *cfg = "{\"model\":{\"down_dims\":[8,16]},\"name\":\"rt\"}";
  const char *p = path_in("rt.safetensors");

  CHECK(safetensors_save_params(p, &t, src, cfg, ST_F32) == ODP_OK, "%s", odp_error());
  char *cfg_back = NULL;
  memset(dst, 0, t.numel * sizeof(float));
  CHECK(safetensors_load_params(p, &t, dst, &cfg_back) == ODP_OK, "%s", odp_error());
  CHECK(same_bits(src, dst, t.numel), "F32 round trip changed values");
  CHECK(cfg_back && strcmp(cfg_back, cfg) == 0, "config metadata: %s", cfg_back ? cfg_back : "(null)");
  free(cfg_back);

  // The file holds PyTorch's layout, not the buffer's tap layout.
  Safetensors *st = safetensors_open(p);
  CHECK(st != NULL, "%s", odp_error());
  if (st) {
    const ParamEntry *e = &t.entries[0];
    float got[60], want[60];
    param_to_pytorch(e, src + e->offset, want);
    CHECK(safetensors_read_f32(st, "conv.weight", got, 60) == ODP_OK, "%s", odp_error());
    CHECK(same_bits(got, want, 60), "conv.weight not in PyTorch layout in the file");
    CHECK(safetensors_count(st) == 3 && strcmp(safetensors_name(st, 0), "conv.weight") == 0 &&
              strcmp(safetensors_name(st, 2), "lin.weight") == 0, "table order not kept");
    CHECK(safetensors_ndim(st, 0) == 3 && safetensors_shape(st, 0)[2] == 5, "shape");
    CHECK(safetensors_dtype(st, 1) == ST_F32 && safetensors_numel(st, 1) == 4, "dtype/numel");
    CHECK(safetensors_metadata(st, "format") && strcmp(safetensors_metadata(st, "format"), "pt") == 0, "format");
    CHECK(safetensors_metadata(st, "nope") == NULL, "absent metadata");
    CHECK(safetensors_read_f32(st, "conv.bias", got, 5) == ODP_ERR && strstr(odp_error(), "conv.bias"),
          "wrong numel accepted");
    safetensors_close(st);
  }
  size_t n;
  unsigned char *b = read_whole(p, &n);
  uint64_t hl = 0;
  for (int i = 7; i >= 0; i--) hl = hl << 8 | b[i];
  CHECK(hl % 8 == 0 && n == 8 + hl + t.numel * 4, "header %llu bytes, file %zu", (unsigned long long)hl, n);
  free(b);

  // BF16: every value rounded to nearest even, layout restored on load.
  CHECK(safetensors_save_params(p, &t, src, NULL, ST_BF16) == ODP_OK, "%s", odp_error());
  cfg_back = (char *)1;
  CHECK(safetensors_load_params(p, &t, dst, &cfg_back) == ODP_OK, "%s", odp_error());
  CHECK(cfg_back == NULL, "config should be NULL without metadata");
  int ok = 1;
  for (long i = 0; i < t.numel; i++) ok &= bits(dst[i]) == bits(bf16_round(src[i]));
  CHECK(ok, "BF16 round trip differs from round-to-nearest-even");
  CHECK(dst[0] == 1.0f && dst[1] == 1.0078125f, "bf16 ties: %.9g %.9g", dst[0], dst[1]);
  CHECK(no_temp_files_left(), "a temporary file was left behind");

  // A failed save leaves the previous file as it was.
  size_t before_n, after_n;
  unsigned char *before = read_whole(p, &before_n);
  CHECK(safetensors_save_params(p, &t, src, "{not json", ST_F32) == ODP_ERR && strstr(odp_error(), p),
        "invalid config JSON accepted: %s", odp_error());
  CHECK(safetensors_save_params(path_in("no/such/dir.safetensors"), &t, src, NULL, ST_F32) == ODP_ERR &&
            strstr(odp_error(), "no/such/dir.safetensors"), "save into a missing directory: %s", odp_error());
  unsigned char *after = read_whole(p, &after_n);
  CHECK(before_n == after_n && memcmp(before, after, before_n) == 0, "failed save changed the file");
  free(before), free(after);
  free(src), free(dst);
  param_table_free(&t);
}

// Files written by torch (through the oracle) decode to torch's values.
static void test_oracle_files(void) {
  Safetensors *st = safetensors_open(path_in("oracle_dtypes.safetensors"));
  CHECK(st != NULL, "oracle file (run tests/ref/safetensors_oracle.py write): %s", odp_error());
  if (!st) return;
  const char *names[] = {"f16_all", "bf16_all", "f32_mixed", "f64", "i64"};
  for (int k = 0; k < 5; k++) {
    char expect[64];
    snprintf(expect, sizeof expect, "%s.expect", names[k]);
    int i = safetensors_find(st, names[k]);
    CHECK(i >= 0, "%s missing", names[k]);
    if (i < 0) continue;
    long n = safetensors_numel(st, i);
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    CHECK(safetensors_read_f32(st, names[k], a, n) == ODP_OK, "%s", odp_error());
    CHECK(safetensors_read_f32(st, expect, b, n) == ODP_OK, "%s", odp_error());
    CHECK(same_bits(a, b, n), "%s decoded differently from torch", names[k]);
    free(a), free(b);
  }
  int i = safetensors_find(st, "scalar");
  float s = 0;
  CHECK(i >= 0 && safetensors_ndim(st, i) == 0 && safetensors_read_f32(st, "scalar", &s, 1) == ODP_OK && s == 2.5f,
        "scalar");
  i = safetensors_find(st, "empty");
  CHECK(i >= 0 && safetensors_numel(st, i) == 0 && safetensors_read_f32(st, "empty", &s, 0) == ODP_OK, "empty");
  CHECK(safetensors_dtype(st, safetensors_find(st, "bf16_all")) == ST_BF16, "dtype BF16");
  const char *who = safetensors_metadata(st, "who");
  CHECK(who && strcmp(who, "oracle") == 0, "metadata 'who'");
  safetensors_close(st);

  // torch's parameters (PyTorch layout) land in the buffer's tap layout; written back for the oracle.
  ParamTable t;
  build_table(&t);
  float *buf = malloc(t.numel * sizeof(float)), *want = malloc(t.numel * sizeof(float));
  fill_reference(&t, want);
  char *cfg = NULL;
  CHECK(safetensors_load_params(path_in("oracle_params.safetensors"), &t, buf, &cfg) == ODP_OK, "%s", odp_error());
  CHECK(same_bits(buf, want, t.numel), "oracle parameters not converted to the tap layout");
  CHECK(safetensors_save_params(path_in("c_params_f32.safetensors"), &t, buf, cfg, ST_F32) == ODP_OK, "%s",
        odp_error());
  CHECK(safetensors_save_params(path_in("c_params_bf16.safetensors"), &t, buf, cfg, ST_BF16) == ODP_OK, "%s",
        odp_error());
  free(cfg), free(buf), free(want);
  param_table_free(&t);
}

// Edge-case and random-bit-pattern floats for the oracle to compare with torch's casts.
static void write_values_for_oracle(void) {
  enum { N = 200000 };
  float *x = malloc(N * sizeof(float)), ramp[1000];
  const float edge[] = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65519.99f, 65520.0f, 65536.0f, 3.4028235e38f,
                        -3.4028235e38f, 1e-45f, -1e-45f, 1.1754942e-38f, 1.1754944e-38f, 6.1035156e-05f,
                        6.0975552e-05f, 5.9604645e-08f, 2.9802322e-08f, 2.9802326e-08f, 8.940697e-08f,
                        INFINITY, -INFINITY, NAN, -NAN, 1.00390625f, 1.0009765625f, 1.00048828125f};
  int ne = (int)(sizeof edge / sizeof edge[0]);
  uint64_t s = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < N; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t u = (uint32_t)(s >> 32);
    if (i % 3 == 1) u = (u & 0x80000000u) | (0x33000000u + u % 0x0d000000u);  // around F16's range
    memcpy(&x[i], &u, 4);
    if (i < ne) x[i] = edge[i];
  }
  for (int i = 0; i < 1000; i++) ramp[i] = (float)(i - 37) * 0.013f;
  const SafetensorsDtype types[] = {ST_F32, ST_F16, ST_BF16};
  const char *files[] = {"c_values_f32.safetensors", "c_values_f16.safetensors", "c_values_bf16.safetensors"};
  for (int k = 0; k < 3; k++) {
    SafetensorsWriter *w = safetensors_writer_new(path_in(files[k]), types[k]);
    int rc = safetensors_writer_add(w, "x", 2, (int[]){N / 100, 100}, x);
    rc |= safetensors_writer_add(w, "ramp", 2, (int[]){10, 100}, ramp);
    rc |= safetensors_writer_add(w, "scalar", 0, NULL, ramp + 5);
    rc |= safetensors_writer_add(w, "empty", 2, (int[]){0, 7}, ramp);
    CHECK(safetensors_writer_add(w, "x", 1, (int[]){1}, x) == ODP_ERR, "duplicate name accepted");
    rc |= safetensors_writer_set_metadata(w, "origin", "wrong");
    rc |= safetensors_writer_set_metadata(w, "origin", "test_safetensors");
    CHECK(rc == ODP_OK && safetensors_writer_finish(w) == ODP_OK, "%s", odp_error());
  }
  CHECK(safetensors_writer_new(path_in("bad.safetensors"), ST_I64) == NULL, "I64 writer accepted");
  free(x);
}

// ---- malformed files ----

static ParamTable table;
static float *dest;

// Opening (and loading into the table) must fail, naming the file and the tensor.
static void expect_reject(const char *label, const char *path, const char *tensor, const char *phrase) {
  for (long i = 0; i < table.numel; i++) dest[i] = 12345.0f;
  odp_error_clear();
  int rc = safetensors_load_params(path, &table, dest, NULL);
  const char *e = odp_error();
  CHECK(rc == ODP_ERR, "%s: accepted", label);
  CHECK(strstr(e, path) != NULL, "%s: message does not name the file: %s", label, e);
  if (tensor) {
    char quoted[128];
    snprintf(quoted, sizeof quoted, "'%s'", tensor);
    CHECK(strstr(e, quoted) != NULL, "%s: message does not name tensor %s: %s", label, tensor, e);
  }
  if (phrase) CHECK(strstr(e, phrase) != NULL, "%s: message lacks \"%s\": %s", label, phrase, e);
  int untouched = 1;
  for (long i = 0; i < table.numel; i++) untouched &= dest[i] == 12345.0f;
  CHECK(untouched, "%s: destination buffer modified", label);
  if (getenv("ONEDP_VERBOSE")) printf("%-28s %s\n", label, e);
}

// Only safetensors_open must fail (the header itself is bad).
static void expect_open_fails(const char *label, const char *header, size_t data, const char *tensor,
                              const char *phrase) {
  const char *p = path_in("bad.safetensors");
  write_raw(p, header, data);
  Safetensors *st = safetensors_open(p);
  CHECK(st == NULL, "%s: opened", label);
  safetensors_close(st);
  expect_reject(label, p, tensor, phrase);
}

static void test_malformed(void) {
  build_table(&table);
  dest = malloc(table.numel * sizeof(float));
  float *src = malloc(table.numel * sizeof(float));
  fill_reference(&table, src);
  const char *good = path_in("good.safetensors"), *bad = path_in("bad.safetensors");
  safetensors_save_params(good, &table, src, NULL, ST_F32);
  size_t n;
  unsigned char *g = read_whole(good, &n), len8[16];
  uint64_t hl = 0;
  for (int i = 7; i >= 0; i--) hl = hl << 8 | g[i];

  expect_reject("missing file", path_in("does_not_exist.safetensors"), NULL, "cannot open");
  expect_reject("directory", dir, NULL, "directory");
  write_file(bad, "", 0);
  expect_reject("empty file", bad, NULL, "empty");
  write_file(bad, g, 5);
  expect_reject("5 bytes", bad, NULL, "too short");
  write_file(bad, g, 8 + hl / 2);
  expect_reject("truncated header", bad, NULL, "header length");
  write_file(bad, g, n - 3);
  expect_reject("truncated data", bad, "lin.weight", "beyond");
  write_file(bad, g, 8 + hl);
  expect_reject("no data at all", bad, "conv.weight", "beyond");
  memcpy(len8, g, 8);
  memset(len8, 0, 8), len8[7] = 0x80;  // 2^63
  memcpy(g, len8, 8);
  write_file(bad, g, n);
  expect_reject("header length 2^63", bad, NULL, "header length");
  memset(g, 0xff, 8);
  write_file(bad, g, n);
  expect_reject("header length 2^64-1", bad, NULL, "header length");
  for (int i = 0; i < 8; i++) g[i] = (unsigned char)((uint64_t)n >> (8 * i));
  write_file(bad, g, n);
  expect_reject("header length > file", bad, NULL, "header length");
  for (int i = 0; i < 8; i++) g[i] = (unsigned char)(hl >> (8 * i));
  g[8 + hl - 1] = 0x01;  // a control byte after the JSON instead of padding space
  write_file(bad, g, n);
  expect_reject("trailing junk in header", bad, NULL, "header");
  free(g);

  const char *T = "\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":";
  char h[1024];
  expect_open_fails("non-JSON header", "this is not json at all", 0, NULL, "JSON");
  expect_open_fails("header is an array", "[1, 2, 3]", 0, NULL, "object");
  expect_open_fails("unterminated JSON", "{\"a\":{\"dtype\":\"F32\"", 0, NULL, "JSON");
  snprintf(h, sizeof h, "{%s[0,1000]}}", T);
  expect_open_fails("offsets out of range", h, 16, "conv.bias", "beyond");
  snprintf(h, sizeof h, "{%s[16,0]}}", T);
  expect_open_fails("end before begin", h, 16, "conv.bias", "before");
  snprintf(h, sizeof h, "{%s[0,18446744073709551615]}}", T);
  expect_open_fails("offset 2^64", h, 16, "conv.bias", "data_offsets");
  snprintf(h, sizeof h, "{%s[0,1e400]}}", T);
  expect_open_fails("offset 1e400", h, 16, "conv.bias", "data_offsets");
  snprintf(h, sizeof h, "{%s[-16,0]}}", T);
  expect_open_fails("negative offset", h, 16, "conv.bias", "data_offsets");
  snprintf(h, sizeof h, "{%s[0.5,16.5]}}", T);
  expect_open_fails("fractional offset", h, 17, "conv.bias", "data_offsets");
  snprintf(h, sizeof h, "{%s[0]}}", T);
  expect_open_fails("one offset", h, 16, "conv.bias", "data_offsets");
  snprintf(h, sizeof h, "{\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[4]}}");
  expect_open_fails("no offsets", h, 16, "conv.bias", "data_offsets");
  snprintf(h, sizeof h, "{%s[0,16]},\"lin.weight\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[8,40]}}", T);
  expect_open_fails("overlapping ranges", h, 40, "lin.weight", "overlap");
  snprintf(h, sizeof h, "{%s[0,16]},\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}", T);
  expect_open_fails("duplicate name", h, 32, "conv.bias", "twice");
  snprintf(h, sizeof h, "{\"conv.bias\":{\"dtype\":\"F33\",\"shape\":[4],\"data_offsets\":[0,16]}}");
  expect_open_fails("wrong dtype string", h, 16, "conv.bias", "dtype");
  snprintf(h, sizeof h, "{\"conv.bias\":{\"dtype\":7,\"shape\":[4],\"data_offsets\":[0,16]}}");
  expect_open_fails("dtype not a string", h, 16, "conv.bias", "dtype");
  snprintf(h, sizeof h, "{\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,16]}}");
  expect_open_fails("shape/offset mismatch", h, 16, "conv.bias", "needs 20 bytes");
  snprintf(h, sizeof h, "{\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}");
  expect_open_fails("negative dim", h, 16, "conv.bias", "shape");
  snprintf(h, sizeof h, "{\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[\"4\"],\"data_offsets\":[0,16]}}");
  expect_open_fails("dim not a number", h, 16, "conv.bias", "shape");
  snprintf(h, sizeof h, "{\"conv.bias\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}");
  expect_open_fails("shape not an array", h, 16, "conv.bias", "shape");
  snprintf(h, sizeof h,
           "{\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,0]}}");
  expect_open_fails("numel overflow", h, 16, "conv.bias", "overflow");
  snprintf(h, sizeof h, "{\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,4],\"data_offsets\":[0,16]}}");
  expect_open_fails("too many dims", h, 16, "conv.bias", "dims");
  snprintf(h, sizeof h, "{\"conv.bias\":[1,2]}");
  expect_open_fails("entry not an object", h, 16, "conv.bias", "object");
  snprintf(h, sizeof h, "{\"__metadata__\":{\"config\":3},%s[0,16]}}", T);
  expect_open_fails("metadata not strings", h, 16, NULL, "__metadata__");

  // Valid files that do not match the model.
  SafetensorsWriter *w;
  float big[64] = {0};
  w = safetensors_writer_new(bad, ST_F32);
  safetensors_writer_add(w, "conv.weight", 3, (int[]){4, 3, 5}, big);
  safetensors_writer_add(w, "lin.weight", 2, (int[]){2, 4}, big);
  safetensors_writer_finish(w);
  expect_reject("missing tensor", bad, "conv.bias", "missing");
  w = safetensors_writer_new(bad, ST_F32);
  safetensors_writer_add(w, "conv.weight", 3, (int[]){4, 3, 3}, big);
  safetensors_writer_add(w, "conv.bias", 1, (int[]){4}, big);
  safetensors_writer_add(w, "lin.weight", 2, (int[]){2, 4}, big);
  safetensors_writer_finish(w);
  expect_reject("wrong shape", bad, "conv.weight", "shape (4, 3, 3) expected (4, 3, 5)");
  w = safetensors_writer_new(bad, ST_F32);
  safetensors_writer_add(w, "conv.weight", 3, (int[]){4, 3, 5}, big);
  safetensors_writer_add(w, "conv.bias", 1, (int[]){4}, big);
  safetensors_writer_add(w, "lin.weight", 1, (int[]){8}, big);
  safetensors_writer_finish(w);
  expect_reject("wrong rank", bad, "lin.weight", "shape (8) expected (2, 4)");
  w = safetensors_writer_new(bad, ST_F32);
  safetensors_writer_add(w, "conv.weight", 3, (int[]){4, 3, 5}, big);
  safetensors_writer_add(w, "conv.bias", 1, (int[]){4}, big);
  safetensors_writer_add(w, "lin.weight", 2, (int[]){2, 4}, big);
  safetensors_writer_add(w, "lin.bias", 1, (int[]){2}, big);
  safetensors_writer_finish(w);
  expect_reject("extra tensor", bad, "lin.bias", "not a parameter");
  big[7] = NAN;
  w = safetensors_writer_new(bad, ST_BF16);
  safetensors_writer_add(w, "conv.weight", 3, (int[]){4, 3, 5}, big);
  safetensors_writer_add(w, "conv.bias", 1, (int[]){4}, big);
  safetensors_writer_add(w, "lin.weight", 2, (int[]){2, 4}, big);
  safetensors_writer_finish(w);
  expect_reject("NaN in a parameter", bad, "conv.weight", "NaN");
  snprintf(h, sizeof h,
           "{\"conv.weight\":{\"dtype\":\"F32\",\"shape\":[4,3,5],\"data_offsets\":[0,240]},"
           "\"conv.bias\":{\"dtype\":\"I64\",\"shape\":[4],\"data_offsets\":[240,272]},"
           "\"lin.weight\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[272,304]}}");
  write_raw(bad, h, 304);
  expect_reject("integer dtype", bad, "conv.bias", "I64");
  snprintf(h, sizeof h,
           "{\"conv.weight\":{\"dtype\":\"F32\",\"shape\":[4,3,5],\"data_offsets\":[0,240]},"
           "\"conv.bias\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[240,248]},"
           "\"lin.weight\":{\"dtype\":\"BF16\",\"shape\":[2,4],\"data_offsets\":[248,264]}}");
  write_raw(bad, h, 264);  // 0x3f3f...: finite in every dtype, so this one loads
  CHECK(safetensors_load_params(bad, &table, dest, NULL) == ODP_OK, "mixed float dtypes: %s", odp_error());
  CHECK(dest[table.entries[1].offset] == 1.8115234375f, "F16 0x3f3f decoded to %.9g", dest[table.entries[1].offset]);
  free(src), free(dest);
  param_table_free(&table);
}

int main(void) {
  int build = test_dir_open("io");
  test_f16_patterns();
  test_round_trip();
  write_values_for_oracle();
  // Under ctest the oracle has written its files first (fixture in tests/io.cmake).
  if (build) test_oracle_files();
  else printf("ONEDP_BUILD unset: skipping the torch oracle files\n");
  test_malformed();
  TEST_MAIN_END();
}
