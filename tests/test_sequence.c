// Sequence dataset: episode split and window index set against the reference's
// Python (oracle file from tests/ref/sequence_ref.py, path in argv[1] or
// $ONEDP_BUILD/sequence_ref.txt), padding by repeated end frames, batch determinism
// and coverage, errors, and the PushT demonstration store.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/sequence.h"
#include "data/zarr.h"
#include "test.h"

#define PUSHT "../shared/data/pusht/pusht_cchi_v7_replay.zarr"

// A dataset of n_ep episodes with the given ends; obs row r = (r, -r), action row r = (10 r, 10 r + 1).
static SeqDataset *synthetic(const int64_t *ends, int n_ep, const SeqConfig *cfg) {
  long n = (long)ends[n_ep - 1];
  float *obs = malloc(sizeof(float) * 2 * (size_t)(n + 1)), *act = malloc(sizeof(float) * 2 * (size_t)(n + 1));
  for (long r = 0; r < n; r++)
    obs[2 * r] = (float)r, obs[2 * r + 1] = (float)-r, act[2 * r] = 10.0f * r, act[2 * r + 1] = 10.0f * r + 1;
  SeqDataset *ds = seqds_from_arrays(obs, 2, act, 2, n, ends, n_ep, cfg);
  free(obs), free(act);
  return ds;
}

static SeqConfig all_train(int T, int pad_before, int pad_after) {
  SeqConfig c = seq_config_default();
  c.horizon = T, c.n_obs_steps = pad_before + 1, c.n_action_steps = pad_after + 1;
  c.val_ratio = 0, c.max_train_episodes = 0;
  return c;
}

// "split N RATIO SEED MAX : ids": train episode ids equal numpy's.
static void check_split_line(char *line) {
  int n, max_train;
  double ratio;
  unsigned long seed;
  int off = 0;
  if (sscanf(line, "split %d %lf %lu %d : %n", &n, &ratio, &seed, &max_train, &off) != 4) {
    CHECK(0, "bad oracle line %.60s", line);
    return;
  }
  int64_t *ends = malloc(sizeof(int64_t) * (size_t)n);
  for (int e = 0; e < n; e++) ends[e] = e + 1;
  SeqConfig c = all_train(2, 0, 0);
  c.val_ratio = ratio, c.split_seed = (uint32_t)seed, c.max_train_episodes = max_train;
  SeqDataset *ds = synthetic(ends, n, &c);
  CHECK(ds != NULL, "split n=%d: %s", n, odp_error());
  if (ds) {
    int *ids = malloc(sizeof(int) * (size_t)n), k = seqds_episodes(ds, SEQ_TRAIN, ids), ok = 1, i = 0;
    for (char *p = line + off, *q; *p && *p != '\n'; p = q, i++) {
      long v = strtol(p, &q, 10);
      if (q == p) break;
      if (i >= k || ids[i] != v) ok = 0;
    }
    CHECK(ok && i == k, "split n=%d ratio=%g seed=%lu max=%d: train episodes differ from numpy (%d vs %d)", n, ratio,
          seed, max_train, k, i);
    CHECK(seqds_episodes(ds, SEQ_VAL, NULL) == n - k, "val = complement of train");
    free(ids);
  }
  seqds_close(ds);
  free(ends);
}

// "indices T PB PA ends... : rows": the window index set equals create_indices.
static void check_indices_line(char *line) {
  int T, pb, pa, off = 0, n_ep = 0;
  int64_t ends[64];
  if (sscanf(line, "indices %d %d %d %n", &T, &pb, &pa, &off) != 3) {
    CHECK(0, "bad oracle line %.60s", line);
    return;
  }
  char *p = line + off, *q;
  for (; *p != ':'; p = q) ends[n_ep++] = strtoll(p, &q, 10), q += strspn(q, " ");
  p++;
  SeqConfig c = all_train(T, pb, pa);
  SeqDataset *ds = synthetic(ends, n_ep, &c);
  CHECK(ds != NULL, "indices T=%d: %s", T, odp_error());
  if (!ds) return;
  long i = 0, n = seqds_count(ds, SEQ_TRAIN);
  int ok = 1;
  for (;; i++) {
    int64_t v[4];
    int got = 0;
    for (; got < 4; got++, p = q) {
      v[got] = strtoll(p, &q, 10);
      if (q == p) break;
    }
    if (got < 4) break;
    if (i >= n) {
      ok = 0;
      continue;
    }
    SeqWindow w = seqds_window(ds, SEQ_TRAIN, i);
    if (w.buffer_start != v[0] || w.buffer_end != v[1] || w.sample_start != v[2] || w.sample_end != v[3]) ok = 0;
  }
  CHECK(ok && i == n, "T=%d pads %d/%d: %ld windows vs the reference's %ld, or rows differ", T, pb, pa, n, i);
  seqds_close(ds);
}

