#include "distill/onedp_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "dist/dist.h"
#include "model/denoise_loss.h"
#include "model/unet_denoiser.h"

enum {
  DISTILL_Z = 0x40, DISTILL_K = 0x41, DISTILL_EPS = 0x42, DISTILL_SCORE = 0x43,
  DISTILL_REAL = 0x44, DISTILL_DISC = 0x45, DISTILL_DISC_K = 0x46, DISTILL_FAKE = 0x47
};

// Whether this distillation trains DMD2's discriminator (OneDP-S only: it lives on psi).
static int discriminating(const OnedpOptions *o) { return o->stochastic && o->disc_weight > 0; }

int onedp_models_alloc(OnedpModels *m, const Unet *unet, const Diffusion *d, const OnedpOptions *opt, int T) {
  memset(m, 0, sizeof *m);
  m->unet = unet, m->diffusion = d, m->opt = *opt, m->n = unet->table.numel;
  float **bufs[6] = {&m->g_gen, &m->g_score, &m->m_gen, &m->v_gen, &m->m_score, &m->v_score};
  for (int i = 0; i < 6; i++)
    if (!(*bufs[i] = odp_calloc((unsigned long)m->n, sizeof(float), "distillation optimiser"))) return ODP_ERR;
  if (!discriminating(opt)) return ODP_OK;
  const UnetStage *neck = &unet->stage[unet_bottleneck_stage(unet)];
  discriminator_init(&m->disc, neck->cout, unet_stage_out_len(neck, T >> neck->level), opt->disc_hidden);
  float **disc[4] = {&m->disc_params, &m->g_disc, &m->m_disc, &m->v_disc};
  for (int i = 0; i < 4; i++)
    if (!(*disc[i] = odp_calloc((unsigned long)m->disc.numel, sizeof(float), "discriminator"))) return ODP_ERR;
  discriminator_init_params(&m->disc, m->disc_params, opt->seed ^ DISTILL_DISC);
  return ODP_OK;
}

void onedp_models_free(OnedpModels *m) {
  float *f[10] = {m->g_gen, m->g_score, m->m_gen, m->v_gen, m->m_score, m->v_score,
                  m->disc_params, m->g_disc, m->m_disc, m->v_disc};
  for (int i = 0; i < 10; i++) free(f[i]);
}

int onedp_step_alloc(OnedpStep *s, const OnedpModels *m, int B, int T) {
  memset(s, 0, sizeof *s);
  s->B = B, s->T = T, s->Da = m->unet->cfg.input_dim, s->per = (long)T * s->Da, s->share = (BatchShare){0, B};
  long n = B * s->per;
  float **f[] = {&s->z, &s->eps_gen, &s->A, &s->Ak, &s->eps, &s->eps_teacher, &s->eps_score, &s->grad};
  for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++)
    if (!(*f[i] = odp_malloc((unsigned long)n * sizeof(float), "distillation step"))) return ODP_ERR;
  s->work = odp_malloc((unsigned long)3 * n * sizeof(float), "distillation step");
  s->level = odp_malloc((unsigned long)B * sizeof(float), "k");
  s->t = odp_malloc((unsigned long)B * sizeof(float), "k"), s->tstar = odp_malloc((unsigned long)B * sizeof(float), "k*");
  s->gen_acts = unet_acts_create(m->unet, B, T);
  s->other_acts = unet_acts_create(m->unet, B, T);
  if (!s->work || !s->level || !s->t || !s->tstar || !s->gen_acts || !s->other_acts) return ODP_ERR;
  for (int b = 0; b < B; b++) s->tstar[b] = diffusion_net_time(m->diffusion, (float)m->opt.k_star);
  if (!discriminating(&m->opt)) return ODP_OK;
  s->real_k = odp_malloc((unsigned long)n * sizeof(float), "discriminator");
  s->fake_k = odp_malloc((unsigned long)n * sizeof(float), "discriminator");
  s->disc_level = odp_malloc((unsigned long)B * sizeof(float), "discriminator");
  s->disc_t = odp_malloc((unsigned long)B * sizeof(float), "discriminator");
  s->dfeatures = odp_malloc((unsigned long)B * m->disc.channels * m->disc.frames * sizeof(float), "discriminator");
  s->dlogit = odp_malloc((unsigned long)B * sizeof(float), "discriminator");
  if (!s->real_k || !s->fake_k || !s->disc_level || !s->disc_t || !s->dfeatures || !s->dlogit) return ODP_ERR;
  return discriminator_acts_alloc(&s->disc_acts, &m->disc, B);
}

