#include "model/cm_net.h"

#include <stddef.h>

void cm_net_forward(CmNet *n, const EdmSettings *set, float *out, const float *x, const double *t, const double *s,
                    CmMap *maps) {
  for (int b = 0; b < n->B; b++) {
    maps[b] = cm_map(set, t[b], s[b]);
    n->times[2 * b] = maps[b].time_t, n->times[2 * b + 1] = maps[b].time_s;
    for (long i = b * n->per; i < (b + 1) * n->per; i++) n->z[i] = maps[b].in * x[i];
  }
  unet_forward(n->u, n->params, n->acts, n->f, n->z, n->times, n->cond);
  for (int b = 0; b < n->B; b++)
    for (long i = b * n->per; i < (b + 1) * n->per; i++) out[i] = maps[b].a * x[i] + maps[b].b * n->f[i];
}

// dF = b dG; dx = a dG + c_in dz, dz the network's input gradient.
void cm_net_backward(CmNet *n, float *grads, const CmMap *maps, const float *dG, float *dx, float *dcond) {
  for (int b = 0; b < n->B; b++)
    for (long i = b * n->per; i < (b + 1) * n->per; i++) n->f[i] = maps[b].b * dG[i];
  unet_backward(n->u, n->params, n->acts, grads, n->f, dx ? n->dz : NULL, dcond);
  if (!dx) return;
  for (int b = 0; b < n->B; b++)
    for (long i = b * n->per; i < (b + 1) * n->per; i++) dx[i] = maps[b].a * dG[i] + maps[b].in * n->dz[i];
}
