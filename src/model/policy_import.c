#include "model/policy_import.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/config.h"
#include "io/safetensors.h"
#include "model/policy.h"

#define MAX_FRAME 4096

// What an import knows of the source policy: shapes, and where each onedp frame element
// comes from in the source's frame (frame_src[j]).
typedef struct {
  int S, V, A, To, horizon, Ta, E, kernel, groups, film, timesteps, n_down, down[8];
  int frame_src[MAX_FRAME];
  const char *task, *dataset, *obs_key;
} Source;

static int frame_dim(const Source *s) { return s->S + s->V; }

// ---------------------------------------------------------------- the onedp side

static char *onedp_config(const Source *s) {
  char down[128] = "";
  for (int i = 0; i < s->n_down; i++) snprintf(down + strlen(down), sizeof down - strlen(down), "%s%d", i ? ", " : "", s->down[i]);
  char dataset[1200] = "";
  if (s->dataset && s->obs_key)
    snprintf(dataset, sizeof dataset,  // the split Diffusion Policy's runs use: all episodes, 2% validation
             ", \"dataset\": \"%.1000s\", \"obs_key\": \"%.64s\", \"max_train_episodes\": 0, \"val_ratio\": 0.02,"
             " \"split_seed\": 42", s->dataset, s->obs_key);
  char *json = malloc(4096);
  if (!json) return NULL;
  snprintf(json, 4096,
           "{\"model\": {\"input_dim\": %d, \"global_cond_dim\": %d, \"diffusion_step_embed_dim\": %d, \"down_dims\": [%s],"
           " \"kernel_size\": %d, \"n_groups\": %d, \"cond_predict_scale\": %s},"
           " \"policy\": {\"horizon\": %d, \"n_obs_steps\": %d, \"n_action_steps\": %d, \"obs_dim\": %d, \"action_dim\": %d,"
           " \"num_train_timesteps\": %d}, \"task\": {\"name\": \"%s\"%s}}",
           s->A, s->To * frame_dim(s), s->E, down, s->kernel, s->groups, s->film ? "true" : "false", s->horizon, s->To,
           s->Ta, frame_dim(s), s->A, s->timesteps, s->task ? s->task : "unspecified", dataset);
  return json;
}

// The source tensor `name` into `out` (PyTorch layout), its shape checked against e's.
static int read_checked(Safetensors *st, const char *name, const ParamEntry *e, float *out) {
  const int i = safetensors_find(st, name);
  if (i < 0) return odp_fail("%s: tensor %s (onedp's %s) is missing", safetensors_path(st), name, e->name);
  int ok = safetensors_ndim(st, i) == e->ndim;
  for (int d = 0; ok && d < e->ndim; d++) ok = safetensors_shape(st, i)[d] == e->shape[d];
  if (!ok) return odp_fail("%s: tensor %s has another shape than the config gives onedp's %s", safetensors_path(st), name, e->name);
  if (safetensors_read_f32(st, name, out, e->numel)) return ODP_ERR;
  for (long k = 0; k < e->numel; k++)
    if (!isfinite(out[k])) return odp_fail("%s: tensor %s: element %ld is not finite", safetensors_path(st), name, k);
  return ODP_OK;
}

// A FiLM projection's input is [step embedding (E), frame 0, frame 1, ...]: its columns
// follow the frames into onedp's order.
static void permute_cond_columns(const Source *s, const ParamEntry *e, float *w) {
  const int F = frame_dim(s), cols = e->shape[1];
  float row[MAX_FRAME * 8];
  if (cols - s->E != s->To * F || cols > (int)(sizeof row / sizeof row[0])) return;
  for (int r = 0; r < e->shape[0]; r++) {
    float *x = w + (long)r * cols;
    memcpy(row, x, (size_t)cols * sizeof *x);
    for (int t = 0; t < s->To; t++)
      for (int j = 0; j < F; j++) x[s->E + t * F + j] = row[s->E + t * F + s->frame_src[j]];
  }
}

typedef const char *(*NameMap)(const char *onedp_name, char *buf, int size);

