// The robomimic arm tasks (Lift, Can, Square, and PickPlaceMilk with its moving carton) on MuJoCo: one Panda with its gripper on a
// Rethink mount, an arena and the task's objects, composed as robosuite composes them
// (env/arm/mjcf.h) from the asset files in ../shared/data/robosuite, compiled once per
// environment and reused across resets. A task is an ArmTask (env/arm/arm_tasks.c): its
// arena, objects, placement, success predicate and object observation; everything else
// (robot, controller, cameras, the EnvOps) is shared here (env/arm/arm_env.c).
#pragma once
#include <mujoco/mujoco.h>
#include <stdint.h>

#include "env/arm/mjcf.h"
#include "env/arm/osc.h"
#include "env/env.h"
#include "env/np_random.h"

#define ARM_SUBSTEPS 25      // 2 ms physics steps per 20 Hz action
#define ARM_ACTION_DIM 10    // goal position (3), goal rotation as its first two rows (6), gripper (1)
#define ARM_RAW_ACTION_DIM 7 // robomimic's absolute action: position, axis-angle, gripper
#define ARM_IMAGE_SIZE 84
#define ARM_MAX_OBJECTS 8
// robomimic's state vectors (time, qpos, qvel) of the three scenes.
#define ARM_LIFT_STATE_DIM 32
#define ARM_CAN_STATE_DIM 71
#define ARM_SQUARE_STATE_DIM 45

typedef struct ArmEnv ArmEnv;

typedef struct {
  const char *name;       // registry and task.name ("lift")
  const char *title;      // "Lift"
  const char *env_name;   // robomimic's env_args env_name ("Lift")
  const char *arena;      // its file under the assets ("arenas/table_arena.xml")
  double robot_base[3];   // robot0_base (the mount's top is 0.01 below)
  int table;              // a table arena: table_size (full) and table_top (its top's height) apply
  double table_size[3], table_top, table_friction[3];
  int object_dim;         // the "object" observation (10 Lift, 14 Can and Square)
  int state_dim;          // 1 + nq + nv
  int max_steps;
  // Adds the task's objects (and its arena's changes) to the world.
  int (*compose)(MjcfDoc *world, const char *assets);
  // After compiling: the task's ids into e->obj (free joints, bodies); 0 or fails.
  int (*bind)(ArmEnv *e);
  // Seeded reset after the robot's: model changes (Lift's cube size: drawn before the
  // robot's noise, see arm_env.c) in pre_reset, object placement in place.
  void (*pre_reset)(ArmEnv *e, NpRandom *r);
  int (*place)(ArmEnv *e, NpRandom *r);
  int (*success)(const ArmEnv *e);
  void (*object_obs)(const ArmEnv *e, double *out);
  // A moving-object task: when a disturbance may come (EnvStep.disturbable), and the
  // disturbance drawn from ENV_PERTURB_UNIFORMS uniforms (EnvOps.perturb). NULL: none.
  int (*disturbable)(const ArmEnv *e);
  int (*perturb)(ArmEnv *e, const double *u);
} ArmTask;

// The task's objects as MuJoCo ids.
typedef struct {
  int body;   // <Name>_main
  int qpos;   // its free joint's qpos address (-1: a static visual object)
  int dof;
} ArmObject;

struct ArmEnv {
  const ArmTask *task;
  char *model_xml;  // the scene's MJCF
  mjModel *m;
  mjData *d;
  Osc osc;
  int eef_site, hand_body;        // gripper0_grip_site, robot0_right_hand
  int finger_qpos[2], finger_act[2];
  double gripper_cmd[2];          // the gripper's integrated command in [-1, 1]
  int n_obj;
  ArmObject obj[ARM_MAX_OBJECTS];
  double lift_cube[3];            // Lift: the cube's half-sizes this episode
  int fixture;                    // a task's fixed target body (Square: the square peg, peg1)
  int steps;
  int success_seen;
  // Offscreen cameras (OSMesa), created on the first render.
  void *gl;                       // OSMesaContext
  unsigned char *gl_buffer;
  unsigned char *rows;            // a frame as read back, bottom-up (flipped into the caller's)
  mjvScene *scene;
  mjrContext *con;
  mjvOption vopt;
  int cam_ids[2];                 // agentview, robot0_eye_in_hand
};

extern const ArmTask arm_lift, arm_can, arm_square, arm_milk;
extern const EnvOps arm_lift_ops, arm_can_ops, arm_square_ops, arm_milk_ops;
extern const EnvTool arm_lift_tools[], arm_can_tools[], arm_square_tools[], arm_milk_tools[];  // env/arm/arm_tools.c

// The robosuite assets directory: $ONEDP_ROBOSUITE, else ../shared/data/robosuite.
const char *arm_assets(void);
// Composes and compiles the task's scene (the model stays for the env's life); *xml (when
// xml is not NULL) receives its MJCF text, malloc'd (a robomimic demo's model_file).
mjModel *arm_compile(const ArmTask *t, char **xml);

// Helpers the tasks share.
int arm_add_object(MjcfDoc *world, const char *assets, const char *file, const char *name, int free_joint);
int arm_bind_object(ArmEnv *e, const char *name);
// robosuite's UniformRandomSampler draw for one object (x, y in [lo, hi] + ref; z = ref z + z_offset
// - bottom; yaw uniform in [0, 2 pi) when rotate): writes its free joint. Avoids the
// placed[] circles (x, y, r) when n_placed > 0; returns 0, or fails after 5000 tries.
int arm_place(ArmEnv *e, NpRandom *r, int obj, const double lo[2], const double hi[2], const double ref[3],
              double z_offset, double bottom, double radius, const double *placed, int n_placed, double *xy_out);
// obs (14): object position, quaternion (xyzw), and both in the gripper's frame (robosuite's
// <obj>_to_robot0_eef_pos / _quat: the grip site's position, the hand body's rotation).
void arm_object_pose_obs(const ArmEnv *e, int obj, double *out);
