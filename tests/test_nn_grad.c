// Finite-difference gradient checks of every layer, the composite blocks and the U-Net.
#include <stdio.h>

#include "core/error.h"

#include "gradcheck.h"
#include "model/image_encoder.h"
#include "model/cm_net.h"
#include "model/unet1d.h"
#include "nn/conv2d.h"
#include "nn/conv_transpose1d.h"
#include "nn/film.h"
#include "nn/group_norm.h"
#include "nn/linear.h"
#include "nn/max_pool2d.h"
#include "nn/mish.h"
#include "nn/relu.h"
#include "nn/spatial_softmax.h"
#include "nn/step_embedding.h"

#define EPS 1e-2f
#define TOL 2e-2

static float *randn(long n, uint64_t stream, float scale) {
  float *x = malloc((size_t)n * sizeof *x);
  rng_fill_normal(rng_make(1, stream), 0, x, n);
  for (long i = 0; i < n; i++) x[i] *= scale;
  return x;
}

static float *zeros(long n) { return calloc((size_t)n, sizeof(float)); }

// ---------------------------------------------------------------- Linear
typedef struct {
  int B, Din, Dout;
  float *x, *w, *b, *y, *dx, *dw, *db;
} LinearCase;
static void linear_f(void *c) {
  LinearCase *l = c;
  linear_forward(l->y, l->x, l->w, l->b, l->B, l->Din, l->Dout);
}
static void linear_b(void *c, const float *dy) {
  LinearCase *l = c;
  linear_backward(l->dx, l->dw, l->db, dy, l->x, l->w, l->B, l->Din, l->Dout);
}
static void check_linear(void) {
  LinearCase l = {.B = 3, .Din = 5, .Dout = 4};
  l.x = randn(15, 1, 1), l.w = randn(20, 2, 0.5f), l.b = randn(4, 3, 0.5f), l.y = zeros(12);
  l.dx = zeros(15), l.dw = zeros(20), l.db = zeros(4);
  GradBuffer bufs[] = {{"x", l.x, l.dx, 15}, {"weight", l.w, l.dw, 20}, {"bias", l.b, l.db, 4}};
  GradCase gc = {&l, l.y, 12, linear_f, linear_b, bufs, 3};
  gradcheck("linear", &gc, 20, EPS, TOL);
  free(l.x), free(l.w), free(l.b), free(l.y), free(l.dx), free(l.dw), free(l.db);
}

// ---------------------------------------------------------------- Conv1d / ConvTranspose1d
typedef struct {
  Conv1dShape s;
  int T, B, transpose;
  float *x, *w, *b, *y, *dx, *dw, *db, *scratch;
} ConvCase;
static void conv_f(void *c) {
  ConvCase *k = c;
  if (k->transpose) conv_transpose1d_forward(k->y, k->x, k->w, k->b, k->s, k->T, k->B, k->scratch);
  else conv1d_forward(k->y, k->x, k->w, k->b, k->s, k->T, k->B, k->scratch);
}
static void conv_b(void *c, const float *dy) {
  ConvCase *k = c;
  if (k->transpose) conv_transpose1d_backward(k->dx, k->dw, k->db, dy, k->x, k->w, k->s, k->T, k->B, k->scratch);
  else conv1d_backward(k->dx, k->dw, k->db, dy, k->x, k->w, k->s, k->T, k->B, k->scratch);
}
static void check_conv(const char *what, Conv1dShape s, int T, int B, int transpose) {
  ConvCase k = {.s = s, .T = T, .B = B, .transpose = transpose};
  int tout = transpose ? conv_transpose1d_out_len(s, T) : conv1d_out_len(s, T);
  long nx = (long)s.cin * T * B, nw = (long)s.cin * s.cout * s.kernel, ny = (long)s.cout * tout * B;
  k.x = randn(nx, 4, 1), k.w = randn(nw, 5, 0.3f), k.b = randn(s.cout, 6, 0.3f), k.y = zeros(ny);
  k.dx = zeros(nx), k.dw = zeros(nw), k.db = zeros(s.cout);
  long ns = transpose ? conv_transpose1d_scratch_floats(s, T, B) : conv1d_scratch_floats(s, T, B);
  k.scratch = zeros(ns + 1);
  GradBuffer bufs[] = {{"x", k.x, k.dx, nx}, {"weight", k.w, k.dw, nw}, {"bias", k.b, k.db, s.cout}};
  GradCase gc = {&k, k.y, ny, conv_f, conv_b, bufs, 3};
  gradcheck(what, &gc, 30, EPS, TOL);
  free(k.x), free(k.w), free(k.b), free(k.y), free(k.dx), free(k.dw), free(k.db), free(k.scratch);
}

