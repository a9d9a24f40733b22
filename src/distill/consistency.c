#include "distill/consistency.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "dist/dist.h"
#include "diffusion/consistency.h"
#include "model/cm_net.h"
#include "distill/teacher_data.h"
#include "optim/adamw.h"
#include "optim/lr_schedule.h"
#include "train/run_driver.h"

const char *const cp_config_keys[] = {
    "cp.steps", "cp.batch", "cp.lr", "cp.beta1", "cp.beta2", "cp.eps", "cp.weight_decay", "cp.warmup_steps",
    "cp.lr_schedule", "cp.bins", "cp.ode_steps", "cp.ctm_weight", "cp.dsm_weight", "cp.huber_delta", "cp.seed",
    "cp.threads", "cp.log_every", "cp.checkpoint_every", "cp.keep_checkpoints", NULL};

typedef struct {
  long steps;
  int batch, threads, log_every, checkpoint_every, keep_checkpoints;
  int bins;       // the Karras grid's bins the CTM times are drawn from (80)
  int ode_steps;  // u at most this many bins past t (1: one teacher Heun step)
  double ctm_weight, dsm_weight, huber_delta;  // delta < 0: sqrt(T Da) 0.00054
  AdamWConfig adam;
  LrSchedule schedule;  // factor on adam.lr (base 1)
  uint64_t seed;
} CpOptions;

typedef struct {
  const Config *cfg;
  CpOptions opt;
  TeacherData td;
  Policy student;     // two time inputs; its U-Net's parameters come first in params, then an image encoder's
  long n;             // the trained parameters (U-Net, and an image student's encoder)
  float *g, *m, *v;   // their gradient (the student's table sized) and Adam moments
  float *g_outer;     // the outer map's parameter gradient: computed by the backward pass, discarded
  UnetActs *acts_in, *acts_out, *acts_teacher;  // the inner map (kept for its backward), the others
  int B;
  long per;
  float *obs, *x0, *noise, *xt, *xu, *y, *f, *z, *pred, *pred0, *target, *grad, *dz, *times;
  // The conditioning (B, Gc): low-dim, both are obs. An image student's comes from its own
  // camera encoder, trained with the U-Net (the gradient of both losses' prediction maps
  // summed in dcond_sum), the teacher's from its frozen one; the same crops for both.
  int image;
  int64_t *rows;  // (B, To) the batch's frame rows
  ObsEncoderActs *enc_teacher, *enc_student;
  const float *cond_teacher, *cond_student;
  float *cond_buf, *dcond, *dcond_sum;  // (2, B, Gc): the two encoders' outputs; (B, Gc) each
  double *t, *s, *u;  // (B) each chunk's CTM times
  double *smin, *lambda;  // (B) sigma_min each; the denoising loss's weights
  CmMap *inner, *outer;
  double sum_ctm, sum_dsm;
  int count;
} Cp;

enum { CP_TIMES = 0x60, CP_NOISE = 0x61, CP_DSM_SIGMA = 0x62, CP_DSM_NOISE = 0x63, CP_CROPS = 0x64 };

