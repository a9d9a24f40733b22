#include "eval/rollout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/hw.h"
#include "core/stats.h"
#include "env/env.h"
#include "io/gif.h"
#include "model/obs_history.h"

static int policy_source_predict(void *ctx, const float *obs, int B, uint64_t seed, float *actions) {
  PolicyActor *a = ctx;
  return policy_predict(a->policy, &a->sampler, obs, B, seed, actions);
}

ActionSource action_source_policy(PolicyActor *a) {
  const PolicyShape *s = &a->policy->shape;
  const ObsEncoder *e = &a->policy->encoder;
  ActionSource src = {policy_source_predict, a, s->n_obs_steps, s->n_action_steps, s->obs_dim, s->action_dim, 0, 0, NULL};
  if (e->kind == OBS_ENCODER_IMAGE) src.camera_h = e->image_h, src.camera_w = e->image_w, src.lowdim_key = s->obs_key;
  return src;
}

uint64_t eval_round_seed(uint64_t seed, int round) { return policy_call_seed(seed, round); }

int eval_time_chunk(double *median_s, const ActionSource *src, const float *obs, int repeats) {
  float *act = odp_malloc((unsigned long)src->n_action_steps * src->action_dim * sizeof(float), "timing actions");
  double *t = odp_malloc((unsigned long)(repeats + 1) * sizeof(double), "timings");
  int rc = act && t ? ODP_OK : ODP_ERR;
  for (int i = 0; !rc && i <= repeats; i++) {  // call 0 warms caches and sizes buffers for batch 1
    double t0 = now_seconds();
    rc = src->predict(src->ctx, obs, 1, eval_round_seed(0, i), act);
    t[i] = now_seconds() - t0;
  }
  if (!rc) {
    *median_s = median_inplace(t + 1, repeats);
  }
  free(act), free(t);
  return rc;
}

// ---------------------------------------------------------------- one episode

typedef struct {
  Env env;
  ObsHistory hist;  // the latest n_obs_steps observations
  FrameReader frames;
  float *obf;       // [obs_dim] scratch: the frame as the policy takes it
  double *ad;       // [action_dim] scratch
  GifWriter *gif;   // NULL unless this episode is drawn
  uint8_t *rgb;     // GIF frame
  uint8_t *view;    // the env's drawing, when an image policy's camera goes beside it
  EpisodeResult res;
  int done, rc;
} Slot;

int frame_reader_open(FrameReader *r, const ActionSource *src, const EnvOps *task) {
  memset(r, 0, sizeof *r);
  const EnvObsKey *k = src->lowdim_key ? env_obs_key(task, src->lowdim_key) : NULL;
  if (src->lowdim_key && !k) return ODP_ERR;
  r->lowdim_offset = k ? k->offset : 0, r->lowdim_dim = k ? k->dim : task->obs_dim;
  r->ob = odp_malloc((unsigned long)task->obs_dim * sizeof(double), "observation");
  if (src->camera_h > 0) r->cam = odp_malloc((unsigned long)src->camera_h * src->camera_w * 3, "camera image");
  return r->ob && (src->camera_h <= 0 || r->cam) ? ODP_OK : ODP_ERR;
}

int frame_reader_read(FrameReader *r, const Env *env, float *frame) {
  env_observe(env, r->ob);
  if (r->cam) {
    const EnvCamera *c = &env->ops->cameras[0];
    const long hw = (long)c->height * c->width;
    if (env_render(env, 0, r->cam)) return ODP_ERR;
    for (int ch = 0; ch < 3; ch++)
      for (long i = 0; i < hw; i++) frame[ch * hw + i] = (float)r->cam[i * 3 + ch] / 255.0f;
    frame += 3 * hw;
  }
  for (int j = 0; j < r->lowdim_dim; j++) frame[j] = (float)r->ob[r->lowdim_offset + j];
  return ODP_OK;
}

void frame_reader_close(FrameReader *r) {
  free(r->ob), free(r->cam);
  memset(r, 0, sizeof *r);
}

// Appends the env's current observation frame to the history (the first after a reset fills it).
static int push_obs(Slot *s) {
  if (frame_reader_read(&s->frames, &s->env, s->obf)) return ODP_ERR;
  obs_history_push(&s->hist, s->obf);
  return ODP_OK;
}

