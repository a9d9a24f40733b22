// Linear: y = x W^T + b, PyTorch's nn.Linear. Rows are batch items.
#pragma once

// y (B, Dout) = x (B, Din) @ w^T (w: (Dout, Din)) + bias (Dout, may be NULL). Overwrites y.
void linear_forward(float *y, const float *x, const float *w, const float *bias, int B, int Din, int Dout);

// Accumulates: dx (B, Din) += dy w (dx may be NULL); dw += dy^T x; dbias += sum_b dy (may be NULL).
void linear_backward(float *dx, float *dw, float *dbias, const float *dy, const float *x, const float *w, int B,
                     int Din, int Dout);
