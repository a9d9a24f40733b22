#include "eval/rollout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/hw.h"
#include "core/rng.h"
#include "core/stats.h"
#include "dist/dist.h"
#include "env/env.h"
#include "io/gif.h"
#include "model/obs_history.h"

static int policy_source_predict(void *ctx, const float *obs, int B, uint64_t seed, float *actions) {
  PolicyActor *a = ctx;
  return policy_predict_steps(a->policy, &a->sampler, obs, B, seed,
                              a->chunk_steps ? a->chunk_steps : a->policy->shape.n_action_steps, actions);
}

ActionSource action_source_policy(PolicyActor *a) {
  const PolicyShape *s = &a->policy->shape;
  const ObsEncoder *e = &a->policy->encoder;
  ActionSource src = {.predict = policy_source_predict, .ctx = a, .n_obs_steps = s->n_obs_steps,
                      .n_action_steps = s->n_action_steps, .obs_dim = s->obs_dim, .action_dim = s->action_dim,
                      .chunk_steps = a->chunk_steps};
  if (e->kind == OBS_ENCODER_IMAGE) {
    src.n_cameras = e->n_cameras, src.camera_h = e->image_h, src.camera_w = e->image_w, src.lowdim_key = s->obs_key;
    for (int c = 0; c < e->n_cameras; c++) src.cameras[c] = e->camera[c];
  }
  return src;
}

uint64_t eval_round_seed(uint64_t seed, int round) { return policy_call_seed(seed, round); }

static int chunk_len(const ActionSource *src) { return src->chunk_steps > 0 ? src->chunk_steps : src->n_action_steps; }

int eval_time_chunk(double *median_s, const ActionSource *src, const float *obs, int repeats) {
  float *act = odp_malloc((unsigned long)chunk_len(src) * src->action_dim * sizeof(float), "timing actions");
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
  double success_coverage;  // the task's threshold
  EnvDisturbances disturbances;  // --perturb's schedule
  // realtime (EvalOptions.realtime): the chunk executing and the one in flight
  float *chunk, *pending;   // [n_action_steps][action_dim]
  int chunk_t, chunk_at;    // its observation step (-1: none yet), the index executed next
  int pending_t;            // the call in flight's observation step (-1: none)
  int calling;              // issues a call this step
  int held;                 // ad holds a target the robot has executed
} Slot;

// The run's episodes (episode i in batch row i) and this process's share of them: all in a
// single process; under mpirun (dist/dist.h) each rank runs the environments of episodes
// [first, first + mine), slot[j] being episode first + j.
typedef struct {
  Slot *slot;
  int n, first, mine;
} Episodes;

// The env's index of each camera the source sees (by name), each of the size it expects.
static int find_cameras(const ActionSource *src, const EnvOps *task, int *index) {
  for (int c = 0; c < src->n_cameras; c++) {
    int found = -1;
    for (int j = 0; j < task->n_cameras && found < 0; j++)
      if (!strcmp(task->cameras[j].name, src->cameras[c])) found = j;
    if (found < 0) return odp_fail("eval: the policy sees camera '%s'; task %s has no such camera", src->cameras[c],
                                   task->name);
    if (task->cameras[found].height != src->camera_h || task->cameras[found].width != src->camera_w)
      return odp_fail("eval: the policy sees %d x %d images; task %s's camera %s is %d x %d", src->camera_h,
                      src->camera_w, task->name, src->cameras[c], task->cameras[found].height,
                      task->cameras[found].width);
    index[c] = found;
  }
  return ODP_OK;
}

