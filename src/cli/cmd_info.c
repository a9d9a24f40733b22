// onedp info FILE: what a checkpoint or config holds.
#include <stdio.h>
#include <stdlib.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "model/unet_config.h"
#include "model/policy.h"
#include "model/unet_file.h"

static void print_help(void) {
  printf(
      "usage: onedp info FILE.safetensors|CONFIG.json [--tensors]\n\n"
      "Summarises a ConditionalUnet1D: its config, parameter count and size, the cost of\n"
      "one forward pass. A checkpoint's weights are loaded and validated (names, shapes,\n"
      "finite values) as a policy would load them.\n\n"
      "  --tensors   list every tensor with its PyTorch name and shape\n");
}

int cmd_info(int argc, char **argv) {
  if (wants_help(argc, argv)) return print_help(), 0;
  const char *path = arg_positional(argc, argv, NULL);
  if (!path) {
    fprintf(stderr, "onedp info: missing FILE (see onedp info --help)\n");
    return 2;
  }
  Policy policy;
  if (policy_load(&policy, path) == 0) {  // a policy checkpoint: the U-Net lives under "model."
    printf("policy: %s\n", policy.generator_timestep >= 0 ? "one-step student" : "diffusion policy");
    if (policy.generator_timestep >= 0)
      printf("generator: timestep %d, %s\n", policy.generator_timestep,
             policy.stochastic ? "stochastic (OneDP-S)" : "deterministic (OneDP-D)");
    printf("horizon %d, n_obs_steps %d, n_action_steps %d, obs_dim %d, action_dim %d\n", policy.shape.horizon,
           policy.shape.n_obs_steps, policy.shape.n_action_steps, policy.shape.obs_dim, policy.shape.action_dim);
    policy_free(&policy);
  }
  Unet u;
  float *params = NULL;
  if (unet_open(&u, &params, path)) {
    fprintf(stderr, "onedp info: %s\n", odp_error());
    return 1;
  }
  const UnetConfig *c = &u.cfg;
  char *cfg = unet_config_to_json(c);
  printf("model: ConditionalUnet1D\nconfig: %s\n", cfg);
  printf("params: %ld\n", u.table.numel);
  printf("tensors: %d\n", u.table.count);
  printf("f32 size: %.1f MB\n", u.table.numel * 4e-6);
  printf("forward (batch 1, horizon 16): %.3f GMAC\n", unet_forward_macs(&u, 16) * 1e-9);
  if (params) printf("weights: loaded and validated\n");
  if (arg_flag(argc, argv, "--tensors"))
    for (int i = 0; i < u.table.count; i++) {
      const ParamEntry *e = &u.table.entries[i];
      char shape[64];
      printf("  %-48s %s\n", e->name, shape_str(e->ndim, e->shape, shape, sizeof shape));
    }
  free(cfg);
  free(params);
  unet_free(&u);
  return 0;
}
