// onedp env pusht --seed S: the seeded reset of an environment, before and after
// its settling step; --bench N measures stepping and rendering throughput.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "core/error.h"
#include "env/np_random.h"
#include "env/pusht.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: onedp env pusht [--seed S] [--bench N]\n\n"
          "Prints the PushT initial state drawn from numpy RandomState(S) (agent x, y,\n"
          "block x, y, angle) before and after the settling step, with the coverage and\n"
          "keypoints after it. --bench N instead times N physics-only steps (random targets,\n"
          "reset every 300 steps) and N/10 rendered 96x96 frames on one core.\n"
          "The last line is one JSON object.\n");
}

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

int cmd_env(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  if (argc < 2 || strcmp(argv[1], "pusht")) {
    fprintf(stderr, "onedp env: unknown environment '%s' (pusht; see onedp env --help)\n", argc < 2 ? "" : argv[1]);
    return 2;
  }
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
