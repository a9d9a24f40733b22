// MaxPool2d over (C, H, W, B) images (src/nn/conv2d.h's layout), PyTorch's nn.MaxPool2d
// with padding that never wins (implicit -inf). The forward keeps each output's winning
// input position for the backward pass; ties go to the first in row-major window order,
// as PyTorch's CPU kernel does.
#pragma once
#include "nn/nhwc.h"

typedef struct {
  int kernel, stride, pad;
} Pool2dShape;

static inline int max_pool2d_out_size(Pool2dShape s, int n) { return (n + 2 * s.pad - s.kernel) / s.stride + 1; }

// out (C, Hout, Wout, B) and argmax (same size: the flat input index of each winner).
void max_pool2d_forward(float *out, int *argmax, const float *in, Pool2dShape s, int C, int h, int w, int B);
// Accumulates din (C, h, w, B) += dout routed to the winners.
void max_pool2d_backward(float *din, const float *dout, const int *argmax, long n_out);

// Inference over one channels-last image (nn/nhwc.h): out's interior = max-pool of in's.
// The window reads in's zero border as its padding, which equals PyTorch's -inf padding
// only for inputs >= 0 (after a ReLU, where ResNet's stem pools); needs in->pad >= s.pad.
void max_pool2d_nhwc_forward(NhwcImage *out, const NhwcImage *in, Pool2dShape s);
