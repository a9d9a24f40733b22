// UnetConfig <-> JSON, with the reference's key names, so that a checkpoint's
// "config" metadata reads the same in onedp and in PyTorch:
// {"input_dim": 2, "global_cond_dim": 40, "diffusion_step_embed_dim": 256,
//  "down_dims": [256, 512, 1024], "kernel_size": 5, "n_groups": 8, "cond_predict_scale": true}
#pragma once
#include "model/unet1d.h"

// The run-config keys of the "model" section, NULL-terminated.
extern const char *const unet_config_keys[];

// Parses the model config from a JSON object string; `where` names the source in errors.
int unet_config_from_json(UnetConfig *cfg, const char *json, const char *where);

// Malloc'd JSON string.
char *unet_config_to_json(const UnetConfig *cfg);
