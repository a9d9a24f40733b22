#include "env/pusht_demo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/stats.h"
#include "data/zarr.h"
#include "env/pusht.h"

// Reads a whole array as f32 (or i64) after checking its row shape.
static int read_all(const char *root, const char *name, int64_t row_elems, ZarrType type, int64_t *rows,
                    void **out) {
  *out = NULL;
  ZarrArray *a = zarr_open(root, name);
  if (!a) return ODP_ERR;
  int rc = ODP_ERR;
  if (zarr_row_elems(a) != row_elems) {
    odp_fail("%s/%s: %lld elements per row, expected %lld", root, name, (long long)zarr_row_elems(a),
             (long long)row_elems);
    goto done;
  }
  *rows = zarr_rows(a);
  *out = odp_malloc((unsigned long)(*rows * row_elems) * zarr_type_size(type), name);
  if (!*out) goto done;
  rc = zarr_read_rows(a, 0, *rows, type, *out);
  for (int64_t i = 0; type == ZARR_F32 && !rc && i < *rows * row_elems; i++) {
    float v = ((const float *)*out)[i];  // a NaN pose would reach the physics engine
    if (!isfinite(v))
      rc = odp_fail("%s: zarr array '%s' row %lld element %lld is %s", root, name, (long long)(i / row_elems),
                    (long long)(i % row_elems), isnan(v) ? "NaN" : "infinite");
  }
done:
  zarr_close(a);
  return rc;
}

int pusht_demo_load(PushTDemo *d, const char *root) {
  memset(d, 0, sizeof *d);
  int64_t n[4], ne;
  if (read_all(root, "data/state", 5, ZARR_F32, &n[0], (void **)&d->state) ||
      read_all(root, "data/action", 2, ZARR_F32, &n[1], (void **)&d->action) ||
      read_all(root, "data/keypoint", 18, ZARR_F32, &n[2], (void **)&d->keypoint) ||
      read_all(root, "data/n_contacts", 1, ZARR_F32, &n[3], (void **)&d->n_contacts) ||
      read_all(root, "meta/episode_ends", 1, ZARR_I64, &ne, (void **)&d->ends)) {
    pusht_demo_free(d);
    return ODP_ERR;
  }
  d->steps = n[0];
  d->episodes = ne;
  int rc = ODP_OK;
  if (n[1] != n[0] || n[2] != n[0] || n[3] != n[0])
    rc = odp_fail("%s: data/state, action, keypoint and n_contacts disagree on the number of steps", root);
  else if (ne < 1 || d->ends[ne - 1] != n[0])
    rc = odp_fail("%s: meta/episode_ends does not end at the %lld steps of the data", root, (long long)n[0]);
  for (int64_t i = 0; i < ne && !rc; i++)
    if (d->ends[i] <= pusht_demo_start(d, i))
      rc = odp_fail("%s: meta/episode_ends[%lld] = %lld is not increasing", root, (long long)i, (long long)d->ends[i]);
  if (rc) pusht_demo_free(d);
  return rc;
}

void pusht_demo_free(PushTDemo *d) {
  free(d->state);
  free(d->action);
  free(d->keypoint);
  free(d->n_contacts);
  free(d->ends);
  memset(d, 0, sizeof *d);
}

// Largest keypoint distance (px) between R(angle)·kp_local + pos of the recorded
// state and the recorded keypoints of one row.
static double keypoint_error(const float *state, const float *kp) {
  double ours[18], worst = 0;
  pusht_block_keypoints(state[2], state[3], state[4], ours);
  for (int k = 0; k < 9; k++) worst = fmax(worst, hypot(ours[2 * k] - kp[2 * k], ours[2 * k + 1] - kp[2 * k + 1]));
  return worst;
}

int pusht_demo_contact_free(const PushTDemo *d, int64_t ep, int64_t t) {
  return d->n_contacts[t] == 0 && (t == pusht_demo_start(d, ep) || d->n_contacts[t - 1] == 0);
}

static int within_tol(const double *s, const float *rec) {
  for (int k = 0; k < 4; k++)
    if (fabs(s[k] - rec[k]) > 1.0) return 0;
  double da = fabs(s[4] - rec[4]);
  return fmin(da, 2 * M_PI - da) <= 0.01;  // angles wrap at 2pi
}

static int bit_exact(const double *s, const float *rec) {
  for (int k = 0; k < 5; k++)
    if ((float)s[k] != rec[k]) return 0;
  return 1;
}

