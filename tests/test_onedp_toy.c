// OneDP on a toy whose answer is known: a conditional ring of 8 modes. A small teacher
// is trained with the DDPM loss, then distilled with OneDP-S and OneDP-D. The paper's
// mode-seeking / stochasticity arguments, made measurable on one observation:
//   - OneDP-S one-step samples land on the modes and cover those the teacher covers,
//     with a small MMD to the teacher's DDPM-100 samples;
//   - OneDP-D is deterministic (z = 0): one action per observation, so it covers one mode;
//   - the teacher's DDIM-1 (trailing: x0 predicted from pure noise at t = 99, where the
//     1/sqrt(abar_99) = 2000x amplification leaves mostly the clip to [-1, 1]) lands
//     between the modes.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/toy.h"
#include "diffusion/ddim.h"
#include "diffusion/ddpm.h"
#include "distill/onedp_core.h"
#include "model/denoise_loss.h"
#include "optim/lr_schedule.h"
#include "test.h"
#include "toy_unet.h"
#include "model/unet_denoiser.h"

#define B 128
#define T 8
#define N (T * 2)
#define MODES 8
#define TEACHER_STEPS 3000
#define DISTILL_STEPS 400

static const ToyRing ring = {.modes = MODES, .phases = 2, .radius = 0.7f, .noise = 0.02f, .horizon = T};
static const float PHASE = (float)M_PI / MODES;  // the second of the two phases: pi / 8

static void train_teacher(const Unet *u, float *params, const Diffusion *s) {
  long np = u->table.numel;
  float *grads = calloc(np, 4), *m = calloc(np, 4), *v = calloc(np, 4);
  UnetActs *acts = unet_acts_create(u, B, T);
  float obs[B * 2], act[B * N], work[3 * B * N];
  AdamWConfig adam = {.lr = 2e-3, .beta1 = 0.95, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 1e-6};
  LrSchedule lr = lr_schedule_cosine(2e-3, 50, TEACHER_STEPS);
  double recent = 0;
  for (long step = 0; step < TEACHER_STEPS; step++) {
    toy_ring_batch(&ring, 1, step, B, obs, act, NULL);
    memset(grads, 0, np * 4);
    double loss = denoise_loss_step(u, params, grads, NULL, acts, s, act, obs, 2, step, (BatchShare){0, B}, work);
    adamw_update(params, m, v, grads, np, &adam, lr_at(&lr, step), step + 1);
    if (step >= TEACHER_STEPS - 100) recent += loss / 100;
  }
  printf("teacher: %d steps, loss over the last 100 %.4f\n", TEACHER_STEPS, recent);
  free(grads), free(m), free(v);
  unet_acts_free(acts);
}

typedef struct {
  int on_mode, covered, hits[MODES];
  float mean_radius;
} Coverage;

// A mode counts as covered when it gets at least 2% of the samples.
static Coverage coverage(const float *x, const float *cond) {
  Coverage c = {0};
  for (int b = 0; b < B; b++) {
    float dist, mx = 0, my = 0;
    int mode = toy_ring_nearest_mode(&ring, cond, x + b * N, &dist);
    for (int t = 0; t < T; t++) mx += x[b * N + 2 * t] / T, my += x[b * N + 2 * t + 1] / T;
    c.mean_radius += hypotf(mx, my) / B;
    if (dist < 0.1f) c.on_mode++, c.hits[mode]++;
  }
  for (int k = 0; k < MODES; k++) c.covered += c.hits[k] >= B / 50 + 1;
  return c;
}

static void print_coverage(const char *name, Coverage c) {
  printf("%-20s on a mode %3d/%d, modes covered %d, mean radius %.3f, per mode", name, c.on_mode, B, c.covered,
         c.mean_radius);
  for (int k = 0; k < MODES; k++) printf(" %d", c.hits[k]);
  printf("\n");
}

