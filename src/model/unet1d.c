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
  if (c->time_inputs < 0 || c->time_inputs > 2)
    return odp_fail("time_inputs must be 1 or 2 (got %d)", c->time_inputs);
  for (int i = 0; i < c->n_levels; i++)
    if (c->down_dims[i] < 1 || c->down_dims[i] > UNET_MAX_WIDTH || c->down_dims[i] % c->n_groups)
      return odp_fail("down_dims[%d] = %d is not a multiple of n_groups = %d in 1..%d", i, c->down_dims[i],
                      c->n_groups, UNET_MAX_WIDTH);
  return ODP_OK;
}

// ---------------------------------------------------------------- the stage list

static UnetStage *add_stage(Unet *u, UnetStageKind kind, UnetGroup group, int level, int cin, int cout,
                            const char *fmt, int i, int j) {
  UnetStage *s = &u->stage[u->n_stages++];
  memset(s, 0, sizeof *s);
  s->kind = kind, s->group = group, s->level = level, s->cin = cin, s->cout = cout;
  s->skip_in = s->skip_out = -1;
  s->w = s->b = -1;
  snprintf(s->name, sizeof s->name, fmt, i, j);
  return s;
}

// The topology, in forward order (unet1d.h): the one place it is written down.
static void plan_stages(Unet *u) {
  const UnetConfig *c = &u->cfg;
  const int L = c->n_levels, *d = c->down_dims;
  u->n_stages = 0;
  for (int i = 0; i < L; i++) {
    add_stage(u, UNET_RES, UNET_GROUP_DOWN, i, i ? d[i - 1] : c->input_dim, d[i], "down_modules.%d.%d", i, 0);
    add_stage(u, UNET_RES, UNET_GROUP_DOWN, i, d[i], d[i], "down_modules.%d.%d", i, 1)->skip_out = i;
    if (i < L - 1) add_stage(u, UNET_DOWNSAMPLE, UNET_GROUP_DOWN, i, d[i], d[i], "down_modules.%d.%d.conv", i, 2);
  }
  for (int i = 0; i < 2; i++) add_stage(u, UNET_RES, UNET_GROUP_MID, L - 1, d[L - 1], d[L - 1], "mid_modules.%d", i, 0);
  for (int j = 0; j < L - 1; j++) {
    int lv = L - 1 - j;
    add_stage(u, UNET_RES, UNET_GROUP_UP, lv, 2 * d[lv], d[lv - 1], "up_modules.%d.%d", j, 0)->skip_in = lv;
    add_stage(u, UNET_RES, UNET_GROUP_UP, lv, d[lv - 1], d[lv - 1], "up_modules.%d.%d", j, 1);
    add_stage(u, UNET_UPSAMPLE, UNET_GROUP_UP, lv, d[lv - 1], d[lv - 1], "up_modules.%d.%d.conv", j, 2);
  }
  add_stage(u, UNET_BLOCK, UNET_GROUP_FINAL, 0, d[0], d[0], "final_conv.%d", 0, 0);
  add_stage(u, UNET_CONV, UNET_GROUP_FINAL, 0, d[0], c->input_dim, "final_conv.%d", 1, 0);
}

static Conv1dShape stage_conv_shape(const UnetStage *s, int kernel) {
  Conv1dShape down = {s->cin, s->cout, 3, 2, 1}, up = {s->cin, s->cout, 4, 2, 1}, pw = {s->cin, s->cout, kernel, 1, 0};
  return s->kind == UNET_DOWNSAMPLE ? down : s->kind == UNET_UPSAMPLE ? up : pw;
}

static long add_param(Unet *u, const char *module, const char *suffix, int ndim, const int *shape,
                      ParamLayout layout) {
  return param_table_add_in(&u->table, module, suffix, ndim, shape, layout);
}

