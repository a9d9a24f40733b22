#include "model/unet1d.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "nn/conv_transpose1d.h"
#include "nn/linear.h"
#include "nn/mish.h"
#include "nn/step_embedding.h"

// ---------------------------------------------------------------- configuration

int unet_config_preset(UnetConfig *cfg, const char *name) {
  UnetConfig c = {.input_dim = 2, .global_cond_dim = 40, .step_embed_dim = 256, .n_levels = 3,
                  .down_dims = {256, 512, 1024}, .kernel_size = 5, .n_groups = 8, .cond_predict_scale = 1};
  if (!strcmp(name, "lowdim")) {
  } else if (!strcmp(name, "image")) {
    c.down_dims[0] = 512, c.down_dims[1] = 1024, c.down_dims[2] = 2048;
    c.step_embed_dim = 128, c.global_cond_dim = 132;
  } else if (!strcmp(name, "small")) {
    c.down_dims[0] = 64, c.down_dims[1] = 128, c.down_dims[2] = 256;
    c.step_embed_dim = 128;
  } else {
    return odp_fail("unknown U-Net preset '%s' (lowdim, image, small)", name);
  }
  *cfg = c;
  return ODP_OK;
}

int unet_config_validate(const UnetConfig *c) {
  if (c->input_dim < 1 || c->input_dim > UNET_MAX_WIDTH)
    return odp_fail("input_dim must be in 1..%d (got %d)", UNET_MAX_WIDTH, c->input_dim);
  if (c->global_cond_dim < 0 || c->global_cond_dim > UNET_MAX_COND)
    return odp_fail("global_cond_dim must be in 0..%d (got %d)", UNET_MAX_COND, c->global_cond_dim);
  if (c->step_embed_dim < 4 || c->step_embed_dim > UNET_MAX_WIDTH || c->step_embed_dim % 2)
    return odp_fail("diffusion_step_embed_dim must be even and in 4..%d (got %d)", UNET_MAX_WIDTH, c->step_embed_dim);
  if (c->n_levels < 1 || c->n_levels > UNET_MAX_LEVELS)
    return odp_fail("down_dims must have 1..%d entries (got %d)", UNET_MAX_LEVELS, c->n_levels);
  if (c->kernel_size < 1 || c->kernel_size > UNET_MAX_KERNEL || c->kernel_size % 2 == 0)
    return odp_fail("kernel_size must be odd and in 1..%d (got %d)", UNET_MAX_KERNEL, c->kernel_size);
  if (c->n_groups < 1) return odp_fail("n_groups must be >= 1 (got %d)", c->n_groups);
  if (c->cond_predict_scale != 0 && c->cond_predict_scale != 1)
    return odp_fail("cond_predict_scale must be true or false (got %d)", c->cond_predict_scale);
  for (int i = 0; i < c->n_levels; i++)
    if (c->down_dims[i] < 1 || c->down_dims[i] > UNET_MAX_WIDTH || c->down_dims[i] % c->n_groups)
      return odp_fail("down_dims[%d] = %d is not a multiple of n_groups = %d in 1..%d", i, c->down_dims[i],
                      c->n_groups, UNET_MAX_WIDTH);
  return ODP_OK;
}

// ---------------------------------------------------------------- parameters

static int add_res_block(Unet *u, ResBlock *rb, const char *prefix, int cin, int cout) {
  const UnetConfig *c = &u->cfg;
  return res_block_init(rb, &u->table, prefix, cin, cout, u->cond_dim, c->kernel_size, c->n_groups,
                        c->cond_predict_scale);
}

static long add_named(Unet *u, const char *name, int ndim, const int *shape, ParamLayout layout) {
  return param_table_add(&u->table, name, ndim, shape, layout);
}

