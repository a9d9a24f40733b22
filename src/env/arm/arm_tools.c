// The arm tasks' command-line tools: `onedp env TASK` (a seeded reset, --bench for
// physics + controller steps/s and camera frames/s) and `onedp demos TASK` (scripted
// demonstrations written as a robomimic HDF5 file, data/robomimic.h).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/hw.h"
#include "core/progress.h"
#include "core/rotation.h"
#include "data/robomimic.h"
#include "env/arm/arm_expert.h"

static int parse_long(const char *tool, const char *opt, const char *v, long lo, long *out) {
  char *end;
  long x = v ? strtol(v, &end, 10) : 0;
  if (!v || end == v || *end || x < lo)
    return fprintf(stderr, "onedp %s: %s wants an integer >= %ld (got '%s')\n", tool, opt, lo, v ? v : ""), ODP_ERR;
  *out = x;
  return ODP_OK;
}

// N policy steps driven by the scripted expert (episodes reset at the step limit or on
// success), then frames of both cameras. Only the steps are timed: the expert's planning
// (inverse kinematics at each episode's start) is not the environment's cost.
static int bench(const EnvOps *ops, long n) {
  Env env;
  if (env_create(&env, ops->name) || env_reset(&env, 0)) return ODP_ERR;
  ArmExpert x;
  arm_expert_begin(&x, env.impl, ARM_EXPERT_PH, 0);
  double a[ARM_ACTION_DIM], t_step = 0, t0;
  EnvStep st;
  long episodes = 1;
  for (long i = 0; i < n; i++) {
    arm_expert_act(&x, a);
    t0 = now_seconds();
    if (env_step(&env, a, &st)) return env_destroy(&env), ODP_ERR;
    t_step += now_seconds() - t0;
    if (st.done) {
      if (env_reset(&env, (uint32_t)++episodes)) return env_destroy(&env), ODP_ERR;
      arm_expert_begin(&x, env.impl, ARM_EXPERT_PH, (uint32_t)episodes);
    }
  }
  uint8_t img[ARM_IMAGE_SIZE * ARM_IMAGE_SIZE * 3];
  if (env_render(&env, 0, img)) return env_destroy(&env), ODP_ERR;  // the context and textures, once
  const long frames = n / 10 > 0 ? n / 10 : 1;
  t0 = now_seconds();
  for (long i = 0; i < frames; i++)
    if (env_render(&env, (int)(i & 1), img)) return env_destroy(&env), ODP_ERR;
  const double t_frame = now_seconds() - t0;
  env_destroy(&env);
  printf("physics + controller: %ld policy steps (%d substeps each) in %.3f s = %.0f steps/s\n", n, ARM_SUBSTEPS,
         t_step, n / t_step);
  printf("render: %ld frames of %dx%d (both cameras in turn) in %.3f s = %.0f frames/s\n", frames, ARM_IMAGE_SIZE,
         ARM_IMAGE_SIZE, t_frame, frames / t_frame);
  printf("{\"env\": \"%s\", \"steps\": %ld, \"steps_per_s\": %.1f, \"substeps_per_s\": %.1f, \"frames\": %ld, "
         "\"frames_per_s\": %.1f}\n",
         ops->name, n, n / t_step, ARM_SUBSTEPS * n / t_step, frames, frames / t_frame);
  return ODP_OK;
}

static int show_reset(const EnvOps *ops, uint32_t seed) {
  Env env;
  if (env_create(&env, ops->name) || env_reset(&env, seed)) return ODP_ERR;
  double obs[64];
  env_observe(&env, obs);
  printf("%s reset, seed %u:\n", ops->title, seed);
  for (const EnvObsKey *k = ops->obs_keys; k->name; k++) {
    printf("  %-20s", k->name);
    for (int i = 0; i < k->dim; i++) printf(" %8.4f", obs[k->offset + i]);
    printf("\n");
  }
  env_destroy(&env);
  return ODP_OK;
}

