#include "distill/onedp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "model/policy.h"
#include "distill/onedp_core.h"
#include "distill/teacher_data.h"
#include "dist/dist.h"
#include "optim/ema.h"
#include "optim/lr_schedule.h"
#include "train/run_dir.h"
#include "train/run_driver.h"

// Every key a distillation config holds (read by read_options).
const char *const distill_config_keys[] = {
    "distill.variant", "distill.steps", "distill.batch", "distill.lr_generator", "distill.lr_score",
    "distill.lr_schedule", "distill.beta1", "distill.beta2", "distill.eps", "distill.generator_timestep",
    "distill.k_min", "distill.k_max", "distill.score_warmup", "distill.score_updates", "distill.teacher_clip",
    "distill.seed", "distill.threads", "distill.log_every", "distill.checkpoint_every", "distill.keep_checkpoints",
    "distill.kl_weight", "distill.regression_weight", "distill.regression_pairs", "distill.regression_sampler",
    "distill.init_generator", "distill.disc_weight", "distill.gan_weight", "distill.disc_hidden", "distill.lr_disc",
    "distill.disc_k_max", "distill.ema_decay", NULL};

typedef struct {
  OnedpOptions core;
  LrSchedule schedule;  // factor on both learning rates (base 1)
  long steps;
  int batch, threads, log_every, checkpoint_every;
  int keep_checkpoints;  // every checkpoint's student also as policy_step<N>.safetensors
  long pairs;            // DMD regression pairs (with core.regression_weight > 0)
  SamplerSpec pair_sampler;  // the teacher's deterministic sampler that makes their targets
  const char *init_generator;  // a student of this teacher to start the generator from ("": the teacher)
  double ema_decay;  // the student shipped: an EMA of the generator with Diffusion Policy's warm-up
                     // (optim/ema.h) capped at this decay; 0: the generator itself
} DistillOptions;

// The regression pairs, made once at setup (deterministic, so a resume remakes the same):
// n_batches batches of the distillation batch size, walked in turn. A pair's observation is
// kept as its normalised low-dim history (a low-dim generator's conditioning) and, for image
// students, its frames' rows: the generator's encoder sees their crops afresh at each step.
typedef struct {
  long n_batches;
  long chunk_floats, lowdim_floats, rows_count;  // one batch's share of z / target, lowdim, rows
  float *z, *lowdim, *target;  // (n_batches·B, T, Da), (n_batches·B, To, Dl), (n_batches·B, T, Da)
  int64_t *rows;               // (n_batches·B, To) image students
} RegressionPairs;

// distill.regression_pairs rounded up to whole batches.
static long pair_batches(const DistillOptions *o) { return (o->pairs + o->batch - 1) / o->batch; }

typedef struct {
  const Config *cfg;
  DistillOptions opt;
  TeacherData td;  // the frozen teacher and its demonstrations
  Policy student;  // student.params: the generator (its normalizers are the teacher's)
  OnedpModels models;
  OnedpStep step;
  float *score;
  float *obs, *actions;  // one batch: normalised low-dim history (B, To, Dl) and actions
  // This process's rows of every batch, [first, first + mine): all of them in a single
  // process, a share under mpirun (dist/dist.h; OnedpStep holds the same share).
  long first;
  int mine;
  // Image students: the teacher's camera encoder (frozen; psi shares its conditioning) and
  // the student's, the generator's own, trained with it at its learning rate and Adam settings.
  int image;
  int64_t *rows;  // (B, To) the batch's frame rows
  ObsEncoderActs *enc_teacher, *enc_gen, *enc_pairs;
  float *cond_teacher, *cond_gen, *dcond_gen, *pair_cond, *dpair_cond;  // (B, Gc) each
  long enc_offset, enc_n;        // the student encoder's span in its buffers
  float *g_enc, *m_enc, *v_enc;  // its gradient (student table sized) and Adam moments (enc_n)
  RegressionPairs pairs;
  float *ema;  // distill.ema_decay > 0: the EMA of the student's parameters (its whole table)
  double sum_loss, sum_diff, sum_reg, sum_disc, sum_acc, sum_gan;  // since the last log line
  int count, diff_count, reg_count, disc_count, gan_count;
} Distill;

