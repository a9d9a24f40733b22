// Scratch a sampler needs per call, provided by the caller so that a policy's inference
// allocates nothing after its first call (src/model/policy.c keeps one per batch size).
#pragma once
#include <stdint.h>

typedef struct {
  float *eps;  // (B, per) predicted noise
  float *z;    // (B, per) DDPM variance noise (unused by DDIM)
  float *tb;   // (B) the step's noise level per batch item, as DenoiseFn takes it
  float *x2;   // (B, per) a second-order step's second network output (EDM's Heun; unused by DDPM, DDIM)
  // NULL: every random draw of a call keyed by the call's seed over the whole batch. Else
  // one seed per batch item: item b draws what a batch-1 call keyed by row_seeds[b] draws
  // (a server batching independent sessions: diffusion_noise).
  const uint64_t *row_seeds;
  // Without row_seeds: the call's rows are rows first_row.. of a larger batch keyed by the
  // same seed (a data-parallel rank's share: src/dist/dist.h), and draw there. 0 otherwise.
  long first_row;
} DiffusionWork;
