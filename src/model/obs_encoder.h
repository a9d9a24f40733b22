// The observation encoder between the raw observation history and the U-Net's global
// conditioning: the normaliser, then per frame either nothing (low-dim policies) or one
// camera encoder per camera (image policies), concatenated over the n_obs_steps frames,
// oldest first.
//   identity: a frame is obs_dim low-dim features; cond = the normalised history flattened
//             (Diffusion Policy's low-dim policies): out_dim = To * obs_dim.
//   image:    a frame is [camera 0's image (3, H, W) in [0, 1], camera 1's, ..., low-dim
//             (lowdim_dim)]; each image is centre-cropped to S x S, mapped to [-1, 1] and
//             encoded by its camera's own encoder (model/image_encoder.h; Diffusion Policy's
//             share_rgb_model false); cond per frame = [camera 0's features (F), camera 1's,
//             ..., normalised low-dim] (Diffusion Policy's MultiImageObsEncoder: the cameras
//             in their sorted key order, then the low-dim keys): out_dim = To (C F + lowdim).
// The cameras are named by "encoder.cameras" (default ["image"], PushT's); camera c's
// parameters live in the policy's table under obs_encoder.obs_nets.<name>.*, and the name
// is also the env's camera (env/env.h EnvCamera) and, in a robomimic dataset, obs/<name>.
#pragma once
#include "core/params.h"
#include "data/normalizer.h"
#include "model/image_encoder.h"
#include "model/image_encoder_infer.h"

typedef enum { OBS_ENCODER_IDENTITY = 0, OBS_ENCODER_IMAGE = 1 } ObsEncoderKind;

#define OBS_MAX_CAMERAS 4
#define OBS_CAMERA_NAME 48

typedef struct {
  ObsEncoderKind kind;
  int n_obs_steps;
  int lowdim_dim;          // normalised low-dim features per frame
  int n_cameras;           // image: C, the cameras in each observation
  char camera[OBS_MAX_CAMERAS][OBS_CAMERA_NAME];  // their names ("encoder.cameras")
  int image_h, image_w;    // image: every camera's raw frame
  int frame_dim;           // raw floats per frame: C 3 H W + lowdim_dim (identity: lowdim_dim)
  ImageEncoder image[OBS_MAX_CAMERAS];  // image: camera c's encoder (all of one config)
  int out_dim;             // conditioning per batch item
} ObsEncoder;

// Workspace for B batch items (B * n_obs_steps frames of each camera).
typedef struct {
  int B;
  ImageEncoderActs *image[OBS_MAX_CAMERAS];  // the training layers' (NULL for the identity and the packed encoder)
  ImageEncoderInferActs *infer;  // the packed encoders' (model/image_encoder_infer.h; one camera at a time), or NULL
  float *features;          // (C, B * To, F): the packed encoders' output
  float *lowdim;            // (B, To, lowdim_dim) normalised
  float *dfeatures;         // (B * To, F): backward's share of dcond for one camera's images
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

// infer: the packed camera encoders the forward pass will run, one per camera (NULL: the
// training layers).
ObsEncoderActs *obs_encoder_acts_create(const ObsEncoder *e, const ImageEncoderInfer *infer, int B);
void obs_encoder_acts_free(ObsEncoderActs *a);

// cond (B, out_dim) from raw observations obs (B, To, frame_dim): normalised low-dim part,
// centre-cropped images through the packed encoders infer[c] (those a was created for) or,
// when NULL, the training layers over params. Allocates nothing.
int obs_encoder_forward(const ObsEncoder *e, const float *params, const ImageEncoderInfer *infer,
                        const Normalizer *norm, ObsEncoderActs *a, float *cond, const float *obs);

// Training: each a->image[c]->images already holds the B * To crops (item b * To + t) and a->lowdim
// the normalised low-dim history; cond (B, out_dim). backward accumulates the encoder's
// gradients from dcond (B, out_dim). The identity's backward does nothing.
void obs_encoder_forward_train(const ObsEncoder *e, const float *params, ObsEncoderActs *a, float *cond);
void obs_encoder_backward(const ObsEncoder *e, const float *params, float *grads, ObsEncoderActs *a,
                          const float *dcond);

// Loads camera c's crops (training): frames[i] its (H, W, 3) uint8 frame of item
// i = b * To + t, cropped at (top[i], left[i]).
void obs_encoder_load_crops(const ObsEncoder *e, ObsEncoderActs *a, int camera, const unsigned char *const *frames,
                            const int *top, const int *left);
