#include "model/basic_block.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

int basic_block_init(BasicBlock *blk, ParamTable *t, const char *prefix, int cin, int cout, int stride, int groups,
                     int h, int w) {
  char conv[128], norm[128];
  memset(blk, 0, sizeof *blk);
  snprintf(conv, sizeof conv, "%s.conv1", prefix), snprintf(norm, sizeof norm, "%s.bn1", prefix);
  if (conv2d_norm_init(&blk->a, t, conv, norm, (Conv2dShape){cin, cout, 3, stride, 1}, groups, 1, h, w))
    return ODP_ERR;
  snprintf(conv, sizeof conv, "%s.conv2", prefix), snprintf(norm, sizeof norm, "%s.bn2", prefix);
  if (conv2d_norm_init(&blk->b, t, conv, norm, (Conv2dShape){cout, cout, 3, 1, 1}, groups, 0, blk->a.ho, blk->a.wo))
    return ODP_ERR;
  blk->has_down = stride != 1 || cin != cout;
  if (!blk->has_down) return ODP_OK;
  snprintf(conv, sizeof conv, "%s.downsample.0", prefix), snprintf(norm, sizeof norm, "%s.downsample.1", prefix);
  return conv2d_norm_init(&blk->down, t, conv, norm, (Conv2dShape){cin, cout, 1, stride, 0}, groups, 0, h, w);
}

void basic_block_acts(BasicBlockActs *a, Arena *arena, const BasicBlock *blk, int B) {
  conv2d_norm_acts(&a->a, arena, &blk->a, B);
  conv2d_norm_acts(&a->b, arena, &blk->b, B);
  if (blk->has_down) conv2d_norm_acts(&a->down, arena, &blk->down, B);
  a->out = arena_take(arena, conv2d_norm_out_floats(&blk->b, B));
}

void basic_block_forward(const BasicBlock *blk, const float *params, BasicBlockActs *a, const float *x, int B,
                         float *scratch) {
  conv2d_norm_forward(&blk->a, params, &a->a, x, B, scratch);
  conv2d_norm_forward(&blk->b, params, &a->b, a->a.out, B, scratch);
  const float *identity = x;
  if (blk->has_down) {
    conv2d_norm_forward(&blk->down, params, &a->down, x, B, scratch);
    identity = a->down.out;
  }
  const long n = conv2d_norm_out_floats(&blk->b, B);
  for (long i = 0; i < n; i++) {
    float v = a->b.out[i] + identity[i];
    a->out[i] = v > 0.0f ? v : 0.0f;
  }
}

void basic_block_backward(const BasicBlock *blk, const float *params, float *grads, const BasicBlockActs *a,
                          float *dx, float *dout, const float *x, int B, float *tmp[3], float *scratch) {
  const long n = conv2d_norm_out_floats(&blk->b, B);
  for (long i = 0; i < n; i++) dout[i] = a->out[i] > 0.0f ? dout[i] : 0.0f;  // d(h + identity)
  if (blk->has_down) {
    memcpy(tmp[0], dout, (size_t)n * sizeof *dout);
    conv2d_norm_backward(&blk->down, params, grads, &a->down, dx, tmp[0], x, B, tmp[1], scratch);
  } else if (dx) {
    for (long i = 0; i < n; i++) dx[i] += dout[i];
  }
  float *dh = tmp[0];  // gradient of the first unit's output
  memset(dh, 0, (size_t)conv2d_norm_out_floats(&blk->a, B) * sizeof *dh);
  conv2d_norm_backward(&blk->b, params, grads, &a->b, dh, dout, a->a.out, B, tmp[1], scratch);
  conv2d_norm_backward(&blk->a, params, grads, &a->a, dx, dh, x, B, tmp[1], scratch);
}

double basic_block_macs(const BasicBlock *blk) {
  return conv2d_norm_macs(&blk->a) + conv2d_norm_macs(&blk->b) + (blk->has_down ? conv2d_norm_macs(&blk->down) : 0);
}
