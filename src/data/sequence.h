// Training windows of low-dim demonstrations (a zarr replay buffer), as Diffusion
// Policy's low-dim dataset + SequenceSampler build them:
// - every episode yields windows of `horizon` steps starting at -pad_before ..
//   len - horizon + pad_after (create_indices); steps outside the episode repeat its
//   first/last frame. pad_before = n_obs_steps - 1, pad_after = n_action_steps - 1.
// - validation episodes: get_val_mask (numpy default_rng(split_seed).choice, PCG64),
//   n_val = clamp(round(n * val_ratio), 1, n - 1); then downsample_mask keeps
//   max_train_episodes of the rest (a fresh default_rng(split_seed)).
// - the validation split is the complement of the final train mask, as in the
//   reference's get_validation_dataset: with the 90-episode cap it also holds the
//   capped-away training episodes.
// - normalizer statistics come from every episode (the reference fits on the whole
//   replay buffer, not on the train split): see seqds_fit_normalizers.
// Values are raw (unnormalised) float32. Not thread-safe (one permutation cache).
#pragma once
#include <stdint.h>

#include "data/normalizer.h"

// 20-d (keypoints + agent_pos), 5-d (state), 2-d (agent_pos = state[:, :2]: image policies' low-dim part)
typedef enum { SEQ_OBS_KEYPOINT, SEQ_OBS_STATE, SEQ_OBS_AGENT_POS } SeqObsKey;
#define SEQ_MAX_CAMERAS 4
typedef enum { SEQ_TRAIN, SEQ_VAL } SeqSplit;
typedef enum { SEQ_OBS, SEQ_ACTION } SeqField;

typedef struct {
  SeqObsKey obs_key;
  int horizon;             // T, window length (16)
  int n_obs_steps;         // To (2): pad_before = To - 1; batches return obs[:To]
  int n_action_steps;      // Ta (8): pad_after = Ta - 1
  double val_ratio;        // 0.02; <= 0: no validation episodes
  uint32_t split_seed;     // 42
  int max_train_episodes;  // 90 (paper protocol); <= 0: all
} SeqConfig;

// The reference low-dim config: keypoint obs, 16/2/8, val 0.02, seed 42, 90 episodes.
SeqConfig seq_config_default(void);
// "keypoint", "state" or "agent_pos".
int seq_obs_key_parse(SeqObsKey *key, const char *name);
int seq_obs_dim(SeqObsKey key);

// One window, exactly the reference's index row: rows [buffer_start, buffer_end) of the
// replay buffer fill window steps [sample_start, sample_end); the rest repeat the ends.
typedef struct {
  int64_t buffer_start, buffer_end, sample_start, sample_end;
} SeqWindow;

typedef struct SeqDataset SeqDataset;

// Loads data/keypoint, data/state, data/action and meta/episode_ends of a zarr store.
// NULL + odp_error() naming the file/array (and row for NaN/Inf) on failure.
SeqDataset *seqds_open(const char *zarr_path, const SeqConfig *cfg);
// From memory (copied): obs (n_rows, obs_dim), action (n_rows, action_dim),
// episode_ends (n_episodes,) exclusive, non-decreasing, last == n_rows.
SeqDataset *seqds_from_arrays(const float *obs, int obs_dim, const float *action, int action_dim, long n_rows,
                              const int64_t *episode_ends, int n_episodes, const SeqConfig *cfg);
void seqds_close(SeqDataset *ds);

int seqds_obs_dim(const SeqDataset *ds);
int seqds_action_dim(const SeqDataset *ds);
int seqds_horizon(const SeqDataset *ds);
int seqds_n_obs_steps(const SeqDataset *ds);
long seqds_count(const SeqDataset *ds, SeqSplit split);  // windows
// ids: (n_episodes,) or NULL; returns how many episodes the split holds (ascending ids).
int seqds_episodes(const SeqDataset *ds, SeqSplit split, int *ids);
SeqWindow seqds_window(const SeqDataset *ds, SeqSplit split, long index);

// obs: (T, obs_dim), action: (T, action_dim); either may be NULL. Fails on a bad index.
int seqds_get(const SeqDataset *ds, SeqSplit split, long index, float *obs, float *action);

// The whole replay buffer (every episode, both splits): (n_rows, dim), owned by ds.
const float *seqds_rows(const SeqDataset *ds, SeqField which, long *n_rows);
// Limits normalizers on seqds_rows, as the reference's get_normalizer.
int seqds_fit_normalizers(const SeqDataset *ds, Normalizer *obs, Normalizer *action);

// Shuffled training batches: epoch `epoch` visits the train windows in a permutation
// that is a pure function of (seed, epoch) (Fisher-Yates on Philox), so a resumed run
// sees the same batches. Batch b holds permutation entries [b*B, b*B + B); the last
// batch of an epoch may be short (drop_last = False). Returns the batch's size (0 past
// the end) or -1 on error. obs: (B, To, obs_dim), the first To frames; action: (B, T, Da).
long seqds_batches_per_epoch(const SeqDataset *ds, long B);
long seqds_batch(SeqDataset *ds, uint64_t seed, uint64_t epoch, long batch_index, long B, float *obs, float *action);
// rows (B, To): the replay-buffer rows of each window's observation frames (for images),
// the same windows in the same order as seqds_batch's; returns the batch's size.
long seqds_batch_rows(SeqDataset *ds, uint64_t seed, uint64_t epoch, long batch_index, long B, int64_t *rows);
// rows (To,) of one window's observation frames.
int seqds_window_rows(const SeqDataset *ds, SeqSplit split, long index, int64_t *rows);

// Camera frames beside the windows, one store per camera slot (0 .. SEQ_MAX_CAMERAS - 1,
// the policy's camera order), all of one size.
// load_frames: zarr_path/array must hold (n_rows, height, width, 3) frames (checked from the
// metadata before any is decoded) with whole values in [0, 255] (the PushT store keeps them
// as float32); they are held as uint8 (PushT: 709 MB, not 2.8 GB).
int seqds_load_frames(SeqDataset *ds, int camera, const char *zarr_path, const char *array, int height, int width);
// set_frames: takes ownership of frames (n_rows, height, width, 3) uint8 (freed on failure too).
int seqds_set_frames(SeqDataset *ds, int camera, unsigned char *frames, int height, int width);
// Row `row`'s frame of camera `camera` (loaded): (height, width, 3) uint8.
const unsigned char *seqds_image(const SeqDataset *ds, int camera, int64_t row);

// perm: (seqds_count(ds, SEQ_TRAIN),) the epoch's order of train window indices.
int seqds_permutation(SeqDataset *ds, uint64_t seed, uint64_t epoch, long *perm);
