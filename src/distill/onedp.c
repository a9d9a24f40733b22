#include "distill/onedp.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/hw.h"
#include "core/progress.h"
#include "core/rng.h"
#include "model/denoise_loss.h"
#include "model/policy.h"
#include "optim/adamw.h"
#include "train/run_dir.h"
#include "train/run_state.h"

enum { DISTILL_Z = 0x40, DISTILL_K = 0x41, DISTILL_EPS = 0x42, DISTILL_SCORE = 0x43 };

typedef struct {
  int stochastic;  // OneDP-S (1) or OneDP-D (0)
  long steps;
  int batch, k_star, k_min, k_max, threads, log_every, checkpoint_every;
  AdamWConfig gen_adam, score_adam;
  uint64_t seed;
} DistillOptions;

typedef struct {
  Config *cfg;
  DistillOptions opt;
  Policy teacher, student;  // student.params: the generator (its normalizers are the teacher's)
  SeqDataset *ds;
  long n;                                  // U-Net parameters (optimised range)
  float *score, *g_gen, *g_score;          // psi and gradients
  float *m_gen, *v_gen, *m_score, *v_score;
  char teacher_path[1024], rundir[1024], path_state[1100], path_policy[1100], path_log[1100];
} Distill;

static int read_options(DistillOptions *o, const Config *c) {
  const char *variant;
  long seed;
  memset(o, 0, sizeof *o);
  int err = config_get_string(c, "distill.variant", &variant) || config_get_long(c, "distill.steps", &o->steps, 1, 1L << 40) ||
            config_get_int(c, "distill.batch", &o->batch, 1, 1 << 16) ||
            config_get_double(c, "distill.lr_generator", &o->gen_adam.lr, 0, 1) ||
            config_get_double(c, "distill.lr_score", &o->score_adam.lr, 0, 1) ||
            config_get_double(c, "distill.beta1", &o->gen_adam.beta1, 0, 0.999999) ||
            config_get_double(c, "distill.beta2", &o->gen_adam.beta2, 0, 0.999999) ||
            config_get_double(c, "distill.eps", &o->gen_adam.eps, 1e-30, 1) ||
            config_get_int(c, "distill.generator_timestep", &o->k_star, 0, DIFFUSION_MAX_TRAIN_STEPS - 1) ||
            config_get_int(c, "distill.k_min", &o->k_min, 0, DIFFUSION_MAX_TRAIN_STEPS - 1) ||
            config_get_int(c, "distill.k_max", &o->k_max, 0, DIFFUSION_MAX_TRAIN_STEPS - 1) ||
            config_get_long(c, "distill.seed", &seed, 0, 1L << 62) || config_get_int(c, "distill.threads", &o->threads, 0, 1024) ||
            config_get_int(c, "distill.log_every", &o->log_every, 1, 1 << 30) ||
            config_get_int(c, "distill.checkpoint_every", &o->checkpoint_every, 1, 1 << 30);
  if (err) return ODP_ERR;
  if (!strcmp(variant, "s")) o->stochastic = 1;
  else if (strcmp(variant, "d")) return odp_fail("%s: field 'distill.variant': '%s' is not s or d", config_origin(c), variant);
  if (o->k_min > o->k_max) return odp_fail("%s: distill.k_min %d > k_max %d", config_origin(c), o->k_min, o->k_max);
  o->seed = (uint64_t)seed;
  o->score_adam.beta1 = o->gen_adam.beta1, o->score_adam.beta2 = o->gen_adam.beta2, o->score_adam.eps = o->gen_adam.eps;
  return ODP_OK;
}

static int allocate(Distill *d) {
  d->n = d->teacher.unet.table.numel;
  float **bufs[7] = {&d->score, &d->g_gen, &d->g_score, &d->m_gen, &d->v_gen, &d->m_score, &d->v_score};
  for (int i = 0; i < 7; i++)
    if (!(*bufs[i] = odp_calloc((unsigned long)d->n, sizeof(float), "distillation buffers"))) return ODP_ERR;
  return ODP_OK;
}

static int state_buffers(Distill *d, StateBuffer *b) {
  b[0] = (StateBuffer){"generator", d->student.params, d->student.table.numel};
  b[1] = (StateBuffer){"score", d->score, d->n};
  b[2] = (StateBuffer){"adam_m_generator", d->m_gen, d->n};
  b[3] = (StateBuffer){"adam_v_generator", d->v_gen, d->n};
  b[4] = (StateBuffer){"adam_m_score", d->m_score, d->n};
  b[5] = (StateBuffer){"adam_v_score", d->v_score, d->n};
  return d->opt.stochastic ? 6 : 4;
}

