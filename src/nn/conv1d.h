// Conv1d over activations laid out (C, T, B): channel-major, then time, batch innermost.
// The weight is stored as K per-tap matrices (K, Cout, Cin) (a LAYOUT_TAPS parameter,
// PyTorch's (Cout, Cin, K) in files), so each tap is one GEMM over a shifted view of
// the input: no im2col copy for stride 1.
//
// out[co, t, b] = bias[co] + sum_k sum_ci W[k, co, ci] * in[ci, t*stride + k - pad, b]
// (zero outside [0, Tin)).
#pragma once

typedef struct {
  int cin, cout, kernel, stride, pad;
} Conv1dShape;

static inline int conv1d_out_len(Conv1dShape s, int tin) { return (tin + 2 * s.pad - s.kernel) / s.stride + 1; }

// Scratch floats the calls below need (only strided convolutions use any).
long conv1d_scratch_floats(Conv1dShape s, int tin, int B);

// out (Cout, Tout, B) = conv(in (Cin, Tin, B)) + bias (Cout, may be NULL). Overwrites out.
void conv1d_forward(float *out, const float *in, const float *w, const float *bias, Conv1dShape s, int tin, int B,
                    float *scratch);

// Accumulates din (may be NULL), dw and dbias (may be NULL) from dout (Cout, Tout, B).
void conv1d_backward(float *din, float *dw, float *dbias, const float *dout, const float *in, const float *w,
                     Conv1dShape s, int tin, int B, float *scratch);

// The three linear maps the pair above is made of (shared with ConvTranspose1d):
// out += conv(in); din += conv^T(dout); dw += dout (x) in.
void conv1d_accumulate(float *out, const float *in, const float *w, Conv1dShape s, int tin, int B, float *scratch);
void conv1d_accumulate_transpose(float *din, const float *dout, const float *w, Conv1dShape s, int tin, int B,
                                 float *scratch);
void conv1d_accumulate_weight_grad(float *dw, const float *dout, const float *in, Conv1dShape s, int tin, int B,
                                   float *scratch);

// Per-channel bias broadcast and its gradient over (C, T, B).
void channel_bias_set(float *out, const float *bias, int C, int T, int B);
void channel_bias_grad(float *dbias, const float *dout, int C, int T, int B);
