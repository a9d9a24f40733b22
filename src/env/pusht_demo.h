// The PushT human demonstrations (zarr, REFERENCE §8) and their replay through our
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

typedef struct {
  int64_t steps, within_tol, bit_exact, contact_rows, free_rows;
  int64_t episodes, episodes_exact;
  double median_divergence_step;  // first non-bit-exact step per episode (length if none)
  double kp_max_err_free;         // keypoints from recorded state vs recorded, no contact (px)
  double kp_max_err_contact;      // same on rows with contacts
} PushTReplayStats;

// Resets episode i from seed i, replays its recorded actions open loop and compares
// each state (float32) with the recording; also checks keypoints from recorded states.
int pusht_demo_replay(const PushTDemo *d, int64_t ep0, int64_t ep1, PushTReplayStats *out);

// Mean absolute error (0-255) per pixel channel of our 96x96 render of the replayed
// states vs the recorded images over episodes [ep0, ep1); *nframes frames compared.
int pusht_demo_render_error(const PushTDemo *d, const char *root, int64_t ep0, int64_t ep1, double *mae,
                            int64_t *nframes);
