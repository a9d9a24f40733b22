// A scratch directory for tests that write files: $ONEDP_BUILD/<tag> under ctest, a fresh
// /tmp/onedp-<tag>-XXXXXX otherwise; path_in() names files inside it.
#pragma once
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static char dir[512];

static const char *path_in(const char *name) {
  static char buf[4][768];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

// Returns 1 when running under ctest (ONEDP_BUILD set).
static int test_dir_open(const char *tag) {
  const char *build = getenv("ONEDP_BUILD");
  if (build) {
    snprintf(dir, sizeof dir, "%s/%s", build, tag);
    if (mkdir(dir, 0755) && errno != EEXIST) perror(dir);
  } else {
    snprintf(dir, sizeof dir, "/tmp/onedp-%s-XXXXXX", tag);
    if (!mkdtemp(dir)) perror(dir);
  }
  return build != NULL;
}
