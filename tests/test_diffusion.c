// src/diffusion: the schedule against docs/facts.md §4 and against the PyTorch oracle
// tests/ref/diffusion_ref.py (diffusers' formulas, float32; run first as a ctest
// fixture writing $ONEDP_BUILD/ref/diffusion_ref.bin), single DDPM/DDIM steps, the
// timestep spacings, and sampler round trips with exact analytic denoisers.
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "diffusion/ddim.h"
#include "diffusion/ddpm.h"
#include "diffusion/diffusion.h"
#include "refbin.h"
#include "test.h"

#define NV 128  // oracle vectors: a (4, 16, 2) action batch

static double max_abs(const float *a, const double *b, long n) {
  double e = 0;
  for (long i = 0; i < n; i++) e = fmax(e, fabs((double)a[i] - b[i]));
  return e;
}

static void test_reference_values(const NoiseSchedule *s) {
  // docs/facts.md §4, to the digits it states (half a unit of the last digit).
  const float *b = s->betas, *a = s->alphas_cumprod;
  CHECK_NEAR(b[0], 6.313e-4, 5e-8, "beta_0");
  CHECK_NEAR(a[0], 0.999369, 5e-7, "abar_0");
  // Exactly ᾱ(0.51)/ᾱ(0) = 0.4782646 (the product telescopes); docs/facts.md's 0.47827 is
  // that value rounded twice (0.478265 -> 0.47827), hence one unit of slack.
  CHECK_NEAR(a[50], 0.47827, 1e-5, "abar_50");
  CHECK_NEAR(a[65], 0.25546, 5e-6, "abar_65");
  CHECK_NEAR(sqrtf(1 - a[65]), 0.8629, 5e-5, "sigma_65");
  CHECK_NEAR(a[95], 0.003881, 5e-7, "abar_95");
  CHECK(b[99] == 0.999f, "beta_99 capped at 0.999 (%.9g)", b[99]);
  CHECK_NEAR(a[99], 2.43e-7, 5e-10, "abar_99");
  CHECK(s->clip_sample == 1, "clip on by default");
  CHECK(schedule_abar(s, -1) == 1.0f, "abar before the first step is 1");
  NoiseSchedule bad;
  CHECK(noise_schedule_squaredcos(&bad, 0) == ODP_ERR && strstr(odp_error(), "0 training steps"),
        "0 training steps rejected: %s", odp_error());
}

static void test_schedule_vs_oracle(const RefFile *rf, const NoiseSchedule *s) {
  const double *betas = ref_get(rf, "betas", 100), *acp = ref_get(rf, "alphas_cumprod", 100);
  CHECK(betas && acp, "oracle schedule present");
  if (!(betas && acp)) return;
  // Same double formula rounded to float, and torch's CPU cumprod accumulates float32
  // in double: bit-identical.
  int same_b = 1, same_a = 1;
  for (int i = 0; i < 100; i++) {
    same_b &= s->betas[i] == (float)betas[i];
    same_a &= s->alphas_cumprod[i] == (float)acp[i];
  }
  CHECK(same_b, "betas bit-identical to diffusers' float32 betas");
  CHECK(same_a, "alphas_cumprod bit-identical to torch.cumprod");
}

