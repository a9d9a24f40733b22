// onedp render [PATH] --episode N --out FILE.gif [--env NAME]: an animated GIF of a
// demonstration, drawn by the environment's frames (EnvOps.frame) with the action
// target marked.
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "data/robomimic.h"
#include "data/zarr.h"
#include "env/env.h"
#include "io/gif.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: onedp render [PATH] --episode N --out FILE.gif [--size S] [--replay] [--env NAME]\n\n"
          "Writes episode N of environment NAME's demonstrations (a zarr store, default the\n"
          "environment's own, listed below; or a robomimic .hdf5 file, whose env_args name its\n"
          "task and whose --replay starts from the demo's first state) as a looping GIF at the environment's control\n"
          "rate. Each frame is the environment's rendering of the recorded state (the\n"
          "environment reset to it, pre-compensating any shift its reset applies, then its\n"
          "settling step: max_pose_error_px), or with --replay the state reached by\n"
          "replaying the recorded actions from reset(seed = N), whose contact marks are\n"
          "those of the recorded step. As in the reference videos, frame t carries a red\n"
          "cross at action[t-1], the target that led to it. --size is the observation\n"
          "image's side (the default) or the full canvas's.\n"
          "The last line is one JSON object.\n\nenvironments (--env; the first is the default):\n");
  for (const EnvOps *const *e = env_registry(); *e; e++)
    if ((*e)->demo_store && (*e)->frame)
      fprintf(f, "  %-8s %s, --size %d or %d\n", (*e)->name, (*e)->demo_store, (*e)->cameras[0].height,
              (*e)->canvas_size);
}

typedef struct {
  int from_first_state;  // --replay starts from states[0] (a robomimic demo), not reset(N)
  int64_t start, len;
  float *state;   // (len, state_dim)
  float *action;  // (len, action_dim)
} Episode;

// Rows [row0, row0 + n) of root/name as floats; each row must hold `elems` values.
static int read_rows(const EnvOps *ops, const char *root, const char *name, int64_t row0, int64_t n, int64_t elems,
                     float *out) {
  ZarrArray *a = zarr_open(root, name);
  int rc = !a ? ODP_ERR
           : zarr_row_elems(a) != elems
               ? odp_fail("%s: zarr array '%s' has %lld values per row, %s needs %lld", root, name,
                          (long long)zarr_row_elems(a), ops->title, (long long)elems)
               : zarr_read_rows(a, row0, n, ZARR_F32, out);
  zarr_close(a);
  return rc;
}

// A NaN pose would reach the physics engine; name the row instead.
static int check_finite(const char *root, const char *name, const Episode *e, const float *x, int dim) {
  for (int64_t i = 0; i < e->len * dim; i++)
    if (!isfinite(x[i]))
      return odp_fail("%s: zarr array '%s' row %lld element %d is %s", root, name, (long long)(e->start + i / dim),
                      (int)(i % dim), isnan(x[i]) ? "NaN" : "infinite");
  return ODP_OK;
}

// A robomimic file's demo (data/robomimic.h): its states, and its absolute actions
// (position, axis-angle, gripper) as the arm tasks take them (position, rot6d, gripper).
static int load_robomimic(const EnvOps *ops, const char *path, int ep, Episode *e) {
  RmFile *f = rm_open(path);
  if (!f) return ODP_ERR;
  double *states = NULL, *actions = NULL;
  int ds = 0, da = 0, rc = ep < rm_demo_count(f) ? ODP_OK
                                                 : odp_fail("%s: episode %d out of range (%d demos)", path, ep,
                                                            rm_demo_count(f));
  if (!rc) rc = rm_read_f64(f, ep, "states", &ds, &states) || rm_read_f64(f, ep, "actions", &da, &actions);
  if (!rc && (ds != ops->state_dim || da != 7 || ops->action_dim != 10))
    rc = odp_fail("%s: %s has %d state and %d action values; %s takes %d states and absolute (7) actions", path,
                  rm_demo_name(f, ep), ds, da, ops->title, ops->state_dim);
  if (!rc) {
    e->len = rm_demo_samples(f, ep), e->from_first_state = 1;
    e->state = odp_malloc((size_t)e->len * ds * sizeof(float), "episode states");
    e->action = odp_malloc((size_t)e->len * 10 * sizeof(float), "episode actions");
    rc = !e->state || !e->action;
  }
  if (!rc) {
    rm_actions_rot6d(actions, e->len, 1, e->action);
    for (int64_t i = 0; i < e->len * ds; i++) e->state[i] = (float)states[i];
  }
  free(states), free(actions);
  rm_close(f);
  return rc;
}

