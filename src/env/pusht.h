// PushT (Florence et al. 2021, as packaged by Diffusion Policy): push a T-shaped block
// onto a fixed goal pose with a circular agent. A port of the reference's pymunk
// environment onto the same engine (Chipmunk2D 7); units are pixels of a 512x512
// world with y down, angles in radians.
#pragma once
#include <stdint.h>

#include "env/env.h"

#define PUSHT_STATE_DIM 5   // agent x, y, block x, y, block angle mod 2pi
#define PUSHT_KEYPOINTS 9   // block keypoints; the observation appends the agent
#define PUSHT_OBS_DIM 20    // 9 block points (x, y) then agent (x, y)
#define PUSHT_ACTION_DIM 2  // absolute agent target in [0, 512]^2
#define PUSHT_IMAGE 96      // rendered observation side
#define PUSHT_CANVAS 512    // drawing canvas side before the downscale
#define PUSHT_MAX_STEPS 300
#define PUSHT_SUCCESS 0.95  // coverage threshold

typedef struct PushT PushT;

extern const EnvOps pusht_ops;
// Block keypoints in body coordinates (pixels), fitted to the demonstrations.
extern const double pusht_kp_local[PUSHT_KEYPOINTS][2];

PushT *pusht_create(void);  // NULL with odp_error set on failure
void pusht_destroy(PushT *env);

// numpy RandomState(seed) draws for the initial state: agent x, y, block x, y, angle.
void pusht_seed_state(uint32_t seed, double state[PUSHT_STATE_DIM]);
// Rebuilds the world and applies `state` in the legacy order (block position, then
// angle about the centre of gravity), then runs the one settling step of 0.01 s.
int pusht_reset_to_state(PushT *env, const double state[PUSHT_STATE_DIM]);
int pusht_reset(PushT *env, uint32_t seed);
// One control step (0.1 s): 10 PD substeps of 0.01 s toward the target `action`.
int pusht_step(PushT *env, const double action[PUSHT_ACTION_DIM], EnvStep *out);
// Reward, done and coverage of the current state (n_contacts of the last step).
void pusht_evaluate(const PushT *env, EnvStep *out);
// `eval --perturb`'s disturbance (a person moving the object mid-push): the block carried
// 20-50 px (u[0]) in a direction within 45 degrees of straight away from the agent (u[1]) and
// turned by up to 30 degrees either way (u[2]), its centre kept in [100, 412]; at rest after.
// Where that overlaps the agent, 20 px further (up to 4 times); returns 1 (block left where
// it was) when no clear placement is found, else 0.
int pusht_perturb(PushT *env, const double u[3]);

void pusht_state(const PushT *env, double out[PUSHT_STATE_DIM]);
void pusht_agent_velocity(const PushT *env, double out[2]);
void pusht_keypoints(const PushT *env, double out[PUSHT_OBS_DIM]);
// Keypoints of a block at (x, y, angle): 9 points, [9][2] flattened.
void pusht_block_keypoints(double x, double y, double angle, double out[2 * PUSHT_KEYPOINTS]);

// Fraction of the goal T's area covered by a block at body position (x, y), angle.
double pusht_coverage(double x, double y, double angle);

// Draws the reference's 512x512 canvas (goal, shapes, contact points of the last
// physics step) into rgb [512][512][3], then downsamples like cv2.resize INTER_LINEAR.
void pusht_render_canvas(const PushT *env, uint8_t *rgb);
// Draws into the env's own canvas: not concurrently on one env.
int pusht_render(const PushT *env, uint8_t *rgb);  // [96][96][3]
// A GIF frame (size, size, 3), size 96 or 512, the action target (world pixels) marked
// as the reference's videos mark it when target is not NULL. Uses the env's canvas at 96.
int pusht_frame(const PushT *env, int size, const float *target, uint8_t *rgb);

// `onedp env pusht` and `onedp replay` (pusht_tools.c).
extern const EnvTool pusht_tools[];
// The demonstrations the reference trains on (zarr), relative to the repository.
#define PUSHT_DEMO_STORE "../shared/data/pusht/pusht_cchi_v7_replay.zarr"
