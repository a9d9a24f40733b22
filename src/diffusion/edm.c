#include "diffusion/edm.h"

#include <math.h>

#include "core/error.h"

EdmSettings edm_default_settings(void) {
  return (EdmSettings){.sigma_min = 0.02, .sigma_max = 80, .sigma_data = 0.5, .rho = 7, .p_mean = -1.2, .p_std = 1.2};
}

// Acklam's rational approximation (relative error 1.2e-9), then one Halley step on
// erfc, which takes it to double precision.
double normal_quantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    double q = sqrt(-2 * log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    double q = sqrt(-2 * log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  double e = 0.5 * erfc(-x / sqrt(2)) - p, u = e * sqrt(2 * M_PI) * exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

int edm_schedule_init(EdmSchedule *e, const EdmSettings *s, int num_levels) {
  if (!(s->sigma_min > 0 && s->sigma_min < s->sigma_max))
    return odp_fail("field 'policy.sigma_min': %g is not in (0, policy.sigma_max %g)", s->sigma_min, s->sigma_max);
  if (!(s->sigma_data > 0)) return odp_fail("field 'policy.sigma_data': %g must be positive", s->sigma_data);
  if (!(s->rho >= 1)) return odp_fail("field 'policy.rho': %g must be at least 1", s->rho);
  if (!(s->p_std > 0)) return odp_fail("field 'policy.p_std': %g must be positive", s->p_std);
  if (num_levels < 2 || num_levels > DIFFUSION_MAX_TRAIN_STEPS)
    return odp_fail("field 'policy.num_train_timesteps': %d EDM levels (must be 2..%d)", num_levels,
                    DIFFUSION_MAX_TRAIN_STEPS);
  e->set = *s, e->num_levels = num_levels;
  for (int k = 0; k < num_levels; k++)
    e->sigma[k] = (float)exp(s->p_mean + s->p_std * normal_quantile((k + 0.5) / num_levels));
  return ODP_OK;
}

EdmScaling edm_scaling(const EdmSettings *set, double sigma) {
  double sd = set->sigma_data, r = sqrt(sigma * sigma + sd * sd);
  return (EdmScaling){(float)(sd * sd / (r * r)), (float)(sigma * sd / r), (float)(1 / r), (float)(250 * log(sigma))};
}

double edm_karras_sigma(const EdmSettings *set, double u) {
  const double hi = pow(set->sigma_max, 1 / set->rho), lo = pow(set->sigma_min, 1 / set->rho);
  return pow(hi + u * (lo - hi), set->rho);
}

void edm_karras_sigmas(const EdmSettings *set, int N, double *sigmas) {
  for (int i = 0; i < N; i++) sigmas[i] = N == 1 ? set->sigma_max : edm_karras_sigma(set, (double)i / (N - 1));
  sigmas[N] = 0;
}

// The network at sigma on the input already in w->z (c_in y), output into out.
static int call_network(const EdmScaling *c, double sigma, int B, DenoiseFn fn, void *ctx, const DiffusionWork *w,
                        float *out, int call) {
  for (int b = 0; b < B; b++) w->tb[b] = c->noise;
  if (fn(ctx, w->z, w->tb, B, out)) return odp_fail_context("edm call %d at sigma=%g", call, sigma);
  return ODP_OK;
}

// (y - D(y, sigma)) / sigma, with D's x0 clipped to [-1, 1] as Diffusion Policy's samplers
// clip (NaN passes, as torch.clamp).
static inline float slope(const EdmScaling *c, float inv_sigma, float y, float out) {
  float x0 = c->skip * y + c->out * out;
  x0 = x0 < -1.0f ? -1.0f : x0 > 1.0f ? 1.0f : x0;
  return (y - x0) * inv_sigma;
}

int edm_sample_ws(float *x, int B, long per, const EdmSettings *set, int N, EdmOrder order, DenoiseFn fn, void *ctx,
                  const DiffusionWork *w) {
  double sig[DIFFUSION_MAX_TRAIN_STEPS + 1];
  if (N < 1 || N > DIFFUSION_MAX_TRAIN_STEPS)
    return odp_fail("edm: %d sampling steps (must be 1..%d)", N, DIFFUSION_MAX_TRAIN_STEPS);
  edm_karras_sigmas(set, N, sig);
  const long n = (long)B * per;
  for (long j = 0; j < n; j++) x[j] *= (float)sig[0];
  float *d1 = w->eps, *out2 = w->x2;
  int call = 0;
  for (int i = 0; i < N; i++) {
    const float h = (float)(sig[i + 1] - sig[i]), inv = (float)(1 / sig[i]);
    const EdmScaling c = edm_scaling(set, sig[i]);
    for (long j = 0; j < n; j++) w->z[j] = c.in * x[j];
    if (call_network(&c, sig[i], B, fn, ctx, w, d1, ++call)) return ODP_ERR;
    for (long j = 0; j < n; j++) d1[j] = slope(&c, inv, x[j], d1[j]);
    if (order == EDM_EULER || sig[i + 1] == 0) {
      for (long j = 0; j < n; j++) x[j] += h * d1[j];
      continue;
    }
    // Heun: the slope at the Euler point y = x + h d1 (recomputed, not stored), then the
    // trapezoid.
    const EdmScaling c2 = edm_scaling(set, sig[i + 1]);
    const float inv2 = (float)(1 / sig[i + 1]);
    for (long j = 0; j < n; j++) w->z[j] = c2.in * (x[j] + h * d1[j]);
    if (call_network(&c2, sig[i + 1], B, fn, ctx, w, out2, ++call)) return ODP_ERR;
    for (long j = 0; j < n; j++) {
      const float y = x[j] + h * d1[j];
      x[j] += 0.5f * h * (d1[j] + slope(&c2, inv2, y, out2[j]));
    }
  }
  return ODP_OK;
}
