#include "model/unet_infer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "nn/group_norm.h"
#include "nn/linear.h"
#include "nn/mish.h"
#include "nn/norm_mish_film.h"
#include "nn/step_embedding.h"

#define ALIGN 64

// ---------------------------------------------------------------- building

// Two passes over the same code, as with the activation arena: the first only counts
// bytes (nothing read), the second reads each tensor once and packs it.
typedef struct {
  UnetInfer *m;
  const Unet *u;
  UnetTensorReader read;
  void *ctx;
  int filling;
  long packed_at, vector_at;  // bytes / floats handed out so far
  float *tmp;                 // one PyTorch-layout tensor
  long tmp_cap;
  float *step_mish;           // fixed step: Mish(step embedding) (dsed)
  int err;
} Builder;

static const ParamEntry *entry_at(const Unet *u, long offset) {
  for (int i = 0; i < u->table.count; i++)
    if (u->table.entries[i].offset == offset) return &u->table.entries[i];
  return NULL;
}

// The tensor at `offset` in u's table, PyTorch layout, in the builder's temporary.
static float *read_entry(Builder *b, long offset) {
  const ParamEntry *e = entry_at(b->u, offset);
  if (b->err || !e) return b->err = 1, NULL;
  if (e->numel > b->tmp_cap) {
    free(b->tmp);
    b->tmp = odp_malloc((unsigned long)e->numel * sizeof(float), "U-Net tensor");
    b->tmp_cap = b->tmp ? e->numel : 0;
    if (!b->tmp) return b->err = 1, NULL;
  }
  if (b->read(b->ctx, e->name, b->tmp, e->numel)) return b->err = 1, NULL;
  return b->tmp;
}

static void *take_packed(Builder *b, long bytes) {
  void *p = b->filling ? (char *)b->m->packed + b->packed_at : NULL;
  b->packed_at += (bytes + ALIGN - 1) / ALIGN * ALIGN;
  return p;
}

static float *take_vector(Builder *b, long n) {
  float *p = b->filling ? b->m->vectors + b->vector_at : NULL;
  b->vector_at += (n + 15) & ~15L;
  return p;
}

// A 1-D tensor (bias, norm affine) copied into the vector block.
static const float *copy_vector(Builder *b, long offset, long n) {
  float *dst = take_vector(b, n);
  if (!b->filling) return NULL;
  const float *src = read_entry(b, offset);
  if (src) memcpy(dst, src, (size_t)n * sizeof *dst);
  return dst;
}

static PackedConv pack_conv(Builder *b, long w, long bias, Conv1dShape s, int transposed) {
  void *dst = take_packed(b, packed_conv_bytes(s, b->m->fmt));
  const float *bv = bias >= 0 ? copy_vector(b, bias, s.cout) : NULL;
  if (b->filling) {
    const float *src = read_entry(b, w);
    if (src) packed_conv_pack(dst, src, s, transposed, b->m->fmt);
  }
  return packed_conv_make(s, transposed, b->m->fmt, dst, bv);
}

static Conv1dShape pointwise(int cin, int cout) {
  Conv1dShape s = {cin, cout, 1, 1, 0};
  return s;
}

static InferConvBlock pack_block(Builder *b, const Conv1dBlock *blk) {
  InferConvBlock ib;
  ib.conv = pack_conv(b, blk->conv_w, blk->conv_b, blk->conv, 0);
  ib.gamma = copy_vector(b, blk->norm_w, blk->conv.cout);
  ib.beta = copy_vector(b, blk->norm_b, blk->conv.cout);
  ib.groups = blk->groups;
  return ib;
}

// The FiLM projection Linear(cond_dim -> width) over Mish([step emb | global cond]).
// Fixed step: bias += W[:, :dsed] step_mish and only the columns W[:, dsed:] are packed.
static PackedConv pack_cond(Builder *b, const ResBlock *rb) {
  const int width = rb->with_scale ? 2 * rb->cout : rb->cout, cd = rb->cond_dim, in = b->m->cond_inputs;
  const int skip = cd - in;  // dsed columns folded away, or none
  Conv1dShape s = pointwise(in, width);
  void *dst = take_packed(b, packed_conv_bytes(s, b->m->fmt));
  float *bias = take_vector(b, width);
  if (b->filling) {
    const float *bsrc = read_entry(b, rb->cond_b);
    if (bsrc) memcpy(bias, bsrc, (size_t)width * sizeof *bias);
    float *w = read_entry(b, rb->cond_w);  // (width, cd)
    if (w) {
      for (int r = 0; r < width; r++) {
        double acc = bias[r];
        for (int c = 0; c < skip; c++) acc += (double)w[(long)r * cd + c] * b->step_mish[c];
        bias[r] = (float)acc;
        memmove(w + (long)r * in, w + (long)r * cd + skip, (size_t)in * sizeof *w);  // rows of (width, in)
      }
      packed_conv_pack(dst, w, s, 0, b->m->fmt);
    }
  }
  return packed_conv_make(s, 0, b->m->fmt, dst, bias);
}

