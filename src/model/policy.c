#include "model/policy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "diffusion/consistency.h"
#include "core/rng.h"
#include "io/config.h"
#include "io/safetensors.h"
#include "model/unet_config.h"

enum { POLICY_GENERATOR_NOISE = 0x30, POLICY_REFINE_NOISE = 0x31 };

const char *const policy_config_keys[] = {"policy.horizon", "policy.n_obs_steps", "policy.n_action_steps",
                                          "policy.obs_dim", "policy.action_dim", "policy.num_train_timesteps",
                                          "policy.diffusion", "policy.sigma_min", "policy.sigma_max",
                                          "policy.sigma_data", "policy.rho", "policy.p_mean", "policy.p_std", NULL};

// EDM's settings, each optional (diffusion/edm.h gives the defaults and the checks).
static int read_edm(const Config *c, EdmSettings *e) {
  *e = edm_default_settings();
  const struct {
    const char *key;
    double *value, lo, hi;
  } keys[] = {{"policy.sigma_min", &e->sigma_min, 1e-6, 1e6}, {"policy.sigma_max", &e->sigma_max, 1e-6, 1e6},
              {"policy.sigma_data", &e->sigma_data, 1e-6, 1e6}, {"policy.rho", &e->rho, 1, 100},
              {"policy.p_mean", &e->p_mean, -20, 20}, {"policy.p_std", &e->p_std, 1e-3, 20}};
  for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++)  // their relations: edm_schedule_init
    if (config_has(c, keys[i].key) && config_get_double(c, keys[i].key, keys[i].value, keys[i].lo, keys[i].hi))
      return ODP_ERR;
  return ODP_OK;
}

static int read_shape(PolicyShape *s, const char *json, const char *where) {
  Config *c = config_parse(json, where);
  if (!c) return ODP_ERR;
  int err = config_get_int(c, "policy.horizon", &s->horizon, 2, 1024) ||
            config_get_int(c, "policy.n_obs_steps", &s->n_obs_steps, 1, 64) ||
            config_get_int(c, "policy.n_action_steps", &s->n_action_steps, 1, 1024) ||
            config_get_int(c, "policy.obs_dim", &s->lowdim_dim, 1, NORMALIZER_MAX_DIM) ||
            config_get_int(c, "policy.action_dim", &s->action_dim, 1, NORMALIZER_MAX_DIM) ||
            config_get_int(c, "policy.num_train_timesteps", &s->num_train_timesteps, 1, DIFFUSION_MAX_TRAIN_STEPS);
  const char *process = "ddpm";
  if (!err && config_has(c, "policy.diffusion")) err = config_get_string(c, "policy.diffusion", &process);
  if (!err) snprintf(s->diffusion, sizeof s->diffusion, "%s", process);
  if (!err) err = read_edm(c, &s->edm);
  const char *obs_key = "";
  if (!err && config_has(c, "task.obs_key")) err = config_get_string(c, "task.obs_key", &obs_key);
  if (!err) snprintf(s->obs_key, sizeof s->obs_key, "%s", obs_key);
  config_free(c);
  if (err) return ODP_ERR;
  if (s->n_obs_steps - 1 + s->n_action_steps > s->horizon)
    return odp_fail("%s: field 'policy.horizon': %d is shorter than policy.n_obs_steps - 1 + policy.n_action_steps = %d",
                    where, s->horizon, s->n_obs_steps - 1 + s->n_action_steps);
  return ODP_OK;
}

static int add_unet_entries(Policy *p) {
  for (int i = 0; i < p->unet.table.count; i++) {
    const ParamEntry *e = &p->unet.table.entries[i];
    char name[128];
    snprintf(name, sizeof name, "model.%s", e->name);
    if (param_table_add(&p->table, name, e->ndim, e->shape, e->layout) < 0) return ODP_ERR;
  }
  return ODP_OK;
}

