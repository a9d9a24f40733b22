// PushT coverage (exact convex clipping) vs shapely, the reference's geometry
// engine, on 1202 poses: uniform, near the goal at four scales, and the goal itself.
#include <math.h>
#include <stdio.h>

#include "env/pusht.h"
#include "test.h"

static void test_against_shapely(void) {
  FILE *p = popen("/usr/bin/python3 tests/ref/pusht_coverage.py", "r");
  CHECK(p != NULL, "cannot run the shapely oracle");
  if (!p) return;
  double x, y, a, want, worst = 0;
  int n = 0, partial = 0;
  while (fscanf(p, "%lf %lf %lf %lf", &x, &y, &a, &want) == 4) {
    double got = pusht_coverage(x, y, a), err = fabs(got - want);
    CHECK(err <= 1e-9, "pose (%.17g, %.17g, %.17g): coverage %.17g vs shapely %.17g", x, y, a, got, want);
    worst = fmax(worst, err);
    partial += want > 0.01 && want < 0.99;
    n++;
  }
  CHECK(pclose(p) == 0, "shapely oracle failed");
  CHECK(n >= 1000, "oracle gave %d poses", n);
  CHECK(partial >= 300, "only %d poses with partial overlap", partial);
  printf("coverage vs shapely: %d poses, max abs error %.3g\n", n, worst);
}

static void test_goal_and_far(void) {
  CHECK_NEAR(pusht_coverage(256, 256, M_PI / 4), 1.0, 1e-12, "coverage at the goal");
  CHECK(pusht_coverage(100, 100, 0) == 0.0, "far block covers nothing");
  // Coverage just below/above the success threshold decides done (strict >).
  CHECK(pusht_coverage(256, 256, M_PI / 4 + 0.02) > 0.95, "small rotation still succeeds");
}

int main(void) {
  test_goal_and_far();
  test_against_shapely();
  TEST_MAIN_END();
}