// Every "model.*" tensor of the policy from the source (named by `map`), in onedp's layout.
static int read_unet(Policy *p, const Source *s, Safetensors *st, NameMap map) {
  float *tmp = NULL;
  for (int i = 0; i < p->table.count; i++) {
    const ParamEntry *e = &p->table.entries[i];
    if (strncmp(e->name, "model.", 6)) continue;
    char name[512];
    float *grown = realloc(tmp, (size_t)e->numel * sizeof *tmp);
    if (!grown) return free(tmp), odp_fail("out of memory: tensor %s", e->name);
    tmp = grown;
    if (read_checked(st, map(e->name, name, sizeof name), e, tmp)) return free(tmp), ODP_ERR;
    if (strstr(e->name, "cond_encoder.") && e->ndim == 2) permute_cond_columns(s, e, tmp);
    param_from_pytorch(e, tmp, p->params + e->offset);
  }
  free(tmp);
  return ODP_OK;
}

// Writes the checkpoint: the policy's tables filled, normalizers stored.
static int write_policy(const Source *s, const char *out, const char *from,
                        int (*fill)(Policy *p, const Source *s, void *ctx), void *ctx) {
  char *config = onedp_config(s);
  if (!config) return odp_fail("out of memory");
  Policy p;
  int rc = policy_init(&p, config, "import");
  free(config);
  if (rc) return odp_fail_context("import");
  rc = fill(&p, s, ctx);
  if (!rc) {
    policy_store_normalizers(&p, p.params);
    const char *meta[] = {"imported_from", from, NULL};
    rc = policy_save(&p, p.params, out, meta);
  }
  policy_free(&p);
  return rc;
}

// ---------------------------------------------------------------- LeRobot

// A JSON file through onedp's config reader (its checks: a regular file, not empty, not
// huge, valid JSON), as a cJSON tree: LeRobot's keys hold dots, which the dotted getters read
// as paths.
static cJSON *read_json(const char *path) {
  Config *c = config_load(path);
  char *text = c ? config_to_json(c) : NULL;
  config_free(c);
  cJSON *j = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (text && !j) odp_fail("%s: not JSON", path);
  return j;
}

static int json_int(const cJSON *c, const char *key, int fallback, int lo, int hi, int *out, const char *path) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
  if (!v || cJSON_IsNull(v)) return *out = fallback, ODP_OK;
  if (!cJSON_IsNumber(v) || v->valuedouble != (int)v->valuedouble || v->valueint < lo || v->valueint > hi)
    return odp_fail("%s: field '%s' must be an integer in %d..%d", path, key, lo, hi);
  *out = v->valueint;
  return ODP_OK;
}

static const char *json_string(const cJSON *c, const char *key, const char *fallback) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
  return cJSON_IsString(v) ? v->valuestring : fallback;
}

// A feature's length from input_features ({"type", "shape"}) or the 2024 input_shapes ([n]).
static int feature_length(const cJSON *f, const char *key, const char *path, int *n) {
  const cJSON *shape = cJSON_IsArray(f) ? f : cJSON_GetObjectItemCaseSensitive(f, "shape");
  if (!cJSON_IsArray(shape) || cJSON_GetArraySize(shape) != 1 || !cJSON_IsNumber(cJSON_GetArrayItem(shape, 0)))
    return odp_fail("%s: feature '%s': onedp imports flat vectors (shape [n])", path, key);
  *n = cJSON_GetArrayItem(shape, 0)->valueint;
  if (*n < 1 || *n > MAX_FRAME / 2) return odp_fail("%s: feature '%s': length %d", path, key, *n);
  return ODP_OK;
}

