#include "nn/linear.h"

#include <cblas.h>
#include <string.h>

void linear_forward(float *y, const float *x, const float *w, const float *bias, int B, int Din, int Dout) {
  for (int b = 0; b < B; b++) {
    if (bias) memcpy(y + (long)b * Dout, bias, (size_t)Dout * sizeof *y);
    else memset(y + (long)b * Dout, 0, (size_t)Dout * sizeof *y);
  }
  // One row is a matrix-vector product; GEMM would pack the whole weight matrix first.
  if (B == 1) cblas_sgemv(CblasRowMajor, CblasNoTrans, Dout, Din, 1.0f, w, Din, x, 1, 1.0f, y, 1);
  else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, Dout, Din, 1.0f, x, Din, w, Din, 1.0f, y, Dout);
}

void linear_backward(float *dx, float *dw, float *dbias, const float *dy, const float *x, const float *w, int B,
                     int Din, int Dout) {
  if (dx) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, Din, Dout, 1.0f, dy, Dout, w, Din, 1.0f, dx, Din);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Dout, Din, B, 1.0f, dy, Dout, x, Din, 1.0f, dw, Din);
  if (dbias)
    for (int b = 0; b < B; b++)
      for (int o = 0; o < Dout; o++) dbias[o] += dy[(long)b * Dout + o];
}
