// Sequence dataset: see sequence.h. The episode split reproduces numpy's
// default_rng(seed).choice(n, k, replace=False) (SeedSequence -> PCG64 -> Floyd's
// sampling + shuffle), which is what the reference's get_val_mask/downsample_mask call.
#include "data/sequence.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "data/zarr.h"

#define SEQ_PURPOSE_SHUFFLE 0x30  // Philox stream ODP_STREAM(epoch, purpose) of the epoch permutation

// ---------------------------------------------------------------------------
// numpy's Generator(PCG64(SeedSequence(seed))), only what choice() without replacement uses.

typedef unsigned __int128 u128;

typedef struct {
  u128 state, inc;
  int has_u32;
  uint32_t u32;
} Pcg64;

static uint32_t ss_hashmix(uint32_t value, uint32_t *hash_const) {
  value ^= *hash_const;
  *hash_const *= 0x931e8875u;
  value *= *hash_const;
  return value ^ (value >> 16);
}

static uint32_t ss_mix(uint32_t x, uint32_t y) {
  uint32_t r = 0xca01f9ddu * x - 0x4973f715u * y;
  return r ^ (r >> 16);
}

// out: (4,) uint64 words of SeedSequence(seed).generate_state(4, np.uint64), seed < 2^32.
static void seed_sequence_u64x4(uint64_t out[4], uint32_t seed) {
  uint32_t pool[4], h = 0x43b0d7e5u;
  for (int i = 0; i < 4; i++) pool[i] = ss_hashmix(i == 0 ? seed : 0, &h);
  for (int s = 0; s < 4; s++)
    for (int d = 0; d < 4; d++)
      if (s != d) pool[d] = ss_mix(pool[d], ss_hashmix(pool[s], &h));
  uint32_t w[8], hb = 0x8b51f9ddu;
  for (int i = 0; i < 8; i++) {
    uint32_t v = pool[i % 4] ^ hb;
    hb *= 0x58f38dedu;
    v *= hb;
    w[i] = v ^ (v >> 16);
  }
  for (int i = 0; i < 4; i++) out[i] = (uint64_t)w[2 * i] | (uint64_t)w[2 * i + 1] << 32;
}

static const u128 PCG_MULT = ((u128)2549297995355413924ull << 64) | 4865540595714422341ull;

static void pcg_step(Pcg64 *g) { g->state = g->state * PCG_MULT + g->inc; }

static void pcg64_seed(Pcg64 *g, uint32_t seed) {
  uint64_t v[4];
  seed_sequence_u64x4(v, seed);
  u128 init_state = ((u128)v[0] << 64) | v[1], init_seq = ((u128)v[2] << 64) | v[3];
  g->state = 0;
  g->inc = (init_seq << 1) | 1;
  pcg_step(g);
  g->state += init_state;
  pcg_step(g);
  g->has_u32 = 0;
}

static uint64_t pcg64_next64(Pcg64 *g) {  // XSL-RR output of the stepped state
  pcg_step(g);
  uint64_t x = (uint64_t)(g->state >> 64) ^ (uint64_t)g->state;
  unsigned rot = (unsigned)(g->state >> 122);
  return (x >> rot) | (x << ((64 - rot) & 63));
}

static uint32_t pcg64_next32(Pcg64 *g) {  // numpy buffers the high half for the next call
  if (g->has_u32) {
    g->has_u32 = 0;
    return g->u32;
  }
  uint64_t x = pcg64_next64(g);
  g->has_u32 = 1;
  g->u32 = (uint32_t)(x >> 32);
  return (uint32_t)x;
}

// Uniform integer in [0, hi] (hi < 2^32 - 1): numpy's Lemire rejection on 32-bit draws.
static uint32_t pcg64_bounded(Pcg64 *g, uint32_t hi) {
  if (hi == 0) return 0;
  uint32_t excl = hi + 1;
  uint64_t m = (uint64_t)pcg64_next32(g) * excl;
  uint32_t left = (uint32_t)m;
  if (left < excl) {
    uint32_t threshold = (UINT32_MAX - hi) % excl;
    while (left < threshold) {
      m = (uint64_t)pcg64_next32(g) * excl;
      left = (uint32_t)m;
    }
  }
  return (uint32_t)(m >> 32);
}

