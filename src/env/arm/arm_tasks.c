// The arm tasks as robosuite 1.2 defines them (environments/manipulation/lift.py,
// pick_place.py with single_object_mode 2 and the can or the milk, nut_assembly.py with the
// square nut): arena, objects, placement distributions, success predicates, object
// observations; and the milk's disturbance (OneDP's moving-object experiment, simulated).
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "env/arm/arm.h"

// robosuite's reach test: the gripper has let go (1 - tanh(10 d) < 0.6, d > atanh(0.4) / 10).
static int released(const ArmEnv *e, int obj) {
  const double *p = e->d->xpos + 3 * e->obj[obj].body, *g = e->d->site_xpos + 3 * e->eef_site;
  return mju_dist3(p, g) > atanh(0.4) / 10;
}

// An object parked out of the scene (robosuite's clear_objects: the other task objects of
// the model); each its own spot so they do not start interpenetrating.
static void park(ArmEnv *e, int obj, int k) {
  double *q = e->d->qpos + e->obj[obj].qpos;
  q[0] = 10, q[1] = 10 + 2 * k, q[2] = 10, q[3] = 1, q[4] = q[5] = q[6] = 0;
}

// ---- Lift: a cube of random size on the table, lifted 4 cm.

static int lift_compose(MjcfDoc *w, const char *assets) {
  char tex[4200];
  snprintf(tex, sizeof tex, "<texture name=\"cube_redwood\" type=\"cube\" file=\"%s/textures/red-wood.png\"/>", assets);
  return mjcf_append(w, "asset", NULL, tex) ||
                 mjcf_append(w, "asset", NULL,
                             "<material name=\"cube_redwood_mat\" texture=\"cube_redwood\" texrepeat=\"1 1\" "
                             "specular=\"0.4\" shininess=\"0.1\"/>") ||
                 mjcf_append(w, "worldbody", NULL,
                             "<body name=\"cube_main\"><joint name=\"cube_joint0\" type=\"free\"/>"
                             "<geom name=\"cube_g0\" type=\"box\" size=\"0.021 0.021 0.021\" group=\"0\" "
                             "rgba=\"0.5 0 0 1\" density=\"1000\" friction=\"1 0.005 0.0001\" solref=\"0.02 1\" "
                             "solimp=\"0.9 0.95 0.001\"/>"
                             "<geom name=\"cube_g0_vis\" type=\"box\" size=\"0.021 0.021 0.021\" group=\"1\" "
                             "contype=\"0\" conaffinity=\"0\" mass=\"1e-8\" material=\"cube_redwood_mat\"/></body>")
             ? ODP_ERR
             : ODP_OK;
}

static int lift_bind(ArmEnv *e) { return arm_bind_object(e, "cube"); }

// The cube's half-sizes, each U(0.020, 0.022) (BoxObject size_min/size_max): its geoms,
// mass (density 1000) and inertia set in the model, which is then re-derived.
static void lift_pre_reset(ArmEnv *e, NpRandom *r) {
  double *h = e->lift_cube;
  for (int i = 0; i < 3; i++) h[i] = 0.020 + 0.002 * np_random_double(r);
  const int body = e->obj[0].body, g0 = e->m->body_geomadr[body];
  for (int g = g0; g < g0 + e->m->body_geomnum[body]; g++) {
    mju_copy3(e->m->geom_size + 3 * g, h);
    e->m->geom_rbound[g] = mju_norm3(h);
  }
  const double mass = 1000 * 8 * h[0] * h[1] * h[2];
  e->m->body_mass[body] = mass;
  e->m->body_inertia[3 * body] = mass / 3 * (h[1] * h[1] + h[2] * h[2]);
  e->m->body_inertia[3 * body + 1] = mass / 3 * (h[0] * h[0] + h[2] * h[2]);
  e->m->body_inertia[3 * body + 2] = mass / 3 * (h[0] * h[0] + h[1] * h[1]);
  mj_setConst(e->m, e->d);
}