// Distillation step: generator forward+backward, teacher forward and (OneDP-S) score
// forward plus score_updates forward+backward (distill/teacher_data.h counts passes).
// The regression adds a generator forward+backward per sample, and its pairs one teacher
// forward per sampler step each; kl_weight 0 drops the reverse-KL's passes. The
// discriminator's passes through psi's features (real and fake per update, the generator's
// adversarial loss once) are counted as whole passes: an upper bound.
static double distill_passes(const DistillOptions *o, long steps) {
  int updates = o->core.score_updates > 0 ? o->core.score_updates : 1;
  double per_sample = 0, pairs = 0;
  if (o->core.kl_weight > 0) per_sample += o->core.stochastic ? 3 + 1 + 1 + 3.0 * updates : 3 + 1;
  if (o->core.kl_weight > 0 && o->core.disc_weight > 0)
    per_sample += 6.0 * updates + (o->core.gan_weight > 0 ? 3 : 0);
  if (o->core.regression_weight > 0)  // pairs are made in whole batches
    per_sample += 3, pairs = (double)(pair_batches(o) * o->batch) * o->pair_sampler.steps;
  return per_sample * (double)steps * (double)o->batch + pairs;
}

static void report_cost(const Distill *d, long stop) { teacher_data_report_cost(&d->td, distill_passes(&d->opt, stop)); }

