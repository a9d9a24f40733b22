// ConditionalUnet1D (Diffusion Policy's "CNN" noise-prediction network), PyTorch's
// module tree and state_dict names, with activations laid out (C, T, B) inside.
//
// sample (B, T, Da), timestep (B, time_inputs), global_cond (B, Gc) -> output (B, T, Da).
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
  // Time inputs, each through the one step encoder, concatenated before global_cond: 1 (a
  // diffusion step) or 2 (a consistency student's time t and stop time s, as Consistency
  // Policy's CTMConditionalUnet1D); 0 reads as 1.
  int time_inputs;
} UnetConfig;

static inline int unet_time_inputs(const UnetConfig *c) { return c->time_inputs > 1 ? c->time_inputs : 1; }

// The U-Net as one list of stages in forward order, built from the config by unet_init.
// It is the only description of the topology: parameter registration, the training
// forward and backward passes, activation planning, MAC counting and the packed
// inference network (model/unet_infer.c) all walk this list. Diffusion Policy's
// ConditionalUnet1D with L levels is
//   down: for each level i: res(in -> d_i), res(d_i -> d_i) [kept as skip i], downsample (i < L-1)
//   mid:  res, res at d_{L-1}
//   up:   for levels L-1 .. 1: res([x ; skip] 2 d_l -> d_{l-1}), res, upsample
//   final: Conv1dBlock(d_0), 1x1 conv to the action dim.
typedef enum {
  UNET_RES,         // ConditionalResidualBlock1D (model/res_block.h)
  UNET_DOWNSAMPLE,  // Conv1d(C, C, 3, stride 2, pad 1): halves T
  UNET_UPSAMPLE,    // ConvTranspose1d(C, C, 4, stride 2, pad 1): doubles T
  UNET_BLOCK,       // Conv1dBlock (model/conv1d_block.h)
  UNET_CONV,        // Conv1d with stride 1
} UnetStageKind;

// The PyTorch module list a stage belongs to: parameters are registered list by list in
// the reference's state_dict order (mid, step encoder, up, down, final).
typedef enum { UNET_GROUP_MID, UNET_GROUP_UP, UNET_GROUP_DOWN, UNET_GROUP_FINAL, UNET_N_GROUPS } UnetGroup;

typedef struct {
  UnetStageKind kind;
  UnetGroup group;
  char name[48];     // PyTorch module name ("down_modules.0.1")
  int level;         // the input has T >> level frames
  int cin, cout;     // input channels (the skip concatenation included) and output channels
  int skip_in;       // level whose skip is concatenated after the input ([x ; skip]); -1: none
  int skip_out;      // level whose skip this stage's output is; -1: none
  ResBlock res;      // UNET_RES
  Conv1dBlock block; // UNET_BLOCK
  Conv1dShape conv;  // UNET_DOWNSAMPLE / UPSAMPLE / CONV (PyTorch's own in/out for the transposed one)
  long w, b;         // their weight and bias offsets
} UnetStage;

#define UNET_MAX_STAGES (6 * UNET_MAX_LEVELS + 4)

// Frames of a stage's output for an input of tin frames.
static inline int unet_stage_out_len(const UnetStage *s, int tin) {
  return s->kind == UNET_DOWNSAMPLE ? tin / 2 : s->kind == UNET_UPSAMPLE ? tin * 2 : tin;
}

typedef struct {
  UnetConfig cfg;
  int cond_dim;
  ParamTable table;
  long step_w1, step_b1, step_w2, step_b2;  // diffusion_step_encoder.{1,3}: the conditioning, not a stage
  int n_stages;
  UnetStage stage[UNET_MAX_STAGES];
} Unet;

// One stage's activations for the backward pass.
typedef struct {
  const float *in;        // (cin, T, B): the previous stage's output, the sample, or concat
  float *concat;          // skip_in stages: [x ; skip]
  ResBlockActs res;       // UNET_RES
  Conv1dBlockActs block;  // UNET_BLOCK
  float *out;             // (cout, T', B)
} UnetStageActs;

// Everything one forward pass at (B, T) keeps for the backward pass.
typedef struct {
  int B, T;
  Arena arena;
  float *sample;    // (Da, T, B)
  float *step_sin;  // (B ti, dsed), ti time inputs per sample
  float *step_h;    // (B ti, 4 dsed) pre-Mish
  float *step_hm;   // (B ti, 4 dsed)
  float *cond;      // (B, cond_dim) = [step embedding of each time input | global_cond]
  float *cond_mish; // (B, cond_dim)
  UnetStageActs stage[UNET_MAX_STAGES];
  const float *skip[UNET_MAX_LEVELS];  // each level's kept output
  // Backward workspace.
  float *dcond_mish, *dcond, *dstep_hm, *dstep_h, *dstep;
  float *grad_a, *grad_b, *dskip[UNET_MAX_LEVELS];
  float *scratch[4], *conv_scratch;
} UnetActs;

// Presets of the issue tracker and docs/facts.md §1: "lowdim", "image", "small".
int unet_config_preset(UnetConfig *cfg, const char *name);
int unet_config_validate(const UnetConfig *cfg);

int unet_init(Unet *u, const UnetConfig *cfg);
void unet_free(Unet *u);

// PyTorch's default initialisation (uniform +-1/sqrt(fan_in) for weights and biases;
// GroupNorm weight 1, bias 0), from the counter-based RNG.
void unet_init_params(const Unet *u, float *params, unsigned long long seed);

// Floats of the largest (C, T, B) buffer any of the stages reads or writes (concatenations
// included): the size of the walkers' stage buffers.
long unet_largest_stage(const UnetStage *stage, int n_stages, int T, int B);
// Whether a U-Net with this config runs at batch B, horizon T (ODP_ERR with the reason).
int unet_check_batch(const UnetConfig *c, int B, int T);
UnetActs *unet_acts_create(const Unet *u, int B, int T);
void unet_acts_free(UnetActs *a);

// out (B, T, Da). T must be divisible by 2^(n_levels-1).
void unet_forward(const Unet *u, const float *params, UnetActs *a, float *out, const float *sample,
                  const float *timestep, const float *global_cond);

// Accumulates parameter gradients into grads; dsample (B, T, Da) and dglobal_cond
// (B, Gc) are overwritten when not NULL. Uses the activations of the last forward.
void unet_backward(const Unet *u, const float *params, UnetActs *a, float *grads, const float *dout, float *dsample,
                   float *dglobal_cond);

// The bottleneck: the last mid stage, whose output (d_{L-1}, T >> (L-1), B) is the
// features a classifier on the network reads (DMD2's discriminator, distill/discriminator.h).
int unet_bottleneck_stage(const Unet *u);
// The forward pass up to the bottleneck; returns its output inside the activations.
const float *unet_forward_features(const Unet *u, const float *params, UnetActs *a, const float *sample,
                                   const float *timestep, const float *global_cond);
// unet_backward from the bottleneck's gradient dfeatures (d_{L-1}, T >> (L-1), B), after
// unet_forward_features.
void unet_backward_features(const Unet *u, const float *params, UnetActs *a, float *grads, const float *dfeatures,
                            float *dsample, float *dglobal_cond);

// Activations (B, T, D) <-> the (D, T, B) layout used inside.
void unet_to_channel_major(float *dst, const float *src, int B, int T, int D);
void unet_to_batch_major(float *dst, const float *src, int B, int T, int D);

// Multiply-accumulates of one forward pass at batch 1, horizon T.
double unet_forward_macs(const Unet *u, int T);
