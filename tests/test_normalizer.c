// LinearNormalizer "limits": the reference's formula in float32 (incl. the tiny-range
// feature), round trip, the PushT statistics of docs/facts.md §3, NaN/Inf rejected.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/normalizer.h"
#include "data/zarr.h"
#include "test.h"

#define PUSHT "../shared/data/pusht/pusht_cchi_v7_replay.zarr"

static void test_formula(void) {
  // feature 0: [-3, 5]; feature 1: constant 7 (range 0); feature 2: range 5e-5 < 1e-4; feature 3: range 1e-3
  float x[3 * 4] = {-3, 7, 2.0f, 10.000f, 5, 7, 2.00005f, 10.001f, 1, 7, 2.00002f, 10.0005f};
  Normalizer nz;
  CHECK(normalizer_fit_limits(&nz, x, 3, 4, "x") == ODP_OK && nz.dim == 4, "fit");
  CHECK(nz.scale[0] == 0.25f && nz.offset[0] == -1 - 0.25f * -3, "scale 2/range, offset -1 - scale*min: %g %g",
        nz.scale[0], nz.offset[0]);
  CHECK(nz.scale[1] == 1 && nz.offset[1] == -7, "constant feature: scale 1, offset -min (%g %g)", nz.scale[1],
        nz.offset[1]);
  CHECK(nz.scale[2] == 1 && nz.offset[2] == -2.0f, "range below 1e-4: scale 1, offset -min");
  float r3 = 10.001f - 10.0f, s3 = 2.0f / r3, p3 = s3 * 10.0f;
  CHECK(nz.scale[3] == s3 && nz.offset[3] == -1.0f - p3, "range 1e-3 is scaled (float32 arithmetic)");

  float y[12], back[12];
  normalizer_apply(&nz, y, x, 3);
  CHECK(y[0] == -1 && y[4] == 1 && y[8] == 0, "[min, max] -> [-1, 1]: %g %g %g", y[0], y[4], y[8]);
  CHECK(y[1] == 0 && y[5] == 0, "constant feature lands at 0");
  CHECK_NEAR(y[3], -1, 1e-3, "feature 3 min");
  CHECK_NEAR(y[7], 1, 1e-3, "feature 3 max");
  normalizer_unapply(&nz, back, y, 3);
  double err = 0;
  for (int i = 0; i < 12; i++) err = fmax(err, fabs(back[i] - x[i]));
  CHECK(err < 1e-5, "round trip error %g", err);
  memcpy(back, x, sizeof x);
  normalizer_apply(&nz, back, back, 3);
  CHECK(!memcmp(back, y, sizeof y), "apply in place");
}

static void test_errors(void) {
  float x[6] = {1, 2, 3, NAN, 5, 6};
  Normalizer nz;
  CHECK(normalizer_fit_limits(&nz, x, 3, 2, "obs") == ODP_ERR && strstr(odp_error(), "obs row 1"), "NaN named: %s",
        odp_error());
  x[3] = -INFINITY;
  CHECK(normalizer_fit_limits(&nz, x, 3, 2, "act") == ODP_ERR && strstr(odp_error(), "act row 1"), "Inf named");
  CHECK(normalizer_fit_limits(&nz, x, 3, 0, "x") == ODP_ERR, "dim 0 refused");
  CHECK(normalizer_fit_limits(&nz, x, 0, 2, "x") == ODP_ERR, "no rows refused");
}

// agent_pos (state[:, :2]) and action over the whole store give docs/facts.md §3's limits.
static void test_pusht(void) {
  ZarrArray *st = zarr_open(PUSHT, "data/state"), *ac = zarr_open(PUSHT, "data/action");
  CHECK(st && ac, "open PushT: %s", odp_error());
  if (!st || !ac) return;
  long n = (long)zarr_rows(st);
  float *s = malloc(sizeof(float) * 5 * (size_t)n), *a = malloc(sizeof(float) * 2 * (size_t)n);
  float *pos = malloc(sizeof(float) * 2 * (size_t)n);
  zarr_read_rows(st, 0, n, ZARR_F32, s);
  zarr_read_rows(ac, 0, n, ZARR_F32, a);
  for (long i = 0; i < n; i++) pos[2 * i] = s[5 * i], pos[2 * i + 1] = s[5 * i + 1];
  Normalizer np_, na;
  CHECK(normalizer_fit_limits(&np_, pos, n, 2, "agent_pos") == ODP_OK, "fit agent_pos");
  CHECK(normalizer_fit_limits(&na, a, n, 2, "action") == ODP_OK, "fit action");
  float lo[2] = {13.456424f, 32.938293f}, hi[2] = {496.14618f, 510.9579f};
  for (int j = 0; j < 2; j++) {
    float sc = 2.0f / (hi[j] - lo[j]), prod = sc * lo[j];
    CHECK(np_.scale[j] == sc && np_.offset[j] == -1.0f - prod, "agent_pos[%d]: scale %.9g offset %.9g", j, np_.scale[j],
          np_.offset[j]);
  }
  CHECK(na.scale[0] == 2.0f / 499 && na.scale[1] == 2.0f / 486, "action scale 2/(511-12), 2/(511-25)");
  CHECK(na.offset[0] == -1.0f - (2.0f / 499) * 12 && na.offset[1] == -1.0f - (2.0f / 486) * 25, "action offset");
  float y[2], mn[2] = {12, 25}, mx[2] = {511, 511};
  normalizer_apply(&na, y, mn, 1);
  CHECK_NEAR(y[0], -1, 1e-6, "action min x -> -1");
  CHECK_NEAR(y[1], -1, 1e-6, "action min y -> -1");
  normalizer_apply(&na, y, mx, 1);
  CHECK_NEAR(y[0], 1, 1e-6, "action max x -> 1");
  CHECK_NEAR(y[1], 1, 1e-6, "action max y -> 1");
  free(s), free(a), free(pos);
  zarr_close(st), zarr_close(ac);
}

int main(void) {
  test_formula();
  test_errors();
  test_pusht();
  TEST_MAIN_END();
}