// out: (k,) default_rng(seed).choice(n, size=k, replace=False) for n <= 10000 (Floyd's path).
static void np_choice(int *out, int n, int k, uint32_t seed) {
  Pcg64 g;
  pcg64_seed(&g, seed);
  char *taken = calloc((size_t)n, 1);
  for (int j = n - k; j < n; j++) {
    int v = (int)pcg64_bounded(&g, (uint32_t)j);
    if (taken[v]) v = j;  // Floyd: a repeat means j itself, never drawn before
    taken[v] = 1;
    out[j - (n - k)] = v;
  }
  free(taken);
  for (int i = k - 1; i >= 1; i--) {  // numpy then shuffles the sample
    int j = (int)pcg64_bounded(&g, (uint32_t)i), t = out[j];
    out[j] = out[i];
    out[i] = t;
  }
}

// ---------------------------------------------------------------------------

struct SeqDataset {
  SeqConfig cfg;
  int obs_dim, action_dim, n_episodes;
  long n_rows;
  float *obs, *action;    // (n_rows, dim)
  unsigned char *images[SEQ_MAX_CAMERAS];  // camera c's (n_rows, image_h, image_w, 3) or NULL
  int image_h, image_w;                    // every camera's
  int64_t *episode_ends;  // (n_episodes,)
  char *train_mask;       // (n_episodes,)
  SeqWindow *win[2];      // per split
  long n_win[2];
  long *perm;  // cached permutation of train windows for (perm_seed, perm_epoch)
  int perm_valid;
  uint64_t perm_seed, perm_epoch;
};

SeqConfig seq_config_default(void) {
  SeqConfig c = {SEQ_OBS_KEYPOINT, 16, 2, 8, 0.02, 42, 90};
  return c;
}

int seq_obs_key_parse(SeqObsKey *key, const char *name) {
  if (!strcmp(name, "keypoint"))
    *key = SEQ_OBS_KEYPOINT;
  else if (!strcmp(name, "state"))
    *key = SEQ_OBS_STATE;
  else if (!strcmp(name, "agent_pos"))
    *key = SEQ_OBS_AGENT_POS;
  else
    return odp_fail("dataset: unknown obs_key '%s' (keypoint, state or agent_pos)", name);
  return ODP_OK;
}

int seq_obs_dim(SeqObsKey key) { return key == SEQ_OBS_STATE ? 5 : key == SEQ_OBS_AGENT_POS ? 2 : 20; }

// mask: (n,) the reference's train mask: ~get_val_mask, then downsample_mask.
static void train_mask(char *mask, int n, const SeqConfig *c) {
  memset(mask, 1, (size_t)n);
  int *idx = malloc(sizeof(int) * (size_t)n);
  if (c->val_ratio > 0) {
    int n_val = (int)rint(n * c->val_ratio);  // Python round(): half to even
    n_val = n_val < 1 ? 1 : n_val > n - 1 ? n - 1 : n_val;
    np_choice(idx, n, n_val, c->split_seed);
    for (int i = 0; i < n_val; i++) mask[idx[i]] = 0;
  }
  int n_train = 0, *cur = malloc(sizeof(int) * (size_t)n);
  for (int i = 0; i < n; i++)
    if (mask[i]) cur[n_train++] = i;
  if (c->max_train_episodes > 0 && n_train > c->max_train_episodes) {
    np_choice(idx, n_train, c->max_train_episodes, c->split_seed);
    memset(mask, 0, (size_t)n);
    for (int i = 0; i < c->max_train_episodes; i++) mask[cur[idx[i]]] = 1;
  }
  free(cur);
  free(idx);
}

// The reference's create_indices for the episodes whose mask equals `want`.
// out may be NULL (count only); returns the number of windows.
static long create_indices(SeqWindow *out, const int64_t *ends, int n_ep, const char *mask, int want, int T,
                           int pad_before, int pad_after) {
  pad_before = pad_before < 0 ? 0 : pad_before > T - 1 ? T - 1 : pad_before;
  pad_after = pad_after < 0 ? 0 : pad_after > T - 1 ? T - 1 : pad_after;
  long n = 0;
  for (int e = 0; e < n_ep; e++) {
    if (!mask[e] != !want) continue;
    int64_t start = e ? ends[e - 1] : 0, len = ends[e] - start;
    for (int64_t i = -pad_before; i <= len - T + pad_after; i++, n++) {
      if (!out) continue;
      int64_t bs = (i > 0 ? i : 0) + start, be = (i + T < len ? i + T : len) + start;
      SeqWindow w = {bs, be, bs - (i + start), T - ((i + T + start) - be)};
      out[n] = w;
    }
  }
  return n;
}

