// ConditionalUnet1D for inference only: the same network as unet1d.h, with every
// weight matrix packed for the output-channel kernel of nn/conv1d_packed.h, stored as
// f32 or bf16 (computed in f32), and nothing kept for a backward pass.
//
// A one-step generator always runs at the same timestep k*, so its step embedding is a
// constant: with a fixed time input the step MLP runs once at build time and each FiLM
// projection's share of it, W[:, :dsed] mish(step_emb), is folded into that
// projection's bias. Only the global-conditioning columns of the projections are kept,
// and the step MLP's weights are not kept at all.
//
// Built tensor by tensor from a reader (a parameter buffer or a checkpoint file), so
// building never holds more than the packed weights and one PyTorch-layout tensor.
#pragma once
#include "model/unet1d.h"
#include "nn/conv1d_packed.h"

typedef struct {
  PackedConv conv;
  const float *gamma, *beta;
  int groups;
} InferConvBlock;  // Conv1d -> GroupNorm -> Mish

typedef struct {
  int with_scale, has_res;
  InferConvBlock block[2];
  PackedConv cond;  // the FiLM projection as a 1x1 conv over batch columns: (emb_width, cond inputs)
  PackedConv res;   // residual 1x1 conv when cin != cout
} InferResBlock;

// The packed form of one stage of unet1d.h's list (which of the three by its kind).
typedef struct {
  InferResBlock res;     // UNET_RES
  InferConvBlock block;  // UNET_BLOCK
  PackedConv conv;       // UNET_DOWNSAMPLE, UNET_UPSAMPLE, UNET_CONV
} InferStage;

typedef struct {
  UnetConfig cfg;
  WeightFormat fmt;
  int fixed;         // whether the time input fixed_time is folded in (else any time, step MLP kept)
  float fixed_time;  // the network's time input folded in (DDPM: k*; EDM: c_noise(sigma*))
  int cond_inputs;   // rows of the FiLM projections' input: Gc (fixed time) or dsed + Gc
  void *packed;     // every packed weight
  float *vectors;   // biases and GroupNorm affines (f32)
  long packed_bytes, vector_floats;
  PackedConv step1, step2;  // diffusion_step_encoder.{1,3} (without a fixed time only)
  int n_stages;
  UnetStage stage[UNET_MAX_STAGES];  // the training network's stage list (topology, shapes)
  InferStage packed_stage[UNET_MAX_STAGES];
} UnetInfer;

// Fills out (numel floats, PyTorch layout) with the U-Net tensor `name` (state_dict
// name, e.g. "final_conv.1.bias"); returns ODP_OK or ODP_ERR with odp_error set.
typedef int (*UnetTensorReader)(void *ctx, const char *name, float *out, long numel);

// fixed_time: the time input to fold in, or NULL for any. One time input only (a
// two-time consistency student runs on the training network).
int unet_infer_build(UnetInfer *m, const Unet *u, UnetTensorReader read, void *ctx, WeightFormat fmt,
                     const float *fixed_time);
// The reader over a parameter buffer in u's table (storage layout).
int unet_infer_from_params(UnetInfer *m, const Unet *u, const float *params, WeightFormat fmt,
                           const float *fixed_time);
// The reader over a checkpoint: tensor "<prefix><name>" ("model." in a policy file), with
// its shape checked against u's table and every value finite.
struct Safetensors;
int unet_infer_from_file(UnetInfer *m, const Unet *u, struct Safetensors *st, const char *prefix, WeightFormat fmt,
                         const float *fixed_time);
void unet_infer_free(UnetInfer *m);

// "f32" / "bf16" -> format; ODP_ERR for anything else.
int weight_format_parse(WeightFormat *fmt, const char *text);

// Activations and scratch for one (batch, horizon).
typedef struct UnetInferActs UnetInferActs;
UnetInferActs *unet_infer_acts_create(const UnetInfer *m, int B, int T);
void unet_infer_acts_free(UnetInferActs *a);
int unet_infer_acts_batch(const UnetInferActs *a);

// out (B, T, Da) from sample (B, T, Da), timestep (B), global_cond (B, Gc). With a
// fixed step, every timestep must equal it (ODP_ERR otherwise).
int unet_infer_forward(const UnetInfer *m, UnetInferActs *a, float *out, const float *sample, const float *timestep,
                       const float *global_cond);
