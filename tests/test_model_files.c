// What a checkpoint from elsewhere may hold beyond its tensors: the model config (limits
// that keep every parameter size within int, booleans that are booleans, nothing after
// the JSON), a one-step student's "generator_timestep" and a training state's "step".
// Each case here is an input the fuzzers (tests/fuzz) found, or its neighbour; the
// failures must be clean (the ASan suite checks that nothing leaks on the way out).
#include <stdlib.h>
#include <string.h>

#include "../tests/test.h"
#include "../tests/test_dir.h"
#include "core/error.h"
#include "io/safetensors.h"
#include "model/policy.h"
#include "model/unet_config.h"
#include "train/run_state.h"

static const char *tiny_config =
    "{\"model\": {\"input_dim\": 2, \"global_cond_dim\": 4, \"diffusion_step_embed_dim\": 8, \"down_dims\": [8],"
    " \"kernel_size\": 3, \"n_groups\": 4, \"cond_predict_scale\": true},"
    " \"policy\": {\"horizon\": 4, \"n_obs_steps\": 2, \"n_action_steps\": 2, \"obs_dim\": 2, \"action_dim\": 2,"
    " \"num_train_timesteps\": 100}}";

// unet_config_from_json(json) fails naming `field`.
static void expect_config_error(const char *json, const char *field) {
  UnetConfig c;
  int rc = unet_config_from_json(&c, json, "cfg.json");
  CHECK(rc == ODP_ERR && strstr(odp_error(), "cfg.json") && strstr(odp_error(), field), "%s: %s", json,
        rc ? odp_error() : "accepted");
}

static void test_unet_config(void) {
  UnetConfig c;
  const char *image = "{\"input_dim\": 2, \"global_cond_dim\": 132, \"diffusion_step_embed_dim\": 128,"
                      " \"down_dims\": [512, 1024, 2048], \"kernel_size\": 5, \"n_groups\": 8, \"cond_predict_scale\": 1}";
  CHECK(unet_config_from_json(&c, image, "image") == ODP_OK && c.down_dims[2] == 2048 && c.cond_predict_scale == 1,
        "the paper's image model: %s", odp_error());
  expect_config_error("{\"input_dim\": 2, \"diffusion_step_embed_dim\": 8, \"down_dims\": [8], \"n_groups\": 4,"
                      " \"cond_predict_scale\": 100}",
                      "cond_predict_scale");
  expect_config_error("{\"input_dim\": 2, \"diffusion_step_embed_dim\": 1000000000, \"down_dims\": [8], \"n_groups\": 4}",
                      "diffusion_step_embed_dim");
  expect_config_error("{\"input_dim\": 2, \"diffusion_step_embed_dim\": 8, \"down_dims\": [8, 8192], \"n_groups\": 4}",
                      "down_dims[1]");
  expect_config_error("{\"input_dim\": 2, \"diffusion_step_embed_dim\": 8, \"down_dims\": [8], \"kernel_size\": 33}",
                      "kernel_size");
  expect_config_error("{\"input_dim\": 2, \"global_cond_dim\": 100000, \"diffusion_step_embed_dim\": 8, \"down_dims\": [8]}",
                      "global_cond_dim");
  expect_config_error("{\"input_dim\": 2, \"diffusion_step_embed_dim\": 8, \"down_dims\": [8]} {\"more\": 1}",
                      "not a JSON object");
}

// A tiny policy checkpoint with the given metadata pairs (NULL-terminated).
static const char *write_policy(const char *name, const char *const *metadata) {
  Policy p;
  const char *path = path_in(name);
  CHECK(policy_init(&p, tiny_config, "tiny") == ODP_OK, "tiny policy: %s", odp_error());
  memset(p.params, 0, (size_t)p.table.numel * sizeof(float));
  for (int j = 0; j < 2; j++) p.obs_norm.scale[j] = p.action_norm.scale[j] = 1;
  policy_store_normalizers(&p, p.params);
  CHECK(policy_save(&p, p.params, path, metadata) == ODP_OK, "save %s: %s", name, odp_error());
  policy_free(&p);
  return path;
}

static void test_generator_timestep(void) {
  const char *student[] = {"generator_timestep", "65", "stochastic", "1", NULL};
  Policy p;
  CHECK(policy_load(&p, write_policy("student.safetensors", student)) == ODP_OK && p.generator_timestep == 65 &&
            p.stochastic == 1,
        "student: %s", odp_error());
  policy_free(&p);
  const char *bad[] = {"", "100", "-1", "65x", "99999999999999999999"};
  for (int i = 0; i < 5; i++) {
    const char *meta[] = {"generator_timestep", bad[i], NULL};
    const char *path = write_policy("bad_student.safetensors", meta);
    int rc = policy_load(&p, path);
    CHECK(rc == ODP_ERR && strstr(odp_error(), "generator_timestep") && strstr(odp_error(), "bad_student"),
          "generator_timestep '%s': %s", bad[i], rc ? odp_error() : "accepted");
    if (rc == ODP_OK) policy_free(&p);
  }
}

// A training state whose "step" metadata is `step`.
static const char *write_state(const char *step) {
  const char *path = path_in("state.safetensors");
  SafetensorsWriter *w = safetensors_writer_new(path, ST_F32);
  float x[4] = {1, 2, 3, 4};
  int n = 4;
  CHECK(w && !safetensors_writer_set_metadata(w, "step", step) && !safetensors_writer_set_metadata(w, "config", "{}") &&
            !safetensors_writer_add(w, "generator", 1, &n, x) && !safetensors_writer_finish(w),
        "write state: %s", odp_error());
  return path;
}

static void test_state_step(void) {
  long step = -1;
  char *config = NULL;
  CHECK(run_state_peek(write_state("12"), &step, &config) == ODP_OK && step == 12 && config && !strcmp(config, "{}"),
        "step 12: %s", odp_error());
  free(config);
  const char *bad[] = {"", "-3", "7 ", "99999999999999999999"};
  for (int i = 0; i < 4; i++) {
    int rc = run_state_peek(write_state(bad[i]), &step, NULL);
    CHECK(rc == ODP_ERR && strstr(odp_error(), "step"), "step '%s': %s", bad[i], rc ? odp_error() : "accepted");
  }
}

int main(void) {
  test_dir_open("model_files");
  test_unet_config();
  test_generator_timestep();
  test_state_step();
  TEST_MAIN_END();
}
