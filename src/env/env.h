// The task interface every environment implements (PushT now, Robomimic later).
// An Env is a value holding a vtable and an instance: no globals, so any number of
// environments can step side by side in threads.
#pragma once
#include <stdint.h>

typedef struct {
  double reward;    // task reward after the step, in [0, 1]
  int done;         // success or step limit reached
  double coverage;  // task progress measure (PushT: goal-area fraction covered)
  int n_contacts;   // contact points per physics substep, rounded up
  int steps;        // actions taken since reset
} EnvStep;

typedef struct {
  const char *name;
  int state_dim;   // low-dimensional state
  int obs_dim;     // keypoint observation
  int action_dim;
  int image_size;  // rendered observation is image_size x image_size x 3 (uint8 RGB)
  int max_steps;
  void *(*create)(void);  // NULL with odp_error set on failure
  void (*destroy)(void *impl);
  int (*reset)(void *impl, uint32_t seed);
  int (*reset_to_state)(void *impl, const double *state);  // state_dim values
  int (*step)(void *impl, const double *action, EnvStep *out);
  void (*state)(const void *impl, double *out);      // [state_dim]
  void (*keypoints)(const void *impl, double *out);  // [obs_dim]
  int (*render)(const void *impl, uint8_t *rgb);     // [image_size][image_size][3]
  void (*evaluate)(const void *impl, EnvStep *out);  // reward/done/coverage of the current state
} EnvOps;

typedef struct {
  const EnvOps *ops;
  void *impl;
} Env;

// Looks a task up by name ("pusht") and creates an instance.
int env_create(Env *out, const char *name);
void env_destroy(Env *env);

static inline int env_reset(Env *e, uint32_t seed) { return e->ops->reset(e->impl, seed); }
static inline int env_reset_to_state(Env *e, const double *s) { return e->ops->reset_to_state(e->impl, s); }
static inline int env_step(Env *e, const double *action, EnvStep *out) { return e->ops->step(e->impl, action, out); }
static inline void env_state(const Env *e, double *out) { e->ops->state(e->impl, out); }
static inline void env_keypoints(const Env *e, double *out) { e->ops->keypoints(e->impl, out); }
static inline int env_render(const Env *e, uint8_t *rgb) { return e->ops->render(e->impl, rgb); }
