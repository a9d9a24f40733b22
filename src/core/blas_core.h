// Which OpenBLAS kernels run, and whether they use the CPU's full vector width.
#pragma once

// The kernel set OpenBLAS chose when it loaded ("Cooperlake", "Haswell", ...).
const char *blas_core_name(void);

// Prints a one-line note to stderr, prefixed by `who`, when the CPU has AVX-512 but
// OpenBLAS runs 256-bit kernels: the environment forced them (OPENBLAS_CORETYPE) or the
// library does not know the CPU. Training then runs at about half the FMA throughput
// (lowdim preset, Zen 5: 3.16 s vs 1.89 s per step).
void blas_warn_if_narrow(const char *who);
