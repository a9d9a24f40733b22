#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char error_message[1024];

int odp_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(error_message, sizeof error_message, fmt, ap);
  va_end(ap);
  return ODP_ERR;
}

int odp_fail_context(const char *fmt, ...) {
  char previous[sizeof error_message];
  memcpy(previous, error_message, sizeof previous);
  char context[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(context, sizeof context, fmt, ap);
  va_end(ap);
  snprintf(error_message, sizeof error_message, "%s: %s", context, previous);
  return ODP_ERR;
}

const char *odp_error(void) { return error_message[0] ? error_message : "unknown error"; }

void odp_error_clear(void) { error_message[0] = 0; }

void *odp_malloc(unsigned long bytes, const char *what) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p) odp_fail("out of memory allocating %lu bytes for %s", bytes, what);
  return p;
}

void *odp_calloc(unsigned long count, unsigned long size, const char *what) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) odp_fail("out of memory allocating %lu x %lu bytes for %s", count, size, what);
  return p;
}
