// Errors are values: a function that can fail returns ODP_OK (0) or ODP_ERR (-1) and
// leaves a one-line message (naming the file and field at fault) in a thread-local
// buffer, read with odp_error().
#pragma once

#define ODP_OK 0
#define ODP_ERR (-1)

// Sets the message (printf-style) and returns ODP_ERR, so callers write
//   return odp_fail("%s: tensor '%s' has shape ...", path, name);
int odp_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// Prefixes the current message: "context: previous message". Returns ODP_ERR.
int odp_fail_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

const char *odp_error(void);
void odp_error_clear(void);

// Allocation that reports failure as an error value instead of crashing.
void *odp_malloc(unsigned long bytes, const char *what);
void *odp_calloc(unsigned long count, unsigned long size, const char *what);