// Squared MMD with a Gaussian kernel (bandwidth 0.1) between chunk means of two sample sets.
static double mmd2(const float *x, const float *y) {
  float px[B][2], py[B][2];
  for (int b = 0; b < B; b++) {
    px[b][0] = px[b][1] = py[b][0] = py[b][1] = 0;
    for (int t = 0; t < T; t++)
      for (int j = 0; j < 2; j++) px[b][j] += x[b * N + 2 * t + j] / T, py[b][j] += y[b * N + 2 * t + j] / T;
  }
  double kxx = 0, kyy = 0, kxy = 0, h2 = 2 * 0.1 * 0.1;
  for (int i = 0; i < B; i++)
    for (int j = 0; j < B; j++) {
      double dxx = hypot(px[i][0] - px[j][0], px[i][1] - px[j][1]), dyy = hypot(py[i][0] - py[j][0], py[i][1] - py[j][1]);
      double dxy = hypot(px[i][0] - py[j][0], px[i][1] - py[j][1]);
      kxx += exp(-dxx * dxx / h2), kyy += exp(-dyy * dyy / h2), kxy += exp(-dxy * dxy / h2);
    }
  return (kxx + kyy - 2 * kxy) / ((double)B * B);
}

static void distill(const Unet *u, const Diffusion *s, const float *teacher, float *generator, int stochastic) {
  long np = u->table.numel;
  float *score = malloc(np * 4);
  memcpy(generator, teacher, np * 4), memcpy(score, teacher, np * 4);
  OnedpOptions opt = {.stochastic = stochastic, .k_star = 65, .k_min = 2, .k_max = 95, .seed = 9, .kl_weight = 1,
                      .gen_adam = {.lr = 1e-4, .beta1 = 0, .beta2 = 0.999, .eps = 1e-8},
                      .score_adam = {.lr = 1e-3, .beta1 = 0, .beta2 = 0.999, .eps = 1e-8}};
  OnedpModels m;
  OnedpStep st;
  CHECK(onedp_models_alloc(&m, u, s, &opt, T) == 0 && onedp_step_alloc(&st, &m, B, T) == 0, "%s", odp_error());
  m.teacher = teacher, m.generator = generator, m.score = score;
  float obs[B * 2], act[B * N];
  OnedpStepStats stats = {0};
  for (long step = 0; step < DISTILL_STEPS; step++) {
    toy_ring_batch(&ring, 3, step, B, obs, act, NULL);
    CHECK(onedp_step(&m, &st, &(OnedpCond){obs, obs, NULL}, NULL, NULL, step, 1.0, &stats) == 0, "%s", odp_error());
  }
  printf("OneDP-%s: %d steps, last score difference %.4f, score-network loss %.4f\n", stochastic ? "S" : "D",
         DISTILL_STEPS, stats.score_diff, stats.score_loss);
  onedp_step_free(&st);
  onedp_models_free(&m);
  free(score);
}

// Central finite differences of f at the probed parameters against the gradient grad
// (copied before the first probe): the three largest entries, then three below 0.3 of the
// largest. f is evaluated by the caller's step at params[i] +- h.
typedef double (*LossAt)(void *ctx);
static void check_fd(const char *what, float *params, const float *grad_in, long np, LossAt f, void *ctx, float h,
                     double tol) {
  float *grad = malloc(np * 4), gmax = 0;
  memcpy(grad, grad_in, np * 4);
  for (long i = 0; i < np; i++) gmax = fmaxf(gmax, fabsf(grad[i]));
  CHECK(gmax > 0, "%s: the gradient is zero", what);
  for (int probe = 0; probe < 6; probe++) {
    long best = -1;
    for (long i = 0; i < np; i++)
      if ((probe < 3 || fabsf(grad[i]) < 0.3f * gmax) && (best < 0 || fabsf(grad[i]) > fabsf(grad[best]))) best = i;
    const float keep = params[best];
    params[best] = keep + h;
    double plus = f(ctx);
    params[best] = keep - h;
    double minus = f(ctx);
    params[best] = keep;
    double fd = (plus - minus) / (2.0 * h), g = grad[best];
    printf("%s gradient at parameter %ld: %.6e, finite difference %.6e\n", what, best, g, fd);
    CHECK(fabs(fd - g) <= tol * fabs(g) + 1e-6, "%s gradient %g vs finite difference %g", what, g, fd);
    grad[best] = 0;  // the next probe takes another parameter
  }
  free(grad);
}

typedef struct {
  OnedpModels *m;
  OnedpStep *st;
  const float *cond;
  const OnedpPairs *pairs;
} RegressionCtx;

