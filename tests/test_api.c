// The runtime API (include/onedp.h) against the evaluator's path on the shipped policies:
// PushT episodes driven through observe/act give every chunk bit-identical to
// policy_predict on the evaluator's history and seed (policy_call_seed(seed, round)), and
// the same scores as eval_run's batch-1 run; a teacher's DDIM chunks likewise; bad input
// (NULL handles, wrong-kind files, NaN observations, act before observe) is an error code
// with a message; separate handles on separate threads run as they do alone.
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "env/env.h"
#include "eval/rollout.h"
#include "model/policy.h"
#include "onedp.h"
#include "test.h"

#define STUDENT "models/pusht_onedp_s.safetensors"
#define TEACHER "models/pusht_teacher.safetensors"

// Evaluator-style history (To, D), oldest first: the reset observation fills it, then each
// step shifts by one and appends.
static void put(float *row, const double *kp, int D) {
  for (int j = 0; j < D; j++) row[j] = (float)kp[j];
}

static void fill(float *hist, const double *kp, int To, int D) {
  for (int t = 0; t < To; t++) put(hist + t * D, kp, D);
}

static void shift_in(float *hist, const double *kp, int To, int D) {
  memmove(hist, hist + D, (size_t)(To - 1) * D * sizeof *hist);
  put(hist + (To - 1) * D, kp, D);
}

// One PushT episode through the API; every chunk checked against policy_predict on the
// same history and seed. Returns the episode's score (max reward).
static double api_episode(onedp_policy *h, Policy *ref, const SamplerSpec *s, uint32_t env_seed, uint64_t seed,
                          int *chunks_equal, int *chunks) {
  const int To = ref->shape.n_obs_steps, D = ref->shape.obs_dim, Ta = ref->shape.n_action_steps,
            Da = ref->shape.action_dim;
  Env env;
  if (env_create(&env, "pusht") || env_reset(&env, env_seed)) return -1;
  double kp[64], score = 0;
  float hist[256], chunk[256], want[256];
  env_observe(&env, kp);
  fill(hist, kp, To, D);
  onedp_policy_reset(h, seed);
  float obs[64];
  for (int j = 0; j < D; j++) obs[j] = (float)kp[j];
  onedp_policy_observe(h, obs);
  int k = Ta, round = 0, done = 0;
  for (int step = 0; step < env.ops->max_steps && !done; step++) {
    if (k == Ta) {  // a new chunk
      int rc = onedp_policy_act(h, chunk);
      int rr = policy_predict(ref, s, hist, 1, policy_call_seed(seed, round++), want);
      if (rc || rr) return fprintf(stderr, "%s\n", onedp_last_error()), -1;
      *chunks += 1, *chunks_equal += !memcmp(chunk, want, (size_t)Ta * Da * sizeof *chunk);
      k = 0;
    }
    double a[8];
    for (int j = 0; j < Da; j++) a[j] = chunk[k * Da + j];
    k++;
    EnvStep st;
    if (env_step(&env, a, &st)) return -1;
    score = fmax(score, st.reward), done = st.done;
    env_observe(&env, kp);
    shift_in(hist, kp, To, D);
    for (int j = 0; j < D; j++) obs[j] = (float)kp[j];
    onedp_policy_observe(h, obs);
  }
  env_destroy(&env);
  return score;
}

static double eval_score(Policy *p, const SamplerSpec *s, uint32_t env_seed, uint64_t seed) {
  PolicyActor actor = {p, *s, 0};
  ActionSource src = action_source_policy(&actor);
  EvalOptions o = {.task = "pusht", .seed_begin = env_seed, .seed_end = env_seed + 1, .seed = seed};
  EvalResult r;
  if (eval_run(&r, &src, &o)) return fprintf(stderr, "%s\n", odp_error()), -1;
  double score = r.ep[0].score;
  eval_result_free(&r);
  return score;
}