static int add_normalizer_entries(Policy *p) {
  const char *keys[2] = {"obs", "action"};
  int dims[2] = {p->shape.lowdim_dim, p->shape.action_dim};
  for (int k = 0; k < 2; k++)
    for (int f = 0; f < 2; f++) {
      char name[128];
      snprintf(name, sizeof name, "normalizer.params_dict.%s.%s", keys[k], f ? "offset" : "scale");
      if (param_table_add(&p->table, name, 1, &dims[k], LAYOUT_PLAIN) < 0) return ODP_ERR;
      p->table.entries[p->table.count - 1].frozen = 1;  // statistics of the data, not trained
    }
  return ODP_OK;
}

// Tables, shapes and schedule for a config; the parameter buffer only when asked.
static int policy_setup(Policy *p, const char *config_json, const char *where, int with_params) {
  memset(p, 0, sizeof *p);
  p->generator_timestep = -1;
  p->train_step = -1;
  UnetConfig uc;
  if (read_shape(&p->shape, config_json, where) || unet_config_from_json(&uc, config_json, where)) return ODP_ERR;
  if (uc.input_dim != p->shape.action_dim)
    return odp_fail("%s: field 'model.input_dim': %d, but policy.action_dim is %d", where, uc.input_dim,
                    p->shape.action_dim);
  if (unet_init(&p->unet, &uc)) return odp_fail_context("%s", where);
  if (add_unet_entries(p) ||
      obs_encoder_init(&p->encoder, config_json, where, p->shape.n_obs_steps, p->shape.lowdim_dim, &p->table))
    return policy_free(p), ODP_ERR;
  p->shape.obs_dim = p->encoder.frame_dim;
  if (uc.global_cond_dim != p->encoder.out_dim) {
    odp_fail("%s: field 'model.global_cond_dim': %d, but the observation encoder gives %d (%s)", where,
             uc.global_cond_dim, p->encoder.out_dim,
             p->encoder.kind == OBS_ENCODER_IMAGE ? "policy.n_obs_steps x (cameras x encoder.feature_dim + policy.obs_dim)"
                                                  : "policy.n_obs_steps x policy.obs_dim");
    return policy_free(p), ODP_ERR;
  }
  if (add_normalizer_entries(p)) return policy_free(p), ODP_ERR;
  if (diffusion_init(&p->diffusion, p->shape.diffusion, p->shape.num_train_timesteps, &p->shape.edm)) {
    policy_free(p);
    return odp_fail_context("%s", where);  // the process names the field
  }
  p->obs_norm.dim = p->shape.lowdim_dim, p->action_norm.dim = p->shape.action_dim;
  p->config_json = strdup(config_json);
  if (!with_params) return ODP_OK;
  p->params = odp_calloc((unsigned long)p->table.numel, sizeof(float), "policy parameters");
  if (!p->params) {
    policy_free(p);
    return ODP_ERR;
  }
  return ODP_OK;
}

int policy_init(Policy *p, const char *config_json, const char *where) { return policy_setup(p, config_json, where, 1); }

static void work_free(PolicyWork *w) {
  unet_acts_free(w->acts);
  unet_infer_acts_free(w->infer_acts);
  obs_encoder_acts_free(w->enc);
  free(w->cond), free(w->x);
  free(w->dw.eps), free(w->dw.z), free(w->dw.tb), free(w->dw.x2);
  memset(w, 0, sizeof *w);
}

void policy_free(Policy *p) {
  work_free(&p->work);
  if (p->infer) unet_infer_free(p->infer);
  free(p->infer);
  for (int c = 0; p->image_infer && c < p->encoder.n_cameras; c++) image_encoder_infer_free(&p->image_infer[c]);
  free(p->image_infer);
  unet_free(&p->unet);
  param_table_free(&p->table);
  free(p->params);
  free(p->config_json);
  memset(p, 0, sizeof *p);
}

static const char *const normalizer_names[4] = {
    "normalizer.params_dict.obs.scale", "normalizer.params_dict.obs.offset",
    "normalizer.params_dict.action.scale", "normalizer.params_dict.action.offset"};

// The normalizer tensor `which` (normalizer_names) in the table, found by name.
static const ParamEntry *normalizer_entry(const Policy *p, int which) {
  return param_table_find(&p->table, normalizer_names[which]);
}