static double regression_loss(void *ctx) {
  RegressionCtx *c = ctx;
  OnedpStepStats at;
  CHECK(onedp_step(c->m, c->st, &(OnedpCond){c->cond, c->cond, NULL}, NULL, c->pairs, 0, 1.0, &at) == 0, "%s", odp_error());
  return at.regression;
}

// DMD's paired regression (onedp_core.c): the gradient it accumulates against central finite
// differences of the loss it reports, then a regression-only run that brings G_theta(z) to
// the teacher's DDIM-10 sample from the same z.
static void regression(const Unet *u, const Diffusion *s, const float *teacher) {
  long np = u->table.numel;
  float *gen = malloc(np * 4);
  memcpy(gen, teacher, np * 4);
  OnedpOptions opt = {.stochastic = 1, .k_star = 65, .k_min = 2, .k_max = 95, .seed = 3, .regression_weight = 1,
                      .gen_adam = {.lr = 0, .beta1 = 0, .beta2 = 0.999, .eps = 1e-8}};
  OnedpModels m;
  OnedpStep st;
  CHECK(onedp_models_alloc(&m, u, s, &opt, T) == 0 && onedp_step_alloc(&st, &m, B, T) == 0, "%s", odp_error());
  m.teacher = teacher, m.generator = gen, m.score = NULL;  // kl_weight 0: no score network
  static float cond[2][B * 2], z[2][B * N], target[2][B * N], act[B * N];
  SamplerSpec ddim10 = {.kind = SAMPLER_DDIM, .steps = 10};
  OnedpPairs pairs[2];
  for (int j = 0; j < 2; j++) {
    toy_ring_batch(&ring, 7, j, B, cond[j], act, NULL);
    CHECK(onedp_pair_targets(&m, &st, &ddim10, cond[j], 100 + j, z[j], target[j]) == 0, "%s", odp_error());
    pairs[j] = (OnedpPairs){z[j], cond[j], target[j], NULL};
  }
  OnedpStepStats at;
  static float dcond[B * 2];
  pairs[0].dcond = dcond;  // the conditioning's gradient: what an image student's encoder continues from
  CHECK(onedp_step(&m, &st, &(OnedpCond){cond[0], cond[0], NULL}, NULL, &pairs[0], 0, 1.0, &at) == 0, "%s", odp_error());  // lr 0: gen unchanged
  RegressionCtx ctx = {&m, &st, cond[0], &pairs[0]};
  check_fd("regression", gen, m.g_gen, np, regression_loss, &ctx, 1e-3f, 0.03);
  check_fd("regression conditioning", cond[0], dcond, B * 2, regression_loss, &ctx, 1e-3f, 0.03);
  pairs[0].dcond = NULL;
  m.opt.gen_adam.lr = 1e-3;
  double first = at.regression, last = 0;
  for (long step = 0; step < 300; step++) {
    CHECK(onedp_step(&m, &st, &(OnedpCond){cond[step % 2], cond[step % 2], NULL}, NULL, &pairs[step % 2], step, 1.0, &at) == 0, "%s", odp_error());
    if (step >= 290) last += at.regression / 10;
  }
  printf("regression only: mean squared error to the teacher's DDIM-10 %.5f at init, %.5f after 300 steps\n", first,
         last);
  CHECK(last < 0.5 * first, "regression: error %.5f not below half the initial %.5f", last, first);
  onedp_step_free(&st);
  onedp_models_free(&m);
  free(gen);
}

typedef struct {
  OnedpModels *m;
  OnedpStep *st;
  const float *cond, *real;
} AdversarialCtx;

static OnedpStepStats adversarial_step(AdversarialCtx *c) {
  OnedpStepStats at;
  CHECK(onedp_step(c->m, c->st, &(OnedpCond){c->cond, c->cond, NULL}, c->real, NULL, 0, 1.0, &at) == 0, "%s", odp_error());
  return at;
}
static double gan_loss(void *ctx) { return adversarial_step(ctx).gan; }
// psi's objective in its update: the denoising loss plus disc_weight times the
// discriminator's summed real and fake losses (disc_loss is their mean).
static double psi_loss(void *ctx) {
  OnedpStepStats at = adversarial_step(ctx);
  return at.score_loss + 2.0 * ((AdversarialCtx *)ctx)->m->opt.disc_weight * at.disc_loss;
}