static int save_checkpoint(Distill *d, long step) {
  StateBuffer b[6];
  char *json = config_to_json(d->cfg), k[16];
  int err = run_state_save(d->path_state, step, json, b, state_buffers(d, b));
  snprintf(k, sizeof k, "%d", d->opt.k_star);
  const char *meta[] = {"generator_timestep", k, "stochastic", d->opt.stochastic ? "1" : "0",
                        "teacher", d->teacher_path, "distill", json, NULL};
  if (!err) err = policy_save(&d->student, d->student.params, d->path_policy, meta);
  free(json);
  return err;
}

// Buffers of one step: B action chunks and the conditioning.
typedef struct {
  long B, per;
  float *obs, *act_unused, *cond, *z, *eps_gen, *A, *Ak, *eps, *eps_teacher, *eps_score, *grad, *work;
  int *k;
  float *kf, *kstar;
  UnetActs *gen_acts, *other_acts;
} Step;

static int step_alloc(Distill *d, Step *s) {
  const PolicyShape *sh = &d->teacher.shape;
  s->B = d->opt.batch, s->per = (long)sh->horizon * sh->action_dim;
  long n = s->B * s->per;
  float **f[] = {&s->z, &s->eps_gen, &s->A, &s->Ak, &s->eps, &s->eps_teacher, &s->eps_score, &s->grad};
  for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++)
    if (!(*f[i] = odp_malloc((unsigned long)n * sizeof(float), "distillation step"))) return ODP_ERR;
  s->work = odp_malloc((unsigned long)3 * n * sizeof(float), "distillation step");
  s->obs = odp_malloc((unsigned long)s->B * sh->n_obs_steps * sh->obs_dim * sizeof(float), "observations");
  s->act_unused = odp_malloc((unsigned long)n * sizeof(float), "actions");
  s->k = odp_malloc((unsigned long)s->B * sizeof(int), "k");
  s->kf = odp_malloc((unsigned long)s->B * sizeof(float), "k"), s->kstar = odp_malloc((unsigned long)s->B * sizeof(float), "k*");
  s->gen_acts = unet_acts_create(&d->teacher.unet, (int)s->B, sh->horizon);
  s->other_acts = unet_acts_create(&d->teacher.unet, (int)s->B, sh->horizon);
  if (!s->work || !s->obs || !s->act_unused || !s->k || !s->kf || !s->kstar || !s->gen_acts || !s->other_acts)
    return ODP_ERR;
  for (long b = 0; b < s->B; b++) s->kstar[b] = (float)d->opt.k_star;
  return ODP_OK;
}

static void step_free(Step *s) {
  float *f[] = {s->z, s->eps_gen, s->A, s->Ak, s->eps, s->eps_teacher, s->eps_score, s->grad, s->work, s->obs,
                s->act_unused, s->kf, s->kstar};
  for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++) free(f[i]);
  free(s->k);
  unet_acts_free(s->gen_acts), unet_acts_free(s->other_acts);
}

// Observations of a training batch (full batches only: the last short one is skipped).
static int load_observations(Distill *d, Step *s, long step) {
  long per_epoch = seqds_count(d->ds, SEQ_TRAIN) / s->B;
  if (per_epoch < 1) return odp_fail("distill: batch %ld exceeds the %ld training windows", s->B, seqds_count(d->ds, SEQ_TRAIN));
  long got = seqds_batch(d->ds, d->opt.seed, (uint64_t)(step / per_epoch), step % per_epoch, s->B, s->obs, s->act_unused);
  if (got != s->B) return odp_fail("distill: step %ld: short batch", step);
  normalizer_apply(&d->teacher.obs_norm, s->obs, s->obs, s->B * d->teacher.shape.n_obs_steps);
  s->cond = s->obs;
  return ODP_OK;
}

// A = G_theta(z, O): the generator's noise prediction at k* through the x0 formula.
static void generate(Distill *d, Step *s, long step) {
  long n = s->B * s->per;
  if (d->opt.stochastic) rng_fill_normal(rng_make(d->opt.seed, ODP_STREAM(step, DISTILL_Z)), 0, s->z, n);
  else memset(s->z, 0, (size_t)n * sizeof(float));
  unet_forward(&d->student.unet, d->student.params, s->gen_acts, s->eps_gen, s->z, s->kstar, s->cond);
  diffusion_pred_x0(s->A, s->z, s->eps_gen, n, d->teacher.schedule.alphas_cumprod[d->opt.k_star], 0);
}

