// Env seed arguments of `onedp eval`: a half-open range "A:B" (seeds A..B-1, like
// Python's range) or a single seed "A", and comma lists "a,b,c". Seeds are uint32
// (the env's seeding); every error names the option and the expected form.
#pragma once
#include <stdint.h>

// "A:B" with 0 <= A < B < 2^32, or "A" (then B = A + 1, so A < 2^32 - 1).
int seed_range_parse(const char *s, uint32_t *begin, uint32_t *end);
// Up to max comma-separated seeds into out; *n receives how many (at least one).
int seed_list_parse(const char *s, uint32_t *out, int max, int *n);