static InferResBlock pack_res_block(Builder *b, const ResBlock *rb) {
  InferResBlock ir;
  memset(&ir, 0, sizeof ir);
  ir.with_scale = rb->with_scale, ir.has_res = rb->res_w >= 0;
  ir.block[0] = pack_block(b, &rb->block[0]);
  ir.cond = pack_cond(b, rb);
  ir.block[1] = pack_block(b, &rb->block[1]);
  if (ir.has_res) ir.res = pack_conv(b, rb->res_w, rb->res_b, pointwise(rb->cin, rb->cout), 0);
  return ir;
}

// A malloc'd copy of the tensor at `offset` (NULL on failure).
static float *read_copy(Builder *b, long offset, long n) {
  const float *src = read_entry(b, offset);
  float *dst = src ? odp_malloc((unsigned long)n * sizeof(float), "U-Net tensor") : NULL;
  if (!dst) return b->err = 1, NULL;
  return memcpy(dst, src, (size_t)n * sizeof(float));
}

// Mish(step MLP(sinusoid(k*))) (dsed) for the fixed step, in f32.
static int fixed_step_mish(Builder *b) {
  const Unet *u = b->u;
  const int dsed = u->cfg.step_embed_dim;
  float t = b->m->fixed_time;
  float *w1 = read_copy(b, u->step_w1, 4L * dsed * dsed), *b1 = read_copy(b, u->step_b1, 4L * dsed);
  float *w2 = read_copy(b, u->step_w2, 4L * dsed * dsed), *b2 = read_copy(b, u->step_b2, dsed);
  float *sin_emb = malloc((size_t)dsed * sizeof(float)), *h = malloc(4 * (size_t)dsed * sizeof(float));
  b->step_mish = malloc((size_t)dsed * sizeof(float));
  if (!b->err && (!sin_emb || !h || !b->step_mish)) b->err = 1, odp_fail("out of memory building the step embedding");
  if (!b->err) {
    step_embedding_forward(sin_emb, &t, 1, dsed);
    linear_forward(h, sin_emb, w1, b1, 1, dsed, 4 * dsed);
    mish_forward(h, h, 4L * dsed);
    linear_forward(b->step_mish, h, w2, b2, 1, 4 * dsed, dsed);
    mish_forward(b->step_mish, b->step_mish, dsed);
  }
  free(w1), free(b1), free(w2), free(b2), free(sin_emb), free(h);
  return b->err ? ODP_ERR : ODP_OK;
}

static InferStage pack_stage(Builder *b, const UnetStage *s) {
  InferStage is;
  memset(&is, 0, sizeof is);
  switch (s->kind) {
  case UNET_RES: is.res = pack_res_block(b, &s->res); break;
  case UNET_BLOCK: is.block = pack_block(b, &s->block); break;
  default: is.conv = pack_conv(b, s->w, s->b, s->conv, s->kind == UNET_UPSAMPLE);
  }
  return is;
}

static void build_pass(Builder *b) {
  UnetInfer *m = b->m;
  const Unet *u = b->u;
  const int dsed = u->cfg.step_embed_dim;
  b->packed_at = b->vector_at = 0;
  if (!m->fixed) {
    m->step1 = pack_conv(b, u->step_w1, u->step_b1, pointwise(dsed, 4 * dsed), 0);
    m->step2 = pack_conv(b, u->step_w2, u->step_b2, pointwise(4 * dsed, dsed), 0);
  }
  for (int i = 0; i < u->n_stages; i++) m->packed_stage[i] = pack_stage(b, &u->stage[i]);
}

