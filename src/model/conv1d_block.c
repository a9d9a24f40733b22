#include "model/conv1d_block.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "nn/group_norm.h"
#include "nn/mish.h"


int conv1d_block_init(Conv1dBlock *blk, ParamTable *t, const char *prefix, int cin, int cout, int kernel, int groups) {
  if (cout % groups) return odp_fail("%s: %d channels do not split into %d groups", prefix, cout, groups);
  Conv1dShape s = {cin, cout, kernel, 1, kernel / 2};
  blk->conv = s;
  blk->groups = groups;
  int w[3] = {cout, cin, kernel}, c[1] = {cout};
  blk->conv_w = param_table_add_in(t, prefix, "block.0.weight", 3, w, LAYOUT_TAPS);
  blk->conv_b = param_table_add_in(t, prefix, "block.0.bias", 1, c, LAYOUT_PLAIN);
  blk->norm_w = param_table_add_in(t, prefix, "block.1.weight", 1, c, LAYOUT_PLAIN);
  blk->norm_b = param_table_add_in(t, prefix, "block.1.bias", 1, c, LAYOUT_PLAIN);
  return blk->norm_b < 0 ? ODP_ERR : ODP_OK;
}

void conv1d_block_acts(Conv1dBlockActs *a, Arena *arena, const Conv1dBlock *blk, int T, int B) {
  long n = (long)blk->conv.cout * T * B;
  a->conv = arena_take(arena, n);
  a->norm = arena_take(arena, n);
  a->mean = arena_take(arena, (long)blk->groups * B);
  a->rstd = arena_take(arena, (long)blk->groups * B);
  a->out = arena_take(arena, n);
}

void conv1d_block_forward(const Conv1dBlock *blk, const float *params, Conv1dBlockActs *a, const float *in, int T,
                          int B) {
  int C = blk->conv.cout;
  conv1d_forward(a->conv, in, params + blk->conv_w, params + blk->conv_b, blk->conv, T, B, NULL);
  group_norm_forward(a->norm, a->mean, a->rstd, a->conv, params + blk->norm_w, params + blk->norm_b, C, T, B,
                     blk->groups, GROUP_NORM_EPS);
  mish_forward(a->out, a->norm, (long)C * T * B);
}

void conv1d_block_backward(const Conv1dBlock *blk, const float *params, float *grads, const Conv1dBlockActs *a,
                           float *din, const float *dout, const float *in, int T, int B, float *tmp1, float *tmp2) {
  int C = blk->conv.cout;
  long n = (long)C * T * B;
  memset(tmp1, 0, (size_t)n * sizeof *tmp1);
  mish_backward(tmp1, dout, a->norm, n);
  memset(tmp2, 0, (size_t)n * sizeof *tmp2);
  group_norm_backward(tmp2, grads + blk->norm_w, grads + blk->norm_b, tmp1, a->conv, a->mean, a->rstd,
                      params + blk->norm_w, C, T, B, blk->groups);
  conv1d_backward(din, grads + blk->conv_w, grads + blk->conv_b, tmp2, in, params + blk->conv_w, blk->conv, T, B,
                  NULL);
}
