// Operational-space control of the arm's end effector (robosuite's OSC_POSE in absolute
// mode: controllers/osc.py with control_delta False, utils/control_utils.py): a goal pose
// held by a critically damped spring in task space, position and orientation decoupled
// through their own operational-space inertias, a joint-space posture term in the
// nullspace, gravity and Coriolis compensation, torques clipped to the actuators' ranges.
#pragma once
#include <mujoco/mujoco.h>

#define OSC_MAX_DOF 8

typedef struct {
  int n;                      // arm joints (the Panda's 7)
  int joint[OSC_MAX_DOF];     // their joint ids (ranges)
  int qpos[OSC_MAX_DOF];      // their qpos addresses
  int dof[OSC_MAX_DOF];       // their dof (qvel) addresses
  int actuator[OSC_MAX_DOF];  // their torque actuators
  int site;                   // the end-effector site (gripper0_grip_site)
  double kp, kd;              // task-space gains: 150 and 2 sqrt(150) (damping ratio 1)
  double kp_null, kd_null;    // the posture term's: 10 and 2 sqrt(10)
  double posture[OSC_MAX_DOF];  // the nullspace target: the joints at reset
  double goal_pos[3], goal_rot[9];  // world frame; goal_rot row-major
} Osc;

// Joints and actuators by name (n of each), the site by name; gains as robosuite's defaults.
int osc_init(Osc *c, const mjModel *m, int n, const char *const *joints, const char *const *actuators,
             const char *site);
// The goal: a world-frame position and rotation matrix (row-major).
void osc_set_goal(Osc *c, const double pos[3], const double rot[9]);
// The torques for d's current state (mj_forward's quantities must be current) into
// d->ctrl of the arm's actuators, clipped to their ranges; tau (n) receives them unclipped
// when not NULL.
void osc_control(const Osc *c, const mjModel *m, mjData *d, double *tau);
// How comfortably the arm holds the pose (pos, rot) once settled, for planners: damped
// least-squares IK on scratch data d (its qpos the start, left at the solution), the
// joints kept inside their ranges and pulled toward the posture in the nullspace as the
// controller pulls them. Returns the smallest joint's distance to a limit (rad), or -1
// when the pose is out of reach (over 5 mm or 0.05 rad off).
double osc_reach(const Osc *c, const mjModel *m, mjData *d, const double pos[3], const double rot[9]);
