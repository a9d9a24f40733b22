// The packed camera encoder (model/image_encoder_infer.h) against the training layers
// (model/image_encoder.h, held to PyTorch by golden_image_encoder) on the same weights and
// frames: features agree to float rounding for several shapes — the reference's
// ResNet-18 layout at a narrow width, channel counts that leave partial packed groups,
// maps smaller than one register tile (a 32-pixel crop) — on one and two threads.
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "model/image_encoder_infer.h"
#include "test.h"

// Random frames (n, 3, H, W) in [0, 1].
static float *random_frames(int n, int H, int W, unsigned long long seed) {
  const long count = (long)n * 3 * H * W;
  float *f = malloc((size_t)count * sizeof *f);
  Rng rng = rng_make(seed, 3);
  for (long i = 0; i < count; i++) f[i] = rng_uniform(rng, (uint64_t)i);
  return f;
}

static void check_shape(int width, int group_size, int crop, int H, int threads) {
  ImageEncoderConfig c = image_encoder_config_default(crop);
  c.width = width, c.group_size = group_size;
  ParamTable t = {0};
  ImageEncoder e;
  CHECK(!image_encoder_init(&e, &c, &t, "enc"), "%s", odp_error());
  float *params = calloc((size_t)t.numel, sizeof *params);
  image_encoder_init_params(&e, &t, params, 5);
  Rng rng = rng_make(6, 0);
  for (int i = 0; i < t.count; i++)  // GroupNorm affines away from the identity
    if (t.entries[i].ndim == 1)
      for (long j = 0; j < t.entries[i].numel; j++)
        params[t.entries[i].offset + j] += 0.3f * (2 * rng_uniform(rng, (uint64_t)(t.entries[i].offset + j)) - 1);

  const int n = 3, S = crop, top = (H - S) / 2, F = c.feature_dim;
  float *frames = random_frames(n, H, H, 7), *ref = NULL, *got = calloc((size_t)n * F, sizeof *got);
  ImageEncoderActs *a = image_encoder_acts_create(&e, n);
  for (int i = 0; i < n; i++)  // the centre crop, as obs_encoder_forward loads it
    for (int ch = 0; ch < 3; ch++)
      for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++)
          a->images[(((long)ch * S + y) * S + x) * n + i] =
              frames[(long)i * 3 * H * H + ((long)ch * H + top + y) * H + top + x] * 2 - 1;
  ref = (float *)image_encoder_forward(&e, params, a);

  ImageEncoderInfer m;
  CHECK(!image_encoder_infer_build(&m, &e, params), "%s", odp_error());
  omp_set_num_threads(threads);
  ImageEncoderInferActs *ia = image_encoder_infer_acts_create(&m, threads);
  image_encoder_infer_forward(&m, ia, got, n, frames, 3L * H * H, H, H);
  double worst = 0, scale = 0;
  for (long i = 0; i < (long)n * F; i++) worst = fmax(worst, fabs(got[i] - ref[i])), scale = fmax(scale, fabs(ref[i]));
  printf("width %d groups of %d, crop %d of %d, %d thread(s): max |packed - training| %.2e (features up to %.2f)\n",
         width, group_size, crop, H, threads, worst, scale);
  CHECK(scale > 0.05, "features are not all zero");
  CHECK(worst <= 2e-5 * (1 + scale), "packed encoder differs from the training layers by %g", worst);
  omp_set_num_threads(1);
  image_encoder_infer_acts_free(ia);
  image_encoder_infer_free(&m);
  image_encoder_acts_free(a);
  free(frames), free(got), free(params);
  param_table_free(&t);
}

int main(void) {
  check_shape(16, 16, 84, 96, 1);  // the CPU-budget encoder: groups of 16, 32, 64, 64x2
  check_shape(16, 16, 84, 96, 2);  // frames on two threads
  check_shape(24, 8, 84, 96, 1);   // 24, 48, 96, 192 channels: partial packed groups
  check_shape(8, 8, 32, 40, 1);    // 1x1 keypoint maps: positions one at a time
  check_shape(64, 16, 84, 96, 1);  // the reference's ResNet-18 width
  TEST_MAIN_END();
}
