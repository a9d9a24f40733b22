// MaxPool2d over (C, H, W, B) images (src/nn/conv2d.h's layout), PyTorch's nn.MaxPool2d
// with padding that never wins (implicit -inf). The forward keeps each output's winning
// input position for the backward pass; ties go to the first in row-major window order,
// as PyTorch's CPU kernel does.
#pragma once

typedef struct {
  int kernel, stride, pad;
} Pool2dShape;

static inline int max_pool2d_out_size(Pool2dShape s, int n) { return (n + 2 * s.pad - s.kernel) / s.stride + 1; }

// out (C, Hout, Wout, B) and argmax (same size: the flat input index of each winner).
void max_pool2d_forward(float *out, int *argmax, const float *in, Pool2dShape s, int C, int h, int w, int B);
// Accumulates din (C, h, w, B) += dout routed to the winners.
void max_pool2d_backward(float *din, const float *dout, const int *argmax, long n_out);
