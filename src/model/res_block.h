// ConditionalResidualBlock1D (Diffusion Policy):
//   h = Conv1dBlock(cin -> cout)(x)
//   e = Linear(cond_dim -> 2 cout)(Mish(cond));  h = e[:cout] * h + e[cout:]   (FiLM; bias only without scale)
//   h = Conv1dBlock(cout -> cout)(h)
//   out = h + residual_conv(x)   (1x1 conv when cin != cout, identity otherwise)
// The caller passes Mish(cond) (B, cond_dim): it is the same for every block, so the
// U-Net computes it once.
#pragma once
#include "model/conv1d_block.h"

typedef struct {
  int cin, cout, cond_dim, with_scale;
  Conv1dBlock block[2];
  long cond_w, cond_b;  // Linear (emb_width, cond_dim)
  long res_w, res_b;    // -1 when the residual is the identity
} ResBlock;

typedef struct {
  Conv1dBlockActs b0, b1;
  float *emb;   // (B, 2 cout) or (B, cout)
  float *film;  // (cout, T, B): FiLM output, block 1's input
  float *out;   // (cout, T, B)
} ResBlockActs;

// Scratch for backward: four (max(cin, cout), T, B) buffers.
typedef struct {
  float *a, *b, *c, *d;
} ResBlockScratch;

int res_block_init(ResBlock *rb, ParamTable *t, const char *prefix, int cin, int cout, int cond_dim, int kernel,
                   int groups, int with_scale);
void res_block_acts(ResBlockActs *a, Arena *arena, const ResBlock *rb, int T, int B);

void res_block_forward(const ResBlock *rb, const float *params, ResBlockActs *a, const float *x,
                       const float *cond_mish, int T, int B);

// Accumulates dx (may be NULL), dcond_mish (B, cond_dim) and the block's gradients.
void res_block_backward(const ResBlock *rb, const float *params, float *grads, const ResBlockActs *a, float *dx,
                        float *dcond_mish, const float *dout, const float *x, const float *cond_mish, int T, int B,
                        ResBlockScratch s);