// ---------------------------------------------------------------- image layers: (C, H, W, B)
typedef struct {
  Conv2dShape s;
  int H, W, B;
  float *x, *w, *b, *y, *dx, *dw, *db, *scratch;
} Conv2dCase;
static void conv2d_f(void *c) {
  Conv2dCase *k = c;
  conv2d_forward(k->y, k->x, k->w, k->b, k->s, k->H, k->W, k->B, k->scratch);
}
static void conv2d_b(void *c, const float *dy) {
  Conv2dCase *k = c;
  conv2d_backward(k->dx, k->dw, k->b ? k->db : NULL, dy, k->x, k->w, k->s, k->H, k->W, k->B, k->scratch);
}
static void check_conv2d(const char *what, Conv2dShape s, int H, int W, int B, int with_bias) {
  Conv2dCase k = {.s = s, .H = H, .W = W, .B = B};
  long nx = (long)s.cin * H * W * B, nw = (long)s.cout * s.cin * s.kernel * s.kernel;
  long ny = (long)s.cout * conv2d_out_size(s, H) * conv2d_out_size(s, W) * B;
  k.x = randn(nx, 21, 1), k.w = randn(nw, 22, 0.3f), k.y = zeros(ny), k.dx = zeros(nx), k.dw = zeros(nw);
  k.b = with_bias ? randn(s.cout, 23, 0.3f) : NULL, k.db = zeros(s.cout);
  k.scratch = zeros(conv2d_scratch_floats(s, H, W, B) + 1);
  GradBuffer bufs[] = {{"x", k.x, k.dx, nx}, {"weight", k.w, k.dw, nw}, {"bias", k.b, k.db, s.cout}};
  GradCase gc = {&k, k.y, ny, conv2d_f, conv2d_b, bufs, with_bias ? 3 : 2};
  gradcheck(what, &gc, 40, EPS, TOL);
  free(k.x), free(k.w), free(k.b), free(k.y), free(k.dx), free(k.dw), free(k.db), free(k.scratch);
}

typedef struct {
  long n;
  float *x, *y, *dx;
} ReluCase;
static void relu_f(void *c) {
  ReluCase *r = c;
  relu_forward(r->y, r->x, r->n);
}
static void relu_b(void *c, const float *dy) {
  ReluCase *r = c;
  relu_backward(r->dx, dy, r->y, r->n);
}
static void check_relu(void) {
  ReluCase r = {.n = 64};
  r.x = randn(64, 24, 1), r.y = zeros(64), r.dx = zeros(64);
  for (long i = 0; i < 64; i++) r.x[i] += r.x[i] > 0 ? 0.1f : -0.1f;  // no input within eps of the kink
  GradBuffer bufs[] = {{"x", r.x, r.dx, 64}};
  GradCase gc = {&r, r.y, 64, relu_f, relu_b, bufs, 1};
  gradcheck("relu", &gc, 64, EPS, TOL);
  free(r.x), free(r.y), free(r.dx);
}

