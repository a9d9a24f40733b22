// Little-endian integers at byte addresses, whatever the host's order or alignment: the
// safetensors header length (io/safetensors.c) and `onedp serve`'s wire format
// (serve/protocol.c).
#pragma once
#include <stdint.h>

static inline uint64_t le_load(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static inline void le_store(unsigned char *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}
