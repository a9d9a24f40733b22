#include "distill/onedp_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "model/denoise_loss.h"

enum { DISTILL_Z = 0x40, DISTILL_K = 0x41, DISTILL_EPS = 0x42, DISTILL_SCORE = 0x43 };

int onedp_models_alloc(OnedpModels *m, const Unet *unet, const Diffusion *d, const OnedpOptions *opt) {
  memset(m, 0, sizeof *m);
  m->unet = unet, m->diffusion = d, m->opt = *opt, m->n = unet->table.numel;
  float **bufs[6] = {&m->g_gen, &m->g_score, &m->m_gen, &m->v_gen, &m->m_score, &m->v_score};
  for (int i = 0; i < 6; i++)
    if (!(*bufs[i] = odp_calloc((unsigned long)m->n, sizeof(float), "distillation optimiser"))) return ODP_ERR;
  return ODP_OK;
}

void onedp_models_free(OnedpModels *m) {
  float *f[6] = {m->g_gen, m->g_score, m->m_gen, m->v_gen, m->m_score, m->v_score};
  for (int i = 0; i < 6; i++) free(f[i]);
}

int onedp_step_alloc(OnedpStep *s, const OnedpModels *m, int B, int T) {
  memset(s, 0, sizeof *s);
  s->B = B, s->T = T, s->Da = m->unet->cfg.input_dim, s->per = (long)T * s->Da;
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
  return ODP_OK;
}

void onedp_step_free(OnedpStep *s) {
  float *f[] = {s->z, s->eps_gen, s->A, s->Ak, s->eps, s->eps_teacher, s->eps_score, s->grad, s->work, s->level,
                s->t, s->tstar};
  for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++) free(f[i]);
  unet_acts_free(s->gen_acts), unet_acts_free(s->other_acts);
}

// The generator's output at k* becomes an action through the process's x0 formula.
void onedp_generate(OnedpModels *m, OnedpStep *s, const float *params, const float *cond, long draw, float *A) {
  long n = s->B * s->per;
  if (m->opt.stochastic) rng_fill_normal(rng_make(m->opt.seed, ODP_STREAM(draw, DISTILL_Z)), 0, s->z, n);
  else memset(s->z, 0, (size_t)n * sizeof(float));
  unet_forward(m->unet, params, s->gen_acts, s->eps_gen, s->z, s->tstar, cond);
  diffusion_x0(m->diffusion, A, s->z, s->eps_gen, n, (float)m->opt.k_star, 0);
}

// A_k = signal_k A + sigma_k eps, k uniform in [k_min, k_max] per chunk.
static void diffuse(OnedpModels *m, OnedpStep *s, long step) {
  const Diffusion *d = m->diffusion;
  Rng kr = rng_make(m->opt.seed, ODP_STREAM(step, DISTILL_K));
  for (int b = 0; b < s->B; b++) {
    s->level[b] = diffusion_level_in(d, rng_u32(kr, (uint64_t)b), (float)m->opt.k_min, (float)m->opt.k_max);
    s->t[b] = diffusion_net_time(d, s->level[b]);
  }
  rng_fill_normal(rng_make(m->opt.seed, ODP_STREAM(step, DISTILL_EPS)), 0, s->eps, s->B * s->per);
  for (int b = 0; b < s->B; b++)
    diffusion_diffuse(d, s->Ak + b * s->per, s->A + b * s->per, s->eps + b * s->per, s->per, s->level[b]);
}

// psi's ordinary denoising loss on the (stop-gradient) generator samples, score_updates
// times; update j of a step draws its k and noise from its own stream. Returns the mean loss.
static double update_score(OnedpModels *m, OnedpStep *s, const float *cond, long step, double lr_factor) {
  const int updates = m->opt.score_updates > 0 ? m->opt.score_updates : 1;
  double loss = 0;
  for (int j = 0; j < updates; j++) {
    memset(m->g_score, 0, (size_t)m->n * sizeof(float));
    loss += denoise_loss_step(m->unet, m->score, m->g_score, s->other_acts, m->diffusion, s->A, cond,
                              m->opt.seed ^ DISTILL_SCORE ^ ((uint64_t)j << 40), step, s->work);
    adamw_update(m->score, m->m_score, m->v_score, m->g_score, m->n, &m->opt.score_adam,
                 m->opt.score_adam.lr * lr_factor, step * updates + j + 1);
  }
  return loss / updates;
}

// d/dA_k = w(k) (s_gen - s_teacher) = f(k) (out_teacher - out_gen) (DDPM: f = sigma_k),
// chained through dA_k/dA = signal_k and dA/d out_theta at k* (DDPM: -sigma*/sqrt(abar*));
// averaged over elements. Returns the mean squared difference of the two outputs.
static double generator_gradient(OnedpModels *m, OnedpStep *s) {
  const Diffusion *d = m->diffusion;
  const float d_out_gen = diffusion_x0_out_grad(d, (float)m->opt.k_star);
  const long n = s->B * s->per;
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

// The teacher's output re-expressed through its clipped x0 prediction: what its samplers
// act on, since they clip x0 to the normalised action range. grad holds the x0 meanwhile.
static void clip_teacher_eps(OnedpStep *s, const Diffusion *d) {
  for (int b = 0; b < s->B; b++) {
    const long at = b * s->per;
    diffusion_x0(d, s->grad + at, s->Ak + at, s->eps_teacher + at, s->per, s->level[b], 1);
    diffusion_out_from_x0(d, s->eps_teacher + at, s->Ak + at, s->grad + at, s->per, s->level[b]);
  }
}

int onedp_step(OnedpModels *m, OnedpStep *s, const float *cond, long step, double lr_factor, double *score_loss,
               double *score_diff) {
  onedp_generate(m, s, m->generator, cond, step, s->A);
  diffuse(m, s, step);
  *score_loss = m->opt.stochastic ? update_score(m, s, cond, step, lr_factor) : NAN;
  *score_diff = NAN;
  if (m->opt.stochastic && !isfinite(*score_loss))  // steps count from 1, as in the log
    return odp_fail("step %ld: score-network loss is %g: distillation diverged", step + 1, *score_loss);
  if (m->opt.stochastic && step < m->opt.score_warmup) return ODP_OK;
  unet_forward(m->unet, m->teacher, s->other_acts, s->eps_teacher, s->Ak, s->t, cond);
  if (m->opt.teacher_clip) clip_teacher_eps(s, m->diffusion);
  if (m->opt.stochastic) unet_forward(m->unet, m->score, s->other_acts, s->eps_score, s->Ak, s->t, cond);
  else memcpy(s->eps_score, s->eps, (size_t)s->B * s->per * sizeof(float));
  *score_diff = generator_gradient(m, s);
  if (!isfinite(*score_diff))
    return odp_fail("step %ld: score difference is %g: distillation diverged", step + 1, *score_diff);
  memset(m->g_gen, 0, (size_t)m->n * sizeof(float));
  unet_backward(m->unet, m->generator, s->gen_acts, m->g_gen, s->grad, NULL, NULL);
  adamw_update(m->generator, m->m_gen, m->v_gen, m->g_gen, m->n, &m->opt.gen_adam, m->opt.gen_adam.lr * lr_factor,
               step + 1);
  return ODP_OK;
}