static int read_features(const cJSON *cfg, Source *s, const char *path) {
  const cJSON *in = cJSON_GetObjectItemCaseSensitive(cfg, "input_features");
  const cJSON *out = cJSON_GetObjectItemCaseSensitive(cfg, "output_features");
  if (!in) in = cJSON_GetObjectItemCaseSensitive(cfg, "input_shapes"), out = cJSON_GetObjectItemCaseSensitive(cfg, "output_shapes");
  if (!cJSON_IsObject(in) || !cJSON_IsObject(out)) return odp_fail("%s: no input_features / output_features", path);
  s->S = s->V = s->A = 0;
  for (const cJSON *f = in->child; f; f = f->next) {
    const char *type = json_string(f, "type", "");
    if (!strcmp(type, "VISUAL") || !strncmp(f->string, "observation.image", 17))
      return odp_fail("%s: input '%s' is an image: LeRobot's image encoder is not onedp's; low-dim policies only", path,
                      f->string);
    int *dim = !strcmp(f->string, "observation.state") ? &s->S : !strcmp(f->string, "observation.environment_state") ? &s->V : NULL;
    if (!dim) return odp_fail("%s: input '%s': onedp imports observation.state and observation.environment_state", path, f->string);
    if (feature_length(f, f->string, path, dim)) return ODP_ERR;
  }
  const cJSON *action = cJSON_GetObjectItemCaseSensitive(out, "action");
  if (!s->S) return odp_fail("%s: no observation.state input", path);
  if (!action || feature_length(action, "action", path, &s->A)) return odp_fail_context("%s: the action output", path);
  return ODP_OK;
}

static int read_lerobot_config(const cJSON *c, Source *s, const char *path) {
  const char *type = json_string(c, "type", "diffusion");
  if (strcmp(type, "diffusion"))
    return odp_fail("%s: policy type '%s': onedp imports LeRobot's diffusion policies (a U-Net), not this one", path, type);
  if (read_features(c, s, path)) return ODP_ERR;
  const cJSON *down = cJSON_GetObjectItemCaseSensitive(c, "down_dims");
  if (!cJSON_IsArray(down) || cJSON_GetArraySize(down) < 1 || cJSON_GetArraySize(down) > 8)
    return odp_fail("%s: field 'down_dims' must list 1..8 widths", path);
  s->n_down = cJSON_GetArraySize(down);
  for (int i = 0; i < s->n_down; i++) s->down[i] = cJSON_GetArrayItem(down, i)->valueint;
  int clip = 1;
  const cJSON *cs = cJSON_GetObjectItemCaseSensitive(c, "clip_sample"), *film = cJSON_GetObjectItemCaseSensitive(c, "use_film_scale_modulation");
  if (cs && cJSON_IsFalse(cs)) clip = 0;
  s->film = !film || cJSON_IsTrue(film);
  const cJSON *range = cJSON_GetObjectItemCaseSensitive(c, "clip_sample_range");
  if (json_int(c, "n_obs_steps", 2, 1, 64, &s->To, path) || json_int(c, "horizon", 16, 1, 1024, &s->horizon, path) ||
      json_int(c, "n_action_steps", 8, 1, 1024, &s->Ta, path) || json_int(c, "kernel_size", 5, 1, 31, &s->kernel, path) ||
      json_int(c, "n_groups", 8, 1, 512, &s->groups, path) ||
      json_int(c, "diffusion_step_embed_dim", 128, 2, 4096, &s->E, path) ||
      json_int(c, "num_train_timesteps", 100, 1, 1000, &s->timesteps, path))
    return ODP_ERR;
  const char *schedule = json_string(c, "beta_schedule", "squaredcos_cap_v2"), *pred = json_string(c, "prediction_type", "epsilon");
  if (strcmp(schedule, "squaredcos_cap_v2"))
    return odp_fail("%s: beta_schedule '%s': onedp's DDPM is the squared-cosine schedule (squaredcos_cap_v2)", path, schedule);
  if (strcmp(pred, "epsilon")) return odp_fail("%s: prediction_type '%s': onedp's networks predict epsilon", path, pred);
  if (!clip || (range && cJSON_IsNumber(range) && range->valuedouble != 1.0))
    return odp_fail("%s: clip_sample off or a range other than 1: onedp's samplers clip x0 to [-1, 1]", path);
  if (s->groups != 8) return odp_fail("%s: n_groups %d: the final block of LeRobot's U-Net has 8 groups; only 8 imports", path, s->groups);
  return ODP_OK;
}

