#include "eval/seed_range.h"

#include <errno.h>
#include <stdlib.h>

#include "core/error.h"

// Decimal digits only (strtoull alone would accept "-1" and " 7"); *end after them.
static int parse_u32(const char *s, char **end, uint32_t *out) {
  errno = 0;
  if (*s < '0' || *s > '9') return ODP_ERR;
  unsigned long long v = strtoull(s, end, 10);
  if (errno || v > 0xFFFFFFFFull) return ODP_ERR;
  *out = (uint32_t)v;
  return ODP_OK;
}

int seed_range_parse(const char *s, uint32_t *begin, uint32_t *end) {
  char *p;
  if (parse_u32(s, &p, begin)) goto bad;
  if (!*p) {
    if (*begin == 0xFFFFFFFFu) goto bad;
    *end = *begin + 1;
    return ODP_OK;
  }
  if (*p != ':' || parse_u32(p + 1, &p, end) || *p || *end <= *begin) goto bad;
  return ODP_OK;
bad:
  return odp_fail("--seeds '%s': expected A:B with 0 <= A < B < 2^32 (seeds A..B-1) or a single seed", s);
}

int seed_list_parse(const char *s, uint32_t *out, int max, int *n) {
  *n = 0;
  for (const char *p = s; *p;) {
    char *e;
    if (*n == max || parse_u32(p, &e, &out[*n]) || (*e && *e != ','))
      return odp_fail("--gif-seeds '%s': expected up to %d comma-separated seeds", s, max);
    (*n)++;
    p = *e ? e + 1 : e;
  }
  return *n ? ODP_OK : odp_fail("--gif-seeds: empty list");
}
