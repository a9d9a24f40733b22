#include "nn/conv2d_infer.h"

#include <string.h>

// Fused multiply-adds (C11 mode would issue a multiply and an add): results differ from
// the training layer's GEMM in the last bits, which the tests allow for.
#pragma GCC optimize("fp-contract=fast")

// A tile of R output positions x one group of NV vectors: R * NV accumulators, at most
// ACCUMULATORS of the registers (32 zmm with AVX-512, 16 ymm without), leaving room for
// the group's weight vectors and a broadcast input value.
#if defined(__AVX512F__)
#define LANES 16
#define ACCUMULATORS 24
#else
#define LANES 8
#define ACCUMULATORS 12
#endif
#define MAX_GROUP 64
#define MAX_VECTORS (MAX_GROUP / LANES)
#define MAX_TILE 12

typedef float vecf __attribute__((vector_size(LANES * 4)));
typedef float vecf_u __attribute__((vector_size(LANES * 4), aligned(4)));  // an unaligned load

int conv2d_infer_group(int cout) { return cout >= 64 ? 64 : cout >= 32 ? 32 : 16; }

static int groups_of(Conv2dShape s) {
  const int g = conv2d_infer_group(s.cout);
  return (s.cout + g - 1) / g;
}

long conv2d_infer_floats(Conv2dShape s) {
  return (long)groups_of(s) * conv2d_infer_group(s.cout) * s.cin * s.kernel * s.kernel;
}

// Group layout [i][j][ci][G]: for kernel row i, (j, ci) in the order of the input's
// channels-last run.
void conv2d_infer_pack(float *dst, const float *w, Conv2dShape s) {
  const int G = conv2d_infer_group(s.cout), K = s.kernel;
  long at = 0;
  for (int g = 0; g < groups_of(s); g++)
    for (int i = 0; i < K; i++)
      for (int j = 0; j < K; j++)
        for (int ci = 0; ci < s.cin; ci++, at += G)
          for (int l = 0; l < G; l++) {
            const int co = g * G + l;
            dst[at + l] = co < s.cout ? w[(((long)co * s.cin + ci) * K + i) * K + j] : 0.0f;
          }
}

// Output positions [p0, p0 + R) (row-major over Hout x Wout, rows may wrap) x output
// group g. Inlined with constant R and NV, so the accumulators live in registers.
static inline __attribute__((always_inline)) void conv_tile(const Conv2dInfer *c, NhwcImage *out,
                                                            const NhwcImage *in, int g, int p0, const int R,
                                                            const int NV) {
  const Conv2dShape s = c->s;
  const int G = NV * LANES, run = s.kernel * s.cin, off = in->pad - s.pad, wo = out->w;
  const long row = (long)(in->w + 2 * in->pad) * in->c;  // floats per stored input row
  const float *src[MAX_TILE];                             // each position's top-left tap
  for (int r = 0; r < R; r++) {
    const int y = (p0 + r) / wo, x = (p0 + r) % wo;
    src[r] = in->data + (long)(y * s.stride + off) * row + (long)(x * s.stride + off) * in->c;
  }
  vecf acc[MAX_TILE][MAX_VECTORS];
  for (int v = 0; v < NV; v++) {
    vecf b = {0};
    if (c->bias)
      for (int l = 0; l < LANES && g * G + v * LANES + l < s.cout; l++) b[l] = c->bias[g * G + v * LANES + l];
    for (int r = 0; r < R; r++) acc[r][v] = b;
  }
  const float *wp = c->w + (long)g * G * s.kernel * run;
  for (int i = 0; i < s.kernel; i++) {
    const float *a[MAX_TILE];
    for (int r = 0; r < R; r++) a[r] = src[r] + i * row;
    for (int m = 0; m < run; m++, wp += G) {
      vecf wv[MAX_VECTORS];
#pragma GCC unroll 8
      for (int v = 0; v < NV; v++) wv[v] = *(const vecf_u *)(wp + v * LANES);
#pragma GCC unroll 12
      for (int r = 0; r < R; r++) {
        const float x = a[r][m];
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++) acc[r][v] += wv[v] * x;
      }
    }
  }
  const int n = s.cout - g * G < G ? s.cout - g * G : G;  // the group's real channels
  for (int r = 0; r < R; r++) memcpy(nhwc_at(out, (p0 + r) / wo, (p0 + r) % wo, g * G), acc[r], (size_t)n * sizeof(float));
}

// Groups outer, positions inner: a group's weights are streamed from memory once and stay in
// cache for every tile (a deep layer's weights, MBs, would otherwise be streamed once per
// tile). Positions go in tiles of the widest R the registers hold for NV vectors, or of R / 2
// when that divides the positions and R does not (3x3 maps: 3 tiles of 3, not 2 of 6); the
// last tile overlaps the one before (recomputing a few outputs) rather than needing other
// shapes, and outputs too few for one tile go one at a time.
static inline __attribute__((always_inline)) void conv_positions(const Conv2dInfer *c, NhwcImage *out,
                                                                 const NhwcImage *in, const int NV) {
  const int R = ACCUMULATORS / NV < MAX_TILE ? ACCUMULATORS / NV : MAX_TILE, P = out->h * out->w;
  for (int g = 0; g * NV * LANES < c->s.cout; g++) {
    if (P < R || R == 1) {
      for (int p = 0; p < P; p++) conv_tile(c, out, in, g, p, 1, NV);
    } else if (P % R && R % 2 == 0 && P % (R / 2) == 0) {
      for (int p0 = 0; p0 < P; p0 += R / 2) conv_tile(c, out, in, g, p0, R / 2, NV);
    } else {
      for (int p0 = 0; p0 < P; p0 += R) conv_tile(c, out, in, g, p0 + R <= P ? p0 : P - R, R, NV);
    }
  }
}

void conv2d_infer_forward(const Conv2dInfer *c, NhwcImage *out, const NhwcImage *in) {
  const int nv = conv2d_infer_group(c->s.cout) / LANES;  // 1, 2 or 4 (8 with 256-bit vectors)
  if (nv == 1) conv_positions(c, out, in, 1);
  else if (nv == 2) conv_positions(c, out, in, 2);
#if MAX_VECTORS == 8
  else if (nv == 8) conv_positions(c, out, in, 8);
#endif
  else conv_positions(c, out, in, 4);
}
