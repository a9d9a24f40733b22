// The arm tasks on MuJoCo (env/arm/arm.h): the scenes compile with robomimic's state
// layout, seeded resets repeat and follow robosuite's placement ranges, cameras are
// deterministic for a state, the success predicates fire, the operational-space
// controller holds and reaches a goal, the experts succeed, and the milk's disturbance moves
// the carton as specified while the expert, re-planning, still places it. With arguments
// `osc FILE` it dumps controller inputs and torques along a step response for
// tests/ref/osc_ref.py, which recomputes them with numpy as robosuite's controller does.
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "env/arm/arm_expert.h"
#include "test.h"

static const char *const tasks[] = {"lift", "can", "square", "milk"};

static ArmEnv *make(Env *e, const char *task) {
  if (env_create(e, task)) {
    fprintf(stderr, "%s: %s\n", task, odp_error());
    exit(1);
  }
  return e->impl;
}

static void check_resets(const char *task) {
  Env a, b;
  ArmEnv *ea = make(&a, task);
  make(&b, task);
  double sa[128], sb[128], oa[64], ob[64];
  const int S = a.ops->state_dim, O = a.ops->obs_dim;
  CHECK(S == 1 + ea->m->nq + ea->m->nv, "%s: state %d", task, S);
  env_reset(&a, 7), env_reset(&b, 7);
  env_state(&a, sa), env_state(&b, sb), env_observe(&a, oa), env_observe(&b, ob);
  CHECK(!memcmp(sa, sb, sizeof(double) * S) && !memcmp(oa, ob, sizeof(double) * O), "%s: seed 7 twice differs", task);
  env_reset(&b, 8), env_state(&b, sb);
  CHECK(memcmp(sa, sb, sizeof(double) * S), "%s: seeds 7 and 8 give one state", task);
  // Placement ranges (robosuite's samplers) over 50 seeds; the arm's joint noise small.
  int inside = 0;
  for (uint32_t s = 0; s < 50; s++) {
    env_reset(&a, s);
    const double *p = ea->d->qpos + ea->obj[!strcmp(task, "can") ? 3 : 0].qpos;  // the milk is object 0
    if (!strcmp(task, "lift"))
      inside += fabs(p[0]) <= 0.03 && fabs(p[1]) <= 0.03 && fabs(p[2] - 0.81 - ea->lift_cube[2]) < 1e-12 &&
                ea->lift_cube[0] >= 0.02 && ea->lift_cube[0] <= 0.022;
    else if (!strcmp(task, "can"))
      inside += fabs(p[0] - 0.1) <= 0.12 && fabs(p[1] + 0.25) <= 0.17 && fabs(p[2] - 0.86) < 1e-12;
    else if (!strcmp(task, "milk"))  // bin 1 less the walls' margin and the carton's radius; bottom site on the floor
      inside += fabs(p[0] - 0.1) <= 0.12 && fabs(p[1] + 0.25) <= 0.17 && fabs(p[2] - 0.885) < 1e-12;
    else inside += p[0] >= -0.115 && p[0] <= -0.11 && p[1] >= 0.11 && p[1] <= 0.225 && fabs(p[2] - 0.89) < 1e-12;
  }
  CHECK(inside == 50, "%s: %d of 50 placements in range", task, inside);
  env_destroy(&a), env_destroy(&b);
}

// The same state renders the same bytes, in another instance too; a real picture. (Both
// reset with one seed: Lift's cube size is the model's, not the state's.)
static void check_render(const char *task) {
  Env a, b;
  make(&a, task), make(&b, task);
  env_reset(&a, 3), env_reset(&b, 3);
  double s[128], act[ARM_ACTION_DIM];
  a.ops->hold_action(a.impl, act);
  act[2] -= 0.05;
  for (int t = 0; t < 5; t++) env_step(&a, act, NULL);
  env_state(&a, s);
  env_reset_to_state(&b, s);
  const size_t n = ARM_IMAGE_SIZE * ARM_IMAGE_SIZE * 3;
  for (int c = 0; c < 2; c++) {
    uint8_t *x = malloc(n), *y = malloc(n);
    CHECK(!env_render(&a, c, x) && !env_render(&b, c, y), "%s: render: %s", task, odp_error());
    CHECK(!memcmp(x, y, n), "%s: camera %d differs for one state", task, c);
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++) mean += x[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
    CHECK(sqrt(var / (double)n) > 10, "%s: camera %d is flat (std %.1f)", task, c, sqrt(var / (double)n));
    free(x), free(y);
  }
  env_destroy(&a), env_destroy(&b);
}

