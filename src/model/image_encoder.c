#include "model/image_encoder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "nn/linear.h"
#include "nn/relu.h"
#include "nn/spatial_softmax.h"


ImageEncoderConfig image_encoder_config_default(int image_size) {
  return (ImageEncoderConfig){.image_size = image_size, .width = 64, .keypoints = 32, .feature_dim = 64,
                              .group_size = 16};
}

int image_encoder_config_validate(const ImageEncoderConfig *c) {
  if (c->image_size < 32 || c->image_size > 1024)
    return odp_fail("field 'encoder.crop': must be in 32..1024 (got %d)", c->image_size);
  if (c->group_size < 1 || c->width < c->group_size || c->width % c->group_size || c->width > 1024)
    return odp_fail("field 'encoder.width': must be a multiple of encoder.group_size (%d), at most 1024 (got %d)",
                    c->group_size, c->width);
  if (c->keypoints < 1 || c->keypoints > 1024) return odp_fail("field 'encoder.keypoints': must be in 1..1024");
  if (c->feature_dim < 1 || c->feature_dim > 4096) return odp_fail("field 'encoder.feature_dim': must be in 1..4096");
  return ODP_OK;
}

// The topology, in forward (and state_dict) order: the one place it is written down.
int image_encoder_init(ImageEncoder *e, const ImageEncoderConfig *c, ParamTable *t, const char *prefix) {
  memset(e, 0, sizeof *e);
  if (image_encoder_config_validate(c)) return ODP_ERR;
  e->cfg = *c;
  snprintf(e->prefix, sizeof e->prefix, "%s", prefix);
  const int w = c->width, S = c->image_size, gs = c->group_size;
  char conv[160], norm[160];
  snprintf(conv, sizeof conv, "%s.backbone.nets.0", prefix), snprintf(norm, sizeof norm, "%s.backbone.nets.1", prefix);
  if (conv2d_norm_init(&e->stem, t, conv, norm, (Conv2dShape){3, w, 7, 2, 3}, w / gs, 1, S, S)) return ODP_ERR;
  e->pool = (Pool2dShape){3, 2, 1};
  e->pool_h = max_pool2d_out_size(e->pool, e->stem.ho), e->pool_w = max_pool2d_out_size(e->pool, e->stem.wo);
  int cin = w, h = e->pool_h, wd = e->pool_w;
  for (int i = 0; i < IMAGE_ENCODER_BLOCKS; i++) {
    int layer = i / 2, cout = w << layer, stride = (layer > 0 && i % 2 == 0) ? 2 : 1;
    char name[160];
    snprintf(name, sizeof name, "%s.backbone.nets.%d.%d", prefix, 4 + layer, i % 2);
    if (basic_block_init(&e->block[i], t, name, cin, cout, stride, cout / gs, h, wd)) return ODP_ERR;
    cin = cout, h = e->block[i].b.ho, wd = e->block[i].b.wo;
  }
  e->key_conv = (Conv2dShape){cin, c->keypoints, 1, 1, 0};
  e->key_h = h, e->key_w = wd;
  int kw[4] = {c->keypoints, cin, 1, 1}, kb[1] = {c->keypoints};
  e->key_w_off = param_table_add_in(t, prefix, "pool.nets.weight", 4, kw, LAYOUT_PLAIN);
  e->key_b_off = param_table_add_in(t, prefix, "pool.nets.bias", 1, kb, LAYOUT_PLAIN);
  int pw[2] = {c->feature_dim, 2 * c->keypoints}, pb[1] = {c->feature_dim};
  e->proj_w = param_table_add_in(t, prefix, "nets.3.weight", 2, pw, LAYOUT_PLAIN);
  e->proj_b = param_table_add_in(t, prefix, "nets.3.bias", 1, pb, LAYOUT_PLAIN);
  return e->proj_b < 0 ? ODP_ERR : ODP_OK;
}

void image_encoder_init_params(const ImageEncoder *e, const ParamTable *t, float *params, unsigned long long seed) {
  Rng rng = rng_make(seed, 0x1a6e);
  size_t plen = strlen(e->prefix);
  for (int i = 0; i < t->count; i++) {
    const ParamEntry *p = &t->entries[i];
    if (strncmp(p->name, e->prefix, plen) || p->name[plen] != '.') continue;
    float *v = params + p->offset;
    int is_norm = p->ndim == 1 && (strstr(p->name, ".bn") || strstr(p->name, "backbone.nets.1.") ||
                                   strstr(p->name, "downsample.1."));
    if (is_norm) {  // GroupNorm: identity affine
      float one = strstr(p->name, ".weight") ? 1.0f : 0.0f;
      for (long j = 0; j < p->numel; j++) v[j] = one;
      continue;
    }
    // A weight's fan-in is its row length; a bias takes its weight's (the entry before).
    const ParamEntry *wt = p->ndim == 1 ? p - 1 : p;
    float bound = 1.0f / sqrtf((float)(wt->numel / wt->shape[0]));
    for (long j = 0; j < p->numel; j++) v[j] = (2.0f * rng_uniform(rng, (uint64_t)(p->offset + j)) - 1.0f) * bound;
  }
}

