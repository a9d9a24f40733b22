// src/optim against the PyTorch oracle tests/ref/optim_ref.py (run first as a ctest
// fixture; it writes $ONEDP_BUILD/ref/optim_ref.bin): the same initial parameters and
// gradient sequences, compared after each piece has run.
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "optim/adamw.h"
#include "optim/clip.h"
#include "optim/ema.h"
#include "optim/lr_schedule.h"
#include "refbin.h"
#include "test.h"

#define P 1000
#define STEPS 25

// Largest |a - b| / (1 + |b|) over n values: absolute near 0, relative for large values.
static double max_err(const float *a, const double *b, long n) {
  double e = 0;
  for (long i = 0; i < n; i++) e = fmax(e, fabs((double)a[i] - b[i]) / (1.0 + fabs(b[i])));
  return e;
}

// Largest |a - b| / |b| over n values (b nonzero).
static double max_rel(const float *a, const double *b, long n) {
  double e = 0;
  for (long i = 0; i < n; i++)
    if (b[i] != 0) e = fmax(e, fabs((double)a[i] - b[i]) / fabs(b[i]));
  return e;
}

static void test_adamw(const RefFile *rf, const char *name, double base_lr) {
  char key[64];
#define GET(suffix, n) (snprintf(key, sizeof key, "%s.%s", name, suffix), ref_get(rf, key, n))
  const double *cfg = GET("cfg", 4), *lr = GET("lr", STEPS), *p0 = GET("p0", P);
  const double *g = GET("g", (long)STEPS * P), *pt = GET("p", P), *mt = GET("m", P), *vt = GET("v", P);
#undef GET
  CHECK(cfg && lr && p0 && g && pt && mt && vt, "%s: oracle arrays present", name);
  if (!(cfg && lr && p0 && g && pt && mt && vt)) return;
  AdamW opt = {.cfg = {.lr = base_lr, .beta1 = cfg[0], .beta2 = cfg[1], .eps = cfg[2],
                       .weight_decay = cfg[3]}};
  float *p = to_float(p0, P), *m = calloc(P, sizeof *m), *v = calloc(P, sizeof *v);
  for (int s = 0; s < STEPS; s++) {
    float *gs = to_float(g + (long)s * P, P);
    adamw_step(&opt, p, m, v, gs, P, lr[s]);
    free(gs);
  }
  CHECK(opt.step == STEPS, "%s: step count %ld", name, opt.step);
  // The float arithmetic follows torch's operation order; torch's vectorised kernels
  // may fuse a multiply-add (one rounding fewer), so values may differ by an ulp or
  // two per step. Over 25 steps that is ~1e-6 relative at most (float ulp is 6e-8);
  // a wrong formula (bias correction, eps placement, decay order) errs by >= 1e-4.
  double ep = max_err(p, pt, P), em = max_err(m, mt, P), ev = max_rel(v, vt, P);
  printf("%s: max err p %.3g, m %.3g, v(rel) %.3g\n", name, ep, em, ev);
  CHECK(ep <= 2e-6, "%s: params after %d steps, max err %.3g", name, STEPS, ep);
  CHECK(em <= 2e-6, "%s: exp_avg, max err %.3g", name, em);
  CHECK(ev <= 2e-6, "%s: exp_avg_sq, max rel err %.3g", name, ev);
  // The update moved the parameters well beyond that tolerance: the test has teeth.
  double moved = 0;
  for (int i = 0; i < P; i++) moved = fmax(moved, fabs(pt[i] - p0[i]));
  CHECK(moved > 100 * 2e-6, "%s: parameters moved %.3g", name, moved);
  free(p), free(m), free(v);
}

static void test_beta1_zero_is_rmsprop_like(void) {
  // With beta1 = 0, m is the current gradient and there is no first-moment bias
  // correction: the first step moves each parameter by lr * g/(|g| + eps) = lr*sign(g).
  AdamWConfig c = {.lr = 1e-3, .beta1 = 0.0, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0};
  float p[3] = {0.5f, -0.25f, 1.0f}, m[3] = {0}, v[3] = {0}, g[3] = {2.0f, -0.5f, 1e-3f};
  adamw_update(p, m, v, g, 3, &c, c.lr, 1);
  CHECK_NEAR(p[0], 0.5 - 1e-3, 1e-7, "beta1=0 step, g>0");
  CHECK_NEAR(p[1], -0.25 + 1e-3, 1e-7, "beta1=0 step, g<0");
  CHECK_NEAR(p[2], 1.0 - 1e-3 * 1e-3 / (1e-3 + 1e-8), 1e-7, "beta1=0 step, small g");
  CHECK(m[0] == 2.0f, "beta1=0 keeps m = g (%g)", m[0]);
}