static void test_student_episodes(void) {
  onedp_policy *h;
  CHECK(onedp_policy_open(&h, STUDENT, NULL, 0) == ONEDP_OK, "%s", onedp_last_error());
  if (!h) return;
  CHECK(!strcmp(onedp_policy_sampler(h), "onestep"), "default sampler %s", onedp_policy_sampler(h));
  CHECK(onedp_policy_obs_dim(h) == 20 && onedp_policy_action_dim(h) == 2, "dims");
  CHECK(onedp_policy_n_obs_steps(h) == 2 && onedp_policy_n_action_steps(h) == 8, "steps");
  CHECK(onedp_policy_threads(h) == 1, "default threads %d", onedp_policy_threads(h));
  Policy ref;
  SamplerSpec s = {.kind = SAMPLER_ONESTEP, .steps = 1};
  CHECK(policy_load_inference(&ref, STUDENT, WEIGHTS_F32) == ODP_OK, "%s", odp_error());
  for (uint32_t env_seed = 100000; env_seed < 100002; env_seed++) {
    int equal = 0, chunks = 0;
    double api = api_episode(h, &ref, &s, env_seed, 5, &equal, &chunks);
    double ev = eval_score(&ref, &s, env_seed, 5);
    CHECK(chunks > 0 && equal == chunks, "seed %u: %d of %d chunks bit-identical", env_seed, equal, chunks);
    CHECK(api >= 0 && api == ev, "seed %u: API score %.17g vs evaluator %.17g", env_seed, api, ev);
    printf("env seed %u: %d chunks identical, score %.6f (evaluator %.6f)\n", env_seed, chunks, api, ev);
  }
  policy_free(&ref);
  onedp_policy_close(h);
}

// A teacher with DDIM-4: every act equals policy_predict; reset replays the same chunks.
static void test_teacher_ddim(void) {
  onedp_policy *h;
  CHECK(onedp_policy_open(&h, TEACHER, "ddim:4", 0) == ONEDP_OK, "%s", onedp_last_error());
  if (!h) return;
  CHECK(!strcmp(onedp_policy_sampler(h), "ddim:4:leading"), "%s", onedp_policy_sampler(h));
  Policy ref;
  SamplerSpec s;
  CHECK(sampler_parse(&s, "ddim:4") == ODP_OK && policy_load_inference(&ref, TEACHER, WEIGHTS_F32) == ODP_OK, "%s",
        odp_error());
  float obs[3][20], hist[40], a[16], b[16], first[16];
  for (int t = 0; t < 3; t++)
    for (int j = 0; j < 20; j++) obs[t][j] = 100.0f + 13.0f * j + 7.0f * t;
  for (int pass = 0; pass < 2; pass++) {
    onedp_policy_reset(h, 42);
    for (int t = 0; t < 3; t++) {
      onedp_policy_observe(h, obs[t]);
      memcpy(hist, obs[t ? t - 1 : 0], sizeof obs[0]);
      memcpy(hist + 20, obs[t], sizeof obs[0]);
      CHECK(onedp_policy_act(h, a) == ONEDP_OK && policy_predict(&ref, &s, hist, 1, policy_call_seed(42, t), b) == 0,
            "%s", onedp_last_error());
      CHECK(!memcmp(a, b, sizeof a), "pass %d act %d equals policy_predict", pass, t);
      if (t == 0 && pass == 0) memcpy(first, a, sizeof a);
      if (t == 0 && pass == 1) CHECK(!memcmp(first, a, sizeof a), "reset replays the first chunk");
    }
  }
  policy_free(&ref);
  onedp_policy_close(h);
  CHECK(onedp_policy_open(&h, TEACHER, NULL, 0) == ONEDP_OK && !strcmp(onedp_policy_sampler(h), "ddpm:100"),
        "teacher default sampler");
  onedp_policy_close(h);
}