static int read_options(DistillOptions *d, const Config *c) {
  const char *variant;
  long seed;
  memset(d, 0, sizeof *d);
  OnedpOptions *o = &d->core;
  int err = config_get_string(c, "distill.variant", &variant) || config_get_long(c, "distill.steps", &d->steps, 1, 1L << 40) ||
            config_get_int(c, "distill.batch", &d->batch, 1, 1 << 16) ||
            config_get_double(c, "distill.lr_generator", &o->gen_adam.lr, 0, 1) ||
            config_get_double(c, "distill.lr_score", &o->score_adam.lr, 0, 1) ||
            config_get_double(c, "distill.beta1", &o->gen_adam.beta1, 0, 0.999999) ||
            config_get_double(c, "distill.beta2", &o->gen_adam.beta2, 0, 0.999999) ||
            config_get_double(c, "distill.eps", &o->gen_adam.eps, 1e-30, 1) ||
            config_get_int(c, "distill.generator_timestep", &o->k_star, 0, DIFFUSION_MAX_TRAIN_STEPS - 1) ||
            config_get_int(c, "distill.k_min", &o->k_min, 0, DIFFUSION_MAX_TRAIN_STEPS - 1) ||
            config_get_int(c, "distill.k_max", &o->k_max, 0, DIFFUSION_MAX_TRAIN_STEPS - 1) ||
            (config_has(c, "distill.score_warmup") &&  // optional: runs started before it existed lack it
             config_get_long(c, "distill.score_warmup", &o->score_warmup, 0, 1L << 40)) ||
            (config_has(c, "distill.teacher_clip") &&
             config_get_int(c, "distill.teacher_clip", &o->teacher_clip, 0, 1)) ||
            (config_has(c, "distill.score_updates") &&
             config_get_int(c, "distill.score_updates", &o->score_updates, 1, 1000)) ||
            config_get_long(c, "distill.seed", &seed, 0, 1L << 62) || config_get_int(c, "distill.threads", &d->threads, 0, 1024) ||
            config_get_int(c, "distill.log_every", &d->log_every, 1, 1 << 30) ||
            config_get_int(c, "distill.checkpoint_every", &d->checkpoint_every, 1, 1 << 30) ||
            (config_has(c, "distill.keep_checkpoints") &&  // optional, off by default
             config_get_int(c, "distill.keep_checkpoints", &d->keep_checkpoints, 0, 1));
  if (err) return ODP_ERR;
  // Optional, as below: the paper's objective alone by default.
  o->kl_weight = 1, d->pairs = 8192, o->disc_hidden = 256, o->lr_disc = 1e-4, o->disc_k_max = -1;
  const char *pair_sampler = "ddim:10";
  d->init_generator = "";
  err = (config_has(c, "distill.init_generator") && config_get_string(c, "distill.init_generator", &d->init_generator)) ||
        (config_has(c, "distill.kl_weight") && config_get_double(c, "distill.kl_weight", &o->kl_weight, 0, 1e6)) ||
        (config_has(c, "distill.regression_weight") &&
         config_get_double(c, "distill.regression_weight", &o->regression_weight, 0, 1e6)) ||
        (config_has(c, "distill.regression_pairs") &&
         config_get_long(c, "distill.regression_pairs", &d->pairs, 1, 1L << 24)) ||
        (config_has(c, "distill.regression_sampler") &&
         config_get_string(c, "distill.regression_sampler", &pair_sampler)) ||
        (config_has(c, "distill.disc_weight") && config_get_double(c, "distill.disc_weight", &o->disc_weight, 0, 1e6)) ||
        (config_has(c, "distill.gan_weight") && config_get_double(c, "distill.gan_weight", &o->gan_weight, 0, 1e6)) ||
        (config_has(c, "distill.disc_hidden") &&
         config_get_int(c, "distill.disc_hidden", &o->disc_hidden, 1, 1 << 16)) ||
        (config_has(c, "distill.lr_disc") && config_get_double(c, "distill.lr_disc", &o->lr_disc, 0, 1)) ||
        (config_has(c, "distill.disc_k_max") &&
         config_get_int(c, "distill.disc_k_max", &o->disc_k_max, -1, DIFFUSION_MAX_TRAIN_STEPS - 1)) ||
        (config_has(c, "distill.ema_decay") && config_get_double(c, "distill.ema_decay", &d->ema_decay, 0, 0.99999));
  if (err) return ODP_ERR;
  if (o->gan_weight > 0 && o->disc_weight <= 0)
    return odp_fail("%s: field 'distill.gan_weight': the adversarial loss needs a trained discriminator "
                    "(distill.disc_weight > 0)", config_origin(c));
  if (o->kl_weight <= 0 && o->regression_weight <= 0)
    return odp_fail("%s: fields 'distill.kl_weight' and 'distill.regression_weight' are both 0: nothing to train",
                    config_origin(c));
  if (sampler_parse(&d->pair_sampler, pair_sampler))
    return odp_fail_context("%s: field 'distill.regression_sampler'", config_origin(c));
  if (d->pair_sampler.kind != SAMPLER_DDIM && d->pair_sampler.kind != SAMPLER_EDM_HEUN &&
      d->pair_sampler.kind != SAMPLER_EDM_EULER)
    return odp_fail("%s: field 'distill.regression_sampler': '%s' is not deterministic; the pairs need ddim:N, edm:N "
                    "or euler:N",
                    config_origin(c), pair_sampler);
  const char *sched = "constant";  // optional: runs started before it existed lack it
  if (config_has(c, "distill.lr_schedule") && config_get_string(c, "distill.lr_schedule", &sched)) return ODP_ERR;
  if (!strcmp(sched, "cosine")) d->schedule = lr_schedule_cosine(1.0, 0, d->steps);
  else if (!strcmp(sched, "constant")) d->schedule = lr_schedule_constant(1.0);
  else return odp_fail("%s: field 'distill.lr_schedule': '%s' is not one of constant, cosine", config_origin(c), sched);
  if (!strcmp(variant, "s")) o->stochastic = 1;
  else if (strcmp(variant, "d")) return odp_fail("%s: field 'distill.variant': '%s' is not s or d", config_origin(c), variant);
  if (!o->stochastic && o->disc_weight > 0)
    return odp_fail("%s: field 'distill.disc_weight': the discriminator lives on OneDP-S's score network; "
                    "variant d has none", config_origin(c));
  if (o->k_min > o->k_max)
    return odp_fail("%s: field 'distill.k_min': %d exceeds distill.k_max %d", config_origin(c), o->k_min, o->k_max);
  if (o->disc_k_max < 0) o->disc_k_max = o->k_max;  // -1: the KL's range
  if (o->disc_k_max < o->k_min || o->disc_k_max > o->k_max)
    return odp_fail("%s: field 'distill.disc_k_max': %d is outside [distill.k_min, distill.k_max] = [%d, %d]",
                    config_origin(c), o->disc_k_max, o->k_min, o->k_max);
  o->seed = (uint64_t)seed;
  o->score_adam.beta1 = o->gen_adam.beta1, o->score_adam.beta2 = o->gen_adam.beta2, o->score_adam.eps = o->gen_adam.eps;
  return ODP_OK;
}

