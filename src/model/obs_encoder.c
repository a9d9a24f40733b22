#include "model/obs_encoder.h"

#include <string.h>

#include "core/error.h"

void obs_encoder_init_identity(ObsEncoder *e, int n_obs_steps, int obs_dim) {
  *e = (ObsEncoder){OBS_ENCODER_IDENTITY, n_obs_steps, obs_dim, n_obs_steps * obs_dim};
}

int obs_encoder_forward(const ObsEncoder *e, float *out, const float *obs, int B) {
  switch (e->kind) {
    case OBS_ENCODER_IDENTITY:  // the history, flattened oldest first
      if (out != obs) memmove(out, obs, (size_t)B * e->out_dim * sizeof(float));
      return ODP_OK;
  }
  return odp_fail("observation encoder: unknown kind %d", (int)e->kind);
}