static void test_errors(void) {
  onedp_policy *h = (onedp_policy *)1;
  float obs[20] = {0}, act[16];
  CHECK(onedp_policy_open(&h, "/nonexistent.safetensors", NULL, 0) == ONEDP_ELOAD && !h, "missing file");
  CHECK(strstr(onedp_last_error(), "/nonexistent.safetensors") != NULL, "message names the file: %s",
        onedp_last_error());
  CHECK(onedp_policy_open(&h, "configs/unet_lowdim.json", NULL, 0) == ONEDP_ELOAD, "wrong-kind file");
  printf("wrong kind: %s\n", onedp_last_error());
  CHECK(onedp_policy_open(&h, TEACHER, "onestep", 0) == ONEDP_EINVAL, "onestep on a teacher");
  CHECK(onedp_policy_open(&h, STUDENT, "euler:3", 0) == ONEDP_EINVAL, "unknown sampler");
  CHECK(onedp_policy_open(&h, STUDENT, NULL, -1) == ONEDP_EINVAL, "negative threads");
  CHECK(onedp_policy_open(NULL, STUDENT, NULL, 0) == ONEDP_EINVAL, "NULL out");
  CHECK(onedp_policy_open(&h, NULL, NULL, 0) == ONEDP_EINVAL, "NULL path");
  CHECK(onedp_policy_reset(NULL, 0) == ONEDP_EINVAL && onedp_policy_observe(NULL, obs) == ONEDP_EINVAL &&
            onedp_policy_act(NULL, act) == ONEDP_EINVAL && onedp_policy_obs_dim(NULL) == -1,
        "NULL handle");
  onedp_policy_close(NULL);
  CHECK(onedp_policy_open(&h, STUDENT, NULL, 0) == ONEDP_OK, "%s", onedp_last_error());
  CHECK(onedp_policy_act(h, act) == ONEDP_ESTATE, "act before observe");
  printf("act before observe: %s\n", onedp_last_error());
  obs[3] = NAN;
  CHECK(onedp_policy_observe(h, obs) == ONEDP_EINPUT, "NaN observation");
  printf("NaN: %s\n", onedp_last_error());
  CHECK(onedp_policy_act(h, act) == ONEDP_ESTATE, "a rejected observation does not count");
  obs[3] = INFINITY;
  CHECK(onedp_policy_observe(h, obs) == ONEDP_EINPUT, "infinite observation");
  obs[3] = 1;
  CHECK(onedp_policy_observe(h, NULL) == ONEDP_EINVAL && onedp_policy_act(h, NULL) == ONEDP_EINVAL, "NULL buffers");
  CHECK(onedp_policy_observe(h, obs) == ONEDP_OK && onedp_policy_act(h, act) == ONEDP_OK, "%s", onedp_last_error());
  CHECK(onedp_policy_reset(h, 1) == ONEDP_OK && onedp_policy_act(h, act) == ONEDP_ESTATE, "reset clears history");
  CHECK(onedp_policy_set_threads(h, -2) == ONEDP_EINVAL && onedp_policy_set_threads(h, 2) == ONEDP_OK &&
            onedp_policy_threads(h) == 2,
        "set_threads");
  onedp_policy_close(h);
  CHECK(!strcmp(onedp_version(), ONEDP_VERSION), "version %s", onedp_version());
}

// Separate handles on separate threads: each thread's actions equal the same handle's run
// alone, and each thread's failure message is its own (onedp_last_error is thread-local).
#define PAR_THREADS 2
#define PAR_ACTS 60

typedef struct {
  uint64_t seed;
  float act[PAR_ACTS][16];
  char error[160];
  int rc;
} ParRun;

static void *par_run(void *arg) {
  ParRun *r = arg;
  onedp_policy *h;
  float obs[20];
  r->rc = onedp_policy_open(&h, STUDENT, NULL, 0) || onedp_policy_reset(h, r->seed);
  for (int t = 0; !r->rc && t < PAR_ACTS; t++) {
    for (int j = 0; j < 20; j++) obs[j] = 100.0f + 10.0f * j + (float)t + (float)r->seed;
    r->rc = onedp_policy_observe(h, obs) || onedp_policy_act(h, r->act[t]);
  }
  onedp_policy_close(h);
  // A failure on this thread only: the message must be this thread's.
  onedp_policy_open(&h, r->seed ? "/nonexistent-b.safetensors" : "/nonexistent-a.safetensors", NULL, 0);
  snprintf(r->error, sizeof r->error, "%s", onedp_last_error());
  return NULL;
}

static void test_parallel_handles(void) {
  static ParRun alone[PAR_THREADS], together[PAR_THREADS];
  pthread_t th[PAR_THREADS];
  for (int i = 0; i < PAR_THREADS; i++) alone[i].seed = together[i].seed = (uint64_t)i;
  for (int i = 0; i < PAR_THREADS; i++) par_run(&alone[i]);
  for (int i = 0; i < PAR_THREADS; i++) pthread_create(&th[i], NULL, par_run, &together[i]);
  for (int i = 0; i < PAR_THREADS; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < PAR_THREADS; i++) {
    CHECK(!alone[i].rc && !together[i].rc, "thread %d ran", i);
    CHECK(!memcmp(alone[i].act, together[i].act, sizeof alone[i].act), "thread %d: same actions as alone", i);
    CHECK(strstr(together[i].error, i ? "nonexistent-b" : "nonexistent-a") != NULL, "thread %d's own error: %s", i,
          together[i].error);
  }
  CHECK(memcmp(together[0].act, together[1].act, sizeof together[0].act), "different seeds, different actions");
}

int main(void) {
  test_parallel_handles();
  test_student_episodes();
  test_teacher_ddim();
  test_errors();
  TEST_MAIN_END();
}
