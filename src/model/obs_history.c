#include "model/obs_history.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

int obs_history_init(ObsHistory *h, int n_steps, int dim) {
  h->n_steps = n_steps, h->dim = dim, h->filled = 0;
  h->obs = odp_calloc((unsigned long)n_steps * dim, sizeof(float), "observation history");
  return h->obs ? ODP_OK : ODP_ERR;
}

void obs_history_free(ObsHistory *h) {
  free(h->obs);
  h->obs = NULL;
}

void obs_history_reset(ObsHistory *h) { h->filled = 0; }

void obs_history_push(ObsHistory *h, const float *obs) {
  const int D = h->dim, To = h->n_steps;
  if (h->filled == 0)
    for (int t = 0; t < To - 1; t++) memcpy(h->obs + (long)t * D, obs, (size_t)D * sizeof *obs);
  else
    memmove(h->obs, h->obs + D, (size_t)(To - 1) * D * sizeof *obs);
  memcpy(h->obs + (long)(To - 1) * D, obs, (size_t)D * sizeof *obs);
  if (h->filled < To) h->filled++;
}
