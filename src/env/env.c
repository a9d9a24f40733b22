#include "env/env.h"

#include <string.h>

#include "core/error.h"
#include "env/pusht.h"

static const EnvOps *const tasks[] = {&pusht_ops};

int env_create(Env *out, const char *name) {
  out->ops = NULL;
  out->impl = NULL;
  for (unsigned i = 0; i < sizeof tasks / sizeof tasks[0]; i++) {
    if (strcmp(tasks[i]->name, name)) continue;
    void *impl = tasks[i]->create();
    if (!impl) return odp_fail_context("env '%s'", name);
    out->ops = tasks[i];
    out->impl = impl;
    return ODP_OK;
  }
  return odp_fail("unknown environment '%s' (known: pusht)", name);
}

void env_destroy(Env *env) {
  if (env->ops && env->impl) env->ops->destroy(env->impl);
  env->ops = NULL;
  env->impl = NULL;
}
