// The PushT instance, shared by the physics (pusht.c) and the renderer (pusht_render.c).
#pragma once
#include <chipmunk/chipmunk.h>

#include "env/pusht.h"

struct PushT {
  cpSpace *space;
  cpBody *walls_body, *agent, *block;
  cpShape *walls[4], *agent_shape, *bar, *stem;
  int contact_points;  // summed over the substeps of the current action (post-solve)
  int n_contacts;      // ceil(contact_points / substeps) of the last action
  int steps;
  uint8_t *canvas;  // [512][512][3] drawing scratch for render
};
