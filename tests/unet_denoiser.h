// A U-Net as the samplers' DenoiseFn, for tests that sample from a trained toy model.
#pragma once
#include <stdlib.h>

#include "core/error.h"
#include "model/unet1d.h"

typedef struct {
  const Unet *u;
  const float *params;
  UnetActs *acts;
  const float *cond;
} UnetDenoiser;

static int unet_denoise(void *ctx, const float *x, const int *t, int batch, float *eps_out) {
  UnetDenoiser *d = ctx;
  float *tf = malloc((size_t)batch * sizeof *tf);
  for (int b = 0; b < batch; b++) tf[b] = (float)t[b];
  unet_forward(d->u, d->params, d->acts, eps_out, x, tf, d->cond);
  free(tf);
  return ODP_OK;
}
