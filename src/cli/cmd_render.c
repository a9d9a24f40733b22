// onedp render [PATH] --episode N --out FILE.gif: an animated GIF of a PushT
// demonstration, drawn by the environment's renderer with the action target marked.
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "data/zarr.h"
#include "env/pusht.h"
#include "eval/frame.h"
#include "io/gif.h"

#define DEFAULT_STORE "../shared/data/pusht/pusht_cchi_v7_replay.zarr"

static void usage(FILE *f) {
  fprintf(f,
          "usage: onedp render [PATH] --episode N --out FILE.gif [--size 96|512] [--replay]\n\n"
          "Writes episode N of a PushT zarr store (default " DEFAULT_STORE ")\n"
          "as a looping 10 frames/s GIF. Each frame is the environment's rendering of the\n"
          "recorded state (the environment reset to it, pre-compensating the legacy\n"
          "set-state shift, then its one settling physics step: max_pose_error_px), or\n"
          "with --replay the state reached by replaying the recorded actions from\n"
          "reset(seed = N), whose contact marks are those of the recorded step. As in the\n"
          "reference videos, frame t carries a red cross at action[t-1], the target that\n"
          "led to it. --size 96 is the observation image, 512 the full canvas.\n"
          "The last line is one JSON object.\n");
}

typedef struct {
  int64_t start, len;
  float *state;   // (len, 5)
  float *action;  // (len, 2)
} Episode;

// Rows [row0, row0 + n) of root/name as floats; each row must hold `elems` values.
static int read_rows(const char *root, const char *name, int64_t row0, int64_t n, int64_t elems, float *out) {
  ZarrArray *a = zarr_open(root, name);
  int rc = !a ? ODP_ERR
           : zarr_row_elems(a) != elems
               ? odp_fail("%s: zarr array '%s' has %lld values per row, PushT needs %lld", root, name,
                          (long long)zarr_row_elems(a), (long long)elems)
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

static int load_episode(const char *root, int ep, Episode *e) {
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
  e->state = odp_malloc((size_t)e->len * 5 * sizeof(float), "episode states");
  e->action = odp_malloc((size_t)e->len * 2 * sizeof(float), "episode actions");
  if (!e->state || !e->action) return ODP_ERR;
  if (read_rows(root, "data/state", e->start, e->len, 5, e->state) ||
      read_rows(root, "data/action", e->start, e->len, 2, e->action))
    return ODP_ERR;
  return check_finite(root, "data/state", e, e->state, 5) || check_finite(root, "data/action", e, e->action, 2);
}

// Puts the environment in recorded state s (float32). reset_to_state applies the
// reference's legacy order (position, then angle about the centre of gravity), which
// moves the block origin by an angle-dependent offset; one reset measures that
// offset, a second one pre-compensates it. *err: max |reached - recorded| so far (px).
static int place_state(PushT *env, const float *s, double *err) {
  double want[PUSHT_STATE_DIM], set[PUSHT_STATE_DIM], got[PUSHT_STATE_DIM];
  for (int i = 0; i < PUSHT_STATE_DIM; i++) want[i] = set[i] = s[i];
  for (int pass = 0; pass < 2; pass++) {
    if (pusht_reset_to_state(env, set)) return ODP_ERR;
    pusht_state(env, got);
    for (int i = 2; i < 4; i++) set[i] -= got[i] - want[i];
  }
  for (int i = 0; i < 4; i++) *err = fmax(*err, fabs(got[i] - want[i]));
  return ODP_OK;
}

// Renders every frame of the episode into the GIF.
static int render_episode(const Episode *e, int ep, int size, int replay, GifWriter *gif, double *pose_err) {
  PushT *env = pusht_create();
  uint8_t *rgb = odp_malloc((size_t)size * size * 3, "frame");
  int rc = env && rgb ? ODP_OK : ODP_ERR;
  if (!rc && replay) rc = pusht_reset(env, (uint32_t)ep);
  for (int64_t t = 0; !rc && t < e->len; t++) {
    if (!replay) {
      rc = place_state(env, e->state + t * 5, pose_err);
    } else if (t > 0) {
      double a[2] = {e->action[(t - 1) * 2], e->action[(t - 1) * 2 + 1]};
      EnvStep out;
      rc = pusht_step(env, a, &out);
    }
    if (!rc) rc = frame_render(env, size, t > 0 ? e->action + (t - 1) * 2 : NULL, rgb);
    if (!rc) rc = gif_add_frame(gif, rgb);
  }
  free(rgb);
  if (env) pusht_destroy(env);
  return rc;
}

int cmd_render(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  static const char *const valued[] = {"--episode", "--out", "--size", NULL};
  const char *root = arg_positional(argc, argv, valued), *out = arg_string(argc, argv, "--out", NULL);
  int ep = arg_int(argc, argv, "--episode", -1, 0, 1 << 30), size = arg_int(argc, argv, "--size", 96, 96, 512);
  int replay = arg_flag(argc, argv, "--replay");
  if (!root) root = DEFAULT_STORE;
  const char *missing = ep < 0 ? "--episode N" : !out ? "--out FILE.gif" : NULL;
  if (missing) return fprintf(stderr, "onedp render: missing %s (see onedp render --help)\n", missing), 2;
  if (size != 96 && size != 512) return fprintf(stderr, "onedp render: --size must be 96 or 512 (got %d)\n", size), 2;
  Episode e = {0};
  double pose_err = 0;  // states mode: how far the environment landed from the recorded poses
  GifWriter *gif = NULL;
  int rc = load_episode(root, ep, &e);
  if (!rc && !(gif = gif_open(out, size, size, 10))) rc = ODP_ERR;
  if (!rc) rc = render_episode(&e, ep, size, replay, gif, &pose_err);
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