// Registers parameters in PyTorch's state_dict order: mid_modules, diffusion_step_encoder,
// up_modules, down_modules, final_conv (the order the reference assigns them).
int unet_init(Unet *u, const UnetConfig *cfg) {
  memset(u, 0, sizeof *u);
  if (unet_config_validate(cfg)) return ODP_ERR;
  u->cfg = *cfg;
  const int L = cfg->n_levels, dsed = cfg->step_embed_dim, *d = cfg->down_dims;
  u->cond_dim = dsed + cfg->global_cond_dim;
  char name[128];
  int err = 0;
  for (int i = 0; i < 2; i++) {
    snprintf(name, sizeof name, "mid_modules.%d", i);
    err |= add_res_block(u, &u->mid[i], name, d[L - 1], d[L - 1]);
  }
  int w1[2] = {4 * dsed, dsed}, b1[1] = {4 * dsed}, w2[2] = {dsed, 4 * dsed}, b2[1] = {dsed};
  u->step_w1 = add_named(u, "diffusion_step_encoder.1.weight", 2, w1, LAYOUT_PLAIN);
  u->step_b1 = add_named(u, "diffusion_step_encoder.1.bias", 1, b1, LAYOUT_PLAIN);
  u->step_w2 = add_named(u, "diffusion_step_encoder.3.weight", 2, w2, LAYOUT_PLAIN);
  u->step_b2 = add_named(u, "diffusion_step_encoder.3.bias", 1, b2, LAYOUT_PLAIN);
  for (int j = 0; j < L - 1; j++) {
    int lv = L - 1 - j, cin = 2 * d[lv], cout = d[lv - 1];
    snprintf(name, sizeof name, "up_modules.%d.0", j);
    err |= add_res_block(u, &u->up[j][0], name, cin, cout);
    snprintf(name, sizeof name, "up_modules.%d.1", j);
    err |= add_res_block(u, &u->up[j][1], name, cout, cout);
    int w[3] = {cout, cout, 4}, b[1] = {cout};
    snprintf(name, sizeof name, "up_modules.%d.2.conv.weight", j);
    u->up_w[j] = add_named(u, name, 3, w, LAYOUT_TAPS);
    snprintf(name, sizeof name, "up_modules.%d.2.conv.bias", j);
    u->up_b[j] = add_named(u, name, 1, b, LAYOUT_PLAIN);
  }
  for (int i = 0; i < L; i++) {
    int cin = i ? d[i - 1] : cfg->input_dim, cout = d[i];
    snprintf(name, sizeof name, "down_modules.%d.0", i);
    err |= add_res_block(u, &u->down[i][0], name, cin, cout);
    snprintf(name, sizeof name, "down_modules.%d.1", i);
    err |= add_res_block(u, &u->down[i][1], name, cout, cout);
    u->down_w[i] = u->down_b[i] = -1;
    if (i < L - 1) {
      int w[3] = {cout, cout, 3}, b[1] = {cout};
      snprintf(name, sizeof name, "down_modules.%d.2.conv.weight", i);
      u->down_w[i] = add_named(u, name, 3, w, LAYOUT_TAPS);
      snprintf(name, sizeof name, "down_modules.%d.2.conv.bias", i);
      u->down_b[i] = add_named(u, name, 1, b, LAYOUT_PLAIN);
    }
  }
  err |= conv1d_block_init(&u->final_block, &u->table, "final_conv.0", d[0], d[0], cfg->kernel_size, cfg->n_groups);
  int fw[3] = {cfg->input_dim, d[0], 1}, fb[1] = {cfg->input_dim};
  u->final_w = add_named(u, "final_conv.1.weight", 3, fw, LAYOUT_TAPS);
  u->final_b = add_named(u, "final_conv.1.bias", 1, fb, LAYOUT_PLAIN);
  if (err || u->final_b < 0) {
    param_table_free(&u->table);
    return ODP_ERR;
  }
  return ODP_OK;
}

void unet_free(Unet *u) { param_table_free(&u->table); }

void unet_init_params(const Unet *u, float *params, unsigned long long seed) {
  Rng rng = rng_make(seed, 0x1417);
  long fan_in = 1;
  for (int i = 0; i < u->table.count; i++) {
    const ParamEntry *e = &u->table.entries[i];
    float *p = params + e->offset;
    int is_weight = strstr(e->name, ".weight") != NULL;
    if (is_weight && e->ndim == 1) {  // GroupNorm: identity affine
      for (long j = 0; j < e->numel; j++) p[j] = 1.0f;
      fan_in = 0;
      continue;
    }
    if (!is_weight && fan_in == 0) {  // GroupNorm bias
      memset(p, 0, (size_t)e->numel * sizeof *p);
      continue;
    }
    if (is_weight) fan_in = e->numel / e->shape[0];
    float bound = 1.0f / sqrtf((float)fan_in);
    for (long j = 0; j < e->numel; j++) p[j] = (2.0f * rng_uniform(rng, (uint64_t)(e->offset + j)) - 1.0f) * bound;
  }
}