static int register_stage(Unet *u, UnetStage *s) {
  const UnetConfig *c = &u->cfg;
  switch (s->kind) {
  case UNET_RES:
    return res_block_init(&s->res, &u->table, s->name, s->cin, s->cout, u->cond_dim, c->kernel_size, c->n_groups,
                          c->cond_predict_scale);
  case UNET_BLOCK:
    return conv1d_block_init(&s->block, &u->table, s->name, s->cin, s->cout, c->kernel_size, c->n_groups);
  default: {
    s->conv = stage_conv_shape(s, 1);
    int w[3] = {s->cout, s->cin, s->conv.kernel}, b[1] = {s->cout};  // ConvTranspose1d: (cin, cout, K), cin == cout
    s->w = add_param(u, s->name, "weight", 3, w, LAYOUT_TAPS);
    s->b = add_param(u, s->name, "bias", 1, b, LAYOUT_PLAIN);
    return s->b < 0 ? ODP_ERR : ODP_OK;
  }
  }
}

static int register_step_encoder(Unet *u) {
  const int dsed = u->cfg.step_embed_dim;
  int w1[2] = {4 * dsed, dsed}, b1[1] = {4 * dsed}, w2[2] = {dsed, 4 * dsed}, b2[1] = {dsed};
  u->step_w1 = add_param(u, "diffusion_step_encoder", "1.weight", 2, w1, LAYOUT_PLAIN);
  u->step_b1 = add_param(u, "diffusion_step_encoder", "1.bias", 1, b1, LAYOUT_PLAIN);
  u->step_w2 = add_param(u, "diffusion_step_encoder", "3.weight", 2, w2, LAYOUT_PLAIN);
  u->step_b2 = add_param(u, "diffusion_step_encoder", "3.bias", 1, b2, LAYOUT_PLAIN);
  return u->step_b2 < 0 ? ODP_ERR : ODP_OK;
}