static void test_steps_vs_oracle(const RefFile *rf, const NoiseSchedule *s) {
  const double *x = ref_get(rf, "x", NV), *eps = ref_get(rf, "eps", NV), *z = ref_get(rf, "z", NV);
  const double *x0 = ref_get(rf, "x0", NV);
  const double *pairs = ref_get(rf, "ddpm.pairs", 18), *dpairs = ref_get(rf, "ddim.pairs", 18);
  CHECK(x && eps && z && x0 && pairs && dpairs, "oracle step inputs present");
  if (!(x && eps && z && x0 && pairs && dpairs)) return;
  float *xf = to_float(x, NV), *ef = to_float(eps, NV), *zf = to_float(z, NV), *buf = malloc(NV * 4);
  char key[64];
  for (int i = 0; i < 9; i++) {
    int t = (int)pairs[2 * i], tp = (int)pairs[2 * i + 1];
    snprintf(key, sizeof key, "ddpm.out%d", i);
    const double *want = ref_get(rf, key, NV);
    snprintf(key, sizeof key, "ddpm.x0_%d", i);
    const double *want_x0 = ref_get(rf, key, NV);
    if (!want || !want_x0) { CHECK(0, "oracle %s", key); continue; }
    memcpy(buf, xf, NV * 4);
    ddpm_step(buf, ef, zf, NV, s, t, tp);
    // Float scalars and elementwise ops in diffusers' order: bit-identical here; the
    // tolerance leaves room for an ulp of a different libm or compiler (at t = 99 an
    // ulp of x̂_0's numerator grows x2000 through 1/√ᾱ, but x̂_0 is then clipped).
    double e = max_abs(buf, want, NV);
    CHECK(e <= 2e-6, "ddpm step %d->%d: max err %.3g", t, tp, e);
    diffusion_pred_x0(buf, xf, ef, NV, schedule_abar(s, t), 1);
    e = max_abs(buf, want_x0, NV);
    CHECK(e <= 2e-6, "pred x0 at t=%d: max err %.3g", t, e);
    snprintf(key, sizeof key, "ddpm011.out%d", i);
    if (ref_count(rf, key) == NV) {
      // diffusers 0.11 uses the stored α_t, β_t instead of ᾱ_t/ᾱ_{t−1}: equal in exact
      // arithmetic; in float, β_0/(1−ᾱ_0) carries up to ulp(1)/β_0 ≈ 2e-4 relative
    // error (measured: 1.4e-5 at t = 0, < 4e-6 elsewhere).
      memcpy(buf, xf, NV * 4);
      ddpm_step(buf, ef, zf, NV, s, t, tp);
      e = max_abs(buf, ref_get(rf, key, NV), NV);
      CHECK(e <= 3e-4, "ddpm step %d->%d vs diffusers 0.11's form: max err %.3g", t, tp, e);
    }
  }
  for (int i = 0; i < 9; i++) {
    int t = (int)dpairs[2 * i], tp = (int)dpairs[2 * i + 1];
    snprintf(key, sizeof key, "ddim.out%d", i);
    const double *want = ref_get(rf, key, NV);
    if (!want) { CHECK(0, "oracle %s", key); continue; }
    memcpy(buf, xf, NV * 4);
    ddim_step(buf, ef, NV, s, t, tp);
    // As the DDPM step: bit-identical here, an ulp or two of slack.
    double e = max_abs(buf, want, NV);
    CHECK(e <= 2e-6, "ddim step %d->%d: max err %.3g", t, tp, e);
  }
  const double *tb = ref_get(rf, "noise.t", 4), *xt = ref_get(rf, "noise.xt", NV);
  if (tb && xt) {
    Diffusion d;  // forward noising through the process interface, one level per chunk
    diffusion_init_ddpm(&d, s->num_train_steps, NULL);
    float *x0f = to_float(x0, NV);
    for (int b = 0; b < 4; b++)
      diffusion_diffuse(&d, buf + b * NV / 4, x0f + b * NV / 4, ef + b * NV / 4, NV / 4, (float)tb[b]);
    double e = max_abs(buf, xt, NV);
    CHECK(e <= 1e-6, "forward noising: max err %.3g", e);
    free(x0f);
  }
  free(xf), free(ef), free(zf), free(buf);
}

static void test_timesteps(const RefFile *rf, const NoiseSchedule *s) {
  long nn = ref_count(rf, "ts.n");
  const double *ns = ref_get(rf, "ts.n", nn);
  if (!ns) { CHECK(0, "oracle timesteps"); return; }
  int ts[100];
  for (long k = 0; k < nn; k++) {
    int n = (int)ns[k];
    for (int sp = 0; sp < 2; sp++) {
      char key[64];
      snprintf(key, sizeof key, "ts.%s%d", ddim_spacing_name((DdimSpacing)sp), n);
      const double *want = ref_get(rf, key, n);
      int got = ddim_timesteps(ts, n, s, (DdimSpacing)sp);
      int same = want && got == n;
      for (int i = 0; same && i < n; i++) same = ts[i] == (int)want[i];
      CHECK(same, "%s timesteps for %d steps match diffusers", ddim_spacing_name((DdimSpacing)sp), n);
    }
  }
  ddim_timesteps(ts, 10, s, DDIM_SPACING_LEADING);
  CHECK(ts[0] == 90 && ts[9] == 0, "leading N=10: 90 .. 0");
  ddim_timesteps(ts, 1, s, DDIM_SPACING_LEADING);
  CHECK(ts[0] == 0, "leading N=1 evaluates t=0");
  ddim_timesteps(ts, 1, s, DDIM_SPACING_TRAILING);
  CHECK(ts[0] == 99, "trailing N=1 evaluates t=99");
  CHECK(ddim_timesteps(ts, 0, s, DDIM_SPACING_LEADING) == ODP_ERR, "0 steps rejected");
  CHECK(ddim_timesteps(ts, 101, s, DDIM_SPACING_TRAILING) == ODP_ERR, "101 steps rejected");
  DdimSpacing sp;
  CHECK(ddim_spacing_parse(&sp, "trailing") == ODP_OK && sp == DDIM_SPACING_TRAILING, "parse trailing");
  CHECK(ddim_spacing_parse(&sp, "linspace") == ODP_ERR, "unknown spacing rejected");
  ddpm_timesteps(ts, 100, s);
  CHECK(ts[0] == 99 && ts[99] == 0, "ddpm 100 steps: 99 .. 0");
}

