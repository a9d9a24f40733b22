#include "model/res_block.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "nn/film.h"
#include "nn/linear.h"

int res_block_init(ResBlock *rb, ParamTable *t, const char *prefix, int cin, int cout, int cond_dim, int kernel,
                   int groups, int with_scale) {
  char name[128];
  rb->cin = cin, rb->cout = cout, rb->cond_dim = cond_dim, rb->with_scale = with_scale;
  for (int i = 0; i < 2; i++) {
    snprintf(name, sizeof name, "%s.blocks.%d", prefix, i);
    if (conv1d_block_init(&rb->block[i], t, name, i ? cout : cin, cout, kernel, groups)) return ODP_ERR;
  }
  int emb_width = with_scale ? 2 * cout : cout;
  int w[2] = {emb_width, cond_dim}, b[1] = {emb_width};
  snprintf(name, sizeof name, "%s.cond_encoder.1.weight", prefix);
  rb->cond_w = param_table_add(t, name, 2, w, LAYOUT_PLAIN);
  snprintf(name, sizeof name, "%s.cond_encoder.1.bias", prefix);
  rb->cond_b = param_table_add(t, name, 1, b, LAYOUT_PLAIN);
  rb->res_w = rb->res_b = -1;
  if (cin != cout) {
    int rw[3] = {cout, cin, 1}, rbias[1] = {cout};
    snprintf(name, sizeof name, "%s.residual_conv.weight", prefix);
    rb->res_w = param_table_add(t, name, 3, rw, LAYOUT_TAPS);
    snprintf(name, sizeof name, "%s.residual_conv.bias", prefix);
    rb->res_b = param_table_add(t, name, 1, rbias, LAYOUT_PLAIN);
    if (rb->res_b < 0) return ODP_ERR;
  }
  return rb->cond_b < 0 ? ODP_ERR : ODP_OK;
}

void res_block_acts(ResBlockActs *a, Arena *arena, const ResBlock *rb, int T, int B) {
  long n = (long)rb->cout * T * B;
  conv1d_block_acts(&a->b0, arena, &rb->block[0], T, B);
  conv1d_block_acts(&a->b1, arena, &rb->block[1], T, B);
  a->emb = arena_take(arena, (long)B * (rb->with_scale ? 2 : 1) * rb->cout);
  a->film = arena_take(arena, n);
  a->out = arena_take(arena, n);
}

static Conv1dShape residual_shape(const ResBlock *rb) {
  Conv1dShape s = {rb->cin, rb->cout, 1, 1, 0};
  return s;
}

void res_block_forward(const ResBlock *rb, const float *params, ResBlockActs *a, const float *x,
                       const float *cond_mish, int T, int B) {
  long n = (long)rb->cout * T * B;
  conv1d_block_forward(&rb->block[0], params, &a->b0, x, T, B);
  linear_forward(a->emb, cond_mish, params + rb->cond_w, params + rb->cond_b, B, rb->cond_dim,
                 rb->with_scale ? 2 * rb->cout : rb->cout);
  film_forward(a->film, a->b0.out, a->emb, rb->cout, T, B, rb->with_scale);
  conv1d_block_forward(&rb->block[1], params, &a->b1, a->film, T, B);
  if (rb->res_w >= 0) {
    conv1d_forward(a->out, x, params + rb->res_w, params + rb->res_b, residual_shape(rb), T, B, NULL);
    for (long i = 0; i < n; i++) a->out[i] += a->b1.out[i];
  } else {
    for (long i = 0; i < n; i++) a->out[i] = a->b1.out[i] + x[i];
  }
}

void res_block_backward(const ResBlock *rb, const float *params, float *grads, const ResBlockActs *a, float *dx,
                        float *dcond_mish, const float *dout, const float *x, const float *cond_mish, int T, int B,
                        ResBlockScratch s) {
  long n = (long)rb->cout * T * B;
  int emb_width = rb->with_scale ? 2 * rb->cout : rb->cout;
  // Residual path.
  if (rb->res_w >= 0)
    conv1d_backward(dx, grads + rb->res_w, grads + rb->res_b, dout, x, params + rb->res_w, residual_shape(rb), T, B,
                    NULL);
  else if (dx)
    for (long i = 0; i < n; i++) dx[i] += dout[i];
  // Second conv block, then FiLM.
  float *dfilm = s.a, *dh = s.b;
  memset(dfilm, 0, (size_t)n * sizeof *dfilm);
  conv1d_block_backward(&rb->block[1], params, grads, &a->b1, dfilm, dout, a->film, T, B, s.c, s.d);
  memset(dh, 0, (size_t)n * sizeof *dh);
  float *demb = s.c;  // (B, emb_width) fits: emb_width <= 2 cout <= cout * T for T >= 2
  memset(demb, 0, (size_t)B * emb_width * sizeof *demb);
  film_backward(dh, demb, dfilm, a->b0.out, a->emb, rb->cout, T, B, rb->with_scale);
  linear_backward(dcond_mish, grads + rb->cond_w, grads + rb->cond_b, demb, cond_mish, params + rb->cond_w, B,
                  rb->cond_dim, emb_width);
  // First conv block.
  conv1d_block_backward(&rb->block[0], params, grads, &a->b0, dx, dh, x, T, B, s.c, s.d);
}
