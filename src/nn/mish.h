// Mish: y = x * tanh(softplus(x)), with one exp per element:
// with e = exp(x) and n = e (e + 2), tanh(log1p(e)) = n / (n + 2).
#pragma once

void mish_forward(float *y, const float *x, long n);
// Accumulates dx += dy * mish'(x).
void mish_backward(float *dx, const float *dy, const float *x, long n);
