// The task interface on PushT: creation by name, resets, stepping, rewards, bad
// input as error values, and independent instances stepping in parallel threads.
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "env/env.h"
#include "env/pusht.h"
#include "test.h"

// A fixed open-loop rollout: 60 steps toward a circling target; returns final state.
static int rollout(Env *e, uint32_t seed, double out[5]) {
  if (env_reset(e, seed)) return ODP_ERR;
  EnvStep st;
  for (int t = 0; t < 60; t++) {
    double a[2] = {256 + 150 * cos(0.1 * t), 256 + 150 * sin(0.1 * t)};
    if (env_step(e, a, &st)) return ODP_ERR;
  }
  env_state(e, out);
  return ODP_OK;
}

// A checkpoint's config names its task; without a "task" section the first env runs it.
static void test_task_lookup(void) {
  CHECK(env_for_config("{\"task\": {\"name\": \"pusht_keypoints\"}}", "cfg") == &pusht_ops, "pusht_keypoints");
  CHECK(env_for_config("{\"policy\": {\"obs_dim\": 20}}", "cfg") == env_registry()[0], "no task section");
  CHECK(env_for_config("{\"task\": {\"name\": \"nosuchtask\"}}", "cfg") == NULL, "unknown task accepted");
  CHECK(strstr(odp_error(), "cfg: field 'task.name'") != NULL, "message: %s", odp_error());
  CHECK(env_find("pusht") == &pusht_ops && env_find("nope") == NULL, "env_find");
  CHECK(env_frame_size_ok(&pusht_ops, 96) && env_frame_size_ok(&pusht_ops, 512) && !env_frame_size_ok(&pusht_ops, 100),
        "frame sizes");
}

static void test_interface(void) {
  Env e;
  CHECK(env_create(&e, "nope") != 0, "unknown task accepted");
  CHECK(env_create(&e, "pusht") == 0, "create: %s", odp_error());
  CHECK(e.ops->state_dim == 5 && e.ops->obs_dim == 20 && e.ops->action_dim == 2 && e.ops->n_cameras == 1 &&
            e.ops->cameras[0].height == 96 && e.ops->cameras[0].width == 96 && e.ops->control_hz == 10 &&
            e.ops->max_steps == 300 && e.ops->success_coverage == 0.95,
        "dims");
  double s0[5], s1[5], kp[20];
  CHECK(rollout(&e, 100000, s0) == 0 && rollout(&e, 100000, s1) == 0, "rollout");
  CHECK(!memcmp(s0, s1, sizeof s0), "a reset does not fully restart the world");
  env_observe(&e, kp);
  CHECK(kp[18] == s1[0] && kp[19] == s1[1], "agent is the last keypoint");
  // reset_to_state with the seed's draw equals reset(seed).
  double init[5], a[5], b[5];
  pusht_seed_state(7, init);
  env_reset(&e, 7);
  env_state(&e, a);
  CHECK(env_reset_to_state(&e, init) == 0, "reset_to_state");
  env_state(&e, b);
  CHECK(!memcmp(a, b, sizeof a), "reset_to_state(seed draw) != reset(seed)");
  uint8_t img[96 * 96 * 3];
  CHECK(env_render(&e, 0, img) == 0, "render");
  long blue = 0;
  for (int i = 0; i < 96 * 96; i++) blue += img[3 * i + 2] > 200 && img[3 * i] < 100;
  CHECK(blue > 10, "agent not visible in the render (%ld px)", blue);
  env_destroy(&e);
}

static void test_bad_input(void) {
  PushT *p = pusht_create();
  CHECK(p != NULL, "create");
  double nan_action[2] = {NAN, 10}, inf_state[5] = {1, 2, 3, INFINITY, 0};
  CHECK(pusht_step(p, nan_action, NULL) != 0, "NaN action accepted");
  CHECK(pusht_reset_to_state(p, inf_state) != 0, "infinite state accepted");
  CHECK(strstr(odp_error(), "state[3]") != NULL, "error names the field: %s", odp_error());
  pusht_destroy(p);
}

static void test_reward_done(void) {
  PushT *p = pusht_create();
  double goal[5] = {100, 100, 256, 256, M_PI / 4}, hold[2] = {100, 100};
  EnvStep st;
  // Block placed at the goal (its origin, then rotated about the cog: so shifted).
  pusht_reset_to_state(p, goal);
  pusht_evaluate(p, &st);
  CHECK(st.steps == 0 && st.reward >= 0 && st.reward <= 1, "reward range");
  // From the goal pose in the legacy order the block is displaced; step counting to 300.
  for (int t = 0; t < PUSHT_MAX_STEPS; t++) pusht_step(p, hold, &st);
  CHECK(st.done && st.steps == 300, "done after 300 steps");
  pusht_destroy(p);
  CHECK_NEAR(fmin(pusht_coverage(256, 256, M_PI / 4) / 0.95, 1), 1.0, 0, "reward clipped to 1 at the goal");
}

static void test_threads(void) {
  enum { N = 16 };
  double serial[N][5], parallel[N][5];
  int errors = 0;
  Env e;
  env_create(&e, "pusht");
  for (int i = 0; i < N; i++) errors += rollout(&e, 100000 + i, serial[i]) != 0;
  env_destroy(&e);
#pragma omp parallel for num_threads(4) reduction(+ : errors)
  for (int i = 0; i < N; i++) {
    Env t;
    errors += env_create(&t, "pusht") != 0;
    errors += rollout(&t, 100000 + i, parallel[i]) != 0;
    env_destroy(&t);
  }
  CHECK(errors == 0, "%d errors in threads", errors);
  CHECK(!memcmp(serial, parallel, sizeof serial), "parallel rollouts differ from serial ones");
}

int main(void) {
  test_task_lookup();
  test_interface();
  test_bad_input();
  test_reward_done();
  test_threads();
  TEST_MAIN_END();
}
