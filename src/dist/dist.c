#include "dist/dist.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/hw.h"

#ifdef ONEDP_MPI
#include <mpi.h>
#endif

static int group_rank = 0, group_size = 1, local_size = 1, joined = 0;
static double comm_seconds = 0;

int dist_rank(void) { return group_rank; }
int dist_size(void) { return group_size; }
int dist_cores_per_rank(void) {
  const int n = omp_get_num_procs() / local_size;
  return n > 1 ? n : 1;
}

void dist_shard_of(long n, int rank, int size, long *lo, long *hi) {
  const long base = n / size, extra = n % size;
  *lo = rank * base + (rank < extra ? rank : extra);
  *hi = *lo + base + (rank < extra);
}

double dist_take_comm_seconds(void) {
  double s = comm_seconds;
  comm_seconds = 0;
  return s;
}

#ifdef ONEDP_MPI

int dist_init(int *argc, char ***argv) {
  if (!getenv("OMPI_COMM_WORLD_SIZE")) return ODP_OK;  // not launched by mpirun: a group of one
  int provided;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    return odp_fail("MPI_Init_thread failed");
  joined = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &group_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &group_size);
  MPI_Comm node;  // the ranks sharing this computer's memory
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, group_rank, MPI_INFO_NULL, &node);
  MPI_Comm_size(node, &local_size);
  MPI_Comm_free(&node);
  return ODP_OK;
}

int dist_finish(int status) {
  if (!joined) return status;
  if (status && group_size > 1) MPI_Abort(MPI_COMM_WORLD, status);  // the others may wait on this rank
  MPI_Finalize();
  return status;
}

static int checked(int rc, const char *what) {
  if (rc == MPI_SUCCESS) return ODP_OK;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  return odp_fail("rank %d: %s: %s", group_rank, what, text);
}

int dist_sum_floats(float *x, long n) {
  if (group_size == 1) return ODP_OK;
  double t0 = now_seconds();
  for (long at = 0; at < n; at += DIST_BUCKET_FLOATS) {
    int count = (int)(n - at < DIST_BUCKET_FLOATS ? n - at : DIST_BUCKET_FLOATS);
    if (checked(MPI_Allreduce(MPI_IN_PLACE, x + at, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "all-reduce"))
      return ODP_ERR;
  }
  comm_seconds += now_seconds() - t0;
  return ODP_OK;
}

int dist_sum_doubles(double *x, long n) {
  if (group_size == 1) return ODP_OK;
  double t0 = now_seconds();
  int rc = checked(MPI_Allreduce(MPI_IN_PLACE, x, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "all-reduce");
  comm_seconds += now_seconds() - t0;
  return rc;
}

int dist_broadcast(void *buf, size_t bytes) {
  if (group_size == 1) return ODP_OK;
  for (size_t at = 0; at < bytes; at += 1u << 30) {  // MPI counts are ints
    size_t count = bytes - at < (1u << 30) ? bytes - at : (1u << 30);
    if (checked(MPI_Bcast((char *)buf + at, (int)count, MPI_BYTE, 0, MPI_COMM_WORLD), "broadcast")) return ODP_ERR;
  }
  return ODP_OK;
}

int dist_share_items(void *items, long n, size_t item_bytes) {
  if (group_size == 1) return ODP_OK;
  int *counts = malloc((size_t)group_size * sizeof *counts), *displs = malloc((size_t)group_size * sizeof *displs);
  if (!counts || !displs) return free(counts), free(displs), odp_fail("all-gather: out of memory");
  for (int r = 0; r < group_size; r++) {
    long lo, hi;
    dist_shard_of(n, r, group_size, &lo, &hi);
    counts[r] = (int)((hi - lo) * (long)item_bytes), displs[r] = (int)(lo * (long)item_bytes);
  }
  double t0 = now_seconds();
  int rc = checked(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, items, counts, displs, MPI_BYTE, MPI_COMM_WORLD),
                   "all-gather");
  comm_seconds += now_seconds() - t0;
  free(counts), free(displs);
  return rc;
}

int dist_agree(unsigned long long value) {
  if (group_size == 1) return 1;
  unsigned long long lo = value, hi = value;
  if (MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS ||
      MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS)
    return 0;
  return lo == hi;
}

int dist_broadcast_string(char **s) {
  if (group_size == 1) return *s ? ODP_OK : ODP_ERR;
  long len = group_rank == 0 ? (*s ? (long)strlen(*s) : -1) : 0;
  if (dist_broadcast(&len, sizeof len)) return ODP_ERR;
  if (len < 0) return ODP_ERR;  // rank 0 failed and said why
  if (group_rank != 0 && !(*s = malloc((size_t)len + 1))) return odp_fail("broadcast: out of memory");
  if (dist_broadcast(*s, (size_t)len + 1)) return ODP_ERR;
  return ODP_OK;
}

#else  // the plain build: a group of one

int dist_init(int *argc, char ***argv) {
  (void)argc, (void)argv, (void)joined;
  return ODP_OK;
}
int dist_finish(int status) { return status; }
int dist_sum_floats(float *x, long n) { return (void)x, (void)n, ODP_OK; }
int dist_sum_doubles(double *x, long n) { return (void)x, (void)n, ODP_OK; }
int dist_broadcast(void *buf, size_t bytes) { return (void)buf, (void)bytes, ODP_OK; }
int dist_share_items(void *items, long n, size_t item_bytes) { return (void)items, (void)n, (void)item_bytes, ODP_OK; }
int dist_broadcast_string(char **s) { return *s ? ODP_OK : ODP_ERR; }
int dist_agree(unsigned long long value) { return (void)value, 1; }

#endif