static int check_finite(const float *x, long n, int dim, const char *what) {
  for (long i = 0; i < n * dim; i++)
    if (!isfinite(x[i]))
      return odp_fail("dataset: %s row %ld, element %d is %g", what, i / dim, (int)(i % dim), (double)x[i]);
  return ODP_OK;
}

static int check_config(const SeqConfig *c) {
  if (c->horizon < 1) return odp_fail("dataset: horizon %d < 1", c->horizon);
  if (c->n_obs_steps < 1 || c->n_obs_steps > c->horizon)
    return odp_fail("dataset: n_obs_steps %d not in 1..horizon (%d)", c->n_obs_steps, c->horizon);
  if (c->n_action_steps < 1 || c->n_action_steps > c->horizon)
    return odp_fail("dataset: n_action_steps %d not in 1..horizon (%d)", c->n_action_steps, c->horizon);
  if (!(c->val_ratio < 1)) return odp_fail("dataset: val_ratio %g must be below 1", c->val_ratio);
  return ODP_OK;
}

static int check_episode_ends(const int64_t *ends, int n_ep, long n_rows) {
  if (n_ep < 1) return odp_fail("dataset: meta/episode_ends is empty");
  for (int e = 0; e < n_ep; e++)
    if (ends[e] < (e ? ends[e - 1] : 0) || ends[e] > n_rows)
      return odp_fail("dataset: meta/episode_ends[%d] = %lld is not in [%lld, %ld]", e, (long long)ends[e],
                      (long long)(e ? ends[e - 1] : 0), n_rows);
  if (n_ep > 10000)  // np_choice follows numpy's small-population (Floyd) path only
    return odp_fail("dataset: %d episodes; the numpy-exact split supports up to 10000", n_ep);
  if (ends[n_ep - 1] != n_rows)
    return odp_fail("dataset: meta/episode_ends ends at %lld, the data has %ld rows", (long long)ends[n_ep - 1],
                    n_rows);
  return ODP_OK;
}

// An empty episode gets windows when the pads reach the horizon (pad_before + pad_after
// >= T): windows without a single row to repeat, which the reference fails to sample.
static int check_empty_episodes(const int64_t *ends, int n_ep, const SeqConfig *c) {
  if (c->n_obs_steps - 1 + c->n_action_steps - 1 < c->horizon) return ODP_OK;
  for (int e = 0; e < n_ep; e++)
    if (ends[e] == (e ? ends[e - 1] : 0))
      return odp_fail("dataset: episode %d is empty, and n_obs_steps %d + n_action_steps %d - 2 >= horizon %d "
                      "would give it windows with no rows", e, c->n_obs_steps, c->n_action_steps, c->horizon);
  return ODP_OK;
}

// Takes ownership of obs/action/ends (freed on failure too).
static SeqDataset *build(float *obs, int obs_dim, float *action, int action_dim, long n_rows, int64_t *ends, int n_ep,
                         const SeqConfig *cfg) {
  SeqDataset *ds = calloc(1, sizeof *ds);
  if (!ds || check_config(cfg) || check_episode_ends(ends, n_ep, n_rows) || check_empty_episodes(ends, n_ep, cfg)) {
    if (!ds) odp_fail("dataset: out of memory");
    free(obs), free(action), free(ends), free(ds);
    return NULL;
  }
  ds->cfg = *cfg;
  ds->obs = obs, ds->action = action, ds->episode_ends = ends;
  ds->obs_dim = obs_dim, ds->action_dim = action_dim, ds->n_rows = n_rows, ds->n_episodes = n_ep;
  if (!(ds->train_mask = malloc((size_t)n_ep))) goto oom;
  train_mask(ds->train_mask, n_ep, cfg);
  int T = cfg->horizon, pb = cfg->n_obs_steps - 1, pa = cfg->n_action_steps - 1;
  for (int s = 0; s < 2; s++) {
    int want = s == SEQ_TRAIN;
    ds->n_win[s] = create_indices(NULL, ends, n_ep, ds->train_mask, want, T, pb, pa);
    if (!(ds->win[s] = malloc(sizeof(SeqWindow) * (size_t)(ds->n_win[s] + 1)))) goto oom;
    create_indices(ds->win[s], ends, n_ep, ds->train_mask, want, T, pb, pa);
  }
  if (!(ds->perm = malloc(sizeof(long) * (size_t)(ds->n_win[SEQ_TRAIN] + 1)))) goto oom;
  return ds;
oom:
  seqds_close(ds);
  odp_fail("dataset: out of memory for the windows of %d episodes", n_ep);
  return NULL;
}