static int lift_place(ArmEnv *e, NpRandom *r) {
  const double lo[2] = {-0.03, -0.03}, hi[2] = {0.03, 0.03}, ref[3] = {0, 0, 0.8};
  return arm_place(e, r, 0, lo, hi, ref, 0.01, -e->lift_cube[2], 0, NULL, 0, NULL);
}

static int lift_success(const ArmEnv *e) { return e->d->xpos[3 * e->obj[0].body + 2] > 0.8 + 0.04; }

// cube_pos, cube_quat (xyzw), gripper_to_cube_pos = eef - cube.
static void lift_object_obs(const ArmEnv *e, double *out) {
  double tmp[14];
  arm_object_pose_obs(e, 0, tmp);
  memcpy(out, tmp, 7 * sizeof(double));
  mju_sub3(out + 7, e->d->site_xpos + 3 * e->eef_site, tmp);
}

const ArmTask arm_lift = {
    .name = "lift", .title = "Lift", .env_name = "Lift", .arena = "arenas/table_arena.xml",
    .robot_base = {-0.56, 0, 0.912}, .table = 1, .table_size = {0.8, 0.8, 0.05}, .table_top = 0.8,
    .table_friction = {1, 5e-3, 1e-4}, .object_dim = 10, .state_dim = ARM_LIFT_STATE_DIM, .max_steps = 400,
    .compose = lift_compose, .bind = lift_bind, .pre_reset = lift_pre_reset, .place = lift_place,
    .success = lift_success, .object_obs = lift_object_obs};

// ---- Can: the can from bin 1 into bin 2's can quadrant. The model holds PickPlace's
// eight objects (the translucent visual targets in bin 2, and the milk, bread and cereal,
// whose placements the can's avoids before they are parked), so its state is robomimic's.

typedef struct {
  const char *name, *file;
  double radius, bottom;  // horizontal_radius_site x, bottom_site z
} PickObject;
static const PickObject pick_objects[4] = {{"Milk", "milk", 0.025, -0.085},
                                           {"Bread", "bread", 0.03, -0.045},
                                           {"Cereal", "cereal", 0.04, -0.10},
                                           {"Can", "can", 0.025, -0.06}};
static const double bin1[3] = {0.1, -0.25, 0.8}, bin2[3] = {0.1, 0.28, 0.8}, bin_size[2] = {0.39, 0.49};

static int can_compose(MjcfDoc *w, const char *assets) {
  char name[32], file[64], pos[96];
  for (int i = 0; i < 4; i++) {  // visual targets, static, at bin 2's quadrant centres
    const PickObject *o = &pick_objects[i];
    const double x = bin2[0] - (i == 0 || i == 2 ? bin_size[0] / 2 : 0) + bin_size[0] / 4;
    const double y = bin2[1] - (i < 2 ? bin_size[1] / 2 : 0) + bin_size[1] / 4;
    snprintf(name, sizeof name, "Visual%s", o->name), snprintf(file, sizeof file, "objects/%s-visual.xml", o->file);
    snprintf(pos, sizeof pos, "%.17g %.17g %.17g", x, y, bin2[2] - o->bottom);
    char body[48];
    snprintf(body, sizeof body, "%s_main", name);
    if (arm_add_object(w, assets, file, name, 0) || mjcf_set(w, "body", body, "pos", pos)) return ODP_ERR;
  }
  for (int i = 0; i < 4; i++) {
    snprintf(file, sizeof file, "objects/%s.xml", pick_objects[i].file);
    if (arm_add_object(w, assets, file, pick_objects[i].name, 1)) return ODP_ERR;
  }
  return ODP_OK;
}

static int can_bind(ArmEnv *e) {
  for (int i = 0; i < 4; i++)  // objects 0..3: Milk, Bread, Cereal, Can
    if (arm_bind_object(e, pick_objects[i].name) < 0) return -1;
  return 0;
}

