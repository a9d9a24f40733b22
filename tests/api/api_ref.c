// The evaluator's path for examples/act_loop.c's inputs: the same sensor stand-in, the
// history as src/eval/rollout.c keeps it (reset observation repeated, then shift and append),
// policy_predict at batch 1 with round r's seed policy_call_seed(seed, r), on the packed f32
// network. Prints what act_loop prints; tests/api_install.sh compares the two.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model/policy.h"

static void read_sensors(float *obs, int dim, int tick) {  // = examples/act_loop.c's
  for (int j = 0; j < dim; j++) obs[j] = 256.0f + 90.0f * ((j * 37 + tick * 11) % 17 - 8) / 8.0f;
}

int main(int argc, char **argv) {
  if (argc < 4) return fprintf(stderr, "usage: api_ref CHECKPOINT TICKS SEED\n"), 2;
  Policy p;
  SamplerSpec s;
  if (policy_load_inference(&p, argv[1], WEIGHTS_F32)) return fprintf(stderr, "api_ref: %s\n", odp_error()), 1;
  if (p.generator_timestep >= 0) s = (SamplerSpec){.kind = SAMPLER_ONESTEP, .steps = 1};
  else s = (SamplerSpec){.kind = SAMPLER_DDPM, .steps = p.shape.num_train_timesteps};
  const int ticks = atoi(argv[2]), To = p.shape.n_obs_steps, D = p.shape.obs_dim, Ta = p.shape.n_action_steps,
            Da = p.shape.action_dim;
  const uint64_t seed = strtoull(argv[3], NULL, 10);
  float hist[64 * 64], chunk[1024];
  for (int tick = 0, round = 0; tick < ticks; tick++) {
    if (tick == 0)
      for (int t = 0; t < To; t++) read_sensors(hist + t * D, D, 0);
    else {
      memmove(hist, hist + D, (size_t)(To - 1) * D * sizeof *hist);
      read_sensors(hist + (To - 1) * D, D, tick);
    }
    if (tick % Ta == 0 && policy_predict(&p, &s, hist, 1, policy_call_seed(seed, round++), chunk))
      return fprintf(stderr, "api_ref: %s\n", odp_error()), 1;
    printf("%d", tick);
    for (int j = 0; j < Da; j++) printf(" %.9g", chunk[(tick % Ta) * Da + j]);
    printf("\n");
  }
  policy_free(&p);
  return 0;
}