// Registers parameters in PyTorch's state_dict order: mid_modules, diffusion_step_encoder,
// up_modules, down_modules, final_conv (the order the reference assigns them).
int unet_init(Unet *u, const UnetConfig *cfg) {
  memset(u, 0, sizeof *u);
  if (unet_config_validate(cfg)) return ODP_ERR;
  u->cfg = *cfg;
  u->cond_dim = unet_time_inputs(cfg) * cfg->step_embed_dim + cfg->global_cond_dim;
  plan_stages(u);
  int err = 0;
  for (int g = 0; g < UNET_N_GROUPS; g++) {
    if (g == UNET_GROUP_UP) err |= register_step_encoder(u);
    for (int i = 0; i < u->n_stages; i++)
      if (u->stage[i].group == (UnetGroup)g) err |= register_stage(u, &u->stage[i]);
  }
  if (err) {
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

long unet_largest_stage(const UnetStage *stage, int n_stages, int T, int B) {
  long m = 0;
  for (int i = 0; i < n_stages; i++) {
    const UnetStage *s = &stage[i];
    int tin = T >> s->level;
    long in = (long)s->cin * tin, out = (long)s->cout * unet_stage_out_len(s, tin);
    m = in > m ? in : m;
    m = out > m ? out : m;
  }
  return m * B;
}

static void plan_stage_acts(const UnetStage *s, UnetStageActs *sa, Arena *ar, int tin, int B) {
  if (s->skip_in >= 0) sa->concat = arena_take(ar, (long)s->cin * tin * B);
  if (s->kind == UNET_RES) {
    res_block_acts(&sa->res, ar, &s->res, tin, B);
    sa->out = sa->res.out;
  } else if (s->kind == UNET_BLOCK) {
    conv1d_block_acts(&sa->block, ar, &s->block, tin, B);
    sa->out = sa->block.out;
  } else {
    sa->out = arena_take(ar, (long)s->cout * unet_stage_out_len(s, tin) * B);
  }
}

static void plan_acts(const Unet *u, UnetActs *a) {
  const UnetConfig *c = &u->cfg;
  const int B = a->B, T = a->T, dsed = c->step_embed_dim, R = B * unet_time_inputs(c);  // step encoder rows
  Arena *ar = &a->arena;
  ar->used = 0;
  a->sample = arena_take(ar, (long)c->input_dim * T * B);
  a->step_sin = arena_take(ar, (long)R * dsed);
  a->step_h = arena_take(ar, (long)R * 4 * dsed);
  a->step_hm = arena_take(ar, (long)R * 4 * dsed);
  a->cond = arena_take(ar, (long)B * u->cond_dim);
  a->cond_mish = arena_take(ar, (long)B * u->cond_dim);
  for (int i = 0; i < u->n_stages; i++) plan_stage_acts(&u->stage[i], &a->stage[i], ar, T >> u->stage[i].level, B);
  long S = unet_largest_stage(u->stage, u->n_stages, T, B);
  a->dcond_mish = arena_take(ar, (long)B * u->cond_dim);
  a->dcond = arena_take(ar, (long)B * u->cond_dim);
  a->dstep_hm = arena_take(ar, (long)R * 4 * dsed);
  a->dstep_h = arena_take(ar, (long)R * 4 * dsed);
  a->dstep = arena_take(ar, (long)R * dsed);
  a->grad_a = arena_take(ar, S);
  a->grad_b = arena_take(ar, S);
  for (int i = 0; i < c->n_levels; i++) a->dskip[i] = arena_take(ar, (long)c->down_dims[i] * (T >> i) * B);
  for (int i = 0; i < 4; i++) a->scratch[i] = arena_take(ar, S);
  a->conv_scratch = arena_take(ar, S);
}

int unet_check_batch(const UnetConfig *c, int B, int T) {
  int div = 1 << (c->n_levels - 1);
  if (B < 1 || T < 2 || T % div)
    return odp_fail("U-Net with %d levels needs horizon divisible by %d and >= 2 (got %d), batch >= 1 (got %d)",
                    c->n_levels, div, T, B);
  return ODP_OK;
}

UnetActs *unet_acts_create(const Unet *u, int B, int T) {
  if (unet_check_batch(&u->cfg, B, T)) return NULL;
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
  const int B = a->B, dsed = u->cfg.step_embed_dim, gc = u->cfg.global_cond_dim, te = unet_time_inputs(&u->cfg) * dsed;
  const int R = B * unet_time_inputs(&u->cfg);  // one step-encoder row per time input
  step_embedding_forward(a->step_sin, timestep, R, dsed);
  linear_forward(a->step_h, a->step_sin, params + u->step_w1, params + u->step_b1, R, dsed, 4 * dsed);
  mish_forward(a->step_hm, a->step_h, (long)R * 4 * dsed);
  float *step_emb = a->dstep_h;  // free until backward: holds (B, te) before the concat
  linear_forward(step_emb, a->step_hm, params + u->step_w2, params + u->step_b2, R, 4 * dsed, dsed);
  for (int b = 0; b < B; b++) {
    memcpy(a->cond + (long)b * u->cond_dim, step_emb + (long)b * te, (size_t)te * sizeof(float));
    if (gc) memcpy(a->cond + (long)b * u->cond_dim + te, global_cond + (long)b * gc, (size_t)gc * sizeof(float));
  }
  mish_forward(a->cond_mish, a->cond, (long)B * u->cond_dim);
}

// One stage: sa->out from its input x (cin, T, B) at T frames.
static void stage_forward(const UnetStage *s, const float *params, UnetActs *a, UnetStageActs *sa, const float *x,
                          int T) {
  const int B = a->B;
  sa->in = x;
  switch (s->kind) {
  case UNET_RES: res_block_forward(&s->res, params, &sa->res, x, a->cond_mish, T, B); break;
  case UNET_BLOCK: conv1d_block_forward(&s->block, params, &sa->block, x, T, B); break;
  case UNET_UPSAMPLE:
    conv_transpose1d_forward(sa->out, x, params + s->w, params + s->b, s->conv, T, B, a->conv_scratch);
    break;
  default: conv1d_forward(sa->out, x, params + s->w, params + s->b, s->conv, T, B, a->conv_scratch);
  }
}

// [x ; skip] into the stage's concat buffer: with (C, T, B) layout, two contiguous halves.
static const float *concat_skip(UnetStageActs *sa, const float *x, const float *skip, long half) {
  memcpy(sa->concat, x, (size_t)half * sizeof(float));
  memcpy(sa->concat + half, skip, (size_t)half * sizeof(float));
  return sa->concat;
}

// Stages 0..last on the sample; returns stage last's output (cout, T', B).
static const float *forward_stages(const Unet *u, const float *params, UnetActs *a, const float *sample,
                                   const float *timestep, const float *global_cond, int last) {
  const int B = a->B, T = a->T;
  unet_to_channel_major(a->sample, sample, B, T, u->cfg.input_dim);
  forward_condition(u, params, a, timestep, global_cond);
  const float *x = a->sample;
  for (int i = 0; i <= last; i++) {
    const UnetStage *s = &u->stage[i];
    UnetStageActs *sa = &a->stage[i];
    int tin = T >> s->level;
    if (s->skip_in >= 0) x = concat_skip(sa, x, a->skip[s->skip_in], (long)(s->cin / 2) * tin * B);
    stage_forward(s, params, a, sa, x, tin);
    x = sa->out;
    if (s->skip_out >= 0) a->skip[s->skip_out] = x;
  }
  return x;
}

void unet_forward(const Unet *u, const float *params, UnetActs *a, float *out, const float *sample,
                  const float *timestep, const float *global_cond) {
  const float *x = forward_stages(u, params, a, sample, timestep, global_cond, u->n_stages - 1);
  unet_to_batch_major(out, x, a->B, a->T, u->cfg.input_dim);
}

int unet_bottleneck_stage(const Unet *u) {
  int last = 0;
  for (int i = 0; i < u->n_stages; i++)
    if (u->stage[i].group == UNET_GROUP_MID) last = i;
  return last;
}

const float *unet_forward_features(const Unet *u, const float *params, UnetActs *a, const float *sample,
                                   const float *timestep, const float *global_cond) {
  return forward_stages(u, params, a, sample, timestep, global_cond, unet_bottleneck_stage(u));
}

// ---------------------------------------------------------------- backward

static void zero(float *p, long n) { memset(p, 0, (size_t)n * sizeof *p); }

static void swap(float **x, float **y) {
  float *t = *x;
  *x = *y, *y = t;
}

static void backward_condition(const Unet *u, const float *params, UnetActs *a, float *grads, float *dglobal_cond) {
  const int B = a->B, dsed = u->cfg.step_embed_dim, gc = u->cfg.global_cond_dim, cd = u->cond_dim;
  const int te = unet_time_inputs(&u->cfg) * dsed, R = B * unet_time_inputs(&u->cfg);
  zero(a->dcond, (long)B * cd);
  mish_backward(a->dcond, a->dcond_mish, a->cond, (long)B * cd);
  // dcond rows are [d step embeddings | d global_cond]; the step encoder's rows are (B ti, dsed).
  float *dstep = a->dstep;
  for (int b = 0; b < B; b++) {
    memcpy(dstep + (long)b * te, a->dcond + (long)b * cd, (size_t)te * sizeof(float));
    if (dglobal_cond) memcpy(dglobal_cond + (long)b * gc, a->dcond + (long)b * cd + te, (size_t)gc * sizeof(float));
  }
  zero(a->dstep_hm, (long)R * 4 * dsed);
  linear_backward(a->dstep_hm, grads + u->step_w2, grads + u->step_b2, dstep, a->step_hm, params + u->step_w2, R,
                  4 * dsed, dsed);
  zero(a->dstep_h, (long)R * 4 * dsed);
  mish_backward(a->dstep_h, a->dstep_hm, a->step_h, (long)R * 4 * dsed);
  linear_backward(NULL, grads + u->step_w1, grads + u->step_b1, a->dstep_h, a->step_sin, params + u->step_w1, R, dsed,
                  4 * dsed);
}

// Accumulates din (the stage input's gradient, may be NULL) and the stage's parameter
// gradients from dout.
static void stage_backward(const UnetStage *s, const float *params, float *grads, UnetActs *a,
                           const UnetStageActs *sa, float *din, const float *dout, int T) {
  const int B = a->B;
  const ResBlockScratch scr = {a->scratch[0], a->scratch[1], a->scratch[2], a->scratch[3]};
  switch (s->kind) {
  case UNET_RES:
    res_block_backward(&s->res, params, grads, &sa->res, din, a->dcond_mish, dout, sa->in, a->cond_mish, T, B, scr);
    break;
  case UNET_BLOCK:
    conv1d_block_backward(&s->block, params, grads, &sa->block, din, dout, sa->in, T, B, scr.a, scr.b);
    break;
  case UNET_UPSAMPLE:
    conv_transpose1d_backward(din, grads + s->w, grads + s->b, dout, sa->in, params + s->w, s->conv, T, B,
                              a->conv_scratch);
    break;
  default:
    conv1d_backward(din, grads + s->w, grads + s->b, dout, sa->in, params + s->w, s->conv, T, B, a->conv_scratch);
  }
}

// Backward from a->grad_a, the gradient of stage last's output, down to the sample and
// the conditioning.
static void backward_stages(const Unet *u, const float *params, UnetActs *a, float *grads, int last, float *dsample,
                            float *dglobal_cond) {
  const UnetConfig *c = &u->cfg;
  const int L = c->n_levels, B = a->B, T = a->T, *d = c->down_dims;
  float *cur = a->grad_a, *next = a->grad_b;  // cur: gradient of the current stage's output
  zero(a->dcond_mish, (long)B * u->cond_dim);
  for (int i = 0; i < L; i++) zero(a->dskip[i], (long)d[i] * (T >> i) * B);
  for (int i = last; i >= 0; i--) {
    const UnetStage *s = &u->stage[i];
    int tin = T >> s->level;
    if (s->skip_out >= 0) {  // the output also went up as a skip
      long n = (long)s->cout * tin * B;
      for (long k = 0; k < n; k++) cur[k] += a->dskip[s->skip_out][k];
    }
    zero(next, (long)s->cin * tin * B);
    stage_backward(s, params, grads, a, &a->stage[i], next, cur, tin);
    swap(&cur, &next);
    if (s->skip_in >= 0) {  // the second half of [x ; skip] is the skip's gradient
      long half = (long)(s->cin / 2) * tin * B;
      for (long k = 0; k < half; k++) a->dskip[s->skip_in][k] += cur[half + k];
    }
  }
  if (dsample) unet_to_batch_major(dsample, cur, B, T, c->input_dim);
  backward_condition(u, params, a, grads, dglobal_cond);
}

void unet_backward(const Unet *u, const float *params, UnetActs *a, float *grads, const float *dout, float *dsample,
                   float *dglobal_cond) {
  unet_to_channel_major(a->grad_a, dout, a->B, a->T, u->cfg.input_dim);
  backward_stages(u, params, a, grads, u->n_stages - 1, dsample, dglobal_cond);
}

void unet_backward_features(const Unet *u, const float *params, UnetActs *a, float *grads, const float *dfeatures,
                            float *dsample, float *dglobal_cond) {
  const int last = unet_bottleneck_stage(u);
  const UnetStage *s = &u->stage[last];
  memcpy(a->grad_a, dfeatures, (size_t)s->cout * (a->T >> s->level) * a->B * sizeof(float));
  backward_stages(u, params, a, grads, last, dsample, dglobal_cond);
}

// ---------------------------------------------------------------- cost

static double stage_macs(const UnetStage *s, int T) {
  switch (s->kind) {
  case UNET_RES: {
    int k = s->res.block[0].conv.kernel;
    double m = (double)s->cout * s->cin * k * T + (double)s->cout * s->cout * k * T;
    m += (double)s->res.cond_dim * (s->res.with_scale ? 2 : 1) * s->cout;
    if (s->res.res_w >= 0) m += (double)s->cout * s->cin * T;
    return m;
  }
  case UNET_BLOCK: return (double)s->cout * s->cin * s->block.conv.kernel * T;
  case UNET_UPSAMPLE: return (double)s->cout * s->cin * s->conv.kernel * T;  // each input frame meets each tap once
  default: return (double)s->cout * s->cin * s->conv.kernel * conv1d_out_len(s->conv, T);
  }
}

double unet_forward_macs(const Unet *u, int T) {
  double m = 8.0 * u->cfg.step_embed_dim * u->cfg.step_embed_dim;  // step encoder
  for (int i = 0; i < u->n_stages; i++) m += stage_macs(&u->stage[i], T >> u->stage[i].level);
  return m;
}
