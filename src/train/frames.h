// A batch's camera frames into the image encoders' input (model/obs_encoder.h): each
// frame's crop, random in training (Diffusion Policy's CropRandomizer: top-left offsets
// uniform in [0, H - S) on each axis, each frame its own), the centre otherwise (its
// eval_fixed_crop). The teacher trainer and the distiller both load frames here.
#pragma once
#include <stdint.h>

#include "data/sequence.h"
#include "model/obs_encoder.h"

// rows (B, To): the frames' replay-buffer rows, rows first.. of their batch (a rank's
// share: src/dist/dist.h; else 0). Random crops are drawn from Philox stream `stream` of
// `seed`, indexed by the frame's place in the whole batch, so they depend on nothing else.
void frames_load_crops(const ObsEncoder *e, ObsEncoderActs *a, const SeqDataset *ds, const int64_t *rows, long B,
                       long first, uint64_t seed, uint64_t stream, int random);