// Where object i may lie in bin 1 (CollisionObjectSampler: its radius in from the walls' 5 cm margin).
static void bin1_range(int i, double lo[2], double hi[2]) {
  const double hx = bin_size[0] / 2 - 0.05, hy = bin_size[1] / 2 - 0.05, r = pick_objects[i].radius;
  lo[0] = -hx + r, lo[1] = -hy + r, hi[0] = hx - r, hi[1] = hy - r;
}

// Each object inside bin 1, clear of those placed before it; then all but `keep` parked.
static int pick_place(ArmEnv *e, NpRandom *r, int keep) {
  double placed[12], lo[2], hi[2];
  for (int i = 0; i < 4; i++) {
    const PickObject *o = &pick_objects[i];
    bin1_range(i, lo, hi);
    if (arm_place(e, r, i, lo, hi, bin1, 0, o->bottom, o->radius, placed, i, placed + 3 * i)) return ODP_ERR;
    placed[3 * i + 2] = o->radius;
  }
  for (int i = 0, k = 0; i < 4; i++)
    if (i != keep) park(e, i, k++);
  return ODP_OK;
}

// Object i in its quadrant of bin 2 (robosuite's not_in_bin: 0 and 2 on the low-x half,
// 0 and 1 on the low-y half), under 10 cm over the floor, let go.
static int in_its_quadrant(const ArmEnv *e, int i) {
  const double *p = e->d->xpos + 3 * e->obj[i].body;
  const double x0 = bin2[0] - (i == 0 || i == 2 ? bin_size[0] / 2 : 0), y0 = bin2[1] - (i < 2 ? bin_size[1] / 2 : 0);
  return p[0] > x0 && p[0] < x0 + bin_size[0] / 2 && p[1] > y0 && p[1] < y0 + bin_size[1] / 2 && p[2] > bin2[2] &&
         p[2] < bin2[2] + 0.1 && released(e, i);
}

static int can_place(ArmEnv *e, NpRandom *r) { return pick_place(e, r, 3); }
static int can_success(const ArmEnv *e) { return in_its_quadrant(e, 3); }
static void can_object_obs(const ArmEnv *e, double *out) { arm_object_pose_obs(e, 3, out); }

const ArmTask arm_can = {
    .name = "can", .title = "Can", .env_name = "PickPlaceCan", .arena = "arenas/bins_arena.xml",
    .robot_base = {-0.5, -0.1, 0.912}, .object_dim = 14, .state_dim = ARM_CAN_STATE_DIM, .max_steps = 400,
    .compose = can_compose, .bind = can_bind, .place = can_place, .success = can_success,
    .object_obs = can_object_obs};

// ---- Milk: PickPlaceMilk, the carton from bin 1 into bin 2's milk quadrant, in the same
// scene as Can. Its disturbance is OneDP's real-robot experiment (a person moves the box
// while the gripper approaches it), simulated: while the open gripper closes in on the
// standing carton (disturbable), perturb slides it 6-12 cm across bin 1 in a seeded
// direction and turns it, as a hand would, to a clear spot inside the bin's range.

static int milk_place(ArmEnv *e, NpRandom *r) { return pick_place(e, r, 0); }
static int milk_success(const ArmEnv *e) { return in_its_quadrant(e, 0); }
static void milk_object_obs(const ArmEnv *e, double *out) { arm_object_pose_obs(e, 0, out); }

// The open gripper within 12 cm (horizontally) of the carton and still over its top (8 cm
// above its centre: a hand takes the box away before the fingers reach it), the carton
// standing where it was placed (not lifted).
static int milk_disturbable(const ArmEnv *e) {
  const double *p = e->d->xpos + 3 * e->obj[0].body, *g = e->d->site_xpos + 3 * e->eef_site;
  return hypot(p[0] - g[0], p[1] - g[1]) < 0.12 && g[2] > p[2] + 0.1 && e->gripper_cmd[0] >= 0 &&
         p[2] < bin1[2] - pick_objects[0].bottom + 0.01;
}

