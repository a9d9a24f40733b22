// Minimal test harness: CHECK records a failure and goes on; TEST_MAIN_END prints
// "N passed, N failed" and sets the exit code.
#pragma once
#include <math.h>
#include <stdio.h>

static int tests_passed, tests_failed;

#define CHECK(cond, ...)                                       \
  do {                                                         \
    if (cond) {                                                \
      tests_passed++;                                          \
    } else {                                                   \
      tests_failed++;                                          \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                            \
      fprintf(stderr, "\n");                                   \
    }                                                          \
  } while (0)

#define CHECK_NEAR(a, b, tol, what)                                                          \
  CHECK(fabs((double)(a) - (double)(b)) <= (tol), "%s: %.9g vs %.9g (tol %g)", what, (double)(a), \
        (double)(b), (double)(tol))

#define TEST_MAIN_END()                                              \
  do {                                                               \
    printf("%d passed, %d failed\n", tests_passed, tests_failed);    \
    return tests_failed ? 1 : 0;                                     \
  } while (0)
