// Sinusoidal step embedding (Diffusion Policy's SinusoidalPosEmb): for dim d,
// half = d/2, f_i = exp(-i ln(10000) / (half - 1)), emb = [sin(t f), cos(t f)].
// Parameter-free; the learned MLP after it is built from Linear and Mish.
#pragma once

// emb (B, dim) from t (B): the float timestep of each batch item.
void step_embedding_forward(float *emb, const float *t, int B, int dim);

// Accumulates dt (B) += demb . d emb / dt (timesteps are usually data, but the map is
// differentiable and EDM-style continuous times may need it).
void step_embedding_backward(float *dt, const float *demb, const float *t, int B, int dim);
