// Conv1dBlock = Conv1d(k, stride 1, pad k/2) -> GroupNorm(G) -> Mish, over (C, T, B).
// PyTorch names: <prefix>.block.0.{weight,bias} (conv), <prefix>.block.1.{weight,bias} (norm).
#pragma once
#include "core/arena.h"
#include "core/params.h"
#include "nn/conv1d.h"

typedef struct {
  Conv1dShape conv;
  int groups;
  long conv_w, conv_b, norm_w, norm_b;  // offsets into the model's buffers
} Conv1dBlock;

typedef struct {
  float *conv;        // (Cout, T, B) conv output, GroupNorm's input
  float *norm;        // (Cout, T, B) GroupNorm output, Mish's input
  float *mean, *rstd; // (G, B)
  float *out;         // (Cout, T, B)
} Conv1dBlockActs;

int conv1d_block_init(Conv1dBlock *blk, ParamTable *t, const char *prefix, int cin, int cout, int kernel, int groups);
void conv1d_block_acts(Conv1dBlockActs *a, Arena *arena, const Conv1dBlock *blk, int T, int B);

void conv1d_block_forward(const Conv1dBlock *blk, const float *params, Conv1dBlockActs *a, const float *in, int T,
                          int B);

// Accumulates din (may be NULL) and the block's gradients; tmp1, tmp2 hold (Cout, T, B) each.
void conv1d_block_backward(const Conv1dBlock *blk, const float *params, float *grads, const Conv1dBlockActs *a,
                           float *din, const float *dout, const float *in, int T, int B, float *tmp1, float *tmp2);