// The four normalizer arrays in normalizer_names' order.
static void normalizer_arrays(Policy *p, float *dst[4]) {
  dst[0] = p->obs_norm.scale, dst[1] = p->obs_norm.offset;
  dst[2] = p->action_norm.scale, dst[3] = p->action_norm.offset;
}

void policy_store_normalizers(Policy *p, float *params) {
  float *src[4];
  normalizer_arrays(p, src);
  for (int k = 0; k < 4; k++) {
    const ParamEntry *e = normalizer_entry(p, k);
    memcpy(params + e->offset, src[k], (size_t)e->numel * sizeof(float));
  }
}

void policy_fetch_normalizers(Policy *p, const float *params) {
  float *dst[4];
  normalizer_arrays(p, dst);
  p->obs_norm.dim = p->shape.lowdim_dim, p->action_norm.dim = p->shape.action_dim;
  for (int k = 0; k < 4; k++) {
    const ParamEntry *e = normalizer_entry(p, k);
    memcpy(dst[k], params + e->offset, (size_t)e->numel * sizeof(float));
  }
}

// "train_step" metadata: a whole non-negative number, or absent.
static int read_train_step(Policy *p, const Safetensors *st, const char *path) {
  const char *text = safetensors_metadata(st, "train_step");
  if (!text) return ODP_OK;
  char *end;
  long step = strtol(text, &end, 10);
  if (!*text || *end || step < 0) return odp_fail("%s: metadata train_step '%s' is not a step number", path, text);
  p->train_step = step;
  return ODP_OK;
}

// Config and metadata of an open checkpoint: sets up p (with or without parameters).
static int setup_from_checkpoint(Policy *p, Safetensors *st, const char *path, int with_params) {
  const char *cfg = safetensors_metadata(st, "config");
  if (!cfg) return odp_fail("%s: not a onedp policy checkpoint (no \"config\" metadata)", path);
  if (safetensors_metadata(st, "step"))  // run_state_save's file: buffers, not a policy
    return odp_fail("%s: is a training state (for --resume), not a policy: use the run's policy.safetensors", path);
  if (policy_setup(p, cfg, path, with_params)) return ODP_ERR;
  const char *gt = safetensors_metadata(st, "generator_timestep"), *sto = safetensors_metadata(st, "stochastic");
  if (gt) {
    char *end;
    errno = 0;
    long k = strtol(gt, &end, 10);
    if (end == gt || *end || errno || k < 0 || k >= p->shape.num_train_timesteps) {
      policy_free(p);
      return odp_fail("%s: metadata generator_timestep '%.40s' is not a timestep in [0, %d)", path, gt,
                      p->shape.num_train_timesteps);
    }
    p->generator_timestep = (int)k;
    p->stochastic = sto && !strcmp(sto, "1");
  }
  if (read_train_step(p, st, path)) return policy_free(p), ODP_ERR;
  return ODP_OK;
}

// Metadata and tensors come from one open file: a checkpoint renamed into place meanwhile
// cannot mix two files.
int policy_load(Policy *p, const char *path) {
  Safetensors *st = safetensors_open(path);
  if (!st) return ODP_ERR;
  int err = setup_from_checkpoint(p, st, path, 1);
  if (!err && safetensors_read_params(st, &p->table, p->params)) policy_free(p), err = ODP_ERR;
  safetensors_close(st);
  if (err) return ODP_ERR;
  policy_fetch_normalizers(p, p->params);
  return ODP_OK;
}

// The normalizer tensors straight from the file into the normalizer structs.
static int read_normalizers(Policy *p, Safetensors *st) {
  float *dst[4];
  normalizer_arrays(p, dst);
  for (int k = 0; k < 4; k++) {
    const ParamEntry *e = normalizer_entry(p, k);
    if (safetensors_read_f32(st, e->name, dst[k], e->numel)) return ODP_ERR;
    for (int i = 0; i < e->numel; i++)
      if (!isfinite(dst[k][i])) return odp_fail("%s: tensor %s: element %d is not finite", safetensors_path(st), e->name, i);
  }
  p->obs_norm.dim = p->shape.lowdim_dim, p->action_norm.dim = p->shape.action_dim;
  return ODP_OK;
}