// ---------------------------------------------------------------- activations

static Conv1dShape downsample_shape(int c) {
  Conv1dShape s = {c, c, 3, 2, 1};
  return s;
}

static Conv1dShape upsample_shape(int c) {
  Conv1dShape s = {c, c, 4, 2, 1};
  return s;
}

static Conv1dShape final_shape(const UnetConfig *c) {
  Conv1dShape s = {c->down_dims[0], c->input_dim, 1, 1, 0};
  return s;
}

// Largest (C, T, B) buffer any stage needs, the concatenations included.
static long largest_stage(const Unet *u, int T, int B) {
  const UnetConfig *c = &u->cfg;
  long m = (long)c->input_dim * T;
  for (int i = 0; i < c->n_levels; i++) {
    long s = 2L * c->down_dims[i] * (T >> i);
    if (s > m) m = s;
  }
  return m * B;
}

static void plan_acts(const Unet *u, UnetActs *a) {
  const UnetConfig *c = &u->cfg;
  const int L = c->n_levels, B = a->B, T = a->T, *d = c->down_dims, dsed = c->step_embed_dim;
  Arena *ar = &a->arena;
  ar->used = 0;
  a->sample = arena_take(ar, (long)c->input_dim * T * B);
  a->step_sin = arena_take(ar, (long)B * dsed);
  a->step_h = arena_take(ar, (long)B * 4 * dsed);
  a->step_hm = arena_take(ar, (long)B * 4 * dsed);
  a->cond = arena_take(ar, (long)B * u->cond_dim);
  a->cond_mish = arena_take(ar, (long)B * u->cond_dim);
  for (int i = 0; i < L; i++) {
    res_block_acts(&a->down[i][0], ar, &u->down[i][0], T >> i, B);
    res_block_acts(&a->down[i][1], ar, &u->down[i][1], T >> i, B);
    a->down_out[i] = i < L - 1 ? arena_take(ar, (long)d[i] * (T >> (i + 1)) * B) : NULL;
  }
  for (int i = 0; i < 2; i++) res_block_acts(&a->mid[i], ar, &u->mid[i], T >> (L - 1), B);
  for (int j = 0; j < L - 1; j++) {
    int lv = L - 1 - j;
    a->up_in[j] = arena_take(ar, 2L * d[lv] * (T >> lv) * B);
    res_block_acts(&a->up[j][0], ar, &u->up[j][0], T >> lv, B);
    res_block_acts(&a->up[j][1], ar, &u->up[j][1], T >> lv, B);
    a->up_out[j] = arena_take(ar, (long)d[lv - 1] * (T >> (lv - 1)) * B);
  }
  conv1d_block_acts(&a->final_acts, ar, &u->final_block, T, B);
  a->out = arena_take(ar, (long)c->input_dim * T * B);
  long S = largest_stage(u, T, B);
  a->dcond_mish = arena_take(ar, (long)B * u->cond_dim);
  a->dcond = arena_take(ar, (long)B * u->cond_dim);
  a->dstep_hm = arena_take(ar, (long)B * 4 * dsed);
  a->dstep_h = arena_take(ar, (long)B * 4 * dsed);
  a->grad_a = arena_take(ar, S);
  a->grad_b = arena_take(ar, S);
  for (int i = 0; i < L; i++) a->dskip[i] = arena_take(ar, (long)d[i] * (T >> i) * B);
  for (int i = 0; i < 4; i++) a->scratch[i] = arena_take(ar, S);
  a->conv_scratch = arena_take(ar, S);
}