SeqDataset *seqds_from_arrays(const float *obs, int obs_dim, const float *action, int action_dim, long n_rows,
                              const int64_t *episode_ends, int n_episodes, const SeqConfig *cfg) {
  if (obs_dim < 1 || action_dim < 1 || n_rows < 1 || n_episodes < 1) {
    odp_fail("dataset: empty arrays (obs_dim %d, action_dim %d, %ld rows, %d episodes)", obs_dim, action_dim, n_rows,
             n_episodes);
    return NULL;
  }
  if (check_finite(obs, n_rows, obs_dim, "obs") || check_finite(action, n_rows, action_dim, "action")) return NULL;
  float *o = malloc(sizeof(float) * (size_t)(n_rows * obs_dim));
  float *a = malloc(sizeof(float) * (size_t)(n_rows * action_dim));
  int64_t *e = malloc(sizeof(int64_t) * (size_t)n_episodes);
  if (!o || !a || !e) {
    free(o), free(a), free(e);
    odp_fail("dataset: out of memory for %ld rows", n_rows);
    return NULL;
  }
  memcpy(o, obs, sizeof(float) * (size_t)(n_rows * obs_dim));
  memcpy(a, action, sizeof(float) * (size_t)(n_rows * action_dim));
  memcpy(e, episode_ends, sizeof(int64_t) * (size_t)n_episodes);
  return build(o, obs_dim, a, action_dim, n_rows, e, n_episodes, cfg);
}

// out: (rows(arr), row_elems) float32 of zarr_path/name, with expected row_elems and row count
// (rows < 0: any). Returns a malloc'd buffer or NULL with an error naming the array.
static float *read_f32(const char *root, const char *name, int64_t elems, int64_t rows, int64_t *rows_out) {
  ZarrArray *arr = zarr_open(root, name);
  if (!arr) return NULL;
  float *x = NULL;
  int64_t n = zarr_rows(arr);
  if (zarr_row_elems(arr) != elems || (rows >= 0 && n != rows))
    odp_fail("%s/%s: %lld rows of %lld elements, expected %lld rows of %lld", root, name, (long long)n,
             (long long)zarr_row_elems(arr), (long long)rows, (long long)elems);
  else if (!(x = malloc(sizeof(float) * (size_t)(n * elems))))
    odp_fail("%s/%s: out of memory", root, name);
  else if (zarr_read_rows(arr, 0, n, ZARR_F32, x) || check_finite(x, n, (int)elems, name)) {
    odp_fail_context("%s", root);
    free(x), x = NULL;
  }
  zarr_close(arr);
  if (rows_out) *rows_out = n;
  return x;
}

static int64_t *read_episode_ends(const char *root, int *n_ep) {
  ZarrArray *arr = zarr_open(root, "meta/episode_ends");
  if (!arr) return NULL;
  int64_t n = zarr_rows(arr), *e = NULL;
  if (zarr_ndim(arr) != 1 || n < 1 || n > 1000000)
    odp_fail("%s/meta/episode_ends: expected a 1-d array of episode ends", root);
  else if (!(e = malloc(sizeof(int64_t) * (size_t)n)))
    odp_fail("%s/meta/episode_ends: out of memory", root);
  else if (zarr_read_rows(arr, 0, n, ZARR_I64, e))
    free(e), e = NULL;
  zarr_close(arr);
  *n_ep = (int)n;
  return e;
}

