// ConvTranspose1d over (C, T, B) activations: the adjoint of Conv1d, so it reuses
// Conv1d's three maps. PyTorch's weight is (Cin, Cout, K); stored as taps
// (K, Cin, Cout), which is exactly the tap layout of the Conv1d it is the adjoint of
// (that conv maps Cout channels to Cin).
//
// Tout = (Tin - 1) * stride - 2 * pad + K.
#pragma once
#include "nn/conv1d.h"

static inline int conv_transpose1d_out_len(Conv1dShape s, int tin) {
  return (tin - 1) * s.stride - 2 * s.pad + s.kernel;
}

// s describes the transposed conv: s.cin input channels, s.cout output channels.
long conv_transpose1d_scratch_floats(Conv1dShape s, int tin, int B);

// out (Cout, Tout, B) = convT(in (Cin, Tin, B)) + bias (Cout, may be NULL).
void conv_transpose1d_forward(float *out, const float *in, const float *w, const float *bias, Conv1dShape s, int tin,
                              int B, float *scratch);

// Accumulates din (may be NULL), dw, dbias (may be NULL).
void conv_transpose1d_backward(float *din, float *dw, float *dbias, const float *dout, const float *in, const float *w,
                               Conv1dShape s, int tin, int B, float *scratch);