int unet_infer_build(UnetInfer *m, const Unet *u, UnetTensorReader read, void *ctx, WeightFormat fmt,
                     const float *fixed_time) {
  memset(m, 0, sizeof *m);
  if (u->cfg.time_inputs > 1)
    return odp_fail("a U-Net with %d time inputs (a consistency student) runs on the training network only",
                    u->cfg.time_inputs);
  m->cfg = u->cfg, m->fmt = fmt, m->fixed = fixed_time != NULL, m->fixed_time = fixed_time ? *fixed_time : 0;
  m->n_stages = u->n_stages;
  memcpy(m->stage, u->stage, sizeof m->stage);
  m->cond_inputs = m->fixed ? u->cfg.global_cond_dim : u->cond_dim;
  Builder b = {.m = m, .u = u, .read = read, .ctx = ctx};
  build_pass(&b);  // sizes
  m->packed_bytes = b.packed_at, m->vector_floats = b.vector_at;
  m->packed = aligned_alloc(ALIGN, (size_t)(m->packed_bytes + ALIGN));
  m->vectors = aligned_alloc(ALIGN, (size_t)(m->vector_floats + 16) * sizeof(float));
  int err = !m->packed || !m->vectors ? odp_fail("out of memory: %.1f MB of packed U-Net weights", m->packed_bytes * 1e-6)
                                      : ODP_OK;
  b.filling = 1;
  if (!err && m->fixed) err = fixed_step_mish(&b);
  if (!err) {
    build_pass(&b);
    err = b.err ? ODP_ERR : ODP_OK;
  }
  free(b.tmp), free(b.step_mish);
  if (err) unet_infer_free(m);
  return err;
}

typedef struct {
  const Unet *u;
  const float *params;
} ParamsSource;

static int read_from_params(void *ctx, const char *name, float *out, long numel) {
  const ParamsSource *src = ctx;
  const ParamEntry *e = param_table_find(&src->u->table, name);
  if (!e || e->numel != numel) return odp_fail("U-Net parameter %s: not in the table", name);
  param_to_pytorch(e, src->params + e->offset, out);
  return ODP_OK;
}

int unet_infer_from_params(UnetInfer *m, const Unet *u, const float *params, WeightFormat fmt,
                           const float *fixed_time) {
  ParamsSource src = {u, params};
  return unet_infer_build(m, u, read_from_params, &src, fmt, fixed_time);
}

typedef struct {
  const Unet *u;
  Safetensors *st;
  const char *prefix;
} FileSource;

static int read_from_file(void *ctx, const char *name, float *out, long numel) {
  const FileSource *src = ctx;
  const char *path = safetensors_path(src->st);
  char full[160];
  snprintf(full, sizeof full, "%s%s", src->prefix, name);
  const ParamEntry *e = param_table_find(&src->u->table, name);
  int i = safetensors_find(src->st, full);
  if (!e || i < 0) return odp_fail("%s: tensor %s missing", path, full);
  int same = safetensors_ndim(src->st, i) == e->ndim;
  for (int d = 0; same && d < e->ndim; d++) same = safetensors_shape(src->st, i)[d] == e->shape[d];
  if (!same) return odp_fail("%s: tensor %s does not have this model's shape", path, full);
  if (safetensors_read_f32(src->st, full, out, numel)) return ODP_ERR;
  for (long k = 0; k < numel; k++)
    if (!isfinite(out[k])) return odp_fail("%s: tensor %s: element %ld is not finite", path, full, k);
  return ODP_OK;
}

int unet_infer_from_file(UnetInfer *m, const Unet *u, Safetensors *st, const char *prefix, WeightFormat fmt,
                         const float *fixed_time) {
  FileSource src = {u, st, prefix};
  return unet_infer_build(m, u, read_from_file, &src, fmt, fixed_time);
}

int weight_format_parse(WeightFormat *fmt, const char *text) {
  if (!strcmp(text, "f32")) *fmt = WEIGHTS_F32;
  else if (!strcmp(text, "bf16")) *fmt = WEIGHTS_BF16;
  else return odp_fail("weights '%s': expected f32 or bf16", text);
  return ODP_OK;
}

void unet_infer_free(UnetInfer *m) {
  free(m->packed), free(m->vectors);
  memset(m, 0, sizeof *m);
}

// ---------------------------------------------------------------- activations