static int milk_perturb(ArmEnv *e, const double *u) {
  double lo[2], hi[2], *q = e->d->qpos + e->obj[0].qpos;
  bin1_range(0, lo, hi);
  for (int tries = 0; tries < 8; tries++) {  // the direction turned by 45 degrees until the spot is inside the bin
    const double dist = 0.06 + 0.06 * u[0], dir = 2 * M_PI * u[1] + tries * M_PI / 4;
    const double x = q[0] + dist * cos(dir), y = q[1] + dist * sin(dir);
    if (x - bin1[0] < lo[0] || x - bin1[0] > hi[0] || y - bin1[1] < lo[1] || y - bin1[1] > hi[1]) continue;
    double turn[4], quat[4];
    mju_axisAngle2Quat(turn, (const double[3]){0, 0, 1}, M_PI / 2 * (u[2] - 0.5));  // +-45 degrees
    mju_mulQuat(quat, turn, q + 3);
    q[0] = x, q[1] = y;
    mju_copy4(q + 3, quat);
    mju_zero(e->d->qvel + e->obj[0].dof, 6);
    mj_forward(e->m, e->d);
    return 0;
  }
  return 1;
}

const ArmTask arm_milk = {
    .name = "milk", .title = "PickPlaceMilk", .env_name = "PickPlaceMilk", .arena = "arenas/bins_arena.xml",
    .robot_base = {-0.5, -0.1, 0.912}, .object_dim = 14, .state_dim = ARM_CAN_STATE_DIM, .max_steps = 500,
    .compose = can_compose, .bind = can_bind, .place = milk_place, .success = milk_success,
    .object_obs = milk_object_obs, .disturbable = milk_disturbable, .perturb = milk_perturb};

// ---- Square: the square nut onto the square peg (the round nut is in the model, parked).

static int square_compose(MjcfDoc *w, const char *assets) {
  return arm_add_object(w, assets, "objects/square-nut.xml", "SquareNut", 1) ||
                 arm_add_object(w, assets, "objects/round-nut.xml", "RoundNut", 1)
             ? ODP_ERR
             : ODP_OK;
}

static int square_bind(ArmEnv *e) {
  if (arm_bind_object(e, "SquareNut") < 0 || arm_bind_object(e, "RoundNut") < 0) return -1;
  e->fixture = mj_name2id(e->m, mjOBJ_BODY, "peg1");
  return e->fixture < 0 ? odp_fail("Square: the arena has no peg1") : 0;
}

static int square_place(ArmEnv *e, NpRandom *r) {
  const double ref[3] = {0, 0, 0.82}, lo[2] = {-0.115, 0.11}, hi[2] = {-0.11, 0.225};
  const double lo2[2] = {-0.115, -0.225}, hi2[2] = {-0.11, -0.11};
  double placed[3];
  if (arm_place(e, r, 0, lo, hi, ref, 0.02, -0.05, 0.11, NULL, 0, placed)) return ODP_ERR;
  placed[2] = 0.11;
  if (arm_place(e, r, 1, lo2, hi2, ref, 0.02, -0.05, 0.11, placed, 1, NULL)) return ODP_ERR;
  park(e, 1, 0);
  return ODP_OK;
}

static int square_success(const ArmEnv *e) {
  const double *p = e->d->xpos + 3 * e->obj[0].body, *peg = e->d->xpos + 3 * e->fixture;
  return fabs(p[0] - peg[0]) < 0.03 && fabs(p[1] - peg[1]) < 0.03 && p[2] < 0.82 + 0.05 && released(e, 0);
}

static void square_object_obs(const ArmEnv *e, double *out) { arm_object_pose_obs(e, 0, out); }

const ArmTask arm_square = {
    .name = "square", .title = "Square", .env_name = "NutAssemblySquare", .arena = "arenas/pegs_arena.xml",
    .robot_base = {-0.56, 0, 0.912}, .table = 1, .table_size = {0.8, 0.8, 0.05}, .table_top = 0.82,
    .table_friction = {1, 0.005, 0.0001}, .object_dim = 14, .state_dim = ARM_SQUARE_STATE_DIM, .max_steps = 400,
    .compose = square_compose, .bind = square_bind, .place = square_place, .success = square_success,
    .object_obs = square_object_obs};