static void test_oracle(const char *path) {
  FILE *f = fopen(path, "r");
  CHECK(f != NULL, "cannot open oracle file %s (run tests/ref/sequence_ref.py)", path);
  if (!f) return;
  static char line[1 << 20];
  int n_split = 0, n_idx = 0;
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, "split", 5)) check_split_line(line), n_split++;
    if (!strncmp(line, "indices", 7)) check_indices_line(line), n_idx++;
  }
  fclose(f);
  CHECK(n_split >= 8 && n_idx >= 5, "oracle file has %d split and %d index cases", n_split, n_idx);
}

// Padding: steps before/after the episode repeat its first/last row; inside, consecutive rows.
static void test_padding(void) {
  int64_t ends[] = {10, 30};
  SeqConfig c = all_train(16, 1, 7);
  SeqDataset *ds = synthetic(ends, 2, &c);
  CHECK(ds && seqds_count(ds, SEQ_TRAIN) == 3 + 13, "windows: L - 7 per episode");
  float obs[16 * 2], act[16 * 2];
  seqds_get(ds, SEQ_TRAIN, 0, obs, act);  // episode 0, start -1: [r0, r0, r1, ..., r9, r9 x 5]
  float want0[16] = {0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9};
  int ok = 1;
  for (int t = 0; t < 16; t++)
    ok &= obs[2 * t] == want0[t] && obs[2 * t + 1] == -want0[t] && act[2 * t] == 10 * want0[t];
  CHECK(ok, "first window of episode 0 repeats row 0 once and row 9 at the end");
  seqds_get(ds, SEQ_TRAIN, 15, obs, act);  // last window of episode 1: start 11 -> rows 21..29 then 29 x 7
  ok = 1;
  for (int t = 0; t < 16; t++) ok &= obs[2 * t] == (t < 9 ? 21 + t : 29) && act[2 * t + 1] == 10.0f * obs[2 * t] + 1;
  CHECK(ok, "last window of episode 1 repeats row 29 for 7 steps (pad_after)");
  seqds_get(ds, SEQ_TRAIN, 3, obs, act);  // first window of episode 1 never reads episode 0
  CHECK(obs[0] == 10 && obs[2] == 10 && obs[4] == 11, "episode 1 pads with its own first row: %g %g", obs[0], obs[2]);
  CHECK(seqds_get(ds, SEQ_TRAIN, 16, obs, act) == ODP_ERR && strstr(odp_error(), "out of range"), "index checked");
  CHECK(seqds_count(ds, SEQ_VAL) == 0, "no validation windows with val_ratio 0");
  seqds_close(ds);
}

// Batches: pure function of (seed, epoch, batch); an epoch visits each window once.
static void test_batches(void) {
  int64_t ends[] = {40, 75, 100, 141};
  SeqConfig c = all_train(16, 1, 7);
  SeqDataset *a = synthetic(ends, 4, &c), *b = synthetic(ends, 4, &c);
  long n = seqds_count(a, SEQ_TRAIN), B = 16, nb = seqds_batches_per_epoch(a, B);
  CHECK(n == 141 - 4 * 7 && nb == (n + B - 1) / B, "n %ld, %ld batches", n, nb);
  float oa[16 * 2 * 2], aa[16 * 16 * 2], ob[16 * 2 * 2], ab[16 * 16 * 2];
  seqds_batch(a, 7, 0, 0, B, oa, aa);  // a's cache now holds epoch 0; b computes epoch 3 afresh
  seqds_batch(a, 7, 3, 2, B, oa, aa);
  seqds_batch(b, 7, 3, 2, B, ob, ab);
  CHECK(!memcmp(oa, ob, sizeof oa) && !memcmp(aa, ab, sizeof aa), "same (seed, epoch, batch): same bytes");
  seqds_batch(b, 7, 4, 2, B, ob, ab);
  CHECK(memcmp(aa, ab, sizeof aa) != 0, "another epoch: another batch");
  seqds_batch(b, 8, 3, 2, B, ob, ab);
  CHECK(memcmp(aa, ab, sizeof aa) != 0, "another seed: another batch");

  // Coverage: the union of an epoch's batches is every window exactly once; contents match seqds_get.
  long *perm = malloc(sizeof(long) * (size_t)n), total = 0;
  char *seen = calloc((size_t)n, 1);
  seqds_permutation(a, 7, 5, perm);
  int ok = 1, moved = 0;
  for (long k = 0; k < nb; k++) {
    long m = seqds_batch(a, 7, 5, k, B, oa, aa);
    for (long i = 0; i < m; i++) {
      long w = perm[k * B + i];
      ok &= !seen[w];
      seen[w] = 1;
      moved += w != k * B + i;
      float obs[16 * 2], act[16 * 2];
      seqds_get(a, SEQ_TRAIN, w, obs, act);
      ok &= !memcmp(oa + i * 2 * 2, obs, sizeof(float) * 2 * 2) && !memcmp(aa + i * 16 * 2, act, sizeof act);
    }
    total += m;
  }
  CHECK(ok && total == n, "epoch covers %ld of %ld windows once, batch = obs[:To] and actions of perm", total, n);
  CHECK(moved > n / 2, "the permutation shuffles (%d of %ld moved)", moved, n);
  CHECK(seqds_batch(a, 7, 5, nb, B, oa, aa) == 0, "past the end: empty batch");
  CHECK(seqds_batch(a, 7, 5, nb - 1, B, oa, aa) == n - (nb - 1) * B, "last batch is short");
  free(perm), free(seen);
  seqds_close(a), seqds_close(b);
}

