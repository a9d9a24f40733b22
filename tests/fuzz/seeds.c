// Writes the fuzzers' seed corpora from real files: fuzz_seeds SOURCE_DIR OUT_DIR
// fills OUT_DIR/<harness>/ with
//   safetensors, checkpoint  the headers of models/*.safetensors with their first 4 KiB
//                            of data (the rest cut), small complete files in every dtype,
//                            a tiny policy, a one-step student and a training state
//   zarr_meta, zarr_chunk    every .zarray of ../shared's PushT store, with its first
//                            chunk (Blosc as stored, and decoded raw / '/'-keyed variants)
//   config, model_config     configs/*.json (with overrides), the models' config metadata
//   dataset                  the store's episode_ends with the reference window config
//   cli_specs, report        the documented sampler/seed forms, an eval result and a log
// Nothing here is committed: the corpora are rebuilt from the sources at test time.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "serve/protocol.h"
#include "data/zarr.h"
#include "io/safetensors.h"
#include "model/policy.h"
#include "train/run_state.h"

#define TRUNCATED_DATA 4096
#define MAX_CHUNK_FILE (64 << 10)

static const char *out_dir;

static void die(const char *what) {
  fprintf(stderr, "fuzz_seeds: %s: %s\n", what, odp_error()[0] ? odp_error() : strerror(errno));
  exit(1);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) die(path);
  fclose(f);
  buf[n] = 0;
  *len = (size_t)n;
  return buf;
}

// OUT_DIR/harness/name = a then b (either may be empty).
static void seed2(const char *harness, const char *name, const void *a, size_t na, const void *b, size_t nb) {
  char path[2048];
  snprintf(path, sizeof path, "%s/%s", out_dir, harness);
  if (mkdir(path, 0755) && errno != EEXIST) die(path);
  snprintf(path, sizeof path, "%s/%s/%s", out_dir, harness, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(a, 1, na, f) != na || fwrite(b, 1, nb, f) != nb || fclose(f)) die(path);
}

static void seed(const char *harness, const char *name, const void *a, size_t n) { seed2(harness, name, a, n, "", 0); }

// A file written by onedp's own writers, copied into the corpus.
static void seed_file(const char *harness, const char *name, const char *path) {
  size_t n;
  char *bytes = slurp(path, &n);
  if (!bytes) die(path);
  seed(harness, name, bytes, n);
  free(bytes);
  remove(path);
}

// ---------------------------------------------------------------- checkpoints

static void model_seeds(const char *src) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/models", src);
  DIR *d = opendir(dir);
  if (!d) die(dir);
  for (struct dirent *e; (e = readdir(d));) {
    if (!strstr(e->d_name, ".safetensors")) continue;
    char path[2048], name[600];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t n;
    unsigned char *bytes = (unsigned char *)slurp(path, &n);
    if (!bytes || n < 8) die(path);
    unsigned long long header = 0;
    for (int i = 7; i >= 0; i--) header = header << 8 | bytes[i];
    size_t keep = 8 + header + TRUNCATED_DATA < n ? 8 + header + TRUNCATED_DATA : n;
    snprintf(name, sizeof name, "%s-truncated", e->d_name);
    seed("safetensors", name, bytes, keep);
    seed("checkpoint", name, bytes, keep);
    Safetensors *st = safetensors_open(path);
    const char *config = st ? safetensors_metadata(st, "config") : NULL;
    if (!config) die(path);
    snprintf(name, sizeof name, "%s-config", e->d_name);
    seed("model_config", name, config, strlen(config));
    safetensors_close(st);
    free(bytes);
  }
  closedir(d);
}

// The fuzz_safetensors table (a, b, conv.weight) in the three writable dtypes.
static void table_seeds(const char *tmp) {
  ParamTable t = {0};
  int a[2] = {3, 4}, b[1] = {5}, conv[3] = {2, 3, 5};
  param_table_add(&t, "a", 2, a, LAYOUT_PLAIN);
  param_table_add(&t, "b", 1, b, LAYOUT_PLAIN);
  param_table_add(&t, "conv.weight", 3, conv, LAYOUT_TAPS);
  float x[64];
  for (int i = 0; i < t.numel; i++) x[i] = (float)(i - 20) / 7.0f;
  SafetensorsDtype dtypes[3] = {ST_F32, ST_F16, ST_BF16};
  for (int k = 0; k < 3; k++) {
    char name[64];
    if (safetensors_save_params(tmp, &t, x, "{\"model\": {}}", dtypes[k])) die(tmp);
    snprintf(name, sizeof name, "table-%s", safetensors_dtype_name(dtypes[k]));
    seed_file("safetensors", name, tmp);
  }
  param_table_free(&t);
}