static int buffers(void *self, StateBuffer *b) {
  Distill *d = self;
  OnedpModels *m = &d->models;
  b[0] = (StateBuffer){"generator", d->student.params, d->student.table.numel};
  b[1] = (StateBuffer){"adam_m_generator", m->m_gen, m->n};
  b[2] = (StateBuffer){"adam_v_generator", m->v_gen, m->n};
  b[3] = (StateBuffer){"score", d->score, m->n};
  b[4] = (StateBuffer){"adam_m_score", m->m_score, m->n};
  b[5] = (StateBuffer){"adam_v_score", m->v_score, m->n};
  b[6] = (StateBuffer){"discriminator", m->disc_params, m->disc.numel};
  b[7] = (StateBuffer){"adam_m_discriminator", m->m_disc, m->disc.numel};
  b[8] = (StateBuffer){"adam_v_discriminator", m->v_disc, m->disc.numel};
  int k = !d->opt.core.stochastic ? 3 : d->opt.core.disc_weight > 0 ? 9 : 6;
  if (d->image) {
    b[k++] = (StateBuffer){"adam_m_encoder", d->m_enc, d->enc_n};
    b[k++] = (StateBuffer){"adam_v_encoder", d->v_enc, d->enc_n};
  }
  if (d->ema) b[k++] = (StateBuffer){"ema_generator", d->ema, d->student.table.numel};
  return k;
}

static int save_policy(void *self, const char *path, long step) {
  Distill *d = self;
  (void)step;  // the student records its generator timestep, not a step
  char *json = config_to_json(d->cfg), k[16];
  if (!json) return ODP_ERR;
  snprintf(k, sizeof k, "%d", d->opt.core.k_star);
  const char *meta[] = {"generator_timestep", k, "stochastic", d->opt.core.stochastic ? "1" : "0",
                        "teacher", d->td.path, "distill", json, NULL};
  int err = policy_save(&d->student, d->ema ? d->ema : d->student.params, path, meta);
  free(json);
  return err;
}

static int options(void *self, const Config *cfg, RunBudget *b) {
  Distill *d = self;
  d->cfg = cfg;
  if (read_options(&d->opt, cfg)) return ODP_ERR;
  d->opt.core.gen_adam.weight_decay = d->opt.core.score_adam.weight_decay = 0;
  *b = (RunBudget){d->opt.steps, d->opt.threads, d->opt.log_every, d->opt.checkpoint_every, 1,
                   d->opt.core.stochastic ? "OneDP-S" : "OneDP-D", d->opt.keep_checkpoints};
  return ODP_OK;
}

// Batch `index` of the shuffle keyed by `seed` (distill/teacher_data.h).
static int load_batch(Distill *d, uint64_t seed, long index, float *lowdim, float *actions, int64_t *rows) {
  return teacher_data_batch(&d->td, d->opt.batch, seed, index, lowdim, actions, d->image ? rows : NULL);
}

// An image student's conditioning from one of its encoders (the teacher's or the student's,
// params): this process's rows of a batch (lowdim and rows at its first row), their
// frames cropped from Philox stream `crops`, with their low-dim history.
static void encode(Distill *d, const Policy *p, ObsEncoderActs *a, const float *params, const float *lowdim,
                   const int64_t *rows, uint64_t crops, float *cond) {
  teacher_data_encode(&d->td, p, a, params, lowdim, rows, d->mine, d->first, d->opt.core.seed, crops, cond);
}

// This process's rows of the batch in d->obs / d->actions / d->rows.
static float *my_obs(const Distill *d) {
  const PolicyShape *sh = &d->td.teacher.shape;
  return d->obs + d->first * sh->n_obs_steps * sh->lowdim_dim;
}
static float *my_actions(const Distill *d) {
  return d->actions + d->first * d->td.teacher.shape.horizon * d->td.teacher.shape.action_dim;
}
static int64_t *my_rows(const Distill *d) {
  return d->rows ? d->rows + d->first * d->td.teacher.shape.n_obs_steps : NULL;
}

// Separate shuffles for the training batches and the regression pairs' observations, and
// the Philox purposes of their frames' crops.
enum { PAIR_SHUFFLE = 0x5041, PAIR_NOISE = 0x4e5a, BATCH_CROPS = 0x48, PAIR_CROPS = 0x49 };

