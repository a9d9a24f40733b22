#include "env/env.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "env/arm/arm.h"
#include "env/pusht.h"
#include "io/config.h"

static const EnvOps *const registry[] = {&pusht_ops, &arm_lift_ops, &arm_can_ops, &arm_square_ops, &arm_milk_ops, NULL};

const EnvOps *const *env_registry(void) { return registry; }

const char *env_names(char *buf, int size) {
  int len = 0;
  buf[0] = 0;
  for (const EnvOps *const *e = registry; *e && len < size; e++)
    len += snprintf(buf + len, (size_t)(size - len), "%s%s", e == registry ? "" : ", ", (*e)->name);
  return buf;
}

const EnvOps *env_find(const char *name) {
  for (const EnvOps *const *e = registry; *e; e++)
    if (!strcmp((*e)->name, name)) return *e;
  char known[256];
  return odp_fail("unknown environment '%s' (known: %s)", name, env_names(known, sizeof known)), NULL;
}

const EnvOps *env_for_config(const char *config_json, const char *where) {
  Config *c = config_parse(config_json, where);
  const char *task = NULL;
  if (!c || (config_has(c, "task.name") && config_get_string(c, "task.name", &task))) return config_free(c), NULL;
  const EnvOps *found = task ? NULL : registry[0];
  for (const EnvOps *const *e = registry; task && !found && *e; e++)
    for (const char *const *t = (*e)->task_names; t && *t && !found; t++)
      if (!strcmp(*t, task)) found = *e;
  if (!found) odp_fail("%s: field 'task.name': no environment runs task '%s'", where, task);
  config_free(c);
  return found;
}

int env_frame_size_ok(const EnvOps *ops, int size) {
  const EnvCamera *cam = ops->n_cameras ? &ops->cameras[0] : NULL;
  return (cam && cam->height == size && cam->width == size) || (ops->canvas_size && ops->canvas_size == size);
}

int env_create(Env *out, const char *name) {
  out->ops = NULL;
  out->impl = NULL;
  const EnvOps *ops = env_find(name);
  if (!ops) return ODP_ERR;
  void *impl = ops->create();
  if (!impl) return odp_fail_context("env '%s'", name);
  out->ops = ops;
  out->impl = impl;
  return ODP_OK;
}

void env_destroy(Env *env) {
  if (env->ops && env->impl) env->ops->destroy(env->impl);
  env->ops = NULL;
  env->impl = NULL;
}

const EnvObsKey *env_obs_key(const EnvOps *ops, const char *name) {
  char known[256] = "";
  for (const EnvObsKey *k = ops->obs_keys; k && k->name; k++) {
    if (!strcmp(k->name, name)) return k;
    snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", known[0] ? ", " : "", k->name);
  }
  odp_fail("task %s has no observation '%s' (it has: %s)", ops->name, name, known[0] ? known : "none named");
  return NULL;
}

enum { PERTURB_STREAM = 0x7065 };
static double perturb_uniform(uint32_t seed, int k) { return rng_uniform(rng_make(seed, PERTURB_STREAM), (uint64_t)k); }

void env_disturbances_plan(EnvDisturbances *d, const EnvOps *ops, uint32_t seed) {
  const int *w = ops->perturb_window;
  d->seed = seed, d->applied = 0;
  d->n = perturb_uniform(seed, 0) < 0.5 ? 1 : 2;
  d->at[0] = w[0] + (int)((w[1] - w[0]) * perturb_uniform(seed, 1));
  d->at[1] = d->at[0] + 50 + (int)(100 * perturb_uniform(seed, 2));
}

int env_disturbances_step(EnvDisturbances *d, const Env *env, int step, const EnvStep *st) {
  const int k = d->applied;
  if (st->done || k >= d->n || step < d->at[k] || !st->disturbable) return 0;
  double u[ENV_PERTURB_UNIFORMS];
  for (int j = 0; j < ENV_PERTURB_UNIFORMS; j++) u[j] = perturb_uniform(d->seed, 8 + 4 * k + j);
  env->ops->perturb(env->impl, u);
  d->applied++;
  return 1;
}
