// numpy's legacy RandomState (MT19937) for integer seeds: the exact streams
// np.random.RandomState(seed).randint / .randn / .random_sample produce, so that
// PushT resets reproduce the reference's seeded initial states bit for bit.
#pragma once
#include <stdint.h>

typedef struct {
  uint32_t key[624];
  int pos;
  int has_gauss;  // legacy gauss caches the second value of each polar pair
  double gauss;
} NpRandom;

// RandomState(seed) for an integer seed in [0, 2^32): init_genrand.
void np_random_seed(NpRandom *r, uint32_t seed);
uint32_t np_random_u32(NpRandom *r);
// random_sample(): 53-bit double in [0, 1).
double np_random_double(NpRandom *r);
// randint(low, high): uniform integer in [low, high) by masked rejection.
int64_t np_random_randint(NpRandom *r, int64_t low, int64_t high);
// randn(): polar Box-Muller, second value cached for the next call.
double np_random_gauss(NpRandom *r);
