// Consistency Policy's map G(x, t, s) = a x + b F(c_in x, [c_noise(t), c_noise(s)])
// (diffusion/consistency.h) on a U-Net of two time inputs, forward and backward, per chunk
// of a batch: what the trainer (distill/consistency.c) composes and tests/test_nn_grad.c
// checks by finite differences.
#pragma once
#include "diffusion/consistency.h"
#include "model/unet1d.h"

typedef struct {
  const Unet *u;  // time_inputs 2
  const float *params;
  UnetActs *acts;      // (B, T): the last forward's, read by the backward
  const float *cond;   // (B, Gc)
  int B;
  long per;            // T Da
  float *z, *f, *dz;   // (B, per) scratch: the network's input, its output (or dF), d input
  float *times;        // (B, 2) scratch
} CmNet;

// out (B, per) = G(x, t_b, s_b) per chunk; the chunks' coefficients into maps (B). out may alias x.
void cm_net_forward(CmNet *n, const EdmSettings *set, float *out, const float *x, const double *t, const double *s,
                    CmMap *maps);
// From dG (B, per) after that forward: the parameter gradient accumulated into grads and,
// when not NULL, the gradient of x into dx (which may alias dG) and of the conditioning
// into dcond (B, Gc; overwritten).
void cm_net_backward(CmNet *n, float *grads, const CmMap *maps, const float *dG, float *dx, float *dcond);
