// Scripted demonstrators for the arm tasks: waypoint planners on the simulator's true
// state that emit the absolute OSC_POSE actions a policy learns (env/arm/arm.h). Each
// episode draws its own strategy (grasp angle among the object's symmetric ones, grasp
// point, approach and lift heights, carry path, speed, pauses), so the data is multimodal
// like human demonstrations; the "mh" quality adds hesitations, slower and noisier motion,
// like the weaker operators of robomimic's multi-human sets.
#pragma once
#include "env/arm/arm.h"

typedef enum { ARM_EXPERT_PH, ARM_EXPERT_MH } ArmExpertQuality;

typedef struct {
  const ArmEnv *env;
  ArmExpertQuality quality;
  NpRandom rng;
  int phase, timer;
  double goal[3], R[9], grip;  // the commanded pose and gripper (+1 closes)
  double R0[9];                // the grasp rotation (R turns from it about the vertical while carrying)
  double turn, turn_goal;      // that turn now and where the object is placed (Square: the nut square to its peg)
  double trim;                 // Square: the turn's correction for the nut's slip in the grip (+-0.3 rad)
  double lift_z;               // the grip's height while carrying
  double rest;                 // the object's centre height where it is let go (the nut 2 cm down the peg, the can over the bin's floor)
  double hold[3];              // the held object's offset from the grip, smoothed
  double obj_last[3];          // the object at the previous action
  double planned[3];           // where the object was when the grasp was planned (moved: plan again)
  double path[3], bias[3];     // the planned point; the goal's lean past it (move_toward)
  double speed;                // metres per action
  double hover, carry, grasp_dz, place[2], release_dz;
  double noise;                // mh: the goal's jitter (m)
  double grasp_xy[3];          // the grasp point's offset from the object, in the object's frame
  double last[3];              // the grip site at the previous action
  int still;                   // actions it has not moved
} ArmExpert;

// Starts an episode on env (just reset); seed: the expert's own draws.
void arm_expert_begin(ArmExpert *x, const ArmEnv *env, ArmExpertQuality quality, uint32_t seed);
// The next action (ARM_ACTION_DIM: position, rotation's first two rows, gripper).
void arm_expert_act(ArmExpert *x, double *action);
