// Which OpenBLAS kernels run, and whether they use the CPU's full vector width.
#pragma once

// The kernel set OpenBLAS chose when it loaded ("Cooperlake", "Haswell", ...).
const char *blas_core_name(void);

// When the CPU has AVX-512, OpenBLAS did not recognise it (a virtual machine that hides
// the CPU model gets SSE3 "Prescott" kernels) and OPENBLAS_CORETYPE is unset: sets it to
// SkylakeX and re-executes the program with argv, which must end in NULL. Returns when
// nothing needed doing or the re-exec failed. An OPENBLAS_CORETYPE the user set is kept.
void blas_prefer_wide_kernels(char **argv);

// Prints a one-line note to stderr, prefixed by `who`, when the CPU has AVX-512 but
// OpenBLAS runs 256-bit kernels: the environment forced them (OPENBLAS_CORETYPE) or the
// library does not know the CPU. Training then runs at about half the FMA throughput
// (lowdim preset, Zen 5: 3.16 s vs 1.89 s per step).
void blas_warn_if_narrow(const char *who);
