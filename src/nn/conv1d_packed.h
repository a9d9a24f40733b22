// Conv1d for inference, with weights packed once so the kernel vectorises over output
// channels: blocks of 16 output channels, each block's weights contiguous as
// [Cin][K][16], stored as f32 or as bf16 (computed in f32 either way). One pass over a
// block streams its weights exactly once from memory while every output column of the
// call reuses them from cache, so at batch 1 the layer runs at the speed weights
// stream in; bf16 halves the bytes.
//
// Activations are (C, T, B) as everywhere else. Strided convolutions gather their taps
// through column offsets; transposed convolutions run as the direct convolution over
// the zero-stuffed input (flipped taps), which is exact and costs only the stuffed zeros.
#pragma once
#include <stdint.h>

#include "nn/conv1d.h"

typedef enum { WEIGHTS_F32 = 0, WEIGHTS_BF16 = 1 } WeightFormat;

#define PACK_BLOCK 16  // output channels per packed block: one 512-bit or two 256-bit vectors

typedef struct {
  Conv1dShape s;     // the layer's shape as PyTorch states it (a transposed conv: its own in/out)
  int transposed;    // 1: ConvTranspose1d (s.stride upsamples, s.pad trims)
  WeightFormat fmt;
  const void *w;     // packed weights (packed_conv_bytes)
  const float *bias; // (Cout), may be NULL
} PackedConv;

// Bytes of packed storage for a conv with this shape (Cout rounded up to PACK_BLOCK).
long packed_conv_bytes(Conv1dShape s, WeightFormat fmt);

// Packs PyTorch-layout weights: Conv1d (Cout, Cin, K), or with transposed set a
// ConvTranspose1d (Cin, Cout, K) where s.cin/s.cout are its input/output channels.
// dst holds packed_conv_bytes(s, fmt) bytes. bf16 rounds to nearest even.
void packed_conv_pack(void *dst, const float *w, Conv1dShape s, int transposed, WeightFormat fmt);

// A PackedConv over packed weights; s as given to packed_conv_pack.
PackedConv packed_conv_make(Conv1dShape s, int transposed, WeightFormat fmt, const void *w, const float *bias);

// Output length for input length tin.
int packed_conv_out_len(const PackedConv *c, int tin);

// Scratch floats packed_conv_forward needs: the padded (or stuffed) input.
long packed_conv_scratch_floats(const PackedConv *c, int tin, int B);

// out (Cout, Tout, B) = conv(in (Cin, Tin, B)) + bias. Overwrites out.
void packed_conv_forward(const PackedConv *c, float *out, const float *in, int tin, int B, float *scratch);

// bf16 <-> f32 (round to nearest even; NaN stays NaN).
uint16_t bf16_from_f32(float f);
float bf16_to_f32(uint16_t h);