typedef struct {
  Pool2dShape s;
  int C, H, W, B;
  long n_out;
  float *x, *y, *dx;
  int *argmax;
} PoolCase;
static void pool_f(void *c) {
  PoolCase *p = c;
  max_pool2d_forward(p->y, p->argmax, p->x, p->s, p->C, p->H, p->W, p->B);
}
static void pool_b(void *c, const float *dy) {
  PoolCase *p = c;
  max_pool2d_backward(p->dx, dy, p->argmax, p->n_out);
}
static void check_max_pool2d(void) {
  PoolCase p = {.s = {3, 2, 1}, .C = 3, .H = 7, .W = 6, .B = 2};
  long nx = (long)p.C * p.H * p.W * p.B;
  p.n_out = (long)p.C * max_pool2d_out_size(p.s, p.H) * max_pool2d_out_size(p.s, p.W) * p.B;
  p.x = zeros(nx), p.y = zeros(p.n_out), p.dx = zeros(nx), p.argmax = calloc((size_t)p.n_out, sizeof(int));
  // Distinct values 0.1 apart in a shuffled order: no window has two within eps of its max.
  for (long i = 0; i < nx; i++) p.x[i] = 0.1f * (float)((i * 37) % nx);
  GradBuffer bufs[] = {{"x", p.x, p.dx, nx}};
  GradCase gc = {&p, p.y, p.n_out, pool_f, pool_b, bufs, 1};
  gradcheck("max_pool2d k3 s2 p1", &gc, 80, 1e-2f, TOL);
  free(p.x), free(p.y), free(p.dx), free(p.argmax);
}

typedef struct {
  int K, H, W, B;
  float temperature;
  float *maps, *prob, *y, *dmaps;
} SoftmaxCase;
static void ssm_f(void *c) {
  SoftmaxCase *m = c;
  spatial_softmax_forward(m->y, m->prob, m->maps, m->K, m->H, m->W, m->B, m->temperature);
}
static void ssm_b(void *c, const float *dy) {
  SoftmaxCase *m = c;
  spatial_softmax_backward(m->dmaps, dy, m->y, m->prob, m->K, m->H, m->W, m->B, m->temperature);
}
static void check_spatial_softmax(float temperature) {
  SoftmaxCase m = {.K = 3, .H = 4, .W = 5, .B = 2, .temperature = temperature};
  long n = (long)m.K * m.H * m.W * m.B;
  m.maps = randn(n, 25, 1.5f), m.prob = zeros(n), m.y = zeros(2L * m.K * m.B), m.dmaps = zeros(n);
  GradBuffer bufs[] = {{"maps", m.maps, m.dmaps, n}};
  GradCase gc = {&m, m.y, 2L * m.K * m.B, ssm_f, ssm_b, bufs, 1};
  gradcheck(temperature == 1.0f ? "spatial_softmax" : "spatial_softmax (temperature)", &gc, 60, 1e-3f, TOL);
  free(m.maps), free(m.prob), free(m.y), free(m.dmaps);
}

// ---------------------------------------------------------------- the image encoder, narrow
// (the reference's width is checked against PyTorch in tests/golden_image_encoder.c)
typedef struct {
  ImageEncoder e;
  ImageEncoderActs *a;
  float *params, *grads, *images, *out;
  long n_out;
} EncoderCase;
static void encoder_f(void *c) {
  EncoderCase *k = c;
  memcpy(k->a->images, k->images, 3L * k->e.cfg.image_size * k->e.cfg.image_size * k->a->B * sizeof(float));
  memcpy(k->out, image_encoder_forward(&k->e, k->params, k->a), (size_t)k->n_out * sizeof(float));
}
static void encoder_b(void *c, const float *dy) {
  EncoderCase *k = c;
  image_encoder_backward(&k->e, k->params, k->grads, k->a, dy);
}
static void check_image_encoder(void) {
  ImageEncoderConfig cfg = {.image_size = 36, .width = 8, .keypoints = 4, .feature_dim = 6, .group_size = 4};
  EncoderCase k;
  ParamTable t = {0};
  CHECK(image_encoder_init(&k.e, &cfg, &t, "enc") == 0, "%s", odp_error());
  const int B = 2;
  k.a = image_encoder_acts_create(&k.e, B);
  k.params = zeros(t.numel), k.grads = zeros(t.numel), k.n_out = (long)B * cfg.feature_dim;
  image_encoder_init_params(&k.e, &t, k.params, 3);
  for (int i = 0; i < t.count; i++)  // GroupNorm affines off the identity
    if (t.entries[i].ndim == 1)
      for (long j = 0; j < t.entries[i].numel; j++) k.params[t.entries[i].offset + j] += 0.2f * (float)((j % 5) - 2);
  k.images = randn(3L * 36 * 36 * B, 26, 1), k.out = zeros(k.n_out);
  GradBuffer bufs[] = {{"params", k.params, k.grads, t.numel}};
  GradCase gc = {&k, k.out, k.n_out, encoder_f, encoder_b, bufs, 1};
  double worst = gradcheck("image encoder (width 8, 36x36)", &gc, 200, 1e-3f, 5e-2);
  printf("image encoder (width 8): %ld params, worst relative error %.4f\n", t.numel, worst);
  image_encoder_acts_free(k.a);
  param_table_free(&t);
  free(k.params), free(k.grads), free(k.images), free(k.out);
}

