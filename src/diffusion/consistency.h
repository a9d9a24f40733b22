// Consistency Policy's student map (Prasad et al. 2024, after CTM, Kim et al. 2023), on
// EDM's chain y = x0 + sigma n (diffusion/edm.h): a jump along the probability-flow ODE
// from time t down to a stop time s <= t,
//   G(x, t, s) = (s/t) x + (1 - s/t) g(x, t, s),
//   g = c_skip(t) x + c_out(t) F(c_in(t) x, [c_noise(t), c_noise(s)]),
// with F a U-Net of two time inputs (model/unet1d.h, time_inputs 2). G(x, t, t) = x, and
// a student warm-started from its teacher (F ignoring s) is one Euler step of the
// teacher's ODE. So G = a x + b F with the coefficients below.
#pragma once
#include "diffusion/edm.h"
#include "diffusion/schedule.h"
#include "diffusion/work.h"

typedef struct {
  float a, b;    // G = a x + b F
  float in;      // the network's input c_in(t) x
  float time_t, time_s;  // its two time inputs, c_noise(t) and c_noise(s)
} CmMap;

CmMap cm_map(const EdmSettings *set, double t, double s);

// The chain's times for N calls: sigma_max, then the N - 1 interior points of the
// (N + 1)-point Karras grid (sigmas[0..N)); for N = 3, sigma 12.7 and 1.03 (Consistency
// Policy's code chains at bins 27 and 54 of its 80-bin grid: sigma 12.0 and 0.886).
void cm_chain_times(const EdmSettings *set, int N, double *sigmas);

// The N-call sampler in place on x (B, per): standard normals on entry, scaled by
// sigma_max; then N times x0 = clip(G(x, t_j, sigma_min)) and, before each later call,
// x = x0 + t_j n_j with n_j drawn from (seed, ODP_STREAM(j, DIFFUSION_PURPOSE_CM)) (or
// w->row_seeds). fn gets times as (B, 2); scratch from w: z, eps (B·per), tb (2 B).
int cm_sample_ws(float *x, int B, long per, const EdmSettings *set, int N, DenoiseFn fn, void *ctx, uint64_t seed,
                 const DiffusionWork *w);