static void diffuse(Distill *d, Step *s, long step) {
  Rng kr = rng_make(d->opt.seed, ODP_STREAM(step, DISTILL_K));
  int span = d->opt.k_max - d->opt.k_min + 1;
  for (long b = 0; b < s->B; b++) s->k[b] = d->opt.k_min + (int)(rng_u32(kr, (uint64_t)b) % (uint32_t)span), s->kf[b] = (float)s->k[b];
  rng_fill_normal(rng_make(d->opt.seed, ODP_STREAM(step, DISTILL_EPS)), 0, s->eps, s->B * s->per);
  diffusion_add_noise(s->Ak, s->A, s->eps, s->k, (int)s->B, s->per, &d->teacher.schedule);
}

// psi's ordinary denoising loss on the (stop-gradient) generator samples.
static double update_score(Distill *d, Step *s, long step) {
  memset(d->g_score, 0, (size_t)d->n * sizeof(float));
  double loss = denoise_loss_step(&d->teacher.unet, d->score, d->g_score, s->other_acts, &d->teacher.schedule, s->A,
                                  s->cond, d->opt.seed ^ DISTILL_SCORE, step, s->work);
  adamw_update(d->score, d->m_score, d->v_score, d->g_score, d->n, &d->opt.score_adam, d->opt.score_adam.lr, step + 1);
  return loss;
}

// dL/dA_k = sigma_k (eps_teacher - eps_gen) per sample; chained to the generator's output.
// Returns the mean squared score difference.
static double generator_gradient(Distill *d, Step *s) {
  const NoiseSchedule *sch = &d->teacher.schedule;
  const float abar_star = sch->alphas_cumprod[d->opt.k_star];
  const float d_eps_gen = -sqrtf(1.0f - abar_star) / sqrtf(abar_star);  // dA / d eps_theta
  const long n = s->B * s->per;
  double diff2 = 0;
  for (long b = 0; b < s->B; b++) {
    float abar = sch->alphas_cumprod[s->k[b]], sigma = sqrtf(1.0f - abar);
    float scale = sqrtf(abar) * sigma * d_eps_gen / (float)n;  // dA_k/dA = sqrt(abar_k); mean over elements
    for (long i = b * s->per; i < (b + 1) * s->per; i++) {
      float diff = s->eps_teacher[i] - s->eps_score[i];
      diff2 += (double)diff * diff;
      s->grad[i] = scale * diff;
    }
  }
  return diff2 / (double)n;
}

static int distill_step(Distill *d, Step *s, long step, double *score_loss, double *score_diff) {
  if (load_observations(d, s, step)) return ODP_ERR;
  generate(d, s, step);
  diffuse(d, s, step);
  *score_loss = d->opt.stochastic ? update_score(d, s, step) : NAN;
  unet_forward(&d->teacher.unet, d->teacher.params, s->other_acts, s->eps_teacher, s->Ak, s->kf, s->cond);
  if (d->opt.stochastic) unet_forward(&d->teacher.unet, d->score, s->other_acts, s->eps_score, s->Ak, s->kf, s->cond);
  else memcpy(s->eps_score, s->eps, (size_t)s->B * s->per * sizeof(float));
  *score_diff = generator_gradient(d, s);
  if (!isfinite(*score_diff) || (d->opt.stochastic && !isfinite(*score_loss)))
    return odp_fail("step %ld: non-finite distillation loss; stopping (the last checkpoint is intact)", step);
  memset(d->g_gen, 0, (size_t)d->n * sizeof(float));
  unet_backward(&d->student.unet, d->student.params, s->gen_acts, d->g_gen, s->grad, NULL, NULL);
  adamw_update(d->student.params, d->m_gen, d->v_gen, d->g_gen, d->n, &d->opt.gen_adam, d->opt.gen_adam.lr, step + 1);
  return ODP_OK;
}

static int distill_loop(Distill *d, long start, long stop) {
  Step s;
  memset(&s, 0, sizeof s);
  int err = step_alloc(d, &s);
  Progress pb;
  progress_start(&pb, d->opt.stochastic ? "OneDP-S" : "OneDP-D", "steps", stop);
  double t0 = now_seconds(), sum_loss = 0, sum_diff = 0;
  int count = 0;
  for (long step = start; step < stop && !err; step++) {
    double score_loss, diff;
    if ((err = distill_step(d, &s, step, &score_loss, &diff))) break;
    sum_loss += score_loss, sum_diff += diff, count++;
    long done = step + 1;
    char status[96];
    snprintf(status, sizeof status, "score diff %.4f  psi loss %.4f", diff, score_loss);
    progress_update(&pb, done, status);
    if (done % d->opt.log_every == 0 || done == stop) {
      char line[256];
      snprintf(line, sizeof line, "{\"step\": %ld, \"score_diff\": %.6f, \"score_loss\": %.6f, \"elapsed_s\": %.2f}", done,
               sum_diff / count, d->opt.stochastic ? sum_loss / count : 0.0, now_seconds() - t0);
      run_dir_log(d->path_log, line);
      sum_loss = sum_diff = 0, count = 0;
    }
    if (done % d->opt.checkpoint_every == 0 || done == stop) err = save_checkpoint(d, done);
  }
  progress_finish(&pb, err ? 0 : stop, err ? "stopped" : "done");
  step_free(&s);
  return err;
}