// Success: the object where the task wants it and the gripper away.
static void check_success(void) {
  Env e;
  ArmEnv *a = make(&e, "lift");
  env_reset(&e, 1);
  EnvStep st;
  e.ops->evaluate(e.impl, &st);
  CHECK(st.reward == 0, "lift: success at reset");
  a->d->qpos[a->obj[0].qpos + 2] = 0.9;
  mj_forward(a->m, a->d);
  e.ops->evaluate(e.impl, &st);
  CHECK(st.reward == 1, "lift: cube at 0.9 m is not lifted");
  env_destroy(&e);
  a = make(&e, "square");
  env_reset(&e, 1);
  const int peg = mj_name2id(a->m, mjOBJ_BODY, "peg1");
  double *q = a->d->qpos + a->obj[0].qpos;
  q[0] = a->m->body_pos[3 * peg], q[1] = a->m->body_pos[3 * peg + 1], q[2] = 0.83;
  mj_forward(a->m, a->d);
  e.ops->evaluate(e.impl, &st);
  CHECK(st.reward == 1, "square: nut on its peg is not a success");
  q[0] += 0.05;
  mj_forward(a->m, a->d);
  e.ops->evaluate(e.impl, &st);
  CHECK(st.reward == 0, "square: nut 5 cm off the peg is a success");
  env_destroy(&e);
  a = make(&e, "milk");  // in the milk's quadrant of bin 2 (low x, low y), not in the can's
  env_reset(&e, 1);
  q = a->d->qpos + a->obj[0].qpos;
  q[0] = 0.0, q[1] = 0.16, q[2] = 0.885;
  mj_forward(a->m, a->d);
  e.ops->evaluate(e.impl, &st);
  CHECK(st.reward == 1, "milk: carton in its quadrant is not a success");
  q[0] = 0.2, q[1] = 0.4;
  mj_forward(a->m, a->d);
  e.ops->evaluate(e.impl, &st);
  CHECK(st.reward == 0, "milk: carton in the can's quadrant is a success");
  env_destroy(&e);
}

// A goal 6 cm away (and a 0.3 rad turn) is reached and held within 5 mm and 0.03 rad.
static void check_osc_goal(void) {
  Env e;
  ArmEnv *a = make(&e, "lift");
  env_reset(&e, 2);
  double act[ARM_ACTION_DIM], R[9], Rz[9], goal[3];
  const double *p = a->d->site_xpos + 3 * a->eef_site, c = cos(0.3), s = sin(0.3);
  const double turn[9] = {c, -s, 0, s, c, 0, 0, 0, 1};
  mju_copy(R, a->d->site_xmat + 9 * a->eef_site, 9);
  mju_mulMatMat(Rz, turn, R, 3, 3, 3);
  goal[0] = p[0] + 0.04, goal[1] = p[1] - 0.03, goal[2] = p[2] - 0.03;
  memcpy(act, goal, sizeof goal), memcpy(act + 3, Rz, 6 * sizeof(double)), act[9] = -1;
  EnvStep st;
  for (int t = 0; t < 60; t++) env_step(&e, act, &st);
  const double err = mju_dist3(a->d->site_xpos + 3 * a->eef_site, goal);
  double e_ori = 0;
  for (int i = 0; i < 9; i++) e_ori = fmax(e_ori, fabs(a->d->site_xmat[9 * a->eef_site + i] - Rz[i]));
  CHECK(err < 0.005, "osc: %.4f m from a held goal after 3 s", err);
  CHECK(e_ori < 0.03, "osc: rotation off by %.4f", e_ori);
  env_destroy(&e);
}

// The scripted expert on n seeds from 500 (not the demos' seeds); its success count. With
// perturb, the episodes get --perturb's disturbances, counted into *moved.
static int expert_successes(const char *task, uint32_t n, int perturb, int *moved) {
  Env e;
  make(&e, task);
  int ok = 0;
  for (uint32_t s = 0; s < n; s++) {
    ArmExpert x;
    EnvDisturbances d;
    env_reset(&e, 500 + s);
    env_disturbances_plan(&d, e.ops, 500 + s);
    arm_expert_begin(&x, e.impl, ARM_EXPERT_PH, s);
    double a[ARM_ACTION_DIM];
    EnvStep st = {0};
    for (int t = 1; !st.done; t++) {
      arm_expert_act(&x, a), env_step(&e, a, &st);
      if (perturb) *moved += env_disturbances_step(&d, &e, t, &st);
    }
    ok += st.reward > 0;
  }
  env_destroy(&e);
  return ok;
}

static void check_expert(void) {
  int moved = 0;
  const int lift = expert_successes("lift", 20, 0, NULL), can = expert_successes("can", 10, 0, NULL);
  const int square = expert_successes("square", 10, 0, NULL), milk = expert_successes("milk", 10, 1, &moved);
  CHECK(lift >= 19, "lift expert: %d of 20", lift);
  CHECK(can >= 9, "can expert: %d of 10", can);
  CHECK(square >= 9, "square expert: %d of 10", square);
  CHECK(milk >= 8 && moved >= 10, "milk expert with disturbances: %d of 10 (%d disturbances)", milk, moved);
}

