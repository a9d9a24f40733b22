// The observation encoder between the normaliser and the U-Net's global conditioning:
// (B, n_obs_steps, obs_dim) normalised observations -> (B, out_dim) features.
// Today's only kind is the identity for low-dimensional observations (Diffusion Policy's
// lowdim policies flatten the history: out_dim = n_obs_steps * obs_dim, no parameters);
// an image encoder plugs in here as another kind with its own parameters and workspace.
#pragma once

typedef enum { OBS_ENCODER_IDENTITY = 0 } ObsEncoderKind;

typedef struct {
  ObsEncoderKind kind;
  int n_obs_steps, obs_dim;  // input per batch item: (n_obs_steps, obs_dim)
  int out_dim;               // output per batch item
} ObsEncoder;

// The identity encoder for (n_obs_steps, obs_dim) low-dim observations.
void obs_encoder_init_identity(ObsEncoder *e, int n_obs_steps, int obs_dim);

// out (B, out_dim) from obs (B, n_obs_steps, obs_dim); allocates nothing.
int obs_encoder_forward(const ObsEncoder *e, float *out, const float *obs, int B);