// An image policy's camera encoder, packed: its tensors are read into a parameter buffer
// of the whole table (only their pages are touched: the U-Net's share stays unallocated
// zero pages), packed, and the buffer freed.
static int read_encoder(Policy *p, Safetensors *st) {
  if (p->encoder.kind == OBS_ENCODER_IDENTITY) return ODP_OK;
  float *params = odp_calloc((unsigned long)p->table.numel, sizeof(float), "image encoder parameters");
  int err = !params;
  for (int i = 0; !err && i < p->table.count; i++) {
    const ParamEntry *e = &p->table.entries[i];
    if (!strncmp(e->name, "obs_encoder.", 12)) err = safetensors_read_f32(st, e->name, params + e->offset, e->numel);
  }
  const int C = p->encoder.n_cameras;
  if (!err) err = !(p->image_infer = odp_calloc((unsigned long)C, sizeof *p->image_infer, "packed image encoders"));
  for (int c = 0; !err && c < C; c++) err = image_encoder_infer_build(&p->image_infer[c], &p->encoder.image[c], params);
  free(params);
  return err ? ODP_ERR : ODP_OK;
}

int policy_load_inference(Policy *p, const char *path, WeightFormat fmt) {
  Safetensors *st = safetensors_open(path);
  if (!st) return ODP_ERR;
  if (setup_from_checkpoint(p, st, path, 0)) return safetensors_close(st), ODP_ERR;
  p->infer = odp_calloc(1, sizeof *p->infer, "inference U-Net");
  // A student's generator sees one time input: its level's, folded into the packed weights.
  const float fixed = p->generator_timestep >= 0 ? diffusion_net_time(&p->diffusion, (float)p->generator_timestep) : 0;
  int err = !p->infer || read_normalizers(p, st) || read_encoder(p, st) ||
            unet_infer_from_file(p->infer, &p->unet, st, "model.", fmt, p->generator_timestep >= 0 ? &fixed : NULL);
  safetensors_close(st);
  if (err) {
    policy_free(p);
    return odp_fail_context("%s", path);
  }
  return ODP_OK;
}

int policy_save(const Policy *p, const float *params, const char *path, const char *const *extra_metadata) {
  if (!extra_metadata || !extra_metadata[0]) return safetensors_save_params(path, &p->table, params, p->config_json, ST_F32);
  SafetensorsWriter *w = safetensors_writer_new(path, ST_F32);
  if (!w) return ODP_ERR;
  int err = safetensors_writer_set_metadata(w, "format", "pt") || safetensors_writer_set_metadata(w, "config", p->config_json);
  for (const char *const *kv = extra_metadata; !err && kv[0]; kv += 2) err = safetensors_writer_set_metadata(w, kv[0], kv[1]);
  float *pt = NULL;
  for (int i = 0; !err && i < p->table.count; i++) {
    const ParamEntry *e = &p->table.entries[i];
    pt = realloc(pt, (size_t)e->numel * sizeof(float));
    param_to_pytorch(e, params + e->offset, pt);
    err = safetensors_writer_add(w, e->name, e->ndim, e->shape, pt);
  }
  free(pt);
  if (err) {
    safetensors_writer_abort(w);
    return ODP_ERR;
  }
  return safetensors_writer_finish(w);
}

// ---------------------------------------------------------------- inference

// One network call: the packed inference network when loaded, else the training one.
static int run_unet(Policy *p, float *eps, const float *x, const float *t, const float *cond) {
  if (p->infer) return unet_infer_forward(p->infer, p->work.infer_acts, eps, x, t, cond);
  unet_forward(&p->unet, p->params, p->work.acts, eps, x, t, cond);
  return ODP_OK;
}

static int denoise(void *ctx, const float *x, const float *t, int B, float *out) {
  (void)B;
  Policy *p = ctx;
  return run_unet(p, out, x, t, p->work.cond);
}

// One workspace buffer; after a failure (*err set) allocates nothing more.
static void *work_alloc(long count, long size, const char *what, int *err) {
  void *q = *err ? NULL : odp_malloc((unsigned long)(count * size), what);
  if (!q) *err = 1;
  return q;
}

