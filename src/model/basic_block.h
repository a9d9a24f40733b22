// ResNet's BasicBlock with GroupNorm (torchvision's resnet18 blocks, Diffusion Policy's
// BatchNorm -> GroupNorm swap):
//   h = ReLU(GN(conv1 3x3/stride(x)));  h = GN(conv2 3x3(h))
//   out = ReLU(h + identity),  identity = GN(conv 1x1/stride(x)) when the shape changes, else x
// PyTorch names: <prefix>.conv1, .bn1, .conv2, .bn2, .downsample.0, .downsample.1.
#pragma once
#include "model/conv2d_norm.h"

typedef struct {
  Conv2dNorm a, b, down;
  int has_down;
} BasicBlock;

typedef struct {
  Conv2dNormActs a, b, down;
  float *out;  // (Cout, Ho, Wo, B)
} BasicBlockActs;

int basic_block_init(BasicBlock *blk, ParamTable *t, const char *prefix, int cin, int cout, int stride, int groups,
                     int h, int w);
void basic_block_acts(BasicBlockActs *a, Arena *arena, const BasicBlock *blk, int B);

void basic_block_forward(const BasicBlock *blk, const float *params, BasicBlockActs *a, const float *x, int B,
                         float *scratch);

// Accumulates dx (may be NULL) and the block's gradients; dout is consumed. tmp: three
// buffers of the block's output size (or its input's, if larger).
void basic_block_backward(const BasicBlock *blk, const float *params, float *grads, const BasicBlockActs *a,
                          float *dx, float *dout, const float *x, int B, float *tmp[3], float *scratch);

double basic_block_macs(const BasicBlock *blk);