static int read_options(CpOptions *o, const Config *c) {
  long seed;
  const char *sched = "cosine";
  memset(o, 0, sizeof *o);
  o->bins = 80, o->ode_steps = 1, o->ctm_weight = o->dsm_weight = 1, o->huber_delta = -1;
  long warmup = 0;
  int err = config_get_long(c, "cp.steps", &o->steps, 1, 1L << 40) || config_get_int(c, "cp.batch", &o->batch, 1, 1 << 16) ||
            config_get_double(c, "cp.lr", &o->adam.lr, 0, 1) ||
            config_get_double(c, "cp.beta1", &o->adam.beta1, 0, 0.999999) ||
            config_get_double(c, "cp.beta2", &o->adam.beta2, 0, 0.999999) ||
            config_get_double(c, "cp.eps", &o->adam.eps, 1e-30, 1) ||
            config_get_double(c, "cp.weight_decay", &o->adam.weight_decay, 0, 1) ||
            config_get_long(c, "cp.warmup_steps", &warmup, 0, 1L << 40) ||
            config_get_string(c, "cp.lr_schedule", &sched) || config_get_int(c, "cp.bins", &o->bins, 2, 1000) ||
            config_get_int(c, "cp.ode_steps", &o->ode_steps, 1, 1000) ||
            config_get_double(c, "cp.ctm_weight", &o->ctm_weight, 0, 1e6) ||
            config_get_double(c, "cp.dsm_weight", &o->dsm_weight, 0, 1e6) ||
            config_get_double(c, "cp.huber_delta", &o->huber_delta, -1, 1e6) ||
            config_get_long(c, "cp.seed", &seed, 0, 1L << 62) || config_get_int(c, "cp.threads", &o->threads, 0, 1024) ||
            config_get_int(c, "cp.log_every", &o->log_every, 1, 1 << 30) ||
            config_get_int(c, "cp.checkpoint_every", &o->checkpoint_every, 1, 1 << 30) ||
            config_get_int(c, "cp.keep_checkpoints", &o->keep_checkpoints, 0, 1);
  if (err) return ODP_ERR;
  if (!strcmp(sched, "cosine")) o->schedule = lr_schedule_cosine(1.0, warmup, o->steps);
  else if (!strcmp(sched, "constant")) o->schedule = lr_schedule_constant(1.0);
  else return odp_fail("%s: field 'cp.lr_schedule': '%s' is not one of constant, cosine", config_origin(c), sched);
  if (o->ctm_weight <= 0 && o->dsm_weight <= 0)
    return odp_fail("%s: fields 'cp.ctm_weight' and 'cp.dsm_weight' are both 0: nothing to train", config_origin(c));
  o->seed = (uint64_t)seed;
  return ODP_OK;
}

static int options(void *self, const Config *cfg, RunBudget *b) {
  Cp *c = self;
  c->cfg = cfg;
  if (read_options(&c->opt, cfg)) return ODP_ERR;
  *b = (RunBudget){c->opt.steps, c->opt.threads, c->opt.log_every, c->opt.checkpoint_every, 1, "CP",
                   c->opt.keep_checkpoints};
  return ODP_OK;
}

// The teacher's config with model.time_inputs = 2: the student's.
static char *student_config(const char *teacher_json) {
  cJSON *root = cJSON_Parse(teacher_json), *model = root ? cJSON_GetObjectItemCaseSensitive(root, "model") : NULL;
  char *out = NULL;
  if (cJSON_IsObject(model)) {
    cJSON_DeleteItemFromObjectCaseSensitive(model, "time_inputs");
    cJSON_AddNumberToObject(model, "time_inputs", 2);
    out = cJSON_PrintUnformatted(root);
  }
  cJSON_Delete(root);
  if (!out) odp_fail("the teacher's config has no model section");
  return out;
}

