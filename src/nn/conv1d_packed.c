#include "nn/conv1d_packed.h"

#include <string.h>

#include "core/parallel.h"
#include "nn/conv_transpose1d.h"

// Fused multiply-adds here (C11 mode would issue a multiply and an add): results differ
// from the GEMM path in the last bits, which the tests allow for.
#pragma GCC optimize("fp-contract=fast")

// A block's 16 output channels live in NV vectors of LANES floats: one 512-bit vector
// where the build targets AVX-512 (one accumulator per column: tiles up to 12 columns
// in its 32 registers), else two 256-bit ones (2 x 6 accumulators of 16 registers).
#if defined(__AVX512F__)
#define LANES 16
#define MAX_TILE 12
#else
#define LANES 8
#define MAX_TILE 6
#endif
#define NV (PACK_BLOCK / LANES)
// Weights are read once, in order: asking for the line this far ahead keeps enough
// misses in flight to stream at ~90% of a plain sum's bandwidth (~65% without).
#define PREFETCH_BYTES 4096

typedef float vecf __attribute__((vector_size(LANES * 4)));
typedef uint32_t vecu __attribute__((vector_size(LANES * 4)));
typedef uint16_t vech __attribute__((vector_size(LANES * 2)));

// ---------------------------------------------------------------- bf16

static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

uint16_t bf16_from_f32(float f) {
  uint32_t x = f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)(x >> 16 | 0x40);  // quiet NaN
  return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