UnetActs *unet_acts_create(const Unet *u, int B, int T) {
  int div = 1 << (u->cfg.n_levels - 1);
  if (B < 1 || T < 2 || T % div) {
    odp_fail("U-Net with %d levels needs horizon divisible by %d and >= 2 (got %d), batch >= 1 (got %d)",
             u->cfg.n_levels, div, T, B);
    return NULL;
  }
  UnetActs *a = odp_calloc(1, sizeof *a, "U-Net activations");
  if (!a) return NULL;
  a->B = B, a->T = T;
  plan_acts(u, a);  // counting pass
  a->arena.capacity = a->arena.used;
  a->arena.base = aligned_alloc(64, (size_t)a->arena.capacity * sizeof(float));
  if (!a->arena.base) {
    odp_fail("out of memory: U-Net activations for batch %d need %.1f MB", B, a->arena.capacity * 4e-6);
    free(a);
    return NULL;
  }
  plan_acts(u, a);
  return a;
}

void unet_acts_free(UnetActs *a) {
  if (!a) return;
  free(a->arena.base);
  free(a);
}

// ---------------------------------------------------------------- forward

void unet_to_channel_major(float *dst, const float *src, int B, int T, int D) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++)
      for (int c = 0; c < D; c++) dst[((long)c * T + t) * B + b] = src[((long)b * T + t) * D + c];
}

void unet_to_batch_major(float *dst, const float *src, int B, int T, int D) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++)
      for (int c = 0; c < D; c++) dst[((long)b * T + t) * D + c] = src[((long)c * T + t) * B + b];
}

static void forward_condition(const Unet *u, const float *params, UnetActs *a, const float *timestep,
                              const float *global_cond) {
  const int B = a->B, dsed = u->cfg.step_embed_dim, gc = u->cfg.global_cond_dim;
  step_embedding_forward(a->step_sin, timestep, B, dsed);
  linear_forward(a->step_h, a->step_sin, params + u->step_w1, params + u->step_b1, B, dsed, 4 * dsed);
  mish_forward(a->step_hm, a->step_h, (long)B * 4 * dsed);
  float *step_emb = a->dstep_h;  // free until backward: holds (B, dsed) before the concat
  linear_forward(step_emb, a->step_hm, params + u->step_w2, params + u->step_b2, B, 4 * dsed, dsed);
  for (int b = 0; b < B; b++) {
    memcpy(a->cond + (long)b * u->cond_dim, step_emb + (long)b * dsed, (size_t)dsed * sizeof(float));
    if (gc) memcpy(a->cond + (long)b * u->cond_dim + dsed, global_cond + (long)b * gc, (size_t)gc * sizeof(float));
  }
  mish_forward(a->cond_mish, a->cond, (long)B * u->cond_dim);
}

void unet_forward(const Unet *u, const float *params, UnetActs *a, float *out, const float *sample,
                  const float *timestep, const float *global_cond) {
  const UnetConfig *c = &u->cfg;
  const int L = c->n_levels, B = a->B, T = a->T, *d = c->down_dims;
  unet_to_channel_major(a->sample, sample, B, T, c->input_dim);
  forward_condition(u, params, a, timestep, global_cond);
  const float *x = a->sample;
  for (int i = 0; i < L; i++) {
    int Ti = T >> i;
    res_block_forward(&u->down[i][0], params, &a->down[i][0], x, a->cond_mish, Ti, B);
    res_block_forward(&u->down[i][1], params, &a->down[i][1], a->down[i][0].out, a->cond_mish, Ti, B);
    x = a->down[i][1].out;
    if (i < L - 1) {
      conv1d_forward(a->down_out[i], x, params + u->down_w[i], params + u->down_b[i], downsample_shape(d[i]), Ti, B,
                     a->conv_scratch);
      x = a->down_out[i];
    }
  }
  const int Tm = T >> (L - 1);
  res_block_forward(&u->mid[0], params, &a->mid[0], x, a->cond_mish, Tm, B);
  res_block_forward(&u->mid[1], params, &a->mid[1], a->mid[0].out, a->cond_mish, Tm, B);
  x = a->mid[1].out;
  for (int j = 0; j < L - 1; j++) {
    int lv = L - 1 - j, Tl = T >> lv;
    long half = (long)d[lv] * Tl * B;  // (C, T, B): channel concat is two contiguous halves
    memcpy(a->up_in[j], x, (size_t)half * sizeof(float));
    memcpy(a->up_in[j] + half, a->down[lv][1].out, (size_t)half * sizeof(float));
    res_block_forward(&u->up[j][0], params, &a->up[j][0], a->up_in[j], a->cond_mish, Tl, B);
    res_block_forward(&u->up[j][1], params, &a->up[j][1], a->up[j][0].out, a->cond_mish, Tl, B);
    conv_transpose1d_forward(a->up_out[j], a->up[j][1].out, params + u->up_w[j], params + u->up_b[j],
                             upsample_shape(d[lv - 1]), Tl, B, a->conv_scratch);
    x = a->up_out[j];
  }
  conv1d_block_forward(&u->final_block, params, &a->final_acts, x, T, B);
  conv1d_forward(a->out, a->final_acts.out, params + u->final_w, params + u->final_b, final_shape(c), T, B, NULL);
  unet_to_batch_major(out, a->out, B, T, c->input_dim);
}