static int tool_env(int argc, char **argv) {
  long seed = 0, nbench = 0;
  for (int i = 2; i < argc; i++) {
    const int is_seed = !strcmp(argv[i], "--seed"), is_bench = !strcmp(argv[i], "--bench");
    if (!is_seed && !is_bench) return fprintf(stderr, "onedp env: unknown option '%s' (see --help)\n", argv[i]), 2;
    if (parse_long("env", argv[i], i + 1 < argc ? argv[i + 1] : NULL, is_bench, is_seed ? &seed : &nbench)) return 2;
    i++;
  }
  const EnvOps *ops = env_find(argv[1]);
  int rc = ops ? (nbench ? bench(ops, nbench) : show_reset(ops, (uint32_t)seed)) : ODP_ERR;
  if (rc) fprintf(stderr, "onedp env: %s\n", odp_error());
  return rc ? 1 : 0;
}

// One episode's record (n actions, n + 1 observations), grown as it runs.
typedef struct {
  long n, cap;
  double *actions, *states, *rewards, *obs[4];
  int64_t *dones;
  uint8_t *images[2];
  int with_images;
  int disturbances;  // applied in this episode (--perturb)
} Episode;

static int episode_grow(Episode *ep, const EnvOps *ops) {
  if (ep->n + 2 <= ep->cap) return ODP_OK;
  const long cap = ep->cap ? 2 * ep->cap : 512;
  const size_t img = (size_t)ARM_IMAGE_SIZE * ARM_IMAGE_SIZE * 3;
  void **p[] = {(void **)&ep->actions, (void **)&ep->states, (void **)&ep->rewards, (void **)&ep->dones};
  const size_t per[] = {ARM_RAW_ACTION_DIM * sizeof(double), ops->state_dim * sizeof(double), sizeof(double),
                        sizeof(int64_t)};
  for (int i = 0; i < 4; i++)
    if (!(*p[i] = realloc(*p[i], per[i] * (size_t)cap))) return odp_fail("demos: out of memory");
  for (int k = 0; k < 4; k++)
    if (!(ep->obs[k] = realloc(ep->obs[k], sizeof(double) * (size_t)ops->obs_keys[k].dim * (size_t)cap)))
      return odp_fail("demos: out of memory");
  for (int c = 0; c < 2 && ep->with_images; c++)
    if (!(ep->images[c] = realloc(ep->images[c], img * (size_t)cap))) return odp_fail("demos: out of memory");
  ep->cap = cap;
  return ODP_OK;
}

// Row ep->n of the observations (low-dim keys split, camera frames).
static int record_obs(Episode *ep, Env *env) {
  double obs[64];
  env_observe(env, obs);
  for (int k = 0; k < 4; k++) {
    const EnvObsKey *key = &env->ops->obs_keys[k];
    memcpy(ep->obs[k] + ep->n * key->dim, obs + key->offset, sizeof(double) * key->dim);
  }
  const size_t img = (size_t)ARM_IMAGE_SIZE * ARM_IMAGE_SIZE * 3;
  for (int c = 0; c < 2 && ep->with_images; c++)
    if (env_render(env, c, ep->images[c] + img * (size_t)ep->n)) return ODP_ERR;
  return ODP_OK;
}

// One expert episode from seed (with --perturb's disturbances: env/env.h, the expert
// re-planning when the object moves); returns 1 on success, 0 on failure, -1 on error.
static int run_episode(Episode *ep, Env *env, ArmExpertQuality q, uint32_t seed, int perturb) {
  ep->n = 0;
  if (env_reset(env, seed)) return -1;
  EnvDisturbances dist;
  env_disturbances_plan(&dist, env->ops, seed);
  ArmExpert x;
  arm_expert_begin(&x, env->impl, q, seed ^ 0x5eedu);
  double a[ARM_ACTION_DIM], R[9];
  EnvStep st = {0};
  while (!st.done) {
    if (episode_grow(ep, env->ops) || record_obs(ep, env)) return -1;
    env_state(env, ep->states + ep->n * env->ops->state_dim);
    arm_expert_act(&x, a);
    double *raw = ep->actions + ep->n * ARM_RAW_ACTION_DIM;  // robomimic's: position, axis-angle, gripper
    rot_6d_to_matrix(a + 3, R);
    memcpy(raw, a, 3 * sizeof(double));
    rot_matrix_to_axis_angle(R, raw + 3);
    raw[6] = a[9];
    if (env_step(env, a, &st)) return -1;
    ep->rewards[ep->n] = st.reward, ep->dones[ep->n] = st.done;
    ep->n++;
    if (perturb) env_disturbances_step(&dist, env, (int)ep->n, &st);
  }
  ep->disturbances = dist.applied;
  if (record_obs(ep, env)) return -1;  // the final observation (next_obs of the last step)
  return st.reward > 0;
}