int frame_reader_open(FrameReader *r, const ActionSource *src, const EnvOps *task) {
  memset(r, 0, sizeof *r);
  const EnvObsKey *k = src->lowdim_key ? env_obs_key(task, src->lowdim_key) : NULL;
  if (src->lowdim_key && !k) return ODP_ERR;
  r->lowdim_offset = k ? k->offset : 0, r->lowdim_dim = k ? k->dim : task->obs_dim;
  if (find_cameras(src, task, r->camera)) return ODP_ERR;
  r->n_cameras = src->n_cameras;
  r->ob = odp_malloc((unsigned long)task->obs_dim * sizeof(double), "observation");
  if (src->n_cameras)
    r->cam = odp_malloc((unsigned long)src->n_cameras * src->camera_h * src->camera_w * 3, "camera images");
  return r->ob && (!src->n_cameras || r->cam) ? ODP_OK : ODP_ERR;
}

int frame_reader_read(FrameReader *r, const Env *env, float *frame) {
  env_observe(env, r->ob);
  for (int c = 0; c < r->n_cameras; c++) {
    const EnvCamera *cam = &env->ops->cameras[r->camera[c]];
    const long hw = (long)cam->height * cam->width;
    uint8_t *rgb = r->cam + c * hw * 3;
    if (env_render(env, r->camera[c], rgb)) return ODP_ERR;
    for (int ch = 0; ch < 3; ch++)
      for (long i = 0; i < hw; i++) frame[ch * hw + i] = (float)rgb[i * 3 + ch] / 255.0f;
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

// A GIF frame: the env's drawing at size x size; for an image policy, its first camera's image it
// saw (scaled up, nearest pixel) on the left of it, so the frame is 2 size wide.
static int draw_frame(Slot *s, int size, const float *target) {
  if (!s->gif) return ODP_OK;
  const uint8_t *cam = s->frames.cam;  // the camera image of the frame just read
  const int width = cam ? 2 * size : size;
  uint8_t *view = cam ? s->view : s->rgb;
  if (env_frame(&s->env, size, target, view)) return ODP_ERR;
  if (cam) {  // rows of [camera | view]
    const EnvCamera *c = &s->env.ops->cameras[s->frames.camera[0]];
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
  s->res.success_step = -1;
  s->chunk_t = s->pending_t = -1;
  env_disturbances_plan(&s->disturbances, s->env.ops, s->res.seed);
  if (push_obs(s)) return ODP_ERR;
  return draw_frame(s, gif_size, NULL);
}

// One action (s->ad) on the env: the episode's bookkeeping, a due disturbance, the next
// observation and GIF frame. `drawn`: the target the GIF marks (NULL: none).
static int slot_step(Slot *s, const EvalOptions *o, int max_steps, const float *drawn) {
  EnvStep st;
  if (env_step(&s->env, s->ad, &st)) return ODP_ERR;
  s->res.steps++;
  s->res.score = fmax(s->res.score, st.reward);
  s->res.coverage = fmax(s->res.coverage, st.coverage);
  if (st.coverage > s->success_coverage && s->res.success_step < 0) s->res.success_step = s->res.steps;
  s->done = st.done || s->res.steps >= max_steps;
  if (o->perturb && !s->done) env_disturbances_step(&s->disturbances, &s->env, s->res.steps, &st);
  s->res.perturbations = s->disturbances.applied;
  return push_obs(s) || draw_frame(s, o->gif_size, drawn) ? ODP_ERR : ODP_OK;
}

// Executes one chunk `act` (n_action_steps, action_dim) until done.
static int slot_run_chunk(Slot *s, const ActionSource *src, const EvalOptions *o, const float *act, int max_steps) {
  for (int k = 0; k < src->n_action_steps && !s->done; k++) {
    const float *a = act + k * src->action_dim;
    for (int j = 0; j < src->action_dim; j++) s->ad[j] = a[j];
    if (slot_step(s, o, max_steps, a)) return ODP_ERR;
  }
  return ODP_OK;
}

// ---------------------------------------------------------------- real time

// Whether the episode issues a policy call at step t (EvalRealtime's schedule).
static int wants_call(const Slot *s, const ActionSource *src, const EvalOptions *o, int D, int t) {
  if (s->done || s->pending_t >= 0) return 0;
  if (s->chunk_t < 0) return 1;
  if (o->realtime == EVAL_REALTIME_SYNC) return s->chunk_at >= src->n_action_steps;
  return t >= s->chunk_t + src->n_action_steps - D;
}

// At step t, a chunk in flight that has arrived replaces the executing one.
static void slot_receive(Slot *s, const EvalOptions *o, int D, int t) {
  if (s->pending_t < 0 || s->pending_t + D > t) return;
  float *c = s->chunk;
  s->chunk = s->pending, s->pending = c;
  s->chunk_t = s->pending_t, s->pending_t = -1;
  s->chunk_at = o->realtime == EVAL_REALTIME_SYNC ? 0 : t - s->chunk_t;
}

// Step t of a real-time episode: the robot executes the chunk's next action, or holds.
static int slot_realtime_step(Slot *s, const ActionSource *src, const EvalOptions *o, int t, int max_steps) {
  const float *a = NULL;
  const int usable = o->realtime == EVAL_REALTIME_SYNC ? src->n_action_steps : chunk_len(src);
  if (s->chunk_t >= 0 && s->chunk_at < usable) {
    a = s->chunk + s->chunk_at * src->action_dim;
    s->res.stale_steps += s->chunk_t + s->chunk_at < t;  // meant for an earlier step
    s->chunk_at++;
    for (int j = 0; j < src->action_dim; j++) s->ad[j] = a[j];
    s->held = 1;
  } else {
    s->res.stale_steps++;
    if (!s->held) s->env.ops->hold_action(s->env.impl, s->ad), s->held = 1;
  }
  return slot_step(s, o, max_steps, a);
}

static void chunk_buffers(Slot *s, const ActionSource *src, int *err) {
  const unsigned long bytes = (unsigned long)chunk_len(src) * src->action_dim * sizeof(float);
  s->chunk = odp_malloc(bytes, "action chunk"), s->pending = odp_malloc(bytes, "action chunk");
  if (!s->chunk || !s->pending) *err = 1;
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
  if (src->chunk_steps && src->chunk_steps < src->n_action_steps)
    return odp_fail("eval: %d actions per call, fewer than a chunk's %d", src->chunk_steps, src->n_action_steps);
  if (src->action_dim != e->action_dim)
    return odp_fail("eval: policy action_dim %d does not match task %s's %d", src->action_dim, e->name, e->action_dim);
  int cameras[ENV_MAX_CAMERAS];
  if (find_cameras(src, e, cameras)) return ODP_ERR;
  int lowdim = e->obs_dim;
  if (src->lowdim_key) {
    const EnvObsKey *k = env_obs_key(e, src->lowdim_key);
    if (!k) return odp_fail_context("eval");
    lowdim = k->dim;
  }
  const int frame = lowdim + src->n_cameras * 3 * src->camera_h * src->camera_w;
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
  free(s->obf), free(s->ad), free(s->rgb), free(s->view), free(s->chunk), free(s->pending);
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

static void summarise(EvalResult *r, int control_hz) {
  double sum = 0, ss = 0, to_success = 0;
  long stale = 0, perturbations = 0;
  int wins = 0, reached = 0;
  r->env_steps = 0;
  for (int i = 0; i < r->episodes; i++) {
    const EpisodeResult *e = &r->ep[i];
    sum += e->score, wins += e->success, r->env_steps += e->steps, stale += e->stale_steps;
    perturbations += e->perturbations;
    if (e->success_step >= 0) to_success += (double)e->success_step / control_hz, reached++;
  }
  r->score = sum / r->episodes;
  for (int i = 0; i < r->episodes; i++) ss += (r->ep[i].score - r->score) * (r->ep[i].score - r->score);
  r->score_std = sqrt(ss / r->episodes);
  r->success = (double)wins / r->episodes;
  r->stale_fraction = r->env_steps ? (double)stale / r->env_steps : 0;
  r->time_to_success_s = reached ? to_success / reached : 0;
  r->perturbations = (double)perturbations / r->episodes;
}

// One batched call over every episode's history (episode i in row i), keyed by the round.
// Ranks share their episodes' rows first and each makes the whole call: the network's
// float rounding depends on the batch's size, so only the whole call gives every row
// exactly a single process's actions (README "Scale-out").
static int batched_call(EvalResult *r, const Episodes *e, const ActionSource *src, const EvalOptions *o, float *obs,
                        float *act) {
  const int per_obs = src->n_obs_steps * src->obs_dim;
  for (int j = 0; j < e->mine; j++)
    memcpy(obs + (long)(e->first + j) * per_obs, e->slot[j].hist.obs, per_obs * sizeof(float));
  if (dist_share_items(obs, e->n, per_obs * sizeof(float))) return ODP_ERR;
  double t0 = now_seconds();
  int rc = src->predict(src->ctx, obs, e->n, eval_round_seed(o->seed, r->rounds), act);
  r->infer_s += now_seconds() - t0, r->rounds++;
  return rc;
}

// failed: how many ranks failed (summed over the group); a rank whose own episodes are
// fine stops too, saying why.
static void other_rank_failed(double failed, int *rc) {
  if (failed > 0 && !*rc) *rc = odp_fail("an episode failed on another rank");
}

// After a round: the first episode failure into *rc (another rank's as such), progress
// reported; returns the episodes still running, over all ranks.
static int end_round(const Episodes *e, const EvalOptions *o, int max_steps, int *rc) {
  double sums[3] = {0, 0, 0};  // live, steps, failed
  for (int j = 0; j < e->mine; j++) {
    const Slot *s = &e->slot[j];
    if (s->rc && !*rc) *rc = odp_fail_context("seed %u", s->res.seed);
    sums[0] += !s->done, sums[1] += s->done ? max_steps : s->res.steps;
  }
  sums[2] = *rc != 0;
  if (dist_sum_doubles(sums, 3)) return *rc = ODP_ERR, 0;
  other_rank_failed(sums[2], rc);
  const int live = (int)sums[0];
  if (o->progress) o->progress(o->progress_ctx, (long)sums[1], (long)e->n * max_steps, e->n - live);
  return live;
}

// Rounds until every episode is done: one batched call, then each live env runs its chunk.
static int run_rounds(EvalResult *r, Episodes *e, const ActionSource *src, const EvalOptions *o, int max_steps) {
  const int n = e->n, per_obs = src->n_obs_steps * src->obs_dim, per_act = chunk_len(src) * src->action_dim;
  float *obs = odp_malloc((unsigned long)n * per_obs * sizeof(float), "batched observations");
  float *act = odp_malloc((unsigned long)n * per_act * sizeof(float), "batched actions");
  int rc = obs && act ? ODP_OK : ODP_ERR, live = n;
  Slot *slots = e->slot;
  while (!rc && live > 0) {
    rc = batched_call(r, e, src, o, obs, act);
#pragma omp parallel for schedule(dynamic, 1)
    for (int j = 0; j < e->mine; j++)
      if (!rc && !slots[j].done && !slots[j].rc)
        slots[j].rc = slot_run_chunk(&slots[j], src, o, act + (long)(e->first + j) * per_act, max_steps);
    live = end_round(e, o, max_steps, &rc);
  }
  free(obs), free(act);
  return rc;
}

// Real time: one round per control step. Every live episode follows the same schedule
// (constant latency, the same chunk length), so the episodes that call at a step are all the
// live ones and the batched call keeps the reference's rows (episode i in row i, keyed by the
// round): with latency 0 the run is the reference protocol's, call for call.
static int run_realtime(EvalResult *r, Episodes *e, const ActionSource *src, const EvalOptions *o, int max_steps,
                        int D) {
  const int n = e->n, per_obs = src->n_obs_steps * src->obs_dim, per_act = chunk_len(src) * src->action_dim;
  float *obs = odp_malloc((unsigned long)n * per_obs * sizeof(float), "batched observations");
  float *act = odp_malloc((unsigned long)n * per_act * sizeof(float), "batched actions");
  int rc = obs && act ? ODP_OK : ODP_ERR, live = n;
  Slot *slots = e->slot;
  for (int j = 0; !rc && j < e->mine; j++) chunk_buffers(&slots[j], src, &rc);
  for (int t = 0; !rc && live > 0; t++) {
    double calls = 0;
    for (int j = 0; j < e->mine; j++) {
      slot_receive(&slots[j], o, D, t);  // frees the way for the next call
      calls += slots[j].calling = wants_call(&slots[j], src, o, D, t);
    }
    if (dist_sum_doubles(&calls, 1)) rc = ODP_ERR;  // a call when any rank's episode calls
    if (!rc && calls > 0 && !(rc = batched_call(r, e, src, o, obs, act)))
      for (int j = 0; j < e->mine; j++)
        if (slots[j].calling) {
          memcpy(slots[j].pending, act + (long)(e->first + j) * per_act, per_act * sizeof(float));
          slots[j].pending_t = t;
          slot_receive(&slots[j], o, D, t);  // latency 0: here already
        }
#pragma omp parallel for schedule(dynamic, 1)
    for (int j = 0; j < e->mine; j++)
      if (!rc && !slots[j].done && !slots[j].rc) slots[j].rc = slot_realtime_step(&slots[j], src, o, t, max_steps);
    live = end_round(e, o, max_steps, &rc);
  }
  free(obs), free(act);
  return rc;
}

// Median batch-1 seconds of a call on the first episode's history at reset.
static int time_first_call(double *chunk_s, const ActionSource *src, const EvalOptions *o, int repeats) {
  float *first = odp_malloc((unsigned long)src->n_obs_steps * src->obs_dim * sizeof(float), "timing observation");
  int rc = first ? ODP_OK : ODP_ERR;
  if (!rc) rc = reset_history(first, src, o) || eval_time_chunk(chunk_s, src, first, repeats);
  free(first);
  return rc;
}

static int check_realtime(const EvalOptions *o, const EnvOps *e) {
  if (o->realtime && !e->hold_action) return odp_fail("eval: task %s cannot hold its robot (--realtime)", e->name);
  if (o->perturb && !e->perturb) return odp_fail("eval: task %s has no disturbances (--perturb)", e->name);
  if (o->realtime && o->latency_s < 0 && !(o->slowdown > 0 && o->slowdown < 1e6))
    return odp_fail("eval: slowdown %g is not a positive factor", o->slowdown);
  if (o->realtime && o->latency_s > 3600) return odp_fail("eval: latency %g s is not a policy's", o->latency_s);
  return ODP_OK;
}

int eval_run(EvalResult *r, const ActionSource *src, const EvalOptions *o) {
  memset(r, 0, sizeof *r);
  Env probe;
  if (env_create(&probe, o->task)) return ODP_ERR;
  int rc = check_options(src, o, &probe) || check_realtime(o, probe.ops),
      max_steps = o->max_steps > 0 ? o->max_steps : probe.ops->max_steps, hz = probe.ops->control_hz;
  double success_cov = probe.ops->success_coverage;
  env_destroy(&probe);
  if (rc) return ODP_ERR;
  if (o->realtime) {  // the latency first: the episodes' timeline depends on it
    double measured = 0;  // rank 0 times the call; every rank takes its latency
    if (o->latency_s < 0 && dist_is_root() && time_first_call(&measured, src, o, o->hz_repeats > 5 ? o->hz_repeats : 5))
      return ODP_ERR;
    r->latency_s = o->latency_s < 0 ? measured * o->slowdown : o->latency_s;
    if (dist_broadcast(&r->latency_s, sizeof r->latency_s)) return ODP_ERR;  // one timeline: rank 0's latency
    if (o->hz_repeats > 0) r->chunk_s = measured;  // the Hz figure too (0 when fixed: timed below)
    r->latency_steps = (int)ceil(r->latency_s * hz - 1e-9);
  }
  const int n = (int)(o->seed_end - o->seed_begin);
  long first, end;
  dist_shard(n, &first, &end);
  Episodes e = {odp_calloc((unsigned long)(end - first) + 1, sizeof(Slot), "episodes"), n, (int)first,
                (int)(end - first)};
  Slot *slots = e.slot;
  r->ep = odp_calloc((unsigned long)n, sizeof *r->ep, "episode results");
  r->episodes = n;
  rc = slots && r->ep ? ODP_OK : ODP_ERR;
  double t0 = now_seconds();
  for (int j = 0; !rc && j < e.mine; j++)
    rc = slot_open(&slots[j], src, o, o->seed_begin + (uint32_t)(first + j), (int)first + j);
  for (int j = 0; !rc && j < e.mine; j++) slots[j].success_coverage = success_cov;
#pragma omp parallel for schedule(dynamic, 1)
  for (int j = 0; j < e.mine; j++)
    if (!rc) slots[j].rc = slot_reset(&slots[j], o->gif_size);
  for (int j = 0; !rc && j < e.mine; j++)
    if (slots[j].rc) rc = odp_fail_context("seed %u", slots[j].res.seed);
  double failed = rc != 0;  // every rank learns whether all could start
  if (dist_sum_doubles(&failed, 1)) rc = ODP_ERR;
  other_rank_failed(failed, &rc);
  if (!rc) rc = o->realtime ? run_realtime(r, &e, src, o, max_steps, r->latency_steps) : run_rounds(r, &e, src, o, max_steps);
  r->rollout_s = now_seconds() - t0;
  for (int j = 0; slots && j < e.mine; j++) {
    slots[j].res.success = slots[j].res.coverage > success_cov;
    if (slot_close(&slots[j], !rc) && !rc) rc = ODP_ERR;
    if (r->ep) r->ep[first + j] = slots[j].res;
  }
  free(slots);
  if (!rc) rc = dist_share_items(r->ep, n, sizeof *r->ep);  // every rank holds every episode's result
  if (!rc && o->hz_repeats > 0) {
    if (r->chunk_s == 0 && dist_is_root()) rc = time_first_call(&r->chunk_s, src, o, o->hz_repeats);
    if (!rc) rc = dist_broadcast(&r->chunk_s, sizeof r->chunk_s);  // rank 0 times, every rank reports it
    r->hz = r->chunk_s > 0 ? 1.0 / r->chunk_s : 0;
  }
  if (rc) {
    eval_result_free(r);
    return ODP_ERR;
  }
  r->control_hz = hz;
  summarise(r, hz);
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
  if (draw == 0) all->chunk_s = d->chunk_s, all->hz = d->hz, all->latency_s = d->latency_s;
  all->latency_steps = d->latency_steps, all->control_hz = d->control_hz;
  return ODP_OK;
}

int eval_run_draws(EvalResult *r, const ActionSource *src, const EvalOptions *o, int draws) {
  memset(r, 0, sizeof *r);
  if (draws < 1) return odp_fail("eval: %d draws (expected >= 1)", draws);
  int rc = ODP_OK;
  for (int d = 0; !rc && d < draws; d++) {
    EvalOptions od = *o;
    od.seed = eval_draw_seed(o->seed, d);
    if (d) od.gif_dir = NULL, od.hz_repeats = 0, od.latency_s = o->realtime ? r->latency_s : od.latency_s;  // one latency
    EvalResult one;
    rc = eval_run(&one, src, &od);
    if (!rc) rc = add_draw(r, &one, d) ? odp_fail_context("eval") : ODP_OK;
    eval_result_free(&one);  // freed already when eval_run failed: a no-op then
  }
  if (rc) {
    eval_result_free(r);
    return ODP_ERR;
  }
  summarise(r, r->control_hz);
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