// Sizes p->work for batch B (nothing to do when it already holds B).
static int ensure_work(Policy *p, int B) {
  PolicyWork *w = &p->work;
  if (w->B == B) return ODP_OK;
  work_free(w);
  const PolicyShape *sh = &p->shape;
  const long per = (long)sh->horizon * sh->action_dim;
  int err = 0;
  if (!(w->enc = obs_encoder_acts_create(&p->encoder, p->image_infer, B))) err = 1;
  w->cond = work_alloc((long)B * p->encoder.out_dim, sizeof(float), "conditioning", &err);
  w->x = work_alloc(B * per, sizeof(float), "action chunk", &err);
  w->dw.eps = work_alloc(B * per, sizeof(float), "predicted noise", &err);
  w->dw.z = work_alloc(B * per, sizeof(float), "variance noise", &err);
  w->dw.tb = work_alloc(2L * B, sizeof(float), "noise levels", &err);  // a consistency student's (t, s) pairs
  w->dw.x2 = work_alloc(B * per, sizeof(float), "second network output", &err);
  if (!err && p->infer) err = !(w->infer_acts = unet_infer_acts_create(p->infer, B, sh->horizon));
  if (!err && !p->infer) err = !(w->acts = unet_acts_create(&p->unet, B, sh->horizon));
  if (err) return work_free(w), ODP_ERR;
  w->B = B;
  return ODP_OK;
}

// The one-step generator: x = z (OneDP-S) or 0 (OneDP-D) plays x_{k*}; its noise
// prediction becomes an action through the x0 formula at k*.
static int generate_onestep(Policy *p, float *x, int B, long per, uint64_t seed) {
  long n = B * per;
  if (p->generator_timestep < 0) return odp_fail("sampler onestep needs a one-step student checkpoint");
  if (p->stochastic) diffusion_noise(x, B, per, seed, ODP_STREAM(0, POLICY_GENERATOR_NOISE), &p->work.dw);
  else memset(x, 0, (size_t)n * sizeof *x);
  float *eps = p->work.dw.eps, *tf = p->work.dw.tb;  // the network time at k*
  const float level = (float)p->generator_timestep;
  for (int b = 0; b < B; b++) tf[b] = diffusion_net_time(&p->diffusion, level);
  int err = run_unet(p, eps, x, tf, p->work.cond);
  if (!err) diffusion_x0(&p->diffusion, x, x, eps, n, level, 0);
  return err;
}

int policy_set_refiner(Policy *student, Policy *teacher) {
  const PolicyShape *a = &student->shape, *b = &teacher->shape;
  if (student->generator_timestep < 0) return odp_fail("a refiner serves a one-step student; this is a diffusion policy");
  if (teacher->generator_timestep >= 0) return odp_fail("the refiner must be a diffusion policy (the student's teacher)");
  if (a->horizon != b->horizon || a->n_obs_steps != b->n_obs_steps || a->obs_dim != b->obs_dim ||
      a->action_dim != b->action_dim || a->num_train_timesteps != b->num_train_timesteps ||
      student->encoder.out_dim != teacher->encoder.out_dim || strcmp(a->diffusion, b->diffusion))
    return odp_fail("the refiner's shape (horizon %d, obs %d x %d, action %d, %d timesteps) is not the student's "
                    "(horizon %d, obs %d x %d, action %d, %d timesteps)", b->horizon, b->n_obs_steps, b->obs_dim,
                    b->action_dim, b->num_train_timesteps, a->horizon, a->n_obs_steps, a->obs_dim, a->action_dim,
                    a->num_train_timesteps);
  if (memcmp(&student->obs_norm, &teacher->obs_norm, sizeof(Normalizer)) ||
      memcmp(&student->action_norm, &teacher->action_norm, sizeof(Normalizer)))
    return odp_fail("the refiner's normalizers differ from the student's: it is not the student's teacher");
  student->refiner = teacher;
  return ODP_OK;
}

