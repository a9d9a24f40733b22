// FiLM: per-channel scale and bias from a conditioning vector, broadcast over time.
// h (C, T, B); emb (B, 2C) = [scale | bias] per batch item (or (B, C) bias only).
#pragma once

// y (C, T, B) = scale * h + bias (with_scale) or h + bias. y may alias h.
void film_forward(float *y, const float *h, const float *emb, int C, int T, int B, int with_scale);

// Accumulates dh (C, T, B) and demb (B, 2C or C).
void film_backward(float *dh, float *demb, const float *dy, const float *h, const float *emb, int C, int T, int B,
                   int with_scale);