// obs: (n, 20) keypoints (9 x 2 flattened) then agent_pos = state[:, :2]; (n, 5) state;
// or (n, 2) agent_pos.
static float *assemble_obs(const float *kp, const float *state, long n, SeqObsKey key) {
  int d = seq_obs_dim(key);
  float *obs = malloc(sizeof(float) * (size_t)(n * d));
  if (!obs) return NULL;
  for (long i = 0; i < n; i++) {
    if (key != SEQ_OBS_KEYPOINT) {
      memcpy(obs + i * d, state + i * 5, (size_t)d * sizeof(float));
    } else {
      memcpy(obs + i * d, kp + i * 18, 18 * sizeof(float));
      memcpy(obs + i * d + 18, state + i * 5, 2 * sizeof(float));
    }
  }
  return obs;
}

// (n, H, W, 3) uint8 frames of root/name, read a chunk of rows at a time: every value must
// be a whole number in [0, 255] (a float32 store is converted, not rounded). want_h, want_w:
// the size expected (0: any), checked first.
static unsigned char *read_frames(const char *root, const char *name, int64_t rows, int want_h, int want_w, int *h,
                                  int *w) {
  ZarrArray *arr = zarr_open(root, name);
  if (!arr) return NULL;
  const int64_t *shape = zarr_shape(arr);
  unsigned char *out = NULL;
  float *buf = NULL;
  if (zarr_ndim(arr) != 4 || shape[0] != rows || shape[3] != 3 || shape[1] < 8 || shape[2] < 8 || shape[1] > 4096 ||
      shape[2] > 4096) {
    odp_fail("%s/%s: expected (%lld, H, W, 3) frames (RGB), not shape %s", root, name, (long long)rows,
             zarr_ndim(arr) == 4 ? "(N, H, W, C) with other N or C" : "of another rank");
    goto done;
  }
  if ((want_h && shape[1] != want_h) || (want_w && shape[2] != want_w)) {
    odp_fail("%s/%s: frames are %lld x %lld, the policy's camera expects %d x %d", root, name, (long long)shape[1],
             (long long)shape[2], want_h, want_w);
    goto done;
  }
  *h = (int)shape[1], *w = (int)shape[2];
  const int64_t elems = zarr_row_elems(arr), block = zarr_chunks(arr)[0] > 0 ? zarr_chunks(arr)[0] : 64;
  out = malloc((size_t)(rows * elems));
  buf = malloc(sizeof(float) * (size_t)(block * elems));
  if (!out || !buf) {
    odp_fail("%s/%s: out of memory for %lld frames", root, name, (long long)rows);
    goto fail;
  }
  for (int64_t r0 = 0; r0 < rows; r0 += block) {
    int64_t n = rows - r0 < block ? rows - r0 : block;
    if (zarr_read_rows(arr, r0, n, ZARR_F32, buf)) goto fail;
    for (int64_t i = 0; i < n * elems; i++) {
      float v = buf[i];
      if (!(v >= 0.0f && v <= 255.0f) || v != floorf(v)) {
        odp_fail("%s/%s: row %lld: value %g is not a pixel value (a whole number in [0, 255])", root, name,
                 (long long)(r0 + i / elems), (double)v);
        goto fail;
      }
      out[r0 * elems + i] = (unsigned char)v;
    }
  }
  goto done;
fail:
  free(out), out = NULL;
done:
  free(buf);
  zarr_close(arr);
  return out;
}

SeqDataset *seqds_open(const char *zarr_path, const SeqConfig *cfg) {
  int64_t n = 0;
  int n_ep = 0;
  float *state = read_f32(zarr_path, "data/state", 5, -1, &n), *kp = NULL, *action = NULL, *obs = NULL;
  int64_t *ends = NULL;
  if (!state) goto fail;
  if (cfg->obs_key == SEQ_OBS_KEYPOINT && !(kp = read_f32(zarr_path, "data/keypoint", 18, n, NULL))) goto fail;
  if (!(action = read_f32(zarr_path, "data/action", 2, n, NULL))) goto fail;
  if (!(ends = read_episode_ends(zarr_path, &n_ep))) goto fail;
  if (!(obs = assemble_obs(kp, state, (long)n, cfg->obs_key))) {
    odp_fail("%s: out of memory", zarr_path);
    goto fail;
  }
  free(state), free(kp);
  SeqDataset *ds = build(obs, seq_obs_dim(cfg->obs_key), action, 2, (long)n, ends, n_ep, cfg);
  if (!ds) odp_fail_context("%s", zarr_path);
  return ds;
fail:
  free(state), free(kp), free(action), free(ends);
  return NULL;
}