static int write_episode(RmWriter *w, const Episode *ep, const Env *env) {
  RmLowdimObs low[4];
  for (int k = 0; k < 4; k++) low[k] = (RmLowdimObs){env->ops->obs_keys[k].name, env->ops->obs_keys[k].dim, ep->obs[k]};
  RmImageObs img[2];
  for (int c = 0; c < 2; c++)
    img[c] = (RmImageObs){env->ops->cameras[c].name, ARM_IMAGE_SIZE, ARM_IMAGE_SIZE, ep->images[c]};
  const RmDemo d = {ep->n, ARM_RAW_ACTION_DIM, env->ops->state_dim, ep->actions, ep->states, ep->rewards, ep->dones,
                    4, ep->with_images ? 2 : 0, low, img, ((const ArmEnv *)env->impl)->model_xml};
  return rm_writer_add(w, &d);
}

static void episode_free(Episode *ep) {
  free(ep->actions), free(ep->states), free(ep->rewards), free(ep->dones);
  for (int k = 0; k < 4; k++) free(ep->obs[k]);
  free(ep->images[0]), free(ep->images[1]);
}

// robomimic's env_args: what a robomimic reader expects to find, plus how onedp made the file.
static void env_args(char *buf, int size, const ArmTask *t, const char *quality, long seed, int images, int perturb) {
  snprintf(buf, (size_t)size,
           "{\"env_name\": \"%s\", \"type\": 1, \"env_kwargs\": {\"robots\": [\"Panda\"], \"control_freq\": 20, "
           "\"controller_configs\": {\"type\": \"OSC_POSE\", \"kp\": 150, \"damping_ratio\": 1, \"control_delta\": "
           "false, \"uncouple_pos_ori\": true, \"interpolation\": null}, \"reward_shaping\": false, \"ignore_done\": "
           "true, \"use_object_obs\": true, \"use_camera_obs\": %s, \"camera_names\": [\"agentview\", "
           "\"robot0_eye_in_hand\"], \"camera_heights\": 84, \"camera_widths\": 84}, \"onedp\": {\"task\": \"%s\", "
           "\"expert\": \"%s\", \"seed\": %ld, \"perturb\": %s}}",
           t->env_name, images ? "true" : "false", t->name, quality, seed, perturb ? "true" : "false");
}

// Keeps the successes of the expert's episodes from seeds seed, seed+1, ...: until `episodes`
// are kept, or (n_seeds > 0) over exactly n_seeds seeds.
static int demos(const EnvOps *ops, long episodes, long n_seeds, long seed, const char *quality, int images,
                 int perturb, const char *out) {
  const ArmExpertQuality q = !strcmp(quality, "mh") ? ARM_EXPERT_MH : ARM_EXPERT_PH;
  char args[2048];
  Env env;
  if (perturb && !ops->perturb) return odp_fail("%s has no disturbances (--perturb)", ops->title);
  if (env_create(&env, ops->name)) return ODP_ERR;
  env_args(args, sizeof args, ((const ArmEnv *)env.impl)->task, quality, seed, images, perturb);
  RmWriter *w = rm_writer_create(out, args);
  if (!w) return env_destroy(&env), ODP_ERR;
  Episode ep = {.with_images = images};
  long kept = 0, tried = 0, samples = 0, disturbed = 0;
  const double t0 = now_seconds();
  int err = ODP_OK;
  Progress pr;
  char status[64] = "";
  progress_start(&pr, "demos", n_seeds ? "seeds" : "episodes", n_seeds ? n_seeds : episodes);
  while ((n_seeds ? tried < n_seeds : kept < episodes) && !err) {  // failures dropped: robomimic's sets hold successes only
    if (!n_seeds && tried >= 10 * episodes) {
      err = odp_fail("%s: the expert succeeded %ld times in %ld seeds", ops->title, kept, tried);
      break;
    }
    const int ok = run_episode(&ep, &env, q, (uint32_t)(seed + tried++), perturb);
    disturbed += ep.disturbances;
    if (ok < 0 || (ok && write_episode(w, &ep, &env))) err = ODP_ERR;
    else if (ok) {
      kept++, samples += ep.n;
      snprintf(status, sizeof status, "expert success %ld/%ld", kept, tried);
    }
    if (!err) progress_update(&pr, n_seeds ? tried : kept, status);
  }
  progress_finish(&pr, n_seeds ? tried : kept, status);
  if (!err && !kept) err = odp_fail("%s: the expert succeeded on none of %ld seeds", ops->title, tried);
  episode_free(&ep);
  env_destroy(&env);
  if (err) return rm_writer_abort(w), ODP_ERR;
  if (rm_writer_close(w)) return ODP_ERR;
  const double secs = now_seconds() - t0;
  printf("{\"task\": \"%s\", \"quality\": \"%s\", \"episodes\": %ld, \"seeds_tried\": %ld, \"expert_success\": %.4f, "
         "\"samples\": %ld, \"disturbances\": %ld, \"seconds\": %.1f, \"file\": \"%s\"}\n",
         ops->name, quality, kept, tried, (double)kept / (double)tried, samples, disturbed, secs, out);
  return ODP_OK;
}