// A GIF frame: the env's drawing at size x size; for an image policy, the camera image it
// saw (scaled up, nearest pixel) on the left of it, so the frame is 2 size wide.
static int draw_frame(Slot *s, int size, const float *target) {
  if (!s->gif) return ODP_OK;
  const uint8_t *cam = s->frames.cam;  // the camera image of the frame just read
  const int width = cam ? 2 * size : size;
  uint8_t *view = cam ? s->view : s->rgb;
  if (env_frame(&s->env, size, target, view)) return ODP_ERR;
  if (cam) {  // rows of [camera | view]
    const EnvCamera *c = &s->env.ops->cameras[0];
    for (int y = 0; y < size; y++) {
      uint8_t *row = s->rgb + (long)y * width * 3;
      memcpy(row + (long)size * 3, view + (long)y * size * 3, (size_t)size * 3);
      const uint8_t *src = cam + (long)(y * c->height / size) * c->width * 3;
      for (int x = 0; x < size; x++) memcpy(row + (long)x * 3, src + (long)(x * c->width / size) * 3, 3);
    }
  }
  return gif_add_frame(s->gif, s->rgb);
}

static int slot_reset(Slot *s, int gif_size) {
  if (env_reset(&s->env, s->res.seed)) return ODP_ERR;
  obs_history_reset(&s->hist);
  if (push_obs(s)) return ODP_ERR;
  return draw_frame(s, gif_size, NULL);
}

// Executes one chunk `act` (n_action_steps, action_dim) until done.
static int slot_run_chunk(Slot *s, const ActionSource *src, const float *act, int max_steps, int gif_size) {
  for (int k = 0; k < src->n_action_steps && !s->done; k++) {
    const float *a = act + k * src->action_dim;
    for (int j = 0; j < src->action_dim; j++) s->ad[j] = a[j];
    EnvStep st;
    if (env_step(&s->env, s->ad, &st)) return ODP_ERR;
    s->res.steps++;
    s->res.score = fmax(s->res.score, st.reward);
    s->res.coverage = fmax(s->res.coverage, st.coverage);
    s->done = st.done || s->res.steps >= max_steps;
    if (push_obs(s) || draw_frame(s, gif_size, a)) return ODP_ERR;
  }
  return ODP_OK;
}

// ---------------------------------------------------------------- the run

static int wants_gif(const EvalOptions *o, uint32_t seed, int index) {
  if (!o->gif_dir) return 0;
  if (o->n_gif_seeds == 0) return index < o->gif_count;
  for (int i = 0; i < o->n_gif_seeds; i++)
    if (o->gif_seeds[i] == seed) return 1;
  return 0;
}

static int check_options(const ActionSource *src, const EvalOptions *o, const Env *probe) {
  const EnvOps *e = probe->ops;
  if (o->seed_end <= o->seed_begin) return odp_fail("eval: empty seed range %u:%u", o->seed_begin, o->seed_end);
  if (o->seed_end - o->seed_begin > 1u << 20) return odp_fail("eval: seed range %u:%u too long", o->seed_begin, o->seed_end);
  if (src->action_dim != e->action_dim)
    return odp_fail("eval: policy action_dim %d does not match task %s's %d", src->action_dim, e->name, e->action_dim);
  if (src->camera_h > 0 && (e->n_cameras < 1 || e->cameras[0].height != src->camera_h ||
                            e->cameras[0].width != src->camera_w))
    return odp_fail("eval: the policy sees %d x %d images; task %s's camera 0 is %s", src->camera_h, src->camera_w,
                    e->name, e->n_cameras < 1 ? "missing" : "another size");
  int lowdim = e->obs_dim;
  if (src->lowdim_key) {
    const EnvObsKey *k = env_obs_key(e, src->lowdim_key);
    if (!k) return odp_fail_context("eval");
    lowdim = k->dim;
  }
  int frame = lowdim + (src->camera_h > 0 ? 3 * src->camera_h * src->camera_w : 0);
  if (src->obs_dim != frame)
    return odp_fail("eval: policy observations have %d floats per frame; task %s gives %d", src->obs_dim, e->name,
                    frame);
  if (o->gif_dir && (!e->frame || !env_frame_size_ok(e, o->gif_size)))
    return odp_fail("eval: task %s draws no GIF frames of size %d", e->name, o->gif_size);
  for (int i = 0; o->gif_dir && i < o->n_gif_seeds; i++)
    if (o->gif_seeds[i] < o->seed_begin || o->gif_seeds[i] >= o->seed_end)
      return odp_fail("eval: GIF seed %u is not in the seed range %u:%u", o->gif_seeds[i], o->seed_begin, o->seed_end);
  return ODP_OK;
}

