// Closed-loop evaluation runner (eval/rollout.h) on a tiny random-weight policy:
// determinism over thread counts and the other episodes' behaviour, the protocol's step limit and
// observation history, scores against the environment's own reward, Hz, GIFs.
// `test_eval --write PATH` only writes the tiny checkpoint (for the CLI test in eval.cmake).
#include <cblas.h>
#include <gif_lib.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "env/pusht.h"
#include "eval/rollout.h"
#include "test.h"

static const char *tiny_config =
    "{\"model\": {\"input_dim\": 2, \"global_cond_dim\": 40, \"diffusion_step_embed_dim\": 32, \"down_dims\": [32, 64],"
    " \"kernel_size\": 5, \"n_groups\": 8, \"cond_predict_scale\": true},"
    " \"policy\": {\"horizon\": 16, \"n_obs_steps\": 2, \"n_action_steps\": 8, \"obs_dim\": 20, \"action_dim\": 2,"
    " \"num_train_timesteps\": 100}}";

// Random U-Net weights; both normalizers map [0, 512] to [-1, 1].
static int write_tiny_policy(const char *path) {
  Policy p;
  if (policy_init(&p, tiny_config, "tiny")) return ODP_ERR;
  unet_init_params(&p.unet, p.params, 7);
  for (int j = 0; j < 20; j++) p.obs_norm.scale[j] = 2.0f / 512, p.obs_norm.offset[j] = -1;
  for (int j = 0; j < 2; j++) p.action_norm.scale[j] = 2.0f / 512, p.action_norm.offset[j] = -1;
  policy_store_normalizers(&p, p.params);
  int rc = policy_save(&p, p.params, path, NULL);
  policy_free(&p);
  return rc;
}