// LeRobot's name of onedp's (the reference's) U-Net tensor `model.X`.
static const char *lerobot_name(const char *onedp, char *buf, int size) {
  const char *x = onedp + 6;  // after "model."
  char tmp[400];
  snprintf(tmp, sizeof tmp, "%s", x);
  char *b;
  if ((b = strstr(tmp, ".blocks.0."))) memmove(b + 7, b + 10, strlen(b + 10) + 1), memcpy(b, ".conv1.", 7);
  else if ((b = strstr(tmp, ".blocks.1."))) memmove(b + 7, b + 10, strlen(b + 10) + 1), memcpy(b, ".conv2.", 7);
  if ((!strncmp(tmp, "down_modules.", 13) || !strncmp(tmp, "up_modules.", 11)) && (b = strstr(tmp, ".2.conv.")))
    memmove(b + 3, b + 8, strlen(b + 8) + 1);
  snprintf(buf, (size_t)size, "diffusion.unet.%s", tmp);
  return buf;
}

typedef struct {
  Safetensors *model;
  Safetensors *pre, *post;  // lerobot >= 0.4's normalizer processor files, or NULL
  const cJSON *cfg;
  const char *path;
} LerobotFiles;

// The normalisation of `feature` (mode from normalization_mapping by type: STATE, ENV,
// ACTION), as onedp's x * scale + offset, for n elements. Stats from the model file's
// buffers, else the processor files.
static int lerobot_norm(const LerobotFiles *f, const char *feature, const char *type, int n, float *scale, float *offset) {
  const cJSON *map = cJSON_GetObjectItemCaseSensitive(f->cfg, "normalization_mapping");
  const char *mode = json_string(map, type, !strcmp(type, "ENV") ? "IDENTITY" : "MIN_MAX");
  const cJSON *old = cJSON_GetObjectItemCaseSensitive(f->cfg, !strcmp(type, "ACTION") ? "output_normalization_modes" : "input_normalization_modes");
  const char *old_mode = json_string(old, feature, NULL);
  if (old_mode) mode = !strcmp(old_mode, "min_max") ? "MIN_MAX" : !strcmp(old_mode, "mean_std") ? "MEAN_STD" : old_mode;
  for (int j = 0; j < n; j++) scale[j] = 1, offset[j] = 0;
  if (!strcmp(mode, "IDENTITY")) return ODP_OK;
  const int minmax = !strcmp(mode, "MIN_MAX");
  if (!minmax && strcmp(mode, "MEAN_STD")) return odp_fail("%s: normalization '%s' of %s", f->path, mode, feature);
  char buffer[160], a_name[256], b_name[256], under[96];
  snprintf(under, sizeof under, "%s", feature);
  for (char *c = under; *c; c++) *c = *c == '.' ? '_' : *c;
  snprintf(buffer, sizeof buffer, "%s.buffer_%s", !strcmp(type, "ACTION") ? "normalize_targets" : "normalize_inputs", under);
  Safetensors *st = f->model;
  snprintf(a_name, sizeof a_name, "%s.%s", buffer, minmax ? "min" : "mean");
  snprintf(b_name, sizeof b_name, "%s.%s", buffer, minmax ? "max" : "std");
  if (safetensors_find(st, a_name) < 0) {  // lerobot >= 0.4: the processors' flat names
    st = !strcmp(type, "ACTION") && f->post ? f->post : f->pre;
    snprintf(a_name, sizeof a_name, "%s.%s", feature, minmax ? "min" : "mean");
    snprintf(b_name, sizeof b_name, "%s.%s", feature, minmax ? "max" : "std");
    if (!st || safetensors_find(st, a_name) < 0)
      return odp_fail("%s: no %s statistics for %s (model.safetensors buffers or the processor files)", f->path, mode, feature);
  }
  float a[MAX_FRAME], b[MAX_FRAME];
  if (safetensors_read_f32(st, a_name, a, n) || safetensors_read_f32(st, b_name, b, n)) return ODP_ERR;
  for (int j = 0; j < n; j++) {  // MIN_MAX: (x - min) / (max - min + 1e-8) * 2 - 1; MEAN_STD: (x - mean) / (std + 1e-8)
    scale[j] = minmax ? 2.0f / (b[j] - a[j] + 1e-8f) : 1.0f / (b[j] + 1e-8f);
    offset[j] = minmax ? -1.0f - a[j] * scale[j] : -a[j] * scale[j];
    if (!isfinite(scale[j]) || !isfinite(offset[j])) return odp_fail("%s: %s statistics of %s are not finite", f->path, mode, feature);
  }
  return ODP_OK;
}

