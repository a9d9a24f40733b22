// Counter-based random numbers: Philox 4x32-10 (Salmon et al. 2011).
// A draw is a pure function of (seed, stream, counter), so results do not depend on
// thread count or on the order in which threads ask: give each purpose its own
// stream (e.g. ODP_STREAM(step, purpose)) and index draws by element.
#pragma once
#include <stdint.h>

typedef struct {
  uint64_t seed;
  uint64_t stream;
} Rng;

static inline Rng rng_make(uint64_t seed, uint64_t stream) {
  Rng r = {seed, stream};
  return r;
}

// Four 32-bit words for block `counter`.
void philox4x32_10(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t out[4]);

// Element `i` of the stream as a float in [0,1) (24 random bits) and as N(0,1)
// (Box-Muller on the element's own block: deterministic per index).
float rng_uniform(Rng r, uint64_t i);
float rng_normal(Rng r, uint64_t i);
uint32_t rng_u32(Rng r, uint64_t i);

// Fill x[0..n) with elements [offset, offset+n) of the stream.
void rng_fill_uniform(Rng r, uint64_t offset, float *x, long n);
void rng_fill_normal(Rng r, uint64_t offset, float *x, long n);

// Stream identifiers built from a step number and a small purpose tag.
#define ODP_STREAM(step, purpose) (((uint64_t)(step) << 8) | (uint64_t)(purpose))