// ---------------------------------------------------------------- GroupNorm
typedef struct {
  int C, T, B, G;
  float *x, *g, *b, *y, *mean, *rstd, *dx, *dg, *db;
} NormCase;
static void norm_f(void *c) {
  NormCase *n = c;
  group_norm_forward(n->y, n->mean, n->rstd, n->x, n->g, n->b, n->C, n->T, n->B, n->G, 1e-5f);
}
static void norm_b(void *c, const float *dy) {
  NormCase *n = c;
  group_norm_backward(n->dx, n->dg, n->db, dy, n->x, n->mean, n->rstd, n->g, n->C, n->T, n->B, n->G);
}
static void check_group_norm(void) {
  NormCase n = {.C = 8, .T = 5, .B = 3, .G = 2};
  long nx = 8 * 5 * 3;
  n.x = randn(nx, 7, 2), n.g = randn(8, 8, 1), n.b = randn(8, 9, 1), n.y = zeros(nx);
  n.mean = zeros(6), n.rstd = zeros(6), n.dx = zeros(nx), n.dg = zeros(8), n.db = zeros(8);
  GradBuffer bufs[] = {{"x", n.x, n.dx, nx}, {"weight", n.g, n.dg, 8}, {"bias", n.b, n.db, 8}};
  GradCase gc = {&n, n.y, nx, norm_f, norm_b, bufs, 3};
  gradcheck("group_norm", &gc, 40, EPS, TOL);
  free(n.x), free(n.g), free(n.b), free(n.y), free(n.mean), free(n.rstd), free(n.dx), free(n.dg), free(n.db);
}

// ---------------------------------------------------------------- Mish
typedef struct {
  long n;
  float *x, *y, *dx;
} MishCase;
static void mish_f(void *c) {
  MishCase *m = c;
  mish_forward(m->y, m->x, m->n);
}
static void mish_b(void *c, const float *dy) {
  MishCase *m = c;
  mish_backward(m->dx, dy, m->x, m->n);
}
static void check_mish(void) {
  MishCase m = {.n = 64};
  m.x = randn(64, 10, 4), m.y = zeros(64), m.dx = zeros(64);
  m.x[0] = 25.0f, m.x[1] = -30.0f;  // both saturated branches
  GradBuffer bufs[] = {{"x", m.x, m.dx, 64}};
  GradCase gc = {&m, m.y, 64, mish_f, mish_b, bufs, 1};
  gradcheck("mish", &gc, 64, 1e-3f, TOL);
  free(m.x), free(m.y), free(m.dx);
}

// ---------------------------------------------------------------- FiLM
typedef struct {
  int C, T, B, scale;
  float *h, *e, *y, *dh, *de;
} FilmCase;
static void film_f(void *c) {
  FilmCase *f = c;
  film_forward(f->y, f->h, f->e, f->C, f->T, f->B, f->scale);
}
static void film_b(void *c, const float *dy) {
  FilmCase *f = c;
  film_backward(f->dh, f->de, dy, f->h, f->e, f->C, f->T, f->B, f->scale);
}
static void check_film(int scale) {
  FilmCase f = {.C = 4, .T = 3, .B = 2, .scale = scale};
  long nh = 24, ne = 2L * (scale ? 8 : 4);
  f.h = randn(nh, 11, 1), f.e = randn(ne, 12, 1), f.y = zeros(nh), f.dh = zeros(nh), f.de = zeros(ne);
  GradBuffer bufs[] = {{"h", f.h, f.dh, nh}, {"emb", f.e, f.de, ne}};
  GradCase gc = {&f, f.y, nh, film_f, film_b, bufs, 2};
  gradcheck(scale ? "film(scale)" : "film(bias)", &gc, 24, EPS, TOL);
  free(f.h), free(f.e), free(f.y), free(f.dh), free(f.de);
}

