#include "train/frames.h"

#include "core/rng.h"

void frames_load_crops(const ObsEncoder *e, ObsEncoderActs *a, const SeqDataset *ds, const int64_t *rows, long B,
                       uint64_t seed, uint64_t stream, int random) {
  const int S = e->image.cfg.image_size, dh = e->image_h - S, dw = e->image_w - S, To = e->n_obs_steps;
  Rng crop = rng_make(seed, stream);
  for (long b = 0; b < B; b++)
    for (int t = 0; t < To; t++) {
      const long i = b * To + t;
      int top = random ? (int)(rng_uniform(crop, 2 * (uint64_t)i) * dh) : dh / 2;
      int left = random ? (int)(rng_uniform(crop, 2 * (uint64_t)i + 1) * dw) : dw / 2;
      obs_encoder_load_crop(e, a, (int)b, t, seqds_image(ds, rows[i]), top, left);
    }
}