// The regression pairs: n_batches batches of training observations, each with noise z and
// the teacher's sample from it (this process's rows of each). Shows progress: at ddim:10
// this is a few teacher epochs' forwards.
static int make_pairs(Distill *d) {
  RegressionPairs *p = &d->pairs;
  const PolicyShape *sh = &d->td.teacher.shape;
  const long B = d->mine, count = pair_batches(&d->opt) * d->opt.batch;
  p->n_batches = pair_batches(&d->opt);
  p->chunk_floats = B * d->step.per, p->lowdim_floats = B * sh->n_obs_steps * sh->lowdim_dim;
  p->rows_count = d->image ? B * sh->n_obs_steps : 0;
  p->z = odp_malloc((size_t)(p->n_batches * p->chunk_floats) * sizeof(float), "regression pairs");
  p->target = odp_malloc((size_t)(p->n_batches * p->chunk_floats) * sizeof(float), "regression pairs");
  p->lowdim = odp_malloc((size_t)(p->n_batches * p->lowdim_floats) * sizeof(float), "regression pairs");
  p->rows = odp_malloc((size_t)(p->n_batches * p->rows_count + 1) * sizeof(int64_t), "regression pairs");
  if (!p->z || !p->target || !p->lowdim || !p->rows) return ODP_ERR;
  char name[64];
  const int root = dist_is_root();  // rank 0 alone shows progress
  if (root)
    fprintf(stderr, "distill: %ld regression pairs from the teacher's %s\n", count,
            sampler_name(&d->opt.pair_sampler, name, sizeof name));
  for (long j = 0; j < p->n_batches; j++) {
    float *lowdim = p->lowdim + j * p->lowdim_floats, *cond = lowdim;
    int64_t *rows = p->rows + j * p->rows_count;
    if (load_batch(d, d->opt.core.seed ^ PAIR_SHUFFLE, j, d->obs, d->actions, d->rows)) return ODP_ERR;
    memcpy(lowdim, my_obs(d), (size_t)p->lowdim_floats * sizeof(float));
    if (d->image) memcpy(rows, my_rows(d), (size_t)p->rows_count * sizeof(int64_t));
    if (d->image)
      encode(d, &d->td.teacher, d->enc_teacher, d->td.teacher.params, lowdim, rows, ODP_STREAM(j, PAIR_CROPS),
             cond = d->cond_teacher);
    if (onedp_pair_targets(&d->models, &d->step, &d->opt.pair_sampler, cond,
                           policy_call_seed(d->opt.core.seed ^ PAIR_NOISE, j), p->z + j * p->chunk_floats,
                           p->target + j * p->chunk_floats))
      return ODP_ERR;
    if (root && ((j + 1) % 8 == 0 || j + 1 == p->n_batches))
      fprintf(stderr, "\rdistill: pairs %ld/%ld", (j + 1) * d->opt.batch, count);
  }
  if (root) fprintf(stderr, "\n");
  return ODP_OK;
}

// An image student's encoder update, after the step updated the generator: its gradient
// from the conditioning gradients of the objectives the step computed, at the generator's
// learning rate and Adam settings (the ranks' shares summed first).
static int update_encoder(Distill *d, const OnedpStepStats *st, long step, double lr_factor) {
  memset(d->g_enc + d->enc_offset, 0, (size_t)d->enc_n * sizeof(float));
  const ObsEncoder *e = &d->student.encoder;
  if (!isnan(st->score_diff)) obs_encoder_backward(e, d->student.params, d->g_enc, d->enc_gen, d->dcond_gen);
  if (!isnan(st->regression)) obs_encoder_backward(e, d->student.params, d->g_enc, d->enc_pairs, d->dpair_cond);
  if (dist_sum_floats(d->g_enc + d->enc_offset, d->enc_n)) return ODP_ERR;
  const AdamWConfig *a = &d->opt.core.gen_adam;
  adamw_update(d->student.params + d->enc_offset, d->m_enc, d->v_enc, d->g_enc + d->enc_offset, d->enc_n, a,
               a->lr * lr_factor, step + 1);
  return ODP_OK;
}

// The EMA after a generator update (`updates` made before it): trained tensors averaged,
// the frozen ones (the normalizers) copied, as Diffusion Policy's EMAModel does.
static void update_ema(Distill *d, long updates) {
  EmaConfig ec = ema_config_dp();
  ec.max_value = d->opt.ema_decay;
  const double decay = ema_decay(&ec, updates);
  for (int i = 0; i < d->student.table.count; i++) {
    const ParamEntry *e = &d->student.table.entries[i];
    if (e->frozen) memcpy(d->ema + e->offset, d->student.params + e->offset, (size_t)e->numel * sizeof(float));
    else ema_update(d->ema + e->offset, d->student.params + e->offset, e->numel, decay);
  }
}