void seqds_close(SeqDataset *ds) {
  if (!ds) return;
  free(ds->obs), free(ds->action), free(ds->episode_ends), free(ds->train_mask);
  for (int c = 0; c < SEQ_MAX_CAMERAS; c++) free(ds->images[c]);
  free(ds->win[0]), free(ds->win[1]), free(ds->perm);
  free(ds);
}

int seqds_obs_dim(const SeqDataset *ds) { return ds->obs_dim; }
int seqds_action_dim(const SeqDataset *ds) { return ds->action_dim; }
int seqds_horizon(const SeqDataset *ds) { return ds->cfg.horizon; }
int seqds_n_obs_steps(const SeqDataset *ds) { return ds->cfg.n_obs_steps; }
long seqds_count(const SeqDataset *ds, SeqSplit split) { return ds->n_win[split]; }

int seqds_episodes(const SeqDataset *ds, SeqSplit split, int *ids) {
  int n = 0;
  for (int e = 0; e < ds->n_episodes; e++)
    if (!ds->train_mask[e] == (split == SEQ_VAL)) {
      if (ids) ids[n] = e;
      n++;
    }
  return n;
}

SeqWindow seqds_window(const SeqDataset *ds, SeqSplit split, long index) { return ds->win[split][index]; }

// dst: (T, dim) rows of the window, the ends repeated outside [sample_start, sample_end).
// The buffer row window step t reads: the window's ends repeat outside [sample_start, sample_end).
static int64_t window_row(SeqWindow w, int t) {
  return w.buffer_start +
         (t < w.sample_start ? 0 : t >= w.sample_end ? w.buffer_end - w.buffer_start - 1 : t - w.sample_start);
}

static void gather(float *dst, const float *src, int dim, SeqWindow w, int steps) {
  for (int t = 0; t < steps; t++)
    memcpy(dst + (size_t)t * dim, src + window_row(w, t) * dim, sizeof(float) * (size_t)dim);
}

int seqds_get(const SeqDataset *ds, SeqSplit split, long index, float *obs, float *action) {
  if (index < 0 || index >= ds->n_win[split])
    return odp_fail("dataset: window %ld out of range (%s split has %ld)", index, split == SEQ_TRAIN ? "train" : "val",
                    ds->n_win[split]);
  SeqWindow w = ds->win[split][index];
  if (obs) gather(obs, ds->obs, ds->obs_dim, w, ds->cfg.horizon);
  if (action) gather(action, ds->action, ds->action_dim, w, ds->cfg.horizon);
  return ODP_OK;
}

const float *seqds_rows(const SeqDataset *ds, SeqField which, long *n_rows) {
  if (n_rows) *n_rows = ds->n_rows;
  return which == SEQ_OBS ? ds->obs : ds->action;
}

int seqds_fit_normalizers(const SeqDataset *ds, Normalizer *obs, Normalizer *action) {
  if (normalizer_fit_limits(obs, ds->obs, ds->n_rows, ds->obs_dim, "obs")) return ODP_ERR;
  return normalizer_fit_limits(action, ds->action, ds->n_rows, ds->action_dim, "action");
}

