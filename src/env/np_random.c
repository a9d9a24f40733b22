// Port of numpy/random/src/mt19937 and the legacy distributions (randomkit).
#include "env/np_random.h"

#include <math.h>

#define MT_N 624
#define MT_M 397

void np_random_seed(NpRandom *r, uint32_t seed) {
  for (int i = 0; i < MT_N; i++) {
    r->key[i] = seed;
    seed = 1812433253u * (seed ^ (seed >> 30)) + (uint32_t)i + 1u;
  }
  r->pos = MT_N;
  r->has_gauss = 0;
  r->gauss = 0.0;
}

static void mt_regenerate(NpRandom *r) {
  const uint32_t upper = 0x80000000u, lower = 0x7fffffffu, matrix_a = 0x9908b0dfu;
  uint32_t *k = r->key;
  int i = 0;
  for (; i < MT_N - MT_M; i++) {
    uint32_t y = (k[i] & upper) | (k[i + 1] & lower);
    k[i] = k[i + MT_M] ^ (y >> 1) ^ (-(y & 1u) & matrix_a);
  }
  for (; i < MT_N - 1; i++) {
    uint32_t y = (k[i] & upper) | (k[i + 1] & lower);
    k[i] = k[i + (MT_M - MT_N)] ^ (y >> 1) ^ (-(y & 1u) & matrix_a);
  }
  uint32_t y = (k[MT_N - 1] & upper) | (k[0] & lower);
  k[MT_N - 1] = k[MT_M - 1] ^ (y >> 1) ^ (-(y & 1u) & matrix_a);
  r->pos = 0;
}

uint32_t np_random_u32(NpRandom *r) {
  if (r->pos == MT_N) mt_regenerate(r);
  uint32_t y = r->key[r->pos++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

double np_random_double(NpRandom *r) {
  int32_t a = (int32_t)(np_random_u32(r) >> 5), b = (int32_t)(np_random_u32(r) >> 6);
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

// Smallest all-ones mask covering max.
static uint64_t mask_for(uint64_t max) {
  uint64_t m = max;
  m |= m >> 1;
  m |= m >> 2;
  m |= m >> 4;
  m |= m >> 8;
  m |= m >> 16;
  m |= m >> 32;
  return m;
}

int64_t np_random_randint(NpRandom *r, int64_t low, int64_t high) {
  uint64_t rng = (uint64_t)(high - 1 - low);  // inclusive range, as numpy's _rand_int64
  if (high - 1 <= low) return low;
  if (rng <= 0xffffffffu) {
    // ranges that fit 32 bits draw one 32-bit word per try
    uint32_t mask = (uint32_t)mask_for(rng), v;
    if (rng == 0xffffffffu) return low + (int64_t)np_random_u32(r);
    while ((v = np_random_u32(r) & mask) > rng) {
    }
    return low + (int64_t)v;
  }
  uint64_t mask = mask_for(rng), v;
  do {
    uint64_t hi = np_random_u32(r);
    v = ((hi << 32) | np_random_u32(r)) & mask;
  } while (v > rng);
  return low + (int64_t)v;
}

double np_random_gauss(NpRandom *r) {
  if (r->has_gauss) {
    r->has_gauss = 0;
    double g = r->gauss;
    r->gauss = 0.0;
    return g;
  }
  double x1, x2, r2;
  do {
    x1 = 2.0 * np_random_double(r) - 1.0;
    x2 = 2.0 * np_random_double(r) - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  double f = sqrt(-2.0 * log(r2) / r2);
  r->gauss = f * x1;
  r->has_gauss = 1;
  return f * x2;
}