// ---------------------------------------------------------------- step embedding
typedef struct {
  int B, dim;
  float *t, *e, *dt;
} StepCase;
static void step_f(void *c) {
  StepCase *s = c;
  step_embedding_forward(s->e, s->t, s->B, s->dim);
}
static void step_b(void *c, const float *de) {
  StepCase *s = c;
  step_embedding_backward(s->dt, de, s->t, s->B, s->dim);
}
static void check_step_embedding(void) {
  float t[3] = {0.5f, 3.0f, 7.25f};
  StepCase s = {3, 16, t, zeros(48), zeros(3)};
  GradBuffer bufs[] = {{"t", s.t, s.dt, 3}};
  GradCase gc = {&s, s.e, 48, step_f, step_b, bufs, 1};
  gradcheck("step_embedding", &gc, 3, 1e-3f, TOL);
  free(s.e), free(s.dt);
}

// ---------------------------------------------------------------- U-Net
typedef struct {
  Unet u;
  UnetActs *a;
  int B, T;
  float *params, *grads, *sample, *t, *gc, *out, *dsample, *dgc;
} UnetCase;
static void unet_f(void *c) {
  UnetCase *n = c;
  unet_forward(&n->u, n->params, n->a, n->out, n->sample, n->t, n->gc);
}
static void unet_b(void *c, const float *dout) {
  UnetCase *n = c;
  long ns = (long)n->B * n->T * n->u.cfg.input_dim, ng = (long)n->B * n->u.cfg.global_cond_dim;
  float *ds = zeros(ns), *dg = zeros(ng);
  unet_backward(&n->u, n->params, n->a, n->grads, dout, ds, dg);
  for (long i = 0; i < ns; i++) n->dsample[i] += ds[i];
  for (long i = 0; i < ng; i++) n->dgc[i] += dg[i];
  free(ds), free(dg);
}
static void check_unet(const char *what, UnetConfig cfg, int B, int T) {
  UnetCase n = {.B = B, .T = T};
  CHECK(unet_init(&n.u, &cfg) == 0, "%s: %s", what, odp_error());
  n.a = unet_acts_create(&n.u, B, T);
  long np = n.u.table.numel, ns = (long)B * T * cfg.input_dim, ng = (long)B * cfg.global_cond_dim;
  n.params = zeros(np), n.grads = zeros(np);
  unet_init_params(&n.u, n.params, 3);
  // Perturb GroupNorm affines too, so their gradients are not at a special point.
  for (long i = 0; i < np; i++) n.params[i] += 0.05f * rng_normal(rng_make(5, 5), i);
  n.sample = randn(ns, 20, 1), n.gc = randn(ng, 21, 1), n.out = zeros(ns);
  const int ti = unet_time_inputs(&cfg);  // a consistency student's (t, s) pairs
  n.t = malloc((size_t)B * ti * sizeof(float));
  for (int i = 0; i < B * ti; i++) n.t[i] = (float)(7 * i + 3);
  n.dsample = zeros(ns), n.dgc = zeros(ng);
  GradBuffer bufs[] = {{"params", n.params, n.grads, np}, {"sample", n.sample, n.dsample, ns},
                       {"global_cond", n.gc, n.dgc, ng}};
  GradCase gc = {&n, n.out, ns, unet_f, unet_b, bufs, ng ? 3 : 2};
  double worst = gradcheck(what, &gc, 150, 2e-3f, TOL);
  printf("%s: %ld params, worst relative error %.2g\n", what, np, worst);
  // Every named tensor gets a gradient (nothing in the tree is disconnected).
  for (int i = 0; i < n.u.table.count; i++) {
    const ParamEntry *e = &n.u.table.entries[i];
    double s = 0;
    for (long j = 0; j < e->numel; j++) s += fabs(n.grads[e->offset + j]);
    CHECK(s > 0, "%s: parameter %s gets no gradient", what, e->name);
  }
  unet_acts_free(n.a);
  unet_free(&n.u);
  free(n.params), free(n.grads), free(n.sample), free(n.gc), free(n.out), free(n.t), free(n.dsample), free(n.dgc);
}

