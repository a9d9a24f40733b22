// A training-network U-Net as the samplers' DenoiseFn: the distiller's teacher samples
// (distill/onedp_core.c) and the toy tests'.
#pragma once
#include "core/error.h"
#include "model/unet1d.h"

typedef struct {
  const Unet *u;
  const float *params;
  UnetActs *acts;
  const float *cond;
} UnetDenoiser;

static int unet_denoise(void *ctx, const float *x, const float *t, int batch, float *eps_out) {
  (void)batch;
  UnetDenoiser *d = ctx;
  unet_forward(d->u, d->params, d->acts, eps_out, x, t, d->cond);
  return ODP_OK;
}