// The student starts as the teacher: every tensor copied, the FiLM projections' new
// stop-time columns (after the first dsed, the time's) zero, as Consistency Policy's
// warm start does.
static int warm_start(Cp *c) {
  const ParamTable *st = &c->student.table, *tt = &c->td.teacher.table;
  const int dsed = c->student.unet.cfg.step_embed_dim;
  for (int i = 0; i < st->count; i++) {
    const ParamEntry *e = &st->entries[i], *f = param_table_find(tt, e->name);
    if (!f) return odp_fail("warm start: the teacher has no tensor %s", e->name);
    float *dst = c->student.params + e->offset;
    const float *src = c->td.teacher.params + f->offset;
    if (f->numel == e->numel) {
      memcpy(dst, src, (size_t)e->numel * sizeof(float));
      continue;
    }
    const size_t len = strlen(e->name), sfx = strlen("cond_encoder.1.weight");
    if (e->ndim != 2 || len < sfx || strcmp(e->name + len - sfx, "cond_encoder.1.weight") ||
        e->shape[1] != f->shape[1] + dsed || e->shape[0] != f->shape[0])
      return odp_fail("warm start: tensor %s differs from the teacher's beyond the stop time's columns", e->name);
    const int rows = e->shape[0], to = e->shape[1], from = f->shape[1];
    for (int r = 0; r < rows; r++) {  // [time | stop time (0) | global cond]
      memcpy(dst + (long)r * to, src + (long)r * from, (size_t)dsed * sizeof(float));
      memset(dst + (long)r * to + dsed, 0, (size_t)dsed * sizeof(float));
      memcpy(dst + (long)r * to + 2 * dsed, src + (long)r * from + dsed, (size_t)(from - dsed) * sizeof(float));
    }
  }
  return ODP_OK;
}

// An image student's encoder workspaces and conditioning buffers.
static int alloc_image(Cp *c) {
  const int B = c->B;
  const long gc = c->td.teacher.encoder.out_dim;
  c->rows = odp_malloc((size_t)B * c->td.teacher.shape.n_obs_steps * sizeof(int64_t), "batch frame rows");
  c->enc_teacher = obs_encoder_acts_create(&c->td.teacher.encoder, NULL, B);
  c->enc_student = obs_encoder_acts_create(&c->student.encoder, NULL, B);
  c->cond_buf = odp_malloc((size_t)4 * B * gc * sizeof(float), "image conditioning");
  if (!c->rows || !c->enc_teacher || !c->enc_student || !c->cond_buf) return ODP_ERR;
  c->cond_teacher = c->cond_buf, c->cond_student = c->cond_buf + B * gc;
  c->dcond = c->cond_buf + 2 * B * gc, c->dcond_sum = c->cond_buf + 3 * B * gc;
  return ODP_OK;
}

static int alloc_step(Cp *c) {
  const int B = c->B = c->opt.batch;
  const PolicyShape *sh = &c->td.teacher.shape;
  c->per = (long)sh->horizon * sh->action_dim;
  const long n = B * c->per;
  float **f[] = {&c->x0, &c->noise, &c->xt, &c->xu, &c->y, &c->f, &c->z, &c->pred, &c->pred0, &c->target, &c->grad, &c->dz};
  for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++)
    if (!(*f[i] = odp_malloc((unsigned long)n * sizeof(float), "CP step"))) return ODP_ERR;
  c->obs = odp_malloc((unsigned long)B * sh->n_obs_steps * sh->lowdim_dim * sizeof(float), "batch observations");
  c->times = odp_malloc((unsigned long)2 * B * sizeof(float), "CP times");
  c->t = odp_malloc((unsigned long)5 * B * sizeof(double), "CP times");
  c->inner = odp_malloc((unsigned long)2 * B * sizeof(CmMap), "CP maps");
  c->acts_in = unet_acts_create(&c->student.unet, B, sh->horizon);
  c->acts_out = unet_acts_create(&c->student.unet, B, sh->horizon);
  c->acts_teacher = unet_acts_create(&c->td.teacher.unet, B, sh->horizon);
  if (!c->obs || !c->times || !c->t || !c->inner || !c->acts_in || !c->acts_out || !c->acts_teacher) return ODP_ERR;
  c->s = c->t + B, c->u = c->t + 2 * B, c->smin = c->t + 3 * B, c->lambda = c->t + 4 * B, c->outer = c->inner + B;
  for (int b = 0; b < B; b++) c->smin[b] = c->td.teacher.diffusion.edm.set.sigma_min;
  c->n = param_table_trainable_end(&c->student.table);
  const long numel = c->student.table.numel;
  float **g[] = {&c->g, &c->g_outer, &c->m, &c->v};
  for (int i = 0; i < 4; i++)
    if (!(*g[i] = odp_calloc((unsigned long)(i < 2 ? numel : c->n), sizeof(float), "CP optimiser"))) return ODP_ERR;
  c->cond_teacher = c->cond_student = c->obs;
  return c->image ? alloc_image(c) : ODP_OK;
}