static void test_schedules(const RefFile *rf) {
  const char *names[] = {"cos500_5000", "cos0_10", "cos10_7"};
  for (int k = 0; k < 3; k++) {
    char key[64];
    snprintf(key, sizeof key, "sched.%s.cfg", names[k]);
    const double *cfg = ref_get(rf, key, 3);
    snprintf(key, sizeof key, "sched.%s", names[k]);
    long n = ref_count(rf, key);
    const double *lr = ref_get(rf, key, n);
    CHECK(cfg && lr && n > 0, "schedule %s present", names[k]);
    if (!(cfg && lr)) continue;
    LrSchedule s = lr_schedule_cosine(cfg[0], (long)cfg[1], (long)cfg[2]);
    double worst = 0;
    for (long i = 0; i < n; i++) worst = fmax(worst, fabs(lr_at(&s, i) - lr[i]));
    // Same double formula as diffusers' lambda times base_lr; libm's cos may differ
    // from CPython's in the last bit: 1e-18 absolute at lr 1e-4 is ~1e-14 relative.
    CHECK(worst <= 1e-18, "schedule %s: max |lr - torch| = %.3g over %ld steps", names[k], worst, n);
  }
  LrSchedule s = lr_schedule_cosine(1e-4, 500, 5000);
  CHECK(lr_at(&s, 0) == 0.0, "warm-up starts at 0");
  CHECK_NEAR(lr_at(&s, 250), 0.5e-4, 1e-18, "half way through warm-up");
  CHECK_NEAR(lr_at(&s, 500), 1e-4, 1e-18, "peak after warm-up");
  CHECK_NEAR(lr_at(&s, 2750), 0.5e-4, 1e-15, "cosine midpoint");
  CHECK_NEAR(lr_at(&s, 5000), 0.0, 1e-18, "zero at the end");
  LrSchedule c = lr_schedule_constant(3e-5);
  CHECK(lr_at(&c, 0) == 3e-5 && lr_at(&c, 123456) == 3e-5, "constant schedule");
  LrSchedule cw = {LR_CONSTANT_WARMUP, 2e-4, 10, 0, 0.5};
  CHECK_NEAR(lr_at(&cw, 5), 1e-4, 1e-18, "constant with warm-up, during");
  CHECK(lr_at(&cw, 10) == 2e-4, "constant with warm-up, after");
}

static void test_clip(const RefFile *rf) {
  const char *names[] = {"big", "small", "mid"};
  for (int k = 0; k < 3; k++) {
    char key[64];
    snprintf(key, sizeof key, "clip.%s.g", names[k]);
    long n = ref_count(rf, key);
    const double *g = ref_get(rf, key, n);
    snprintf(key, sizeof key, "clip.%s.max", names[k]);
    const double *mx = ref_get(rf, key, 1);
    snprintf(key, sizeof key, "clip.%s.norm", names[k]);
    const double *norm = ref_get(rf, key, 1);
    snprintf(key, sizeof key, "clip.%s.out", names[k]);
    const double *out = ref_get(rf, key, n);
    CHECK(g && mx && norm && out, "clip %s present", names[k]);
    if (!(g && mx && norm && out)) continue;
    float *gf = to_float(g, n);
    double nrm = clip_grad_norm(gf, n, mx[0]);
    // torch sums per-tensor float32 norms (relative error ~1e-7 * sqrt(n) at worst);
    // ours is summed in double, so they agree to a few 1e-6 relative.
    CHECK(fabs(nrm - norm[0]) <= 5e-6 * norm[0], "clip %s: norm %.9g vs torch %.9g", names[k],
          nrm, norm[0]);
    // The scale inherits that relative difference; outputs agree to ~1e-5 relative.
    double e = max_rel(gf, out, n);
    CHECK(e <= 1e-5, "clip %s: clipped grads max rel err %.3g", names[k], e);
    free(gf);
  }
  float g[4] = {3, 4, 0, 0};
  CHECK_NEAR(clip_grad_norm(g, 4, 10.0), 5.0, 1e-12, "norm of (3,4)");
  CHECK(g[0] == 3 && g[1] == 4, "below max_norm: untouched");
  clip_grad_norm(g, 4, 1.0);
  CHECK_NEAR(g[0], 0.6, 1e-6, "clipped to norm 1");
  float bad[2] = {NAN, 1};
  CHECK(isnan(clip_grad_norm(bad, 2, 1.0)) && bad[1] == 1, "non-finite norm reported, grads kept");
}

