// ConditionalUnet1D (Diffusion Policy's "CNN" noise-prediction network), PyTorch's
// module tree and state_dict names, with activations laid out (C, T, B) inside.
//
// sample (B, T, Da), timestep (B), global_cond (B, Gc) -> predicted noise (B, T, Da).
#pragma once
#include "core/arena.h"
#include "core/params.h"
#include "model/res_block.h"
#include "nn/conv1d.h"

#define UNET_MAX_LEVELS 4
// Size limits a config must respect: they keep every parameter shape and element count
// within int (the largest conv, (W, 2W, K), is 2^30 floats) and refuse absurd files
// before anything is allocated. The paper's image model uses widths up to 2048, K = 5.
#define UNET_MAX_WIDTH 4096   // input_dim, diffusion_step_embed_dim, each down_dims entry
#define UNET_MAX_COND 65536   // global_cond_dim
#define UNET_MAX_KERNEL 31

typedef struct {
  int input_dim;        // Da
  int global_cond_dim;  // Gc (0: no global conditioning)
  int step_embed_dim;   // dsed
  int n_levels;
  int down_dims[UNET_MAX_LEVELS];
  int kernel_size;
  int n_groups;
  int cond_predict_scale;  // FiLM with scale (1) or bias only (0)
} UnetConfig;

typedef struct {
  UnetConfig cfg;
  int cond_dim;
  ParamTable table;
  long step_w1, step_b1, step_w2, step_b2;  // diffusion_step_encoder.{1,3}
  ResBlock mid[2];
  ResBlock down[UNET_MAX_LEVELS][2];
  long down_w[UNET_MAX_LEVELS], down_b[UNET_MAX_LEVELS];  // Downsample1d (absent at the last level)
  ResBlock up[UNET_MAX_LEVELS][2];
  long up_w[UNET_MAX_LEVELS], up_b[UNET_MAX_LEVELS];  // Upsample1d
  Conv1dBlock final_block;
  long final_w, final_b;
} Unet;

// Everything one forward pass at (B, T) keeps for the backward pass.
typedef struct {
  int B, T;
  Arena arena;
  float *sample;    // (Da, T, B)
  float *step_sin;  // (B, dsed)
  float *step_h;    // (B, 4 dsed) pre-Mish
  float *step_hm;   // (B, 4 dsed)
  float *cond;      // (B, cond_dim) = [step embedding | global_cond]
  float *cond_mish; // (B, cond_dim)
  ResBlockActs down[UNET_MAX_LEVELS][2], mid[2], up[UNET_MAX_LEVELS][2];
  float *down_out[UNET_MAX_LEVELS];  // downsampled (C, T/2, B)
  float *up_in[UNET_MAX_LEVELS];     // concat(x, skip) (2C, T', B)
  float *up_out[UNET_MAX_LEVELS];    // upsampled
  Conv1dBlockActs final_acts;
  float *out;       // (Da, T, B)
  // Backward workspace.
  float *dcond_mish, *dcond, *dstep_hm, *dstep_h;
  float *grad_a, *grad_b, *dskip[UNET_MAX_LEVELS];
  float *scratch[4], *conv_scratch;
} UnetActs;

// Presets of the issue tracker and REFERENCE §1: "lowdim", "image", "small".
int unet_config_preset(UnetConfig *cfg, const char *name);
int unet_config_validate(const UnetConfig *cfg);

int unet_init(Unet *u, const UnetConfig *cfg);
void unet_free(Unet *u);

// PyTorch's default initialisation (uniform +-1/sqrt(fan_in) for weights and biases;
// GroupNorm weight 1, bias 0), from the counter-based RNG.
void unet_init_params(const Unet *u, float *params, unsigned long long seed);

UnetActs *unet_acts_create(const Unet *u, int B, int T);
void unet_acts_free(UnetActs *a);

// out (B, T, Da). T must be divisible by 2^(n_levels-1).
void unet_forward(const Unet *u, const float *params, UnetActs *a, float *out, const float *sample,
                  const float *timestep, const float *global_cond);

// Accumulates parameter gradients into grads; dsample (B, T, Da) and dglobal_cond
// (B, Gc) are overwritten when not NULL. Uses the activations of the last forward.
void unet_backward(const Unet *u, const float *params, UnetActs *a, float *grads, const float *dout, float *dsample,
                   float *dglobal_cond);

// Activations (B, T, D) <-> the (D, T, B) layout used inside.
void unet_to_channel_major(float *dst, const float *src, int B, int T, int D);
void unet_to_batch_major(float *dst, const float *src, int B, int T, int D);

// Multiply-accumulates of one forward pass at batch 1, horizon T.
double unet_forward_macs(const Unet *u, int T);