static int tool_demos(int argc, char **argv) {
  long episodes = 200, n_seeds = 0, seed = 0;
  const char *out = NULL, *quality = "ph";
  int images = 0, perturb = 0;
  for (int i = 2; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    const int is_episodes = !strcmp(argv[i], "--episodes"), is_seed = !strcmp(argv[i], "--seed");
    const int is_seeds = !strcmp(argv[i], "--seeds");
    if (!strcmp(argv[i], "--images")) images = 1;
    else if (!strcmp(argv[i], "--perturb")) perturb = 1;
    else if (is_episodes || is_seed || is_seeds) {
      if (parse_long("demos", argv[i], v, !is_seed, is_episodes ? &episodes : is_seeds ? &n_seeds : &seed)) return 2;
      i++;
    } else if (!strcmp(argv[i], "--quality") && v && (!strcmp(v, "ph") || !strcmp(v, "mh"))) quality = v, i++;
    else if (!strcmp(argv[i], "-o") && v) out = v, i++;
    else return fprintf(stderr, "onedp demos: bad option '%s' (see --help)\n", argv[i]), 2;
  }
  if (!out) return fprintf(stderr, "onedp demos: -o FILE.hdf5 is required\n"), 2;
  const EnvOps *ops = env_find(argv[1]);
  if (!ops || demos(ops, episodes, n_seeds, seed, quality, images, perturb, out)) return fprintf(stderr, "onedp demos: %s\n", odp_error()), 1;
  return 0;
}

#define ARM_TOOL_HELP(name)                                                                                         \
  {{"env", tool_env,                                                                                               \
    "usage: onedp env " name " [--seed S] [--bench N]\n\n"                                                         \
    "The task's low-dim observation after the reset with seed S (default 0), by robomimic key. --bench N\n"      \
    "instead times N policy steps of physics and controller (25 substeps each, the scripted expert acting)\n"   \
    "and N/10 camera frames (84x84, both cameras in turn); the last line is JSON.\n"},                           \
   {"demos", tool_demos,                                                                                           \
    "usage: onedp demos " name " -o FILE.hdf5 [--episodes N | --seeds N] [--seed S] [--quality ph|mh] [--images]\n" \
    "       [--perturb]\n\n"                                                                                         \
    "Scripted demonstrations in robomimic's HDF5 layout: N successful episodes (default 200) from reset\n"     \
    "seeds S, S+1, ... (failed attempts are dropped and counted); --seeds N instead runs exactly N seeds and\n" \
    "keeps their successes (the expert's success rate on those seeds); --quality mh: slower, hesitant, noisier\n" \
    "operators; --images adds agentview_image and robot0_eye_in_hand_image (84x84, gzip); --perturb (milk)\n"  \
    "moves the object as eval --perturb does and the expert re-plans. Shows progress;\n"                         \
    "the last line is JSON with the expert's success rate over the seeds tried.\n"},                             \
   {NULL, NULL, NULL}}

const EnvTool arm_lift_tools[] = ARM_TOOL_HELP("lift");
const EnvTool arm_can_tools[] = ARM_TOOL_HELP("can");
const EnvTool arm_milk_tools[] = ARM_TOOL_HELP("milk");
const EnvTool arm_square_tools[] = ARM_TOOL_HELP("square");