// ---------------------------------------------------------------- activations

static long image_floats(const ImageEncoder *e, int B) {
  return 3L * e->cfg.image_size * e->cfg.image_size * B;
}

// The largest activation and im2col matrix of any unit.
static void largest(const ImageEncoder *e, int B, long *act, long *col) {
  const Conv2dNorm *units[3 * IMAGE_ENCODER_BLOCKS + 1];
  int n = 0;
  units[n++] = &e->stem;
  for (int i = 0; i < IMAGE_ENCODER_BLOCKS; i++) {
    units[n++] = &e->block[i].a, units[n++] = &e->block[i].b;
    if (e->block[i].has_down) units[n++] = &e->block[i].down;
  }
  *act = image_floats(e, B), *col = 0;
  for (int i = 0; i < n; i++) {
    long o = conv2d_norm_out_floats(units[i], B), c = conv2d_scratch_floats(units[i]->conv, units[i]->h, units[i]->w, B);
    *act = o > *act ? o : *act, *col = c > *col ? c : *col;
  }
}

static void plan_acts(const ImageEncoder *e, ImageEncoderActs *a) {
  const int B = a->B, K = e->cfg.keypoints, hw = e->key_h * e->key_w;
  Arena *ar = &a->arena;
  ar->used = 0;
  a->images = arena_take(ar, image_floats(e, B));
  conv2d_norm_acts(&a->stem, ar, &e->stem, B);
  long pooled = (long)e->cfg.width * e->pool_h * e->pool_w * B;
  a->pooled = arena_take(ar, pooled);
  a->argmax = (int *)arena_take(ar, pooled);  // int and float are both 4 bytes
  for (int i = 0; i < IMAGE_ENCODER_BLOCKS; i++) basic_block_acts(&a->block[i], ar, &e->block[i], B);
  a->maps = arena_take(ar, (long)K * hw * B);
  a->prob = arena_take(ar, (long)K * hw * B);
  a->points = arena_take(ar, 2L * K * B);
  a->features = arena_take(ar, (long)e->cfg.feature_dim * B);
  long act, col;
  largest(e, B, &act, &col);
  for (int i = 0; i < 2; i++) a->grad[i] = arena_take(ar, act);
  for (int i = 0; i < 3; i++) a->tmp[i] = arena_take(ar, act);
  a->scratch = arena_take(ar, col + 1);
}

ImageEncoderActs *image_encoder_acts_create(const ImageEncoder *e, int B) {
  if (B < 1) {
    odp_fail("image encoder: batch must be >= 1 (got %d)", B);
    return NULL;
  }
  ImageEncoderActs *a = odp_calloc(1, sizeof *a, "image encoder activations");
  if (!a) return NULL;
  a->B = B;
  plan_acts(e, a);  // counting pass
  a->arena.capacity = a->arena.used;
  a->arena.base = aligned_alloc(64, (size_t)a->arena.capacity * sizeof(float));
  if (!a->arena.base) {
    odp_fail("out of memory: image encoder activations for batch %d need %.1f MB", B, a->arena.capacity * 4e-6);
    free(a);
    return NULL;
  }
  plan_acts(e, a);
  return a;
}

void image_encoder_acts_free(ImageEncoderActs *a) {
  if (!a) return;
  free(a->arena.base);
  free(a);
}

void image_encoder_load_crops(const ImageEncoder *e, ImageEncoderActs *a, const unsigned char *const *frames, int w,
                              const int *top, const int *left) {
  const int S = e->cfg.image_size, B = a->B;
  enum { GROUP = 16 };
#pragma omp parallel for schedule(static)
  for (int g0 = 0; g0 < B; g0 += GROUP) {
    const int n = B - g0 < GROUP ? B - g0 : GROUP;
    for (int c = 0; c < 3; c++)
      for (int y = 0; y < S; y++) {
        const unsigned char *src[GROUP];
        for (int k = 0; k < n; k++) src[k] = frames[g0 + k] + ((long)(top[g0 + k] + y) * w + left[g0 + k]) * 3 + c;
        float *dst = a->images + ((long)c * S + y) * S * B + g0;
        for (int x = 0; x < S; x++)
          for (int k = 0; k < n; k++) dst[(long)x * B + k] = (float)src[k][x * 3] * (2.0f / 255.0f) - 1.0f;
      }
  }
}