void onedp_step_free(OnedpStep *s) {
  float *f[] = {s->z, s->eps_gen, s->A, s->Ak, s->eps, s->eps_teacher, s->eps_score, s->grad, s->work, s->level,
                s->t, s->tstar, s->real_k, s->fake_k, s->disc_level, s->disc_t, s->dfeatures, s->dlogit};
  for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++) free(f[i]);
  unet_acts_free(s->gen_acts), unet_acts_free(s->other_acts);
  discriminator_acts_free(&s->disc_acts);
}

// The generator's output at k* becomes an action through the process's x0 formula.
void onedp_generate(OnedpModels *m, OnedpStep *s, const float *params, const float *cond, long draw, float *A) {
  long n = s->B * s->per;
  if (m->opt.stochastic)
    rng_fill_normal(rng_make(m->opt.seed, ODP_STREAM(draw, DISTILL_Z)), (uint64_t)(s->share.first * s->per), s->z, n);
  else memset(s->z, 0, (size_t)n * sizeof(float));
  unet_forward(m->unet, params, s->gen_acts, s->eps_gen, s->z, s->tstar, cond);
  diffusion_x0(m->diffusion, A, s->z, s->eps_gen, n, (float)m->opt.k_star, 0);
}

int onedp_pair_targets(OnedpModels *m, OnedpStep *s, const SamplerSpec *spec, const float *cond, uint64_t seed,
                       float *z, float *target) {
  const long n = s->B * s->per;
  UnetDenoiser teacher = {m->unet, m->teacher, s->other_acts, cond};
  DiffusionWork w = {.eps = s->work, .z = s->work + n, .tb = s->level, .x2 = s->work + 2 * n,  // a step's scratch
                     .first_row = s->share.first};
  diffusion_noise(z, s->B, s->per, seed, ODP_STREAM(0, DIFFUSION_PURPOSE_INIT), &w);  // the sampler's x_T
  return diffusion_sample(m->diffusion, spec, target, s->B, s->per, unet_denoise, &teacher, seed, &w);
}

// Each chunk's noise level, uniform in [kmin, kmax], and the network's time input there.
static void draw_levels(const Diffusion *d, const OnedpStep *s, Rng r, float kmin, float kmax, float *level, float *t) {
  for (int b = 0; b < s->B; b++) {
    level[b] = diffusion_level_in(d, rng_u32(r, (uint64_t)(s->share.first + b)), kmin, kmax);
    t[b] = diffusion_net_time(d, level[b]);
  }
}

// xk = signal_k x + sigma_k eps per chunk of per floats, eps drawn from r.
static void diffuse_chunks(const Diffusion *d, const OnedpStep *s, Rng r, const float *x, const float *level,
                           float *eps, float *xk) {
  const long per = s->per;
  rng_fill_normal(r, (uint64_t)(s->share.first * per), eps, s->B * per);
  for (int b = 0; b < s->B; b++) diffusion_diffuse(d, xk + b * per, x + b * per, eps + b * per, per, level[b]);
}