static int slot_open(Slot *s, const ActionSource *src, const EvalOptions *o, uint32_t seed, int index) {
  s->res.seed = seed;
  if (env_create(&s->env, o->task)) return ODP_ERR;
  if (frame_reader_open(&s->frames, src, s->env.ops)) return ODP_ERR;
  s->obf = odp_malloc((unsigned long)src->obs_dim * sizeof(float), "observation");
  s->ad = odp_malloc((unsigned long)src->action_dim * sizeof(double), "action");
  if (obs_history_init(&s->hist, src->n_obs_steps, src->obs_dim) || !s->obf || !s->ad) return ODP_ERR;
  if (!wants_gif(o, seed, index)) return ODP_OK;
  char path[4096];
  snprintf(path, sizeof path, "%s/seed_%u.gif", o->gif_dir, seed);
  const int width = s->frames.cam ? 2 * o->gif_size : o->gif_size;  // an image policy's camera beside the drawing
  s->rgb = odp_malloc((unsigned long)width * o->gif_size * 3, "GIF frame");
  if (s->frames.cam && !(s->view = odp_malloc((unsigned long)o->gif_size * o->gif_size * 3, "GIF frame"))) return ODP_ERR;
  if (!s->rgb || !(s->gif = gif_open(path, width, o->gif_size, 100 / s->env.ops->control_hz))) return ODP_ERR;
  return ODP_OK;
}

static int slot_close(Slot *s, int ok) {
  int rc = ODP_OK;
  if (s->gif && ok) rc = gif_close(s->gif);
  else if (s->gif) gif_abort(s->gif);
  if (s->env.impl) env_destroy(&s->env);
  obs_history_free(&s->hist);
  frame_reader_close(&s->frames);
  free(s->obf), free(s->ad), free(s->rgb), free(s->view);
  return rc;
}

// The first episode's history at reset: what batch-1 timing feeds the action source.
static int reset_history(float *hist, const ActionSource *src, const EvalOptions *o) {
  Slot s = {0};
  EvalOptions quiet = *o;
  quiet.gif_dir = NULL;
  int rc = slot_open(&s, src, &quiet, o->seed_begin, 0) || slot_reset(&s, 0) ? ODP_ERR : ODP_OK;
  if (!rc) memcpy(hist, s.hist.obs, (size_t)src->n_obs_steps * src->obs_dim * sizeof(float));
  slot_close(&s, 0);
  return rc;
}

static void summarise(EvalResult *r) {
  double sum = 0, ss = 0;
  int wins = 0;
  for (int i = 0; i < r->episodes; i++) sum += r->ep[i].score, wins += r->ep[i].success, r->env_steps += r->ep[i].steps;
  r->score = sum / r->episodes;
  for (int i = 0; i < r->episodes; i++) ss += (r->ep[i].score - r->score) * (r->ep[i].score - r->score);
  r->score_std = sqrt(ss / r->episodes);
  r->success = (double)wins / r->episodes;
}

// Rounds until every episode is done: one batched call, then each live env runs its chunk.
static int run_rounds(EvalResult *r, Slot *slots, const ActionSource *src, const EvalOptions *o, int max_steps) {
  const int n = r->episodes, per_obs = src->n_obs_steps * src->obs_dim, per_act = src->n_action_steps * src->action_dim;
  float *obs = odp_malloc((unsigned long)n * per_obs * sizeof(float), "batched observations");
  float *act = odp_malloc((unsigned long)n * per_act * sizeof(float), "batched actions");
  int rc = obs && act ? ODP_OK : ODP_ERR, live = n;
  while (!rc && live > 0) {
    for (int i = 0; i < n; i++) memcpy(obs + (long)i * per_obs, slots[i].hist.obs, per_obs * sizeof(float));
    double t0 = now_seconds();
    rc = src->predict(src->ctx, obs, n, eval_round_seed(o->seed, r->rounds), act);
    r->infer_s += now_seconds() - t0, r->rounds++;
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < n; i++)
      if (!rc && !slots[i].done && !slots[i].rc)
        slots[i].rc = slot_run_chunk(&slots[i], src, act + (long)i * per_act, max_steps, o->gif_size);
    long steps = 0;
    live = 0;
    for (int i = 0; i < n; i++) {
      if (slots[i].rc && !rc) rc = odp_fail_context("seed %u", slots[i].res.seed);
      live += !slots[i].done;
      steps += slots[i].done ? max_steps : slots[i].res.steps;
    }
    if (o->progress) o->progress(o->progress_ctx, steps, (long)n * max_steps, n - live);
  }
  free(obs), free(act);
  return rc;
}