static int setup(void *self, const Config *cfg, int resume) {
  Cp *c = self;
  const char *origin = config_origin(cfg);
  if (dist_size() > 1)  // its steps are not sharded (dist/dist.h): each rank would repeat the whole batch
    return odp_fail("Consistency Policy distillation runs in one process, not under mpirun -np %d", dist_size());
  if (teacher_data_open(&c->td, c->opt.batch, origin, "cp.batch")) return ODP_ERR;
  if (strcmp(c->td.teacher.diffusion.ops->name, "edm"))
    return odp_fail("%s: a %s policy; Consistency Policy distills an EDM teacher (policy.diffusion edm)", c->td.path,
                    c->td.teacher.diffusion.ops->name);
  c->image = c->td.teacher.encoder.kind == OBS_ENCODER_IMAGE;
  char *json = student_config(c->td.teacher.config_json);
  if (!json || policy_init(&c->student, json, c->td.path)) return free(json), ODP_ERR;
  free(json);
  if (!resume && warm_start(c)) return ODP_ERR;
  policy_fetch_normalizers(&c->student, c->student.params);
  return alloc_step(c);
}

static int buffers(void *self, StateBuffer *b) {
  Cp *c = self;
  b[0] = (StateBuffer){"student", c->student.params, c->student.table.numel};
  b[1] = (StateBuffer){"adam_m", c->m, c->n};
  b[2] = (StateBuffer){"adam_v", c->v, c->n};
  return 3;
}

static int save_policy(void *self, const char *path, long step) {
  Cp *c = self;
  (void)step;
  char *json = config_to_json(c->cfg);
  if (!json) return ODP_ERR;
  const char *meta[] = {"teacher", c->td.path, "consistency", json, NULL};
  int err = policy_save(&c->student, c->student.params, path, meta);
  free(json);
  return err;
}

// Sigma of Karras bin i of `bins` (bin 0: sigma_max, bins-1: sigma_min; clamped to that
// range, so bin `bins` is sigma_min too, as the reference's timesteps_to_times clamps).
static double karras_bin(const EdmSettings *e, int bins, double i) {
  return fmin(fmax(edm_karras_sigma(e, i / (bins - 1)), e->sigma_min), e->sigma_max);
}

// The student's map on acts (the inner map's kept for its backward, the others').
static CmNet student_net(Cp *c, UnetActs *acts) {
  return (CmNet){&c->student.unet, c->student.params, acts, c->cond_student, c->B, c->per, c->z, c->f, c->dz, c->times};
}

static void student_map(Cp *c, UnetActs *a, float *out, const float *x, const double *t, const double *s,
                        CmMap *maps) {
  CmNet net = student_net(c, a);
  cm_net_forward(&net, &c->td.teacher.diffusion.edm.set, out, x, t, s, maps);
}

// The outer map's backward (dx set) passes the gradient to its input only: its parameters'
// and conditioning's are the stop-gradient target's. The inner map's (dx NULL) adds its
// conditioning's to an image student's dcond_sum.
static void student_map_backward(Cp *c, UnetActs *a, float *grads, const CmMap *maps, const float *dG, float *dx) {
  CmNet net = student_net(c, a);
  const int take_cond = c->image && !dx;
  cm_net_backward(&net, grads, maps, dG, dx, take_cond ? c->dcond : NULL);
  if (!take_cond) return;
  const long n = (long)c->B * c->td.teacher.encoder.out_dim;
  for (long i = 0; i < n; i++) c->dcond_sum[i] += c->dcond[i];
}