static int distill_step(void *self, long step, RunStepOut *out) {
  Distill *d = self;
  OnedpStepStats st;
  const RegressionPairs *p = &d->pairs;
  OnedpPairs batch, *pairs = NULL;
  if (load_batch(d, d->opt.core.seed, step, d->obs, d->actions, d->rows)) return ODP_ERR;
  float *obs = my_obs(d);
  OnedpCond cond = {obs, obs, NULL};  // low-dim: the normalised history is everyone's conditioning
  if (d->image) {
    encode(d, &d->td.teacher, d->enc_teacher, d->td.teacher.params, obs, my_rows(d), ODP_STREAM(step, BATCH_CROPS),
           d->cond_teacher);
    encode(d, &d->student, d->enc_gen, d->student.params, obs, my_rows(d), ODP_STREAM(step, BATCH_CROPS),
           d->cond_gen);
    cond = (OnedpCond){d->cond_teacher, d->cond_gen, d->dcond_gen};
  }
  if (p->n_batches) {
    const long j = step % p->n_batches;
    batch = (OnedpPairs){p->z + j * p->chunk_floats, p->lowdim + j * p->lowdim_floats, p->target + j * p->chunk_floats,
                         NULL};
    if (d->image) {
      encode(d, &d->student, d->enc_pairs, d->student.params, batch.cond, p->rows + j * p->rows_count,
             ODP_STREAM(j, PAIR_CROPS), d->pair_cond);
      batch.cond = d->pair_cond, batch.dcond = d->dpair_cond;
    }
    pairs = &batch;
  }
  const double lr_factor = lr_at(&d->opt.schedule, step);
  if (onedp_step(&d->models, &d->step, &cond, my_actions(d), pairs, step, lr_factor, &st) ||
      (d->image && st.generator_updated && update_encoder(d, &st, step, lr_factor)))
    return ODP_ERR;
  if (d->ema && st.generator_updated) update_ema(d, step - d->opt.core.score_warmup);
  if (!isnan(st.score_loss)) d->sum_loss += st.score_loss, d->count++;
  if (!isnan(st.score_diff)) d->sum_diff += st.score_diff, d->diff_count++;
  if (!isnan(st.regression)) d->sum_reg += st.regression, d->reg_count++;
  if (!isnan(st.disc_loss)) d->sum_disc += st.disc_loss, d->sum_acc += st.disc_accuracy, d->disc_count++;
  if (!isnan(st.gan)) d->sum_gan += st.gan, d->gan_count++;
  out->loss = 0;  // not guarded per step: a checkpoint refuses non-finite weights
  int at = snprintf(out->status, sizeof out->status, "score diff %.4f  psi loss %.4f", st.score_diff, st.score_loss);
  if (pairs && at < (int)sizeof out->status)
    at += snprintf(out->status + at, sizeof out->status - (size_t)at, "  regression %.4f", st.regression);
  if (!isnan(st.disc_loss) && at < (int)sizeof out->status)
    snprintf(out->status + at, sizeof out->status - (size_t)at, "  disc acc %.2f", st.disc_accuracy);
  return ODP_OK;
}

static int log_fields(void *self, long done, double elapsed, char *buf, int size) {
  Distill *d = self;
  (void)done;
  int at = snprintf(buf, (size_t)size, "\"score_diff\": %.6f, \"score_loss\": %.6f, ",
                    d->diff_count ? d->sum_diff / d->diff_count : 0.0, d->count ? d->sum_loss / d->count : 0.0);
  if (d->reg_count && at < size)
    at += snprintf(buf + at, (size_t)(size - at), "\"regression\": %.6f, ", d->sum_reg / d->reg_count);
  if (d->disc_count && at < size)
    at += snprintf(buf + at, (size_t)(size - at), "\"disc_loss\": %.6f, \"disc_accuracy\": %.4f, ",
                   d->sum_disc / d->disc_count, d->sum_acc / d->disc_count);
  if (d->gan_count && at < size)
    at += snprintf(buf + at, (size_t)(size - at), "\"gan\": %.6f, ", d->sum_gan / d->gan_count);
  if (at < size) snprintf(buf + at, (size_t)(size - at), "\"elapsed_s\": %.2f}", elapsed);
  d->sum_loss = d->sum_diff = d->sum_reg = d->sum_disc = d->sum_acc = d->sum_gan = 0;
  d->count = d->diff_count = d->reg_count = d->disc_count = d->gan_count = 0;
  return ODP_OK;
}