static void test_errors(void) {
  int64_t ends[] = {10, 20};
  float obs[20 * 2] = {0}, act[20 * 2] = {0};
  SeqConfig c = all_train(16, 1, 7);
  act[13 * 2 + 1] = NAN;
  CHECK(!seqds_from_arrays(obs, 2, act, 2, 20, ends, 2, &c) && strstr(odp_error(), "action row 13"), "NaN named: %s",
        odp_error());
  act[13 * 2 + 1] = 0;
  obs[5 * 2] = INFINITY;
  CHECK(!seqds_from_arrays(obs, 2, act, 2, 20, ends, 2, &c) && strstr(odp_error(), "obs row 5"), "Inf named: %s",
        odp_error());
  obs[5 * 2] = 0;
  int64_t bad[] = {12, 10};
  CHECK(!seqds_from_arrays(obs, 2, act, 2, 20, bad, 2, &c) && strstr(odp_error(), "episode_ends"), "%s", odp_error());
  int64_t short_ends[] = {10, 19};
  CHECK(!seqds_from_arrays(obs, 2, act, 2, 20, short_ends, 2, &c) && strstr(odp_error(), "episode_ends"), "%s",
        odp_error());
  c.n_obs_steps = 17;
  CHECK(!seqds_from_arrays(obs, 2, act, 2, 20, ends, 2, &c) && strstr(odp_error(), "n_obs_steps"), "%s", odp_error());
  // An empty episode: no windows with the reference's pads; pads reaching the horizon
  // would give it windows with no row to repeat (found by tests/fuzz/fuzz_dataset.c).
  int64_t empty_first[] = {0, 20};
  c = all_train(16, 1, 7);
  SeqDataset *ds = seqds_from_arrays(obs, 2, act, 2, 20, empty_first, 2, &c);
  CHECK(ds && seqds_count(ds, SEQ_TRAIN) == 20 - 16 + 1 + 1 + 7, "empty episode, reference pads: %s", odp_error());
  for (long i = 0; ds && i < seqds_count(ds, SEQ_TRAIN); i++)
    CHECK(seqds_window(ds, SEQ_TRAIN, i).buffer_start >= 0 &&
              seqds_window(ds, SEQ_TRAIN, i).buffer_end > seqds_window(ds, SEQ_TRAIN, i).buffer_start,
          "window %ld has rows", i);
  seqds_close(ds);
  c = all_train(16, 8, 8);
  CHECK(!seqds_from_arrays(obs, 2, act, 2, 20, empty_first, 2, &c) && strstr(odp_error(), "episode 0 is empty"), "%s",
        odp_error());
  c = seq_config_default();
  CHECK(!seqds_open("tests/no_such.zarr", &c) && strstr(odp_error(), "no_such.zarr"), "missing store: %s", odp_error());
  SeqObsKey k;
  CHECK(seq_obs_key_parse(&k, "state") == ODP_OK && k == SEQ_OBS_STATE && seq_obs_dim(k) == 5, "state key");
  CHECK(seq_obs_key_parse(&k, "image") == ODP_ERR && strstr(odp_error(), "image"), "unknown key named");
}

static long expected_windows(const int64_t *ends, const int *ids, int n) {
  long w = 0;
  for (int i = 0; i < n; i++) {
    long len = (long)(ends[ids[i]] - (ids[i] ? ends[ids[i] - 1] : 0));
    w += len - 7 > 0 ? len - 7 : 0;  // starts -1 .. len - 16 + 7
  }
  return w;
}