struct UnetInferActs {
  int B, T;
  float *base;
  float *buf[4];                   // stage buffers, each the largest (C, T, B) of any stage
  float *skip[UNET_MAX_LEVELS];    // each level's output, read again on the way up
  float *pad;                      // a convolution's padded input
  float *cond;                     // (cond_inputs, B): Mish of the FiLM projections' input
  float *emb_rows;                 // a FiLM projection's output (width, B)
  float *step_sin, *step_cols;     // step embedding (B, dsed), as columns (dsed, B)
  float *step_h;                   // step MLP hidden (4 dsed, B)
  float *mean, *rstd;              // GroupNorm statistics (G, B)
};

// Widest convolution input and widest FiLM projection of any stage.
static void stage_widths(const UnetInfer *m, long *conv_in, long *film) {
  *conv_in = *film = 0;
  for (int i = 0; i < m->n_stages; i++) {
    const UnetStage *s = &m->stage[i];
    *conv_in = s->cin > *conv_in ? s->cin : *conv_in;  // a stage's cout is the next one's cin or Da
    *conv_in = s->cout > *conv_in ? s->cout : *conv_in;
    *film = 2L * s->cout > *film ? 2L * s->cout : *film;
  }
}

// Hands out the buffers from ar (a counting pass when ar->base is NULL).
static void plan_infer_acts(const UnetInfer *m, UnetInferActs *a, Arena *ar) {
  const UnetConfig *c = &m->cfg;
  const int B = a->B, T = a->T, dsed = c->step_embed_dim;
  const long S = unet_largest_stage(m->stage, m->n_stages, T, B);
  long widest, film;  // widest: input channels of any convolution
  stage_widths(m, &widest, &film);
  if (4L * dsed > widest) widest = 4L * dsed;
  if (m->cond_inputs > widest) widest = m->cond_inputs;
  ar->used = 0;
  for (int i = 0; i < 4; i++) a->buf[i] = arena_take(ar, S);
  for (int i = 0; i < c->n_levels; i++) a->skip[i] = arena_take(ar, (long)c->down_dims[i] * (T >> i) * B);
  // Padded inputs: T + K - 1 frames at most, T + 3 for the up/downsampling convs.
  a->pad = arena_take(ar, widest * (T + c->kernel_size + 3L) * B);
  a->cond = arena_take(ar, (long)(dsed + c->global_cond_dim) * B);
  a->emb_rows = arena_take(ar, film * B);
  a->step_sin = arena_take(ar, (long)dsed * B);
  a->step_cols = arena_take(ar, (long)dsed * B);
  a->step_h = arena_take(ar, 4L * dsed * B);
  a->mean = arena_take(ar, (long)c->n_groups * B);
  a->rstd = arena_take(ar, (long)c->n_groups * B);
}

UnetInferActs *unet_infer_acts_create(const UnetInfer *m, int B, int T) {
  if (unet_check_batch(&m->cfg, B, T)) return NULL;
  UnetInferActs *a = odp_calloc(1, sizeof *a, "U-Net inference activations");
  if (!a) return NULL;
  a->B = B, a->T = T;
  Arena ar = {NULL, 0, 0};
  plan_infer_acts(m, a, &ar);
  ar.base = a->base = aligned_alloc(ALIGN, (size_t)ar.used * sizeof(float));
  if (!a->base) {
    odp_fail("out of memory: U-Net inference activations for batch %d need %.1f MB", B, ar.used * 4e-6);
    free(a);
    return NULL;
  }
  plan_infer_acts(m, a, &ar);
  return a;
}

void unet_infer_acts_free(UnetInferActs *a) {
  if (!a) return;
  free(a->base);
  free(a);
}

int unet_infer_acts_batch(const UnetInferActs *a) { return a->B; }

// ---------------------------------------------------------------- forward

// (B, D) rows <-> (D, B) columns.
static void transpose(float *dst, const float *src, int rows, int cols) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[(long)c * rows + r] = src[(long)r * cols + c];
}

// Conv1d -> GroupNorm -> Mish (-> FiLM); y (Cout, T, B).
static void block_forward(const InferConvBlock *blk, UnetInferActs *a, float *y, const float *x, int T,
                          const float *film, int with_scale) {
  packed_conv_forward(&blk->conv, y, x, T, a->B, a->pad);
  norm_mish_film_forward(y, blk->gamma, blk->beta, blk->conv.s.cout, T, a->B, blk->groups, GROUP_NORM_EPS, a->mean,
                         a->rstd, film, with_scale);
}