// The teacher's x0 at each chunk's sigma (EDM's D, unclipped: training reads the raw ODE).
static void teacher_denoise(Cp *c, float *D, const float *y, const double *sigma) {
  const EdmSettings *e = &c->td.teacher.diffusion.edm.set;
  for (int b = 0; b < c->B; b++) {
    const EdmScaling sc = edm_scaling(e, sigma[b]);
    c->times[b] = sc.noise;
    for (long i = b * c->per; i < (b + 1) * c->per; i++) c->z[i] = sc.in * y[i];
  }
  unet_forward(&c->td.teacher.unet, c->td.teacher.params, c->acts_teacher, D, c->z, c->times, c->cond_teacher);
  for (int b = 0; b < c->B; b++) {
    const EdmScaling sc = edm_scaling(e, sigma[b]);
    for (long i = b * c->per; i < (b + 1) * c->per; i++) D[i] = sc.skip * y[i] + sc.out * D[i];
  }
}

// x_u: one Heun step of the teacher's ODE from t to u per chunk (x_t itself where u = t).
static void teacher_heun(Cp *c) {
  float *D = c->f, *d1 = c->dz, *x1 = c->y;
  const long n = c->B * c->per;
  teacher_denoise(c, D, c->xt, c->t);
  for (int b = 0; b < c->B; b++) {
    const float h = (float)(c->u[b] - c->t[b]), inv = (float)(1 / c->t[b]);
    for (long i = b * c->per; i < (b + 1) * c->per; i++) {
      d1[i] = (c->xt[i] - D[i]) * inv;
      x1[i] = c->xt[i] + h * d1[i];
    }
  }
  teacher_denoise(c, D, x1, c->u);
  for (long i = 0; i < n; i++) c->xu[i] = c->xt[i];
  for (int b = 0; b < c->B; b++) {
    if (c->u[b] == c->t[b]) continue;
    const float h = (float)(c->u[b] - c->t[b]), inv = (float)(1 / c->u[b]);
    for (long i = b * c->per; i < (b + 1) * c->per; i++) c->xu[i] += 0.5f * h * (d1[i] + (x1[i] - D[i]) * inv);
  }
}

// Consistency Policy's pseudo-Huber on the squared error d^2 and its derivative in d.
static double huber(double d, double delta, double *grad) {
  const double d2 = d * d, r = sqrt(d2 * d2 + delta * delta);
  *grad = 2 * d * d2 / r;
  return r - delta;
}

// The CTM loss; its gradient (weighted ctm_weight) accumulated into c->g.
static double ctm(Cp *c, long step, double delta) {
  const EdmSettings *e = &c->td.teacher.diffusion.edm.set;
  const int B = c->B, bins = c->opt.bins;
  const long n = B * c->per;
  Rng r = rng_make(c->opt.seed, ODP_STREAM(step, CP_TIMES));
  for (int b = 0; b < B; b++) {  // t in [0, bins), s in [t, bins], u in [t, s] capped at t + ode_steps
    const int t = (int)(rng_u32(r, 3 * (uint64_t)b) % (uint32_t)bins);
    const int s = t + (int)(rng_u32(r, 3 * (uint64_t)b + 1) % (uint32_t)(bins + 1 - t));
    int u = t + (int)(rng_u32(r, 3 * (uint64_t)b + 2) % (uint32_t)(s - t + 1));
    if (u > t + c->opt.ode_steps) u = t + c->opt.ode_steps;
    c->t[b] = karras_bin(e, bins, t), c->s[b] = karras_bin(e, bins, s), c->u[b] = karras_bin(e, bins, u);
  }
  rng_fill_normal(rng_make(c->opt.seed, ODP_STREAM(step, CP_NOISE)), 0, c->noise, n);
  for (int b = 0; b < B; b++)
    for (long i = b * c->per; i < (b + 1) * c->per; i++) c->xt[i] = c->x0[i] + (float)c->t[b] * c->noise[i];
  teacher_heun(c);
  student_map(c, c->acts_out, c->target, c->xu, c->u, c->s, c->outer);  // the target, no gradient
  student_map(c, c->acts_out, c->target, c->target, c->s, c->smin, c->outer);
  student_map(c, c->acts_in, c->pred, c->xt, c->t, c->s, c->inner);
  student_map(c, c->acts_out, c->pred0, c->pred, c->s, c->smin, c->outer);
  double loss = 0, g;
  for (long i = 0; i < n; i++) {
    loss += huber((double)c->pred0[i] - c->target[i], delta, &g);
    c->grad[i] = (float)(c->opt.ctm_weight * g / (double)n);
  }
  memset(c->g_outer, 0, (size_t)c->n * sizeof(float));
  student_map_backward(c, c->acts_out, c->g_outer, c->outer, c->grad, c->grad);  // to pred
  student_map_backward(c, c->acts_in, c->g, c->inner, c->grad, NULL);
  return loss / (double)n;
}

