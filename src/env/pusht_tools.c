// PushT's command-line tools: `onedp env pusht` (the seeded reset, physics and render
// throughput) and `onedp replay` (the demonstrations replayed open loop: fidelity).
// src/cli/cmd_env.c and src/cli/cmd_replay.c find them through EnvOps.tools.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "env/np_random.h"
#include "env/pusht.h"
#include "env/pusht_demo.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int show_reset(PushT *env, uint32_t seed) {
  double before[5], after[5], kp[PUSHT_OBS_DIM];
  pusht_seed_state(seed, before);
  if (pusht_reset(env, seed)) return ODP_ERR;
  pusht_state(env, after);
  pusht_keypoints(env, kp);
  EnvStep st;
  pusht_evaluate(env, &st);
  printf("seed %u\nbefore settling: %.17g %.17g %.17g %.17g %.17g\n", seed, before[0], before[1], before[2], before[3],
         before[4]);
  printf("after settling:  %.17g %.17g %.17g %.17g %.17g\ncoverage %.6f  keypoints", after[0], after[1], after[2],
         after[3], after[4], st.coverage);
  for (int i = 0; i < PUSHT_OBS_DIM; i++) printf(" %.3f", kp[i]);
  printf("\n{\"env\": \"pusht\", \"seed\": %u, \"state_before\": [%.17g, %.17g, %.17g, %.17g, %.17g], "
         "\"state_after\": [%.17g, %.17g, %.17g, %.17g, %.17g], \"coverage\": %.17g}\n",
         seed, before[0], before[1], before[2], before[3], before[4], after[0], after[1], after[2], after[3], after[4],
         st.coverage);
  return ODP_OK;
}

static int bench(PushT *env, long n) {
  NpRandom r;
  np_random_seed(&r, 0);
  if (pusht_reset(env, 0)) return ODP_ERR;
  double t0 = now();
  for (long i = 0; i < n; i++) {
    if (i % PUSHT_MAX_STEPS == PUSHT_MAX_STEPS - 1 && pusht_reset(env, (uint32_t)i)) return ODP_ERR;
    double a[2] = {50 + 412 * np_random_double(&r), 50 + 412 * np_random_double(&r)};
    if (pusht_step(env, a, NULL)) return ODP_ERR;
  }
  double t_step = now() - t0;
  long frames = n / 10 > 0 ? n / 10 : 1;
  uint8_t img[PUSHT_IMAGE * PUSHT_IMAGE * 3];
  t0 = now();
  for (long i = 0; i < frames; i++) {
    double a[2] = {50 + 412 * np_random_double(&r), 50 + 412 * np_random_double(&r)};
    if (pusht_step(env, a, NULL) || pusht_render(env, img)) return ODP_ERR;
  }
  double t_frame = now() - t0;
  printf("physics: %ld steps (10 substeps each) in %.3f s = %.0f steps/s\n", n, t_step, n / t_step);
  printf("render:  %ld frames (step + 96x96 render) in %.3f s = %.0f frames/s\n", frames, t_frame, frames / t_frame);
  printf("{\"env\": \"pusht\", \"steps\": %ld, \"steps_per_s\": %.1f, \"substeps_per_s\": %.1f, \"frames\": %ld, "
         "\"frames_per_s\": %.1f}\n",
         n, n / t_step, 10 * n / t_step, frames, frames / t_frame);
  return ODP_OK;
}

// argv[1] is "pusht" (src/cli/cmd_env.c looked it up).
static int tool_env(int argc, char **argv) {
  long seed = 0, nbench = 0;
  for (int i = 2; i < argc; i++) {
    int is_seed = !strcmp(argv[i], "--seed"), is_bench = !strcmp(argv[i], "--bench");
    if (!is_seed && !is_bench) {
      fprintf(stderr, "onedp env: unknown option '%s' (see onedp env --help)\n", argv[i]);
      return 2;
    }
    char *end = NULL;
    const char *v = i + 1 < argc ? argv[++i] : "";
    long x = strtol(v, &end, 10);
    if (is_seed && (end == v || *end || x < 0 || x > 4294967295L)) {
      fprintf(stderr, "onedp env: --seed wants an integer in [0, 2^32) (got '%s')\n", v);
      return 2;
    }
    if (is_bench && (end == v || *end || x <= 0)) {
      fprintf(stderr, "onedp env: --bench wants a positive step count (got '%s')\n", v);
      return 2;
    }
    *(is_seed ? &seed : &nbench) = x;
  }
  PushT *env = pusht_create();
  int rc = env ? (nbench ? bench(env, nbench) : show_reset(env, (uint32_t)seed)) : ODP_ERR;
  pusht_destroy(env);
  if (rc) fprintf(stderr, "onedp env: %s\n", odp_error());
  return rc ? 1 : 0;
}

// "A:B", 0 <= A < B; B is checked against the store once it is loaded.
static int parse_episodes(const char *s, long *ep0, long *ep1) {
  char *mid, *end;
  *ep0 = strtol(s, &mid, 10);
  if (mid == s || *mid != ':' || *ep0 < 0) return ODP_ERR;
  *ep1 = strtol(mid + 1, &end, 10);
  return end == mid + 1 || *end || *ep1 <= *ep0 ? ODP_ERR : ODP_OK;
}