// Exact denoisers. Data x_0 ~ N(mu, sd²) per element (sd = 0: the single point mu).
// The Bayes x̂_0 = mu + k(x − √ᾱ mu) with k = √ᾱ sd²/(ᾱ sd² + 1 − ᾱ), and
// ε̂ = (x − √ᾱ x̂_0)/√(1 − ᾱ); computed in double.
typedef struct {
  const NoiseSchedule *s;
  const float *mu;  // (per)
  long per;
  double sd;
  int calls, seen[100];
  int fail_at;  // return an error at this call (-1: never)
} Oracle;

static int exact_denoiser(void *vctx, const float *x, const float *tf, int B, float *eps_out) {
  int t[B];  // DDPM levels are whole timesteps
  for (int b = 0; b < B; b++) t[b] = (int)tf[b];
  Oracle *o = vctx;
  if (o->calls == o->fail_at) return odp_fail("denoiser refused");
  if (o->calls < 100) o->seen[o->calls] = t[0];
  o->calls++;
  for (int b = 0; b < B; b++) {
    double ab = o->s->alphas_cumprod[t[b]], sa = sqrt(ab), sb = sqrt(1 - ab);
    double k = sa * o->sd * o->sd / (ab * o->sd * o->sd + 1 - ab);
    for (long i = 0; i < o->per; i++) {
      long j = (long)b * o->per + i;
      double m = o->mu[i], x0 = m + k * (x[j] - sa * m);
      eps_out[j] = (float)((x[j] - sa * x0) / sb);
    }
  }
  return ODP_OK;
}

#define B 64
#define PER 32  // (T=16, Da=2)

static void fill_mu(float *mu) {
  for (int i = 0; i < PER; i++) mu[i] = -0.4f + 0.8f * (float)i / (PER - 1);
}

static double mean_abs_diff(const float *a, const float *b, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) s += fabs((double)a[i] - b[i]);
  return s / n;
}

static double max_dev_from_mu(const float *x, const float *mu) {
  double e = 0;
  for (long j = 0; j < (long)B * PER; j++) e = fmax(e, fabs((double)x[j] - mu[j % PER]));
  return e;
}

static void test_point_round_trips(const NoiseSchedule *s) {
  float mu[PER], *x = malloc(sizeof(float) * B * PER);
  fill_mu(mu);
  Oracle o = {.s = s, .mu = mu, .per = PER, .sd = 0.0, .fail_at = -1};
  // The last step of every chain goes to ᾱ' = 1 and returns x̂_0, which an exact point
  // denoiser gets right to float error: ~ulp(|x|)/√ᾱ_t at the last t evaluated.
  diffusion_initial_noise(x, (long)B * PER, 7);
  CHECK(ddpm_sample(x, B, PER, s, 100, exact_denoiser, &o, 11) == ODP_OK, "ddpm-100 runs");
  CHECK(o.calls == 100 && o.seen[0] == 99 && o.seen[99] == 0, "ddpm-100: 100 calls, t 99..0");
  double e = max_dev_from_mu(x, mu);
  CHECK(e <= 1e-5, "ddpm-100 returns the point: max err %.3g", e);

  o.calls = 0;
  diffusion_initial_noise(x, (long)B * PER, 8);
  CHECK(ddim_sample(x, B, PER, s, 10, DDIM_SPACING_LEADING, exact_denoiser, &o) == ODP_OK, "ddim-10");
  CHECK(o.calls == 10 && o.seen[0] == 90 && o.seen[9] == 0, "ddim-10 leading: t 90..0");
  e = max_dev_from_mu(x, mu);
  CHECK(e <= 1e-5, "ddim-10 returns the point: max err %.3g", e);

  o.calls = 0;
  diffusion_initial_noise(x, (long)B * PER, 9);
  CHECK(ddim_sample(x, B, PER, s, 1, DDIM_SPACING_TRAILING, exact_denoiser, &o) == ODP_OK, "ddim-1");
  CHECK(o.calls == 1 && o.seen[0] == 99, "ddim-1 trailing evaluates t=99");
  // x̂_0 = (x − √(1−ᾱ)ε̂)/√ᾱ cancels two O(1) floats and divides by √ᾱ_99 = 4.9e-4:
  // ~3 ulp(4)/4.9e-4 ≈ 3e-3 at the largest |x|.
  e = max_dev_from_mu(x, mu);
  CHECK(e <= 5e-3, "ddim-1 trailing returns the point: max err %.3g", e);
  free(x);
}