int seqds_permutation(SeqDataset *ds, uint64_t seed, uint64_t epoch, long *perm) {
  long n = ds->n_win[SEQ_TRAIN];
  Rng r = rng_make(seed, ODP_STREAM(epoch, SEQ_PURPOSE_SHUFFLE));
  for (long i = 0; i < n; i++) perm[i] = i;
  for (long i = n - 1; i >= 1; i--) {  // Fisher-Yates; j = floor(u64 * (i+1) / 2^64)
    uint64_t u = (uint64_t)rng_u32(r, 2 * (uint64_t)i) << 32 | rng_u32(r, 2 * (uint64_t)i + 1);
    long j = (long)(((u128)u * (u128)(i + 1)) >> 64), t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return ODP_OK;
}

long seqds_batches_per_epoch(const SeqDataset *ds, long B) { return B > 0 ? (ds->n_win[SEQ_TRAIN] + B - 1) / B : 0; }

// The train windows of batch `batch_index` in epoch `epoch`: *first into ds->perm; returns
// how many (0 past the end) or -1.
static long batch_windows(SeqDataset *ds, uint64_t seed, uint64_t epoch, long batch_index, long B, long *first) {
  long n = ds->n_win[SEQ_TRAIN];
  *first = 0;
  if (B < 1 || batch_index < 0) return odp_fail("dataset: batch %ld of size %ld", batch_index, B);
  if (!ds->perm_valid || ds->perm_seed != seed || ds->perm_epoch != epoch) {
    seqds_permutation(ds, seed, epoch, ds->perm);
    ds->perm_valid = 1, ds->perm_seed = seed, ds->perm_epoch = epoch;
  }
  *first = batch_index * B;
  return *first >= n ? 0 : (n - *first < B ? n - *first : B);
}

long seqds_batch(SeqDataset *ds, uint64_t seed, uint64_t epoch, long batch_index, long B, float *obs, float *action) {
  long first, m = batch_windows(ds, seed, epoch, batch_index, B, &first);
  int To = ds->cfg.n_obs_steps, T = ds->cfg.horizon;
  for (long b = 0; b < m; b++) {
    SeqWindow w = ds->win[SEQ_TRAIN][ds->perm[first + b]];
    if (obs) gather(obs + (size_t)b * To * ds->obs_dim, ds->obs, ds->obs_dim, w, To);
    if (action) gather(action + (size_t)b * T * ds->action_dim, ds->action, ds->action_dim, w, T);
  }
  return m;
}

static void window_rows(int64_t *rows, SeqWindow w, int steps) {
  for (int t = 0; t < steps; t++) rows[t] = window_row(w, t);
}

long seqds_batch_rows(SeqDataset *ds, uint64_t seed, uint64_t epoch, long batch_index, long B, int64_t *rows) {
  long first, m = batch_windows(ds, seed, epoch, batch_index, B, &first);
  const int To = ds->cfg.n_obs_steps;
  for (long b = 0; b < m; b++) window_rows(rows + b * To, ds->win[SEQ_TRAIN][ds->perm[first + b]], To);
  return m;
}

int seqds_window_rows(const SeqDataset *ds, SeqSplit split, long index, int64_t *rows) {
  if (index < 0 || index >= ds->n_win[split]) return odp_fail("dataset: window %ld out of range", index);
  window_rows(rows, ds->win[split][index], ds->cfg.n_obs_steps);
  return ODP_OK;
}

static int check_camera(int camera) {
  return camera >= 0 && camera < SEQ_MAX_CAMERAS ? ODP_OK : odp_fail("dataset: no camera slot %d", camera);
}

int seqds_load_frames(SeqDataset *ds, int camera, const char *zarr_path, const char *array, int height, int width) {
  if (check_camera(camera)) return ODP_ERR;
  int h, w;
  unsigned char *frames = read_frames(zarr_path, array, ds->n_rows, height, width, &h, &w);
  return frames ? seqds_set_frames(ds, camera, frames, h, w) : ODP_ERR;
}

int seqds_set_frames(SeqDataset *ds, int camera, unsigned char *frames, int height, int width) {
  int other = -1;  // another camera's frames fix the size
  for (int c = 0; c < SEQ_MAX_CAMERAS; c++)
    if (c != camera && ds->images[c]) other = c;
  if (check_camera(camera) || (other >= 0 && (height != ds->image_h || width != ds->image_w))) {
    if (other >= 0) odp_fail("dataset: camera %d's frames are %d x %d, camera %d's %d x %d", camera, height, width, other,
                             ds->image_h, ds->image_w);
    free(frames);
    return ODP_ERR;
  }
  free(ds->images[camera]);
  ds->images[camera] = frames, ds->image_h = height, ds->image_w = width;
  return ODP_OK;
}

const unsigned char *seqds_image(const SeqDataset *ds, int camera, int64_t row) {
  return ds->images[camera] + (size_t)row * ds->image_h * ds->image_w * 3;
}