// The milk's disturbance: only while the open gripper closes in over the standing carton;
// then the carton is 6-12 cm away in bin 1, still standing, and the step says so.
static void check_milk_disturbance(void) {
  Env e;
  ArmEnv *a = make(&e, "milk");
  env_reset(&e, 3);
  EnvStep st;
  e.ops->evaluate(e.impl, &st);
  CHECK(!st.disturbable, "milk: disturbable with the gripper far away");
  double *q = a->d->qpos + a->obj[0].qpos, before[3];
  const double *g = a->d->site_xpos + 3 * a->eef_site;
  q[0] = g[0], q[1] = g[1];  // the carton right under the open gripper (11 cm over its top)
  mj_forward(a->m, a->d);
  e.ops->evaluate(e.impl, &st);
  CHECK(st.disturbable, "milk: not disturbable under the open gripper");
  mju_copy3(before, q);
  const double u[ENV_PERTURB_UNIFORMS] = {0.5, 0.25, 0.5};
  CHECK(e.ops->perturb(e.impl, u) == 0, "milk: no placement for a 9 cm move");
  const double moved = hypot(q[0] - before[0], q[1] - before[1]);
  double R[9];
  mju_quat2Mat(R, q + 3);
  CHECK(moved >= 0.06 - 1e-9 && moved <= 0.12 + 1e-9, "milk: carton moved %.3f m", moved);
  CHECK(fabs(q[0] - 0.1) <= 0.12 + 1e-9 && fabs(q[1] + 0.25) <= 0.17 + 1e-9 && R[8] > 0.99,
        "milk: carton at %.3f %.3f (upright %.3f) after the disturbance", q[0], q[1], R[8]);
  env_destroy(&e);
}

// Controller inputs and torques along a step response (one line per substep sampled):
// q, qd (7 each), J (6 x 7), M (7 x 7), bias (7), site pos (3), R (9), goal pos (3),
// goal R (9), posture (7), the torques (7, unclipped).
static int dump_osc(const char *path) {
  Env e;
  ArmEnv *a = make(&e, "lift");
  FILE *f = fopen(path, "w");
  if (!f) return 1;
  env_reset(&e, 4);
  double act[ARM_ACTION_DIM];
  e.ops->hold_action(e.impl, act);
  act[0] += 0.08, act[2] -= 0.05;
  for (int step = 0; step < 20; step++) {
    env_step(&e, act, NULL);
    mj_forward(a->m, a->d);
    const int nv = a->m->nv;
    double tau[7], *jp = malloc(sizeof(double) * 6 * nv), *M = malloc(sizeof(double) * nv * nv);
    osc_control(&a->osc, a->m, a->d, tau);
    mj_jacSite(a->m, a->d, jp, jp + 3 * nv, a->eef_site);
    mj_fullM(a->m, M, a->d->qM);
    for (int i = 0; i < 7; i++) fprintf(f, "%.17g ", a->d->qpos[a->osc.qpos[i]]);
    for (int i = 0; i < 7; i++) fprintf(f, "%.17g ", a->d->qvel[a->osc.dof[i]]);
    for (int r = 0; r < 6; r++)
      for (int i = 0; i < 7; i++) fprintf(f, "%.17g ", jp[r * nv + a->osc.dof[i]]);
    for (int i = 0; i < 7; i++)
      for (int j = 0; j < 7; j++) fprintf(f, "%.17g ", M[a->osc.dof[i] * nv + a->osc.dof[j]]);
    for (int i = 0; i < 7; i++) fprintf(f, "%.17g ", a->d->qfrc_bias[a->osc.dof[i]]);
    for (int i = 0; i < 3; i++) fprintf(f, "%.17g ", a->d->site_xpos[3 * a->eef_site + i]);
    for (int i = 0; i < 9; i++) fprintf(f, "%.17g ", a->d->site_xmat[9 * a->eef_site + i]);
    for (int i = 0; i < 3; i++) fprintf(f, "%.17g ", a->osc.goal_pos[i]);
    for (int i = 0; i < 9; i++) fprintf(f, "%.17g ", a->osc.goal_rot[i]);
    for (int i = 0; i < 7; i++) fprintf(f, "%.17g ", a->osc.posture[i]);
    for (int i = 0; i < 7; i++) fprintf(f, "%.17g%c", tau[i], i == 6 ? '\n' : ' ');
    free(jp), free(M);
  }
  fclose(f);
  env_destroy(&e);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "osc")) return dump_osc(argv[2]);
  for (int i = 0; i < 4; i++) check_resets(tasks[i]), check_render(tasks[i]);
  check_success();
  check_milk_disturbance();
  check_osc_goal();
  check_expert();
  TEST_MAIN_END();
}