// The denoising loss; its gradient (weighted dsm_weight) accumulated into c->g.
static double dsm(Cp *c, long step, double delta) {
  const EdmSettings *e = &c->td.teacher.diffusion.edm.set;
  const int B = c->B, half = (B + 1) / 2;
  const long n = B * c->per;
  Rng r = rng_make(c->opt.seed, ODP_STREAM(step, CP_DSM_SIGMA));
  for (int b = 0; b < B; b++) {  // the first ceil(B/2): the grid's first 70%; the rest log-normal
    c->t[b] = b < half ? karras_bin(e, 2, 0.7 * rng_uniform(r, (uint64_t)b))
                       : exp(e->p_mean + e->p_std * rng_normal(r, (uint64_t)b));
    const double sd = e->sigma_data;
    c->lambda[b] = (c->t[b] * c->t[b] + sd * sd) / (c->t[b] * sd * c->t[b] * sd);
  }
  rng_fill_normal(rng_make(c->opt.seed, ODP_STREAM(step, CP_DSM_NOISE)), 0, c->noise, n);
  for (int b = 0; b < B; b++)
    for (long i = b * c->per; i < (b + 1) * c->per; i++) c->xt[i] = c->x0[i] + (float)c->t[b] * c->noise[i];
  student_map(c, c->acts_in, c->pred, c->xt, c->t, c->smin, c->inner);
  double loss = 0, g;
  for (int b = 0; b < B; b++)
    for (long i = b * c->per; i < (b + 1) * c->per; i++) {
      loss += c->lambda[b] * huber((double)c->pred[i] - c->x0[i], delta, &g);
      c->grad[i] = (float)(c->opt.dsm_weight * c->lambda[b] * g / (double)n);
    }
  student_map_backward(c, c->acts_in, c->g, c->inner, c->grad, NULL);
  return loss / (double)n;
}

// An image batch's conditioning: the teacher's and the student's encoders on the same crops.
static void encode(Cp *c, long step) {
  const uint64_t crops = ODP_STREAM(step, CP_CROPS);
  const long gc = c->td.teacher.encoder.out_dim;
  teacher_data_encode(&c->td, &c->td.teacher, c->enc_teacher, c->td.teacher.params, c->obs, c->rows, c->B, 0,
                      c->opt.seed, crops, c->cond_buf);
  teacher_data_encode(&c->td, &c->student, c->enc_student, c->student.params, c->obs, c->rows, c->B, 0, c->opt.seed,
                      crops, c->cond_buf + c->B * gc);
  memset(c->dcond_sum, 0, (size_t)c->B * gc * sizeof(float));
}

