// The observations a policy conditions on: the last n_steps observation vectors, oldest
// first. The first observation after a reset fills every slot, as Diffusion Policy's
// evaluator repeats an episode's reset observation. The evaluator (src/eval/rollout.c)
// and the runtime API (src/api/onedp.c) both keep their histories here.
#pragma once

typedef struct {
  int n_steps, dim;  // (n_steps, dim) floats
  int filled;        // observations pushed since the reset, saturating at n_steps
  float *obs;        // (n_steps, dim), oldest first
} ObsHistory;

int obs_history_init(ObsHistory *h, int n_steps, int dim);  // allocates; empty
void obs_history_free(ObsHistory *h);
// Forgets every observation (the next push fills the history).
void obs_history_reset(ObsHistory *h);
// Appends one observation (dim floats), dropping the oldest.
void obs_history_push(ObsHistory *h, const float *obs);
