// When a loop should open an OpenMP team. libgomp allocates a team (memalign) for every
// parallel region entered with one thread, `if` clause false included, so a loop that may
// run on one thread calls its body directly instead: the runtime API's act then allocates
// nothing (tests/api/api_alloc.c). The iterations must be independent, so both ways give
// the same result.
#pragma once
#include <omp.h>

static inline int odp_go_parallel(int big_enough) { return big_enough && omp_get_max_threads() > 1; }
