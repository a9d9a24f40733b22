// The packed inference convolution (f32 and bf16 weights) against the GEMM path the
// model trains with: plain, strided and transposed convolutions, batch 1 and batched,
// output channels that do not fill a packed block.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/params.h"
#include "core/rng.h"
#include "nn/conv1d_packed.h"
#include "nn/conv_transpose1d.h"
#include "test.h"

// PyTorch-layout weight (A, Bdim, K) to the tap layout the GEMM path reads.
static float *to_taps(const float *w, int A, int Bdim, int K) {
  ParamEntry e = {.ndim = 3, .shape = {A, Bdim, K}, .numel = (long)A * Bdim * K, .layout = LAYOUT_TAPS};
  float *t = malloc((size_t)e.numel * sizeof *t);
  param_from_pytorch(&e, w, t);
  return t;
}

static void round_bf16(float *w, long n) {
  for (long i = 0; i < n; i++) w[i] = bf16_to_f32(bf16_from_f32(w[i]));
}

// Worst |a - b| over the rounding scale of a sum of `terms` unit products.
static double worst_scaled(const float *a, const float *b, long n, int terms) {
  double worst = 0, scale = sqrt((double)terms);
  for (long i = 0; i < n; i++) worst = fmax(worst, fabs((double)a[i] - b[i]) / scale);
  return worst;
}

static void check(Conv1dShape s, int transposed, int tin, int B, WeightFormat fmt) {
  long nw = (long)s.cout * s.cin * s.kernel, nx = (long)s.cin * tin * B;
  float *w = malloc(nw * 4), *x = malloc(nx * 4), *bias = malloc(s.cout * 4);
  rng_fill_normal(rng_make(7, 1), 0, w, nw);
  rng_fill_normal(rng_make(7, 2), 0, x, nx);
  rng_fill_normal(rng_make(7, 3), 0, bias, s.cout);
  if (fmt == WEIGHTS_BF16) round_bf16(w, nw);  // the reference sees exactly the stored weights
  PackedConv pc = packed_conv_make(s, transposed, fmt, NULL, bias);
  void *packed = malloc(packed_conv_bytes(s, fmt));
  packed_conv_pack(packed, w, s, transposed, fmt);
  pc.w = packed;
  int tout = packed_conv_out_len(&pc, tin);
  long ny = (long)s.cout * tout * B;
  float *y = malloc(ny * 4), *ref = malloc(ny * 4), *scratch = malloc(packed_conv_scratch_floats(&pc, tin, B) * 4);
  packed_conv_forward(&pc, y, x, tin, B, scratch);
  float *taps, *gemm_scratch;
  if (transposed) {
    taps = to_taps(w, s.cin, s.cout, s.kernel);
    gemm_scratch = malloc((conv_transpose1d_scratch_floats(s, tin, B) + 1) * 4);
    conv_transpose1d_forward(ref, x, taps, bias, s, tin, B, gemm_scratch);
  } else {
    taps = to_taps(w, s.cout, s.cin, s.kernel);
    gemm_scratch = malloc((conv1d_scratch_floats(s, tin, B) + 1) * 4);
    channel_bias_set(ref, bias, s.cout, tout, B);
    conv1d_accumulate(ref, x, taps, s, tin, B, gemm_scratch);
  }
  double worst = worst_scaled(y, ref, ny, s.cin * s.kernel);
  CHECK(worst < 1e-5, "%s %s cin %d cout %d K %d stride %d pad %d tin %d B %d: differs from GEMM by %g",
        transposed ? "convT" : "conv", fmt == WEIGHTS_BF16 ? "bf16" : "f32", s.cin, s.cout, s.kernel, s.stride,
        s.pad, tin, B, worst);
  free(w), free(x), free(bias), free(packed), free(y), free(ref), free(scratch), free(taps), free(gemm_scratch);
}

static void check_bf16_rounding(void) {
  CHECK(bf16_from_f32(1.0f) == 0x3f80, "1.0 -> %#x", bf16_from_f32(1.0f));
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
  CHECK(bf16_from_f32(1.00390625f) == 0x3f80, "tie rounds to even: %#x", bf16_from_f32(1.00390625f));
  CHECK(bf16_from_f32(1.01171875f) == 0x3f82, "tie rounds to even (up): %#x", bf16_from_f32(1.01171875f));
  CHECK(bf16_to_f32(bf16_from_f32(-3.140625f)) == -3.140625f, "exact value survives");
  CHECK(isnan(bf16_to_f32(bf16_from_f32(NAN))), "NaN stays NaN");
  // 8 significant bits: relative rounding error at most 2^-8.
  float worst = 0;
  for (int i = 1; i < 100000; i++) {
    float v = (float)i * 0.731f - 20000.0f;
    worst = fmaxf(worst, fabsf(bf16_to_f32(bf16_from_f32(v)) - v) / fabsf(v));
  }
  CHECK(worst <= 1.0f / 256, "bf16 relative rounding error %g", worst);
}

int main(void) {
  check_bf16_rounding();
  for (int f = 0; f < 2; f++) {
    WeightFormat fmt = f ? WEIGHTS_BF16 : WEIGHTS_F32;
    int T[] = {16, 8, 4, 5, 1, 12};
    for (int i = 0; i < 6; i++)
      for (int B = 1; B <= 3; B += 2) {
        check((Conv1dShape){7, 9, 5, 1, 2}, 0, T[i], B, fmt);
        check((Conv1dShape){64, 33, 3, 1, 1}, 0, T[i], B, fmt);
        check((Conv1dShape){130, 4, 1, 1, 0}, 0, T[i], B, fmt);
        check((Conv1dShape){24, 2, 1, 1, 0}, 0, T[i], B, fmt);
        if (T[i] > 1) check((Conv1dShape){32, 48, 3, 2, 1}, 0, T[i], B, fmt);  // Downsample1d
        check((Conv1dShape){5, 17, 4, 3, 0}, 0, T[i] + 3, B, fmt);
        check((Conv1dShape){32, 48, 4, 2, 1}, 1, T[i], B, fmt);  // Upsample1d
        check((Conv1dShape){9, 16, 3, 1, 1}, 1, T[i], B, fmt);
        check((Conv1dShape){6, 21, 5, 3, 2}, 1, T[i], B, fmt);
      }
    check((Conv1dShape){1024, 1024, 5, 1, 2}, 0, 4, 1, fmt);
    check((Conv1dShape){256, 256, 5, 1, 2}, 0, 16, 50, fmt);
  }
  TEST_MAIN_END();
}
