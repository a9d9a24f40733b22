// The observation encoder between the raw observation history and the U-Net's global
// conditioning: the normaliser, then per frame either nothing (low-dim policies) or a
// camera encoder (image policies), concatenated over the n_obs_steps frames, oldest first.
//   identity: a frame is obs_dim low-dim features; cond = the normalised history flattened
//             (Diffusion Policy's low-dim policies): out_dim = To * obs_dim.
//   image:    a frame is [camera image (3, H, W) in [0, 1], low-dim (lowdim_dim)]; the image
//             is centre-cropped to S x S, mapped to [-1, 1] and encoded (model/image_encoder.h);
//             cond per frame = [image features (F), normalised low-dim] (Diffusion Policy's
//             hybrid image policy, its task/pusht_image.yaml key order): out_dim = To (F + lowdim).
// The image encoder's parameters live in the policy's table (obs_encoder.obs_nets.image.*).
#pragma once
#include "core/params.h"
#include "data/normalizer.h"
#include "model/image_encoder.h"
#include "model/image_encoder_infer.h"

typedef enum { OBS_ENCODER_IDENTITY = 0, OBS_ENCODER_IMAGE = 1 } ObsEncoderKind;

typedef struct {
  ObsEncoderKind kind;
  int n_obs_steps;
  int lowdim_dim;          // normalised low-dim features per frame
  int image_h, image_w;    // image: the raw camera frame in each observation
  int frame_dim;           // raw floats per frame: 3 H W + lowdim_dim (identity: lowdim_dim)
  ImageEncoder image;      // image: the camera encoder
  int out_dim;             // conditioning per batch item
} ObsEncoder;

// Workspace for B batch items (B * n_obs_steps images).
typedef struct {
  int B;
  ImageEncoderActs *image;  // the training layers' (NULL for the identity and the packed encoder)
  ImageEncoderInferActs *infer;  // the packed encoder's (model/image_encoder_infer.h), or NULL
  float *features;          // (B * To, F): the packed encoder's output
  float *lowdim;            // (B, To, lowdim_dim) normalised
  float *dfeatures;         // (B * To, F): backward's share of dcond for the images
} ObsEncoderActs;

// The run-config keys of the "encoder" section, NULL-terminated.
extern const char *const obs_encoder_config_keys[];

void obs_encoder_init_identity(ObsEncoder *e, int n_obs_steps, int obs_dim);
// An image encoder from a config's "encoder" section (encoder.kind "image"), its
// parameters registered in t. A config without the section (or kind "identity") gives
// the identity over lowdim_dim features.
int obs_encoder_init(ObsEncoder *e, const char *config_json, const char *where, int n_obs_steps, int lowdim_dim,
                     ParamTable *t);
void obs_encoder_init_params(const ObsEncoder *e, const ParamTable *t, float *params, unsigned long long seed);

// infer: the packed camera encoder the forward pass will run (NULL: the training layers).
ObsEncoderActs *obs_encoder_acts_create(const ObsEncoder *e, const ImageEncoderInfer *infer, int B);
void obs_encoder_acts_free(ObsEncoderActs *a);

// cond (B, out_dim) from raw observations obs (B, To, frame_dim): normalised low-dim part,
// centre-cropped images through the packed encoder infer (the one a was created for) or,
// when NULL, the training layers over params. Allocates nothing.
int obs_encoder_forward(const ObsEncoder *e, const float *params, const ImageEncoderInfer *infer,
                        const Normalizer *norm, ObsEncoderActs *a, float *cond, const float *obs);

// Training: a->image->images already holds the B * To crops (item b * To + t) and a->lowdim
// the normalised low-dim history; cond (B, out_dim). backward accumulates the encoder's
// gradients from dcond (B, out_dim). The identity's backward does nothing.
void obs_encoder_forward_train(const ObsEncoder *e, const float *params, ObsEncoderActs *a, float *cond);
void obs_encoder_backward(const ObsEncoder *e, const float *params, float *grads, ObsEncoderActs *a,
                          const float *dcond);

// Loads every frame's crop (training): frames[i] the (H, W, 3) uint8 camera frame of item
// i = b * To + t, cropped at (top[i], left[i]).
void obs_encoder_load_crops(const ObsEncoder *e, ObsEncoderActs *a, const unsigned char *const *frames,
                            const int *top, const int *left);