float bf16_to_f32(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

// ---------------------------------------------------------------- packing

static int blocks_of(int cout) { return (cout + PACK_BLOCK - 1) / PACK_BLOCK; }

long packed_conv_bytes(Conv1dShape s, WeightFormat fmt) {
  return (long)blocks_of(s.cout) * PACK_BLOCK * s.cin * s.kernel * (fmt == WEIGHTS_BF16 ? 2 : 4);
}

// The direct convolution's weight for (co, ci, tap k): a transposed conv is the direct
// conv over its stuffed input with the taps flipped.
static float direct_weight(const float *w, Conv1dShape s, int transposed, int co, int ci, int k) {
  if (co >= s.cout) return 0.0f;
  if (transposed) return w[((long)ci * s.cout + co) * s.kernel + (s.kernel - 1 - k)];
  return w[((long)co * s.cin + ci) * s.kernel + k];
}

// Block layout [Cin][K][16]. bf16 with 8 lanes pairs channel i with channel 8 + i in
// one 32-bit word (low half, high half), so a word shifted left by 16 is channel i as a
// float and the word with its low half cleared is channel 8 + i: two shifts/masks per 16
// weights. With 16 lanes the channels are in order and widen in one conversion.
static int bf16_slot(int i) { return LANES == 16 ? i : i < 8 ? 2 * i : 2 * (i - 8) + 1; }

void packed_conv_pack(void *dst, const float *w, Conv1dShape s, int transposed, WeightFormat fmt) {
  float *f = dst;
  uint16_t *h = dst;
  long at = 0;
  for (int blk = 0; blk < blocks_of(s.cout); blk++)
    for (int ci = 0; ci < s.cin; ci++)
      for (int k = 0; k < s.kernel; k++, at += PACK_BLOCK)
        for (int i = 0; i < PACK_BLOCK; i++) {
          float v = direct_weight(w, s, transposed, blk * PACK_BLOCK + i, ci, k);
          if (fmt == WEIGHTS_F32) f[at + i] = v;
          else h[at + bf16_slot(i)] = bf16_from_f32(v);
        }
}

PackedConv packed_conv_make(Conv1dShape s, int transposed, WeightFormat fmt, const void *w, const float *bias) {
  PackedConv c = {s, transposed, fmt, w, bias};
  return c;
}

int packed_conv_out_len(const PackedConv *c, int tin) {
  return c->transposed ? conv_transpose1d_out_len(c->s, tin) : conv1d_out_len(c->s, tin);
}

// The padded input the kernel reads: every tap of every output column in range.
// Conv: (Tout - 1) * stride + K frames, the input at offset pad. Transposed: the input
// stuffed with stride - 1 zeros between frames, K - 1 - pad zeros on the left.
static int padded_len(const PackedConv *c, int tin) {
  int tout = packed_conv_out_len(c, tin);
  return c->transposed ? tout + c->s.kernel - 1 : (tout - 1) * c->s.stride + c->s.kernel;
}

long packed_conv_scratch_floats(const PackedConv *c, int tin, int B) { return (long)c->s.cin * padded_len(c, tin) * B; }

static void fill_padded(float *xp, const float *in, const PackedConv *c, int tin, int B, int tp) {
  const Conv1dShape s = c->s;
  const int first = c->transposed ? s.kernel - 1 - s.pad : s.pad, step = c->transposed ? s.stride : 1;
  int t0 = first < 0 ? (-first + step - 1) / step : 0, t1 = tin;  // input frames that land inside
  while (t1 > t0 && first + (t1 - 1) * step >= tp) t1--;
  memset(xp, 0, (size_t)s.cin * tp * B * sizeof *xp);
  for (int ci = 0; ci < s.cin; ci++) {
    float *row = xp + (long)ci * tp * B;
    const float *src = in + (long)ci * tin * B;
    if (step == 1) {  // one contiguous run per channel
      if (t1 > t0) memcpy(row + (long)(first + t0) * B, src + (long)t0 * B, (size_t)(t1 - t0) * B * sizeof *xp);
      continue;
    }
    for (int t = t0; t < t1; t++)
      for (int b = 0; b < B; b++) row[(long)(first + t * step) * B + b] = src[(long)t * B + b];
  }
}

// ---------------------------------------------------------------- kernels

static inline void weights_f32(const void *w, vecf v[NV]) { memcpy(v, w, NV * sizeof(vecf)); }

static inline void weights_bf16(const void *w, vecf v[NV]) {
#if LANES == 16
  vech h;
  memcpy(&h, w, sizeof h);
  v[0] = (vecf)(__builtin_convertvector(h, vecu) << 16);
#else
  vecu u;
  memcpy(&u, w, sizeof u);
  v[0] = (vecf)(u << 16);
  v[1] = (vecf)(u & 0xffff0000u);
#endif
}

// One register tile: 16 output channels x TT columns. x points at the block's first
// input row (padded, (Cin, Tp, B)); column j reads x[ci * rs + k * kstep + off[j]].
// out rows are output channels (stride ldo), only the first `rows` of the block exist.
#define DEFINE_TILE(FMT, TT, BYTES)                                                                           \
  static void tile_##FMT##_##TT(float *out, long ldo, int rows, const float *bias, const void *wv,           \
                                const float *x, long rs, int cin, int K, long kstep, const long *off) {       \
    vecf acc[TT][NV];                                                                                         \
    long o[TT];                                                                                               \
    for (int j = 0; j < TT; j++) {                                                                            \
      o[j] = off[j];                                                                                          \
      for (int v = 0; v < NV; v++) acc[j][v] = (vecf){0};                                                     \
    }                                                                                                         \
    const char *w = wv;                                                                                       \
    for (int ci = 0; ci < cin; ci++, x += rs)                                                                 \
      for (int k = 0; k < K; k++, w += BYTES) {                                                               \
        vecf wk[NV];                                                                                          \
        __builtin_prefetch(w + PREFETCH_BYTES);                                                               \
        weights_##FMT(w, wk);                                                                                 \
        const float *xk = x + k * kstep;                                                                      \
        for (int j = 0; j < TT; j++) {                                                                        \
          float xv = xk[o[j]];                                                                                \
          for (int v = 0; v < NV; v++) acc[j][v] += wk[v] * xv;                                               \
        }                                                                                                     \
      }                                                                                                       \
    for (int i = 0; i < rows; i++) {                                                                          \
      float b = bias ? bias[i] : 0.0f;                                                                        \
      for (int j = 0; j < TT; j++) out[i * ldo + j] = acc[j][i / LANES][i % LANES] + b;                       \
    }                                                                                                         \
  }

#define DEFINE_TILES(FMT, BYTES)                                                                              \
  DEFINE_TILE(FMT, 1, BYTES)                                                                                  \
  DEFINE_TILE(FMT, 2, BYTES)                                                                                  \
  DEFINE_TILE(FMT, 3, BYTES)                                                                                  \
  DEFINE_TILE(FMT, 4, BYTES)                                                                                  \
  DEFINE_TILE(FMT, 5, BYTES)                                                                                  \
  DEFINE_TILE(FMT, 6, BYTES)
// Wider tiles only where 32 vector registers hold them.
#if MAX_TILE == 12
#define DEFINE_WIDE_TILES(FMT, BYTES)                                                                         \
  DEFINE_TILE(FMT, 7, BYTES)                                                                                  \
  DEFINE_TILE(FMT, 8, BYTES)                                                                                  \
  DEFINE_TILE(FMT, 9, BYTES)                                                                                  \
  DEFINE_TILE(FMT, 10, BYTES)                                                                                 \
  DEFINE_TILE(FMT, 11, BYTES)                                                                                 \
  DEFINE_TILE(FMT, 12, BYTES)
