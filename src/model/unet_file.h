// Building a U-Net from what a user points at: a checkpoint (.safetensors with the
// config in its metadata) or a JSON config (the model, or a run config with "model").
#pragma once
#include "model/unet1d.h"

// Reads the config from `path` and initialises u. When path is a checkpoint and
// params_out is not NULL, also loads the weights into a new malloc'd buffer.
int unet_open(Unet *u, float **params_out, const char *path);
