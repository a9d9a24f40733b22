// Conv2d (no bias) -> GroupNorm -> optional ReLU over (C, H, W, B) images: the unit every
// ResNet layer is built of once BatchNorm is replaced by GroupNorm (Diffusion Policy's
// image encoders). PyTorch names: <conv_name>.weight, <norm_name>.{weight,bias}.
#pragma once
#include "core/arena.h"
#include "core/params.h"
#include "nn/conv2d.h"

typedef struct {
  Conv2dShape conv;
  int groups, relu;
  int h, w, ho, wo;              // input and output sizes
  long conv_w, norm_w, norm_b;  // offsets into the model's buffers
} Conv2dNorm;

typedef struct {
  float *conv;         // (Cout, Ho, Wo, B): GroupNorm's input
  float *out;          // (Cout, Ho, Wo, B): GroupNorm's output, ReLU applied in place
  float *mean, *rstd;  // (G, B)
} Conv2dNormActs;

int conv2d_norm_init(Conv2dNorm *u, ParamTable *t, const char *conv_name, const char *norm_name, Conv2dShape s,
                     int groups, int relu, int h, int w);
void conv2d_norm_acts(Conv2dNormActs *a, Arena *arena, const Conv2dNorm *u, int B);
long conv2d_norm_out_floats(const Conv2dNorm *u, int B);

void conv2d_norm_forward(const Conv2dNorm *u, const float *params, Conv2dNormActs *a, const float *in, int B,
                         float *scratch);

// Accumulates din (may be NULL) and the unit's gradients. tmp holds the unit's output
// size; dout is consumed (overwritten).
void conv2d_norm_backward(const Conv2dNorm *u, const float *params, float *grads, const Conv2dNormActs *a,
                          float *din, float *dout, const float *in, int B, float *tmp, float *scratch);

double conv2d_norm_macs(const Conv2dNorm *u);
