#include "model/image_encoder_infer.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/parallel.h"
#include "nn/group_norm.h"
#include "nn/spatial_softmax.h"

// ---------------------------------------------------------------- packing

// Both passes of the build: counting (store NULL), then filling.
typedef struct {
  Arena arena;
  const float *params;
} Builder;

static const float *copy_vector(Builder *b, long offset, long n) {
  float *dst = arena_take(&b->arena, n);
  if (dst) memcpy(dst, b->params + offset, (size_t)n * sizeof *dst);
  return dst;
}

static Conv2dInfer pack_conv(Builder *b, Conv2dShape s, long weight, const float *bias) {
  float *dst = arena_take(&b->arena, conv2d_infer_floats(s));
  if (dst) conv2d_infer_pack(dst, b->params + weight, s);
  return (Conv2dInfer){s, dst, bias};
}

static InferConvNorm pack_unit(Builder *b, const Conv2dNorm *u) {
  InferConvNorm p = {.groups = u->groups};
  p.conv = pack_conv(b, u->conv, u->conv_w, NULL);
  p.gamma = copy_vector(b, u->norm_w, u->conv.cout), p.beta = copy_vector(b, u->norm_b, u->conv.cout);
  return p;
}

static void build_pass(ImageEncoderInfer *m, Builder *b) {
  const ImageEncoder *e = &m->net;
  m->stem = pack_unit(b, &e->stem);
  for (int i = 0; i < IMAGE_ENCODER_BLOCKS; i++) {
    m->a[i] = pack_unit(b, &e->block[i].a), m->b[i] = pack_unit(b, &e->block[i].b);
    if (e->block[i].has_down) m->down[i] = pack_unit(b, &e->block[i].down);
  }
  const float *key_bias = copy_vector(b, e->key_b_off, e->cfg.keypoints);
  m->keypoints = pack_conv(b, e->key_conv, e->key_w_off, key_bias);
  m->proj_w = copy_vector(b, e->proj_w, 2L * e->cfg.keypoints * e->cfg.feature_dim);
  m->proj_b = copy_vector(b, e->proj_b, e->cfg.feature_dim);
}

int image_encoder_infer_build(ImageEncoderInfer *m, const ImageEncoder *e, const float *params) {
  memset(m, 0, sizeof *m);
  m->net = *e;
  Builder b = {{0}, params};
  build_pass(m, &b);  // counting
  b.arena.capacity = b.arena.used, b.arena.used = 0;
  if (!(b.arena.base = aligned_alloc(64, (size_t)b.arena.capacity * sizeof(float))))
    return odp_fail("out of memory: packed image encoder (%.1f MB)", b.arena.capacity * 4e-6);
  m->store = b.arena.base;
  build_pass(m, &b);
  return ODP_OK;
}

void image_encoder_infer_free(ImageEncoderInfer *m) {
  free(m->store);
  memset(m, 0, sizeof *m);
}

// ---------------------------------------------------------------- workspace

struct ImageEncoderInferSlot {  // one frame's activations, each inside the border its reader needs
  NhwcImage input, stem, pool, a[IMAGE_ENCODER_BLOCKS], b[IMAGE_ENCODER_BLOCKS], down[IMAGE_ENCODER_BLOCKS], maps;
  float *prob, *points;
};

static NhwcImage take_image(Arena *ar, int h, int w, int c, int pad) {
  return (NhwcImage){arena_take(ar, nhwc_floats(h, w, c, pad)), h, w, c, pad};
}

static void plan_slot(const ImageEncoder *e, ImageEncoderInferSlot *s, Arena *ar) {
  const int S = e->cfg.image_size, K = e->cfg.keypoints;
  s->input = take_image(ar, S, S, 3, e->stem.conv.pad);
  s->stem = take_image(ar, e->stem.ho, e->stem.wo, e->cfg.width, e->pool.pad);
  s->pool = take_image(ar, e->pool_h, e->pool_w, e->cfg.width, 1);  // the first 3x3 convs' padding
  for (int i = 0; i < IMAGE_ENCODER_BLOCKS; i++) {
    const BasicBlock *blk = &e->block[i];
    s->a[i] = take_image(ar, blk->a.ho, blk->a.wo, blk->a.conv.cout, blk->b.conv.pad);
    s->b[i] = take_image(ar, blk->b.ho, blk->b.wo, blk->b.conv.cout, 1);  // the next block's 3x3 padding
    if (blk->has_down) s->down[i] = take_image(ar, blk->down.ho, blk->down.wo, blk->down.conv.cout, 0);
  }
  s->maps = take_image(ar, e->key_h, e->key_w, K, 0);
  s->prob = arena_take(ar, (long)K * e->key_h * e->key_w);
  s->points = arena_take(ar, 2L * K);
}

