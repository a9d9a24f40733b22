// Shared pieces of the libFuzzer harnesses (tests/fuzz/fuzz_*.c): splitting an input
// into NUL-separated parts, a per-process scratch directory for the readers that take
// a path, and FUZZ_CHECK for the properties a harness asserts beyond "no crash".
#pragma once
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// A broken property is a finding like a crash: print it and abort (libFuzzer saves the input).
#define FUZZ_CHECK(cond, ...)                                                   \
  do {                                                                          \
    if (!(cond)) {                                                              \
      fprintf(stderr, "FUZZ_CHECK %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
      fprintf(stderr, __VA_ARGS__);                                             \
      fprintf(stderr, "\n");                                                    \
      abort();                                                                  \
    }                                                                           \
  } while (0)

// Part k (0-based) of data split at NUL bytes, as a malloc'd NUL-terminated string
// ("" when there are fewer parts). *len receives its length.
static inline char *fuzz_part(const uint8_t *data, size_t size, int k, size_t *len) {
  size_t begin = 0;
  for (int part = 0; part < k; part++) {
    const uint8_t *nul = begin < size ? memchr(data + begin, 0, size - begin) : NULL;
    begin = nul ? (size_t)(nul - data) + 1 : size;
  }
  const uint8_t *nul = begin < size ? memchr(data + begin, 0, size - begin) : NULL;
  size_t n = nul ? (size_t)(nul - data) - begin : size - begin;
  char *s = malloc(n + 1);
  if (!s) abort();
  if (n) memcpy(s, data + begin, n);
  s[n] = 0;
  if (len) *len = n;
  return s;
}

// Removes dir and everything below it (the scratch tree holds only what a harness wrote).
static inline void fuzz_remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    for (struct dirent *e; (e = readdir(d));) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char path[4096];
      struct stat sb;
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) fuzz_remove_tree(path);
      else unlink(path);
    }
    closedir(d);
  }
  rmdir(dir);
}

static char fuzz_dir_path[512];

static inline void fuzz_dir_cleanup(void) { fuzz_remove_tree(fuzz_dir_path); }

// A fresh directory for this process (on tmpfs when there is one), removed at exit.
static inline const char *fuzz_dir(void) {
  if (fuzz_dir_path[0]) return fuzz_dir_path;
  struct stat sb;
  const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0
                         ? "/dev/shm"
                         : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/onedp-fuzz-XXXXXX", base);
  if (!mkdtemp(fuzz_dir_path)) {
    perror(fuzz_dir_path);
    abort();
  }
  atexit(fuzz_dir_cleanup);
  return fuzz_dir_path;
}

// Writes n bytes to path (replacing it); aborts on I/O failure (the harness's, not onedp's).
static inline void fuzz_write(const char *path, const void *bytes, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const char *p = bytes;
  while (fd >= 0 && n) {
    ssize_t k = write(fd, p, n);
    if (k <= 0) break;
    p += k, n -= (size_t)k;
  }
  if (fd < 0 || n || close(fd)) {
    perror(path);
    abort();
  }
}

// The input as a file named `name` in the scratch directory; returns its path (static).
static inline const char *fuzz_file(const char *name, const void *bytes, size_t n) {
  static char path[8][1024];
  static int k;
  k = (k + 1) % 8;
  snprintf(path[k], sizeof path[k], "%s/%s", fuzz_dir(), name);
  fuzz_write(path[k], bytes, n);
  return path[k];
}
