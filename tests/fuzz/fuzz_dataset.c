// libFuzzer: the sequence dataset over what a zarr store supplies: meta/episode_ends
// (any int64 values) and the window config a run config supplies (horizon, obs and
// action steps, validation ratio, episode cap, split seed). Checked: every window of
// both splits lies inside one episode's rows and inside [0, horizon), and reading any
// window or batch stays within the data (ASan).
#include "core/error.h"
#include "data/sequence.h"
#include "fuzz.h"

#define MAX_ROWS 1024  // fuzz_seeds keeps the PushT episodes that end within these
#define MAX_WINDOWS 1024
#define DIM 2

static float rows[MAX_ROWS * DIM];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  for (int i = 0; i < MAX_ROWS * DIM; i++) rows[i] = (float)(i % 977) * 0.25f;
  return 0;
}

static void check_windows(const SeqDataset *ds, SeqSplit split, long n_rows) {
  int T = seqds_horizon(ds);
  float obs[64 * DIM], action[64 * DIM];
  long n = seqds_count(ds, split);
  for (long i = 0; i < n && i < MAX_WINDOWS; i++) {
    SeqWindow w = seqds_window(ds, split, i);
    FUZZ_CHECK(0 <= w.buffer_start && w.buffer_start < w.buffer_end && w.buffer_end <= n_rows,
               "window %ld rows [%lld, %lld) of %ld", i, (long long)w.buffer_start, (long long)w.buffer_end, n_rows);
    FUZZ_CHECK(0 <= w.sample_start && w.sample_start < w.sample_end && w.sample_end <= T &&
                   w.sample_end - w.sample_start == w.buffer_end - w.buffer_start,
               "window %ld steps [%lld, %lld) of %d", i, (long long)w.sample_start, (long long)w.sample_end, T);
    FUZZ_CHECK(seqds_get(ds, split, i, obs, action) == ODP_OK, "window %ld: %s", i, odp_error());
  }
  FUZZ_CHECK(seqds_get(ds, split, n, obs, action) == ODP_ERR, "window past the end read");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 9) return 0;
  SeqConfig cfg = seq_config_default();
  cfg.horizon = 1 + data[0] % 64;
  cfg.n_obs_steps = data[1] % 70;
  cfg.n_action_steps = data[2] % 70;
  cfg.max_train_episodes = (int8_t)data[3];
  cfg.val_ratio = data[4] / 256.0;
  memcpy(&cfg.split_seed, data + 5, 4);
  int n_ep = (int)((size - 9) / 8);
  if (n_ep < 1) return 0;
  int64_t *ends = malloc((size_t)n_ep * sizeof *ends);
  memcpy(ends, data + 9, (size_t)n_ep * sizeof *ends);
  long n_rows = ends[n_ep - 1] >= 1 && ends[n_ep - 1] <= MAX_ROWS ? (long)ends[n_ep - 1] : 1;  // 1: refused anyway
  SeqDataset *ds = seqds_from_arrays(rows, DIM, rows, DIM, n_rows, ends, n_ep, &cfg);
  free(ends);
  if (!ds) return 0;
  check_windows(ds, SEQ_TRAIN, n_rows);
  check_windows(ds, SEQ_VAL, n_rows);
  float obs[8 * 64 * DIM], action[8 * 64 * DIM];
  for (long b = 0; b < 3; b++) seqds_batch(ds, 7, 1, b, 8, obs, action);
  Normalizer no, na;
  seqds_fit_normalizers(ds, &no, &na);
  seqds_close(ds);
  return 0;
}
