#include "train/frames.h"

#include <stdlib.h>

#include "core/rng.h"

void frames_load_crops(const ObsEncoder *e, ObsEncoderActs *a, const SeqDataset *ds, const int64_t *rows, long B,
                       long first, uint64_t seed, uint64_t stream, int random) {
  const int S = e->image[0].cfg.image_size, dh = e->image_h - S, dw = e->image_w - S;
  const long n = B * e->n_obs_steps;  // item i = b * To + t
  const unsigned char **frames = malloc((size_t)n * sizeof *frames);
  int *top = malloc((size_t)n * sizeof *top), *left = malloc((size_t)n * sizeof *left);
  Rng crop = rng_make(seed, stream);
  const uint64_t at = (uint64_t)(first * e->n_obs_steps);  // the first frame's place in the batch
  for (int c = 0; c < e->n_cameras; c++) {
    const uint64_t base = (uint64_t)c << 40;  // camera c's draws: camera 0's as with one camera
    for (long i = 0; i < n; i++) {
      const uint64_t k = base + 2 * (at + (uint64_t)i);
      frames[i] = seqds_image(ds, c, rows[i]);
      top[i] = random ? (int)(rng_uniform(crop, k) * dh) : dh / 2;
      left[i] = random ? (int)(rng_uniform(crop, k + 1) * dw) : dw / 2;
    }
    obs_encoder_load_crops(e, a, c, frames, top, left);
  }
  free(frames), free(top), free(left);
}
