// libFuzzer: what `onedp eval`, `info`, `distill` and `train --resume` do with a
// checkpoint file: policy_load (the "config", "generator_timestep" and "stochastic"
// metadata, the tensors against the policy's table), unet_open, and the training-state
// reader (run_state_peek / run_state_load).
// Models whose config asks for more than MAX_PARAMS floats are not loaded here (onedp
// would allocate them; libFuzzer's memory limit would call that a crash).
#include "core/error.h"
#include "fuzz.h"
#include "io/safetensors.h"
#include "model/policy.h"
#include "model/unet_config.h"
#include "model/unet_file.h"
#include "train/run_state.h"

#define MAX_PARAMS (1L << 16)  // 16x the seed policy: room to mutate, small enough for millions of runs

// Parameter count of the U-Net and camera encoder the file's config describes, or -1.
static long model_params(const char *path) {
  Safetensors *st = safetensors_open(path);
  const char *json = st ? safetensors_metadata(st, "config") : NULL;
  UnetConfig cfg;
  Unet u = {0};
  ParamTable enc = {0};
  ObsEncoder e;
  long n = json && unet_config_from_json(&cfg, json, path) == ODP_OK && unet_init(&u, &cfg) == ODP_OK ? u.table.numel : -1;
  if (n >= 0) n = obs_encoder_init(&e, json, path, 1, 1, &enc) == ODP_OK ? n + enc.numel : -1;
  unet_free(&u);
  param_table_free(&enc);
  safetensors_close(st);
  return n;
}

static void load_policy(const char *path) {
  Policy p;
  if (policy_load(&p, path) != ODP_OK) return;
  FUZZ_CHECK(p.generator_timestep >= -1 && p.generator_timestep < p.shape.num_train_timesteps,
             "generator_timestep %d", p.generator_timestep);
  long encoder = 0;
  for (int i = 0; i < p.table.count; i++)
    if (!strncmp(p.table.entries[i].name, "obs_encoder.", 12)) encoder += p.table.entries[i].numel;
  FUZZ_CHECK(p.table.numel == p.unet.table.numel + encoder + 2 * (p.shape.lowdim_dim + p.shape.action_dim),
             "policy table size");
  FUZZ_CHECK(p.shape.obs_dim == p.encoder.frame_dim && p.shape.obs_dim >= p.shape.lowdim_dim, "observation frame size");
  policy_free(&p);
}

static void open_unet(const char *path) {
  Unet u;
  float *params = NULL;
  if (unet_open(&u, &params, path) != ODP_OK) return;
  free(params);
  unet_free(&u);
}

static void load_state(const char *path) {
  long step;
  char *config = NULL;
  if (run_state_peek(path, &step, &config) == ODP_OK) {
    FUZZ_CHECK(step >= 0 && config, "step %ld", step);
    free(config);
  }
  static float generator[64], moments[64];
  StateBuffer bufs[2] = {{"generator", generator, 64}, {"adam_m_generator", moments, 64}};
  run_state_load(path, bufs, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file("checkpoint.safetensors", data, size);
  long n = model_params(path);
  if (n >= 0 && n <= MAX_PARAMS) {
    load_policy(path);
    open_unet(path);
  }
  load_state(path);
  return 0;
}