static int fill_lerobot(Policy *p, const Source *s, void *ctx) {
  const LerobotFiles *f = ctx;
  if (read_unet(p, s, f->model, lerobot_name)) return ODP_ERR;
  float scale[MAX_FRAME], offset[MAX_FRAME];  // the source frame's, then permuted
  if (lerobot_norm(f, "observation.state", "STATE", s->S, scale, offset) ||
      (s->V && lerobot_norm(f, "observation.environment_state", "ENV", s->V, scale + s->S, offset + s->S)))
    return ODP_ERR;
  for (int j = 0; j < frame_dim(s); j++) p->obs_norm.scale[j] = scale[s->frame_src[j]], p->obs_norm.offset[j] = offset[s->frame_src[j]];
  return lerobot_norm(f, "action", "ACTION", s->A, p->action_norm.scale, p->action_norm.offset);
}

// The frame order: the source's, or a task's (PushT: keypoints = environment_state, then
// agent_pos = state).
static int plan_frame(Source *s, const char *what) {
  for (int j = 0; j < frame_dim(s); j++) s->frame_src[j] = j;
  if (!s->task) return ODP_OK;
  if (strcmp(s->task, "pusht")) return odp_fail("%s: --task %s: onedp maps LeRobot features onto pusht only", what, s->task);
  if (s->S != 2 || s->V != 18)
    return odp_fail("%s: --task pusht needs observation.state [2] (agent_pos) and observation.environment_state [18] "
                    "(the 9 block keypoints); this policy has %d and %d", what, s->S, s->V);
  for (int j = 0; j < 18; j++) s->frame_src[j] = 2 + j;
  s->frame_src[18] = 0, s->frame_src[19] = 1;
  return ODP_OK;
}

// The processor file of lerobot >= 0.4 whose name holds `part` (NULL when none).
static Safetensors *processor_file(const char *dir, const char *prefix, const char *part) {
  DIR *d = opendir(dir);
  Safetensors *st = NULL;
  for (struct dirent *e; d && !st && (e = readdir(d));) {
    size_t n = strlen(e->d_name);
    if (strncmp(e->d_name, prefix, strlen(prefix)) || !strstr(e->d_name, part) || n < 12 ||
        strcmp(e->d_name + n - 12, ".safetensors"))
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    st = safetensors_open(path);
  }
  if (d) closedir(d);
  return st;
}

int import_lerobot(const char *dir, const char *out_path, const ImportOptions *o) {
  char cfg_path[4096], model_path[4096];
  snprintf(cfg_path, sizeof cfg_path, "%s/config.json", dir);
  snprintf(model_path, sizeof model_path, "%s/model.safetensors", dir);
  cJSON *cfg = read_json(cfg_path);
  if (!cfg) return ODP_ERR;
  Source s = {.task = o->task, .dataset = o->dataset, .obs_key = o->obs_key};
  LerobotFiles f = {.cfg = cfg, .path = cfg_path};
  int rc = read_lerobot_config(cfg, &s, cfg_path) || plan_frame(&s, cfg_path);
  if (!rc && !(f.model = safetensors_open(model_path))) rc = ODP_ERR;
  if (!rc) {
    f.pre = processor_file(dir, "policy_preprocessor", "normalizer");
    f.post = processor_file(dir, "policy_postprocessor", "unnormalizer");
    rc = write_policy(&s, out_path, dir, fill_lerobot, &f);
  }
  if (f.model) safetensors_close(f.model);
  if (f.pre) safetensors_close(f.pre);
  if (f.post) safetensors_close(f.post);
  cJSON_Delete(cfg);
  return rc;
}

// ---------------------------------------------------------------- Diffusion Policy

// scripts/import_dp_ckpt.py's export: the workspace's (EMA) state_dict under its own names,
// which are onedp's ("model.*", "normalizer.params_dict.{obs,action}.{scale,offset}"), and
// the resolved config fields as JSON metadata "dp_config".
static const char *same_name(const char *onedp, char *buf, int size) {
  snprintf(buf, (size_t)size, "%s", onedp);
  return buf;
}

