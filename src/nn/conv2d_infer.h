// Conv2d for inference over one channels-last image, with weights packed once so the
// kernel vectorises over output channels and reads its input in place (no im2col).
//
// An image here is (H, W, C) stored inside a zero border of `pad` pixels, (H + 2 pad,
// W + 2 pad, C): a convolution with padding p <= pad reads its taps straight from the
// stored array, and the border of its own output is the padding its consumer needs. In a
// channels-last row the KW taps of a kernel row and their input channels are one
// contiguous run of KW * Cin floats, so the kernel's inner loop streams runs.
//
// Weights are packed in groups of 16, 32 or 64 output channels, each group contiguous as
// [KH][KW * Cin][group width] (zero beyond Cout). The kernel holds a tile of up to 12
// output positions x a group's channels in registers, so each weight vector loaded
// serves the whole tile and each input value broadcast serves the whole group.
// The training layer (src/nn/conv2d.h) computes the same function over (C, H, W, B).
#pragma once
#include "nn/conv2d.h"
#include "nn/nhwc.h"

typedef struct {
  Conv2dShape s;
  const float *w;     // packed weights (conv2d_infer_floats)
  const float *bias;  // (Cout) or NULL
} Conv2dInfer;

// Output channels per packed group for a layer with cout outputs.
int conv2d_infer_group(int cout);
// Floats of packed storage for a conv of this shape.
long conv2d_infer_floats(Conv2dShape s);
// Packs PyTorch-layout weights (Cout, Cin, K, K) into dst (conv2d_infer_floats floats).
void conv2d_infer_pack(float *dst, const float *w, Conv2dShape s);

// out's interior (Hout, Wout, Cout) = conv(in's interior) + bias; out's border is left
// as it is (zero). Needs in->pad >= s.pad, in->c == s.cin, out->c == s.cout.
void conv2d_infer_forward(const Conv2dInfer *c, NhwcImage *out, const NhwcImage *in);
