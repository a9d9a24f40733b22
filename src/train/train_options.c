#include "train/train_options.h"

#include <string.h>

#include "core/error.h"

const char *const train_option_keys[] = {
    "train.steps", "train.batch", "train.lr", "train.beta1", "train.beta2", "train.eps", "train.weight_decay",
    "train.warmup_steps", "train.lr_schedule", "train.ema", "train.seed", "train.threads", "train.log_every",
    "train.val_every", "train.checkpoint_every", "train.keep_checkpoints", NULL};

int train_options_read(TrainOptions *o, const Config *c) {
  memset(o, 0, sizeof *o);
  long seed = 0, warmup = 0;
  const char *sched = NULL;
  int err = config_get_long(c, "train.steps", &o->steps, 1, 1L << 40) ||
            config_get_int(c, "train.batch", &o->batch, 1, 1 << 16) ||
            config_get_double(c, "train.lr", &o->adam.lr, 0, 1) ||
            config_get_double(c, "train.beta1", &o->adam.beta1, 0, 0.999999) ||
            config_get_double(c, "train.beta2", &o->adam.beta2, 0, 0.999999) ||
            config_get_double(c, "train.eps", &o->adam.eps, 1e-30, 1) ||
            config_get_double(c, "train.weight_decay", &o->adam.weight_decay, 0, 1) ||
            config_get_long(c, "train.warmup_steps", &warmup, 0, 1L << 40) ||
            config_get_string(c, "train.lr_schedule", &sched) || config_get_bool(c, "train.ema", &o->ema) ||
            config_get_long(c, "train.seed", &seed, 0, 1L << 62) ||
            config_get_int(c, "train.threads", &o->threads, 0, 1024) ||
            config_get_int(c, "train.log_every", &o->log_every, 1, 1 << 30) ||
            config_get_int(c, "train.val_every", &o->val_every, 0, 1 << 30) ||
            config_get_int(c, "train.checkpoint_every", &o->checkpoint_every, 1, 1 << 30);
  if (err || (config_has(c, "train.keep_checkpoints") &&  // optional, off by default
              config_get_int(c, "train.keep_checkpoints", &o->keep_checkpoints, 0, 1)))
    return ODP_ERR;
  o->seed = (uint64_t)seed;
  if (!strcmp(sched, "cosine")) o->schedule = lr_schedule_cosine(o->adam.lr, warmup, o->steps);
  else if (!strcmp(sched, "constant")) o->schedule = lr_schedule_constant(o->adam.lr);
  else return odp_fail("%s: field 'train.lr_schedule': '%s' is not one of cosine, constant", config_origin(c), sched);
  return ODP_OK;
}
