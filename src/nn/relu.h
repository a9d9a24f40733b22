// ReLU: y = max(x, 0).
#pragma once

// y may alias x.
void relu_forward(float *y, const float *x, long n);
// Accumulates dx += dy where the forward output y > 0 (y, not x: the forward may run in place).
void relu_backward(float *dx, const float *dy, const float *y, long n);
