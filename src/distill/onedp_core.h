// The OneDP update itself, on bare U-Nets: what the run driver (onedp.c) and the toy
// tests share. Three parameter sets of one architecture: the frozen teacher phi, the
// generator theta and (OneDP-S) the generator score network psi.
#pragma once
#include <stdint.h>

#include "diffusion/diffusion.h"
#include "distill/discriminator.h"
#include "model/denoise_loss.h"
#include "model/unet1d.h"
#include "optim/adamw.h"

typedef struct {
  int stochastic;  // OneDP-S (z ~ N(0, I), score network psi) or OneDP-D (z = 0, analytic score)
  int k_star;      // the generator's fixed timestep (65 for DDPM teachers)
  int k_min, k_max;
  long score_warmup;  // OneDP-S: steps that train only psi first (it starts equal to the teacher,
                      // so until it has seen generator samples the generator's gradient is zero)
  int teacher_clip;   // read the teacher's score through its clipped x0 prediction, as its samplers do
  int score_updates;  // OneDP-S: psi updates per generator update (1 in the paper); each draws fresh k and noise
  double kl_weight;          // the reverse-KL gradient's weight (1: the paper; 0: the regression loss alone)
  double regression_weight;  // DMD's paired regression loss (Yin et al. 2024); 0: off
  double disc_weight;  // OneDP-S: DMD2's discriminator on psi's features, its loss's weight in psi's update; 0: off
  double gan_weight;   // the generator's adversarial loss weight (needs the discriminator); 0: off
  int disc_hidden;     // the discriminator head's hidden width
  int disc_k_max;      // it classifies chunks diffused to levels in [k_min, disc_k_max]
  AdamWConfig gen_adam, score_adam;  // weight decay 0; beta1 0 in the paper
  double lr_disc;  // the discriminator head's learning rate (its other Adam settings are psi's)
  uint64_t seed;
} OnedpOptions;

typedef struct {
  const Unet *unet;
  const Diffusion *diffusion;
  OnedpOptions opt;
  long n;  // parameters of one U-Net
  const float *teacher;
  float *generator, *score;
  float *g_gen, *g_score, *m_gen, *v_gen, *m_score, *v_score;
  Discriminator disc;  // with opt.disc_weight > 0: its parameters, gradient and Adam moments
  float *disc_params, *g_disc, *m_disc, *v_disc;
} OnedpModels;

// One step's conditioning (B, Gc): the teacher's, which psi shares, and the generator's.
// A low-dim student's are the same normalised history; an image student's generator has its
// own camera encoder (trained with it), whose backward pass continues from dgenerator.
typedef struct {
  const float *teacher, *generator;
  float *dgenerator;  // d loss / d generator conditioning, overwritten; NULL: not needed
} OnedpCond;

// A batch of DMD's regression pairs: the generator's input z (B, T, Da), its conditioning
// (B, Gc) and the teacher's deterministic sample from that same z as x_T (B, T, Da); dcond
// (B, Gc, may be NULL) receives the regression's gradient of the conditioning.
typedef struct {
  const float *z, *cond, *target;
  float *dcond;
} OnedpPairs;

// What one step measured; NaN where the step did not compute it.
typedef struct {
  double score_loss;  // psi's denoising loss (OneDP-S)
  double score_diff;  // mean squared difference of the teacher's and the generator score's outputs
  double regression;  // mean squared error of the generator against the pairs' targets
  double disc_loss;   // the discriminator's logistic loss, mean over real and fake chunks
  double disc_accuracy;  // the fraction of real and fake chunks it classifies right
  double gan;         // the generator's adversarial loss (its diffused samples classified as real)
  int generator_updated;  // whether the step updated the generator (not during psi's warm-up)
} OnedpStepStats;

// Per-step buffers for batch B of chunks (T, Da): the rows `share` of a batch
// (model/denoise_loss.h BatchShare; onedp_step_alloc: the whole batch, {0, B}).
// Data-parallel distillation gives each rank its share (src/dist/dist.h): the rows draw
// their noise at their places in the batch, losses are means over share.total, and the
// gradients and statistics are summed over the ranks before each update, so every rank
// takes the same step.
typedef struct {
  int B, T, Da;
  long per;
  BatchShare share;
  float *z, *eps_gen, *A, *Ak, *eps, *eps_teacher, *eps_score, *grad, *work;
  float *level, *t, *tstar;  // (B): each chunk's noise level, the network's time input there, and at k*
  UnetActs *gen_acts, *other_acts;
  // The discriminator's: its levels and time inputs (B), the diffused demonstrations and
  // generator samples (B, T, Da), gradient buffers.
  float *disc_level, *disc_t, *real_k, *fake_k, *dfeatures, *dlogit;
  DiscriminatorActs disc_acts;
} OnedpStep;

// Allocates the optimiser buffers for chunks of T frames, and the discriminator initialised
// from opt->seed when opt->disc_weight > 0; teacher, generator and score must be set by the
// caller (the usual start: generator = score = teacher, one memcpy each).
int onedp_models_alloc(OnedpModels *m, const Unet *unet, const Diffusion *d, const OnedpOptions *opt, int T);
void onedp_models_free(OnedpModels *m);

int onedp_step_alloc(OnedpStep *s, const OnedpModels *m, int B, int T);
void onedp_step_free(OnedpStep *s);

// One distillation step on conditioning c: (OneDP-S) psi's denoising update on
// the generator's samples, with the discriminator's loss on real (B, T, Da: the normalised
// demonstration chunks of cond; only read with the discriminator) against them; then the
// generator's update (not during psi's warm-up) on kl_weight times the reverse-KL gradient,
// plus gan_weight times the adversarial loss's, plus, with pairs, regression_weight times
// the paired regression loss's. With kl_weight 0 only the regression is computed.
// lr_factor scales both learning rates (a schedule's value at this step; 1 for constant).
// Fails (naming the step, counted from 1) when a loss or the score difference is not
// finite: the run has diverged.
int onedp_step(OnedpModels *m, OnedpStep *s, const OnedpCond *c, const float *real, const OnedpPairs *pairs,
               long step, double lr_factor, OnedpStepStats *stats);

// DMD's regression pairs for conditioning cond (B, Gc): z (B, T, Da) drawn from seed as the
// sampler's x_T, and the teacher's sample from it with spec (deterministic: ddim:N) as target.
int onedp_pair_targets(OnedpModels *m, OnedpStep *s, const SamplerSpec *spec, const float *cond, uint64_t seed,
                       float *z, float *target);

// A (B, T, Da) = G_theta(z, O) with z drawn for `draw` (OneDP-S) or zero (OneDP-D).
void onedp_generate(OnedpModels *m, OnedpStep *s, const float *params, const float *cond, long draw, float *A);