static int tool_replay(int argc, char **argv) {
  const char *path = NULL, *episodes = NULL;
  long ep0 = 0, ep1 = -1;
  int render = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--episodes")) {
      if (i + 1 >= argc || parse_episodes(episodes = argv[++i], &ep0, &ep1)) {
        fprintf(stderr, "onedp replay: --episodes %s: expected A:B with 0 <= A < B\n", episodes ? episodes : "");
        return 2;
      }
    } else if (!strcmp(argv[i], "--render")) {
      render = 1;
    } else if (argv[i][0] != '-' && !path) {
      path = argv[i];
    } else {
      fprintf(stderr, "onedp replay: unexpected argument '%s' (see onedp replay --help)\n", argv[i]);
      return 2;
    }
  }
  if (!path) {
    fprintf(stderr, "onedp replay: missing PATH (see onedp replay --help)\n");
    return 2;
  }
  PushTDemo d;
  if (pusht_demo_load(&d, path)) {
    fprintf(stderr, "onedp replay: %s\n", odp_error());
    return 1;
  }
  if (ep1 < 0) ep1 = (long)d.episodes;
  if (ep1 > d.episodes) {
    fprintf(stderr, "onedp replay: --episodes %s: %s has %lld episodes\n", episodes, path, (long long)d.episodes);
    pusht_demo_free(&d);
    return 1;
  }
  PushTReplayStats st;
  PushTRenderStats rs = {0};
  int rc = pusht_demo_replay(&d, ep0, ep1, &st);
  if (!rc && render) rc = pusht_demo_render_error(&d, path, ep0, ep1, &rs);
  pusht_demo_free(&d);
  if (rc) {
    fprintf(stderr, "onedp replay: %s\n", odp_error());
    return 1;
  }
  double n = (double)st.steps;
  printf("episodes %lld  steps %lld  bit-exact episodes %lld\n", (long long)st.episodes, (long long)st.steps,
         (long long)st.episodes_exact);
  printf("within 1 px / 0.01 rad  %.6f\nbit-exact float32       %.6f\nmedian divergence step  %.1f\n",
         st.within_tol / n, st.bit_exact / n, st.median_divergence_step);
  printf("keypoints max error: %.3g px on %lld contact-free rows, %.3g px on %lld rows in or just after contact\n",
         st.kp_max_err_free, (long long)st.free_rows, st.kp_max_err_contact, (long long)st.contact_rows);
  if (render)
    printf("render MAE %.6f (0-255, per pixel channel) over %lld frames, %lld identical, max channel error %.0f\n",
           rs.mae, (long long)rs.frames, (long long)rs.frames_exact, rs.max_abs);
  printf("{\"episodes\": %lld, \"steps\": %lld, \"frac_within_tol\": %.9g, \"frac_bit_exact\": %.9g, "
         "\"median_divergence_step\": %.1f, \"episodes_bit_exact\": %lld, \"kp_max_err_free_px\": %.6g, "
         "\"kp_max_err_contact_px\": %.6g",
         (long long)st.episodes, (long long)st.steps, st.within_tol / n, st.bit_exact / n, st.median_divergence_step,
         (long long)st.episodes_exact, st.kp_max_err_free, st.kp_max_err_contact);
  if (render)
    printf(", \"render_mae\": %.6g, \"render_frames\": %lld, \"render_frames_identical\": %lld, \"render_max_abs\": %.0f",
           rs.mae, (long long)rs.frames, (long long)rs.frames_exact, rs.max_abs);
  printf("}\n");
  return 0;
}

const EnvTool pusht_tools[] = {
    {"env", tool_env,
     "usage: onedp env pusht [--seed S] [--bench N]\n\n"
     "Prints the PushT initial state drawn from numpy RandomState(S) (agent x, y,\n"
     "block x, y, angle) before and after the settling step, with the coverage and\n"
     "keypoints after it. --bench N instead times N physics-only steps (random targets,\n"
     "reset every 300 steps) and N/10 rendered 96x96 frames on one core.\n"
     "The last line is one JSON object.\n"},
    {"replay", tool_replay,
     "usage: onedp replay PATH [--episodes A:B] [--render]\n\n"
     "Resets PushT episode i from seed i, replays its recorded actions open loop and\n"
     "compares every state (float32; state[t] precedes action[t]) with the recording:\n"
     "fraction within 1 px and 0.01 rad, fraction bit-exact, median first-divergence\n"
     "step (an episode that never diverges counts its length). Also checks keypoints\n"
     "computed from the recorded states against the recorded keypoints (rows with and\n"
     "without contact). --render adds the mean absolute error\n"
     "(0-255, per pixel channel) of our 96x96 renders vs the recorded images; frames\n"
     "that differ are those with contact marks (pygame draws them anti-aliased).\n"
     "PATH is the zarr store, e.g. " PUSHT_DEMO_STORE ".\n"
     "The last line is one JSON object.\n"},
    {NULL, NULL, NULL},
};
