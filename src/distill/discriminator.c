#include "distill/discriminator.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "model/unet1d.h"
#include "nn/linear.h"
#include "nn/mish.h"

void discriminator_init(Discriminator *d, int channels, int frames, int hidden) {
  const long in = (long)channels * frames;
  *d = (Discriminator){channels, frames, hidden, 0, 0, 0, 0, 0};
  d->b1 = d->w1 + in * hidden, d->w2 = d->b1 + hidden, d->b2 = d->w2 + hidden, d->numel = d->b2 + 1;
}

void discriminator_init_params(const Discriminator *d, float *params, uint64_t seed) {
  Rng rng = rng_make(seed, 0xd15c);
  const float bound1 = 1.0f / sqrtf((float)d->channels * d->frames), bound2 = 1.0f / sqrtf((float)d->hidden);
  for (long i = 0; i < d->numel; i++)
    params[i] = (2.0f * rng_uniform(rng, (uint64_t)i) - 1.0f) * (i < d->w2 ? bound1 : bound2);
}

int discriminator_acts_alloc(DiscriminatorActs *a, const Discriminator *d, int B) {
  const long rows = (long)B * d->channels * d->frames, h = (long)B * d->hidden;
  memset(a, 0, sizeof *a);
  a->B = B;
  float **f[] = {&a->rows, &a->drows, &a->h, &a->hm, &a->dhm, &a->dh, &a->logit};
  const long n[] = {rows, rows, h, h, h, h, B};
  for (int i = 0; i < 7; i++)
    if (!(*f[i] = odp_malloc((unsigned long)n[i] * sizeof(float), "discriminator"))) return ODP_ERR;
  return ODP_OK;
}

void discriminator_acts_free(DiscriminatorActs *a) {
  float *f[] = {a->rows, a->drows, a->h, a->hm, a->dhm, a->dh, a->logit};
  for (int i = 0; i < 7; i++) free(f[i]);
}

void discriminator_forward(const Discriminator *d, const float *params, DiscriminatorActs *a, const float *features) {
  const int B = a->B, in = d->channels * d->frames;
  unet_to_batch_major(a->rows, features, B, 1, in);  // (C·T, B) -> (B, C·T)
  linear_forward(a->h, a->rows, params + d->w1, params + d->b1, B, in, d->hidden);
  mish_forward(a->hm, a->h, (long)B * d->hidden);
  linear_forward(a->logit, a->hm, params + d->w2, params + d->b2, B, d->hidden, 1);
}

void discriminator_backward(const Discriminator *d, const float *params, DiscriminatorActs *a, float *grads,
                            const float *dlogit, float *dfeatures) {
  const int B = a->B, in = d->channels * d->frames, H = d->hidden;
  memset(a->dhm, 0, (size_t)B * H * sizeof(float));
  linear_backward(a->dhm, grads + d->w2, grads + d->b2, dlogit, a->hm, params + d->w2, B, H, 1);
  memset(a->dh, 0, (size_t)B * H * sizeof(float));
  mish_backward(a->dh, a->dhm, a->h, (long)B * H);
  memset(a->drows, 0, (size_t)B * in * sizeof(float));
  linear_backward(a->drows, grads + d->w1, grads + d->b1, a->dh, a->rows, params + d->w1, B, in, H);
  unet_to_channel_major(dfeatures, a->drows, B, 1, in);
}

// softplus(x) = log(1 + e^x), without overflow for large x.
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

double discriminator_loss(const float *logit, int B, long total, int label, float weight, float *dlogit,
                          int *correct) {
  const double sign = label ? -1.0 : 1.0;  // real: softplus(-logit); fake: softplus(logit)
  double loss = 0;
  for (int b = 0; b < B; b++) {
    double x = sign * logit[b];
    loss += softplus(x);
    dlogit[b] = (float)(weight * sign / (1.0 + exp(-x)) / total);  // d softplus(x) / dx = sigmoid(x)
    if (correct) *correct += x < 0;
  }
  return loss / total;
}