static int fill_dp(Policy *p, const Source *s, void *ctx) {
  Safetensors *st = ctx;
  if (read_unet(p, s, st, same_name)) return ODP_ERR;
  const char *names[4] = {"normalizer.params_dict.obs.scale", "normalizer.params_dict.obs.offset",
                          "normalizer.params_dict.action.scale", "normalizer.params_dict.action.offset"};
  float *dst[4] = {p->obs_norm.scale, p->obs_norm.offset, p->action_norm.scale, p->action_norm.offset};
  const int n[4] = {frame_dim(s), frame_dim(s), s->A, s->A};
  for (int k = 0; k < 4; k++) {
    if (safetensors_read_f32(st, names[k], dst[k], n[k])) return ODP_ERR;
    for (int j = 0; j < n[k]; j++)
      if (!isfinite(dst[k][j])) return odp_fail("%s: %s[%d] is not finite", safetensors_path(st), names[k], j);
  }
  return ODP_OK;
}

int import_diffusion_policy(const char *exported, const char *out_path, const ImportOptions *o) {
  Safetensors *st = safetensors_open(exported);
  if (!st) return ODP_ERR;
  const char *meta = safetensors_metadata(st, "dp_config");
  cJSON *c = meta ? cJSON_Parse(meta) : NULL;
  Source s = {.task = o->task, .dataset = o->dataset, .obs_key = o->obs_key};
  int rc = c ? ODP_OK : odp_fail("%s: no dp_config metadata (write it with scripts/import_dp_ckpt.py)", exported);
  if (!rc) {
    const cJSON *down = cJSON_GetObjectItemCaseSensitive(c, "down_dims");
    s.n_down = cJSON_IsArray(down) ? cJSON_GetArraySize(down) : 0;
    for (int i = 0; i < s.n_down && i < 8; i++) s.down[i] = cJSON_GetArrayItem(down, i)->valueint;
    const cJSON *film = cJSON_GetObjectItemCaseSensitive(c, "cond_predict_scale");
    s.film = !film || cJSON_IsTrue(film);
    const char *schedule = json_string(c, "beta_schedule", "squaredcos_cap_v2"), *pred = json_string(c, "prediction_type", "epsilon");
    const cJSON *global = cJSON_GetObjectItemCaseSensitive(c, "obs_as_global_cond");
    rc = json_int(c, "obs_dim", 0, 1, MAX_FRAME, &s.S, exported) || json_int(c, "action_dim", 0, 1, 64, &s.A, exported) ||
         json_int(c, "n_obs_steps", 2, 1, 64, &s.To, exported) || json_int(c, "horizon", 16, 1, 1024, &s.horizon, exported) ||
         json_int(c, "n_action_steps", 8, 1, 1024, &s.Ta, exported) || json_int(c, "kernel_size", 5, 1, 31, &s.kernel, exported) ||
         json_int(c, "n_groups", 8, 1, 512, &s.groups, exported) ||
         json_int(c, "diffusion_step_embed_dim", 256, 2, 4096, &s.E, exported) ||
         json_int(c, "num_train_timesteps", 100, 1, 1000, &s.timesteps, exported);
    if (!rc && (s.n_down < 1 || s.n_down > 8)) rc = odp_fail("%s: dp_config down_dims must list 1..8 widths", exported);
    if (!rc && global && !cJSON_IsTrue(global))
      rc = odp_fail("%s: obs_as_global_cond false (observations inpainted into the sample): onedp conditions globally", exported);
    if (!rc && strcmp(schedule, "squaredcos_cap_v2"))
      rc = odp_fail("%s: beta_schedule '%s': onedp's DDPM is the squared-cosine schedule", exported, schedule);
    if (!rc && strcmp(pred, "epsilon")) rc = odp_fail("%s: prediction_type '%s': onedp predicts epsilon", exported, pred);
  }
  for (int j = 0; j < s.S && j < MAX_FRAME; j++) s.frame_src[j] = j;  // the reference's order is onedp's
  if (!rc) rc = write_policy(&s, out_path, exported, fill_dp, st);
  cJSON_Delete(c);
  safetensors_close(st);
  return rc;
}