static void test_one_step_failure(const NoiseSchedule *s) {
  // A data distribution with spread (sd 0.15): at t = 0 the exact denoiser believes
  // its input is almost clean, so leading DDIM-1 hands back (nearly) the clipped
  // noise; trailing DDIM-1 (t = 99) returns the posterior mean, ≈ mu.
  long n = (long)B * PER;
  float mu[PER], *x = malloc(sizeof(float) * n), *x_T = malloc(sizeof(float) * n);
  fill_mu(mu);
  Oracle o = {.s = s, .mu = mu, .per = PER, .sd = 0.15, .fail_at = -1};
  diffusion_initial_noise(x_T, n, 21);
  memcpy(x, x_T, sizeof(float) * n);
  CHECK(ddim_sample(x, B, PER, s, 1, DDIM_SPACING_LEADING, exact_denoiser, &o) == ODP_OK, "leading");
  float *clipped = malloc(sizeof(float) * n), *mus = malloc(sizeof(float) * n);
  for (long j = 0; j < n; j++) {
    clipped[j] = fminf(fmaxf(x_T[j], -1.0f), 1.0f);
    mus[j] = mu[j % PER];
  }
  // k(t=0) = 0.966: the output is 0.966·x_T + 0.034·mu, clipped.
  double to_noise = mean_abs_diff(x, clipped, n), to_mu = mean_abs_diff(x, mus, n);
  printf("ddim-1 leading: mean |out - clip(noise)| %.4f, mean |out - mu| %.4f\n", to_noise, to_mu);
  CHECK(to_noise < 0.03, "ddim-1 leading returns the noise (%.4f)", to_noise);
  CHECK(to_mu > 0.5, "ddim-1 leading is far from the data (%.4f)", to_mu);
  memcpy(x, x_T, sizeof(float) * n);
  CHECK(ddim_sample(x, B, PER, s, 1, DDIM_SPACING_TRAILING, exact_denoiser, &o) == ODP_OK, "trailing");
  // k(t=99) ≈ 1.1e-5 plus the 1/√ᾱ_99 float amplification above.
  double e = max_dev_from_mu(x, mu);
  CHECK(e <= 5e-3, "ddim-1 trailing returns the posterior mean: max err %.3g", e);
  free(x), free(x_T), free(clipped), free(mus);
}

