#include "distill/teacher_data.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "train/frames.h"
#include "train/run_dir.h"

// The teacher's steps: those its checkpoint records, else its config's train.steps.
static double teacher_passes(const Config *tc, long train_step) {
  long steps = train_step, batch;
  if (steps < 0 && (!config_has(tc, "train.steps") || config_get_long(tc, "train.steps", &steps, 1, 1L << 40))) return 0;
  if (!config_has(tc, "train.batch") || config_get_long(tc, "train.batch", &batch, 1, 1L << 30)) return 0;
  return PASSES_TRAIN * (double)steps * (double)batch;
}

int teacher_data_open(TeacherData *t, int batch, const char *origin, const char *key) {
  const char *path = t->path;
  if (policy_load(&t->teacher, path)) return ODP_ERR;
  if (t->teacher.generator_timestep >= 0 || unet_time_inputs(&t->teacher.unet.cfg) > 1)
    return odp_fail("%s: is already a %s student; distill from a diffusion teacher", path,
                    t->teacher.generator_timestep >= 0 ? "one-step" : "consistency");
  Config *tc = config_parse(t->teacher.config_json, path);
  if (!tc) return ODP_ERR;
  t->passes = teacher_passes(tc, t->teacher.train_step);
  t->ds = run_open_task_dataset(tc, &t->teacher);
  config_free(tc);
  if (!t->ds) return ODP_ERR;
  if (seqds_count(t->ds, SEQ_TRAIN) < batch)
    return odp_fail("%s: field '%s': %d exceeds the %ld training windows of teacher %s's dataset", origin, key, batch,
                    seqds_count(t->ds, SEQ_TRAIN), path);
  return ODP_OK;
}

void teacher_data_report_cost(const TeacherData *t, double passes) {
  if (t->passes <= 0) return;
  fprintf(stderr, "distill: cost %.1f%% of the teacher's training (%.3g of %.3g network sample-passes)\n",
          100.0 * passes / t->passes, passes, t->passes);
}

void teacher_data_close(TeacherData *t) {
  seqds_close(t->ds);
  policy_free(&t->teacher);
}

int teacher_data_batch(const TeacherData *t, int B, uint64_t seed, long index, float *lowdim, float *actions,
                       int64_t *rows) {
  const long per_epoch = seqds_count(t->ds, SEQ_TRAIN) / B;
  if (per_epoch < 1) return odp_fail("distill: batch %d exceeds the %ld training windows", B, seqds_count(t->ds, SEQ_TRAIN));
  const uint64_t epoch = (uint64_t)(index / per_epoch);
  if (seqds_batch(t->ds, seed, epoch, index % per_epoch, B, lowdim, actions) != B)
    return odp_fail("distill: step %ld: short batch", index);
  if (rows) seqds_batch_rows(t->ds, seed, epoch, index % per_epoch, B, rows);
  normalizer_apply(&t->teacher.obs_norm, lowdim, lowdim, (long)B * t->teacher.shape.n_obs_steps);
  normalizer_apply(&t->teacher.action_norm, actions, actions, (long)B * t->teacher.shape.horizon);
  return ODP_OK;
}

void teacher_data_encode(const TeacherData *t, const Policy *p, ObsEncoderActs *a, const float *params,
                         const float *lowdim, const int64_t *rows, long B, long first, uint64_t seed, uint64_t stream,
                         float *cond) {
  memcpy(a->lowdim, lowdim, (size_t)B * p->encoder.n_obs_steps * p->encoder.lowdim_dim * sizeof(float));
  frames_load_crops(&p->encoder, a, t->ds, rows, B, first, seed, stream, 1);
  obs_encoder_forward_train(&p->encoder, params, a, cond);
}