// out (cout, T, B) from x (cin, T, B); out must not alias x. Uses buf[2], buf[3].
static void res_forward(const InferResBlock *rb, UnetInferActs *a, float *out, const float *x, int T) {
  const int B = a->B;
  const long n = (long)rb->block[1].conv.s.cout * T * B;
  float *h = a->buf[2], *h2 = a->buf[3];
  packed_conv_forward(&rb->cond, a->emb_rows, a->cond, 1, B, a->pad);  // FiLM rows (width, B)
  block_forward(&rb->block[0], a, h, x, T, a->emb_rows, rb->with_scale);
  block_forward(&rb->block[1], a, h2, h, T, NULL, 0);
  if (rb->has_res) {
    packed_conv_forward(&rb->res, out, x, T, B, a->pad);
    for (long i = 0; i < n; i++) out[i] += h2[i];
  } else {
    for (long i = 0; i < n; i++) out[i] = h2[i] + x[i];
  }
}

// a->cond = Mish([step MLP(t) | global_cond]) as (rows, B), or Mish(global_cond) for a fixed step.
static int forward_condition(const UnetInfer *m, UnetInferActs *a, const float *timestep, const float *gc) {
  const int B = a->B, dsed = m->cfg.step_embed_dim, ngc = m->cfg.global_cond_dim;
  float *gc_rows = a->cond;
  if (m->fixed) {
    for (int b = 0; b < B; b++)
      if (timestep[b] != m->fixed_time)
        return odp_fail("this U-Net was built for time input %g only (got %g)", m->fixed_time, timestep[b]);
  } else {
    step_embedding_forward(a->step_sin, timestep, B, dsed);
    transpose(a->step_cols, a->step_sin, B, dsed);
    packed_conv_forward(&m->step1, a->step_h, a->step_cols, 1, B, a->pad);
    mish_forward_vec(a->step_h, a->step_h, 4L * dsed * B);
    packed_conv_forward(&m->step2, a->cond, a->step_h, 1, B, a->pad);
    gc_rows += (long)dsed * B;
  }
  if (ngc) transpose(gc_rows, gc, B, ngc);
  mish_forward_vec(a->cond, a->cond, (long)m->cond_inputs * B);
  return ODP_OK;
}

// One stage: out from x (cin, T, B) at T frames; out must not alias x.
static void stage_forward(const UnetStage *s, const InferStage *is, UnetInferActs *a, float *out, const float *x,
                          int T) {
  switch (s->kind) {
  case UNET_RES: res_forward(&is->res, a, out, x, T); break;
  case UNET_BLOCK: block_forward(&is->block, a, out, x, T, NULL, 0); break;
  default: packed_conv_forward(&is->conv, out, x, T, a->B, a->pad);
  }
}

// Walks the stage list with two ping-pong buffers (a stage never writes its input); a
// stage whose output is a skip writes it straight into that level's skip buffer.
int unet_infer_forward(const UnetInfer *m, UnetInferActs *a, float *out, const float *sample, const float *timestep,
                       const float *global_cond) {
  const UnetConfig *c = &m->cfg;
  const int B = a->B, T = a->T;
  if (forward_condition(m, a, timestep, global_cond)) return ODP_ERR;
  float *x = a->buf[0];
  unet_to_channel_major(x, sample, B, T, c->input_dim);
  for (int i = 0; i < m->n_stages; i++) {
    const UnetStage *s = &m->stage[i];
    int tin = T >> s->level;
    float *other = x == a->buf[0] ? a->buf[1] : a->buf[0];
    if (s->skip_in >= 0) {  // [x ; skip]: with (C, T, B) layout, two contiguous halves
      long half = (long)(s->cin / 2) * tin * B;
      memcpy(other, x, (size_t)half * sizeof(float));
      memcpy(other + half, a->skip[s->skip_in], (size_t)half * sizeof(float));
      x = other, other = x == a->buf[0] ? a->buf[1] : a->buf[0];
    }
    float *y = s->skip_out >= 0 ? a->skip[s->skip_out] : other;
    stage_forward(s, &m->packed_stage[i], a, y, x, tin);
    x = y;
  }
  unet_to_batch_major(out, x, B, T, c->input_dim);
  return ODP_OK;
}