static void test_ddpm_distribution(const NoiseSchedule *s) {
  // DDPM-100 on N(mu, sd²) data with the exact denoiser is linear-Gaussian (clipping
  // aside: |mu| + 3sd < 1): x ← c·x + d + σ_t z, so Var(x_0) follows V ← c²V + σ_t²
  // from V = 1. fixed_small variance makes it ~0.91 sd, not sd: that is DDPM's known
  // bias, and a test that the variance noise is drawn fresh each step at the right scale.
  const int BB = 512;
  long n = (long)BB * PER;
  double sd = 0.15;
  float mu[PER], *x = malloc(sizeof(float) * n);
  fill_mu(mu);
  Oracle o = {.s = s, .mu = mu, .per = PER, .sd = sd, .fail_at = -1};
  diffusion_initial_noise(x, n, 31);
  CHECK(ddpm_sample(x, BB, PER, s, 100, exact_denoiser, &o, 41) == ODP_OK, "ddpm-100 gaussian");
  double V = 1.0;
  for (int t = 99; t >= 0; t--) {
    double ab = s->alphas_cumprod[t], abp = t > 0 ? s->alphas_cumprod[t - 1] : 1.0;
    double al = ab / abp, be = 1 - al, k = sqrt(ab) * sd * sd / (ab * sd * sd + 1 - ab);
    double c = sqrt(abp) * be / (1 - ab) * k + sqrt(al) * (1 - abp) / (1 - ab);
    V = c * c * V + (t > 0 ? fmax((1 - abp) / (1 - ab) * be, 1e-20) : 0);
  }
  double m = 0, q = 0;
  for (long j = 0; j < n; j++) {
    double r = (x[j] - mu[j % PER]) / sd;
    m += r, q += r * r;
  }
  m /= n;
  double std = sqrt(q / n - m * m), want = sqrt(V) / sd;
  printf("ddpm-100 gaussian: mean %.4f, std %.4f (linear recursion %.4f)\n", m, std, want);
  // n = 16384 standardised values: the mean's sd is 0.9/128 = 0.007 (5 sd: 0.035) and
  // the sample std's relative sd 1/sqrt(2n) = 0.0055 (5 sd: 2.8%).
  CHECK(fabs(m) < 0.035, "ddpm-100 sample mean %.4f", m);
  CHECK(fabs(std / want - 1) < 0.028, "ddpm-100 sample std %.4f vs %.4f", std, want);
  free(x);
}

static void test_sampler_plumbing(const NoiseSchedule *s) {
  long n = (long)B * PER;
  float mu[PER], *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
  fill_mu(mu);
  Oracle o = {.s = s, .mu = mu, .per = PER, .sd = 0.2, .fail_at = -1};
  diffusion_initial_noise(a, n, 5);
  diffusion_initial_noise(b, n, 5);
  CHECK(memcmp(a, b, sizeof(float) * n) == 0, "initial noise is a function of the seed");
  ddpm_sample(a, B, PER, s, 100, exact_denoiser, &o, 77);
  ddpm_sample(b, B, PER, s, 100, exact_denoiser, &o, 77);
  CHECK(memcmp(a, b, sizeof(float) * n) == 0, "ddpm sampling is deterministic given the seeds");
  diffusion_initial_noise(b, n, 5);
  ddpm_sample(b, B, PER, s, 100, exact_denoiser, &o, 78);
  CHECK(memcmp(a, b, sizeof(float) * n) != 0, "another step-noise seed gives another sample");
  o.fail_at = 3, o.calls = 0;
  diffusion_initial_noise(a, n, 5);
  int rc = ddpm_sample(a, B, PER, s, 100, exact_denoiser, &o, 1);
  CHECK(rc == ODP_ERR && strstr(odp_error(), "t=96") && strstr(odp_error(), "refused"),
        "denoiser errors propagate with the step: %s", odp_error());
  o.calls = 0;
  rc = ddim_sample(a, B, PER, s, 10, DDIM_SPACING_LEADING, exact_denoiser, &o);
  CHECK(rc == ODP_ERR && strstr(odp_error(), "t=60"), "ddim error names the step: %s", odp_error());
  CHECK(ddpm_sample(a, B, PER, s, 0, exact_denoiser, &o, 1) == ODP_ERR, "ddpm 0 steps rejected");
  free(a), free(b);
}

