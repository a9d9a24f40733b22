#include "train/teacher.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "data/sequence.h"
#include "dist/dist.h"
#include "model/denoise_loss.h"
#include "model/policy.h"
#include "model/unet_config.h"
#include "optim/ema.h"
#include "train/frames.h"
#include "train/run_dir.h"
#include "train/run_driver.h"
#include "train/train_options.h"

#define MAX_SPANS 16

// Activations for the full and the (shorter) last batch of an epoch.
typedef struct {
  UnetActs *acts[2];
  ObsEncoderActs *enc[2];
  float *obs, *action, *work;  // obs: (B, To, lowdim_dim) raw low-dim history
  float *cond, *dcond;         // (B, Gc) the U-Net's conditioning and its gradient
  int64_t *rows;               // (B, To) the frames' replay-buffer rows (image policies)
} Batches;

typedef struct {
  const Config *cfg;
  TrainOptions opt;
  Policy policy;
  SeqDataset *ds;
  long state_n;                         // optimiser state covers [0, state_n): the trainable part
  ParamSpan spans[MAX_SPANS];           // the policy's trainable runs (param_table_trainable)
  int n_spans;
  float *params, *grads, *m, *v, *ema;  // table.numel floats each (grads, m, v: state_n used)
  AdamW adam;
  Batches bt;
  long per_epoch;
  double loss_sum, lr;  // since the last log line; the last step's learning rate
  int loss_count;
  long last_step;       // 0-based index of the last step taken
} Teacher;

static const char *const *const teacher_keys[] = {run_task_keys, unet_config_keys, policy_config_keys,
                                                  obs_encoder_config_keys, train_option_keys, NULL};
enum { TEACHER_CROP = 0x40 };  // Philox stream ODP_STREAM(step, TEACHER_CROP) of the random crops

static int read_options(void *self, const Config *cfg, RunBudget *b) {
  Teacher *r = self;
  r->cfg = cfg;
  if (train_options_read(&r->opt, cfg)) return ODP_ERR;
  *b = (RunBudget){r->opt.steps, r->opt.threads, r->opt.log_every, r->opt.checkpoint_every, 0, "train",
                   r->opt.keep_checkpoints};
  return ODP_OK;
}

static int allocate(Teacher *r) {
  const ParamTable *t = &r->policy.table;
  if ((r->n_spans = param_table_trainable(t, r->spans, MAX_SPANS)) < 0) return ODP_ERR;
  r->state_n = param_table_trainable_end(t);
  float **bufs[5] = {&r->params, &r->grads, &r->m, &r->v, &r->ema};
  for (int i = 0; i < 5; i++)
    if (!(*bufs[i] = odp_calloc((unsigned long)t->numel, sizeof(float), "training buffers"))) return ODP_ERR;
  r->adam.cfg = r->opt.adam;
  const PolicyShape *s = &r->policy.shape;
  const long B = r->opt.batch;
  r->per_epoch = seqds_batches_per_epoch(r->ds, B);
  const long gc = r->policy.encoder.out_dim;
  r->bt.obs = odp_malloc((size_t)B * s->n_obs_steps * s->lowdim_dim * sizeof(float), "batch observations");
  r->bt.action = odp_malloc((size_t)B * s->horizon * s->action_dim * sizeof(float), "batch actions");
  r->bt.work = odp_malloc((size_t)3 * B * s->horizon * s->action_dim * sizeof(float), "loss scratch");
  r->bt.cond = odp_malloc((size_t)B * gc * sizeof(float), "batch conditioning");
  r->bt.dcond = odp_malloc((size_t)B * gc * sizeof(float), "batch conditioning");
  r->bt.rows = odp_malloc((size_t)B * s->n_obs_steps * sizeof(int64_t), "batch frame rows");
  return r->bt.obs && r->bt.action && r->bt.work && r->bt.cond && r->bt.dcond && r->bt.rows ? ODP_OK : ODP_ERR;
}

// Fresh runs: normalizers fitted on the data, U-Net initialised, EMA = parameters.
static int setup(void *self, const Config *cfg, int resume) {
  Teacher *r = self;
  char *json = config_to_json(cfg);
  int err = !json || policy_init(&r->policy, json, config_origin(cfg)) ||
            !(r->ds = run_open_task_dataset(cfg, &r->policy)) || allocate(r);
  free(json);
  if (err || resume) return err ? ODP_ERR : ODP_OK;
  if (seqds_fit_normalizers(r->ds, &r->policy.obs_norm, &r->policy.action_norm)) return ODP_ERR;
  unet_init_params(&r->policy.unet, r->params, r->opt.seed);
  obs_encoder_init_params(&r->policy.encoder, &r->policy.table, r->params, r->opt.seed);
  policy_store_normalizers(&r->policy, r->params);
  memcpy(r->ema, r->params, (size_t)r->policy.table.numel * sizeof(float));
  return ODP_OK;
}

static void resumed(void *self) {
  Teacher *r = self;
  policy_fetch_normalizers(&r->policy, r->params);
}