// A_k at k uniform in [k_min, k_max] per chunk; with the discriminator, the demonstrations
// real and the generator samples A diffused for it, both to levels in [k_min, disc_k_max].
static void diffuse(OnedpModels *m, OnedpStep *s, const float *real, long step) {
  const Diffusion *d = m->diffusion;
  const OnedpOptions *o = &m->opt;
  draw_levels(d, s, rng_make(o->seed, ODP_STREAM(step, DISTILL_K)), (float)o->k_min, (float)o->k_max, s->level, s->t);
  diffuse_chunks(d, s, rng_make(o->seed, ODP_STREAM(step, DISTILL_EPS)), s->A, s->level, s->eps, s->Ak);
  if (!discriminating(o)) return;
  float *eps = s->work;  // scratch until psi's update
  draw_levels(d, s, rng_make(o->seed, ODP_STREAM(step, DISTILL_DISC_K)), (float)o->k_min, (float)o->disc_k_max,
              s->disc_level, s->disc_t);
  diffuse_chunks(d, s, rng_make(o->seed, ODP_STREAM(step, DISTILL_REAL)), real, s->disc_level, eps, s->real_k);
  diffuse_chunks(d, s, rng_make(o->seed, ODP_STREAM(step, DISTILL_FAKE)), s->A, s->disc_level, eps, s->fake_k);
}

// The discriminator on x (B, T, Da) diffused to its levels: psi's bottleneck
// features, the head's logits and the logistic loss toward label, weighted by weight.
// Accumulates the weighted loss's gradients into psi_grads and the head's g_disc, and its
// gradient with respect to x into dx when not NULL; counts the chunks it classifies right
// into *correct (may be NULL). Returns the unweighted loss.
static double classify(OnedpModels *m, OnedpStep *s, const float *x, const float *cond, int label, float weight,
                       float *psi_grads, float *dx, int *correct) {
  const float *features = unet_forward_features(m->unet, m->score, s->other_acts, x, s->disc_t, cond);
  discriminator_forward(&m->disc, m->disc_params, &s->disc_acts, features);
  double loss = discriminator_loss(s->disc_acts.logit, s->B, s->share.total, label, weight, s->dlogit, correct);
  discriminator_backward(&m->disc, m->disc_params, &s->disc_acts, m->g_disc, s->dlogit, s->dfeatures);
  unet_backward_features(m->unet, m->score, s->other_acts, psi_grads, s->dfeatures, dx, NULL);
  return loss;
}

// psi's ordinary denoising loss on the (stop-gradient) generator samples, score_updates
// times; update j of a step draws its k and noise from its own stream. With the
// discriminator, each update also trains psi and the head on disc_weight times the
// logistic loss of the step's diffused demonstrations (real) against its diffused
// generator samples (fake). Returns the mean denoising loss.
static double update_score(OnedpModels *m, OnedpStep *s, const float *cond, long step, double lr_factor,
                           OnedpStepStats *st) {
  const int updates = m->opt.score_updates > 0 ? m->opt.score_updates : 1;
  const float w = (float)m->opt.disc_weight;
  const double lr = m->opt.score_adam.lr * lr_factor;
  double sums[3] = {0, 0, 0};  // psi's loss, the discriminator's, its right answers: over updates and ranks
  for (int j = 0; j < updates; j++) {
    const long t = step * updates + j + 1;  // Adam's step count
    memset(m->g_score, 0, (size_t)m->n * sizeof(float));
    double loss = denoise_loss_step(m->unet, m->score, m->g_score, NULL, s->other_acts, m->diffusion, s->A, cond,
                                    m->opt.seed ^ DISTILL_SCORE ^ ((uint64_t)j << 40), step,
                                    s->share, s->work);
    sums[0] += loss;
    if (discriminating(&m->opt)) {
      int correct = 0;
      memset(m->g_disc, 0, (size_t)m->disc.numel * sizeof(float));
      sums[1] += classify(m, s, s->real_k, cond, 1, w, m->g_score, NULL, &correct) +
                 classify(m, s, s->fake_k, cond, 0, w, m->g_score, NULL, &correct);
      sums[2] += correct;
      if (dist_sum_floats(m->g_disc, m->disc.numel)) return NAN;
      adamw_update(m->disc_params, m->m_disc, m->v_disc, m->g_disc, m->disc.numel, &m->opt.score_adam,
                   m->opt.lr_disc * lr_factor, t);
    }
    if (dist_sum_floats(m->g_score, m->n)) return NAN;
    adamw_update(m->score, m->m_score, m->v_score, m->g_score, m->n, &m->opt.score_adam, lr, t);
  }
  if (dist_sum_doubles(sums, 3)) return NAN;
  if (discriminating(&m->opt))
    st->disc_loss = sums[1] / (2.0 * updates), st->disc_accuracy = sums[2] / (2.0 * updates * s->share.total);
  return sums[0] / updates;
}