// DMD2's discriminator (distill/discriminator.h, onedp_core.c): with every learning rate 0,
// the gradients a step accumulates for the generator's adversarial loss, the head and psi
// against finite differences of the losses it reports; then, the generator frozen, the
// discriminator trained on psi learns to tell diffused ring samples from the untrained
// generator's.
static void adversarial(const Unet *u, const Diffusion *s, const float *teacher) {
  long np = u->table.numel;
  float *gen = malloc(np * 4), *score = malloc(np * 4), *g_kl = malloc(np * 4);
  memcpy(gen, teacher, np * 4), memcpy(score, teacher, np * 4);
  OnedpOptions opt = {.stochastic = 1, .k_star = 65, .k_min = 2, .k_max = 95, .seed = 4, .kl_weight = 1,
                      .disc_weight = 0.5, .gan_weight = 0, .disc_hidden = 16, .disc_k_max = 95,
                      .gen_adam = {.lr = 0, .beta1 = 0, .beta2 = 0.999, .eps = 1e-8},
                      .score_adam = {.lr = 0, .beta1 = 0, .beta2 = 0.999, .eps = 1e-8}};
  OnedpModels m;
  OnedpStep st;
  CHECK(onedp_models_alloc(&m, u, s, &opt, T) == 0 && onedp_step_alloc(&st, &m, B, T) == 0, "%s", odp_error());
  m.teacher = teacher, m.generator = gen, m.score = score;
  static float cond[B * 2], real[B * N];
  toy_ring_batch(&ring, 11, 0, B, cond, real, NULL);
  AdversarialCtx ctx = {&m, &st, cond, real};
  OnedpStepStats at = adversarial_step(&ctx);  // gan_weight 0: g_gen holds the KL's gradient alone
  memcpy(g_kl, m.g_gen, np * 4);
  check_fd("discriminator head", m.disc_params, m.g_disc, m.disc.numel, psi_loss, &ctx, 1e-2f, 0.03);
  float *g_psi = malloc(np * 4);
  adversarial_step(&ctx);
  memcpy(g_psi, m.g_score, np * 4);  // before the generator's adversarial pass makes it scratch
  check_fd("psi (denoising + discriminator)", score, g_psi, np, psi_loss, &ctx, 1e-3f, 0.03);
  m.opt.gan_weight = 1;
  at = adversarial_step(&ctx);
  for (long i = 0; i < np; i++) g_kl[i] = m.g_gen[i] - g_kl[i];  // the adversarial loss's share
  check_fd("generator adversarial", gen, g_kl, np, gan_loss, &ctx, 1e-3f, 0.03);

  // Trained at noise levels up to 30, where the two sets still differ (diffused to k = 95,
  // both are nearly pure noise and no classifier can tell them apart).
  m.opt.score_adam.lr = m.opt.lr_disc = 1e-3, m.opt.gan_weight = 0, m.opt.disc_k_max = 30;
  double first = 0, acc = 0;
  for (long step = 0; step < 200; step++) {
    toy_ring_batch(&ring, 11, step, B, cond, real, NULL);
    CHECK(onedp_step(&m, &st, &(OnedpCond){cond, cond, NULL}, real, NULL, step, 1.0, &at) == 0, "%s", odp_error());
    if (step == 0) first = at.disc_loss;
    if (step >= 180) acc += at.disc_accuracy / 20;
  }
  printf("discriminator, generator frozen: loss %.4f at the first step, accuracy %.3f over the last 20 of 200\n",
         first, acc);
  CHECK(acc > 0.8, "the discriminator separates real from generated chunks only %.3f of the time", acc);
  onedp_step_free(&st);
  onedp_models_free(&m);
  free(gen), free(score), free(g_kl), free(g_psi);
}

static void sample_onestep(const Unet *u, const Diffusion *s, const float *generator, int stochastic,
                           const float *cond, float *x) {
  OnedpOptions opt = {.stochastic = stochastic, .k_star = 65, .seed = 1234};
  OnedpModels m;
  OnedpStep st;
  onedp_models_alloc(&m, u, s, &opt, T);
  onedp_step_alloc(&st, &m, B, T);
  onedp_generate(&m, &st, generator, cond, 0, x);
  onedp_step_free(&st);
  onedp_models_free(&m);
}

