// The camera encoder for inference only: the network model/image_encoder.h describes (its
// units, shapes and parameter offsets are walked from there), run frame by frame over
// channels-last images (nn/nhwc.h) with packed weights (nn/conv2d_infer.h) and nothing
// kept for a backward pass. No BLAS: the workspace is sized once, so encoding allocates
// nothing (the runtime API's act relies on it). Frames go to threads one each.
#pragma once
#include "model/image_encoder.h"
#include "nn/conv2d_infer.h"

typedef struct {
  Conv2dInfer conv;
  const float *gamma, *beta;
  int groups;
} InferConvNorm;  // a Conv2dNorm unit, packed

typedef struct {
  ImageEncoder net;  // the description: shapes and the pool's geometry
  float *store;      // every packed weight and copied vector
  InferConvNorm stem, a[IMAGE_ENCODER_BLOCKS], b[IMAGE_ENCODER_BLOCKS], down[IMAGE_ENCODER_BLOCKS];
  Conv2dInfer keypoints;       // the 1x1 conv to K maps (with bias)
  const float *proj_w, *proj_b;  // Linear(2K, F), PyTorch layout
} ImageEncoderInfer;

typedef struct ImageEncoderInferSlot ImageEncoderInferSlot;

typedef struct {
  int slots;  // frames encoded at once (one per thread)
  float *memory;
  ImageEncoderInferSlot *slot;
} ImageEncoderInferActs;

// Packs e's weights from params (the table e was registered in, storage layout).
int image_encoder_infer_build(ImageEncoderInfer *m, const ImageEncoder *e, const float *params);
void image_encoder_infer_free(ImageEncoderInfer *m);

// Workspace for up to `threads` frames at once (at least 1).
ImageEncoderInferActs *image_encoder_infer_acts_create(const ImageEncoderInfer *m, int threads);
void image_encoder_infer_acts_free(ImageEncoderInferActs *a);

// features (n, F) from n camera frames: frame i is (3, H, W) in [0, 1] at
// frames + i * stride, centre-cropped to S x S and mapped to [-1, 1] as in training.
void image_encoder_infer_forward(const ImageEncoderInfer *m, ImageEncoderInferActs *a, float *features, int n,
                                 const float *frames, long stride, int H, int W);