// The DDPM process's operations (diffusion/diffusion.h) against their closed forms in
// double: x0 and its inverse, d x0 / d out by a finite difference, the reverse-KL score
// weight w (s_a - s_b) with w = sigma^2 and s = -eps / sigma, level draws, and the
// sampler going through the interface draws exactly what ddpm_sample does.
static void test_process_ops(void) {
  Diffusion d;
  CHECK(diffusion_init(&d, "ddpm", 100, NULL) == ODP_OK, "ddpm process");
  CHECK(diffusion_init(&d, "edm2", 100, NULL) == ODP_ERR && strstr(odp_error(), "edm2"), "unknown process named");
  diffusion_init(&d, "ddpm", 100, NULL);
  int levels[3] = {0, 42, 99};
  for (int i = 0; i < 3; i++) {
    float k = (float)levels[i], xk[2] = {0.3f, -1.7f}, out[2] = {0.9f, 0.2f}, x0[2], back[2];
    double ab = d.ddpm.alphas_cumprod[levels[i]], sa = sqrt(ab), sb = sqrt(1 - ab);
    diffusion_x0(&d, x0, xk, out, 2, k, 0);
    for (int j = 0; j < 2; j++) CHECK_NEAR(x0[j], (xk[j] - sb * out[j]) / sa, 1e-5 * fmax(1, fabs(x0[j])), "x0");
    diffusion_out_from_x0(&d, back, xk, x0, 2, k);
    for (int j = 0; j < 2; j++) CHECK_NEAR(back[j], out[j], 2e-3, "out_from_x0 inverts x0");
    float h = 1e-2f, up[1], dn[1], o1[1] = {out[0] + h}, o2[1] = {out[0] - h};
    diffusion_x0(&d, up, xk, o1, 1, k, 0), diffusion_x0(&d, dn, xk, o2, 1, k, 0);
    double fd = (up[0] - dn[0]) / (2.0 * h), g = diffusion_x0_out_grad(&d, k);
    CHECK_NEAR(g, fd, 1e-3 * fmax(1, fabs(fd)), "d x0 / d out");
    double ea = 0.4, eb = -0.8, w = 1 - ab, want = w * (-ea / sb + eb / sb);
    CHECK_NEAR(diffusion_score_diff_weight(&d, k) * (eb - ea), want, 1e-6, "score difference weight");
    CHECK_NEAR(diffusion_signal(&d, k), sa, 1e-7, "signal");
  }
  int in_range = 1;
  for (uint32_t bits = 0; bits < 1000; bits += 7) {
    float k = diffusion_level_in(&d, bits * 2654435761u, 2, 95);
    in_range &= k >= 2 && k <= 95 && k == (float)(int)k;
  }
  CHECK(in_range, "levels drawn in [2, 95], whole timesteps");
  CHECK(diffusion_max_level(&d) == 99, "max level");
}

// EDM against tests/ref/diffusion_ref.py (float64 formulas as Consistency Policy writes
// them): the quantile levels, the preconditioning, the Karras grids, x_k and F's target.
static void test_edm_vs_oracle(const RefFile *rf) {
  Diffusion d;
  CHECK(diffusion_init(&d, "edm", 1000, NULL) == ODP_OK, "edm process: %s", odp_error());
  const double *lev = ref_get(rf, "edm.level_sigma", 1000), *sig = ref_get(rf, "edm.sigmas", 7);
  const double *c[4] = {ref_get(rf, "edm.c_skip", 7), ref_get(rf, "edm.c_out", 7), ref_get(rf, "edm.c_in", 7),
                        ref_get(rf, "edm.c_noise", 7)};
  CHECK(lev && sig && c[0] && c[1] && c[2] && c[3], "EDM oracle present");
  if (!(lev && sig && c[0] && c[1] && c[2] && c[3])) return;
  double e = 0;
  for (int k = 0; k < 1000; k++) e = fmax(e, fabs(d.edm.sigma[k] - lev[k]) / lev[k]);
  CHECK(e < 1e-6, "quantile level sigmas: max relative error %.3g", e);
  for (int i = 0; i < 7; i++) {
    EdmScaling sc = edm_scaling(&d.edm.set, sig[i]);
    float got[4] = {sc.skip, sc.out, sc.in, sc.noise};
    for (int j = 0; j < 4; j++)
      CHECK(fabs(got[j] - c[j][i]) <= 1e-6 * fmax(1, fabs(c[j][i])), "scaling %d at sigma %g: %.9g vs %.9g", j,
            sig[i], got[j], c[j][i]);
  }
  int ns[4] = {1, 2, 10, 18};
  for (int i = 0; i < 4; i++) {
    char name[32];
    snprintf(name, sizeof name, "edm.karras%d", ns[i]);
    const double *want = ref_get(rf, name, ns[i] + 1);
    double got[20];
    edm_karras_sigmas(&d.edm.set, ns[i], got);
    double err = 0;
    for (int j = 0; want && j <= ns[i]; j++) err = fmax(err, fabs(got[j] - want[j]) / fmax(want[j], 1e-300));
    CHECK(want && err < 1e-12, "Karras grid N=%d: max relative error %.3g", ns[i], err);
  }
  const double *lv = ref_get(rf, "edm.levels", 4), *xk = ref_get(rf, "edm.xk", NV), *tg = ref_get(rf, "edm.target", NV);
  const double *x0 = ref_get(rf, "x0", NV), *eps = ref_get(rf, "eps", NV);
  CHECK(lv && xk && tg && x0 && eps, "EDM x_k oracle present");
  if (!(lv && xk && tg && x0 && eps)) return;
  float fx0[NV], feps[NV], got[NV], target[NV];
  for (int i = 0; i < NV; i++) fx0[i] = (float)x0[i], feps[i] = (float)eps[i];
  for (int b = 0; b < 4; b++) {
    diffusion_diffuse(&d, got + 32 * b, fx0 + 32 * b, feps + 32 * b, 32, (float)lv[b]);
    const float *t = diffusion_train_target(&d, target + 32 * b, fx0 + 32 * b, got + 32 * b, feps + 32 * b, 32,
                                            (float)lv[b]);
    CHECK(t == target + 32 * b, "EDM writes its target");
  }
  CHECK(max_abs(got, xk, NV) < 2e-6, "x_k = c_in (x0 + sigma eps): %.3g", max_abs(got, xk, NV));
  CHECK(max_abs(target, tg, NV) < 2e-5, "F's target: %.3g", max_abs(target, tg, NV));
}