// ---------------------------------------------------------------- backward

static void zero(float *p, long n) { memset(p, 0, (size_t)n * sizeof *p); }

static void swap(float **x, float **y) {
  float *t = *x;
  *x = *y, *y = t;
}

static void backward_condition(const Unet *u, const float *params, UnetActs *a, float *grads, float *dglobal_cond) {
  const int B = a->B, dsed = u->cfg.step_embed_dim, gc = u->cfg.global_cond_dim, cd = u->cond_dim;
  zero(a->dcond, (long)B * cd);
  mish_backward(a->dcond, a->dcond_mish, a->cond, (long)B * cd);
  // dcond rows are [d step embedding | d global_cond]; the Linear reads rows with stride cd.
  float *dstep = a->scratch[0];
  for (int b = 0; b < B; b++) {
    memcpy(dstep + (long)b * dsed, a->dcond + (long)b * cd, (size_t)dsed * sizeof(float));
    if (dglobal_cond) memcpy(dglobal_cond + (long)b * gc, a->dcond + (long)b * cd + dsed, (size_t)gc * sizeof(float));
  }
  zero(a->dstep_hm, (long)B * 4 * dsed);
  linear_backward(a->dstep_hm, grads + u->step_w2, grads + u->step_b2, dstep, a->step_hm, params + u->step_w2, B,
                  4 * dsed, dsed);
  zero(a->dstep_h, (long)B * 4 * dsed);
  mish_backward(a->dstep_h, a->dstep_hm, a->step_h, (long)B * 4 * dsed);
  linear_backward(NULL, grads + u->step_w1, grads + u->step_b1, a->dstep_h, a->step_sin, params + u->step_w1, B, dsed,
                  4 * dsed);
}

