#include "train/teacher.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas_core.h"
#include "core/error.h"
#include "core/hw.h"
#include "core/progress.h"
#include "data/sequence.h"
#include "model/denoise_loss.h"
#include "model/policy.h"
#include "optim/ema.h"
#include "train/run_dir.h"
#include "train/run_state.h"
#include "train/train_options.h"

// Every key a teacher run config holds (read by run_open_task_dataset, policy_init and
// train_options_read).
static const char *const teacher_keys[] = {
    "task.name", "task.dataset", "task.obs_key", "task.max_train_episodes", "task.val_ratio", "task.split_seed",
    "model.input_dim", "model.global_cond_dim", "model.diffusion_step_embed_dim", "model.down_dims",
    "model.kernel_size", "model.n_groups", "model.cond_predict_scale",
    "policy.horizon", "policy.n_obs_steps", "policy.n_action_steps", "policy.obs_dim", "policy.action_dim",
    "policy.num_train_timesteps",
    "train.steps", "train.batch", "train.lr", "train.beta1", "train.beta2", "train.eps", "train.weight_decay",
    "train.warmup_steps", "train.lr_schedule", "train.ema", "train.seed", "train.threads", "train.log_every",
    "train.val_every", "train.checkpoint_every", NULL};

typedef struct {
  Config *cfg;
  TrainOptions opt;
  Policy policy;
  SeqDataset *ds;
  long unet_n, table_n;                // the optimiser touches [0, unet_n); the normalizers follow
  float *params, *grads, *m, *v, *ema;  // table_n floats each (grads, m, v: unet_n used)
  AdamW adam;
  RunPaths paths;
  long saved_step;  // the step of the last checkpoint written or resumed from
} Run;

static int allocate(Run *r) {
  r->unet_n = r->policy.unet.table.numel, r->table_n = r->policy.table.numel;
  float **bufs[5] = {&r->params, &r->grads, &r->m, &r->v, &r->ema};
  for (int i = 0; i < 5; i++)
    if (!(*bufs[i] = odp_calloc((unsigned long)r->table_n, sizeof(float), "training buffers"))) return ODP_ERR;
  r->adam.cfg = r->opt.adam;
  return ODP_OK;
}

static int state_buffers(Run *r, StateBuffer *b) {
  b[0] = (StateBuffer){"params", r->params, r->table_n};
  b[1] = (StateBuffer){"ema", r->ema, r->table_n};
  b[2] = (StateBuffer){"adam_m", r->m, r->unet_n};
  b[3] = (StateBuffer){"adam_v", r->v, r->unet_n};
  return 4;
}

// Policy first, then the state (the commit point: a resume starts from it and rewrites
// the policy). Nothing is written when a value is not finite.
static int save_checkpoint(Run *r, long step) {
  StateBuffer b[4];
  int n = state_buffers(r, b);
  char kept[1200], why[256];
  if (run_state_check_finite(b, n)) {
    snprintf(why, sizeof why, "%s", odp_error());
    return odp_fail("step %ld: %s: training diverged, stopped without saving (%s)", step, why,
                    run_kept_note(kept, sizeof kept, r->saved_step, r->paths.dir));
  }
  char step_text[32];
  snprintf(step_text, sizeof step_text, "%ld", step);
  const char *meta[] = {"train_step", step_text, NULL};
  if (policy_save(&r->policy, r->opt.ema ? r->ema : r->params, r->paths.policy, meta) ||
      run_state_save(r->paths.state, step, r->policy.config_json, b, n))
    return ODP_ERR;
  r->saved_step = step;
  return ODP_OK;
}

// Normalised conditioning (B, To * obs_dim) and actions (B, T, Da) in place.
static void normalize_batch(Run *r, float *obs, float *action, long B) {
  const PolicyShape *s = &r->policy.shape;
  normalizer_apply(&r->policy.obs_norm, obs, obs, B * s->n_obs_steps);
  normalizer_apply(&r->policy.action_norm, action, action, B * s->horizon);
}

// Activations for the full and the (shorter) last batch of an epoch.
typedef struct {
  UnetActs *acts[2];
  float *obs, *action, *work;
} Batches;

