// robomimic-format HDF5 demonstrations (what Diffusion Policy's robomimic datasets read),
// reader and writer, over libhdf5:
//   data                    attrs total (int64: sum of num_samples), env_args (JSON str)
//   data/demo_<k>           attrs num_samples (int64), model_file (str: the MJCF XML)
//     actions (N, Da) f64, states (N, S) f64, rewards (N,) f64, dones (N,) i64
//     obs/<key>, next_obs/<key>: low-dim (N, d) f64, images (N, H, W, 3) u8 (gzip, chunked)
//   mask/<filter>           demo names as byte strings (ignored by the reader)
// next_obs[t] is the observation after action t. Demos are ordered by the integer after
// "demo_" (demo_10 after demo_9), as robomimic sorts them and Diffusion Policy indexes them.
// HDF5's error stack never prints: every failure is one odp_error() line naming the file
// and the object path, e.g. "x.hdf5: data/demo_3/obs/object: 9 rows, num_samples says 10".
#pragma once
#include <stdint.h>

#include "data/sequence.h"

#define RM_MAX_RANK 4

// ---------------------------------------------------------------- writer

typedef struct { const char *name; int dim; const double *data; } RmLowdimObs;           // (n + 1, dim)
typedef struct { const char *name; int height, width; const uint8_t *data; } RmImageObs;  // (n + 1, H, W, 3)

typedef struct {
  long n;                                    // samples (actions taken)
  int action_dim, state_dim;
  const double *actions, *states, *rewards;  // (n, Da), (n, S), (n,)
  const int64_t *dones;                      // (n,)
  int n_lowdim, n_images;
  const RmLowdimObs *lowdim;  // rows 0..n-1 -> obs/<key>, rows 1..n -> next_obs/<key>
  const RmImageObs *images;   // the same split
  const char *model_file;     // MJCF XML (NULL: "")
} RmDemo;

typedef struct RmWriter RmWriter;

// Writes path + ".tmp" (truncated), renamed onto path by rm_writer_close, so a reader never
// sees a half-written file. NULL + odp_error() on failure.
RmWriter *rm_writer_create(const char *path, const char *env_args_json);
// Appends data/demo_<k>, k = demos added so far. On failure the writer stays open (abort it).
int rm_writer_add(RmWriter *w, const RmDemo *d);
// Writes data.total, closes and renames into place; frees w even on error (then the tmp
// file is removed).
int rm_writer_close(RmWriter *w);
void rm_writer_abort(RmWriter *w);  // frees w, removes the tmp file

// ---------------------------------------------------------------- reader

typedef struct RmFile RmFile;

// Checks the data group, the demo names (demo_<integer>, no duplicates), each demo's
// num_samples and data.total when present; sorts the demos. NULL + odp_error() on failure.
RmFile *rm_open(const char *path);
void rm_close(RmFile *f);

int rm_demo_count(const RmFile *f);
const char *rm_demo_name(const RmFile *f, int i);  // "demo_<k>", i in sorted order
long rm_demo_samples(const RmFile *f, int i);      // num_samples
const char *rm_env_args(const RmFile *f);          // the JSON text ("" if absent)
char *rm_model_file(const RmFile *f, int i);       // malloc'd ("" if absent); NULL on error

// Keys are paths below the demo group: "actions", "dones", "obs/object", ...
// The dataset's rank and dims (RM_MAX_RANK,) without reading it; ranks above RM_MAX_RANK fail.
int rm_shape(const RmFile *f, int i, const char *key, int *rank, int64_t *dims);
// The members of group `group` ("obs", "next_obs") of demo i, sorted by name: *names is
// one malloc'd array of malloc'd strings, freed with rm_free_keys.
int rm_keys(const RmFile *f, int i, const char *group, char ***names, int *count);
void rm_free_keys(char **names, int count);

// out: (num_samples, *dim) float64, malloc'd. The dataset must be numeric (integers
// convert) of rank 2, or rank 1 (then *dim = 1), with num_samples rows.
int rm_read_f64(const RmFile *f, int i, const char *key, int *dim, double **out);
// out: (num_samples, H, W, 3) uint8, malloc'd. *height, *width: checked when > 0 on entry,
// set to the stored sizes.
int rm_read_images(const RmFile *f, int i, const char *key, int *height, int *width, uint8_t **out);

// ---------------------------------------------------------------- training windows

// Whether path names a robomimic file (.hdf5 / .h5) rather than a zarr store.
int rm_is_path(const char *path);

// a: (n, 7 * arms) absolute actions (position, axis-angle, gripper) -> out: (n, 10 * arms)
// position, rot6d, gripper: what the loader below and a demo's replay feed an arm task.
void rm_actions_rot6d(const double *a, long n, int arms, float *out);

// Windows as seqds_open builds them from a zarr store (episode split, padding), one
// episode per demo in sorted order. obs: obs/<key> of obs_keys concatenated per row, in
// that order. Actions: with abs_rot6d, absolute (N, 7) pos(3) + axis-angle(3) + gripper(1)
// (or two arms, (N, 14)) become (N, 10) / (N, 20): pos, the rotation matrix's first two
// rows (Diffusion Policy's RotationTransformer axis_angle -> rotation_6d), gripper;
// otherwise the actions as stored. cfg->obs_key is not used.
SeqDataset *rm_sequence_open(const char *path, const char *const *obs_keys, int n_keys, int abs_rot6d,
                             const SeqConfig *cfg);
// Camera slot `camera` of ds (opened from path by rm_sequence_open) from every demo's
// obs/<key> images, which must be (num_samples, height, width, 3) uint8.
int rm_sequence_load_frames(SeqDataset *ds, int camera, const char *path, const char *key, int height, int width);
