// A robot's control loop on the onedp runtime API (include/onedp.h): observe every tick,
// act when the current action chunk is used up. Build:
//   cc act_loop.c $(pkg-config --cflags --libs onedp) -o act_loop
// Run: ./act_loop CHECKPOINT [TICKS [SEED]]; prints "tick action..." per tick.
#include <onedp.h>
#include <stdio.h>
#include <stdlib.h>

// Stand-in for the robot's sensors: a fixed, deterministic observation per tick.
static void read_sensors(float *obs, int dim, int tick) {
  for (int j = 0; j < dim; j++) obs[j] = 256.0f + 90.0f * ((j * 37 + tick * 11) % 17 - 8) / 8.0f;
}

int main(int argc, char **argv) {
  onedp_policy *p;
  if (argc < 2 || onedp_policy_open(&p, argv[1], NULL, 0)) {
    fprintf(stderr, "act_loop: %s\n", argc < 2 ? "usage: act_loop CHECKPOINT [TICKS [SEED]]" : onedp_last_error());
    return 1;
  }
  int ticks = argc > 2 ? atoi(argv[2]) : 24, Da = onedp_policy_action_dim(p), Ta = onedp_policy_n_action_steps(p);
  float obs[512], chunk[1024];
  onedp_policy_reset(p, argc > 3 ? strtoull(argv[3], NULL, 10) : 0);
  for (int tick = 0, k = Ta; tick < ticks; tick++, k++) {
    read_sensors(obs, onedp_policy_obs_dim(p), tick);
    if (onedp_policy_observe(p, obs) || (k == Ta && onedp_policy_act(p, chunk))) {
      fprintf(stderr, "act_loop: %s\n", onedp_last_error());
      return 1;
    }
    if (k == Ta) k = 0;  // a fresh chunk: its first action is for this tick
    printf("%d", tick);
    for (int j = 0; j < Da; j++) printf(" %.9g", chunk[k * Da + j]);  // 9 digits: the float exactly
    printf("\n");
  }
  onedp_policy_close(p);
  return 0;
}
