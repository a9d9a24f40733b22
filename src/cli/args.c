#include "cli/args.h"

#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *arg_string(int argc, char **argv, const char *name, const char *fallback) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], name)) {
      if (i + 1 >= argc) {
        fprintf(stderr, "onedp %s: option %s needs a value\n", argv[0], name);
        exit(2);
      }
      return argv[i + 1];
    }
  return fallback;
}

int arg_int(int argc, char **argv, const char *name, int fallback, int min, int max) {
  const char *s = arg_string(argc, argv, name, NULL);
  if (!s) return fallback;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || end == s || v < min || v > max) {
    fprintf(stderr, "onedp %s: %s must be an integer in [%d, %d] (got '%s')\n", argv[0], name, min, max, s);
    exit(2);
  }
  return (int)v;
}

double arg_double(int argc, char **argv, const char *name, double fallback, double min, double max) {
  const char *s = arg_string(argc, argv, name, NULL);
  if (!s) return fallback;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || end == s || !(v >= min && v <= max)) {
    fprintf(stderr, "onedp %s: %s must be a number in [%g, %g] (got '%s')\n", argv[0], name, min, max, s);
    exit(2);
  }
  return v;
}

int arg_thread_counts(int argc, char **argv, int *out, int max) {
  char fallback[32];
  snprintf(fallback, sizeof fallback, omp_get_num_procs() > 1 ? "1,%d" : "1", omp_get_num_procs());
  const char *text = arg_string(argc, argv, "--threads", fallback);
  int n = 0;
  for (const char *p = text; *p;) {
    char *end;
    long v = strtol(p, &end, 10);
    if (n == max || end == p || v < 1 || v > 1024 || (*end && *end != ',')) {
      fprintf(stderr, "onedp %s: --threads: expected a list like 1,2 (at most %d counts in [1, 1024], got '%s')\n",
              argv[0], max, text);
      exit(2);
    }
    out[n++] = (int)v;
    p = *end == ',' ? end + 1 : end;
  }
  if (!n) {
    fprintf(stderr, "onedp %s: --threads: expected a list like 1,2 (got '%s')\n", argv[0], text);
    exit(2);
  }
  return n;
}

int arg_flag(int argc, char **argv, const char *name) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], name)) return 1;
  return 0;
}

const char *arg_unknown(int argc, char **argv, const char *const *valued, const char *const *flags) {
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] != '-' || !argv[i][1]) continue;
    int known = 0;
    for (const char *const *v = valued; v && *v && !known; v++)
      if (!strcmp(argv[i], *v)) known = 1, i++;  // and its value
    for (const char *const *f = flags; f && *f && !known; f++) known = !strcmp(argv[i], *f);
    if (!known) return argv[i];
  }
  return NULL;
}

const char *arg_positional(int argc, char **argv, const char *const *valued) {
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1]) {
      for (const char *const *v = valued; v && *v; v++)
        if (!strcmp(argv[i], *v)) {
          i++;
          break;
        }
      continue;
    }
    return argv[i];
  }
  return NULL;
}