// Consistency Policy's prediction path (distill/consistency.c): the student's map twice,
// G(G(x, t, s), s, sigma_min), the inner one taking the parameter gradient, the outer one
// passing the gradient to its input only: a stop-gradient copy of the parameters (the
// reference's EMA target network at decay 0, its own encoder's conditioning included), so
// finite differences nudge the inner's parameters and conditioning only.
typedef struct {
  Unet u;
  UnetActs *inner_acts, *outer_acts;
  EdmSettings set;
  int B;
  long per;
  float *params, *frozen, *grads, *scratch_grads, *x, *dx, *mid, *out, *z, *f, *dz, *times, *dmid;
  float cond[2 * 3], frozen_cond[2 * 3], dcond[2 * 3];
  double t[2], s[2], smin[2];
  CmMap inner[2], outer[2];
} CmCase;
static CmNet cm_case_net(CmCase *n, UnetActs *a, const float *params, const float *cond) {
  return (CmNet){&n->u, params, a, cond, n->B, n->per, n->z, n->f, n->dz, n->times};
}
static void cm_f(void *c) {
  CmCase *n = c;
  CmNet in = cm_case_net(n, n->inner_acts, n->params, n->cond),
        out = cm_case_net(n, n->outer_acts, n->frozen, n->frozen_cond);
  cm_net_forward(&in, &n->set, n->mid, n->x, n->t, n->s, n->inner);
  cm_net_forward(&out, &n->set, n->out, n->mid, n->s, n->smin, n->outer);
}
static void cm_b(void *c, const float *dout) {
  CmCase *n = c;
  CmNet in = cm_case_net(n, n->inner_acts, n->params, n->cond),
        out = cm_case_net(n, n->outer_acts, n->frozen, n->frozen_cond);
  cm_net_backward(&out, n->scratch_grads, n->outer, dout, n->dmid, NULL);
  float *dx = zeros(n->B * n->per);
  float dcond[2 * 3];
  cm_net_backward(&in, n->grads, n->inner, n->dmid, dx, dcond);
  for (long i = 0; i < n->B * n->per; i++) n->dx[i] += dx[i];
  for (int i = 0; i < 2 * 3; i++) n->dcond[i] += dcond[i];
  free(dx);
}
static void check_consistency_map(void) {
  UnetConfig cfg = {.input_dim = 2, .global_cond_dim = 3, .step_embed_dim = 8, .n_levels = 2, .down_dims = {4, 8},
                    .kernel_size = 3, .n_groups = 2, .cond_predict_scale = 1, .time_inputs = 2};
  CmCase n = {.B = 2, .per = 8 * 2, .set = edm_default_settings(), .t = {2.5, 0.4}, .s = {0.9, 0.1},
              .cond = {0.3f, -0.2f, 0.5f, 0.1f, 0.7f, -0.4f}};
  memcpy(n.frozen_cond, n.cond, sizeof n.cond);
  n.smin[0] = n.smin[1] = n.set.sigma_min;
  CHECK(unet_init(&n.u, &cfg) == 0, "cm unet: %s", odp_error());
  n.inner_acts = unet_acts_create(&n.u, 2, 8), n.outer_acts = unet_acts_create(&n.u, 2, 8);
  long np = n.u.table.numel, nx = n.B * n.per;
  n.params = zeros(np), n.grads = zeros(np), n.scratch_grads = zeros(np);
  unet_init_params(&n.u, n.params, 5);
  n.frozen = zeros(np);
  memcpy(n.frozen, n.params, (size_t)np * sizeof(float));
  n.x = randn(nx, 30, 1), n.dx = zeros(nx), n.mid = zeros(nx), n.out = zeros(nx), n.dmid = zeros(nx);
  n.z = zeros(nx), n.f = zeros(nx), n.dz = zeros(nx), n.times = zeros(4);
  GradBuffer bufs[] = {{"params", n.params, n.grads, np}, {"x", n.x, n.dx, nx}, {"cond", n.cond, n.dcond, 2 * 3}};
  GradCase gc = {&n, n.out, nx, cm_f, cm_b, bufs, 3};
  double worst = gradcheck("consistency map G(G(x, t, s), s, smin)", &gc, 150, 2e-3f, TOL);
  printf("consistency map G(G(x, t, s), s, smin): %ld params, worst relative error %.2g\n", np, worst);
  unet_acts_free(n.inner_acts), unet_acts_free(n.outer_acts);
  unet_free(&n.u);
  float *f[] = {n.params, n.frozen, n.grads, n.scratch_grads, n.x, n.dx, n.mid, n.out, n.dmid, n.z, n.f, n.dz, n.times};
  for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++) free(f[i]);
}