static UnetActs *acts_for(Run *r, Batches *bt, long B) {
  for (int i = 0; i < 2; i++)
    if (bt->acts[i] && bt->acts[i]->B == B) return bt->acts[i];
  int slot = bt->acts[0] ? 1 : 0;
  unet_acts_free(bt->acts[slot]);
  bt->acts[slot] = unet_acts_create(&r->policy.unet, (int)B, r->policy.shape.horizon);
  return bt->acts[slot];
}

static double validation_loss(Run *r, Batches *bt, long step) {
  long n = seqds_count(r->ds, SEQ_VAL), B = r->opt.batch < n ? r->opt.batch : n;
  if (n == 0) return NAN;
  const PolicyShape *s = &r->policy.shape;
  float *obs_full = malloc((size_t)s->horizon * s->obs_dim * sizeof(float));
  for (long b = 0; b < B; b++) {  // the first B validation windows, evenly spread
    long idx = b * n / B;
    seqds_get(r->ds, SEQ_VAL, idx, obs_full, bt->action + b * s->horizon * s->action_dim);
    memcpy(bt->obs + b * s->n_obs_steps * s->obs_dim, obs_full, (size_t)s->n_obs_steps * s->obs_dim * sizeof(float));
  }
  free(obs_full);
  normalize_batch(r, bt->obs, bt->action, B);
  UnetActs *a = acts_for(r, bt, B);
  const float *weights = r->opt.ema ? r->ema : r->params;
  return denoise_loss_step(&r->policy.unet, weights, NULL, a, &r->policy.diffusion, bt->action, bt->obs,
                           r->opt.seed ^ 0x5a5a, step, bt->work);
}

static int train_loop(Run *r, long start, long stop) {
  const PolicyShape *s = &r->policy.shape;
  const long B = r->opt.batch, per_epoch = seqds_batches_per_epoch(r->ds, B);
  EmaConfig ec = ema_config_dp();
  Batches bt = {{NULL, NULL}, malloc((size_t)B * s->n_obs_steps * s->obs_dim * sizeof(float)),
                malloc((size_t)B * s->horizon * s->action_dim * sizeof(float)),
                malloc((size_t)3 * B * s->horizon * s->action_dim * sizeof(float))};
  Progress pb;
  progress_start(&pb, "train", "steps", r->opt.steps);
  double t0 = now_seconds(), loss_sum = 0;
  int loss_count = 0, err = ODP_OK;
  for (long step = start; step < stop && !err; step++) {
    long nb = seqds_batch(r->ds, r->opt.seed, (uint64_t)(step / per_epoch), step % per_epoch, B, bt.obs, bt.action);
    if (nb <= 0) {
      err = odp_fail("step %ld: no training batch (dataset has %ld windows)", step, seqds_count(r->ds, SEQ_TRAIN));
      break;
    }
    normalize_batch(r, bt.obs, bt.action, nb);
    UnetActs *a = acts_for(r, &bt, nb);
    if (!a) {
      err = ODP_ERR;
      break;
    }
    memset(r->grads, 0, (size_t)r->unet_n * sizeof(float));
    double loss = denoise_loss_step(&r->policy.unet, r->params, r->grads, a, &r->policy.diffusion, bt.action, bt.obs,
                                    r->opt.seed, step, bt.work);
    if (!isfinite(loss)) {  // steps count from 1, as in the log
      char kept[1200];
      err = odp_fail("step %ld: loss is %g: training diverged, stopped (%s)", step + 1, loss,
                     run_kept_note(kept, sizeof kept, r->saved_step, r->paths.dir));
      break;
    }
    double lr = lr_at(&r->opt.schedule, step);
    adamw_update(r->params, r->m, r->v, r->grads, r->unet_n, &r->adam.cfg, lr, step + 1);
    if (r->opt.ema) ema_update(r->ema, r->params, r->unet_n, ema_decay(&ec, step));
    loss_sum += loss, loss_count++;
    long done = step + 1;
    char status[96];
    snprintf(status, sizeof status, "loss %.4f  lr %.2e", loss, lr);
    progress_update(&pb, done, status);
    if (done % r->opt.log_every == 0 || done == r->opt.steps) {
      char line[256];
      int len = snprintf(line, sizeof line, "{\"step\": %ld, \"loss\": %.6f, \"lr\": %.6e, \"epoch\": %ld, \"elapsed_s\": %.2f",
                         done, loss_sum / loss_count, lr, step / per_epoch, now_seconds() - t0);
      double val = r->opt.val_every && (done % r->opt.val_every == 0 || done == r->opt.steps)
                       ? validation_loss(r, &bt, done)
                       : NAN;  // NaN also when the split has no validation windows
      if (isfinite(val)) len += snprintf(line + len, sizeof line - len, ", \"val_loss\": %.6f", val);
      snprintf(line + len, sizeof line - len, "}");
      run_dir_log(r->paths.log, line);
      loss_sum = 0, loss_count = 0;
    }
    if (done % r->opt.checkpoint_every == 0 || done == stop) err = save_checkpoint(r, done);
  }
  progress_finish(&pb, err ? 0 : stop, err ? "stopped" : "done");
  for (int i = 0; i < 2; i++) unet_acts_free(bt.acts[i]);
  free(bt.obs), free(bt.action), free(bt.work);
  return err;
}

