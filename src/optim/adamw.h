// AdamW exactly as torch.optim.AdamW (single-tensor path, amsgrad off): decoupled
// weight decay p *= 1 - lr*wd, then the bias-corrected Adam update with eps added to
// sqrt(v_hat). beta1 = 0 is allowed (OneDP distillation uses Adam with beta1 = 0).
// Works on a model's flat buffers: params, grads, and the parallel moments m and v.
#pragma once

typedef struct {
  double lr;  // base learning rate; the step's actual lr is passed to adamw_step
  double beta1, beta2;
  double eps;
  double weight_decay;
} AdamWConfig;

typedef struct {
  AdamWConfig cfg;
  long step;  // number of updates taken so far (torch's state['step'])
} AdamW;

// Diffusion Policy's teacher recipe: lr 1e-4, betas (0.95, 0.999), eps 1e-8, wd 1e-6.
AdamWConfig adamw_config_dp(void);

// One update of n elements at 1-based step number `step` with learning rate `lr`.
// p, m, v are updated in place; g is read. Elementwise, so the result does not
// depend on the thread count.
void adamw_update(float *p, float *m, float *v, const float *g, long n, const AdamWConfig *cfg,
                  double lr, long step);

// Increments opt->step and applies adamw_update over the whole buffer.
void adamw_step(AdamW *opt, float *p, float *m, float *v, const float *g, long n, double lr);