// One episode; returns its first non-bit-exact step (its length if none).
static int64_t replay_episode(PushT *env, const PushTDemo *d, int64_t ep, PushTReplayStats *st) {
  int64_t t0 = pusht_demo_start(d, ep), t1 = d->ends[ep], diverged = t1 - t0;
  pusht_reset(env, (uint32_t)ep);
  for (int64_t t = t0; t < t1; t++) {
    double s[5], a[2] = {d->action[2 * t], d->action[2 * t + 1]};
    pusht_state(env, s);
    st->within_tol += within_tol(s, &d->state[5 * t]);
    int exact = bit_exact(s, &d->state[5 * t]);
    st->bit_exact += exact;
    if (!exact && diverged == t1 - t0) diverged = t - t0;
    double kerr = keypoint_error(&d->state[5 * t], &d->keypoint[18 * t]);
    if (!pusht_demo_contact_free(d, ep, t)) {
      st->contact_rows++;
      st->kp_max_err_contact = fmax(st->kp_max_err_contact, kerr);
    } else {
      st->free_rows++;
      st->kp_max_err_free = fmax(st->kp_max_err_free, kerr);
    }
    if (t + 1 < t1) pusht_step(env, a, NULL);
  }
  st->steps += t1 - t0;
  return diverged;
}

int pusht_demo_replay(const PushTDemo *d, int64_t ep0, int64_t ep1, PushTReplayStats *st) {
  memset(st, 0, sizeof *st);
  if (ep0 < 0 || ep1 > d->episodes || ep0 >= ep1)
    return odp_fail("replay: episodes [%lld, %lld) outside [0, %lld)", (long long)ep0, (long long)ep1,
                    (long long)d->episodes);
  PushT *env = pusht_create();
  double *div = odp_malloc(sizeof(double) * (unsigned long)(ep1 - ep0), "divergence steps");
  if (!env || !div) {
    pusht_destroy(env);
    free(div);
    return ODP_ERR;
  }
  for (int64_t ep = ep0; ep < ep1; ep++) {
    int64_t first = replay_episode(env, d, ep, st);
    div[ep - ep0] = (double)first;
    st->episodes_exact += first == d->ends[ep] - pusht_demo_start(d, ep);
  }
  st->episodes = ep1 - ep0;
  st->median_divergence_step = median_inplace(div, st->episodes);
  free(div);
  pusht_destroy(env);
  return ODP_OK;
}

// Sum of |ours - recorded| over one episode's frames; images stream chunk by chunk.
static int episode_render_error(PushT *env, const PushTDemo *d, ZarrArray *img, int64_t ep, PushTRenderStats *st) {
  enum { N = PUSHT_IMAGE * PUSHT_IMAGE * 3 };
  float rec[N];
  uint8_t ours[N];
  int64_t t0 = pusht_demo_start(d, ep), t1 = d->ends[ep];
  if (pusht_reset(env, (uint32_t)ep)) return ODP_ERR;
  for (int64_t t = t0; t < t1; t++) {
    if (zarr_read_rows(img, t, 1, ZARR_F32, rec) || pusht_render(env, ours)) return ODP_ERR;
    double s = 0;
    for (int i = 0; i < N; i++) {
      double e = fabs((double)ours[i] - rec[i]);
      s += e;
      st->max_abs = fmax(st->max_abs, e);
    }
    st->mae += s;
    st->frames_exact += s == 0;
    double a[2] = {d->action[2 * t], d->action[2 * t + 1]};
    if (t + 1 < t1 && pusht_step(env, a, NULL)) return ODP_ERR;
  }
  return ODP_OK;
}

int pusht_demo_render_error(const PushTDemo *d, const char *root, int64_t ep0, int64_t ep1, PushTRenderStats *st) {
  memset(st, 0, sizeof *st);
  if (ep0 < 0 || ep1 > d->episodes || ep0 >= ep1) return odp_fail("render error: bad episode range");
  ZarrArray *img = zarr_open(root, "data/img");
  if (!img) return ODP_ERR;
  if (zarr_row_elems(img) != PUSHT_IMAGE * PUSHT_IMAGE * 3 || zarr_rows(img) != d->steps) {
    zarr_close(img);
    return odp_fail("%s/data/img: expected (%lld, 96, 96, 3)", root, (long long)d->steps);
  }
  PushT *env = pusht_create();
  int rc = env ? ODP_OK : ODP_ERR;
  for (int64_t ep = ep0; ep < ep1 && !rc; ep++) rc = episode_render_error(env, d, img, ep, st);
  pusht_destroy(env);
  zarr_close(img);
  st->frames = d->ends[ep1 - 1] - pusht_demo_start(d, ep0);
  st->mae /= (double)st->frames * PUSHT_IMAGE * PUSHT_IMAGE * 3;
  return rc;
}