static int cp_step(void *self, long step, RunStepOut *out) {
  Cp *c = self;
  if (teacher_data_batch(&c->td, c->B, c->opt.seed, step, c->obs, c->x0, c->image ? c->rows : NULL)) return ODP_ERR;
  if (c->image) encode(c, step);
  const double delta = c->opt.huber_delta >= 0 ? c->opt.huber_delta : sqrt((double)c->per) * 0.00054;
  memset(c->g, 0, (size_t)c->student.table.numel * sizeof(float));
  const double l_ctm = c->opt.ctm_weight > 0 ? ctm(c, step, delta) : 0;
  const double l_dsm = c->opt.dsm_weight > 0 ? dsm(c, step, delta) : 0;
  if (c->image) obs_encoder_backward(&c->student.encoder, c->student.params, c->g, c->enc_student, c->dcond_sum);
  adamw_update(c->student.params, c->m, c->v, c->g, c->n, &c->opt.adam,
               c->opt.adam.lr * lr_at(&c->opt.schedule, step), step + 1);
  c->sum_ctm += l_ctm, c->sum_dsm += l_dsm, c->count++;
  out->loss = l_ctm + l_dsm;
  snprintf(out->status, sizeof out->status, "ctm %.5f  dsm %.5f", l_ctm, l_dsm);
  return ODP_OK;
}

static int log_fields(void *self, long done, double elapsed, char *buf, int size) {
  Cp *c = self;
  (void)done;
  snprintf(buf, (size_t)size, "\"ctm\": %.6f, \"dsm\": %.6f, \"elapsed_s\": %.2f}", c->count ? c->sum_ctm / c->count : 0.0,
           c->count ? c->sum_dsm / c->count : 0.0, elapsed);
  c->sum_ctm = c->sum_dsm = 0, c->count = 0;
  return ODP_OK;
}

// A step: teacher Heun 2 forwards, target 2 forwards, the prediction's two maps forward
// and backward (3 each), the denoising loss forward and backward (3).
static double cp_passes(const CpOptions *o, long steps) { return 13.0 * (double)steps * o->batch; }

static void banner(void *self, long start, long stop, int threads) {
  Cp *c = self;
  fprintf(stderr, "distill: Consistency Policy from %s, %ld parameters, batch %d, %d bins, steps %ld..%ld, %d threads\n",
          c->td.path, c->n, c->opt.batch, c->opt.bins, start, stop, threads);
}

static void finished(void *self, long stop) {
  Cp *c = self;
  teacher_data_report_cost(&c->td, cp_passes(&c->opt, stop));
}

static void cp_free(void *self) {
  Cp *c = self;
  float *f[] = {c->x0, c->noise, c->xt, c->xu, c->y, c->f, c->z, c->pred, c->pred0, c->target, c->grad, c->dz,
                c->obs, c->times, c->g, c->m, c->v, c->g_outer};
  for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++) free(f[i]);
  free(c->t), free(c->inner), free(c->rows), free(c->cond_buf);
  obs_encoder_acts_free(c->enc_teacher), obs_encoder_acts_free(c->enc_student);
  unet_acts_free(c->acts_in), unet_acts_free(c->acts_out), unet_acts_free(c->acts_teacher);
  teacher_data_close(&c->td);
  policy_free(&c->student);
}

static const char *const *const cp_keys[] = {cp_config_keys, NULL};

static const RunTrainer cp_trainer = {
    .name = "cp",
    .config_file = "cp.json",
    .keys = cp_keys,
    .noun = "distillation",
    .unsaved = "distillation diverged, not saved: stopped",
    .read_options = options,
    .setup = setup,
    .buffers = buffers,
    .save_policy = save_policy,
    .step = cp_step,
    .log_fields = log_fields,
    .banner = banner,
    .finished = finished,
    .free = cp_free,
};

int distill_cp(const char *teacher_path, const char *config_path, int n_overrides, char **overrides, const char *rundir,
               int resume, long until) {
  Cp c;
  memset(&c, 0, sizeof c);
  snprintf(c.td.path, sizeof c.td.path, "%s", teacher_path);
  return run_drive(&cp_trainer, &c, config_path, n_overrides, overrides, rundir, resume, until);
}