// d/dA_k = w(k) (s_gen - s_teacher) = f(k) (out_teacher - out_gen) (DDPM: f = sigma_k),
// chained through dA_k/dA = signal_k and dA/d out_theta at k* (DDPM: -sigma*/sqrt(abar*));
// averaged over elements. Returns the mean squared difference of the two outputs.
static double generator_gradient(OnedpModels *m, OnedpStep *s) {
  const Diffusion *d = m->diffusion;
  const float d_out_gen = diffusion_x0_out_grad(d, (float)m->opt.k_star) * (float)m->opt.kl_weight;
  const long n = s->share.total * s->per;  // the whole batch's elements
  double diff2 = 0;
  for (int b = 0; b < s->B; b++) {
    float scale = diffusion_signal(d, s->level[b]) * diffusion_score_diff_weight(d, s->level[b]) * d_out_gen / (float)n;
    for (long i = b * s->per; i < (b + 1) * s->per; i++) {
      float diff = s->eps_teacher[i] - s->eps_score[i];
      diff2 += (double)diff * diff;
      s->grad[i] = scale * diff;
    }
  }
  return diff2 / (double)n;
}

// DMD2's generator loss, gan_weight · mean softplus(-D(A_k)) (its samples diffused for the
// discriminator, classified as real), through psi's features down to A_k and on through dA_k/dA = signal_k
// and dA/d out_theta at k*, added to the gradient of the generator's output. psi and the
// head are not updated by it: their gradients here are scratch (zeroed by the next update).
static double adversarial_gradient(OnedpModels *m, OnedpStep *s, const float *cond) {
  const Diffusion *d = m->diffusion;
  const float d_out_gen = diffusion_x0_out_grad(d, (float)m->opt.k_star);
  float *dAk = s->work;
  double loss = classify(m, s, s->fake_k, cond, 1, (float)m->opt.gan_weight, m->g_score, dAk, NULL);
  for (int b = 0; b < s->B; b++) {
    const float scale = diffusion_signal(d, s->disc_level[b]) * d_out_gen;
    for (long i = b * s->per; i < (b + 1) * s->per; i++) s->grad[i] += scale * dAk[i];
  }
  return loss;
}

// The teacher's output re-expressed through its clipped x0 prediction: what its samplers
// act on, since they clip x0 to the normalised action range. grad holds the x0 meanwhile.
static void clip_teacher_eps(OnedpStep *s, const Diffusion *d) {
  for (int b = 0; b < s->B; b++) {
    const long at = b * s->per;
    diffusion_x0(d, s->grad + at, s->Ak + at, s->eps_teacher + at, s->per, s->level[b], 1);
    diffusion_out_from_x0(d, s->eps_teacher + at, s->Ak + at, s->grad + at, s->per, s->level[b]);
  }
}

// OneDP-D's generator score: the output that denoises A_k back to the generator's own A
// exactly (its distribution is a point mass at A): the training target of A_k (DDPM: eps).
static void analytic_score(const Diffusion *d, OnedpStep *s) {
  for (int b = 0; b < s->B; b++) {
    const long at = b * s->per;
    const float *out = diffusion_train_target(d, s->eps_score + at, s->A + at, s->Ak + at, s->eps + at, s->per, s->level[b]);
    if (out != s->eps_score + at) memcpy(s->eps_score + at, out, (size_t)s->per * sizeof(float));
  }
}

