// Exponential moving average of weights with Diffusion Policy's warm-up schedule
// (EMAModel in diffusion_policy/model/diffusion/ema_model.py):
//   s = max(0, n - update_after_step - 1),  decay = 0 if s == 0 else
//   clamp(1 - (1 + s/inv_gamma)^(-power), min_value, max_value)
// where n counts the EMA updates made before this one (EMAModel.optimization_step,
// which starts at 0 and is incremented after each update). So the first two updates
// use decay 0 (the EMA becomes a copy of the weights), the third 1 - 2^-0.75.
// Diffusion Policy copies (does not average) BatchNorm and requires_grad=False
// parameters; a caller with such ranges copies them with memcpy instead.
#pragma once

typedef struct {
  long update_after_step;
  double inv_gamma, power;
  double min_value, max_value;
} EmaConfig;

// Diffusion Policy's config: update_after_step 0, inv_gamma 1, power 3/4, [0, 0.9999].
EmaConfig ema_config_dp(void);

// Decay for the update that follows n earlier updates.
double ema_decay(const EmaConfig *cfg, long n);

// ema = decay*ema + (1 - decay)*params over n elements (float, as EMAModel's
// mul_/add_ on float parameters).
void ema_update(float *ema, const float *params, long n, double decay);