// The generator's start from another student (distill.init_generator): one of the same
// architecture and generator timestep, e.g. a regression-only student fine-tuned with the KL.
static int load_init_generator(Distill *d) {
  Policy init;
  const char *path = d->opt.init_generator;
  if (policy_load(&init, path)) return odp_fail_context("field 'distill.init_generator'");
  int err = ODP_OK;
  if (init.generator_timestep != d->opt.core.k_star || init.table.numel != d->student.table.numel)
    err = odp_fail("field 'distill.init_generator': %s is not a one-step student with %ld parameters at k* %d "
                   "(it has %ld parameters, generator timestep %d)", path, d->student.table.numel, d->opt.core.k_star,
                   init.table.numel, init.generator_timestep);
  else memcpy(d->student.params, init.params, (size_t)init.table.numel * sizeof(float));
  policy_free(&init);
  return err;
}

// An image student's encoder workspaces, conditioning buffers and optimiser state.
static int alloc_image(Distill *d) {
  const int B = d->mine;
  const long gc = d->td.teacher.encoder.out_dim, numel = d->student.table.numel;
  d->enc_offset = d->models.n, d->enc_n = param_table_trainable_end(&d->student.table) - d->models.n;
  d->rows = odp_malloc((size_t)d->opt.batch * d->td.teacher.shape.n_obs_steps * sizeof(int64_t), "batch frame rows");
  d->enc_teacher = obs_encoder_acts_create(&d->td.teacher.encoder, NULL, B);
  d->enc_gen = obs_encoder_acts_create(&d->student.encoder, NULL, B);
  if (d->opt.core.regression_weight > 0) d->enc_pairs = obs_encoder_acts_create(&d->student.encoder, NULL, B);
  float **cond[5] = {&d->cond_teacher, &d->cond_gen, &d->dcond_gen, &d->pair_cond, &d->dpair_cond};
  for (int i = 0; i < 5; i++)
    if (!(*cond[i] = odp_malloc((size_t)B * gc * sizeof(float), "image conditioning"))) return ODP_ERR;
  d->g_enc = odp_calloc((unsigned long)numel, sizeof(float), "encoder optimiser");
  d->m_enc = odp_calloc((unsigned long)d->enc_n, sizeof(float), "encoder optimiser");
  d->v_enc = odp_calloc((unsigned long)d->enc_n, sizeof(float), "encoder optimiser");
  return d->rows && d->enc_teacher && d->enc_gen && (d->enc_pairs || d->opt.core.regression_weight <= 0) &&
                 d->g_enc && d->m_enc && d->v_enc
             ? ODP_OK
             : ODP_ERR;
}

