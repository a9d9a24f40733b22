// A diffusion policy: normalizer + ConditionalUnet1D + sampler, observation as global
// conditioning (Diffusion Policy's "obs_as_global_cond"). Given the last n_obs_steps
// raw observations it predicts a chunk of `horizon` actions and returns the
// n_action_steps executed ones (indices n_obs_steps-1 ...).
//
// A checkpoint (.safetensors) holds the weights in the PyTorch names of the reference's
// policy state_dict ("model.<unet name>", "normalizer.params_dict.{obs,action}.{scale,offset}")
// and the run config as JSON metadata ("config"); a one-step student also records
// "generator_timestep" and "teacher".
#pragma once
#include <stdint.h>

#include "core/params.h"
#include "data/normalizer.h"
#include "diffusion/diffusion.h"
#include "diffusion/work.h"
#include "model/obs_encoder.h"
#include "model/unet1d.h"
#include "model/unet_infer.h"

typedef struct {
  int horizon;          // T = 16
  int n_obs_steps;      // To = 2
  int n_action_steps;   // Ta = 8
  int obs_dim;          // raw observation floats per frame (low-dim: 20 keypoint features; image:
                        // each camera's frame (3, H, W) in [0, 1], then the low-dim part)
  int lowdim_dim;       // the normalised low-dim features per frame ("policy.obs_dim")
  int action_dim;       // 2
  int num_train_timesteps;  // 100
  char diffusion[16];       // the noise process, "policy.diffusion" (default "ddpm")
  EdmSettings edm;          // "policy.sigma_min" ... "policy.p_std" (EDM only; defaults edm_default_settings)
  char obs_key[32];         // the low-dim observation it was trained on ("task.obs_key"; "" if unrecorded)
} PolicyShape;

// Inference scratch for one batch size B: sized by the first policy_predict at B and
// reused, so later calls at that B allocate nothing (the runtime API's act relies on it).
typedef struct {
  int B;                   // batch the buffers hold (0: none yet)
  ObsEncoderActs *enc;     // the encoder's workspace (normalised low-dim history, images)
  float *cond;             // (B, encoder.out_dim) the U-Net's global conditioning
  float *x;                // (B, horizon, action_dim) the chunk being sampled
  DiffusionWork dw;        // eps, z, x2 (EDM only) (B, horizon, action_dim), tb (B); the generator's too
  UnetActs *acts;          // training network's activations (policy_load)
  UnetInferActs *infer_acts;  // packed network's activations (policy_load_inference)
} PolicyWork;

typedef struct Policy {
  PolicyShape shape;
  Unet unet;
  ParamTable table;  // "model.*" (the U-Net, offset 0), "obs_encoder.*" (image policies), the normalizer tensors
  float *params;     // table.numel floats; the U-Net's parameters are the first unet.table.numel
  Normalizer obs_norm, action_norm;
  Diffusion diffusion;     // the noise process (config "policy.diffusion", default ddpm)
  int generator_timestep;  // one-step students: the fixed timestep k* (-1 for diffusion policies)
  int stochastic;          // one-step students: z ~ N(0, I) input (OneDP-S) or zeros (OneDP-D)
  long train_step;         // teachers: the training step the checkpoint holds (-1: not recorded)
  char *config_json;       // the run config this policy was trained with
  ObsEncoder encoder;      // raw observations -> global conditioning (normaliser + camera encoder)
  UnetInfer *infer;        // policy_load_inference: the packed network (params is then NULL)
  ImageEncoderInfer *image_infer;  // policy_load_inference of an image policy: the packed camera encoders, one per camera
  PolicyWork work;         // inference scratch, sized on demand
  struct Policy *refiner;  // onestep:2's second call: the student's teacher (borrowed), or NULL: its own network
} Policy;

// The run-config keys the policy section holds (read by policy_init), NULL-terminated.
extern const char *const policy_config_keys[];

// Builds the tables for a config (model + policy sections); parameters uninitialised.
int policy_init(Policy *p, const char *config_json, const char *where);
void policy_free(Policy *p);

int policy_load(Policy *p, const char *path);
int policy_check_sampler(const Policy *p, const SamplerSpec *s);

// Loads a checkpoint for inference only: the U-Net packed (nn/conv1d_packed.h) in f32 or
// bf16, a one-step student's timestep folded in, an image policy's camera encoder packed
// (model/image_encoder_infer.h, f32), and no parameter buffer (p->params is NULL: such a
// policy predicts but cannot be trained or saved). Memory: the packed weights plus one
// tensor while loading (an image policy: its encoder's parameters while packing them).
int policy_load_inference(Policy *p, const char *path, WeightFormat fmt);
// Writes params (the full table) with the policy's config; extra metadata key/values
// (NULL-terminated pairs) may be added. Atomic (temp file + rename).
int policy_save(const Policy *p, const float *params, const char *path, const char *const *extra_metadata);

// Syncs the normalizer structs into/out of the parameter buffer.
void policy_store_normalizers(Policy *p, float *params);
void policy_fetch_normalizers(Policy *p, const float *params);

// actions (B, n_action_steps, action_dim) raw, from obs (B, n_obs_steps, obs_dim) raw.
// `seed` keys every random draw of this call. After the first call at a batch size B, calls
// at the same B allocate nothing.
int policy_predict(Policy *p, const SamplerSpec *s, const float *obs, int B, uint64_t seed, float *actions);
// The same with n_steps actions per item, from the first executed one on (at most
// horizon - n_obs_steps + 1: the chunk's whole future; asynchronous execution reads past
// n_action_steps while the next chunk is computed).
int policy_predict_steps(Policy *p, const SamplerSpec *s, const float *obs, int B, uint64_t seed, int n_steps,
                         float *actions);
// The same for independent requests in one batch: item b draws its noise as a batch-1
// call keyed by row_seeds[b] would, so it gets that call's actions (the network computes
// each item on its own): what a server batching sessions returns.
int policy_predict_rows(Policy *p, const SamplerSpec *s, const float *obs, int B, const uint64_t *row_seeds,
                        float *actions);
// Actions a call can return: horizon - n_obs_steps + 1.
int policy_future_steps(const Policy *p);

// Makes teacher the network of a student's two-step sampler (onestep:2): a diffusion policy
// of the same shape and normalizers (the student's own teacher). Borrowed: it must outlive
// the student's predictions.
int policy_set_refiner(Policy *student, Policy *teacher);

// Sizes the inference workspace for batch B now (policy_predict does it on demand).
int policy_reserve(Policy *p, int B);

// The seed of a policy's call number `call` (0, 1, ...) in a run keyed by `seed`: the
// evaluator's round seeds (eval/rollout.h) and the runtime API's act seeds (include/onedp.h).
uint64_t policy_call_seed(uint64_t seed, long call);
