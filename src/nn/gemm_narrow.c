#include "nn/gemm_narrow.h"

// Fused multiply-adds: results differ from OpenBLAS's in the last bits (tests allow it).
#pragma GCC optimize("fp-contract=fast")

// Register tiles (AVX-512: 32 vector registers; else 16): nn holds MR rows x NV vectors
// of columns, nt holds MT x KT dot products, each a vector of partial sums.
#if defined(__AVX512F__)
#define LANES 16
#define MR 8
#define MT 4
#define KT 6
#else
#define LANES 8
#define MR 4
#define MT 4
#define KT 3
#endif
#define NV 3

typedef float vecf __attribute__((vector_size(LANES * 4)));
typedef float vecf_u __attribute__((vector_size(LANES * 4), aligned(4)));  // an unaligned access

// ---------------------------------------------------------------- C += A B

// Rows [0, mr) x columns [0, nv * LANES) of C, inlined with constant mr and nv.
static inline __attribute__((always_inline)) void tile_nn(float *c, long ldc, const float *a, long a_row, long a_col,
                                                          const float *b, long ldb, int K, const int mr, const int nv) {
  vecf acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < mr; i++)
#pragma GCC unroll 3
    for (int v = 0; v < nv; v++) acc[i][v] = *(const vecf_u *)(c + i * ldc + v * LANES);
  for (int k = 0; k < K; k++) {
    vecf bv[NV];
#pragma GCC unroll 3
    for (int v = 0; v < nv; v++) bv[v] = *(const vecf_u *)(b + k * ldb + v * LANES);
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++) {
      const float x = a[i * a_row + k * a_col];
#pragma GCC unroll 3
      for (int v = 0; v < nv; v++) acc[i][v] += bv[v] * x;
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < mr; i++)
#pragma GCC unroll 3
    for (int v = 0; v < nv; v++) *(vecf_u *)(c + i * ldc + v * LANES) = acc[i][v];
}

// Every row of one block of nv vectors of columns: the block of B (K x nv vectors) stays
// in L1 while the row tiles pass over it.
static inline __attribute__((always_inline)) void column_block(float *c, long ldc, const float *a, long a_row,
                                                               long a_col, const float *b, long ldb, int M, int K,
                                                               const int nv) {
  int i = 0;
  for (; i + MR <= M; i += MR) tile_nn(c + i * ldc, ldc, a + i * a_row, a_row, a_col, b, ldb, K, MR, nv);
  for (; i < M; i++) tile_nn(c + i * ldc, ldc, a + i * a_row, a_row, a_col, b, ldb, K, 1, nv);
}

void gemm_narrow_nn(float *c, long ldc, const float *a, long a_row, long a_col, const float *b, long ldb, int M,
                    long N, int K) {
  long n = 0;
  for (; n + NV * LANES <= N; n += NV * LANES) column_block(c + n, ldc, a, a_row, a_col, b + n, ldb, M, K, NV);
  for (; n + LANES <= N; n += LANES) column_block(c + n, ldc, a, a_row, a_col, b + n, ldb, M, K, 1);
  for (; n < N; n++)  // the last columns, fewer than a vector
    for (int i = 0; i < M; i++) {
      float s = 0;
      for (int k = 0; k < K; k++) s += a[i * a_row + k * a_col] * b[k * ldb + n];
      c[i * ldc + n] += s;
    }
}

// ---------------------------------------------------------------- C += A B^T

typedef float vec8 __attribute__((vector_size(32)));
typedef float vec4 __attribute__((vector_size(16)));

// The sum of a vector's lanes by halving (a few shuffles, not one extract per lane): a
// tile's dot products end with MT x KT of these, a cost the tile's N / LANES steps amortise.
static inline float lane_sum(vecf v) {
#if LANES == 16
  vec8 h = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
           __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
#else
  vec8 h = v;
#endif
  vec4 q = __builtin_shufflevector(h, h, 0, 1, 2, 3) + __builtin_shufflevector(h, h, 4, 5, 6, 7);
  return (q[0] + q[2]) + (q[1] + q[3]);
}

// C[i][j] for i < mt, j < kt: dot products of A's and B's rows over N.
static inline __attribute__((always_inline)) void tile_nt(float *c, long ldc, const float *a, long lda, const float *b,
                                                          long ldb, long N, const int mt, const int kt) {
  vecf acc[MT][KT] = {{{0}}};
  long n = 0;
  for (; n + LANES <= N; n += LANES) {
    vecf av[MT], bv[KT];
#pragma GCC unroll 4
    for (int i = 0; i < mt; i++) av[i] = *(const vecf_u *)(a + i * lda + n);
#pragma GCC unroll 6
    for (int j = 0; j < kt; j++) bv[j] = *(const vecf_u *)(b + j * ldb + n);
#pragma GCC unroll 4
    for (int i = 0; i < mt; i++)
#pragma GCC unroll 6
      for (int j = 0; j < kt; j++) acc[i][j] += av[i] * bv[j];
  }
  for (int i = 0; i < mt; i++)
    for (int j = 0; j < kt; j++) {
      float s = lane_sum(acc[i][j]);
      for (long r = n; r < N; r++) s += a[i * lda + r] * b[j * ldb + r];
      c[i * ldc + j] += s;
    }
}

void gemm_narrow_nt(float *c, long ldc, const float *a, long lda, const float *b, long ldb, int M, int K, long N) {
  int i = 0;
  for (; i + MT <= M; i += MT) {
    int j = 0;
    for (; j + KT <= K; j += KT) tile_nt(c + i * ldc + j, ldc, a + i * lda, lda, b + j * ldb, ldb, N, MT, KT);
    for (; j < K; j++) tile_nt(c + i * ldc + j, ldc, a + i * lda, lda, b + j * ldb, ldb, N, MT, 1);
  }
  for (; i < M; i++)
    for (int j = 0; j < K; j++) tile_nt(c + i * ldc + j, ldc, a + i * lda, lda, b + j * ldb, ldb, N, 1, 1);
}