static int load_episode(const EnvOps *ops, const char *root, int ep, Episode *e) {
  if (rm_is_path(root)) return load_robomimic(ops, root, ep, e);
  ZarrArray *ends = zarr_open(root, "meta/episode_ends");
  if (!ends) return ODP_ERR;
  int64_t n = zarr_rows(ends), bounds[2] = {0, 0};
  int rc = ep < n ? zarr_read_rows(ends, ep ? ep - 1 : 0, ep ? 2 : 1, ZARR_I64, bounds + (ep ? 0 : 1))
                  : odp_fail("%s: episode %d out of range (%lld episodes)", root, ep, (long long)n);
  zarr_close(ends);
  if (rc) return rc;
  e->start = bounds[0], e->len = bounds[1] - bounds[0];
  if (e->len <= 0)
    return odp_fail("%s: meta/episode_ends: episode %d spans rows [%lld, %lld) (ends not increasing)", root, ep,
                    (long long)bounds[0], (long long)bounds[1]);
  const int ds = ops->state_dim, da = ops->action_dim;
  e->state = odp_malloc((size_t)e->len * ds * sizeof(float), "episode states");
  e->action = odp_malloc((size_t)e->len * da * sizeof(float), "episode actions");
  if (!e->state || !e->action) return ODP_ERR;
  if (read_rows(ops, root, "data/state", e->start, e->len, ds, e->state) ||
      read_rows(ops, root, "data/action", e->start, e->len, da, e->action))
    return ODP_ERR;
  return check_finite(root, "data/state", e, e->state, ds) || check_finite(root, "data/action", e, e->action, da);
}

// Puts the environment in recorded state s (float32); *err: max |reached - recorded| so far.
static int place_state(Env *env, const float *s, double *set, double *err) {
  for (int i = 0; i < env->ops->state_dim; i++) set[i] = s[i];
  if (env->ops->reset_to_recorded) return env->ops->reset_to_recorded(env->impl, set, err);
  return env_reset_to_state(env, set);
}

// Renders every frame of the episode into the GIF.
static int render_episode(const EnvOps *ops, const Episode *e, int ep, int size, int replay, GifWriter *gif,
                          double *pose_err) {
  const int ds = ops->state_dim, da = ops->action_dim;
  Env env = {0};
  uint8_t *rgb = odp_malloc((size_t)size * size * 3, "frame");
  double *buf = odp_malloc((size_t)(ds + da) * sizeof(double), "state");
  int rc = rgb && buf && !env_create(&env, ops->name) ? ODP_OK : ODP_ERR;
  if (!rc && replay && e->from_first_state) rc = place_state(&env, e->state, buf, pose_err);
  else if (!rc && replay) rc = env_reset(&env, (uint32_t)ep);
  for (int64_t t = 0; !rc && t < e->len; t++) {
    if (!replay) {
      rc = place_state(&env, e->state + t * ds, buf, pose_err);
    } else if (t > 0) {
      for (int j = 0; j < da; j++) buf[j] = e->action[(t - 1) * da + j];
      EnvStep out;
      rc = env_step(&env, buf, &out);
    }
    if (!rc) rc = env_frame(&env, size, t > 0 ? e->action + (t - 1) * da : NULL, rgb);
    if (!rc) rc = gif_add_frame(gif, rgb);
  }
  free(rgb), free(buf);
  env_destroy(&env);
  return rc;
}

