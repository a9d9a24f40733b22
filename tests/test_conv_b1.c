// The batch-1 convolution kernel against the GEMM path, and the U-Net at batch 1 (which
// uses it) against the same inputs run at batch 2 (which does not).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "model/unet1d.h"
#include "nn/conv1d_b1.h"
#include "test.h"

static void check_shape(int cin, int cout, int K, int T) {
  Conv1dShape s = {cin, cout, K, 1, K / 2};
  long nx = (long)cin * T, nw = (long)K * cout * cin, ny = (long)cout * T;
  float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(cout * 4), *y1 = malloc(ny * 4), *y2 = malloc(ny * 4);
  rng_fill_normal(rng_make(1, 1), 0, x, nx);
  rng_fill_normal(rng_make(1, 2), 0, w, nw);
  rng_fill_normal(rng_make(1, 3), 0, b, cout);
  CHECK(conv1d_b1_supported(s, T, 1), "shape not supported");
  conv1d_b1_forward(y1, x, w, b, s, T);
  channel_bias_set(y2, b, cout, T, 1);
  conv1d_accumulate(y2, x, w, s, T, 1, NULL);
  // Rounding differences scale with the size of the terms summed (sqrt(cin K) for unit inputs).
  double worst = 0, scale = sqrt((double)cin * K);
  for (long i = 0; i < ny; i++) worst = fmax(worst, fabs(y1[i] - y2[i]) / scale);
  CHECK(worst < 1e-5, "cin %d cout %d K %d T %d: differs from GEMM by %g", cin, cout, K, T, worst);
  free(x), free(w), free(b), free(y1), free(y2);
}

static void check_unet_batch1(void) {
  UnetConfig cfg = {.input_dim = 2, .global_cond_dim = 6, .step_embed_dim = 16, .n_levels = 3,
                    .down_dims = {16, 32, 64}, .kernel_size = 5, .n_groups = 8, .cond_predict_scale = 1};
  Unet u;
  unet_init(&u, &cfg);
  float *p = malloc(u.table.numel * 4);
  unet_init_params(&u, p, 3);
  float sample[2 * 16 * 2], cond[2 * 6], t[2] = {17, 17}, out1[32], out2[64];
  rng_fill_normal(rng_make(2, 1), 0, sample, 32);
  rng_fill_normal(rng_make(2, 2), 0, cond, 6);
  memcpy(sample + 32, sample, 32 * 4), memcpy(cond + 6, cond, 6 * 4);
  UnetActs *a1 = unet_acts_create(&u, 1, 16), *a2 = unet_acts_create(&u, 2, 16);
  unet_forward(&u, p, a1, out1, sample, t, cond);
  unet_forward(&u, p, a2, out2, sample, t, cond);
  double worst = 0;
  for (int i = 0; i < 32; i++) worst = fmax(worst, fabs(out1[i] - out2[i]) + fabs(out1[i] - out2[32 + i]));
  printf("U-Net batch 1 (streaming kernel) vs batch 2 (GEMM): max difference %.2g\n", worst);
  CHECK(worst < 1e-4, "U-Net at batch 1 differs from batch 2 by %g", worst);
  unet_acts_free(a1), unet_acts_free(a2), free(p), unet_free(&u);
}

int main(void) {
  int T[] = {16, 8, 4, 5, 1, 12};
  for (int i = 0; i < 6; i++) {
    check_shape(7, 9, 5, T[i]);
    check_shape(64, 33, 3, T[i]);
    check_shape(130, 4, 1, T[i]);
  }
  check_shape(1024, 1024, 5, 4);
  check_unet_batch1();
  TEST_MAIN_END();
}
