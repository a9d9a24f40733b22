#include "cli/args.h"

#include <errno.h>
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

int arg_flag(int argc, char **argv, const char *name) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], name)) return 1;
  return 0;
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