static void test_pusht(void) {
  SeqConfig c = seq_config_default();
  SeqDataset *ds = seqds_open(PUSHT, &c);
  CHECK(ds != NULL, "open PushT: %s", odp_error());
  if (!ds) return;
  ZarrArray *ea = zarr_open(PUSHT, "meta/episode_ends"), *kp = zarr_open(PUSHT, "data/keypoint"),
            *st = zarr_open(PUSHT, "data/state");
  int64_t ends[206];
  zarr_read_rows(ea, 0, 206, ZARR_I64, ends);
  int ids[206], n_tr = seqds_episodes(ds, SEQ_TRAIN, ids);
  long tr = seqds_count(ds, SEQ_TRAIN), va = seqds_count(ds, SEQ_VAL);
  CHECK(n_tr == 90 && seqds_episodes(ds, SEQ_VAL, NULL) == 116, "90 train episodes, 116 val (val + capped away)");
  CHECK(tr == expected_windows(ends, ids, n_tr), "train windows %ld", tr);
  CHECK(tr + va == 25650 - 7 * 206, "all windows: %ld + %ld", tr, va);
  printf("PushT, 90-episode cap: %ld train windows (%d episodes), %ld val windows\n", tr, n_tr, va);
  CHECK(seqds_obs_dim(ds) == 20 && seqds_action_dim(ds) == 2, "dims");

  // An obs row is keypoint (18) then state[:2]; window 0 of the first train episode starts at its row 0 twice.
  float obs[16 * 20], act[16 * 2], k[18], s[5];
  seqds_get(ds, SEQ_TRAIN, 0, obs, act);
  int64_t r0 = ids[0] ? ends[ids[0] - 1] : 0;
  zarr_read_rows(kp, r0, 1, ZARR_F32, k);
  zarr_read_rows(st, r0, 1, ZARR_F32, s);
  CHECK(!memcmp(obs, k, sizeof k) && obs[18] == s[0] && obs[19] == s[1] && !memcmp(obs + 20, obs, 20 * sizeof(float)),
        "obs row = keypoints + agent_pos, first frame repeated");
  seqds_close(ds);

  c.max_train_episodes = 0;  // all 202 non-validation episodes
  ds = seqds_open(PUSHT, &c);
  n_tr = seqds_episodes(ds, SEQ_TRAIN, ids);
  int val[4];
  CHECK(seqds_episodes(ds, SEQ_VAL, val) == 4 && n_tr == 202, "4 validation episodes (round(206 * 0.02))");
  CHECK(val[0] == 18 && val[1] == 90 && val[2] == 134 && val[3] == 157,
        "val episodes %d %d %d %d (numpy: 18 90 134 157)", val[0], val[1], val[2], val[3]);
  tr = seqds_count(ds, SEQ_TRAIN), va = seqds_count(ds, SEQ_VAL);
  CHECK(tr == expected_windows(ends, ids, n_tr) && tr + va == 25650 - 7 * 206, "all-episode windows");
  printf("PushT, all episodes: %ld train windows (%d episodes), %ld val windows (4 episodes)\n", tr, n_tr, va);
  Normalizer no, na;
  CHECK(seqds_fit_normalizers(ds, &no, &na) == ODP_OK && no.dim == 20 && na.dim == 2, "fit");
  CHECK_NEAR(no.scale[18], 2.0 / (496.14618 - 13.456424), 1e-8, "agent_pos x scale (whole buffer)");
  CHECK_NEAR(na.offset[1], -1 - 2.0 * 25 / (511 - 25), 1e-6, "action y offset");
  seqds_close(ds);

  c.obs_key = SEQ_OBS_STATE;
  ds = seqds_open(PUSHT, &c);
  seqds_get(ds, SEQ_TRAIN, 0, obs, NULL);  // episode 0 is a train episode: window 0 starts at row 0
  zarr_read_rows(st, 0, 1, ZARR_F32, s);
  CHECK(ds && seqds_obs_dim(ds) == 5 && !memcmp(obs, s, sizeof s), "state obs key: 5-d state rows");
  seqds_close(ds);
  zarr_close(ea), zarr_close(kp), zarr_close(st);
}

int main(int argc, char **argv) {
  char path[1024];
  const char *build = getenv("ONEDP_BUILD");
  if (argc > 1)
    snprintf(path, sizeof path, "%s", argv[1]);
  else
    snprintf(path, sizeof path, "%s/sequence_ref.txt", build ? build : ".");
  test_oracle(path);
  test_padding();
  test_batches();
  test_errors();
  test_pusht();
  TEST_MAIN_END();
}
