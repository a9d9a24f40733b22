// Conv2d over images laid out (C, H, W, B): channel-major, then rows, columns, batch
// innermost — the 1-d layers' (C, T, B) with T = H * W, so GroupNorm, ReLU and the
// per-channel bias helpers of src/nn/conv1d.h apply to images unchanged.
// The weight is PyTorch's (Cout, Cin, K, K) row-major, i.e. one (Cout x Cin*K*K) matrix:
// the convolution is one GEMM against the input's im2col matrix (Cin*K*K, Hout*Wout*B)
// (a 1x1 stride-1 convolution multiplies the input itself).
//
// out[co, y, x, b] = bias[co] + sum_{ci,i,j} W[co, ci, i, j] * in[ci, y*s + i - p, x*s + j - p, b]
// (zero outside the image).
#pragma once

typedef struct {
  int cin, cout, kernel, stride, pad;
} Conv2dShape;

static inline int conv2d_out_size(Conv2dShape s, int n) { return (n + 2 * s.pad - s.kernel) / s.stride + 1; }

// Scratch floats the calls below need for an (h, w) input at batch B (0 for 1x1 stride 1).
long conv2d_scratch_floats(Conv2dShape s, int h, int w, int B);

// out (Cout, Hout, Wout, B) = conv(in (Cin, h, w, B)) + bias (Cout, may be NULL). Overwrites out.
void conv2d_forward(float *out, const float *in, const float *weight, const float *bias, Conv2dShape s, int h, int w,
                    int B, float *scratch);

// Accumulates din (may be NULL), dweight and dbias (may be NULL) from dout (Cout, Hout, Wout, B).
void conv2d_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                     const float *weight, Conv2dShape s, int h, int w, int B, float *scratch);