// The EDM process's operations against their closed forms: x0 and its inverse, d x0 / d
// out by a finite difference, the reverse-KL weight (signal f (out_b - out_a) = D_a - D_b:
// w = sigma^2 on y = x0 + sigma n), and samplers refused across processes.
static void test_edm_process_ops(void) {
  Diffusion d, ddpm;
  CHECK(diffusion_init(&d, "edm", 1000, NULL) == ODP_OK && diffusion_init(&ddpm, "ddpm", 100, NULL) == ODP_OK,
        "processes");
  int levels[3] = {0, 500, 999};
  for (int i = 0; i < 3; i++) {
    const float k = (float)levels[i];
    float xk[2] = {0.3f, -1.7f}, out[2] = {0.9f, 0.2f}, x0[2], back[2];
    EdmScaling c = edm_scaling(&d.edm.set, d.edm.sigma[levels[i]]);
    diffusion_x0(&d, x0, xk, out, 2, k, 0);
    for (int j = 0; j < 2; j++)
      CHECK_NEAR(x0[j], c.skip * xk[j] / c.in + c.out * out[j], 1e-5 * fmax(1, fabs(x0[j])), "EDM x0");
    diffusion_out_from_x0(&d, back, xk, x0, 2, k);
    for (int j = 0; j < 2; j++) CHECK_NEAR(back[j], out[j], 2e-3, "EDM out_from_x0 inverts x0");
    float h = 1e-2f, up[1], dn[1], o1[1] = {out[0] + h}, o2[1] = {out[0] - h};
    diffusion_x0(&d, up, xk, o1, 1, k, 0), diffusion_x0(&d, dn, xk, o2, 1, k, 0);
    double fd = (up[0] - dn[0]) / (2.0 * h);
    CHECK_NEAR(diffusion_x0_out_grad(&d, k), fd, 1e-3 * fmax(1, fabs(fd)), "EDM d x0 / d out");
    float xa[2], xb[2], outb[2] = {-0.4f, 1.1f};
    diffusion_x0(&d, xa, xk, out, 2, k, 0), diffusion_x0(&d, xb, xk, outb, 2, k, 0);
    double f = diffusion_signal(&d, k) * diffusion_score_diff_weight(&d, k);
    for (int j = 0; j < 2; j++)
      CHECK_NEAR(f * (outb[j] - out[j]), xa[j] - xb[j], 1e-4 * fmax(1, fabs(xa[j] - xb[j])), "EDM score weight");
  }
  CHECK(diffusion_max_level(&d) == 999, "EDM max level");
  const char *cross[4][2] = {{"ddpm:100", "edm"}, {"ddim:10", "edm"}, {"edm:18", "ddpm"}, {"cp:1", "ddpm"}};
  for (int i = 0; i < 4; i++) {
    SamplerSpec spec;
    CHECK(sampler_parse(&spec, cross[i][0]) == ODP_OK, "%s parses", cross[i][0]);
    const Diffusion *p = !strcmp(cross[i][1], "edm") ? &d : &ddpm;
    CHECK(diffusion_check_sampler(p, &spec) == ODP_ERR && strstr(odp_error(), cross[i][0]) &&
              strstr(odp_error(), "policy.diffusion"),
          "%s refused by %s: %s", cross[i][0], cross[i][1], odp_error());
  }
  SamplerSpec heun;
  CHECK(sampler_parse(&heun, "edm:18") == ODP_OK && sampler_nfe(&heun) == 35, "edm:18 is 35 calls");
  EdmSettings bad = edm_default_settings();
  bad.sigma_min = 100;
  CHECK(diffusion_init(&d, "edm", 1000, &bad) == ODP_ERR && strstr(odp_error(), "policy.sigma_min"),
        "sigma_min above sigma_max refused: %s", odp_error());
}

