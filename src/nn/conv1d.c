#include "nn/conv1d.h"

#include "nn/conv1d_b1.h"

#include <cblas.h>
#include <string.h>

// Output positions [t0, t1) that tap k reads from inside the input; input time = t*stride + d.
typedef struct {
  int t0, t1, d;
} TapRange;

static inline int div_floor(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

static TapRange tap_range(Conv1dShape s, int tin, int tout, int k) {
  TapRange r;
  r.d = k - s.pad;
  r.t0 = -div_floor(r.d, s.stride);  // ceil(-d / stride)
  if (r.t0 < 0) r.t0 = 0;
  r.t1 = div_floor(tin - 1 - r.d, s.stride) + 1;
  if (r.t1 > tout) r.t1 = tout;
  return r;
}

long conv1d_scratch_floats(Conv1dShape s, int tin, int B) {
  return s.stride == 1 ? 0 : (long)(s.cin > s.cout ? s.cin : s.cout) * conv1d_out_len(s, tin) * B;
}

// col (Cin, n, B) = in[:, t*stride + d, :] for t in [t0, t1): strided taps gather first.
static void gather_tap(float *col, const float *in, Conv1dShape s, int tin, int B, TapRange r) {
  int n = r.t1 - r.t0;
  for (int ci = 0; ci < s.cin; ci++)
    for (int t = r.t0; t < r.t1; t++)
      memcpy(col + ((long)ci * n + (t - r.t0)) * B, in + ((long)ci * tin + t * s.stride + r.d) * B,
             (size_t)B * sizeof *col);
}

static void scatter_add_tap(float *din, const float *col, Conv1dShape s, int tin, int B, TapRange r) {
  int n = r.t1 - r.t0;
  for (int ci = 0; ci < s.cin; ci++)
    for (int t = r.t0; t < r.t1; t++) {
      float *dst = din + ((long)ci * tin + t * s.stride + r.d) * B;
      const float *src = col + ((long)ci * n + (t - r.t0)) * B;
      for (int b = 0; b < B; b++) dst[b] += src[b];
    }
}

// The input columns tap k reads, as a (Cin x n) matrix view: a shifted view of `in` for
// stride 1, the gathered copy in scratch otherwise. Returns the view; *ld its row stride.
static const float *tap_input(const float *in, Conv1dShape s, int tin, int B, TapRange r, float *scratch, int *ld) {
  if (s.stride == 1) {
    *ld = tin * B;
    return in + (long)(r.t0 + r.d) * B;
  }
  gather_tap(scratch, in, s, tin, B, r);
  *ld = (r.t1 - r.t0) * B;
  return scratch;
}

void conv1d_accumulate(float *out, const float *in, const float *w, Conv1dShape s, int tin, int B, float *scratch) {
  int tout = conv1d_out_len(s, tin);
  for (int k = 0; k < s.kernel; k++) {
    TapRange r = tap_range(s, tin, tout, k);
    if (r.t1 <= r.t0) continue;
    int n = (r.t1 - r.t0) * B;
    const float *wk = w + (long)k * s.cout * s.cin;
    int ld_src;
    const float *src = tap_input(in, s, tin, B, r, scratch, &ld_src);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.cout, n, s.cin, 1.0f, wk, s.cin, src, ld_src, 1.0f,
                out + (long)r.t0 * B, tout * B);
  }
}

void conv1d_accumulate_transpose(float *din, const float *dout, const float *w, Conv1dShape s, int tin, int B,
                                 float *scratch) {
  int tout = conv1d_out_len(s, tin);
  for (int k = 0; k < s.kernel; k++) {
    TapRange r = tap_range(s, tin, tout, k);
    if (r.t1 <= r.t0) continue;
    int n = (r.t1 - r.t0) * B;
    const float *wk = w + (long)k * s.cout * s.cin;
    const float *g = dout + (long)r.t0 * B;
    if (s.stride == 1) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s.cin, n, s.cout, 1.0f, wk, s.cin, g, tout * B, 1.0f,
                  din + (long)(r.t0 + r.d) * B, tin * B);
    } else {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s.cin, n, s.cout, 1.0f, wk, s.cin, g, tout * B, 0.0f,
                  scratch, n);
      scatter_add_tap(din, scratch, s, tin, B, r);
    }
  }
}

void conv1d_accumulate_weight_grad(float *dw, const float *dout, const float *in, Conv1dShape s, int tin, int B,
                                   float *scratch) {
  int tout = conv1d_out_len(s, tin);
  for (int k = 0; k < s.kernel; k++) {
    TapRange r = tap_range(s, tin, tout, k);
    if (r.t1 <= r.t0) continue;
    int n = (r.t1 - r.t0) * B;
    int ld_src;
    const float *src = tap_input(in, s, tin, B, r, scratch, &ld_src);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.cout, s.cin, n, 1.0f, dout + (long)r.t0 * B, tout * B,
                src, ld_src, 1.0f, dw + (long)k * s.cout * s.cin, s.cin);
  }
}

void channel_bias_set(float *out, const float *bias, int C, int T, int B) {
  long row = (long)T * B;
  for (int c = 0; c < C; c++) {
    float v = bias ? bias[c] : 0.0f;
    float *o = out + c * row;
    for (long i = 0; i < row; i++) o[i] = v;
  }
}

void channel_bias_grad(float *dbias, const float *dout, int C, int T, int B) {
  long row = (long)T * B;
  for (int c = 0; c < C; c++) {
    double sum = 0;
    const float *g = dout + c * row;
    for (long i = 0; i < row; i++) sum += g[i];
    dbias[c] += (float)sum;
  }
}

void conv1d_forward(float *out, const float *in, const float *w, const float *bias, Conv1dShape s, int tin, int B,
                    float *scratch) {
  if (conv1d_b1_supported(s, tin, B)) {
    conv1d_b1_forward(out, in, w, bias, s, tin);
    return;
  }
  channel_bias_set(out, bias, s.cout, conv1d_out_len(s, tin), B);
  conv1d_accumulate(out, in, w, s, tin, B, scratch);
}

void conv1d_backward(float *din, float *dw, float *dbias, const float *dout, const float *in, const float *w,
                     Conv1dShape s, int tin, int B, float *scratch) {
  if (dbias) channel_bias_grad(dbias, dout, s.cout, conv1d_out_len(s, tin), B);
  conv1d_accumulate_weight_grad(dw, dout, in, s, tin, B, scratch);
  if (din) conv1d_accumulate_transpose(din, dout, w, s, tin, B, scratch);
}
