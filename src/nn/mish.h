// Mish: y = x * tanh(softplus(x)), with one exp per element:
// with e = exp(x) and n = e (e + 2), tanh(log1p(e)) = n / (n + 2).
#pragma once

void mish_forward(float *y, const float *x, long n);
// Accumulates dx += dy * mish'(x).
void mish_backward(float *dx, const float *dy, const float *x, long n);

// The same map with a polynomial exp (Cephes' expf coefficients; relative error of the
// result ~2e-7) in 8-wide vectors, for inference: glibc's expf is one call per element
// and does not vectorise. Close to, not bit-identical with, mish_forward. y may alias x.
void mish_forward_vec(float *y, const float *x, long n);
