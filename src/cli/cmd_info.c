// onedp info FILE: what a checkpoint or config holds.
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "io/config.h"
#include "io/safetensors.h"
#include "model/unet_config.h"
#include "model/policy.h"
#include "model/unet_file.h"
#include "train/run_state.h"

static void print_help(void) {
  printf(
      "usage: onedp info FILE.safetensors|CONFIG.json [--tensors]\n\n"
      "Summarises a ConditionalUnet1D: its config, parameter count and size, the cost of\n"
      "one forward pass; for an image policy also its camera encoder and the policy's total\n"
      "parameter count (what PyTorch's policy.parameters() counts). A checkpoint's weights are loaded and validated (names, shapes,\n"
      "finite values) as a policy would load them. A run's train_state.safetensors is\n"
      "read whole and checked the same way (step, buffers, finite values).\n\n"
      "  --tensors   list every tensor with its PyTorch name and shape\n");
}

// A run's train_state.safetensors: its step and buffers, every value read and checked.
static int describe_state(Safetensors *st, const char *path) {
  long step;
  if (run_state_peek(path, &step, NULL)) return ODP_ERR;
  printf("training state: step %ld, %d buffers\n", step, safetensors_count(st));
  for (int i = 0; i < safetensors_count(st); i++) {
    const char *name = safetensors_name(st, i);
    long n = safetensors_numel(st, i);
    float *x = odp_malloc((unsigned long)n * sizeof(float), "training state buffer");
    StateBuffer b = {name, x, n};
    int err = !x || safetensors_read_f32(st, name, x, n) || run_state_check_finite(&b, 1);
    free(x);
    if (err) return odp_fail_context("%s", path);
    printf("  %-20s %ld values\n", name, n);
  }
  printf("values: read and finite\n");
  return ODP_OK;
}

static int describe_policy(const char *path) {
  Policy policy;
  if (policy_load(&policy, path)) return ODP_ERR;
  printf("policy: %s\n", policy.generator_timestep >= 0 ? "one-step student" : "diffusion policy");
  if (policy.train_step >= 0) printf("trained: %ld steps\n", policy.train_step);
  if (policy.generator_timestep >= 0)
    printf("generator: timestep %d, %s\n", policy.generator_timestep,
           policy.stochastic ? "stochastic (OneDP-S)" : "deterministic (OneDP-D)");
  printf("horizon %d, n_obs_steps %d, n_action_steps %d, obs_dim %d, action_dim %d\n", policy.shape.horizon,
         policy.shape.n_obs_steps, policy.shape.n_action_steps, policy.shape.obs_dim, policy.shape.action_dim);
  policy_free(&policy);
  return ODP_OK;
}

// The config JSON of a checkpoint ("config" metadata) or a config file; malloc'd.
static char *config_text(const char *path) {
  Safetensors *st = safetensors_open(path);
  if (st) {
    const char *c = safetensors_metadata(st, "config");
    char *copy = c ? strdup(c) : NULL;
    safetensors_close(st);
    return copy;
  }
  Config *c = config_load(path);
  char *json = c ? config_to_json(c) : NULL;
  config_free(c);
  return json;
}

// An image policy's camera encoder (its config's "encoder" section) and the policy's total:
// the count PyTorch's policy.parameters() gives (U-Net + encoder; the normalizers are buffers).
static void describe_encoder(const char *path, const Unet *u, int tensors) {
  char *json = config_text(path);
  ParamTable t = {0};
  ObsEncoder e;
  if (json && obs_encoder_init(&e, json, path, 1, 1, &t) == ODP_OK && e.kind == OBS_ENCODER_IMAGE) {
    const ImageEncoderConfig *c = &e.image[0].cfg;
    printf("encoder: ResNet-18-GN per camera, width %d, %dx%d crops of %dx%d frames, %d keypoints, %d features\n",
           c->width, c->image_size, c->image_size, e.image_h, e.image_w, c->keypoints, c->feature_dim);
    printf("cameras:");
    for (int i = 0; i < e.n_cameras; i++) printf(" %s", e.camera[i]);
    printf("\nencoder params: %ld\n", t.numel);
    printf("encoder forward (one image): %.3f GMAC\n", image_encoder_forward_macs(&e.image[0]) * 1e-9);
    printf("policy params (U-Net + encoder): %ld\n", u->table.numel + t.numel);
    if (tensors)
      for (int i = 0; i < t.count; i++) {
        char shape[64];
        printf("  %-48s %s\n", t.entries[i].name, shape_str(t.entries[i].ndim, t.entries[i].shape, shape, sizeof shape));
      }
  }
  param_table_free(&t);
  free(json);
}

static int describe_unet(const char *path, int tensors) {
  Unet u;
  float *params = NULL;
  if (unet_open(&u, &params, path)) return ODP_ERR;
  const UnetConfig *c = &u.cfg;
  char *cfg = unet_config_to_json(c);
  printf("model: ConditionalUnet1D\nconfig: %s\n", cfg);
  printf("params: %ld\n", u.table.numel);
  printf("tensors: %d\n", u.table.count);
  printf("f32 size: %.1f MB\n", u.table.numel * 4e-6);
  printf("forward (batch 1, horizon 16): %.3f GMAC\n", unet_forward_macs(&u, 16) * 1e-9);
  if (params) printf("weights: loaded and validated\n");
  if (tensors)
    for (int i = 0; i < u.table.count; i++) {
      const ParamEntry *e = &u.table.entries[i];
      char shape[64];
      printf("  %-48s %s\n", e->name, shape_str(e->ndim, e->shape, shape, sizeof shape));
    }
  describe_encoder(path, &u, tensors);
  free(cfg);
  free(params);
  unet_free(&u);
  return ODP_OK;
}

// By content: a training state (step metadata), a policy (model.* tensors, loaded as
// `onedp eval` would), a bare U-Net checkpoint, or else a JSON config.
static int describe(const char *path, int tensors) {
  size_t n = strlen(path);
  int named_st = n >= 12 && !strcmp(path + n - 12, ".safetensors");
  Safetensors *st = safetensors_open(path);
  if (!st && named_st) return ODP_ERR;
  if (!st) {  // a config: the whole file checked (JSON, finite numbers, no duplicate keys)
    Config *c = config_load(path);
    config_free(c);
    return c ? describe_unet(path, tensors) : ODP_ERR;
  }
  int is_state = safetensors_metadata(st, "step") != NULL;
  int is_policy = !is_state && safetensors_find(st, "model.final_conv.1.bias") >= 0;
  int err = is_state ? describe_state(st, path) : is_policy ? describe_policy(path) : ODP_OK;
  safetensors_close(st);
  if (err || is_state) return err;
  return describe_unet(path, tensors);
}

int cmd_info(int argc, char **argv) {
  if (wants_help(argc, argv)) return print_help(), 0;
  const char *path = arg_positional(argc, argv, NULL);
  if (!path) {
    fprintf(stderr, "onedp info: missing FILE (see onedp info --help)\n");
    return 2;
  }
  if (describe(path, arg_flag(argc, argv, "--tensors"))) {
    fprintf(stderr, "onedp info: %s\n", odp_error());
    return 1;
  }
  return 0;
}
