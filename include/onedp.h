/* onedp runtime API: run a trained diffusion policy (a One-Step Diffusion Policy student
 * or a Diffusion Policy teacher) inside a robot's control loop. C and C++.
 *
 *   onedp_policy *p;
 *   if (onedp_policy_open(&p, "student.safetensors", NULL, 0)) die(onedp_last_error());
 *   onedp_policy_reset(p, seed);
 *   for each control tick:
 *     onedp_policy_observe(p, obs);                  // obs_dim floats, raw units
 *     if (chunk used up) onedp_policy_act(p, chunk); // n_action_steps x action_dim floats
 *     send chunk[k] to the robot, k-th tick of the chunk
 *
 * Errors: every function that can fail returns ONEDP_OK (0) or a negative ONEDP_E* code and
 * leaves a one-line message for the calling thread in onedp_last_error(). A NULL handle, a
 * missing or wrong-kind file, non-finite observations and act before any observe are errors,
 * never crashes.
 *
 * Memory: open allocates everything (the packed f32 network, the observation history and the
 * inference workspace for batch 1) and runs one warm-up network call; observe and act then
 * allocate nothing and call no BLAS (tests/api/api_alloc.c counts malloc and cblas over
 * 1,000 calls), and at 1 thread take no lock; with more threads act's only synchronisation
 * is OpenMP's team barriers (the first act on a new thread may let libgomp set up its
 * per-thread state once). Image policies too: their camera encoder is packed like the U-Net
 * (its own convolution kernels, one frame per thread; src/model/image_encoder_infer.h).
 *
 * Observations: one step is obs_dim floats in raw units. For an image policy that is each
 * camera's image as (3, H, W) floats in [0, 1] (channel, row, column), in the policy's camera
 * order (its config's encoder.cameras: PushT's one "image"; the arm tasks' agentview_image,
 * robot0_eye_in_hand_image), then its low-dim part (PushT: the agent position; the arm
 * tasks: end-effector position, quaternion, gripper), as Diffusion Policy's image
 * environments give them.
 *
 * Threading: a handle is used by one thread at a time (calls on different handles may run
 * concurrently). Each act runs the network on `threads` OpenMP threads (default 1), set for
 * the calling thread only for the duration of the call and restored after it, so the
 * embedder's own OpenMP settings are untouched. The default is 1 because a batch-1 forward is
 * bandwidth-bound and a second thread loses badly when any other process wants a core (one
 * CPU-bound neighbour took a lowdim forward from 10.8 ms at 1 thread to 250 ms at 2):
 * tests/api/api_busy.c checks the 1-thread latency with a spinning neighbour stays within
 * 1.5x of the quiet one. Ask for more threads only on cores reserved for the policy.
 *
 * Kernels: act runs the packed inference network (src/nn/conv1d_packed.c: its own AVX-512 /
 * AVX2 kernels compiled into the library, no BLAS), the same code and speed as
 * `onedp eval --weights f32`. OpenBLAS, which the CLI re-executes itself to configure, is not
 * on act's path, so an embedder gets the same kernels whatever its main() does.
 *
 * Randomness: reset(p, seed) starts a run; the i-th act after it (i = 0, 1, ...) draws its
 * noise from policy_predict's seed policy_call_seed(seed, i) (src/model/policy.h), exactly as
 * round i of `onedp eval CKPT --seed SEED --seeds S:S+1` (a batch-1 run) does. Same
 * observations + same seed = bit-identical actions. */
#ifndef ONEDP_H
#define ONEDP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ONEDP_API __attribute__((visibility("default")))
#else
#define ONEDP_API
#endif

#define ONEDP_VERSION "0.1.0"

enum {
  ONEDP_OK = 0,
  ONEDP_EINVAL = -1,  /* a NULL handle or pointer, a bad argument (sampler text, thread count) */
  ONEDP_ELOAD = -2,   /* the checkpoint could not be read, or is not a onedp policy */
  ONEDP_EINPUT = -3,  /* an observation with NaN or infinite values (the history is unchanged) */
  ONEDP_ESTATE = -4,  /* act before any observe since open/reset */
  ONEDP_ERUN = -5     /* the network failed (out of memory at open, ...) */
};

typedef struct onedp_policy onedp_policy;

/* "0.1.0" (ONEDP_VERSION of the library actually loaded). */
ONEDP_API const char *onedp_version(void);
/* The message of the calling thread's last failure ("unknown error" if none yet); valid until its next failure. */
ONEDP_API const char *onedp_last_error(void);

/* Loads a policy checkpoint (.safetensors written by onedp train / distill).
 * sampler: NULL for the checkpoint's default ("onestep" for one-step students, "ddpm:100" for
 * teachers), or "onestep", "ddpm:N", "ddim:N[:leading|trailing]" as `onedp eval --sampler`.
 * threads: OpenMP threads per act, 0 for the default (1). The handle starts reset with seed 0. */
ONEDP_API int onedp_policy_open(onedp_policy **out, const char *checkpoint_path, const char *sampler, int threads);
ONEDP_API void onedp_policy_close(onedp_policy *p); /* NULL is fine */

/* Shapes; -1 for a NULL handle. */
ONEDP_API int onedp_policy_obs_dim(const onedp_policy *p);        /* floats in one observation step */
ONEDP_API int onedp_policy_action_dim(const onedp_policy *p);     /* floats in one action */
ONEDP_API int onedp_policy_n_obs_steps(const onedp_policy *p);    /* observations each act conditions on */
ONEDP_API int onedp_policy_n_action_steps(const onedp_policy *p); /* actions returned by one act */
ONEDP_API int onedp_policy_threads(const onedp_policy *p);
/* The sampler in canonical form ("onestep", "ddpm:100", "ddim:10:leading"); "" for NULL. */
ONEDP_API const char *onedp_policy_sampler(const onedp_policy *p);

/* Threads for later acts (0: the default, 1). */
ONEDP_API int onedp_policy_set_threads(onedp_policy *p, int threads);
/* Clears the observation history and seeds the sampler for a new episode. */
ONEDP_API int onedp_policy_reset(onedp_policy *p, uint64_t seed);
/* One observation step (obs_dim floats, raw units): call every control step. The first one
 * after a reset fills the whole history, as the evaluator does at an episode's start. */
ONEDP_API int onedp_policy_observe(onedp_policy *p, const float *obs);
/* actions (n_action_steps x action_dim floats, raw units) from the last n_obs_steps
 * observations; the first action is for the tick of the last observation. */
ONEDP_API int onedp_policy_act(onedp_policy *p, float *actions);

#ifdef __cplusplus
}
#endif

#endif /* ONEDP_H */