ImageEncoderInferActs *image_encoder_infer_acts_create(const ImageEncoderInfer *m, int threads) {
  ImageEncoderInferActs *a = odp_calloc(1, sizeof *a, "image encoder workspace");
  if (!a) return NULL;
  a->slots = threads < 1 ? 1 : threads;
  a->slot = odp_calloc((unsigned long)a->slots, sizeof *a->slot, "image encoder workspace");
  if (!a->slot) return image_encoder_infer_acts_free(a), NULL;
  Arena ar = {0};
  for (int i = 0; i < a->slots; i++) plan_slot(&m->net, &a->slot[0], &ar);  // counting
  ar.capacity = ar.used, ar.used = 0;
  // calloc: the borders must be zero, and nothing writes them
  a->memory = ar.base = odp_calloc((unsigned long)ar.capacity, sizeof(float), "image encoder workspace");
  if (!a->memory) return image_encoder_infer_acts_free(a), NULL;
  for (int i = 0; i < a->slots; i++) plan_slot(&m->net, &a->slot[i], &ar);
  return a;
}

void image_encoder_infer_acts_free(ImageEncoderInferActs *a) {
  if (!a) return;
  free(a->memory), free(a->slot);
  free(a);
}

// ---------------------------------------------------------------- forward

// Conv -> GroupNorm, then + identity (may be NULL), then ReLU when relu is set.
static void unit_forward(const InferConvNorm *u, NhwcImage *out, const NhwcImage *in, const NhwcImage *identity,
                         int relu) {
  conv2d_infer_forward(&u->conv, out, in);
  group_norm_nhwc_forward(out, u->gamma, u->beta, u->groups, GROUP_NORM_EPS, identity, relu);
}

// The centre S x S crop of a (3, H, W) frame in [0, 1], as [-1, 1] channels-last.
static void load_crop(NhwcImage *dst, const float *frame, int H, int W) {
  const int S = dst->h, top = (H - S) / 2, left = (W - S) / 2;
  for (int y = 0; y < S; y++)
    for (int x = 0; x < S; x++) {
      float *px = nhwc_at(dst, y, x, 0);
      for (int c = 0; c < 3; c++) px[c] = frame[((long)c * H + top + y) * W + left + x] * 2.0f - 1.0f;
    }
}

// The walk of image_encoder_forward (model/image_encoder.c), BasicBlocks as
// model/basic_block.h states them.
static void encode_frame(const ImageEncoderInfer *m, ImageEncoderInferSlot *s, float *features) {
  const ImageEncoder *e = &m->net;
  const int K = e->cfg.keypoints, F = e->cfg.feature_dim;
  unit_forward(&m->stem, &s->stem, &s->input, NULL, 1);
  max_pool2d_nhwc_forward(&s->pool, &s->stem, e->pool);  // after the ReLU: the zero border never wins
  const NhwcImage *x = &s->pool;
  for (int i = 0; i < IMAGE_ENCODER_BLOCKS; i++) {
    const NhwcImage *identity = x;
    unit_forward(&m->a[i], &s->a[i], x, NULL, 1);
    if (e->block[i].has_down) unit_forward(&m->down[i], &s->down[i], x, NULL, 0), identity = &s->down[i];
    unit_forward(&m->b[i], &s->b[i], &s->a[i], identity, 1);
    x = &s->b[i];
  }
  conv2d_infer_forward(&m->keypoints, &s->maps, x);
  // channels-last maps (h, w, K) are spatial softmax's (1, h, w, K) with the keypoints as batch
  spatial_softmax_forward(s->points, s->prob, s->maps.data, 1, e->key_h, e->key_w, K,
                          IMAGE_ENCODER_SOFTMAX_TEMPERATURE);
  for (int f = 0; f < F; f++) {
    float v = m->proj_b[f];
    for (int j = 0; j < 2 * K; j++) v += m->proj_w[(long)f * 2 * K + j] * s->points[j];
    features[f] = v > 0.0f ? v : 0.0f;
  }
}

void image_encoder_infer_forward(const ImageEncoderInfer *m, ImageEncoderInferActs *a, float *features, int n,
                                 const float *frames, long stride, int H, int W) {
  const int F = m->net.cfg.feature_dim;
  const int threads = a->slots < omp_get_max_threads() ? a->slots : omp_get_max_threads();
  if (odp_go_parallel(threads > 1 && n > 1)) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int i = 0; i < n; i++) {
      ImageEncoderInferSlot *s = &a->slot[omp_get_thread_num()];
      load_crop(&s->input, frames + i * stride, H, W);
      encode_frame(m, s, features + (long)i * F);
    }
    return;
  }
  for (int i = 0; i < n; i++) {
    load_crop(&a->slot[0].input, frames + i * stride, H, W);
    encode_frame(m, &a->slot[0], features + (long)i * F);
  }
}