// Every dtype the reader decodes, a scalar and an empty tensor, in one hand-made file.
static void dtype_seed(void) {
  static const char header[] =
      "{\"__metadata__\":{\"format\":\"pt\"},"
      "\"f64\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
      "\"i64\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[16,32]},"
      "\"i32\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[32,40]},"
      "\"i16\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[40,44]},"
      "\"i8\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[44,46]},"
      "\"u8\":{\"dtype\":\"U8\",\"shape\":[1,2],\"data_offsets\":[46,48]},"
      "\"bool\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[48,50]},"
      "\"f16\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[50,52]},"
      "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[52,52]}}";
  unsigned char file[8 + sizeof header + 52];
  size_t n = sizeof header - 1;
  for (int i = 0; i < 8; i++) file[i] = (unsigned char)(n >> (8 * i));
  memcpy(file + 8, header, n);
  for (int i = 0; i < 52; i++) file[8 + n + i] = (unsigned char)(i * 37 + 11);
  seed("safetensors", "all-dtypes", file, 8 + n + 52);
}

static const char *tiny_policy_config =
    "{\"model\": {\"input_dim\": 2, \"global_cond_dim\": 4, \"diffusion_step_embed_dim\": 8, \"down_dims\": [8],"
    " \"kernel_size\": 3, \"n_groups\": 4, \"cond_predict_scale\": true},"
    " \"policy\": {\"horizon\": 4, \"n_obs_steps\": 2, \"n_action_steps\": 2, \"obs_dim\": 2, \"action_dim\": 2,"
    " \"num_train_timesteps\": 100}}";

// An image policy: a 4-channel trunk on 32 x 32 crops of 36 x 36 frames (2 x (8 + 2) conditioning).
static const char *tiny_image_policy_config =
    "{\"task\": {\"name\": \"pusht_image\", \"obs_key\": \"agent_pos\"},"
    " \"model\": {\"input_dim\": 2, \"global_cond_dim\": 20, \"diffusion_step_embed_dim\": 8, \"down_dims\": [8],"
    " \"kernel_size\": 3, \"n_groups\": 4, \"cond_predict_scale\": true},"
    " \"policy\": {\"horizon\": 4, \"n_obs_steps\": 2, \"n_action_steps\": 2, \"obs_dim\": 2, \"action_dim\": 2,"
    " \"num_train_timesteps\": 100},"
    " \"encoder\": {\"kind\": \"image\", \"image_height\": 36, \"image_width\": 36, \"crop\": 32, \"width\": 4,"
    " \"keypoints\": 4, \"feature_dim\": 8, \"group_size\": 4}}";

static void image_checkpoint_seed(const char *tmp) {
  Policy p;
  if (policy_init(&p, tiny_image_policy_config, "tiny image")) die("tiny image policy");
  unet_init_params(&p.unet, p.params, 3);
  obs_encoder_init_params(&p.encoder, &p.table, p.params, 3);
  for (int j = 0; j < 2; j++) p.obs_norm.scale[j] = p.action_norm.scale[j] = 0.5f, p.obs_norm.offset[j] = p.action_norm.offset[j] = -1;
  policy_store_normalizers(&p, p.params);
  if (policy_save(&p, p.params, tmp, NULL)) die(tmp);
  seed_file("checkpoint", "tiny-image-policy", tmp);
  seed("model_config", "tiny-image-policy", tiny_image_policy_config, strlen(tiny_image_policy_config));
  policy_free(&p);
}

static void checkpoint_seeds(const char *tmp) {
  image_checkpoint_seed(tmp);
  Policy p;
  if (policy_init(&p, tiny_policy_config, "tiny")) die("tiny policy");
  unet_init_params(&p.unet, p.params, 3);
  for (int j = 0; j < 2; j++) p.obs_norm.scale[j] = p.action_norm.scale[j] = 0.5f, p.obs_norm.offset[j] = p.action_norm.offset[j] = -1;
  policy_store_normalizers(&p, p.params);
  if (policy_save(&p, p.params, tmp, NULL)) die(tmp);
  seed_file("checkpoint", "tiny-policy", tmp);
  const char *student[] = {"generator_timestep", "65", "stochastic", "1", "teacher", "teacher.safetensors", NULL};
  if (policy_save(&p, p.params, tmp, student)) die(tmp);
  seed_file("checkpoint", "tiny-student", tmp);
  StateBuffer bufs[2] = {{"generator", p.params, 64}, {"adam_m_generator", p.params + 64, 64}};
  if (run_state_save(tmp, 12, tiny_policy_config, bufs, 2)) die(tmp);
  seed_file("checkpoint", "train-state", tmp);
  seed("model_config", "tiny-policy", tiny_policy_config, strlen(tiny_policy_config));
  policy_free(&p);
}

