// A bump allocator for activations, used in two passes: a counting pass with no
// memory (base == NULL) sizes the arena, then a pass over the allocated block hands
// out the same pointers. One allocation per (model, batch size, horizon).
#pragma once

typedef struct {
  float *base;
  long used, capacity;  // in floats
} Arena;

// n floats, 64-byte aligned within the arena; NULL in the counting pass.
static inline float *arena_take(Arena *a, long n) {
  long offset = a->used;
  a->used += (n + 15) & ~15L;
  return a->base ? a->base + offset : 0;
}
