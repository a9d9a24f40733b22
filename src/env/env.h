// The task interface every environment implements (PushT now, Robomimic later): what a
// policy observes (a low-dim vector and camera images), what it commands, how fast and
// for how long, and what counts as success. Rollout, GIF frames, reports and `onedp
// eval` go through it only; a checkpoint's config names its task ("task.name").
// An Env is a value holding a vtable and an instance: no globals, so any number of
// environments can step side by side in threads.
#pragma once
#include <stdint.h>

typedef struct {
  double reward;    // task reward after the step, in [0, 1]
  int done;         // success or step limit reached
  double coverage;  // task progress measure (PushT: goal-area fraction covered)
  int n_contacts;   // contact points per physics substep, rounded up
  int disturbable;  // a moment for --perturb's disturbance (PushT: the agent touches the block;
                    // the milk: the open gripper closing in on the standing carton)
  int steps;        // actions taken since reset
} EnvStep;

// One camera of the observation: an RGB image (height, width, 3) uint8 rendered each step.
typedef struct {
  const char *name;  // the observation key ("image")
  int height, width;
} EnvCamera;

#define ENV_MAX_CAMERAS 4
#define ENV_PERTURB_UNIFORMS 3

// A named slice of the low-dim observation vector ("agent_pos"): what a policy that takes
// only part of it (an image policy's low-dim input) reads, by the name its dataset uses.
typedef struct {
  const char *name;
  int offset, dim;
} EnvObsKey;

// A command-line tool an environment offers for `onedp COMMAND` (env, replay, render):
// it parses argv itself (argv[0] is COMMAND) and returns the exit code.
typedef struct {
  const char *command;
  int (*run)(int argc, char **argv);
  const char *help;  // its --help text
} EnvTool;

typedef struct {
  const char *name;                   // registry key ("pusht")
  const char *title;                  // for reports ("PushT")
  const char *const *task_names;      // config "task.name" values it runs; NULL-terminated
  int state_dim;                      // low-dimensional simulator state
  int obs_dim;                        // low-dim observation vector
  const EnvObsKey *obs_keys;          // its named slices, ended by name == NULL
  int n_cameras;
  EnvCamera cameras[ENV_MAX_CAMERAS];
  int action_dim;
  int control_hz;                     // actions per second (also GIF frames per second)
  int max_steps;                      // actions per episode at most
  double success_coverage;            // an episode succeeds when its max coverage exceeds this
  int canvas_size;                    // side of the full drawing canvas frames may show; 0: none
  void *(*create)(void);  // NULL with odp_error set on failure
  void (*destroy)(void *impl);
  int (*reset)(void *impl, uint32_t seed);
  int (*reset_to_state)(void *impl, const double *state);  // state_dim values
  // Puts the env in a state as its demonstrations record it (reset_to_state may shift
  // it); *max_err: the largest pose error left, kept when smaller. NULL: reset_to_state.
  int (*reset_to_recorded)(void *impl, const double *state, double *max_err);
  int (*step)(void *impl, const double *action, EnvStep *out);
  void (*state)(const void *impl, double *out);                // [state_dim]
  void (*observe)(const void *impl, double *out);              // [obs_dim]
  int (*render)(const void *impl, int camera, uint8_t *rgb);   // [height][width][3] of cameras[camera]
  void (*evaluate)(const void *impl, EnvStep *out);  // reward/done/coverage of the current state
  // A GIF frame (size, size, 3): camera 0's image or the full canvas (env_frame_size_ok),
  // the action target marked when `action` (action_dim) is not NULL.
  int (*frame)(const void *impl, int size, const float *action, uint8_t *rgb);
  // The action that holds the robot where it is (PushT: the target at the agent's position):
  // what a robot executes while it waits for a policy's chunk (`eval --realtime`). NULL: none.
  void (*hold_action)(const void *impl, double *action);
  // A disturbance of the task's object drawn from u (ENV_PERTURB_UNIFORMS numbers in
  // [0, 1)), the task's own distribution (PushT: the block carried away from the agent and
  // turned); 0 when placed, 1 when no clear placement exists (nothing moved). NULL: none.
  int (*perturb)(void *impl, const double *u);
  int perturb_window[2];  // the first disturbance's earliest step is drawn in [a, b) (PushT: 20-120)
  const char *demo_store;  // its demonstrations (a zarr store): `onedp render`'s default
  const EnvTool *tools;    // command-line tools, ended by command == NULL; NULL: none
} EnvOps;

typedef struct {
  const EnvOps *ops;
  void *impl;
} Env;

// --perturb's disturbances of one episode (`eval --perturb` and `onedp demos --perturb` walk
// the same schedule): 1 or 2, the first no earlier than a step drawn in the task's
// perturb_window, the second 50-150 steps after; each applied at the first step from then on
// that the task calls disturbable, with ENV_PERTURB_UNIFORMS uniforms of its own. Drawn from a
// Philox stream of the env seed alone: the same for every policy.
typedef struct {
  uint32_t seed;
  int n, applied, at[2];  // planned, applied so far (one with no clear placement counts), earliest steps
} EnvDisturbances;

void env_disturbances_plan(EnvDisturbances *d, const EnvOps *ops, uint32_t seed);
// After an action: the next disturbance when it is due (step: actions taken; st: that
// action's outcome). Returns 1 when one was applied.
int env_disturbances_step(EnvDisturbances *d, const Env *env, int step, const EnvStep *st);

// The registered environments, ended by NULL; the first is the default.
const EnvOps *const *env_registry(void);
// By registry name; NULL with odp_error naming the known ones.
const EnvOps *env_find(const char *name);
// The env that runs a run config's task ("task.name" among its task_names). A config
// without a "task" section (checkpoints written before tasks were named) gets the
// default env. NULL with odp_error naming `where` on failure.
const EnvOps *env_for_config(const char *config_json, const char *where);
// "a, b": the registered names, into buf.
const char *env_names(char *buf, int size);
// The named slice of the observation vector; NULL with odp_error naming the known ones.
const EnvObsKey *env_obs_key(const EnvOps *ops, const char *name);
// Whether `size` is a frame side the env draws (camera 0's, or its canvas).
int env_frame_size_ok(const EnvOps *ops, int size);

// Looks a task up by name ("pusht") and creates an instance.
int env_create(Env *out, const char *name);
void env_destroy(Env *env);

static inline int env_reset(Env *e, uint32_t seed) { return e->ops->reset(e->impl, seed); }
static inline int env_reset_to_state(Env *e, const double *s) { return e->ops->reset_to_state(e->impl, s); }
static inline int env_step(Env *e, const double *action, EnvStep *out) { return e->ops->step(e->impl, action, out); }
static inline void env_state(const Env *e, double *out) { e->ops->state(e->impl, out); }
static inline void env_observe(const Env *e, double *out) { e->ops->observe(e->impl, out); }
static inline int env_render(const Env *e, int camera, uint8_t *rgb) { return e->ops->render(e->impl, camera, rgb); }
static inline int env_frame(const Env *e, int size, const float *action, uint8_t *rgb) {
  return e->ops->frame(e->impl, size, action, rgb);
}
