// EDM (Karras et al. 2022) as Consistency Policy uses it (docs/edm.md): the variance-
// exploding chain y = x0 + sigma n, the denoiser
//   D(y, sigma) = c_skip y + c_out F(c_in y, c_noise)
// with c_skip = sd^2 / (sigma^2 + sd^2), c_out = sigma sd / sqrt(sigma^2 + sd^2),
// c_in = 1 / sqrt(sigma^2 + sd^2), c_noise = 250 ln sigma (sd = sigma_data), trained at
// log-normal sigma (ln sigma ~ N(p_mean, p_std^2)), and sampled on the Karras grid
//   sigma_i = (smax^(1/rho) + i/(N-1) (smin^(1/rho) - smax^(1/rho)))^rho, i < N; sigma_N = 0
// by Heun's second-order method (2N - 1 network calls) or Euler's (N calls).
//
// Levels (the integers the process interface, diffusion/diffusion.h, draws and stores)
// are the num_levels quantiles of the training distribution: level k has
//   sigma_k = exp(p_mean + p_std Phi^-1((k + 1/2) / num_levels)),
// so a level uniform in [0, num_levels) is EDM's log-normal training draw, discretised.
#pragma once
#include "diffusion/schedule.h"
#include "diffusion/work.h"

typedef struct {
  double sigma_min, sigma_max;  // the sampling grid's ends (0.02, 80: Consistency Policy's)
  double sigma_data;            // 0.5
  double rho;                   // 7
  double p_mean, p_std;         // -1.2, 1.2
} EdmSettings;

typedef struct {
  EdmSettings set;
  int num_levels;
  float sigma[DIFFUSION_MAX_TRAIN_STEPS];  // level -> sigma, increasing
} EdmSchedule;

// The settings Consistency Policy's configs use.
EdmSettings edm_default_settings(void);
// Fails, naming the setting, if one is out of range (0 < sigma_min < sigma_max, sigma_data
// > 0, rho >= 1, p_std > 0) or num_levels is not in [2, DIFFUSION_MAX_TRAIN_STEPS].
int edm_schedule_init(EdmSchedule *e, const EdmSettings *set, int num_levels);

// The preconditioning at sigma.
typedef struct {
  float skip, out, in, noise;
} EdmScaling;
EdmScaling edm_scaling(const EdmSettings *set, double sigma);

// The Karras curve at u: (smax^(1/rho) + u (smin^(1/rho) - smax^(1/rho)))^rho; u = 0 is
// sigma_max, u = 1 sigma_min (u beyond 1 falls below it).
double edm_karras_sigma(const EdmSettings *set, double u);
// The Karras grid of a sampler with N steps: sigmas[i] = edm_karras_sigma(i / (N - 1)), i < N,
// and sigmas[N] = 0 (N + 1 values; N = 1 is the single step from sigma_max).
void edm_karras_sigmas(const EdmSettings *set, int N, double *sigmas);

// The standard normal quantile Phi^-1(p), p in (0, 1), to double precision.
double normal_quantile(double p);

typedef enum { EDM_EULER = 1, EDM_HEUN = 2 } EdmOrder;

// Samples in place on x (B, per): standard normals on entry (scaled here by sigma_max),
// x0 on return; the denoiser's x0 is clipped to [-1, 1] (the normalised action range)
// at every call, as Diffusion Policy's samplers clip. Scratch from w: eps, z, x2 (B·per
// floats each) and tb (B). Network calls: N (Euler) or 2N - 1 (Heun: no correction on the
// last step, to sigma = 0).
int edm_sample_ws(float *x, int B, long per, const EdmSettings *set, int N, EdmOrder order, DenoiseFn fn, void *ctx,
                  const DiffusionWork *w);
