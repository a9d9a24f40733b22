// Policies loaded for inference only (packed f32 / bf16 network, no parameter buffer)
// against the same checkpoint loaded for training: the same actions from a diffusion
// policy (DDIM, batch 1 and batched) and from a one-step student (its timestep folded
// in), an image policy's packed camera encoder included; bad files and formats rejected
// with a message.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/rng.h"
#include "model/policy.h"
#include "test.h"

static const char *tiny_config =
    "{\"model\": {\"input_dim\": 2, \"global_cond_dim\": 40, \"diffusion_step_embed_dim\": 32, \"down_dims\": [32, 64],"
    " \"kernel_size\": 5, \"n_groups\": 8, \"cond_predict_scale\": true},"
    " \"policy\": {\"horizon\": 16, \"n_obs_steps\": 2, \"n_action_steps\": 8, \"obs_dim\": 20, \"action_dim\": 2,"
    " \"num_train_timesteps\": 100}}";

// An image policy: 40 x 40 camera frames cropped to 32, a width-8 encoder, agent_pos.
static const char *image_config =
    "{\"model\": {\"input_dim\": 2, \"global_cond_dim\": 132, \"diffusion_step_embed_dim\": 32, \"down_dims\": [32, 64],"
    " \"kernel_size\": 5, \"n_groups\": 8, \"cond_predict_scale\": true},"
    " \"policy\": {\"horizon\": 16, \"n_obs_steps\": 2, \"n_action_steps\": 8, \"obs_dim\": 2, \"action_dim\": 2,"
    " \"num_train_timesteps\": 100},"
    " \"encoder\": {\"kind\": \"image\", \"image_height\": 40, \"image_width\": 40, \"crop\": 32, \"width\": 8,"
    " \"group_size\": 8}}";
#define IMAGE_FRAME (3 * 40 * 40 + 2)

// Two cameras (the arm tasks' image policies), each its own encoder, 9 low-dim features.
static const char *image_config_2cam =
    "{\"model\": {\"input_dim\": 2, \"global_cond_dim\": 274, \"diffusion_step_embed_dim\": 32, \"down_dims\": [32, 64],"
    " \"kernel_size\": 5, \"n_groups\": 8, \"cond_predict_scale\": true},"
    " \"policy\": {\"horizon\": 16, \"n_obs_steps\": 2, \"n_action_steps\": 8, \"obs_dim\": 9, \"action_dim\": 2,"
    " \"num_train_timesteps\": 100},"
    " \"encoder\": {\"kind\": \"image\", \"cameras\": [\"agentview_image\", \"robot0_eye_in_hand_image\"],"
    " \"image_height\": 40, \"image_width\": 40, \"crop\": 32, \"width\": 8, \"group_size\": 8}}";
#define IMAGE_FRAME_2CAM (2 * 3 * 40 * 40 + 9)

// Random weights; normalizers map [0, 512] to [-1, 1]. A NaN in the first weight when asked.
static int write_config_policy(const char *config, const char *path, const char *const *metadata, int poison) {
  Policy p;
  if (policy_init(&p, config, "tiny")) return ODP_ERR;
  unet_init_params(&p.unet, p.params, metadata ? 8 : 7);  // a student's weights differ from its teacher's
  obs_encoder_init_params(&p.encoder, &p.table, p.params, 11);
  for (int j = 0; j < p.shape.lowdim_dim; j++) p.obs_norm.scale[j] = 2.0f / 512, p.obs_norm.offset[j] = -1;
  for (int j = 0; j < 2; j++) p.action_norm.scale[j] = 2.0f / 512, p.action_norm.offset[j] = -1;
  policy_store_normalizers(&p, p.params);
  if (poison) p.params[p.unet.stage[0].res.block[0].conv_w] = NAN;  // down_modules.0.0.blocks.0.block.0.weight
  int rc = policy_save(&p, p.params, path, metadata);
  policy_free(&p);
  return rc;
}

static int write_policy(const char *path, const char *const *metadata, int poison) {
  return write_config_policy(tiny_config, path, metadata, poison);
}

