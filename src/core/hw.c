#include "core/hw.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

double measure_copy_bandwidth_gbs(int threads) {
  const long bytes = 256L << 20;  // per direction, far beyond L3
  char *src = aligned_alloc(64, bytes), *dst = aligned_alloc(64, bytes);
  if (!src || !dst) return 0;
  memset(src, 1, bytes), memset(dst, 0, bytes);
  double best = 1e30;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = now_seconds();
#pragma omp parallel num_threads(threads)
    {
      int n = omp_get_num_threads(), i = omp_get_thread_num();
      long chunk = bytes / n;
      memcpy(dst + i * chunk, src + i * chunk, i == n - 1 ? bytes - i * chunk : chunk);
    }
    double dt = now_seconds() - t0;
    if (dt < best) best = dt;
  }
  free(src), free(dst);
  return 2.0 * bytes / best * 1e-9;
}

#define READ_LANES 32  // independent partial sums: the adds keep pace with memory

static float sum_block(const float *x, long n) {
  float acc[READ_LANES] = {0};
  for (long i = 0; i + READ_LANES <= n; i += READ_LANES)
    for (int j = 0; j < READ_LANES; j++) acc[j] += x[i + j];
  float s = 0;
  for (int j = 0; j < READ_LANES; j++) s += acc[j];
  return s;
}

double measure_read_bandwidth_gbs(int threads) {
  const long n = (256L << 20) / sizeof(float);
  float *src = aligned_alloc(64, n * sizeof(float));
  if (!src) return 0;
  for (long i = 0; i < n; i++) src[i] = 1.0f;
  double best = 1e30, sink = 0;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = now_seconds();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      int nt = omp_get_num_threads(), i = omp_get_thread_num();
      long chunk = n / nt / READ_LANES * READ_LANES;
      sink += sum_block(src + i * chunk, i == nt - 1 ? n - i * chunk : chunk);
    }
    double dt = now_seconds() - t0;
    if (dt < best) best = dt;
  }
  free(src);
  if (sink == 1.5) best *= 1.0;  // keeps the sums alive
  return n * sizeof(float) / best * 1e-9;
}

// Explicit FMA instructions (C11 mode compiles a*b+c as a multiply and an add, which
// can issue on separate pipes and overstate the peak) on the widest vectors the build
// targets: 512 bits where the build has AVX-512 (the width of OpenBLAS's SGEMM kernels
// on such CPUs, unless OPENBLAS_CORETYPE forces narrower ones: core/blas_core.h), else 256.
#if defined(__AVX512F__)
#include <immintrin.h>
#define PEAK_LANES 16
typedef __m512 vfloat;
#define VSET1 _mm512_set1_ps
#define VFMA _mm512_fmadd_ps
#define VSUM _mm512_reduce_add_ps
#elif defined(__FMA__)
#include <immintrin.h>
#define PEAK_LANES 8
typedef __m256 vfloat;
#define VSET1 _mm256_set1_ps
#define VFMA _mm256_fmadd_ps
static inline float VSUM(__m256 v) {
  float x[8];
  _mm256_storeu_ps(x, v);
  return x[0] + x[1] + x[2] + x[3] + x[4] + x[5] + x[6] + x[7];
}
#else
#define PEAK_LANES 1
typedef float vfloat;
#define VSET1(x) (x)
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VSUM(x) (x)
#endif
#define PEAK_CHAINS 12  // enough independent chains to cover FMA latency x ports

static double fma_loop(long iters) {
  vfloat acc[PEAK_CHAINS], a = VSET1(0.999999f), b = VSET1(1e-7f);
  for (int c = 0; c < PEAK_CHAINS; c++) acc[c] = VSET1((float)c);
  for (long it = 0; it < iters; it++)
    for (int c = 0; c < PEAK_CHAINS; c++) acc[c] = VFMA(acc[c], a, b);
  double s = 0;
  for (int c = 0; c < PEAK_CHAINS; c++) s += VSUM(acc[c]);
  return s;
}

int fma_peak_bits(void) { return PEAK_LANES * 32; }

double measure_peak_gflops(int threads) {
  const long iters = 20000000;
  double best = 1e30, sink = 0;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = now_seconds();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    sink += fma_loop(iters);
    double dt = now_seconds() - t0;
    if (dt < best) best = dt;
  }
  if (sink == 12345.678) best *= 1.0;  // keeps the loop's result alive
  return 2.0 * PEAK_LANES * PEAK_CHAINS * (double)iters * threads / best * 1e-9;
}

double measure_core_peak_gflops_cpu(void) {
  const long iters = 20000000;
  volatile long n = iters;  // read each repeat: the compiler may not merge the calls
  double best = 1e30, sink = 0;
  for (int rep = 0; rep < 3; rep++) {
    struct timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    double r = fma_loop(n);
    __asm__ volatile("" : : "g"(r) : "memory");  // the loop finishes before the clock is read again
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    sink += r;
    double dt = (b.tv_sec - a.tv_sec) + 1e-9 * (b.tv_nsec - a.tv_nsec);
    if (dt < best) best = dt;
  }
  if (sink == 12345.678) best *= 1.0;
  return 2.0 * PEAK_LANES * PEAK_CHAINS * (double)iters / best * 1e-9;
}

// VmHWM from /proc/self/status (resettable); getrusage's maximum where there is no /proc.
double peak_rss_mb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmHWM:", 6)) kb = strtol(line + 6, NULL, 10);
  if (f) fclose(f);
  if (kb >= 0) return kb / 1024.0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

int reset_peak_rss(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (!f) return -1;
  int ok = fputs("5", f) >= 0;
  return fclose(f) == 0 && ok ? 0 : -1;
}
