// observe + act allocate nothing after open: this program replaces malloc and friends
// (symbol interposition: every caller in the process, libgomp and libc included, reaches
// these) with counting wrappers around glibc's, then counts over 1,000 observe+act calls
// of the shipped OneDP-S student, 200 of the teacher with DDPM and DDIM and 200 of the
// shipped image student (its camera encoder packed too), through libonedp.so. It also interposes the two BLAS entry points onedp uses (cblas_sgemm,
// cblas_sgemv) and requires act to call neither: the packed network has its own kernels,
// so OpenBLAS's kernel choice (the CLI's re-exec) cannot change act's speed.
// Under AddressSanitizer (which owns malloc) it only reports a skip.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onedp.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

static long n_alloc, n_blas;

#ifndef SANITIZED
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
static void count(void) { __atomic_fetch_add(&n_alloc, 1, __ATOMIC_RELAXED); }
void *malloc(size_t n) { return count(), __libc_malloc(n); }
void *calloc(size_t k, size_t n) { return count(), __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { return count(), __libc_realloc(p, n); }
void *aligned_alloc(size_t a, size_t n) { return count(), __libc_memalign(a, n); }
void *memalign(size_t a, size_t n) { return count(), __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
  count();
  *out = __libc_memalign(a, n);
  return *out ? 0 : 12;
}
void free(void *p) { __libc_free(p); }

// Counted, then forwarded to OpenBLAS's own definition (the next one in lookup order).
#include <dlfcn.h>
typedef void (*GemmFn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*GemvFn)(int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
void cblas_sgemm(int o, int ta, int tb, int m, int n, int k, float al, const float *a, int lda, const float *b, int ldb,
                 float be, float *c, int ldc) {
  n_blas++;
  ((GemmFn)dlsym(RTLD_NEXT, "cblas_sgemm"))(o, ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc);
}
void cblas_sgemv(int o, int t, int m, int n, float al, const float *a, int lda, const float *x, int incx, float be,
                 float *y, int incy) {
  n_blas++;
  ((GemvFn)dlsym(RTLD_NEXT, "cblas_sgemv"))(o, t, m, n, al, a, lda, x, incx, be, y, incy);
}
#endif

// Allocations during `calls` observe+act pairs on a fresh run (varying observations).
static long count_calls(const char *ckpt, const char *sampler, int calls) {
  onedp_policy *p;
  if (onedp_policy_open(&p, ckpt, sampler, 0)) {
    fprintf(stderr, "api_alloc: %s\n", onedp_last_error());
    exit(1);
  }
  float *obs = malloc((size_t)onedp_policy_obs_dim(p) * sizeof *obs), act[64];  // an image frame: 27,650
  onedp_policy_reset(p, 3);
  long before = n_alloc, blas_before = n_blas;
  for (int i = 0; i < calls; i++) {
    for (int j = 0; j < onedp_policy_obs_dim(p); j++) {  // pixels in [0, 1), positions in [100, 400)
      const float v = (float)((i * 7 + j * 13) % 300);
      obs[j] = onedp_policy_obs_dim(p) > 1000 ? v / 300 : 100 + v;
    }
    if (onedp_policy_observe(p, obs) || onedp_policy_act(p, act)) {
      fprintf(stderr, "api_alloc: %s\n", onedp_last_error());
      exit(1);
    }
  }
  long n = n_alloc - before, blas = n_blas - blas_before;
  onedp_policy_close(p);
  free(obs);
  printf("%s %s: %ld allocations, %ld BLAS calls over %d observe+act calls\n", ckpt, sampler ? sampler : "(default)", n,
         blas, calls);
  return n + blas;
}

int main(void) {
#ifdef SANITIZED
  puts("skipped: AddressSanitizer replaces malloc");
  return 0;
#else
  void *probe = malloc(16);  // the wrappers are live in this process
  free(probe);
  if (n_alloc < 1) return puts("FAIL: the malloc wrapper is not called"), 1;
  long n = count_calls("models/pusht_onedp_s.safetensors", NULL, 1000);
  n += count_calls("models/pusht_teacher.safetensors", "ddpm:4", 200);
  n += count_calls("models/pusht_teacher.safetensors", "ddim:4", 200);
  n += count_calls("models/pusht_image_onedp_s.safetensors", NULL, 200);
  puts(n ? "FAIL" : "ok: 0 allocations, 0 BLAS calls");
  return n ? 1 : 0;
#endif
}