int eval_run(EvalResult *r, const ActionSource *src, const EvalOptions *o) {
  memset(r, 0, sizeof *r);
  Env probe;
  if (env_create(&probe, o->task)) return ODP_ERR;
  int rc = check_options(src, o, &probe), max_steps = o->max_steps > 0 ? o->max_steps : probe.ops->max_steps;
  double success_cov = probe.ops->success_coverage;
  env_destroy(&probe);
  if (rc) return ODP_ERR;
  const int n = (int)(o->seed_end - o->seed_begin);
  Slot *slots = odp_calloc((unsigned long)n, sizeof *slots, "episodes");
  r->ep = odp_calloc((unsigned long)n, sizeof *r->ep, "episode results");
  r->episodes = n;
  rc = slots && r->ep ? ODP_OK : ODP_ERR;
  double t0 = now_seconds();
  for (int i = 0; !rc && i < n; i++) rc = slot_open(&slots[i], src, o, o->seed_begin + (uint32_t)i, i);
#pragma omp parallel for schedule(dynamic, 1)
  for (int i = 0; i < n; i++)
    if (!rc) slots[i].rc = slot_reset(&slots[i], o->gif_size);
  for (int i = 0; !rc && i < n; i++)
    if (slots[i].rc) rc = odp_fail_context("seed %u", slots[i].res.seed);
  if (!rc) rc = run_rounds(r, slots, src, o, max_steps);
  r->rollout_s = now_seconds() - t0;
  for (int i = 0; slots && i < n; i++) {
    slots[i].res.success = slots[i].res.coverage > success_cov;
    if (slot_close(&slots[i], !rc) && !rc) rc = ODP_ERR;
    if (r->ep) r->ep[i] = slots[i].res;
  }
  free(slots);
  if (!rc && o->hz_repeats > 0) {
    float *first = odp_malloc((unsigned long)src->n_obs_steps * src->obs_dim * sizeof(float), "timing observation");
    rc = first ? ODP_OK : ODP_ERR;
    if (!rc) rc = reset_history(first, src, o) || eval_time_chunk(&r->chunk_s, src, first, o->hz_repeats);
    free(first);
    r->hz = r->chunk_s > 0 ? 1.0 / r->chunk_s : 0;
  }
  if (rc) {
    eval_result_free(r);
    return ODP_ERR;
  }
  summarise(r);
  r->draws = 1;
  return ODP_OK;
}

uint64_t eval_draw_seed(uint64_t seed, int draw) {
  return draw ? policy_call_seed(seed ^ 0x6472617773ull, draw) : seed;  // "draws"
}

// Appends draw d's episodes and time to the combined result.
static int add_draw(EvalResult *all, const EvalResult *d, int draw) {
  EpisodeResult *ep = realloc(all->ep, (size_t)(all->episodes + d->episodes) * sizeof *ep);
  if (!ep) return odp_fail("out of memory: results of draw %d", draw);
  memcpy(ep + all->episodes, d->ep, (size_t)d->episodes * sizeof *ep);
  all->ep = ep, all->episodes += d->episodes, all->rounds += d->rounds;
  all->rollout_s += d->rollout_s, all->infer_s += d->infer_s;
  if (draw == 0) all->chunk_s = d->chunk_s, all->hz = d->hz;
  return ODP_OK;
}

int eval_run_draws(EvalResult *r, const ActionSource *src, const EvalOptions *o, int draws) {
  memset(r, 0, sizeof *r);
  if (draws < 1) return odp_fail("eval: %d draws (expected >= 1)", draws);
  int rc = ODP_OK;
  for (int d = 0; !rc && d < draws; d++) {
    EvalOptions od = *o;
    od.seed = eval_draw_seed(o->seed, d);
    if (d) od.gif_dir = NULL, od.hz_repeats = 0;
    EvalResult one;
    rc = eval_run(&one, src, &od);
    if (!rc) rc = add_draw(r, &one, d) ? odp_fail_context("eval") : ODP_OK;
    eval_result_free(&one);  // freed already when eval_run failed: a no-op then
  }
  if (rc) {
    eval_result_free(r);
    return ODP_ERR;
  }
  summarise(r);
  r->draws = draws;
  return ODP_OK;
}

double eval_seed_means(const EvalResult *r, int draws, double *means) {
  const int n = r->episodes / draws;
  double mean = 0, ss = 0;
  for (int i = 0; i < n; i++) {
    means[i] = 0;
    for (int d = 0; d < draws; d++) means[i] += r->ep[d * n + i].score / draws;
    mean += means[i] / n;
  }
  for (int i = 0; i < n; i++) ss += (means[i] - mean) * (means[i] - mean);
  return n > 1 ? sqrt(ss / (n - 1)) / sqrt(n) : 0;
}

void eval_result_free(EvalResult *r) {
  free(r->ep);
  memset(r, 0, sizeof *r);
}
