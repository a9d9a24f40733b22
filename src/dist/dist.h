// The data-parallel process group: MPI (Debian's OpenMPI) when onedp is built with
// ONEDP_MPI (`make mpi`) and launched by mpirun; a group of one otherwise, where every
// call below is free and changes nothing (the plain build's arithmetic is the group of
// one's). Only the main thread talks to MPI (MPI_THREAD_FUNNELED); OpenMP and OpenBLAS run
// inside each rank as in a single process.
//
// What is sharded and how (README "Scale-out"): a training step's global batch of B
// samples is split into contiguous row ranges (dist_shard), each rank drawing its rows'
// random numbers at their global positions, so the sample stream is the same whatever the
// rank count; gradients and losses are summed over ranks (dist_sum_*), every rank applies
// the same optimiser step, and rank 0 alone writes the run directory. Evaluation shards
// its episodes' environments the same way, shares their observation rows so that every rank
// makes the whole batched policy call, and shares the episodes' results.
#pragma once
#include <stddef.h>

// Joins the group when launched by mpirun (OMPI_COMM_WORLD_SIZE in the environment, the
// MPI build only); otherwise a group of one. Returns 0 on success.
int dist_init(int *argc, char ***argv);
// Leaves the group with the command's exit status: a failed rank aborts the whole job
// (MPI_Abort) so no other rank waits on it; returns status.
int dist_finish(int status);

int dist_rank(void);
int dist_size(void);
static inline int dist_is_root(void) { return dist_rank() == 0; }
// The default thread count of one rank: this computer's cores divided among the group's
// ranks on it (MPI_COMM_TYPE_SHARED), at least 1; all cores in a group of one.
int dist_cores_per_rank(void);

// Rank `rank`'s share [*lo, *hi) of n items among `size` ranks: contiguous, in rank order,
// the first n % size ranks one longer. dist_shard: this rank's in this group.
void dist_shard_of(long n, int rank, int size, long *lo, long *hi);
static inline void dist_shard(long n, long *lo, long *hi) { dist_shard_of(n, dist_rank(), dist_size(), lo, hi); }

// In-place sums over the group (all-reduce), float buffers in buckets of
// DIST_BUCKET_FLOATS. Returns 0 on success.
enum { DIST_BUCKET_FLOATS = 1 << 20 };
int dist_sum_floats(float *x, long n);
int dist_sum_doubles(double *x, long n);
// Rank 0's bytes to every rank.
int dist_broadcast(void *buf, size_t bytes);
// items[0, n) of item_bytes each, of which this rank holds its share (dist_shard) in
// place: afterwards every rank holds all n (all-gather).
int dist_share_items(void *items, long n, size_t item_bytes);
// A string from rank 0 to every rank: *s is rank 0's (kept) and becomes a malloc'd copy
// elsewhere (NULL on rank 0 stays an error on every rank). Returns 0 on success.
int dist_broadcast_string(char **s);

// Whether every rank passed the same value (a fingerprint of state that must agree). 1 in
// a group of one; 0 also when the check itself failed.
int dist_agree(unsigned long long value);

// Wall seconds spent in this process's sums since the last call (then reset): the
// all-reduce time a training log reports.
double dist_take_comm_seconds(void);