// The environment a robomimic file's demos are of: its env_args' onedp.task, else the
// arm task of its env_name; "" when neither says.
static const char *robomimic_env(const char *path, char *buf, int size) {
  static const char *const names[][2] = {{"Lift", "lift"}, {"PickPlaceCan", "can"}, {"NutAssemblySquare", "square"}};
  RmFile *f = rm_open(path);
  cJSON *args = f ? cJSON_Parse(rm_env_args(f)) : NULL;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(args, "onedp"), "task");
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(args, "env_name");
  buf[0] = 0;
  if (cJSON_IsString(t)) snprintf(buf, (size_t)size, "%s", t->valuestring);
  for (int i = 0; i < 3 && !buf[0] && cJSON_IsString(n); i++)
    if (!strcmp(n->valuestring, names[i][0])) snprintf(buf, (size_t)size, "%s", names[i][1]);
  cJSON_Delete(args);
  rm_close(f);
  return buf;
}

int cmd_render(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  static const char *const valued[] = {"--episode", "--out", "--size", "--env", NULL};
  const char *root = arg_positional(argc, argv, valued), *out = arg_string(argc, argv, "--out", NULL);
  const char *name = arg_string(argc, argv, "--env", NULL);
  char task[64];
  if (!name) name = root && rm_is_path(root) ? robomimic_env(root, task, sizeof task) : env_registry()[0]->name;
  const EnvOps *ops = env_find(name);
  if (!ops || !ops->frame || (!ops->demo_store && !root) || !ops->n_cameras)
    return fprintf(stderr, "onedp render: --env %s: %s\n", name, ops ? "has no demonstrations to draw" : odp_error()), 2;
  int ep = arg_int(argc, argv, "--episode", -1, 0, 1 << 30);
  int size = arg_int(argc, argv, "--size", ops->cameras[0].height, 1, 1 << 14);
  int replay = arg_flag(argc, argv, "--replay");
  if (!root) root = ops->demo_store;
  const char *missing = ep < 0 ? "--episode N" : !out ? "--out FILE.gif" : NULL;
  if (missing) return fprintf(stderr, "onedp render: missing %s (see onedp render --help)\n", missing), 2;
  if (!env_frame_size_ok(ops, size))
    return fprintf(stderr, "onedp render: --size must be %d or %d (got %d)\n", ops->cameras[0].height, ops->canvas_size,
                   size), 2;
  Episode e = {0};
  double pose_err = 0;  // states mode: how far the environment landed from the recorded poses
  GifWriter *gif = NULL;
  int rc = load_episode(ops, root, ep, &e);
  if (!rc && !(gif = gif_open(out, size, size, 100 / ops->control_hz))) rc = ODP_ERR;
  if (!rc) rc = render_episode(ops, &e, ep, size, replay, gif, &pose_err);
  if (gif && rc) gif_abort(gif);
  else if (gif) rc = gif_close(gif);
  free(e.state), free(e.action);
  if (rc) {
    fprintf(stderr, "onedp render: %s\n", odp_error());
    return 1;
  }
  printf("wrote %s: episode %d, %lld frames of %dx%d\n", out, ep, (long long)e.len, size, size);
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "out", out);
  cJSON_AddNumberToObject(j, "episode", ep);
  cJSON_AddNumberToObject(j, "frames", (double)e.len);
  cJSON_AddNumberToObject(j, "size", size);
  cJSON_AddBoolToObject(j, "replay", replay);
  if (!replay) cJSON_AddNumberToObject(j, "max_pose_error_px", pose_err);
  char *line = cJSON_PrintUnformatted(j);
  printf("%s\n", line);
  free(line);
  cJSON_Delete(j);
  return 0;
}