// ---------------------------------------------------------------- zarr

// The zarr seeds of one array: metadata alone, then metadata + NUL + first chunk.
static void zarr_array_seeds(const char *store, const char *array, int64_t **ends, int *n_ends) {
  char dir[2048], path[2400], name[256], key[256];
  snprintf(dir, sizeof dir, "%s/%s", store, array);
  snprintf(path, sizeof path, "%s/.zarray", dir);
  size_t meta_len, chunk_len;
  char *meta = slurp(path, &meta_len);
  ZarrArray *a = zarr_open(store, array);
  if (!meta || !a) die(path);
  snprintf(name, sizeof name, "%s", array);
  for (char *c = name; *c; c++) *c = *c == '/' ? '-' : *c;
  seed("zarr_meta", name, meta, meta_len);
  // The first chunk's key: "0" then ".0" for each further dim.
  snprintf(key, sizeof key, "0");
  for (int d = 1; d < zarr_ndim(a); d++) strcat(key, ".0");
  snprintf(path, sizeof path, "%s/%s", dir, key);
  char *chunk = slurp(path, &chunk_len);
  if (chunk && chunk_len <= MAX_CHUNK_FILE) {
    seed2("zarr_chunk", name, meta, meta_len + 1, chunk, chunk_len);  // + 1: the NUL
    // The same rows stored raw: compressor null, the chunk as decoded bytes.
    int64_t rows = zarr_chunks(a)[0] < zarr_rows(a) ? zarr_chunks(a)[0] : zarr_rows(a);
    size_t raw_len = (size_t)(zarr_chunks(a)[0] * zarr_row_elems(a)) * zarr_type_size(zarr_dtype(a));
    unsigned char *raw = calloc(1, raw_len);
    if (!raw || zarr_read_rows(a, 0, rows, zarr_dtype(a), raw)) die(path);
    char raw_meta[1024];
    int n = snprintf(raw_meta, sizeof raw_meta,
                     "{\"chunks\": [%lld%s], \"compressor\": null, \"dtype\": \"%s\", \"fill_value\": 0, \"filters\": null,"
                     " \"order\": \"C\", \"shape\": [%lld%s], \"zarr_format\": 2, \"dimension_separator\": \"/\"}",
                     (long long)zarr_chunks(a)[0], zarr_ndim(a) > 1 ? ", 2" : "", zarr_dtype_str(a),
                     (long long)zarr_rows(a), zarr_ndim(a) > 1 ? ", 2" : "");
    if (zarr_row_elems(a) == 2 || zarr_ndim(a) == 1) {  // the shapes written above
      strcat(name, "-raw");
      seed2("zarr_chunk", name, raw_meta, (size_t)n + 1, raw, raw_len);
    }
    if (!strcmp(array, "meta/episode_ends")) {
      *n_ends = (int)rows;
      *ends = malloc(raw_len);
      memcpy(*ends, raw, raw_len);
    }
    free(raw);
  }
  free(chunk);
  free(meta);
  zarr_close(a);
}

// The reference window config (16, 2, 8, 90 episodes, val 0.02, seed 42) over the
// episodes that end within fuzz_dataset's MAX_ROWS.
static void dataset_seed(const int64_t *ends, int n) {
  unsigned char buf[9 + 8 * 256];
  int k = 0;
  while (k < n && k < 256 && ends[k] <= 1024) k++;
  unsigned char cfg[9] = {15, 2, 8, 90, 5, 42, 0, 0, 0};
  memcpy(buf, cfg, 9);
  memcpy(buf + 9, ends, (size_t)k * 8);
  seed("dataset", "pusht-episodes", buf, 9 + (size_t)k * 8);
  buf[1] = 1, buf[2] = 1, buf[3] = 0;  // no padding, every episode
  seed("dataset", "pusht-episodes-unpadded", buf, 9 + (size_t)k * 8);
}

static void zarr_seeds(const char *src) {
  char store[1024];
  snprintf(store, sizeof store, "%s/../shared/data/pusht/pusht_cchi_v7_replay.zarr", src);
  char **names;
  int count;
  if (zarr_list_arrays(store, &names, &count)) {
    fprintf(stderr, "fuzz_seeds: no zarr seeds (%s)\n", odp_error());
    return;
  }
  int64_t *ends = NULL;
  int n_ends = 0;
  for (int i = 0; i < count; i++) zarr_array_seeds(store, names[i], &ends, &n_ends);
  if (ends) dataset_seed(ends, n_ends);
  free(ends);
  zarr_free_names(names, count);
}

