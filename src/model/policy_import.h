// Policies trained in PyTorch, converted into onedp checkpoints (`onedp import`).
//
// LeRobot (huggingface/lerobot) diffusion policies, natively: a directory with config.json
// (draccus, "type": "diffusion"; input_features/output_features, or the 2024 format's
// input_shapes/output_shapes) and model.safetensors. The U-Net is Diffusion Policy's
// ConditionalUnet1D under "diffusion.unet." with two renamings (a residual block's conv1 /
// conv2 are the reference's blocks.0 / blocks.1; the down/up-sampling convs have no ".conv"
// level). Normalization: MIN_MAX buffers in model.safetensors (normalize_inputs.
// buffer_observation_state.{min,max}, normalize_targets.buffer_action.{min,max}; lerobot
// <= 0.3), or the processor files of lerobot >= 0.4 (policy_preprocessor_*normalizer*.
// safetensors: observation.state.{min,max}; policy_postprocessor_*unnormalizer*: action.*).
// An observation frame is [observation.state, observation.environment_state] (the order
// LeRobot concatenates them; environment_state unnormalised unless it has MIN_MAX stats).
// With a task, the frame is put in the task's order instead (PushT: environment_state as
// the keypoints, then state as agent_pos), permuting the FiLM projections' input columns.
//
// Diffusion Policy workspace checkpoints (.ckpt, dill pickles) are read by
// scripts/import_dp_ckpt.py (Debian's python3-torch; a pickle is never parsed in C), which
// writes the state_dict and the config as safetensors; import_diffusion_policy maps that.
//
// Refused with a one-line reason: other policy types, image inputs (LeRobot's encoder is
// not onedp's), schedules or predictions onedp's DDPM does not implement.
#pragma once

typedef struct {
  const char *task;     // an onedp task the policy runs on ("pusht"), or NULL: none recorded
  const char *dataset;  // its demonstrations (task.dataset: what distill reads), or NULL
  const char *obs_key;  // the dataset's observation array the frame is (task.obs_key), or NULL
} ImportOptions;

int import_lerobot(const char *dir, const char *out_path, const ImportOptions *o);
int import_diffusion_policy(const char *exported, const char *out_path, const ImportOptions *o);
