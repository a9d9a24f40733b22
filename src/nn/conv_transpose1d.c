#include "nn/conv_transpose1d.h"

// The forward conv whose adjoint this is: Cout -> Cin channels, over the long sequence.
static Conv1dShape adjoint_conv(Conv1dShape s) {
  Conv1dShape a = {s.cout, s.cin, s.kernel, s.stride, s.pad};
  return a;
}

long conv_transpose1d_scratch_floats(Conv1dShape s, int tin, int B) {
  return conv1d_scratch_floats(adjoint_conv(s), conv_transpose1d_out_len(s, tin), B);
}

void conv_transpose1d_forward(float *out, const float *in, const float *w, const float *bias, Conv1dShape s, int tin,
                              int B, float *scratch) {
  int tout = conv_transpose1d_out_len(s, tin);
  channel_bias_set(out, bias, s.cout, tout, B);
  conv1d_accumulate_transpose(out, in, w, adjoint_conv(s), tout, B, scratch);
}

void conv_transpose1d_backward(float *din, float *dw, float *dbias, const float *dout, const float *in, const float *w,
                               Conv1dShape s, int tin, int B, float *scratch) {
  int tout = conv_transpose1d_out_len(s, tin);
  Conv1dShape a = adjoint_conv(s);
  if (dbias) channel_bias_grad(dbias, dout, s.cout, tout, B);
  // The adjoint conv's "output gradient" is our input, its "input" our output gradient.
  conv1d_accumulate_weight_grad(dw, in, dout, a, tout, B, scratch);
  if (din) conv1d_accumulate(din, dout, w, a, tout, B, scratch);
}
