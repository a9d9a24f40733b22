#include "core/rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline void mulhilo(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo) {
  uint64_t p = (uint64_t)a * b;
  *hi = (uint32_t)(p >> 32);
  *lo = (uint32_t)p;
}

void philox4x32_10(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t out[4]) {
  uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32);
  uint32_t c2 = (uint32_t)stream, c3 = (uint32_t)(stream >> 32);
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int round = 0; round < 10; round++) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(PHILOX_M0, c0, &hi0, &lo0);
    mulhilo(PHILOX_M1, c2, &hi1, &lo1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0, c1 = n1, c2 = n2, c3 = n3;
    k0 += PHILOX_W0;
    k1 += PHILOX_W1;
  }
  out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

// Element i lives in block i/4, word i%4 (uniform); normals use one block each
// (two words per uniform pair, Box-Muller), so element i is block i.
static inline float u32_to_unit(uint32_t w) { return (float)(w >> 8) * (1.0f / 16777216.0f); }

uint32_t rng_u32(Rng r, uint64_t i) {
  uint32_t w[4];
  philox4x32_10(r.seed, r.stream, i >> 2, w);
  return w[i & 3];
}

float rng_uniform(Rng r, uint64_t i) { return u32_to_unit(rng_u32(r, i)); }

static inline float normal_from_block(const uint32_t w[4]) {
  // u1 in (0,1]: never log(0).
  double u1 = ((double)(w[0] >> 8) + 1.0) * (1.0 / 16777216.0);
  double u2 = (double)w[1] * (1.0 / 4294967296.0);
  return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

float rng_normal(Rng r, uint64_t i) {
  uint32_t w[4];
  philox4x32_10(r.seed, r.stream ^ 0x8000000000000000ull, i, w);
  return normal_from_block(w);
}

void rng_fill_uniform(Rng r, uint64_t offset, float *x, long n) {
  for (long j = 0; j < n; j++) x[j] = rng_uniform(r, offset + (uint64_t)j);
}

void rng_fill_normal(Rng r, uint64_t offset, float *x, long n) {
  for (long j = 0; j < n; j++) x[j] = rng_normal(r, offset + (uint64_t)j);
}
