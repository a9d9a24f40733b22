// Matrix products with one narrow side (at most GEMM_NARROW rows or reduction length),
// the shapes of an image encoder's first layers in training: conv2d's im2col GEMMs with
// 16 or 32 output channels (src/nn/conv2d.c). OpenBLAS packs both operands of every call;
// with 16 rows that copy costs as much as the arithmetic, so these kernels read the
// operands in place instead (row-major, leading dimensions as given) and keep a tile of
// the output in registers.
#pragma once

#define GEMM_NARROW 32

// C (M, N) += A (M, K) B (K, N), where A's element (i, k) is a[i * a_row + k * a_col]
// (a_row = K, a_col = 1: A itself; a_row = 1, a_col = M': the transpose of an (M', K) matrix)
// and B's rows are ldb apart, C's ldc.
void gemm_narrow_nn(float *c, long ldc, const float *a, long a_row, long a_col, const float *b, long ldb, int M,
                    long N, int K);

// C (M, K) += A (M, N) B (K, N)^T: dot products of rows over the long side N; rows of A
// lda apart, of B ldb apart, of C ldc apart.
void gemm_narrow_nt(float *c, long ldc, const float *a, long lda, const float *b, long ldb, int M, int K, long N);