// (OneDP-S) psi's update, then the reverse-KL gradient accumulated into g_gen. *generator
// stays 0 during psi's warm-up, when the generator is not updated.
static int kl_gradient(OnedpModels *m, OnedpStep *s, const OnedpCond *c, const float *real, long step,
                       double lr_factor, OnedpStepStats *st, int *generator) {
  const float *cond = c->teacher;
  onedp_generate(m, s, m->generator, c->generator, step, s->A);
  diffuse(m, s, real, step);
  if (m->opt.stochastic) st->score_loss = update_score(m, s, cond, step, lr_factor, st);
  if (m->opt.stochastic && !isfinite(st->score_loss))  // steps count from 1, as in the log
    return odp_fail("step %ld: score-network loss is %g: distillation diverged", step + 1, st->score_loss);
  if (m->opt.stochastic && step < m->opt.score_warmup) return ODP_OK;
  unet_forward(m->unet, m->teacher, s->other_acts, s->eps_teacher, s->Ak, s->t, cond);
  if (m->opt.teacher_clip) clip_teacher_eps(s, m->diffusion);
  if (m->opt.stochastic) unet_forward(m->unet, m->score, s->other_acts, s->eps_score, s->Ak, s->t, cond);
  else analytic_score(m->diffusion, s);
  st->score_diff = generator_gradient(m, s);
  if (dist_sum_doubles(&st->score_diff, 1)) return ODP_ERR;
  if (!isfinite(st->score_diff))
    return odp_fail("step %ld: score difference is %g: distillation diverged", step + 1, st->score_diff);
  if (discriminating(&m->opt) && m->opt.gan_weight > 0 &&
      (st->gan = adversarial_gradient(m, s, cond), dist_sum_doubles(&st->gan, 1)))
    return ODP_ERR;
  unet_backward(m->unet, m->generator, s->gen_acts, m->g_gen, s->grad, NULL, c->dgenerator);
  *generator = 1;
  return ODP_OK;
}

// DMD's paired regression: regression_weight · mean (G_theta(z, O) - target)^2, its gradient
// accumulated into g_gen through dA/d out at k*. Returns the mean squared error.
static double regression_gradient(OnedpModels *m, OnedpStep *s, const OnedpPairs *p) {
  const float kstar = (float)m->opt.k_star;
  const long n = s->B * s->per, n_total = s->share.total * s->per;
  unet_forward(m->unet, m->generator, s->other_acts, s->eps_gen, p->z, s->tstar, p->cond);
  diffusion_x0(m->diffusion, s->A, p->z, s->eps_gen, n, kstar, 0);
  const float scale =
      2.0f * (float)m->opt.regression_weight * diffusion_x0_out_grad(m->diffusion, kstar) / (float)n_total;
  double err2 = 0;
  for (long i = 0; i < n; i++) {
    float err = s->A[i] - p->target[i];
    err2 += (double)err * err;
    s->grad[i] = scale * err;
  }
  unet_backward(m->unet, m->generator, s->other_acts, m->g_gen, s->grad, NULL, p->dcond);
  return err2 / (double)n_total;
}

int onedp_step(OnedpModels *m, OnedpStep *s, const OnedpCond *c, const float *real, const OnedpPairs *pairs,
               long step, double lr_factor, OnedpStepStats *st) {
  *st = (OnedpStepStats){NAN, NAN, NAN, NAN, NAN, NAN, 0};
  int generator = 0;  // whether g_gen holds a gradient to apply
  memset(m->g_gen, 0, (size_t)m->n * sizeof(float));
  if (m->opt.kl_weight > 0 && kl_gradient(m, s, c, real, step, lr_factor, st, &generator)) return ODP_ERR;
  if (pairs && m->opt.regression_weight > 0 && (generator || m->opt.kl_weight <= 0)) {
    st->regression = regression_gradient(m, s, pairs);
    if (dist_sum_doubles(&st->regression, 1)) return ODP_ERR;
    if (!isfinite(st->regression))
      return odp_fail("step %ld: regression loss is %g: distillation diverged", step + 1, st->regression);
    generator = 1;
  }
  if (generator && dist_sum_floats(m->g_gen, m->n)) return ODP_ERR;  // the ranks' shares: the batch's gradient
  if (generator)
    adamw_update(m->generator, m->m_gen, m->v_gen, m->g_gen, m->n, &m->opt.gen_adam, m->opt.gen_adam.lr * lr_factor,
                 step + 1);
  st->generator_updated = generator;
  return ODP_OK;
}