static int buffers(void *self, StateBuffer *b) {
  Teacher *r = self;
  b[0] = (StateBuffer){"params", r->params, r->policy.table.numel};
  b[1] = (StateBuffer){"ema", r->ema, r->policy.table.numel};
  b[2] = (StateBuffer){"adam_m", r->m, r->state_n};
  b[3] = (StateBuffer){"adam_v", r->v, r->state_n};
  return 4;
}

static int save_policy(void *self, const char *path, long step) {
  Teacher *r = self;
  char step_text[32];
  snprintf(step_text, sizeof step_text, "%ld", step);
  const char *meta[] = {"train_step", step_text, NULL};
  return policy_save(&r->policy, r->opt.ema ? r->ema : r->params, path, meta);
}

static UnetActs *acts_for(Teacher *r, Batches *bt, long B) {
  for (int i = 0; i < 2; i++)
    if (bt->acts[i] && bt->acts[i]->B == B) return bt->acts[i];
  int slot = bt->acts[0] ? 1 : 0;
  unet_acts_free(bt->acts[slot]);
  obs_encoder_acts_free(bt->enc[slot]);
  bt->enc[slot] = obs_encoder_acts_create(&r->policy.encoder, NULL, (int)B);
  bt->acts[slot] = bt->enc[slot] ? unet_acts_create(&r->policy.unet, (int)B, r->policy.shape.horizon) : NULL;
  return bt->acts[slot];
}

static ObsEncoderActs *enc_for(Batches *bt, const UnetActs *a) { return bt->enc[bt->acts[0] == a ? 0 : 1]; }

// Rows [first, first + B) of the batch: their conditioning into bt->cond (B, Gc), from the
// normalised low-dim history and, for image policies, each frame's crop (random in
// training, the centre at validation: train/frames.h) through the camera encoder with
// `weights`; their actions normalised in place.
static void encode_batch(Teacher *r, const float *weights, ObsEncoderActs *enc, long first, long B, int random_crop,
                         long step) {
  const PolicyShape *s = &r->policy.shape;
  const ObsEncoder *e = &r->policy.encoder;
  Batches *bt = &r->bt;
  normalizer_apply(&r->policy.obs_norm, enc->lowdim, bt->obs + first * s->n_obs_steps * s->lowdim_dim,
                   B * s->n_obs_steps);
  float *action = bt->action + first * s->horizon * s->action_dim;
  normalizer_apply(&r->policy.action_norm, action, action, B * s->horizon);
  if (e->kind == OBS_ENCODER_IMAGE)
    frames_load_crops(e, enc, r->ds, bt->rows + first * s->n_obs_steps, B, first, r->opt.seed,
                      ODP_STREAM(step, TEACHER_CROP), random_crop);
  obs_encoder_forward_train(e, weights, enc, bt->cond);
}

static double validation_loss(Teacher *r, Batches *bt, long step) {
  long n = seqds_count(r->ds, SEQ_VAL), B = r->opt.batch < n ? r->opt.batch : n;
  if (n == 0) return NAN;
  const PolicyShape *s = &r->policy.shape;
  float *obs_full = malloc((size_t)s->horizon * s->lowdim_dim * sizeof(float));
  for (long b = 0; b < B; b++) {  // the first B validation windows, evenly spread
    long idx = b * n / B;
    seqds_get(r->ds, SEQ_VAL, idx, obs_full, bt->action + b * s->horizon * s->action_dim);
    seqds_window_rows(r->ds, SEQ_VAL, idx, bt->rows + b * s->n_obs_steps);
    memcpy(bt->obs + b * s->n_obs_steps * s->lowdim_dim, obs_full,
           (size_t)s->n_obs_steps * s->lowdim_dim * sizeof(float));
  }
  free(obs_full);
  UnetActs *a = acts_for(r, bt, B);
  if (!a) return NAN;
  const float *weights = r->opt.ema ? r->ema : r->params;
  encode_batch(r, weights, enc_for(bt, a), 0, B, 0, step);
  return denoise_loss_step(&r->policy.unet, weights, NULL, NULL, a, &r->policy.diffusion, bt->action, bt->cond,
                           r->opt.seed ^ 0x5a5a, step, (BatchShare){0, B}, bt->work);
}

// AdamW and EMA over every trainable run of the policy's parameters.
static void update(Teacher *r, long step, double lr) {
  EmaConfig ec = ema_config_dp();
  for (int i = 0; i < r->n_spans; i++) {
    long o = r->spans[i].offset, n = r->spans[i].numel;
    adamw_update(r->params + o, r->m + o, r->v + o, r->grads + o, n, &r->adam.cfg, lr, step + 1);
    if (r->opt.ema) ema_update(r->ema + o, r->params + o, n, ema_decay(&ec, step));
  }
}