// Data x0 ~ N(mu, s^2) per value: D(y, sigma) = mu + s^2 / (s^2 + sigma^2) (y - mu) exactly,
// and the probability-flow ODE carries y - mu proportionally to sqrt(s^2 + sigma^2).
typedef struct {
  const EdmSettings *set;
  double mu, s;
} GaussDenoiser;

static int gauss_denoise(void *ctx, const float *x, const float *t, int batch, float *out) {
  const GaussDenoiser *g = ctx;
  for (int b = 0; b < batch; b++) {
    const double sigma = exp(t[b] / 250.0);  // c_noise = 250 ln sigma
    const EdmScaling c = edm_scaling(g->set, sigma);
    for (int i = 0; i < 4; i++) {
      const double y = x[b * 4 + i] / c.in, D = g->mu + g->s * g->s / (g->s * g->s + sigma * sigma) * (y - g->mu);
      out[b * 4 + i] = (float)((D - c.skip * y) / c.out);
    }
  }
  return ODP_OK;
}

// Heun converges at second order and Euler at first on the Gaussian's ODE: the error of
// the steps down to sigma_min (the last step, to 0, is Euler's in both and exact here
// through the reference) falls ~4x and ~2x per doubling of N.
static void test_heun_order(void) {
  EdmSettings set = edm_default_settings();
  GaussDenoiser g = {&set, 0.2, 0.1};
  float x[4], eps[4], z[4], x2[4], tb[1];
  DiffusionWork w = {.eps = eps, .z = z, .tb = tb, .x2 = x2};
  const float n0[4] = {0.7f, -1.3f, 0.1f, 2.0f};
  double err[2][3];
  for (int o = 0; o < 2; o++)
    for (int r = 0; r < 3; r++) {
      const int N = 8 << r;
      memcpy(x, n0, sizeof x);
      CHECK(edm_sample_ws(x, 1, 4, &set, N, o ? EDM_HEUN : EDM_EULER, gauss_denoise, &g, &w) == ODP_OK, "sample");
      double e = 0, s2 = g.s * g.s, smin = set.sigma_min;
      for (int i = 0; i < 4; i++) {
        double y_min = g.mu + set.sigma_max * n0[i] * sqrt((s2 + smin * smin) / (s2 + set.sigma_max * set.sigma_max));
        double want = g.mu + s2 / (s2 + smin * smin) * (y_min - g.mu);  // the final Euler step: D(y, sigma_min)
        e = fmax(e, fabs(x[i] - want));
      }
      err[o][r] = e;
    }
  printf("Gaussian ODE error at N = 8, 16, 32: Euler %.3g %.3g %.3g, Heun %.3g %.3g %.3g\n", err[0][0], err[0][1],
         err[0][2], err[1][0], err[1][1], err[1][2]);
  for (int r = 0; r < 2; r++) {
    CHECK(err[0][r] / err[0][r + 1] > 1.6 && err[0][r] / err[0][r + 1] < 2.6, "Euler first order: ratio %.2f",
          err[0][r] / err[0][r + 1]);
    CHECK(err[1][r] / err[1][r + 1] > 3.0, "Heun second order: ratio %.2f", err[1][r] / err[1][r + 1]);
  }
}

int main(void) {
  test_process_ops();
  test_edm_process_ops();
  test_heun_order();
  NoiseSchedule s;
  CHECK(noise_schedule_squaredcos(&s, 100) == ODP_OK, "schedule");
  test_reference_values(&s);
  RefFile rf;
  CHECK(ref_load(&rf, "diffusion_ref.bin") == 0, "load oracle");
  if (rf.count) {
    test_schedule_vs_oracle(&rf, &s);
    test_steps_vs_oracle(&rf, &s);
    test_timesteps(&rf, &s);
    test_edm_vs_oracle(&rf);
  }
  test_point_round_trips(&s);
  test_one_step_failure(&s);
  test_ddpm_distribution(&s);
  test_sampler_plumbing(&s);
  ref_free(&rf);
  TEST_MAIN_END();
}