int main(void) {
  UnetConfig cfg = toy_unet_config();
  Unet u;
  Diffusion sched;
  CHECK(unet_init(&u, &cfg) == 0 && diffusion_init_ddpm(&sched, 100, NULL) == 0, "%s", odp_error());
  long np = u.table.numel;
  float *teacher = calloc(np, 4), *gen_s = malloc(np * 4), *gen_d = malloc(np * 4);
  unet_init_params(&u, teacher, 1);
  train_teacher(&u, teacher, &sched);

  float cond[B * 2], x_teacher[B * N], x_ddim1[B * N], x_s[B * N], x_d[B * N], x_init[B * N];
  for (int b = 0; b < B; b++) cond[2 * b] = cosf(PHASE), cond[2 * b + 1] = sinf(PHASE);
  UnetActs *acts = unet_acts_create(&u, B, T);
  UnetDenoiser den = {&u, teacher, acts, cond};
  diffusion_initial_noise(x_teacher, B * N, 5);
  CHECK(ddpm_sample(x_teacher, B, N, &sched.ddpm, 100, unet_denoise, &den, 5) == 0, "%s", odp_error());
  diffusion_initial_noise(x_ddim1, B * N, 6);
  CHECK(ddim_sample(x_ddim1, B, N, &sched.ddpm, 1, DDIM_SPACING_TRAILING, unet_denoise, &den) == 0, "%s", odp_error());
  unet_acts_free(acts);
  sample_onestep(&u, &sched, teacher, 1, cond, x_init);  // the generator before distillation

  regression(&u, &sched, teacher);
  adversarial(&u, &sched, teacher);
  distill(&u, &sched, teacher, gen_s, 1);
  distill(&u, &sched, teacher, gen_d, 0);
  sample_onestep(&u, &sched, gen_s, 1, cond, x_s);
  sample_onestep(&u, &sched, gen_d, 0, cond, x_d);

  Coverage ct = coverage(x_teacher, cond), c1 = coverage(x_ddim1, cond), ci = coverage(x_init, cond);
  Coverage cs = coverage(x_s, cond), cd = coverage(x_d, cond);
  print_coverage("teacher DDPM-100", ct);
  print_coverage("teacher DDIM-1", c1);
  print_coverage("generator at init", ci);
  print_coverage("OneDP-S", cs);
  print_coverage("OneDP-D", cd);
  double mmd_s = mmd2(x_s, x_teacher), mmd_i = mmd2(x_init, x_teacher), mmd_d = mmd2(x_d, x_teacher);
  printf("MMD^2 to the teacher's samples: OneDP-S %.4f, generator at init %.4f, OneDP-D %.4f\n", mmd_s, mmd_i, mmd_d);

  CHECK(ct.on_mode >= 0.5 * B && ct.covered == MODES, "teacher: %d on a mode, %d modes", ct.on_mode, ct.covered);
  CHECK(cs.on_mode >= 0.25 * B && ci.on_mode == 0, "OneDP-S: %d/%d samples on a mode (at init %d)", cs.on_mode, B,
        ci.on_mode);
  CHECK(cs.covered >= ct.covered - 1, "OneDP-S covers %d modes, the teacher %d", cs.covered, ct.covered);
  CHECK(mmd_s < 0.5 * mmd_i, "OneDP-S MMD %.4f not below half the initial generator's %.4f", mmd_s, mmd_i);
  CHECK(cd.covered <= 1, "OneDP-D covers %d modes (deterministic: expected one)", cd.covered);
  float spread = 0;
  for (int b = 1; b < B; b++)
    for (int i = 0; i < N; i++) spread = fmaxf(spread, fabsf(x_d[b * N + i] - x_d[i]));
  CHECK(spread < 1e-5f, "OneDP-D: samples for one observation differ by %g (must be deterministic)", spread);
  CHECK(cd.covered < cs.covered, "OneDP-D covers %d modes, OneDP-S %d", cd.covered, cs.covered);
  CHECK(c1.on_mode <= 0.1 * B, "DDIM-1: %d samples on a mode (expected between the modes)", c1.on_mode);
  free(teacher), free(gen_s), free(gen_d);
  unet_free(&u);
  TEST_MAIN_END();
}
