// libFuzzer: the model config JSON (a configs/unet_*.json file, or a checkpoint's
// "config" metadata) through unet_config_from_json, unet_init (the parameter table), the
// observation encoder's section (obs_encoder_init) and policy_init. Checked: a parsed config prints and parses back to itself.
// Models of more than MAX_PARAMS floats get no policy_init (which allocates them).
#include "core/error.h"
#include "fuzz.h"
#include "model/policy.h"
#include "model/unet_config.h"

#define MAX_PARAMS (1L << 21)

static int same_config(const UnetConfig *a, const UnetConfig *b) {
  int same = a->input_dim == b->input_dim && a->global_cond_dim == b->global_cond_dim &&
             a->step_embed_dim == b->step_embed_dim && a->n_levels == b->n_levels && a->kernel_size == b->kernel_size &&
             a->n_groups == b->n_groups && a->cond_predict_scale == b->cond_predict_scale;
  for (int i = 0; same && i < a->n_levels; i++) same = a->down_dims[i] == b->down_dims[i];
  return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *json = fuzz_part(data, size, 0, NULL);
  UnetConfig cfg, again;
  if (unet_config_from_json(&cfg, json, "fuzz.json") == ODP_OK) {
    char *printed = unet_config_to_json(&cfg);
    FUZZ_CHECK(printed && unet_config_from_json(&again, printed, "printed") == ODP_OK, "%s", odp_error());
    FUZZ_CHECK(same_config(&cfg, &again), "round trip changed the config: %s", printed);
    free(printed);
    Unet u;
    if (unet_init(&u, &cfg) == ODP_OK) {
      FUZZ_CHECK(u.table.numel > 0, "empty model");
      long numel = u.table.numel;
      unet_free(&u);
      ParamTable enc = {0};  // an image policy's camera encoder (its "encoder" section)
      ObsEncoder e;
      numel = obs_encoder_init(&e, json, "fuzz.json", 1, 1, &enc) == ODP_OK ? numel + enc.numel : MAX_PARAMS + 1;
      param_table_free(&enc);
      Policy p;
      if (numel <= MAX_PARAMS && policy_init(&p, json, "fuzz.json") == ODP_OK) policy_free(&p);
    }
  }
  free(json);
  return 0;
}