// ---------------------------------------------------------------- forward / backward

const float *image_encoder_forward(const ImageEncoder *e, const float *params, ImageEncoderActs *a) {
  const int B = a->B, K = e->cfg.keypoints, F = e->cfg.feature_dim;
  conv2d_norm_forward(&e->stem, params, &a->stem, a->images, B, a->scratch);
  max_pool2d_forward(a->pooled, a->argmax, a->stem.out, e->pool, e->cfg.width, e->stem.ho, e->stem.wo, B);
  const float *x = a->pooled;
  for (int i = 0; i < IMAGE_ENCODER_BLOCKS; i++) {
    basic_block_forward(&e->block[i], params, &a->block[i], x, B, a->scratch);
    x = a->block[i].out;
  }
  conv2d_forward(a->maps, x, params + e->key_w_off, params + e->key_b_off, e->key_conv, e->key_h, e->key_w, B, NULL);
  spatial_softmax_forward(a->points, a->prob, a->maps, K, e->key_h, e->key_w, B, IMAGE_ENCODER_SOFTMAX_TEMPERATURE);
  linear_forward(a->features, a->points, params + e->proj_w, params + e->proj_b, B, 2 * K, F);
  relu_forward(a->features, a->features, (long)B * F);
  return a->features;
}

static void zero(float *p, long n) { memset(p, 0, (size_t)n * sizeof *p); }

void image_encoder_backward(const ImageEncoder *e, const float *params, float *grads, ImageEncoderActs *a,
                            const float *dfeatures) {
  const int B = a->B, K = e->cfg.keypoints, F = e->cfg.feature_dim, hw = e->key_h * e->key_w;
  float *dproj = a->tmp[0], *dpoints = a->tmp[1], *dmaps = a->tmp[2];
  zero(dproj, (long)B * F);
  relu_backward(dproj, dfeatures, a->features, (long)B * F);
  zero(dpoints, 2L * B * K);
  linear_backward(dpoints, grads + e->proj_w, grads + e->proj_b, dproj, a->points, params + e->proj_w, B, 2 * K, F);
  zero(dmaps, (long)K * hw * B);
  spatial_softmax_backward(dmaps, dpoints, a->points, a->prob, K, e->key_h, e->key_w, B, IMAGE_ENCODER_SOFTMAX_TEMPERATURE);
  float *cur = a->grad[0], *next = a->grad[1];  // cur: gradient of the current unit's output
  const BasicBlock *last = &e->block[IMAGE_ENCODER_BLOCKS - 1];
  zero(cur, conv2d_norm_out_floats(&last->b, B));
  conv2d_backward(cur, grads + e->key_w_off, grads + e->key_b_off, dmaps, a->block[IMAGE_ENCODER_BLOCKS - 1].out,
                  params + e->key_w_off,
                  e->key_conv, e->key_h, e->key_w, B, NULL);
  for (int i = IMAGE_ENCODER_BLOCKS - 1; i >= 0; i--) {
    const BasicBlock *blk = &e->block[i];
    const float *x = i ? a->block[i - 1].out : a->pooled;
    zero(next, (long)blk->a.conv.cin * blk->a.h * blk->a.w * B);
    basic_block_backward(blk, params, grads, &a->block[i], next, cur, x, B, a->tmp, a->scratch);
    float *t = cur;
    cur = next, next = t;
  }
  zero(next, conv2d_norm_out_floats(&e->stem, B));
  max_pool2d_backward(next, cur, a->argmax, (long)e->cfg.width * e->pool_h * e->pool_w * B);
  conv2d_norm_backward(&e->stem, params, grads, &a->stem, NULL, next, a->images, B, a->tmp[0], a->scratch);
}

double image_encoder_forward_macs(const ImageEncoder *e) {
  double m = conv2d_norm_macs(&e->stem);
  for (int i = 0; i < IMAGE_ENCODER_BLOCKS; i++) m += basic_block_macs(&e->block[i]);
  m += (double)e->key_conv.cout * e->key_conv.cin * e->key_h * e->key_w;
  return m + 2.0 * e->cfg.keypoints * e->cfg.feature_dim;
}
