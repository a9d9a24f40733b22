#include "core/tensor.h"

#include <stdio.h>

char *shape_str(int ndim, const int *shape, char *buf, int bufsize) {
  int n = snprintf(buf, bufsize, "(");
  for (int i = 0; i < ndim && n < bufsize; i++)
    n += snprintf(buf + n, bufsize - n, i ? ", %d" : "%d", shape[i]);
  if (n < bufsize) snprintf(buf + n, bufsize - n, ")");
  return buf;
}
