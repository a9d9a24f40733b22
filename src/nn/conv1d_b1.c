#include "nn/conv1d_b1.h"

#include <stdlib.h>
#include <string.h>

#define ROWS 8  // output channels per pass: eight weight streams share each input row load

// Fused multiply-adds here (C11 mode would issue a multiply and an add): this kernel's
// results may differ from the GEMM path in the last bits, which its test allows for.
#pragma GCC optimize("fp-contract=fast")

#define DEFINE_KERNEL(V)                                                                                     \
  typedef float vec##V __attribute__((vector_size(V * 4)));                                                 \
  /* Loads through a pointer: a 64-byte vector returned by value warns (-Wpsabi) without AVX-512. */    \
  static inline void load##V(vec##V *x, const float *p) { memcpy(x, p, sizeof *x); }                      \
  /* out rows [co, co + 8) = bias + sum_k W_k xpad[:, k : k + T]: eight independent FMA chains   */        \
  /* (enough to hide FMA latency) share each input row load; accumulators stay in registers.      */        \
  static void eight_rows_v##V(float *out, const float *w, const float *bias, const float *xpad, Conv1dShape s, \
                              int T, int Tp, int co) {                                                       \
    vec##V a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};                   \
    const long n = s.cin;                                                                                    \
    for (int k = 0; k < s.kernel; k++) {                                                                     \
      const float *w0 = w + ((long)k * s.cout + co) * n, *x = xpad + k;                                      \
      for (long ci = 0; ci < n; ci++) {                                                                      \
        vec##V xv;                                                                                           \
        load##V(&xv, x + ci * Tp);                                                                           \
        a0 += w0[ci] * xv, a1 += w0[n + ci] * xv, a2 += w0[2 * n + ci] * xv, a3 += w0[3 * n + ci] * xv;      \
        a4 += w0[4 * n + ci] * xv, a5 += w0[5 * n + ci] * xv, a6 += w0[6 * n + ci] * xv,                     \
            a7 += w0[7 * n + ci] * xv;                                                                       \
      }                                                                                                      \
    }                                                                                                        \
    vec##V acc[8] = {a0, a1, a2, a3, a4, a5, a6, a7};                                                        \
    for (int r = 0; r < 8; r++) {                                                                            \
      float b = bias ? bias[co + r] : 0.0f;                                                                  \
      for (int t = 0; t < T; t++) out[(long)(co + r) * T + t] = acc[r][t] + b;                               \
    }                                                                                                        \
  }                                                                                                          \
  static void one_row_v##V(float *out, const float *w, const float *bias, const float *xpad, Conv1dShape s,  \
                           int T, int Tp, int co) {                                                          \
    vec##V a = {0};                                                                                          \
    for (int k = 0; k < s.kernel; k++) {                                                                     \
      const float *w0 = w + ((long)k * s.cout + co) * s.cin, *x = xpad + k;                                  \
      for (int ci = 0; ci < s.cin; ci++) {                                                                   \
        vec##V xv;                                                                                           \
        load##V(&xv, x + (long)ci * Tp);                                                                     \
        a += w0[ci] * xv;                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
    for (int t = 0; t < T; t++) out[(long)co * T + t] = a[t] + (bias ? bias[co] : 0.0f);                     \
  }                                                                                                          \
  static void rows_v##V(float *out, const float *w, const float *bias, const float *xpad, Conv1dShape s,   \
                        int T, int Tp, int co0, int co1) {                                                 \
    int co = co0;                                                                                            \
    for (; co + ROWS <= co1; co += ROWS) eight_rows_v##V(out, w, bias, xpad, s, T, Tp, co);                 \
    for (; co < co1; co++) one_row_v##V(out, w, bias, xpad, s, T, Tp, co);                                  \
  }

DEFINE_KERNEL(4)
DEFINE_KERNEL(8)
DEFINE_KERNEL(16)

int conv1d_b1_supported(Conv1dShape s, int T, int B) {
  return B == 1 && s.stride == 1 && T <= 16 && 2 * s.pad == s.kernel - 1;
}

void conv1d_b1_forward(float *out, const float *in, const float *w, const float *bias, Conv1dShape s, int T) {
  int V = T <= 4 ? 4 : T <= 8 ? 8 : 16;
  int Tp = V + s.kernel - 1;  // every vector load of a tap stays inside the padded row
  float *xpad = calloc((size_t)s.cin * Tp, sizeof(float));
  for (int ci = 0; ci < s.cin; ci++) memcpy(xpad + (long)ci * Tp + s.pad, in + (long)ci * T, (size_t)T * sizeof(float));
  int blocks = (s.cout + ROWS - 1) / ROWS;
#pragma omp parallel for schedule(static) if ((long)s.cout * s.cin * s.kernel > 200000)
  for (int blk = 0; blk < blocks; blk++) {
    int co0 = blk * ROWS, co1 = co0 + ROWS < s.cout ? co0 + ROWS : s.cout;
    if (V == 4) rows_v4(out, w, bias, xpad, s, T, Tp, co0, co1);
    else if (V == 8) rows_v8(out, w, bias, xpad, s, T, Tp, co0, co1);
    else rows_v16(out, w, bias, xpad, s, T, Tp, co0, co1);
  }
  free(xpad);
}