static void set_threads(int n) {
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

static int same_episodes(const EvalResult *a, const EvalResult *b, int n) {
  for (int i = 0; i < n; i++)
    if (a->ep[i].seed != b->ep[i].seed || a->ep[i].score != b->ep[i].score || a->ep[i].coverage != b->ep[i].coverage ||
        a->ep[i].steps != b->ep[i].steps)
      return 0;
  return 1;
}

static EvalOptions options(uint32_t begin, uint32_t end) {
  EvalOptions o = {.task = "pusht", .seed_begin = begin, .seed_end = end, .seed = 3, .gif_size = 96};
  return o;
}

// Same episodes whatever the thread count; scores, steps and success consistent.
static void test_determinism(const ActionSource *src) {
  EvalOptions o = options(100000, 100004);
  EvalResult r1, r2;
  set_threads(1);
  CHECK(!eval_run(&r1, src, &o), "run, 1 thread: %s", odp_error());
  set_threads(2);
  CHECK(!eval_run(&r2, src, &o), "run, 2 threads: %s", odp_error());
  CHECK(same_episodes(&r1, &r2, 4) && r1.score == r2.score && r1.env_steps == r2.env_steps,
        "1 and 2 threads agree (%.9g vs %.9g)", r1.score, r2.score);
  for (int i = 0; i < 4; i++) {
    const EpisodeResult *e = &r1.ep[i];
    CHECK(e->score >= 0 && e->score <= 1 && e->steps >= 1 && e->steps <= PUSHT_MAX_STEPS,
          "seed %u: score %g in [0,1], %d steps in [1, 300]", e->seed, e->score, e->steps);
    CHECK(e->success == (e->coverage > PUSHT_SUCCESS) && (e->success || e->steps == PUSHT_MAX_STEPS),
          "seed %u: success %d, coverage %g, %d steps", e->seed, e->success, e->coverage, e->steps);
  }
  o.seed = 4;  // another policy seed: other draws
  EvalResult r3;
  CHECK(!eval_run(&r3, src, &o), "run, seed 4: %s", odp_error());
  CHECK(!same_episodes(&r1, &r3, 4), "policy seed changes the episodes");
  eval_result_free(&r1), eval_result_free(&r2), eval_result_free(&r3);
}

// --draws: draw 0 is the plain run, draw d the run keyed by eval_draw_seed(seed, d); the
// summary covers every episode, and the per-seed means and their standard error follow.
static void test_draws(const ActionSource *src) {
  EvalOptions o = options(100000, 100004), o1 = o;
  o1.seed = eval_draw_seed(o.seed, 1);
  EvalResult plain, other, both;
  CHECK(!eval_run(&plain, src, &o) && !eval_run(&other, src, &o1) && !eval_run_draws(&both, src, &o, 2), "runs: %s",
        odp_error());
  EvalResult second = both;
  second.ep = both.ep + 4;
  CHECK(both.episodes == 8 && both.draws == 2 && same_episodes(&both, &plain, 4), "draw 0 is the plain run");
  CHECK(same_episodes(&second, &other, 4) && !same_episodes(&plain, &other, 4), "draw 1: its own seed, other noise");
  double means[4], mean = 0, ss = 0, all = 0;
  double se = eval_seed_means(&both, 2, means);
  for (int i = 0; i < 4; i++) {
    double m = (plain.ep[i].score + other.ep[i].score) / 2;
    CHECK_NEAR(means[i], m, 1e-12, "per-seed mean over the draws");
    mean += m / 4, all += (plain.ep[i].score + other.ep[i].score) / 8;
  }
  for (int i = 0; i < 4; i++) ss += (means[i] - mean) * (means[i] - mean);
  CHECK_NEAR(se, sqrt(ss / 3) / 2, 1e-12, "standard error over env seeds");
  CHECK_NEAR(both.score, all, 1e-12, "score over every episode");
  EvalResult none;
  CHECK(eval_run_draws(&none, src, &o, 0) && strstr(odp_error(), "0 draws"), "0 draws rejected: %s", odp_error());
  eval_result_free(&plain), eval_result_free(&other), eval_result_free(&both);
}

// Wraps a source and makes rows >= 1 hold still: row 0 must not notice (its draws and
// its computation do not depend on the other rows at a fixed batch size).
typedef struct {
  const ActionSource *inner;
  int calls, max_B;
  float last_obs[2 * 20];  // row 0's history at the latest call
} Wrap;

static int wrap_predict(void *ctx, const float *obs, int B, uint64_t seed, float *act) {
  Wrap *w = ctx;
  w->calls++, w->max_B = B > w->max_B ? B : w->max_B;
  memcpy(w->last_obs, obs, sizeof w->last_obs);
  if (w->inner->predict(w->inner->ctx, obs, B, seed, act)) return ODP_ERR;
  for (int b = 1; b < B; b++)
    for (int k = 0; k < 8; k++) memcpy(act + (b * 8 + k) * 2, obs + (b * 2 + 1) * 20 + 18, 2 * sizeof(float));
  return ODP_OK;
}

static void test_others_do_not_matter(const ActionSource *src) {
  Wrap w = {src, 0, 0, {0}};
  ActionSource ws = *src;
  ws.predict = wrap_predict, ws.ctx = &w;
  EvalOptions o = options(100000, 100003);
  EvalResult a, b;
  set_threads(1);
  CHECK(!eval_run(&a, src, &o) && !eval_run(&b, &ws, &o), "runs: %s", odp_error());
  CHECK(same_episodes(&a, &b, 1), "episode 0 unchanged when the others act differently (%.9g vs %.9g)", a.ep[0].score,
        b.ep[0].score);
  CHECK(w.max_B == 3 && w.calls == b.rounds, "one batched call per round over all episodes (B %d, %d calls, %d rounds)",
        w.max_B, w.calls, b.rounds);
  eval_result_free(&a), eval_result_free(&b);
}

// A controller that targets the agent's own position: the agent stays, the block is never
// pushed, so every step's reward is the reset state's and each episode runs 300 steps.
typedef struct {
  int calls;
  int history_ok;
} Hold;

static int hold_predict(void *ctx, const float *obs, int B, uint64_t seed, float *act) {
  Hold *h = ctx;
  (void)seed;
  for (int b = 0; b < B; b++) {
    const float *o0 = obs + b * 40, *o1 = o0 + 20;
    h->history_ok &= !memcmp(o0, o1, 20 * sizeof(float));  // nothing moves: both steps alike
    for (int k = 0; k < 8; k++) memcpy(act + (b * 8 + k) * 2, o1 + 18, 2 * sizeof(float));
  }
  h->calls++;
  return ODP_OK;
}

static void test_hold_still(void) {
  Hold h = {0, 1};
  ActionSource src = {.predict = hold_predict, .ctx = &h, .n_obs_steps = 2, .n_action_steps = 8, .obs_dim = 20,
                      .action_dim = 2};
  EvalOptions o = options(100000, 100006);
  o.hz_repeats = 3;
  EvalResult r;
  CHECK(!eval_run(&r, &src, &o), "hold-still run: %s", odp_error());
  PushT *env = pusht_create();
  for (int i = 0; env && i < r.episodes; i++) {
    EnvStep st;
    pusht_reset(env, r.ep[i].seed);
    pusht_evaluate(env, &st);
    CHECK_NEAR(r.ep[i].score, st.reward, 1e-9, "hold-still score = reset reward");
    CHECK(r.ep[i].steps == PUSHT_MAX_STEPS, "seed %u: %d steps (the limit is 300)", r.ep[i].seed, r.ep[i].steps);
  }
  if (env) pusht_destroy(env);
  CHECK(r.env_steps == 6L * PUSHT_MAX_STEPS && r.rounds == 38, "%ld env steps, %d rounds (38 = ceil(300/8))",
        r.env_steps, r.rounds);
  CHECK(h.history_ok, "observation history: the reset observation repeated, then the latest two");
  CHECK(r.hz > 0 && r.chunk_s > 0 && h.calls == r.rounds + 4, "Hz %g from %d timing calls", r.hz, h.calls - r.rounds);
  eval_result_free(&r);
}

// An image policy's frames: camera 0 as (3, 96, 96) / 255, then agent_pos; checked against
// the env rendered at the same reset. Acts like Hold: the agent stays.
typedef struct {
  int calls, frames_ok;
} ImageProbe;

static int image_predict(void *ctx, const float *obs, int B, uint64_t seed, float *act) {
  ImageProbe *h = ctx;
  (void)seed;
  const int D = 3 * 96 * 96 + 2;
  if (h->calls++ == 0) {  // the first round: every env is at its reset state
    PushT *env = pusht_create();
    uint8_t rgb[96 * 96 * 3];
    double kp[PUSHT_OBS_DIM];
    for (int b = 0; env && b < B; b++) {
      pusht_reset(env, 100000 + (uint32_t)b);
      pusht_render(env, rgb);
      pusht_keypoints(env, kp);
      const float *f = obs + (long)(b * 2 + 1) * D;
      for (int c = 0; c < 3; c++)
        for (int i = 0; i < 96 * 96; i++) h->frames_ok &= f[c * 96 * 96 + i] == (float)rgb[i * 3 + c] / 255.0f;
      h->frames_ok &= f[D - 2] == (float)kp[18] && f[D - 1] == (float)kp[19];
    }
    if (env) pusht_destroy(env);
  }
  for (int b = 0; b < B; b++)
    for (int k = 0; k < 8; k++) memcpy(act + (b * 8 + k) * 2, obs + (long)(b * 2 + 1) * D + D - 2, 2 * sizeof(float));
  return ODP_OK;
}

static void test_image_frames(void) {
  ImageProbe h = {0, 1};
  ActionSource src = {.predict = image_predict, .ctx = &h, .n_obs_steps = 2, .n_action_steps = 8,
                      .obs_dim = 3 * 96 * 96 + 2, .action_dim = 2, .n_cameras = 1, .camera_h = 96, .camera_w = 96,
                      .cameras = {"image"}, .lowdim_key = "agent_pos"};
  EvalOptions o = options(100000, 100003);
  o.max_steps = 16;
  EvalResult r;
  CHECK(!eval_run(&r, &src, &o), "image run: %s", odp_error());
  CHECK(h.frames_ok, "image frames: camera 0 / 255 in (C, H, W), then agent_pos, as rendered at reset");
  eval_result_free(&r);
  char dir[] = "/tmp/onedp_eval_img_XXXXXX", path[128];  // GIF frames: the camera beside the drawing
  CHECK(mkdtemp(dir) != NULL, "temp dir");
  o.gif_dir = dir, o.gif_count = 1, o.gif_size = 512;
  CHECK(!eval_run(&r, &src, &o), "image GIF run: %s", odp_error());
  snprintf(path, sizeof path, "%s/seed_100000.gif", dir);
  int e = 0;
  GifFileType *g = DGifOpenFileName(path, &e);
  CHECK(g && g->SWidth == 1024 && g->SHeight == 512, "image policy GIF: %d x %d (camera 512 | canvas 512)",
        g ? g->SWidth : 0, g ? g->SHeight : 0);
  if (g) DGifCloseFile(g, &e);
  unlink(path), rmdir(dir);
  o.gif_dir = NULL;
  eval_result_free(&r);
  ActionSource bad = src;
  bad.lowdim_key = "joint_pos";
  CHECK(eval_run(&r, &bad, &o) && strstr(odp_error(), "no observation 'joint_pos'"), "unknown key: %s", odp_error());
  bad = src, bad.obs_dim--;
  CHECK(eval_run(&r, &bad, &o) && strstr(odp_error(), "floats per frame"), "frame size: %s", odp_error());
}

static void test_gif(const ActionSource *src) {
  char dir[] = "/tmp/onedp_eval_XXXXXX", path[128];
  CHECK(mkdtemp(dir) != NULL, "temp dir");
  uint32_t pick[1] = {100001};
  EvalOptions o = options(100000, 100002);
  o.gif_dir = dir, o.gif_seeds = pick, o.n_gif_seeds = 1;
  EvalResult r;
  CHECK(!eval_run(&r, src, &o), "GIF run: %s", odp_error());
  snprintf(path, sizeof path, "%s/seed_100000.gif", dir);
  CHECK(access(path, F_OK) != 0, "no GIF for an episode not picked");
  snprintf(path, sizeof path, "%s/seed_100001.gif", dir);
  int e = 0;
  GifFileType *g = DGifOpenFileName(path, &e);
  CHECK(g && DGifSlurp(g) == GIF_OK, "read %s", path);
  if (g) {
    CHECK(g->SWidth == 96 && g->ImageCount == r.ep[1].steps + 1, "%d frames for %d steps (+ reset)", g->ImageCount,
          r.ep[1].steps);
    DGifCloseFile(g, &e);
  }
  unlink(path), rmdir(dir);
  eval_result_free(&r);
  uint32_t outside[1] = {7};
  o.gif_seeds = outside;
  CHECK(eval_run(&r, src, &o) && strstr(odp_error(), "not in the seed range"), "GIF seed outside the range: %s",
        odp_error());
  eval_result_free(&r);
}

// Real time (EvalRealtime) with a hold-still source that returns `steps` actions a call: the
// schedule's closed forms over 300 steps (latency D control steps, chunks of 8).
typedef struct {
  int calls, steps;
} Clock;

static int clock_predict(void *ctx, const float *obs, int B, uint64_t seed, float *act) {
  Clock *c = ctx;
  (void)seed;
  for (int b = 0; b < B; b++)
    for (int k = 0; k < c->steps; k++) memcpy(act + (b * c->steps + k) * 2, obs + b * 40 + 20 + 18, 2 * sizeof(float));
  c->calls++;
  return ODP_OK;
}

static void check_schedule(EvalRealtime mode, double latency_s, int steps, int rounds, int stale, const char *what) {
  Clock c = {0, steps};
  ActionSource src = {.predict = clock_predict, .ctx = &c, .n_obs_steps = 2, .n_action_steps = 8, .obs_dim = 20,
                      .action_dim = 2, .chunk_steps = steps};
  EvalOptions o = options(100000, 100003);
  o.realtime = mode, o.latency_s = latency_s;
  EvalResult r;
  CHECK(!eval_run(&r, &src, &o), "%s: %s", what, odp_error());
  CHECK(r.rounds == rounds && r.ep[0].stale_steps == stale && r.ep[2].steps == 300,
        "%s: %d calls (expected %d), %d stale steps (expected %d), %d steps", what, r.rounds, rounds,
        r.ep[0].stale_steps, stale, r.ep[2].steps);
  eval_result_free(&r);
}

static void test_realtime(const ActionSource *policy) {
  // latency 0: both modes are the reference protocol, episode for episode
  EvalOptions o = options(100000, 100004);
  EvalResult ref, rt;
  CHECK(!eval_run(&ref, policy, &o), "reference run: %s", odp_error());
  for (int mode = EVAL_REALTIME_SYNC; mode <= EVAL_REALTIME_ASYNC; mode++) {
    o.realtime = mode, o.latency_s = 0;
    CHECK(!eval_run(&rt, policy, &o), "real time, latency 0: %s", odp_error());
    CHECK(same_episodes(&ref, &rt, 4) && rt.rounds == ref.rounds && rt.stale_fraction == 0,
          "%s with latency 0 reproduces the reference protocol", mode == EVAL_REALTIME_SYNC ? "sync" : "async");
    eval_result_free(&rt);
  }
  eval_result_free(&ref);
  // 250 ms at 10 Hz = 3 steps. sync: a call every 3 + 8 steps, every step stale (held or late).
  check_schedule(EVAL_REALTIME_SYNC, 0.25, 8, 28, 300, "sync, 3 steps");
  // async: a call every 8 - 3 steps, arriving as the chunk before runs out; only the first 3 steps wait.
  check_schedule(EVAL_REALTIME_ASYNC, 0.25, 8, 60, 3, "async, 3 steps");
  // async, 10 steps > a chunk: a call as each arrives; 5 of the 15 actions left for the present, then 5 held.
  check_schedule(EVAL_REALTIME_ASYNC, 1.0, 15, 30, 10 + 29 * 5, "async, 10 steps, 15-action chunks");
  o = options(100000, 100002);
  o.realtime = EVAL_REALTIME_SYNC, o.latency_s = -1, o.slowdown = 0;
  CHECK(eval_run(&rt, policy, &o) && strstr(odp_error(), "slowdown"), "a zero slowdown is refused: %s", odp_error());
}

// --perturb: the same disturbances for the same env seeds, and PushT's distribution: the block
// carried 20-50 px (more only to clear the agent) and turned by at most 30 degrees.
static void test_perturb(void) {
  PushT *env = pusht_create();
  int clear = 0;
  for (int i = 0; env && i < 40; i++) {
    double before[5], after[5], u[3] = {(i % 5) / 5.0, (i % 7) / 7.0, (i % 4) / 4.0};
    pusht_reset(env, 100000 + i);
    pusht_state(env, before);
    int skipped = pusht_perturb(env, u);
    pusht_state(env, after);
    double moved = hypot(after[2] - before[2], after[3] - before[3]), turn = fabs(remainder(after[4] - before[4], 2 * M_PI));
    clear += !skipped;
    CHECK(skipped ? moved == 0 : moved > 1 && moved <= 50 + 80 + 1e-9 && turn <= M_PI / 6 + 1e-9,
          "seed %d: block moved %.1f px, turned %.3f rad (skipped %d)", 100000 + i, moved, turn, skipped);
  }
  CHECK(clear >= 36, "%d of 40 disturbances placed clear of the agent", clear);
  if (env) pusht_destroy(env);
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--write")) return write_tiny_policy(argv[2]) ? (fprintf(stderr, "%s\n", odp_error()), 1) : 0;
  char path[] = "/tmp/onedp_tiny_policy_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0 && write_tiny_policy(path) == ODP_OK, "write tiny policy: %s", odp_error());
  if (fd >= 0) close(fd);
  Policy p;
  CHECK(policy_load(&p, path) == ODP_OK, "load tiny policy: %s", odp_error());
  unlink(path);
  PolicyActor actor = {&p, {0}, 0};
  CHECK(!sampler_parse(&actor.sampler, "ddim:2"), "sampler");
  ActionSource src = action_source_policy(&actor);
  test_determinism(&src);
  test_draws(&src);
  test_others_do_not_matter(&src);
  test_hold_still();
  test_image_frames();
  test_gif(&src);
  test_realtime(&src);
  test_perturb();
  EvalOptions bad = options(5, 5);
  EvalResult r;
  CHECK(eval_run(&r, &src, &bad) && strstr(odp_error(), "empty seed range"), "empty range rejected: %s", odp_error());
  policy_free(&p);
  TEST_MAIN_END();
}