static int setup_fresh(Run *r) {
  if (seqds_fit_normalizers(r->ds, &r->policy.obs_norm, &r->policy.action_norm)) return ODP_ERR;
  unet_init_params(&r->policy.unet, r->params, r->opt.seed);
  policy_store_normalizers(&r->policy, r->params);
  memcpy(r->ema, r->params, (size_t)r->table_n * sizeof(float));
  return save_checkpoint(r, 0);
}

static int setup_resume(Run *r, long *start) {
  StateBuffer b[4];
  int n = state_buffers(r, b);
  if (run_state_peek(r->paths.state, start, NULL) || run_state_load(r->paths.state, b, n) ||
      run_log_rewind(r->paths.log, *start))
    return ODP_ERR;
  r->saved_step = *start;
  policy_fetch_normalizers(&r->policy, r->params);
  char line[128];
  snprintf(line, sizeof line, "{\"event\": \"resume\", \"step\": %ld}", *start);
  run_dir_log(r->paths.log, line);
  return ODP_OK;
}

int train_teacher(const char *config_path, int n_overrides, char **overrides, const char *rundir, int resume,
                  long until) {
  Run r;
  memset(&r, 0, sizeof r);
  r.saved_step = -1;
  if (run_paths_make(&r.paths, rundir, resume)) return ODP_ERR;
  r.cfg = run_load_config(config_path, n_overrides, overrides, teacher_keys, r.paths.state, resume);
  if (!r.cfg || train_options_read(&r.opt, r.cfg)) {
    if (!resume) run_paths_discard(&r.paths);
    return config_free(r.cfg), run_paths_release(&r.paths), ODP_ERR;
  }
  int threads = run_set_threads(r.opt.threads);
  char *json = config_to_json(r.cfg);
  long start = 0;
  int err = policy_init(&r.policy, json, config_origin(r.cfg)) || run_dir_write_text(rundir, "config.json", json) ||
            !(r.ds = run_open_task_dataset(r.cfg, &r.policy.shape)) ||
            allocate(&r) || (resume ? setup_resume(&r, &start) : setup_fresh(&r));
  free(json);
  if (!err) {
    fprintf(stderr, "train: %ld parameters, %ld training windows (%ld validation), batch %d, steps %ld..%ld, %d threads\n",
            r.unet_n, seqds_count(r.ds, SEQ_TRAIN), seqds_count(r.ds, SEQ_VAL), r.opt.batch, start, r.opt.steps,
            threads);
    blas_warn_if_narrow("train");
    long stop = until > 0 && until < r.opt.steps ? until : r.opt.steps;
    // Resumed at or past the stop: re-export the checkpoint (policy with its step) as it stands.
    err = start >= stop ? save_checkpoint(&r, start) : train_loop(&r, start, stop);
  }
  seqds_close(r.ds);
  policy_free(&r.policy);
  free(r.params), free(r.grads), free(r.m), free(r.v), free(r.ema);
  config_free(r.cfg);
  if (err && !resume) run_paths_discard(&r.paths);
  run_paths_release(&r.paths);
  return err;
}