// max |a - b| over the action range (actions are in [0, 512] pixels).
static double max_diff(const float *a, const float *b, long n) {
  double m = 0;
  for (long i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
  return m;
}

// frame: raw floats per observation frame (an image policy's: the (3, H, W) image in [0, 1]
// first, then the low-dim part).
static void compare_frames(const char *path, const char *sampler, int B, WeightFormat fmt, double tol, int frame,
                           int lowdim) {
  Policy train, infer;
  CHECK(policy_load(&train, path) == 0, "%s", odp_error());
  CHECK(policy_load_inference(&infer, path, fmt) == 0, "%s", odp_error());
  CHECK(infer.params == NULL && infer.infer != NULL, "inference policy keeps no parameter buffer");
  SamplerSpec s;
  sampler_parse(&s, sampler);
  long nobs = (long)B * 2 * frame, nact = (long)B * 8 * 2;
  float *obs = malloc(nobs * 4), *a1 = malloc(nact * 4), *a2 = malloc(nact * 4);
  rng_fill_normal(rng_make(9, 1), 0, obs, nobs);
  for (long i = 0; i < nobs; i++)
    obs[i] = i % frame >= frame - lowdim ? 256 + 60 * obs[i] : 0.5f + 0.2f * obs[i];  // low-dim px, pixels
  CHECK(policy_predict(&train, &s, obs, B, 42, a1) == 0, "%s", odp_error());
  CHECK(policy_predict(&infer, &s, obs, B, 42, a2) == 0, "%s", odp_error());
  double d = max_diff(a1, a2, nact);
  printf("%s%s B %d %s: max action difference %.2e px\n", frame > lowdim ? "image policy " : "", sampler, B,
         fmt ? "bf16" : "f32", d);
  CHECK(d < tol, "%s B %d %s: actions differ by %g px (tol %g)", sampler, B, fmt ? "bf16" : "f32", d, tol);
  free(obs), free(a1), free(a2);
  policy_free(&train), policy_free(&infer);
}

// policy_predict_rows: a batch of independent requests, each with its own seed, gets what
// each request alone (batch 1, its seed) gets.
static void check_rows(const char *path, const char *sampler, int packed) {
  Policy p;
  CHECK((packed ? policy_load_inference(&p, path, WEIGHTS_F32) : policy_load(&p, path)) == 0, "%s", odp_error());
  SamplerSpec s;
  sampler_parse(&s, sampler);
  enum { B = 3 };
  const uint64_t seeds[B] = {11, 2222, 333333};
  float obs[B * 40], rows[B * 16], one[16];
  rng_fill_normal(rng_make(4, 1), 0, obs, B * 40);
  for (int i = 0; i < B * 40; i++) obs[i] = 256 + 60 * obs[i];
  CHECK(policy_predict_rows(&p, &s, obs, B, seeds, rows) == 0, "%s", odp_error());
  double worst = 0;
  for (int b = 0; b < B; b++) {
    CHECK(policy_predict(&p, &s, obs + b * 40, 1, seeds[b], one) == 0, "%s", odp_error());
    worst = fmax(worst, max_diff(one, rows + b * 16, 16));
  }
  printf("%s %s: batched rows vs batch-1 calls, max difference %.2e px\n", sampler, packed ? "packed" : "training", worst);
  CHECK(worst < 1e-3, "%s: rows differ from their batch-1 calls by %g px", sampler, worst);
  policy_free(&p);
}

static void compare(const char *path, const char *sampler, int B, WeightFormat fmt, double tol) {
  compare_frames(path, sampler, B, fmt, tol, 20, 20);
}

int main(void) {
  char diffusion[] = "/tmp/onedp_policy_infer_XXXXXX", student[] = "/tmp/onedp_policy_infer_XXXXXX",
       poisoned[] = "/tmp/onedp_policy_infer_XXXXXX";
  const char *const student_meta[] = {"generator_timestep", "65", "stochastic", "1", NULL};
  int fds[3] = {mkstemp(diffusion), mkstemp(student), mkstemp(poisoned)};
  for (int i = 0; i < 3; i++) close(fds[i]);
  CHECK(write_policy(diffusion, NULL, 0) == 0, "%s", odp_error());
  CHECK(write_policy(student, student_meta, 0) == 0, "%s", odp_error());
  CHECK(write_policy(poisoned, NULL, 1) == 0, "%s", odp_error());
  // f32: float rounding only; bf16: the weights' 8-bit mantissa (actions span 512 px).
  for (int B = 1; B <= 4; B += 3) {
    compare(diffusion, "ddim:2", B, WEIGHTS_F32, 1e-2);
    compare(student, "onestep", B, WEIGHTS_F32, 1e-2);
    compare(student, "onestep", B, WEIGHTS_BF16, 5.0);
  }
  check_rows(diffusion, "ddpm:4", 1);
  check_rows(diffusion, "ddim:2", 0);
  check_rows(student, "onestep", 1);
  // An image policy: the packed camera encoder against the training layers, then the U-Net.
  char image[] = "/tmp/onedp_policy_infer_XXXXXX";
  close(mkstemp(image));
  CHECK(write_config_policy(image_config, image, student_meta, 0) == 0, "%s", odp_error());
  for (int B = 1; B <= 3; B += 2) compare_frames(image, "onestep", B, WEIGHTS_F32, 1e-2, IMAGE_FRAME, 2);
  CHECK(write_config_policy(image_config_2cam, image, student_meta, 0) == 0, "%s", odp_error());
  for (int B = 1; B <= 3; B += 2) compare_frames(image, "onestep", B, WEIGHTS_F32, 1e-2, IMAGE_FRAME_2CAM, 9);
  unlink(image);
  Policy p;
  // Camera lists a policy refuses, each with the field named.
  const char *bad_cameras[][2] = {{"[]", "needs a camera"}, {"[\"a\", \"a\"]", "twice"},
                                  {"[\"Agent view\"]", "not a camera name"}, {"[\"a\", \"b\", \"c\", \"d\", \"e\"]", "at most 4"}};
  for (int i = 0; i < 4; i++) {
    char config[2048];
    snprintf(config, sizeof config, "%.*s\"cameras\": %s, %s", (int)(strstr(image_config_2cam, "\"cameras\"") - image_config_2cam),
             image_config_2cam, bad_cameras[i][0], strstr(image_config_2cam, "\"image_height\""));
    CHECK(policy_init(&p, config, "bad") != 0 && strstr(odp_error(), "encoder.cameras") &&
              strstr(odp_error(), bad_cameras[i][1]), "cameras %s: %s", bad_cameras[i][0], odp_error());
  }
  CHECK(policy_load_inference(&p, poisoned, WEIGHTS_F32) != 0 && strstr(odp_error(), "not finite") &&
            strstr(odp_error(), "model.down_modules.0.0.blocks.0.block.0.weight"),
        "a NaN weight is rejected with its tensor named: %s", odp_error());
  CHECK(policy_load_inference(&p, "/nonexistent.safetensors", WEIGHTS_F32) != 0, "missing file rejected");
  WeightFormat fmt;
  CHECK(weight_format_parse(&fmt, "f16") != 0 && strstr(odp_error(), "f16"), "unknown format rejected: %s", odp_error());
  CHECK(weight_format_parse(&fmt, "bf16") == 0 && fmt == WEIGHTS_BF16, "bf16 parsed");
  // A one-step student's network is built for its timestep: a diffusion sampler is refused.
  CHECK(policy_load_inference(&p, student, WEIGHTS_F32) == 0, "%s", odp_error());
  SamplerSpec s;
  sampler_parse(&s, "ddim:2");
  float obs[40] = {0}, act[16];
  CHECK(policy_predict(&p, &s, obs, 1, 1, act) != 0 && strstr(odp_error(), "time input 65"),
        "other timesteps refused: %s", odp_error());
  // onestep:2 (its packed network refused above for the same reason) on the training
  // network: a second call re-noises the chunk, so it differs from onestep, stays within the
  // action range the clip allows and repeats for the same seed.
  CHECK(sampler_parse(&s, "onestep:2:7") == 0 && s.steps == 2 && s.refine_level == 7, "%s", odp_error());
  char name[32];
  CHECK(!strcmp(sampler_name(&s, name, sizeof name), "onestep:2:7"), "onestep:2:7 named %s", name);
  CHECK(policy_check_sampler(&p, &s) != 0 && strstr(odp_error(), "training network"), "%s", odp_error());
  policy_free(&p);
  CHECK(policy_load(&p, student) == 0 && policy_check_sampler(&p, &s) == 0, "%s", odp_error());
  float one[16], two[16], again[16];
  SamplerSpec single;
  sampler_parse(&single, "onestep");
  CHECK(policy_predict(&p, &single, obs, 1, 5, one) == 0 && policy_predict(&p, &s, obs, 1, 5, two) == 0 &&
            policy_predict(&p, &s, obs, 1, 5, again) == 0, "%s", odp_error());
  double moved = max_diff(one, two, 16), lo = 1e9, hi = -1e9;
  for (int i = 0; i < 16; i++) lo = fmin(lo, two[i]), hi = fmax(hi, two[i]);
  printf("onestep:2:7 moves the chunk by up to %.2f px; actions in [%.1f, %.1f]\n", moved, lo, hi);
  CHECK(moved > 1e-3 && max_diff(two, again, 16) == 0, "onestep:2: moved %g, repeat differs", moved);
  CHECK(lo >= -1e-3 && hi <= 512 + 1e-3, "onestep:2 ends in the clip's range: [%g, %g]", lo, hi);
  // Refined by a teacher: its network takes the second call (the student's packed network
  // is then fine: it runs at k* only); a student is refused as a refiner.
  Policy teacher, packed;
  CHECK(policy_load(&teacher, diffusion) == 0 && policy_set_refiner(&p, &p) != 0 &&
            strstr(odp_error(), "diffusion policy") && policy_set_refiner(&p, &teacher) == 0,
        "%s", odp_error());
  float refined[16];
  CHECK(policy_predict(&p, &s, obs, 1, 5, refined) == 0, "%s", odp_error());
  CHECK(max_diff(refined, two, 16) > 1e-3, "the refiner's call differs from the student's own");
  CHECK(policy_load_inference(&packed, student, WEIGHTS_F32) == 0 && policy_set_refiner(&packed, &teacher) == 0 &&
            policy_check_sampler(&packed, &s) == 0 && policy_predict(&packed, &s, obs, 1, 5, two) == 0,
        "%s", odp_error());
  printf("onestep:2:7 refined by the teacher: packed student vs training network %.2e px\n", max_diff(refined, two, 16));
  CHECK(max_diff(refined, two, 16) < 1e-2, "packed student with refiner differs by %g px", max_diff(refined, two, 16));
  policy_free(&packed), policy_free(&teacher);
  policy_free(&p);
  unlink(diffusion), unlink(student), unlink(poisoned);
  TEST_MAIN_END();
}
