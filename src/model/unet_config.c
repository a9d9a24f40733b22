#include "model/unet_config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

const char *const unet_config_keys[] = {"model.input_dim", "model.global_cond_dim", "model.diffusion_step_embed_dim",
                                        "model.down_dims", "model.kernel_size", "model.n_groups",
                                        "model.cond_predict_scale", "model.time_inputs", NULL};

// key of obj (prefix: "model." when nested in a run config) as an integer (bools as 0/1).
static int get_int(const cJSON *obj, const char *prefix, const char *key, int *out, int required, const char *where) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!v) return required ? odp_fail("%s: field '%s%s': missing", where, prefix, key) : ODP_OK;
  if (cJSON_IsBool(v)) {
    *out = cJSON_IsTrue(v);
    return ODP_OK;
  }
  if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 1e9)
    return odp_fail("%s: field '%s%s': must be an integer", where, prefix, key);
  *out = (int)v->valuedouble;
  return ODP_OK;
}

// An unknown key may be a misspelling (its setting silently defaulted) or an
// architecture option this build lacks: either way the model would not be the one meant.
static int check_keys(const cJSON *obj, const char *prefix, const char *where) {
  const size_t section = strlen("model.");
  for (const cJSON *c = obj->child; c; c = c->next) {
    int found = 0;
    for (const char *const *k = unet_config_keys; *k && !found; k++) found = !strcmp(c->string, *k + section);
    if (!found && (*prefix || !cJSON_IsObject(c)))  // a bare model config may sit beside other sections
      return odp_fail("%s: field '%s%.100s': unknown model key (known: input_dim, global_cond_dim, "
                      "diffusion_step_embed_dim, down_dims, kernel_size, n_groups, cond_predict_scale, time_inputs)",
                      where, prefix, c->string);
  }
  return ODP_OK;
}

int unet_config_from_json(UnetConfig *cfg, const char *json, const char *where) {
  cJSON *root = cJSON_ParseWithOpts(json, NULL, 1);  // 1: nothing may follow the object
  if (!root || !cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return odp_fail("%s: model config is not a JSON object", where);
  }
  // A full checkpoint config may nest the model under "model".
  const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "model");
  if (!cJSON_IsObject(obj)) obj = root;
  UnetConfig c = {.kernel_size = 5, .n_groups = 8, .cond_predict_scale = 1};
  const char *pre = obj == root ? "" : "model.";
  int err = check_keys(obj, pre, where);
  err = err ? err : get_int(obj, pre, "input_dim", &c.input_dim, 1, where);
  err = err ? err : get_int(obj, pre, "global_cond_dim", &c.global_cond_dim, 0, where);
  err = err ? err : get_int(obj, pre, "diffusion_step_embed_dim", &c.step_embed_dim, 1, where);
  err = err ? err : get_int(obj, pre, "kernel_size", &c.kernel_size, 0, where);
  err = err ? err : get_int(obj, pre, "n_groups", &c.n_groups, 0, where);
  err = err ? err : get_int(obj, pre, "cond_predict_scale", &c.cond_predict_scale, 0, where);
  err = err ? err : get_int(obj, pre, "time_inputs", &c.time_inputs, 0, where);
  const cJSON *dims = cJSON_GetObjectItemCaseSensitive(obj, "down_dims");
  if (!err && (!cJSON_IsArray(dims) || cJSON_GetArraySize(dims) < 1 || cJSON_GetArraySize(dims) > UNET_MAX_LEVELS))
    err = odp_fail("%s: field '%sdown_dims': must be an array of 1..%d integers", where, pre, UNET_MAX_LEVELS);
  if (!err) {
    c.n_levels = cJSON_GetArraySize(dims);
    for (int i = 0; i < c.n_levels && !err; i++) {
      const cJSON *d = cJSON_GetArrayItem(dims, i);
      if (!cJSON_IsNumber(d) || d->valuedouble != floor(d->valuedouble) || d->valuedouble < 1 || d->valuedouble > 1e6)
        err = odp_fail("%s: field '%sdown_dims.%d': must be a positive integer", where, pre, i);
      else c.down_dims[i] = (int)d->valuedouble;
    }
  }
  cJSON_Delete(root);
  if (err) return err;
  if (unet_config_validate(&c)) return odp_fail_context("%s", where);
  *cfg = c;
  return ODP_OK;
}

char *unet_config_to_json(const UnetConfig *c) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "input_dim", c->input_dim);
  cJSON_AddNumberToObject(o, "global_cond_dim", c->global_cond_dim);
  cJSON_AddNumberToObject(o, "diffusion_step_embed_dim", c->step_embed_dim);
  cJSON_AddItemToObject(o, "down_dims", cJSON_CreateIntArray(c->down_dims, c->n_levels));
  cJSON_AddNumberToObject(o, "kernel_size", c->kernel_size);
  cJSON_AddNumberToObject(o, "n_groups", c->n_groups);
  cJSON_AddBoolToObject(o, "cond_predict_scale", c->cond_predict_scale);
  if (unet_time_inputs(c) > 1) cJSON_AddNumberToObject(o, "time_inputs", c->time_inputs);
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return s;
}