// The two-step student's second call: the generator's chunk x re-noised to level k with
// fresh noise, and the clipped x̂0 there (one DDIM step from k to 0, as the teacher's
// samplers end) of the refiner (its teacher) or of the student's own network, as
// Consistency Policy chains its one-step model.
static int refine(Policy *p, float *x, int B, long per, uint64_t seed, int k) {
  long n = B * per;
  float *eps = p->work.dw.eps, *noise = p->work.dw.z, *tf = p->work.dw.tb;
  const float level = (float)k;
  Policy *net = p->refiner ? p->refiner : p;  // the refiner's activations sized for B; conditioning is ours
  if (net != p && ensure_work(net, B)) return ODP_ERR;
  diffusion_noise(noise, B, per, seed, ODP_STREAM(0, POLICY_REFINE_NOISE), &p->work.dw);
  diffusion_diffuse(&p->diffusion, x, x, noise, n, level);
  for (int b = 0; b < B; b++) tf[b] = diffusion_net_time(&p->diffusion, level);
  int err = run_unet(net, eps, x, tf, p->work.cond);
  if (!err) diffusion_x0(&p->diffusion, x, x, eps, n, level, 1);
  return err;
}

int policy_reserve(Policy *p, int B) { return ensure_work(p, B); }

// splitmix64's finaliser over seed + golden-ratio multiples: distinct, well-mixed seeds per call.
uint64_t policy_call_seed(uint64_t seed, long call) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (uint64_t)(call + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int policy_future_steps(const Policy *p) { return p->shape.horizon - p->shape.n_obs_steps + 1; }

static int predict(Policy *p, const SamplerSpec *s, const float *obs, int B, uint64_t seed, const uint64_t *row_seeds,
                   int n_steps, float *actions) {
  const PolicyShape *sh = &p->shape;
  if (n_steps < 1 || n_steps > policy_future_steps(p))
    return odp_fail("policy: %d actions per call (1..%d: the chunk's future)", n_steps, policy_future_steps(p));
  const long per = (long)sh->horizon * sh->action_dim;
  if (ensure_work(p, B)) return ODP_ERR;
  PolicyWork *w = &p->work;
  float *x = w->x;
  if (obs_encoder_forward(&p->encoder, p->params, p->image_infer, &p->obs_norm, w->enc, w->cond, obs)) return ODP_ERR;
  int err;
  w->dw.row_seeds = row_seeds;  // for this call's draws only (reset below)
  if (s->kind == SAMPLER_ONESTEP) {
    err = generate_onestep(p, x, B, per, seed);
    if (!err && s->steps == 2) err = refine(p, x, B, per, seed, s->refine_level);
  } else if (s->kind == SAMPLER_CP) {
    diffusion_noise(x, B, per, seed, ODP_STREAM(0, DIFFUSION_PURPOSE_INIT), &w->dw);
    err = cm_sample_ws(x, B, per, &p->diffusion.edm.set, s->steps, denoise, p, seed, &w->dw);
  } else {
    err = diffusion_sample(&p->diffusion, s, x, B, per, denoise, p, seed, &w->dw);
  }
  w->dw.row_seeds = NULL;
  if (err) return ODP_ERR;
  normalizer_unapply(&p->action_norm, x, x, (long)B * sh->horizon);
  for (int b = 0; b < B; b++)  // the executed steps: indices n_obs_steps-1 ...
    memcpy(actions + (long)b * n_steps * sh->action_dim, x + b * per + (long)(sh->n_obs_steps - 1) * sh->action_dim,
           (size_t)n_steps * sh->action_dim * sizeof(float));
  return ODP_OK;
}

int policy_predict(Policy *p, const SamplerSpec *s, const float *obs, int B, uint64_t seed, float *actions) {
  return predict(p, s, obs, B, seed, NULL, p->shape.n_action_steps, actions);
}

int policy_predict_steps(Policy *p, const SamplerSpec *s, const float *obs, int B, uint64_t seed, int n_steps,
                         float *actions) {
  return predict(p, s, obs, B, seed, NULL, n_steps, actions);
}

int policy_predict_rows(Policy *p, const SamplerSpec *s, const float *obs, int B, const uint64_t *row_seeds,
                        float *actions) {
  return predict(p, s, obs, B, 0, row_seeds, p->shape.n_action_steps, actions);
}