static void test_clip_thread_independent(void) {
  // Norms over a buffer much longer than one chunk: the same bits at 1 and 2 threads.
  long n = 300000;
  float *g = malloc((size_t)n * sizeof *g);
  for (long i = 0; i < n; i++) g[i] = (float)sin(0.001 * (double)i) * (float)(1 + i % 7);
  omp_set_num_threads(1);
  double a = grad_norm(g, n);
  omp_set_num_threads(2);
  double b = grad_norm(g, n);
  CHECK(a == b, "grad norm independent of thread count (%.17g vs %.17g)", a, b);
  free(g);
}

static void test_ema(const RefFile *rf) {
  EmaConfig c = ema_config_dp();
  const double *decays = ref_get(rf, "ema.decays", 40);
  const double *pn = ref_get(rf, "ema.probe_n", 12), *pd = ref_get(rf, "ema.probe_decay", 12);
  const double *p_last = ref_get(rf, "ema.p_last", P), *avg = ref_get(rf, "ema.avg", P);
  const double *after1 = ref_get(rf, "ema.after1", P), *all = ref_get(rf, "ema.p_seq", 40L * P);
  CHECK(decays && pn && pd && p_last && avg && after1 && all, "ema oracle present");
  if (!(decays && pn && pd && p_last && avg && after1 && all)) return;
  // Same double formula as EMAModel.get_decay; pow may differ in the last bit.
  for (int n = 0; n < 40; n++)
    CHECK_NEAR(ema_decay(&c, n), decays[n], 1e-15, "ema decay at update n");
  for (int k = 0; k < 12; k++)
    CHECK_NEAR(ema_decay(&c, (long)pn[k]), pd[k], 1e-15, "ema decay at probe n");
  CHECK(ema_decay(&c, 0) == 0.0 && ema_decay(&c, 1) == 0.0, "first two updates copy the weights");
  CHECK_NEAR(ema_decay(&c, 2), 1.0 - pow(2.0, -0.75), 1e-15, "third update");
  CHECK_NEAR(ema_decay(&c, 10001), 0.999, 1e-6, "about 0.999 after 10k steps");
  CHECK(ema_decay(&c, 100000000) == 0.9999, "capped at 0.9999");

  // Replay the oracle's drifting weights p_0..p_39 through our EMA.
  float *e = calloc(P, sizeof *e);
  for (int n = 0; n < 40; n++) {
    float *p = to_float(all + (long)n * P, P);
    ema_update(e, p, P, ema_decay(&c, n));
    if (n == 0) CHECK(max_err(e, after1, P) == 0, "EMA after one update is the weights");
    free(p);
  }
  // Two float roundings per update, the EMA contracts old error by decay < 1: a few
  // ulps of |avg| (~1) total.
  double err = max_err(e, avg, P);
  printf("ema: max err %.3g\n", err);
  CHECK(err <= 1e-6, "EMA params after 40 updates, max err %.3g", err);
  free(e);
}

int main(void) {
  RefFile rf;
  CHECK(ref_load(&rf, "optim_ref.bin") == 0, "load oracle");
  if (rf.count) {
    test_adamw(&rf, "adamw.dp", 1e-4);
    test_adamw(&rf, "adamw.wd", 1e-2);
    test_adamw(&rf, "adamw.b0", 1e-3);
    test_adamw(&rf, "adamw.b0wd", 2e-3);
    test_schedules(&rf);
    test_clip(&rf);
    test_ema(&rf);
  }
  test_beta1_zero_is_rmsprop_like();
  test_clip_thread_independent();
  ref_free(&rf);
  TEST_MAIN_END();
}