// The teacher and its dataset; generator and score network start as copies of the
// teacher (one memcpy each), the generator from distill.init_generator when set.
static int setup(void *self, const Config *cfg, int resume) {
  Distill *d = self;
  (void)resume;  // a resume overwrites the copies with its state
  const OnedpOptions *o = &d->opt.core;
  const char *origin = config_origin(cfg);
  if (teacher_data_open(&d->td, d->opt.batch, origin, "distill.batch")) return ODP_ERR;
  long end;
  dist_shard(d->opt.batch, &d->first, &end);
  if ((d->mine = (int)(end - d->first)) < 1)
    return odp_fail("%s: field 'distill.batch': %d rows for %d ranks (each needs one)", origin, d->opt.batch,
                    dist_size());
  int steps = d->td.teacher.shape.num_train_timesteps;
  if (o->k_star >= steps)
    return odp_fail("%s: field 'distill.generator_timestep': %d is beyond the %d timesteps of teacher %s", origin,
                    o->k_star, steps, d->td.path);
  if (o->k_max >= steps)
    return odp_fail("%s: field 'distill.k_max': %d is beyond the %d timesteps of teacher %s", origin, o->k_max, steps,
                    d->td.path);
  d->image = d->td.teacher.encoder.kind == OBS_ENCODER_IMAGE;
  if (policy_init(&d->student, d->td.teacher.config_json, d->td.path) ||
      onedp_models_alloc(&d->models, &d->td.teacher.unet, &d->td.teacher.diffusion, o, d->td.teacher.shape.horizon))
    return ODP_ERR;
  long n = d->models.n;
  if (!(d->score = odp_malloc((unsigned long)n * sizeof(float), "score network"))) return ODP_ERR;
  memcpy(d->student.params, d->td.teacher.params, (size_t)d->td.teacher.table.numel * sizeof(float));
  if (d->opt.init_generator[0] && load_init_generator(d)) return ODP_ERR;
  policy_fetch_normalizers(&d->student, d->student.params);
  if (d->opt.ema_decay > 0) {  // starts as the generator (the warm-up's first decays are 0)
    if (!(d->ema = odp_malloc((unsigned long)d->student.table.numel * sizeof(float), "generator EMA"))) return ODP_ERR;
    memcpy(d->ema, d->student.params, (size_t)d->student.table.numel * sizeof(float));
  }
  memcpy(d->score, d->td.teacher.params, (size_t)n * sizeof(float));
  d->models.teacher = d->td.teacher.params, d->models.generator = d->student.params, d->models.score = d->score;
  const PolicyShape *sh = &d->td.teacher.shape;
  d->obs = odp_malloc((size_t)d->opt.batch * sh->n_obs_steps * sh->lowdim_dim * sizeof(float), "batch observations");
  d->actions = odp_malloc((size_t)d->opt.batch * sh->horizon * sh->action_dim * sizeof(float), "batch actions");
  if (!d->obs || !d->actions || (d->image && alloc_image(d))) return ODP_ERR;
  if (onedp_step_alloc(&d->step, &d->models, d->mine, sh->horizon)) return ODP_ERR;
  d->step.share = (BatchShare){d->first, d->opt.batch};
  return o->regression_weight > 0 ? make_pairs(d) : ODP_OK;
}

static void banner(void *self, long start, long stop, int threads) {
  Distill *d = self;
  fprintf(stderr, "distill: OneDP-%s from %s, %ld parameters, batch %d, k* %d, k in [%d, %d], steps %ld..%ld, %d threads\n",
          d->opt.core.stochastic ? "S" : "D", d->td.path, d->models.n, d->opt.batch, d->opt.core.k_star,
          d->opt.core.k_min, d->opt.core.k_max, start, stop, threads);
}

static void finished(void *self, long stop) { report_cost(self, stop); }

static void distill_free(void *self) {
  Distill *d = self;
  onedp_step_free(&d->step);
  free(d->obs), free(d->actions), free(d->rows);
  obs_encoder_acts_free(d->enc_teacher), obs_encoder_acts_free(d->enc_gen), obs_encoder_acts_free(d->enc_pairs);
  free(d->cond_teacher), free(d->cond_gen), free(d->dcond_gen), free(d->pair_cond), free(d->dpair_cond);
  free(d->g_enc), free(d->m_enc), free(d->v_enc);
  teacher_data_close(&d->td);
  policy_free(&d->student);
  onedp_models_free(&d->models);
  free(d->score), free(d->ema);
  free(d->pairs.z), free(d->pairs.lowdim), free(d->pairs.target), free(d->pairs.rows);
}

static const char *const *const distill_keys[] = {distill_config_keys, NULL};

static const RunTrainer distill_trainer = {
    .name = "distill",
    .config_file = "distill.json",
    .keys = distill_keys,
    .noun = "distillation",
    .unsaved = "distillation diverged, not saved: stopped",
    .read_options = options,
    .setup = setup,
    .buffers = buffers,
    .save_policy = save_policy,
    .step = distill_step,
    .log_fields = log_fields,
    .banner = banner,
    .finished = finished,
    .free = distill_free,
};

int distill_onedp(const char *teacher_path, const char *config_path, int n_overrides, char **overrides,
                  const char *rundir, int resume, long until) {
  Distill d;
  memset(&d, 0, sizeof d);
  snprintf(d.td.path, sizeof d.td.path, "%s", teacher_path);
  return run_drive(&distill_trainer, &d, config_path, n_overrides, overrides, rundir, resume, until);
}