void unet_backward(const Unet *u, const float *params, UnetActs *a, float *grads, const float *dout, float *dsample,
                   float *dglobal_cond) {
  const UnetConfig *c = &u->cfg;
  const int L = c->n_levels, B = a->B, T = a->T, *d = c->down_dims;
  const ResBlockScratch s = {a->scratch[0], a->scratch[1], a->scratch[2], a->scratch[3]};
  float *cur = a->grad_a, *next = a->grad_b;  // cur: gradient of the current stage's output
  zero(a->dcond_mish, (long)B * u->cond_dim);
  for (int i = 0; i < L; i++) zero(a->dskip[i], (long)d[i] * (T >> i) * B);

  unet_to_channel_major(cur, dout, B, T, c->input_dim);
  zero(next, (long)d[0] * T * B);
  conv1d_backward(next, grads + u->final_w, grads + u->final_b, cur, a->final_acts.out, params + u->final_w,
                  final_shape(c), T, B, NULL);
  swap(&cur, &next);
  const float *final_in = L > 1 ? a->up_out[L - 2] : a->mid[1].out;
  zero(next, (long)d[0] * T * B);
  conv1d_block_backward(&u->final_block, params, grads, &a->final_acts, next, cur, final_in, T, B, s.a, s.b);
  swap(&cur, &next);

  for (int j = L - 2; j >= 0; j--) {
    int lv = L - 1 - j, Tl = T >> lv;
    long half = (long)d[lv] * Tl * B, n_out = (long)d[lv - 1] * Tl * B;
    zero(next, n_out);
    conv_transpose1d_backward(next, grads + u->up_w[j], grads + u->up_b[j], cur, a->up[j][1].out,
                              params + u->up_w[j], upsample_shape(d[lv - 1]), Tl, B, a->conv_scratch);
    swap(&cur, &next);
    zero(next, n_out);
    res_block_backward(&u->up[j][1], params, grads, &a->up[j][1], next, a->dcond_mish, cur, a->up[j][0].out,
                       a->cond_mish, Tl, B, s);
    swap(&cur, &next);
    zero(next, 2 * half);
    res_block_backward(&u->up[j][0], params, grads, &a->up[j][0], next, a->dcond_mish, cur, a->up_in[j],
                       a->cond_mish, Tl, B, s);
    swap(&cur, &next);
    for (long k = 0; k < half; k++) a->dskip[lv][k] += cur[half + k];
  }

  const int Tm = T >> (L - 1);
  const long nm = (long)d[L - 1] * Tm * B;
  zero(next, nm);
  res_block_backward(&u->mid[1], params, grads, &a->mid[1], next, a->dcond_mish, cur, a->mid[0].out, a->cond_mish,
                     Tm, B, s);
  swap(&cur, &next);
  const float *mid_in = a->down[L - 1][1].out;
  zero(next, nm);
  res_block_backward(&u->mid[0], params, grads, &a->mid[0], next, a->dcond_mish, cur, mid_in, a->cond_mish, Tm, B,
                     s);
  swap(&cur, &next);

  for (int i = L - 1; i >= 0; i--) {
    int Ti = T >> i;
    long n = (long)d[i] * Ti * B;
    if (i < L - 1) {
      zero(next, n);
      conv1d_backward(next, grads + u->down_w[i], grads + u->down_b[i], cur, a->down[i][1].out,
                      params + u->down_w[i], downsample_shape(d[i]), Ti, B, a->conv_scratch);
      swap(&cur, &next);
    }
    for (long k = 0; k < n; k++) cur[k] += a->dskip[i][k];
    zero(next, n);
    res_block_backward(&u->down[i][1], params, grads, &a->down[i][1], next, a->dcond_mish, cur, a->down[i][0].out,
                       a->cond_mish, Ti, B, s);
    swap(&cur, &next);
    const float *level_in = i ? a->down_out[i - 1] : a->sample;
    long n_in = (long)(i ? d[i - 1] : c->input_dim) * Ti * B;
    zero(next, n_in);
    res_block_backward(&u->down[i][0], params, grads, &a->down[i][0], next, a->dcond_mish, cur, level_in,
                       a->cond_mish, Ti, B, s);
    swap(&cur, &next);
  }
  if (dsample) unet_to_batch_major(dsample, cur, B, T, c->input_dim);
  backward_condition(u, params, a, grads, dglobal_cond);
}

// ---------------------------------------------------------------- cost

static double res_block_macs(const ResBlock *rb, int T) {
  int k = rb->block[0].conv.kernel;
  double m = (double)rb->cout * rb->cin * k * T + (double)rb->cout * rb->cout * k * T;
  m += (double)rb->cond_dim * (rb->with_scale ? 2 : 1) * rb->cout;
  if (rb->res_w >= 0) m += (double)rb->cout * rb->cin * T;
  return m;
}

double unet_forward_macs(const Unet *u, int T) {
  const UnetConfig *c = &u->cfg;
  const int L = c->n_levels, *d = c->down_dims, dsed = c->step_embed_dim;
  double m = 8.0 * dsed * dsed;  // step encoder
  for (int i = 0; i < L; i++) {
    m += res_block_macs(&u->down[i][0], T >> i) + res_block_macs(&u->down[i][1], T >> i);
    if (i < L - 1) m += (double)d[i] * d[i] * 3 * (T >> (i + 1));
  }
  for (int i = 0; i < 2; i++) m += res_block_macs(&u->mid[i], T >> (L - 1));
  for (int j = 0; j < L - 1; j++) {
    int lv = L - 1 - j;
    m += res_block_macs(&u->up[j][0], T >> lv) + res_block_macs(&u->up[j][1], T >> lv);
    m += (double)d[lv - 1] * d[lv - 1] * 4 * (T >> lv);  // each input frame meets each tap once
  }
  m += (double)d[0] * d[0] * c->kernel_size * T + (double)c->input_dim * d[0] * T;
  return m;
}
