// nn/gemm_narrow.h against OpenBLAS (cblas_sgemm) on random operands: every tile and edge
// path (rows in and beyond whole register tiles, columns in 3-vector blocks, single vectors
// and a scalar tail), A read as itself and as a transpose, and C += A B^T.
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "nn/gemm_narrow.h"
#include "test.h"

static float *random_matrix(long n, uint64_t seed) {
  float *m = malloc((size_t)n * sizeof *m);
  rng_fill_normal(rng_make(seed, 5), 0, m, n);
  return m;
}

static double max_diff(const float *a, const float *b, long n, double *scale) {
  double d = 0;
  *scale = 0;
  for (long i = 0; i < n; i++) d = fmax(d, fabs((double)a[i] - b[i])), *scale = fmax(*scale, fabs((double)b[i]));
  return d;
}

// C (M, N) += A (M, K) B (K, N), A given as itself or as the transpose of (K, M); C starts nonzero.
static void check_nn(int M, long N, int K, int transposed) {
  float *a = random_matrix((long)M * K, 1), *b = random_matrix((long)K * N, 2);
  float *c = random_matrix((long)M * N, 3), *ref = malloc((size_t)M * N * sizeof *ref);
  for (long i = 0; i < (long)M * N; i++) ref[i] = c[i];
  if (transposed) {  // a holds (K, M)
    gemm_narrow_nn(c, N, a, 1, M, b, N, M, N, K);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, (int)N, K, 1.0f, a, M, b, (int)N, 1.0f, ref, (int)N);
  } else {
    gemm_narrow_nn(c, N, a, K, 1, b, N, M, N, K);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, (int)N, K, 1.0f, a, K, b, (int)N, 1.0f, ref, (int)N);
  }
  double scale, d = max_diff(c, ref, (long)M * N, &scale);
  CHECK(d <= 1e-5 * (1 + scale) * sqrt(K), "nn M %d N %ld K %d%s: max difference %g", M, N, K,
        transposed ? " (A transposed)" : "", d);
  free(a), free(b), free(c), free(ref);
}

// C (M, K) += A (M, N) B (K, N)^T.
static void check_nt(int M, int K, long N) {
  float *a = random_matrix((long)M * N, 4), *b = random_matrix((long)K * N, 5);
  float *c = random_matrix((long)M * K, 6), *ref = malloc((size_t)M * K * sizeof *ref);
  for (long i = 0; i < (long)M * K; i++) ref[i] = c[i];
  gemm_narrow_nt(c, K, a, N, b, N, M, K, N);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, K, (int)N, 1.0f, a, (int)N, b, (int)N, 1.0f, ref, K);
  double scale, d = max_diff(c, ref, (long)M * K, &scale);
  CHECK(d <= 1e-5 * (1 + scale) * sqrt((double)N), "nt M %d K %d N %ld: max difference %g", M, K, N, d);
  free(a), free(b), free(c), free(ref);
}

int main(void) {
  const int rows[] = {1, 5, 8, 16, 21, 32};
  const long cols[] = {1, 15, 16, 47, 48, 100, 257};
  const int depth[] = {1, 3, 16, 147};
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 7; j++)
      for (int k = 0; k < 4; k++) {
        check_nn(rows[i], cols[j], depth[k], 0);
        check_nn(rows[i], cols[j], depth[k], 1);
        check_nt(rows[i], depth[k], cols[j]);
      }
  printf("narrow GEMMs: %d shapes x 3 forms against OpenBLAS\n", 6 * 7 * 4);
  TEST_MAIN_END();
}
