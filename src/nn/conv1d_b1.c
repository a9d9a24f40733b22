#include "nn/conv1d_b1.h"

#include <stdlib.h>
#include <string.h>

#define ROWS 4  // output channels per pass: four weight streams, one input row load

// Fused multiply-adds here (C11 mode would issue a multiply and an add): this kernel's
// results may differ from the GEMM path in the last bits, which its test allows for.
#pragma GCC optimize("fp-contract=fast")

#define DEFINE_KERNEL(V)                                                                                     \
  typedef float vec##V __attribute__((vector_size(V * 4)));                                                 \
  /* out rows [co0, co1) = bias + sum_k W_k xpad[:, k : k + T]; xpad rows are Tp floats wide. */            \
  static void rows_v##V(float *out, const float *w, const float *bias, const float *xpad, Conv1dShape s,   \
                        int T, int Tp, int co0, int co1) {                                                 \
    for (int co = co0; co < co1; co += ROWS) {                                                             \
      int rows = co1 - co < ROWS ? co1 - co : ROWS;                                                        \
      vec##V acc[ROWS];                                                                                    \
      for (int r = 0; r < ROWS; r++) {                                                                     \
        float b = bias && r < rows ? bias[co + r] : 0.0f;                                                  \
        for (int i = 0; i < V; i++) acc[r][i] = b;                                                         \
      }                                                                                                    \
      for (int k = 0; k < s.kernel; k++) {                                                                 \
        const float *wk = w + ((long)k * s.cout + co) * s.cin;                                             \
        for (int ci = 0; ci < s.cin; ci++) {                                                               \
          vec##V x;                                                                                        \
          memcpy(&x, xpad + (long)ci * Tp + k, sizeof x);                                                  \
          for (int r = 0; r < rows; r++) acc[r] += wk[(long)r * s.cin + ci] * x;                           \
        }                                                                                                  \
      }                                                                                                    \
      for (int r = 0; r < rows; r++) memcpy(out + (long)(co + r) * T, &acc[r], (size_t)T * sizeof(float)); \
    }                                                                                                      \
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