// This rank's share of the batch's loss and gradient (dist/dist.h: the whole batch in a
// single process), into r->grads and *loss.
static int share_gradient(Teacher *r, long step, long nb, double *loss) {
  Batches *bt = &r->bt;
  const PolicyShape *s = &r->policy.shape;
  long first, end;
  dist_shard(nb, &first, &end);
  *loss = 0;
  if (end == first) return ODP_OK;  // more ranks than rows in an epoch's short last batch
  UnetActs *a = acts_for(r, bt, end - first);
  if (!a) return ODP_ERR;
  ObsEncoderActs *enc = enc_for(bt, a);
  encode_batch(r, r->params, enc, first, end - first, 1, step);
  const int image = r->policy.encoder.kind == OBS_ENCODER_IMAGE;
  *loss = denoise_loss_step(&r->policy.unet, r->params, r->grads, image ? bt->dcond : NULL, a, &r->policy.diffusion,
                            bt->action + first * s->horizon * s->action_dim, bt->cond, r->opt.seed, step,
                            (BatchShare){first, nb}, bt->work);
  if (image) obs_encoder_backward(&r->policy.encoder, r->params, r->grads, enc, bt->dcond);
  return ODP_OK;
}

static int teacher_step(void *self, long step, RunStepOut *out) {
  Teacher *r = self;
  Batches *bt = &r->bt;
  const long B = r->opt.batch;
  const uint64_t epoch = (uint64_t)(step / r->per_epoch);
  long nb = seqds_batch(r->ds, r->opt.seed, epoch, step % r->per_epoch, B, bt->obs, bt->action);
  if (nb <= 0) return odp_fail("step %ld: no training batch (dataset has %ld windows)", step, seqds_count(r->ds, SEQ_TRAIN));
  seqds_batch_rows(r->ds, r->opt.seed, epoch, step % r->per_epoch, B, bt->rows);
  memset(r->grads, 0, (size_t)r->state_n * sizeof(float));
  // The ranks' shares summed: every rank then holds the batch's gradient and takes the same step.
  if (share_gradient(r, step, nb, &out->loss) || dist_sum_floats(r->grads, r->state_n) ||
      dist_sum_doubles(&out->loss, 1))
    return ODP_ERR;
  if (!isfinite(out->loss)) return ODP_OK;  // the driver stops the run; nothing is updated
  r->lr = lr_at(&r->opt.schedule, step);
  update(r, step, r->lr);
  r->loss_sum += out->loss, r->loss_count++, r->last_step = step;
  snprintf(out->status, sizeof out->status, "loss %.4f  lr %.2e", out->loss, r->lr);
  return ODP_OK;
}

static int log_fields(void *self, long done, double elapsed, char *buf, int size) {
  Teacher *r = self;
  int len = snprintf(buf, (size_t)size, "\"loss\": %.6f, \"lr\": %.6e, \"epoch\": %ld, \"elapsed_s\": %.2f",
                     r->loss_sum / r->loss_count, r->lr, r->last_step / r->per_epoch, elapsed);
  double val = r->opt.val_every && (done % r->opt.val_every == 0 || done == r->opt.steps)
                   ? validation_loss(r, &r->bt, done)
                   : NAN;  // NaN also when the split has no validation windows
  if (isfinite(val)) len += snprintf(buf + len, (size_t)(size - len), ", \"val_loss\": %.6f", val);
  snprintf(buf + len, (size_t)(size - len), "}");
  r->loss_sum = 0, r->loss_count = 0;
  return ODP_OK;
}

static void banner(void *self, long start, long stop, int threads) {
  Teacher *r = self;
  (void)stop;  // the line names the run's length
  long trainable = 0;
  for (int i = 0; i < r->n_spans; i++) trainable += r->spans[i].numel;
  fprintf(stderr, "train: %ld parameters, %ld training windows (%ld validation), batch %d, steps %ld..%ld, %d threads\n",
          trainable, seqds_count(r->ds, SEQ_TRAIN), seqds_count(r->ds, SEQ_VAL), r->opt.batch, start, r->opt.steps,
          threads);
}

static void teacher_free(void *self) {
  Teacher *r = self;
  seqds_close(r->ds);
  policy_free(&r->policy);
  for (int i = 0; i < 2; i++) unet_acts_free(r->bt.acts[i]), obs_encoder_acts_free(r->bt.enc[i]);
  free(r->bt.obs), free(r->bt.action), free(r->bt.work), free(r->bt.cond), free(r->bt.dcond), free(r->bt.rows);
  free(r->params), free(r->grads), free(r->m), free(r->v), free(r->ema);
}

static const RunTrainer teacher_trainer = {
    .name = "train",
    .config_file = "config.json",
    .keys = teacher_keys,
    .noun = "training",
    .unsaved = "training diverged, stopped without saving",
    .read_options = read_options,
    .setup = setup,
    .resumed = resumed,
    .buffers = buffers,
    .save_policy = save_policy,
    .step = teacher_step,
    .log_fields = log_fields,
    .banner = banner,
    .free = teacher_free,
};

int train_teacher(const char *config_path, int n_overrides, char **overrides, const char *rundir, int resume,
                  long until) {
  Teacher r;
  memset(&r, 0, sizeof r);
  return run_drive(&teacher_trainer, &r, config_path, n_overrides, overrides, rundir, resume, until);
}
