// Closed-loop evaluation with the reference protocol (Diffusion Policy's low-dim
// runners) on any task of the env registry (env/env.h): each episode resets the
// environment from its seed, keeps the last n_obs_steps observations (the first repeated
// at reset), asks for a chunk of n_action_steps actions, executes them one by one, and
// stops when the task is done or after max_steps actions. Score = max reward over the
// episode's steps; success = max coverage > the task's EnvOps.success_coverage.
//
// All episodes of a run step in lockstep: physics runs in parallel over environments
// (OpenMP), and every round makes ONE batched action call over all episodes of the run.
// Finished episodes stay in the batch (their actions are discarded), as in the
// reference's vectorised runner: episode i always occupies batch row i, and the call
// seed depends only on (EvalOptions.seed, round), so every random draw an episode sees
// is fixed by (seed, round, i) — independent of thread count and of how the other
// episodes behave (the policy computes each batch row on its own). An episode does
// depend on its position in the seed range and on the run's size: the same env seed in
// another range draws other noise, and batch 1 runs other kernels (float rounding).
#pragma once
#include <stdint.h>

#include "env/env.h"
#include "model/policy.h"

// Where actions come from: a policy, or any controller (tests, scripted baselines).
typedef struct {
  // actions (B, n_action_steps, action_dim) raw from obs (B, n_obs_steps, obs_dim) raw;
  // `seed` keys every random draw of the call.
  int (*predict)(void *ctx, const float *obs, int B, uint64_t seed, float *actions);
  void *ctx;
  int n_obs_steps, n_action_steps, obs_dim, action_dim;
  // What an observation frame holds: the env's whole low-dim vector (lowdim_key NULL, no
  // camera), or the images (3, H, W) / 255 of the env's cameras named cameras[0 ..
  // n_cameras - 1] (env/env.h EnvCamera), then the env's observation slice named lowdim_key
  // (env/env.h EnvObsKey).
  int n_cameras, camera_h, camera_w;
  const char *cameras[ENV_MAX_CAMERAS];
  const char *lowdim_key;
  // Actions a call returns (0: n_action_steps), the first n_action_steps executed as a
  // chunk; asynchronous real time executes the rest while the next chunk is on its way.
  int chunk_steps;
} ActionSource;

// Reads what an action source observes of an env into one frame of obs_dim floats: each
// camera's image as (3, H, W) / 255 (Diffusion Policy's image observation) when the source
// sees cameras, then the observation slice it takes (the env's whole low-dim vector, or the
// slice named lowdim_key). The rollout and the runtime-API benchmark read frames through it.
typedef struct {
  int lowdim_offset, lowdim_dim;
  double *ob;    // [env obs_dim] scratch
  int n_cameras;
  int camera[ENV_MAX_CAMERAS];  // the env's index of each camera the source sees
  uint8_t *cam;  // [n_cameras][camera_h][camera_w][3] their images, NULL when the source sees none
} FrameReader;

int frame_reader_open(FrameReader *r, const ActionSource *src, const EnvOps *task);
int frame_reader_read(FrameReader *r, const Env *env, float *frame);
void frame_reader_close(FrameReader *r);

typedef struct {
  Policy *policy;
  SamplerSpec sampler;
  int chunk_steps;  // actions per call (0: the policy's n_action_steps)
} PolicyActor;

// An ActionSource calling policy_predict; `a` must outlive it.
ActionSource action_source_policy(PolicyActor *a);

// How the world and the policy share time. OFF: the reference protocol (the world waits
// while the policy computes). With latency L = latency_s (D = ceil(L x control_hz) control
// steps), a call issued at step t sees the observation at t and its chunk arrives at t + D:
//   SYNC:  the robot holds its last target until the chunk arrives, then executes it from
//          its first action; the next call is issued when it has run out (Diffusion
//          Policy's deployment).
//   ASYNC: the robot keeps executing the previous chunk while the next is computed and
//          switches at the action aligned with the arrival (action k of a chunk observed at
//          t is meant for step t + k); the next call is issued D steps before the current
//          chunk runs out, so latency is hidden when D < n_action_steps (LeRobot's
//          asynchronous inference). The robot may run on into the chunk's later actions
//          (ActionSource.chunk_steps: a policy's whole predicted future) while the next one
//          is late; a chunk arriving with no action left for the present leaves it holding.
// Holding is the task's EnvOps.hold_action before the first chunk, the last target after.
// An executed step is stale when it holds, or executes an action meant for an earlier
// step (SYNC with D > 0). With L = 0 both modes are the reference protocol exactly.
typedef enum { EVAL_REALTIME_OFF = 0, EVAL_REALTIME_SYNC = 1, EVAL_REALTIME_ASYNC = 2 } EvalRealtime;