int main(void) {
  check_linear();
  check_conv("conv1d k5 s1 p2", (Conv1dShape){3, 4, 5, 1, 2}, 7, 2, 0);
  check_conv("conv1d k1", (Conv1dShape){3, 2, 1, 1, 0}, 4, 3, 0);
  check_conv("conv1d k3 s2 p1 (downsample)", (Conv1dShape){4, 4, 3, 2, 1}, 8, 2, 0);
  check_conv("conv1d k4 s3 p0", (Conv1dShape){2, 3, 4, 3, 0}, 11, 2, 0);
  check_conv("conv_transpose1d k4 s2 p1 (upsample)", (Conv1dShape){4, 3, 4, 2, 1}, 4, 2, 1);
  check_conv("conv_transpose1d k3 s1 p1", (Conv1dShape){3, 2, 3, 1, 1}, 5, 2, 1);
  check_conv2d("conv2d k3 s1 p1", (Conv2dShape){3, 4, 3, 1, 1}, 5, 6, 2, 0);
  check_conv2d("conv2d k3 s2 p1", (Conv2dShape){4, 3, 3, 2, 1}, 7, 6, 2, 0);
  check_conv2d("conv2d k7 s2 p3 (stem)", (Conv2dShape){3, 4, 7, 2, 3}, 9, 8, 1, 0);
  check_conv2d("conv2d k1 s2 (downsample)", (Conv2dShape){4, 5, 1, 2, 0}, 5, 5, 2, 0);
  check_conv2d("conv2d k1 s1 bias (keypoints)", (Conv2dShape){5, 3, 1, 1, 0}, 3, 4, 3, 1);
  check_relu();
  check_max_pool2d();
  check_spatial_softmax(1.0f);
  check_spatial_softmax(0.5f);
  check_image_encoder();
  check_group_norm();
  check_mish();
  check_film(1);
  check_film(0);
  check_step_embedding();
  UnetConfig scaled = {.input_dim = 2, .global_cond_dim = 3, .step_embed_dim = 8, .n_levels = 3,
                       .down_dims = {4, 8, 8}, .kernel_size = 5, .n_groups = 2, .cond_predict_scale = 1};
  check_unet("unet (3 levels, FiLM scale)", scaled, 2, 8);
  UnetConfig plain = {.input_dim = 3, .global_cond_dim = 0, .step_embed_dim = 6, .n_levels = 2,
                      .down_dims = {4, 6}, .kernel_size = 3, .n_groups = 2, .cond_predict_scale = 0};
  check_unet("unet (2 levels, FiLM bias, no cond)", plain, 3, 4);
  scaled.time_inputs = 2;
  check_unet("unet (3 levels, two time inputs)", scaled, 2, 8);
  check_consistency_map();
  TEST_MAIN_END();
}