// ---------------------------------------------------------------- configs and text

static void config_seeds(const char *src) {
  static const char overrides[] =
      "train.lr=3e-4\ntrain.steps=10\nmodel.down_dims=32,64\nmodel.down_dims.0=16\ntask.obs_key=state\n"
      "train.ema=false\npolicy.horizon=8\ndistill.variant=d\ndistill.lr_schedule=constant\n"
      "model={\"input_dim\": 2}\nmodel.down_dims=[8,16]\ntask.max_train_episodes=-1\n";
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/configs", src);
  DIR *d = opendir(dir);
  if (!d) die(dir);
  for (struct dirent *e; (e = readdir(d));) {
    if (!strstr(e->d_name, ".json")) continue;
    char path[2048];
    size_t n;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    char *text = slurp(path, &n);
    if (!text) die(path);
    seed2("config", e->d_name, text, n + 1, overrides, sizeof overrides - 1);
    seed("model_config", e->d_name, text, n);
    free(text);
  }
  closedir(d);
}

static void text_seeds(void) {
  static const char *specs[] = {"ddpm:100", "ddim:10", "ddim:1:trailing", "ddim:16:leading", "onestep",
                                "100000:100050", "4294967294", "3,5,8", "keypoint", "state", "leading", "trailing"};
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
    char name[32];
    snprintf(name, sizeof name, "spec-%zu", i);
    seed("cli_specs", name, specs[i], strlen(specs[i]));
  }
  static const char eval[] =
      "policy   sampler  NFE  score\n"
      "{\"checkpoint\": \"models/pusht_onedp_s.safetensors\", \"sampler\": \"onestep\", \"nfe\": 1, \"episodes\": 50, "
      "\"seeds\": \"100000:100050\", \"score\": 0.74, \"score_std\": 0.21, \"success\": 0.3, \"hz\": 70.5, "
      "\"env_steps\": 12000, \"wall_s\": 30.1, \"scores\": [0.5, 1.0]}\n";
  static const char log[] =
      "{\"step\": 0, \"score_diff\": 0.5, \"score_loss\": 0.9, \"lr\": 2e-05}\n"
      "{\"step\": 10, \"score_diff\": 0.25, \"score_loss\": 0.7}\n{\"step\": 20, \"val_loss\": 0.1}\n";
  seed2("report", "eval-and-log", eval, sizeof eval, log, sizeof log - 1);
}

// `onedp serve` requests (serve/protocol.h): each kind well formed, and an ACT cut short.
static void serve_seeds(void) {
  uint8_t msg[SERVE_HEADER_BYTES + 4 * 20];
  float obs[20];
  for (int j = 0; j < 20; j++) obs[j] = 100.0f + 10.0f * j;
  const ServeHeader kinds[] = {{SERVE_MAGIC, SERVE_VERSION, SERVE_HELLO, 1, 0, 0, 0, 0},
                               {SERVE_MAGIC, SERVE_VERSION, SERVE_RESET, 2, 7, 42, 0, 0},
                               {SERVE_MAGIC, SERVE_VERSION, SERVE_ACT, 3, 7, 0, 20, 0},
                               {SERVE_MAGIC, SERVE_VERSION, SERVE_CLOSE, 4, 7, 0, 0, 0}};
  for (int k = 0; k < 4; k++) {
    char name[32];
    size_t n = serve_encode(msg, sizeof msg, &kinds[k], obs, kinds[k].count * sizeof(float));
    snprintf(name, sizeof name, "kind-%d", kinds[k].kind);
    seed("serve", name, msg, n);
    if (kinds[k].count) seed("serve", "act-cut", msg, n - 7);
  }
}

#include "seeds_robomimic.c"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fuzz_seeds SOURCE_DIR OUT_DIR\n");
    return 2;
  }
  out_dir = argv[2];
  char parent[2048];  // OUT_DIR and its parent (build/fuzz-corpus/seeds)
  snprintf(parent, sizeof parent, "%s", out_dir);
  char *slash = strrchr(parent, '/');
  if (slash && slash != parent) *slash = 0, mkdir(parent, 0755);
  if (mkdir(out_dir, 0755) && errno != EEXIST) die(out_dir);
  char tmp[2048];
  snprintf(tmp, sizeof tmp, "%s/tmp.safetensors", out_dir);
  model_seeds(argv[1]);
  table_seeds(tmp);
  dtype_seed();
  checkpoint_seeds(tmp);
  zarr_seeds(argv[1]);
  config_seeds(argv[1]);
  text_seeds();
  serve_seeds();
  robomimic_seeds();
  return 0;
}
