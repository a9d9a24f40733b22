// The PushT human demonstrations (zarr, docs/facts.md §8) and their replay through our
// environment: the check that this environment is the one that recorded them.
#pragma once
#include <stdint.h>

typedef struct {
  int64_t steps, episodes;
  float *state;       // [steps][5] agent xy, block xy, angle mod 2pi (before action[t])
  float *action;      // [steps][2]
  float *keypoint;    // [steps][9][2]
  float *n_contacts;  // [steps]
  int64_t *ends;      // [episodes] exclusive episode ends
} PushTDemo;

// Loads every array but the images. Errors name the array.
int pusht_demo_load(PushTDemo *out, const char *root);
void pusht_demo_free(PushTDemo *d);
static inline int64_t pusht_demo_start(const PushTDemo *d, int64_t ep) { return ep ? d->ends[ep - 1] : 0; }

// Row t of episode ep has no contact on it nor on the row before (keypoints there
// agree with the state to < 1e-3 px; the recorder's contact pass lags by a row).
int pusht_demo_contact_free(const PushTDemo *d, int64_t ep, int64_t t);

typedef struct {
  int64_t steps, within_tol, bit_exact, contact_rows, free_rows;
  int64_t episodes, episodes_exact;
  double median_divergence_step;  // first non-bit-exact step per episode (length if none)
  double kp_max_err_free;         // keypoints from recorded state vs recorded, contact-free rows (px)
  double kp_max_err_contact;      // same on rows in or just after contact
} PushTReplayStats;

// Resets episode i from seed i, replays its recorded actions open loop and compares
// each state (float32) with the recording; also checks keypoints from recorded states.
int pusht_demo_replay(const PushTDemo *d, int64_t ep0, int64_t ep1, PushTReplayStats *out);

typedef struct {
  int64_t frames, frames_exact;  // frames compared, frames identical in every byte
  double mae;                    // mean |ours - recorded| per pixel channel (0-255)
  double max_abs;                // largest single channel difference
} PushTRenderStats;

// Our 96x96 renders of the replayed episodes [ep0, ep1) vs the recorded images
// (streamed from data/img chunk by chunk).
int pusht_demo_render_error(const PushTDemo *d, const char *root, int64_t ep0, int64_t ep1, PushTRenderStats *st);
