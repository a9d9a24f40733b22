// Diffusion Policy's image encoder, one per camera (robomimic's VisualCore as Diffusion
// Policy builds it: ResNet-18 without pretraining, avgpool or fc, every BatchNorm replaced
// by GroupNorm(C/16 groups); REFERENCE §2):
//   stem:      conv 7x7/2 (pad 3) -> GN -> ReLU -> max-pool 3x3/2 (pad 1)
//   trunk:     4 layers of 2 BasicBlocks (model/basic_block.h), widths w, 2w, 4w, 8w,
//              strides 1, 2, 2, 2
//   keypoints: conv 1x1 (8w -> K, bias) -> spatial softmax read-out (nn/spatial_softmax.h): 2K
//   project:   Linear(2K -> F) -> ReLU (robomimic's ObservationEncoder activation)
// images (3, S, S, B) in [-1, 1] -> features (B, F). At w = 64, K = 32, F = 64: 11,197,088
// parameters, PyTorch's names under <prefix> = obs_encoder.obs_nets.<camera>:
// backbone.nets.{0,1,4..7}.*, pool.nets.*, nets.3.* (the reference's state_dict also holds
// aliases nets.0.* / nets.1.* of backbone.* / pool.*, and the read-out's fixed buffers
// pool.{temperature,pos_x,pos_y}: scripts/image_encoder_torch.py adds them on export).
#pragma once
#include "core/arena.h"
#include "core/params.h"
#include "model/basic_block.h"
#include "nn/max_pool2d.h"

#define IMAGE_ENCODER_BLOCKS 8
#define IMAGE_ENCODER_SOFTMAX_TEMPERATURE 1.0f  // robomimic's default, not learned

typedef struct {
  int image_size;   // S: the square crop the encoder sees (84 for PushT)
  int width;        // w: the stem's channels (64 in ResNet-18)
  int keypoints;    // K (32)
  int feature_dim;  // F (64)
  int group_size;   // channels per GroupNorm group (16)
} ImageEncoderConfig;

typedef struct {
  ImageEncoderConfig cfg;
  char prefix[64];
  Conv2dNorm stem;
  Pool2dShape pool;    // the stem's max-pool
  int pool_h, pool_w;  // after it
  BasicBlock block[IMAGE_ENCODER_BLOCKS];
  Conv2dShape key_conv;
  int key_h, key_w;        // the keypoint maps' size
  long key_w_off, key_b_off;
  long proj_w, proj_b;     // Linear(2K, F)
} ImageEncoder;

typedef struct {
  int B;
  Arena arena;
  float *images;   // (3, S, S, B): the input, kept for the stem's backward
  Conv2dNormActs stem;
  float *pooled;   // (w, S/4, S/4, B)
  int *argmax;     // the max-pool's winners
  BasicBlockActs block[IMAGE_ENCODER_BLOCKS];
  float *maps;     // (K, h, w, B) keypoint maps
  float *prob;     // (K, h*w, B) their softmax
  float *points;   // (B, 2K)
  float *features; // (B, F) after the ReLU
  float *grad[2], *tmp[3];  // backward: the largest activation each
  float *scratch;  // im2col
} ImageEncoderActs;

// The reference's per-camera encoder at an S x S crop.
ImageEncoderConfig image_encoder_config_default(int image_size);
int image_encoder_config_validate(const ImageEncoderConfig *c);

// Registers the encoder's parameters in `t` under prefix (obs_encoder.obs_nets.<camera>),
// in PyTorch's state_dict order.
int image_encoder_init(ImageEncoder *e, const ImageEncoderConfig *c, ParamTable *t, const char *prefix);
// PyTorch's default initialisation (kaiming-uniform bounds 1/sqrt(fan_in)), GroupNorm identity.
void image_encoder_init_params(const ImageEncoder *e, const ParamTable *t, float *params, unsigned long long seed);

ImageEncoderActs *image_encoder_acts_create(const ImageEncoder *e, int B);
void image_encoder_acts_free(ImageEncoderActs *a);

// features (B, F) from a->images (3, S, S, B), which the caller fills
// (image_encoder_images_from_u8 or directly). Returns a->features.
const float *image_encoder_forward(const ImageEncoder *e, const float *params, ImageEncoderActs *a);
// Accumulates the encoder's parameter gradients from dfeatures (B, F).
void image_encoder_backward(const ImageEncoder *e, const float *params, float *grads, ImageEncoderActs *a,
                            const float *dfeatures);

// All a->B items of a->images from HWC uint8 frames of width w, item i cropped at
// (top[i], left[i]) of frames[i]: x / 255 * 2 - 1 (Diffusion Policy's image normaliser).
// Items go 16 at a time, so each write fills a cache line of the batch-innermost layout.
void image_encoder_load_crops(const ImageEncoder *e, ImageEncoderActs *a, const unsigned char *const *frames, int w,
                              const int *top, const int *left);

double image_encoder_forward_macs(const ImageEncoder *e);
