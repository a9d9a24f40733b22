// The inference U-Net (packed f32 / bf16 weights, optional fixed step) against the
// training forward pass on the same weights: batch 1 and batched, per-item timesteps,
// FiLM with scale and bias-only, with and without global conditioning.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "model/unet_infer.h"
#include "nn/mish.h"
#include "test.h"

// max |a - b| / max |b|
static double rel_max_error(const float *a, const float *b, long n) {
  double num = 0, den = 0;
  for (long i = 0; i < n; i++) num = fmax(num, fabs((double)a[i] - b[i])), den = fmax(den, fabs((double)b[i]));
  return num / (den + 1e-30);
}

// Rounds every parameter to bf16, so the training path sees exactly the stored weights.
static void round_params_bf16(float *p, long n) {
  for (long i = 0; i < n; i++) p[i] = bf16_to_f32(bf16_from_f32(p[i]));
}

static void check(const UnetConfig *cfg, int B, WeightFormat fmt, int fixed_step, double tol) {
  Unet u;
  CHECK(unet_init(&u, cfg) == 0, "unet_init");
  float *p = malloc(u.table.numel * sizeof(float));
  unet_init_params(&u, p, 11);
  if (fmt == WEIGHTS_BF16) round_params_bf16(p, u.table.numel);
  const int T = 16, Da = cfg->input_dim, Gc = cfg->global_cond_dim;
  long n = (long)B * T * Da;
  float *sample = malloc(n * 4), *gc = malloc(((long)B * Gc + 1) * 4), *t = malloc(B * 4);
  float *ref = malloc(n * 4), *out = malloc(n * 4);
  rng_fill_normal(rng_make(5, 1), 0, sample, n);
  rng_fill_normal(rng_make(5, 2), 0, gc, (long)B * Gc);
  for (int b = 0; b < B; b++) t[b] = fixed_step >= 0 ? (float)fixed_step : (float)(13 * b + 4);
  UnetActs *acts = unet_acts_create(&u, B, T);
  unet_forward(&u, p, acts, ref, sample, t, gc);
  UnetInfer m;
  const float fixed = (float)fixed_step;
  CHECK(unet_infer_from_params(&m, &u, p, fmt, fixed_step >= 0 ? &fixed : NULL) == 0, "build");
  UnetInferActs *ia = unet_infer_acts_create(&m, B, T);
  CHECK(unet_infer_forward(&m, ia, out, sample, t, gc) == 0, "forward");
  double e = rel_max_error(out, ref, n);
  CHECK(e < tol, "dims %d.. levels %d scale %d Gc %d B %d %s fixed step %d: relative error %g (tol %g)",
        cfg->down_dims[0], cfg->n_levels, cfg->cond_predict_scale, Gc, B, fmt ? "bf16" : "f32", fixed_step, e, tol);
  if (fixed_step >= 0) {  // a fixed-step network refuses other timesteps
    t[0] += 1;
    CHECK(unet_infer_forward(&m, ia, out, sample, t, gc) != 0, "wrong timestep accepted");
  }
  unet_infer_acts_free(ia);
  unet_infer_free(&m);
  unet_acts_free(acts);
  free(p), free(sample), free(gc), free(t), free(ref), free(out);
  unet_free(&u);
}

// The vectorised Mish against the libm one, over the range activations reach and the
// saturated tails; lengths that leave a partial vector.
static void check_mish_vec(void) {
  const long n = 4003;
  float *x = malloc(n * 4), *ref = malloc(n * 4), *y = malloc(n * 4);
  for (long i = 0; i < n; i++) x[i] = -120.0f + 240.0f * (float)i / (float)(n - 1);
  x[7] = 0.0f, x[8] = -0.0f, x[9] = 20.0f, x[10] = 1e-30f;
  mish_forward(ref, x, n);
  mish_forward_vec(y, x, n);
  double worst = 0;  // relative, or absolute where the value is 0 in float (x below about -87)
  for (long i = 0; i < n; i++) worst = fmax(worst, fabs((double)y[i] - ref[i]) / fmax(fabs((double)ref[i]), 1e-20));
  printf("vectorised Mish: max relative difference %.2e\n", worst);
  CHECK(worst < 1e-6, "vectorised Mish differs from mish_forward by %g", worst);
  free(x), free(ref), free(y);
}

int main(void) {
  check_mish_vec();
  UnetConfig three = {.input_dim = 2, .global_cond_dim = 6, .step_embed_dim = 16, .n_levels = 3,
                      .down_dims = {16, 32, 64}, .kernel_size = 5, .n_groups = 8, .cond_predict_scale = 1};
  UnetConfig two = {.input_dim = 3, .global_cond_dim = 0, .step_embed_dim = 8, .n_levels = 2,
                    .down_dims = {24, 40}, .kernel_size = 3, .n_groups = 4, .cond_predict_scale = 0};
  UnetConfig small;
  unet_config_preset(&small, "small");
  for (int f = 0; f < 2; f++)
    for (int B = 1; B <= 3; B += 2) {
      WeightFormat fmt = f ? WEIGHTS_BF16 : WEIGHTS_F32;
      check(&three, B, fmt, -1, 1e-5);
      check(&three, B, fmt, 65, 1e-5);
      check(&two, B, fmt, -1, 1e-5);
      check(&two, B, fmt, 7, 1e-5);
      if (B == 1) check(&small, B, fmt, 65, 1e-5);
    }
  TEST_MAIN_END();
}
