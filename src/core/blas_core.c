#include "core/blas_core.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *blas_core_name(void) { return openblas_get_corename(); }

// The AVX-512 subsets OpenBLAS's SkylakeX-and-later kernels use.
static int cpu_has_avx512(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
  return 0;
#endif
}

static int core_is_avx512(const char *name) {
  static const char *const wide[] = {"skylakex", "cooperlake", "sapphirerapids"};
  for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
    if (name && !strcasecmp(name, wide[i])) return 1;
  return 0;
}

static int kernels_narrower_than_cpu(void) { return cpu_has_avx512() && !core_is_avx512(blas_core_name()); }

void blas_prefer_wide_kernels(char **argv) {
  if (!kernels_narrower_than_cpu() || getenv("OPENBLAS_CORETYPE")) return;
  // OpenBLAS picks its kernels once, as it loads, from this variable; setting it also
  // keeps the new process from coming back here.
  if (setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)) return;
  execv("/proc/self/exe", argv);
  unsetenv("OPENBLAS_CORETYPE");  // no exec (no /proc?): run on with the kernels we have
}

void blas_warn_if_narrow(const char *who) {
  if (!kernels_narrower_than_cpu()) return;
  const char *forced = getenv("OPENBLAS_CORETYPE");
  if (forced)
    fprintf(stderr, "%s: note: OPENBLAS_CORETYPE=%s runs 256-bit GEMM kernels on this AVX-512 CPU; "
            "unset it (or set SkylakeX) for up to 1.7x faster training\n", who, forced);
  else
    fprintf(stderr, "%s: note: OpenBLAS runs %s kernels on this AVX-512 CPU; OPENBLAS_CORETYPE=SkylakeX "
            "selects 512-bit ones\n", who, blas_core_name());
}