// Generator and score network start as copies of the teacher (one memcpy each).
static int setup(Distill *d, int resume, long *start) {
  if (policy_load(&d->teacher, d->teacher_path)) return ODP_ERR;
  if (d->teacher.generator_timestep >= 0)
    return odp_fail("%s: is already a one-step student; distill from a diffusion teacher", d->teacher_path);
  if (d->opt.k_max >= d->teacher.shape.num_train_timesteps || d->opt.k_star >= d->teacher.shape.num_train_timesteps)
    return odp_fail("distill: k_max %d / generator_timestep %d beyond the teacher's %d timesteps", d->opt.k_max,
                    d->opt.k_star, d->teacher.shape.num_train_timesteps);
  if (policy_init(&d->student, d->teacher.config_json, d->teacher_path) || allocate(d)) return ODP_ERR;
  memcpy(d->student.params, d->teacher.params, (size_t)d->teacher.table.numel * sizeof(float));
  policy_fetch_normalizers(&d->student, d->student.params);
  memcpy(d->score, d->teacher.params, (size_t)d->n * sizeof(float));
  d->opt.gen_adam.weight_decay = d->opt.score_adam.weight_decay = 0;
  Config *tc = config_parse(d->teacher.config_json, d->teacher_path);
  if (!tc) return ODP_ERR;
  d->ds = run_open_task_dataset(tc, &d->teacher.shape);
  config_free(tc);
  if (!d->ds) return ODP_ERR;
  *start = 0;
  if (!resume) return save_checkpoint(d, 0);
  StateBuffer b[6];
  return run_state_peek(d->path_state, start, NULL) || run_state_load(d->path_state, b, state_buffers(d, b));
}

static Config *load_config(const char *config_path, int n_overrides, char **overrides, const char *state_path,
                           int resume) {
  if (resume) {
    if (n_overrides) return odp_fail("--resume continues the run's own config: no key=value overrides"), NULL;
    char *json;
    if (run_state_peek(state_path, NULL, &json)) return NULL;
    Config *c = config_parse(json, state_path);
    free(json);
    return c;
  }
  Config *c = config_load(config_path);
  if (c && config_apply_overrides(c, n_overrides, overrides)) config_free(c), c = NULL;
  return c;
}

int distill_onedp(const char *teacher_path, const char *config_path, int n_overrides, char **overrides,
                  const char *rundir, int resume, long until) {
  Distill d;
  memset(&d, 0, sizeof d);
  if (run_dir_make(rundir)) return ODP_ERR;
  snprintf(d.teacher_path, sizeof d.teacher_path, "%s", teacher_path);
  snprintf(d.path_state, sizeof d.path_state, "%s/train_state.safetensors", rundir);
  snprintf(d.path_policy, sizeof d.path_policy, "%s/policy.safetensors", rundir);
  snprintf(d.path_log, sizeof d.path_log, "%s/log.jsonl", rundir);
  d.cfg = load_config(config_path, n_overrides, overrides, d.path_state, resume);
  if (!d.cfg || read_options(&d.opt, d.cfg)) return config_free(d.cfg), ODP_ERR;
  int threads = d.opt.threads ? d.opt.threads : omp_get_num_procs();
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
  char *json = config_to_json(d.cfg);
  long start = 0;
  int err = run_dir_write_text(rundir, "distill.json", json) || setup(&d, resume, &start);
  free(json);
  if (!err) {
    long stop = until > 0 && until < d.opt.steps ? until : d.opt.steps;
    fprintf(stderr, "distill: OneDP-%s from %s, %ld parameters, batch %d, k* %d, k in [%d, %d], steps %ld..%ld\n",
            d.opt.stochastic ? "S" : "D", teacher_path, d.n, d.opt.batch, d.opt.k_star, d.opt.k_min, d.opt.k_max, start,
            stop);
    err = start >= stop ? ODP_OK : distill_loop(&d, start, stop);
  }
  seqds_close(d.ds);
  policy_free(&d.teacher), policy_free(&d.student);
  float *f[] = {d.score, d.g_gen, d.g_score, d.m_gen, d.v_gen, d.m_score, d.v_score};
  for (int i = 0; i < 7; i++) free(f[i]);
  config_free(d.cfg);
  return err;
}
