#include "data/toy.h"

#include <math.h>

#include "core/rng.h"

enum { TOY_PHASE = 1, TOY_MODE = 2, TOY_NOISE = 3 };

static void mode_point(const ToyRing *ring, float phase, int m, float *x, float *y) {
  float a = phase + 2.0f * (float)M_PI * (float)m / (float)ring->modes;
  *x = ring->radius * cosf(a), *y = ring->radius * sinf(a);
}

void toy_ring_batch(const ToyRing *ring, uint64_t seed, long index, int B, float *obs, float *actions, int *mode) {
  Rng phase_rng = rng_make(seed, ODP_STREAM(index, TOY_PHASE)), mode_rng = rng_make(seed, ODP_STREAM(index, TOY_MODE));
  Rng noise_rng = rng_make(seed, ODP_STREAM(index, TOY_NOISE));
  int T = ring->horizon;
  for (int b = 0; b < B; b++) {
    float u = rng_uniform(phase_rng, (uint64_t)b);
    float phase = ring->phases ? 2.0f * (float)M_PI * floorf(u * ring->phases) / (ring->phases * ring->modes)
                               : 2.0f * (float)M_PI * u;
    int m = (int)(rng_u32(mode_rng, (uint64_t)b) % (uint32_t)ring->modes);
    obs[2 * b] = cosf(phase), obs[2 * b + 1] = sinf(phase);
    float x, y;
    mode_point(ring, phase, m, &x, &y);
    for (int t = 0; t < T; t++) {
      long i = ((long)b * T + t) * 2;
      actions[i] = x + ring->noise * rng_normal(noise_rng, (uint64_t)i);
      actions[i + 1] = y + ring->noise * rng_normal(noise_rng, (uint64_t)i + 1);
    }
    if (mode) mode[b] = m;
  }
}

int toy_ring_nearest_mode(const ToyRing *ring, const float *obs, const float *chunk, float *distance) {
  float mx = 0, my = 0;
  for (int t = 0; t < ring->horizon; t++) mx += chunk[2 * t], my += chunk[2 * t + 1];
  mx /= ring->horizon, my /= ring->horizon;
  float phase = atan2f(obs[1], obs[0]);
  int best = 0;
  float best_d = INFINITY;
  for (int m = 0; m < ring->modes; m++) {
    float x, y;
    mode_point(ring, phase, m, &x, &y);
    float d = hypotf(mx - x, my - y);
    if (d < best_d) best_d = d, best = m;
  }
  if (distance) *distance = best_d;
  return best;
}