#define WIDE_TILES(FMT) , tile_##FMT##_7, tile_##FMT##_8, tile_##FMT##_9, tile_##FMT##_10, tile_##FMT##_11, tile_##FMT##_12
#else
#define DEFINE_WIDE_TILES(FMT, BYTES)
#define WIDE_TILES(FMT)
#endif

DEFINE_TILES(f32, 64)
DEFINE_TILES(bf16, 32)
DEFINE_WIDE_TILES(f32, 64)
DEFINE_WIDE_TILES(bf16, 32)

typedef void (*TileFn)(float *, long, int, const float *, const void *, const float *, long, int, int, long,
                       const long *);
#define TILE_TABLE(FMT) \
  {0, tile_##FMT##_1, tile_##FMT##_2, tile_##FMT##_3, tile_##FMT##_4, tile_##FMT##_5, tile_##FMT##_6 WIDE_TILES(FMT)}
static const TileFn tiles_f32[MAX_TILE + 1] = TILE_TABLE(f32);
static const TileFn tiles_bf16[MAX_TILE + 1] = TILE_TABLE(bf16);

// ---------------------------------------------------------------- forward

#define TILES_PER_TASK 8     // column tiles one task runs against one weight block (kept in cache)
#define PARALLEL_MACS 131072 // below this a layer runs on one thread: waking others costs more

typedef struct {
  int n, tiles, base, extra;  // n columns in `tiles` tiles: the first `extra` one column wider
} ColumnTiles;

static ColumnTiles split_columns(int n) {
  ColumnTiles c = {n, (n + MAX_TILE - 1) / MAX_TILE, 0, 0};
  c.base = n / c.tiles, c.extra = n % c.tiles;
  return c;
}

typedef struct {
  const PackedConv *c;
  float *out;
  const float *scratch;
  ColumnTiles ct;
  int groups, B, step;
  long block_bytes, rs, ldo;
  const TileFn *fns;
} ConvTasks;

// Task `task`: one weight block of 16 output channels against up to TILES_PER_TASK column tiles.
static void conv_task(const ConvTasks *k, int task) {
  const Conv1dShape s = k->c->s;
  const ColumnTiles ct = k->ct;
  int blk = task / k->groups, g = task % k->groups, co = blk * PACK_BLOCK;
  int rows = s.cout - co < PACK_BLOCK ? s.cout - co : PACK_BLOCK;
  const void *w = (const char *)k->c->w + blk * k->block_bytes;
  const float *bias = k->c->bias ? k->c->bias + co : NULL;
  int t1 = (g + 1) * TILES_PER_TASK < ct.tiles ? (g + 1) * TILES_PER_TASK : ct.tiles;
  for (int tile = g * TILES_PER_TASK; tile < t1; tile++) {
    int col = tile * ct.base + (tile < ct.extra ? tile : ct.extra), width = ct.base + (tile < ct.extra);
    long off[MAX_TILE];
    for (int j = 0; j < width; j++) {
      int t = (col + j) / k->B, b = (col + j) % k->B;
      off[j] = (long)t * k->step * k->B + b;
    }
    k->fns[width](k->out + (long)co * k->ldo + col, k->ldo, rows, bias, w, k->scratch, k->rs, s.cin, s.kernel, k->B,
                  off);
  }
}

void packed_conv_forward(const PackedConv *c, float *out, const float *in, int tin, int B, float *scratch) {
  const Conv1dShape s = c->s;
  const int tout = packed_conv_out_len(c, tin), tp = padded_len(c, tin), step = c->transposed ? 1 : s.stride;
  fill_padded(scratch, in, c, tin, B, tp);
  const ColumnTiles ct = split_columns(tout * B);
  const int blocks = blocks_of(s.cout), groups = (ct.tiles + TILES_PER_TASK - 1) / TILES_PER_TASK;
  const ConvTasks k = {c, out, scratch, ct, groups, B, step, packed_conv_bytes(s, c->fmt) / blocks, (long)tp * B,
                       (long)tout * B, c->fmt == WEIGHTS_BF16 ? tiles_bf16 : tiles_f32};
  const double macs = (double)s.cout * s.cin * s.kernel * ct.n;
  if (odp_go_parallel(macs > PARALLEL_MACS)) {
#pragma omp parallel for schedule(static)
    for (int task = 0; task < blocks * groups; task++) conv_task(&k, task);
  } else {
    for (int task = 0; task < blocks * groups; task++) conv_task(&k, task);
  }
}