typedef struct {
  const char *task;               // environment name (env_find; env_for_config maps a checkpoint's)
  uint32_t seed_begin, seed_end;  // one episode per env seed in [seed_begin, seed_end)
  uint64_t seed;                  // keys the action source's draws
  int max_steps;                  // actions per episode at most; 0: the task's EnvOps.max_steps
  int hz_repeats;                 // batch-1 timing calls (median taken); 0: no timing
  const char *gif_dir;            // GIFs to gif_dir/seed_<S>.gif; NULL: none
  int gif_size;                   // frame side: camera 0's or the task's canvas (env_frame_size_ok)
  const uint32_t *gif_seeds;      // episodes to draw; when n_gif_seeds == 0, the first gif_count
  int n_gif_seeds, gif_count;
  EvalRealtime realtime;           // OFF: the world waits for the policy
  double latency_s;               // realtime: each call's latency; < 0: measured at batch 1 (hz_repeats
                                  // calls, at least 5, on the current threads) times slowdown
  double slowdown;                // realtime with a measured latency: its factor (a slower computer)
  int perturb;                    // disturb the task's object (EnvOps.perturb): 1 or 2 times an episode,
                                  // each at the first step of agent-object contact after a seeded
                                  // earliest step, with seeded parameters (the same for every policy)
  // Called after every round: env steps taken, the most the run can take, episodes done.
  void (*progress)(void *ctx, long steps, long steps_max, int done);
  void *progress_ctx;
} EvalOptions;

typedef struct {
  uint32_t seed;
  double score;     // max reward over the steps
  double coverage;  // max coverage over the steps
  int success;
  int steps;        // actions executed
  int success_step; // actions executed when coverage first passed the threshold; -1: never
  int stale_steps;  // realtime: steps that held or executed an action meant for an earlier step
  int perturbations;  // disturbances applied
} EpisodeResult;

typedef struct {
  int episodes;
  EpisodeResult *ep;        // [episodes], in seed order
  double score, score_std;  // mean and population std of the episode scores
  double success;           // fraction of successful episodes
  long env_steps;           // actions executed over all episodes
  int rounds;               // batched action calls
  double rollout_s;         // wall time of the rollout (physics + batched inference + GIFs)
  double infer_s;           // of which inside the action source
  double chunk_s;           // median time of one batch-1 action call (0 when not timed)
  double hz;                // 1 / chunk_s: action chunks per second on the robot's path
  double latency_s;         // realtime: the latency simulated (0 otherwise)
  int latency_steps;        // D = ceil(latency_s x control_hz)
  double stale_fraction;    // stale steps / steps over all episodes
  double time_to_success_s; // mean over successful episodes of success_step / control_hz (0: none)
  double perturbations;     // mean disturbances per episode
  int control_hz;           // the task's control rate
  int draws;                // runs of the seed range with independent policy noise (eval_run_draws)
} EvalResult;

// Runs the episodes. On failure returns ODP_ERR (odp_error says why) with r freed.
int eval_run(EvalResult *r, const ActionSource *src, const EvalOptions *o);

// The seed range run `draws` times with independent policy noise, the same env seeds each
// time: draw 0 keyed by o->seed itself (so one draw is eval_run), draw d by
// eval_draw_seed(o->seed, d). r->ep holds draws x episodes results, draw-major; the
// summary (score, std, success) covers them all; GIFs and timing come from draw 0.
int eval_run_draws(EvalResult *r, const ActionSource *src, const EvalOptions *o, int draws);
uint64_t eval_draw_seed(uint64_t seed, int draw);
// Per env seed, the mean score over the draws (means, n_seeds), and the standard error of
// the overall score across env seeds: std of those means / sqrt(n_seeds).
double eval_seed_means(const EvalResult *r, int draws, double *means);
void eval_result_free(EvalResult *r);

// The seed of round `round`'s action call in a run keyed by `seed` (splitmix64 mix).
uint64_t eval_round_seed(uint64_t seed, int round);
// Median seconds of `repeats` calls (after one warm-up) of src at batch 1 on obs (n_obs_steps, obs_dim).
int eval_time_chunk(double *median_s, const ActionSource *src, const float *obs, int repeats);
