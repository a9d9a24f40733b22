#include "model/conv2d_norm.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "nn/group_norm.h"
#include "nn/relu.h"


int conv2d_norm_init(Conv2dNorm *u, ParamTable *t, const char *conv_name, const char *norm_name, Conv2dShape s,
                     int groups, int relu, int h, int w) {
  if (groups < 1 || s.cout % groups) return odp_fail("%s: %d channels do not split into %d groups", norm_name, s.cout, groups);
  u->conv = s, u->groups = groups, u->relu = relu;
  u->h = h, u->w = w, u->ho = conv2d_out_size(s, h), u->wo = conv2d_out_size(s, w);
  int wshape[4] = {s.cout, s.cin, s.kernel, s.kernel}, c[1] = {s.cout};
  u->conv_w = param_table_add_in(t, conv_name, "weight", 4, wshape, LAYOUT_PLAIN);
  u->norm_w = param_table_add_in(t, norm_name, "weight", 1, c, LAYOUT_PLAIN);
  u->norm_b = param_table_add_in(t, norm_name, "bias", 1, c, LAYOUT_PLAIN);
  return u->norm_b < 0 ? ODP_ERR : ODP_OK;
}

long conv2d_norm_out_floats(const Conv2dNorm *u, int B) { return (long)u->conv.cout * u->ho * u->wo * B; }

void conv2d_norm_acts(Conv2dNormActs *a, Arena *arena, const Conv2dNorm *u, int B) {
  long n = conv2d_norm_out_floats(u, B);
  a->conv = arena_take(arena, n);
  a->out = arena_take(arena, n);
  a->mean = arena_take(arena, (long)u->groups * B);
  a->rstd = arena_take(arena, (long)u->groups * B);
}

void conv2d_norm_forward(const Conv2dNorm *u, const float *params, Conv2dNormActs *a, const float *in, int B,
                         float *scratch) {
  const int C = u->conv.cout, hw = u->ho * u->wo;
  conv2d_forward(a->conv, in, params + u->conv_w, NULL, u->conv, u->h, u->w, B, scratch);
  group_norm_forward(a->out, a->mean, a->rstd, a->conv, params + u->norm_w, params + u->norm_b, C, hw, B, u->groups,
                     GROUP_NORM_EPS);
  if (u->relu) relu_forward(a->out, a->out, (long)C * hw * B);
}

void conv2d_norm_backward(const Conv2dNorm *u, const float *params, float *grads, const Conv2dNormActs *a,
                          float *din, float *dout, const float *in, int B, float *tmp, float *scratch) {
  const int C = u->conv.cout, hw = u->ho * u->wo;
  const long n = (long)C * hw * B;
  if (u->relu)  // mask in place: dout is the unit's own
    for (long i = 0; i < n; i++) dout[i] = a->out[i] > 0.0f ? dout[i] : 0.0f;
  memset(tmp, 0, (size_t)n * sizeof *tmp);
  group_norm_backward(tmp, grads + u->norm_w, grads + u->norm_b, dout, a->conv, a->mean, a->rstd,
                      params + u->norm_w, C, hw, B, u->groups);
  conv2d_backward(din, grads + u->conv_w, NULL, tmp, in, params + u->conv_w, u->conv, u->h, u->w, B, scratch);
}

double conv2d_norm_macs(const Conv2dNorm *u) {
  return (double)u->conv.cout * u->conv.cin * u->conv.kernel * u->conv.kernel * u->ho * u->wo;
}
