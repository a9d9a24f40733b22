// A conditional multimodal action distribution for tests and demos: the observation is
// a phase phi (given as (cos phi, sin phi), continuous or one of a few values); the action chunk is one of `modes` points
// on a circle of radius r at angles phi + 2 pi m / modes (m uniform), held for the whole
// horizon, plus N(0, noise^2) per element. A policy that fits it must be conditional
// and multimodal; one that averages lands in the middle.
#pragma once
#include <stdint.h>

typedef struct {
  int modes;
  int phases;  // 0: phi uniform on the circle; P > 0: phi uniform on {0, 1/P, ..., (P-1)/P} x 2 pi / modes
  float radius, noise;
  int horizon;  // T; action dim is 2
} ToyRing;

// Batch `index` of B samples: obs (B, 2), actions (B, T, 2); mode (B) may be NULL.
void toy_ring_batch(const ToyRing *ring, uint64_t seed, long index, int B, float *obs, float *actions, int *mode);

// Index of the mode nearest to the chunk's mean point, and its distance.
int toy_ring_nearest_mode(const ToyRing *ring, const float *obs, const float *chunk, float *distance);
