// The arm tasks' shared part: the scene's robot, the control loop, observations, cameras
// and the EnvOps glue (env/arm/arm.h). Facts from robosuite 1.2 (the version Diffusion
// Policy pins): docs/arm_tasks.md lists them with what onedp does differently.
#include <GL/osmesa.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rotation.h"
#include "env/arm/arm.h"

static const double panda_init_qpos[7] = {0, M_PI / 16, 0, -M_PI / 2 - M_PI / 3, 0, M_PI - 0.2, M_PI / 4};
static const char *const arm_joints[7] = {"robot0_joint1", "robot0_joint2", "robot0_joint3", "robot0_joint4",
                                          "robot0_joint5", "robot0_joint6", "robot0_joint7"};
static const char *const arm_motors[7] = {"robot0_torq_j1", "robot0_torq_j2", "robot0_torq_j3", "robot0_torq_j4",
                                          "robot0_torq_j5", "robot0_torq_j6", "robot0_torq_j7"};

const char *arm_assets(void) {
  const char *dir = getenv("ONEDP_ROBOSUITE");
  return dir && *dir ? dir : "../shared/data/robosuite";
}

// robosuite's base world (models/assets/base.xml + world.py's 2 ms timestep).
static const char world_head[] =
    "<compiler angle=\"radian\" inertiagrouprange=\"0 0\"/>"
    "<option timestep=\"0.002\" impratio=\"20\" cone=\"elliptic\" density=\"1.2\" viscosity=\"0.00002\"/>"
    "<size nconmax=\"5000\" njmax=\"5000\"/>"
    "<visual><map znear=\"0.001\"/><global offwidth=\"512\" offheight=\"512\"/></visual>";

static MjcfDoc *load_part(const char *assets, const char *file, const char *prefix) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", assets, file);
  MjcfDoc *d = mjcf_load(path);
  if (d && prefix) mjcf_prefix(d, prefix);
  return d;
}

// The Panda (robot0_), its joints' armature and friction loss as robosuite's RobotModel
// adds them, the Rethink mount (mount0_) under its base, the gripper (gripper0_) in its hand.
static int add_robot(MjcfDoc *w, const char *assets, const double base[3]) {
  MjcfDoc *robot = load_part(assets, "robots/panda/robot.xml", "robot0_");
  if (!robot) return ODP_ERR;
  char v[64];
  for (int i = 0; i < 7; i++) {
    snprintf(v, sizeof v, "%.17g", 5.0 / (i + 1));
    if (mjcf_set(robot, "joint", arm_joints[i], "armature", v) ||
        mjcf_set(robot, "joint", arm_joints[i], "frictionloss", "0.1"))
      return mjcf_free(robot), ODP_ERR;
  }
  if (mjcf_set_vec(robot, "body", "robot0_base", "pos", base, 3)) return mjcf_free(robot), ODP_ERR;
  if (mjcf_merge(w, robot, NULL)) return ODP_ERR;
  MjcfDoc *mount = load_part(assets, "mounts/rethink_mount.xml", "mount0_");
  if (!mount || mjcf_set(mount, "body", "mount0_base", "pos", "0 0 0.01")) return mjcf_free(mount), ODP_ERR;
  if (mjcf_merge(w, mount, "robot0_base")) return ODP_ERR;
  MjcfDoc *gripper = load_part(assets, "grippers/panda_gripper.xml", "gripper0_");
  return gripper ? mjcf_merge(w, gripper, "robot0_right_hand") : ODP_ERR;
}

// A table arena's table resized as robosuite's TableArena does: the body at its centre,
// the collision and visual boxes, the top site, the four legs down to the floor.
static int size_table(MjcfDoc *w, const ArmTask *t) {
  const double *full = t->table_size, hz = full[2] / 2;
  const double pos[3] = {0, 0, t->table_top - hz}, half[3] = {full[0] / 2, full[1] / 2, hz}, top[3] = {0, 0, hz};
  int err = mjcf_set_vec(w, "body", "table", "pos", pos, 3) ||
            mjcf_set_vec(w, "geom", "table_collision", "size", half, 3) ||
            mjcf_set_vec(w, "geom", "table_collision", "friction", t->table_friction, 3) ||
            mjcf_set_vec(w, "geom", "table_visual", "size", half, 3) || mjcf_set_vec(w, "site", "table_top", "pos", top, 3);
  const double leg_z = (t->table_top - hz) / 2;
  for (int i = 0; i < 4 && !err; i++) {
    const double dx = i == 0 || i == 3 ? 0.1 : -0.1, dy = i < 2 ? 0.1 : -0.1;
    double x = half[0] > 0.2 ? copysign(half[0], dx) - dx : 0, y = half[1] > 0.2 ? copysign(half[1], dy) - dy : 0;
    const double lpos[3] = {x, y, -leg_z}, lsize[2] = {0.025, leg_z};
    char name[32];
    snprintf(name, sizeof name, "table_leg%d_visual", i + 1);
    err = mjcf_set_vec(w, "geom", name, "pos", lpos, 3) || mjcf_set_vec(w, "geom", name, "size", lsize, 2);
  }
  return err ? ODP_ERR : ODP_OK;
}

mjModel *arm_compile(const ArmTask *t, char **xml) {
  const char *assets = arm_assets();
  MjcfDoc *w = mjcf_new(t->name, world_head);
  if (!w) return NULL;
  MjcfDoc *arena = load_part(assets, t->arena, NULL);
  int err = !arena || mjcf_merge(w, arena, NULL) || (t->table && size_table(w, t)) ||
            add_robot(w, assets, t->robot_base) || t->compose(w, assets);
  mjModel *m = err ? NULL : mjcf_compile(w, t->title);
  if (m && xml && !(*xml = mjcf_text(w))) mj_deleteModel(m), m = NULL;
  mjcf_free(w);
  if (err) odp_fail_context("%s scene from %s (set ONEDP_ROBOSUITE to robosuite's assets directory)", t->title, assets);
  return m;
}

int arm_add_object(MjcfDoc *world, const char *assets, const char *file, const char *name, int free_joint) {
  char prefix[64], main_body[64], joint[160];
  snprintf(prefix, sizeof prefix, "%s_", name);
  snprintf(main_body, sizeof main_body, "%s_main", name);
  MjcfDoc *obj = load_part(assets, file, NULL);
  if (!obj || mjcf_extract_object(obj, "object", "main")) return mjcf_free(obj), ODP_ERR;
  mjcf_prefix(obj, prefix);
  if (free_joint) {
    snprintf(joint, sizeof joint, "<joint name=\"%s_joint0\" type=\"free\" damping=\"0.0005\"/>", name);
    if (mjcf_append(obj, "body", main_body, joint)) return mjcf_free(obj), ODP_ERR;
  }
  return mjcf_merge(world, obj, NULL);
}

int arm_bind_object(ArmEnv *e, const char *name) {
  char body[64], joint[64];
  snprintf(body, sizeof body, "%s_main", name);
  snprintf(joint, sizeof joint, "%s_joint0", name);
  if (e->n_obj == ARM_MAX_OBJECTS) return odp_fail("%s: more than %d objects", e->task->title, ARM_MAX_OBJECTS);
  ArmObject *o = &e->obj[e->n_obj];
  const int j = mj_name2id(e->m, mjOBJ_JOINT, joint);
  if ((o->body = mj_name2id(e->m, mjOBJ_BODY, body)) < 0) return odp_fail("%s: no body %s", e->task->title, body);
  o->qpos = j < 0 ? -1 : e->m->jnt_qposadr[j], o->dof = j < 0 ? -1 : e->m->jnt_dofadr[j];
  return e->n_obj++;
}

int arm_place(ArmEnv *e, NpRandom *r, int obj, const double lo[2], const double hi[2], const double ref[3],
              double z_offset, double bottom, double radius, const double *placed, int n_placed, double *xy_out) {
  for (int tries = 0; tries < 5000; tries++) {
    const double x = lo[0] + (hi[0] - lo[0]) * np_random_double(r) + ref[0];
    const double y = lo[1] + (hi[1] - lo[1]) * np_random_double(r) + ref[1];
    int ok = 1;
    for (int k = 0; k < n_placed && ok; k++) ok = hypot(x - placed[3 * k], y - placed[3 * k + 1]) > placed[3 * k + 2] + radius;
    if (!ok) continue;
    const double yaw = 2 * M_PI * np_random_double(r);
    double *q = e->d->qpos + e->obj[obj].qpos;
    q[0] = x, q[1] = y, q[2] = ref[2] + z_offset - bottom;
    q[3] = cos(yaw / 2), q[4] = 0, q[5] = 0, q[6] = sin(yaw / 2);
    if (xy_out) xy_out[0] = x, xy_out[1] = y;
    return ODP_OK;
  }
  return odp_fail("%s: no valid placement in 5000 tries", e->task->title);
}

// xyzw from MuJoCo's wxyz.
static void quat_xyzw(const double *wxyz, double *out) {
  out[0] = wxyz[1], out[1] = wxyz[2], out[2] = wxyz[3], out[3] = wxyz[0];
}

void arm_object_pose_obs(const ArmEnv *e, int obj, double *out) {
  const mjData *d = e->d;
  const double *p = d->xpos + 3 * e->obj[obj].body, *q = d->xquat + 4 * e->obj[obj].body;
  const double *eef = d->site_xpos + 3 * e->eef_site, *hq = d->xquat + 4 * e->hand_body;
  double R[9], diff[3], inv[4], rel[4];
  memcpy(out, p, 3 * sizeof(double));
  quat_xyzw(q, out + 3);
  mju_quat2Mat(R, hq);
  mju_sub3(diff, p, eef);
  mju_mulMatTVec(out + 7, R, diff, 3, 3);  // R_hand^T (p - eef)
  mju_negQuat(inv, hq);
  mju_mulQuat(rel, inv, q);
  if (rel[0] < 0) mju_scl(rel, rel, -1, 4);  // robosuite's mat2quat: w >= 0
  quat_xyzw(rel, out + 10);
}

static void *arm_create(const ArmTask *t) {
  ArmEnv *e = calloc(1, sizeof *e);
  if (!e) return odp_fail("arm env: out of memory"), NULL;
  e->task = t;
  if (!(e->m = arm_compile(t, &e->model_xml))) goto fail;
  // robosuite's <size njmax=5000 nconmax=5000> has MuJoCo 2.2 give every mjData a 1 GB stack
  // (170 ms to make) and a 5000 x 5000 constraint matrix (efc_AR, 200 MB): 330 MB an
  // environment. A step uses under 40 kB of stack and at most 269 constraint rows and 65
  // contacts (d->maxuse_* over the experts' episodes of every task): 8 MB of stack, 2000
  // rows (32 MB) and 1000 contacts keep several times that. Results do not change (the
  // solver works on the rows in use); a step that fills them fails (arm_step), never drops one.
  e->m->nstack = 1 << 20, e->m->njmax = 2000, e->m->nconmax = 1000;
  if (!(e->d = mj_makeData(e->m))) goto fail;
  static const char *const fingers[2] = {"gripper0_finger_joint1", "gripper0_finger_joint2"};
  static const char *const finger_acts[2] = {"gripper0_gripper_finger_joint1", "gripper0_gripper_finger_joint2"};
  for (int i = 0; i < 2; i++) {
    const int j = mj_name2id(e->m, mjOBJ_JOINT, fingers[i]);
    e->finger_act[i] = mj_name2id(e->m, mjOBJ_ACTUATOR, finger_acts[i]);
    if (j < 0 || e->finger_act[i] < 0) {
      odp_fail("%s: the gripper has no %s", t->title, fingers[i]);
      goto fail;
    }
    e->finger_qpos[i] = e->m->jnt_qposadr[j];
  }
  e->hand_body = mj_name2id(e->m, mjOBJ_BODY, "robot0_right_hand");
  e->eef_site = mj_name2id(e->m, mjOBJ_SITE, "gripper0_grip_site");
  if (e->hand_body < 0 || e->eef_site < 0 || osc_init(&e->osc, e->m, 7, arm_joints, arm_motors, "gripper0_grip_site") ||
      t->bind(e) < 0)
    goto fail;
  if (1 + e->m->nq + e->m->nv != t->state_dim) {
    odp_fail("%s: the scene's state has %d values, not robomimic's %d", t->title, 1 + e->m->nq + e->m->nv, t->state_dim);
    goto fail;
  }
  return e;
fail:
  odp_fail_context("env %s", t->name);
  if (e->d) mj_deleteData(e->d);
  if (e->m) mj_deleteModel(e->m);
  free(e->model_xml), free(e);
  return NULL;
}

static void arm_destroy(void *impl) {
  ArmEnv *e = impl;
  if (e->con) mjr_freeContext(e->con), free(e->con);
  if (e->scene) mjv_freeScene(e->scene), free(e->scene);
  if (e->gl) OSMesaDestroyContext(e->gl);
  free(e->gl_buffer), free(e->rows);
  mj_deleteData(e->d);
  mj_deleteModel(e->m);
  free(e->model_xml), free(e);
}

static void set_gripper_ctrl(ArmEnv *e) {
  for (int i = 0; i < 2; i++) {
    const double *range = e->m->actuator_ctrlrange + 2 * e->finger_act[i];
    e->d->ctrl[e->finger_act[i]] = 0.5 * (range[1] + range[0]) + 0.5 * (range[1] - range[0]) * e->gripper_cmd[i];
  }
}

// robosuite's reset draw order: the task's model draws (Lift's cube size), the arm's joint
// noise (7 Gaussians of 0.02), then the object placement; numpy's legacy generator.
static int arm_reset(void *impl, uint32_t seed) {
  ArmEnv *e = impl;
  NpRandom r;
  np_random_seed(&r, seed);
  mj_resetData(e->m, e->d);
  if (e->task->pre_reset) e->task->pre_reset(e, &r);
  for (int i = 0; i < 7; i++) {
    const double q = panda_init_qpos[i] + 0.02 * np_random_gauss(&r);
    e->d->qpos[e->osc.qpos[i]] = q, e->osc.posture[i] = q;
  }
  e->d->qpos[e->finger_qpos[0]] = 0.020833, e->d->qpos[e->finger_qpos[1]] = -0.020833;
  e->gripper_cmd[0] = e->gripper_cmd[1] = 0;
  if (e->task->place(e, &r)) return ODP_ERR;
  e->steps = 0, e->success_seen = 0;
  mj_forward(e->m, e->d);
  // The controller's goal starts at the current pose (a zero-length first action).
  osc_set_goal(&e->osc, e->d->site_xpos + 3 * e->eef_site, e->d->site_xmat + 9 * e->eef_site);
  set_gripper_ctrl(e);
  return ODP_OK;
}

static void arm_evaluate(const void *impl, EnvStep *out) {
  const ArmEnv *e = impl;
  out->reward = out->coverage = e->task->success(e);
  out->steps = e->steps, out->n_contacts = e->d->ncon;
  out->disturbable = e->task->disturbable && e->task->disturbable(e);
  out->done = e->success_seen || out->reward > 0 || e->steps >= e->task->max_steps;
}

// One 20 Hz action: the goal set once, then 25 substeps of controller + gripper + physics
// (mj_step1 computes what the controller reads, mj_step2 integrates).
static int arm_step(void *impl, const double *action, EnvStep *out) {
  ArmEnv *e = impl;
  double R[9];
  for (int i = 0; i < ARM_ACTION_DIM; i++)
    if (!isfinite(action[i])) return odp_fail("%s: action %d is not finite", e->task->title, i);
  rot_6d_to_matrix(action + 3, R);
  osc_set_goal(&e->osc, action, R);
  const double g = action[9], sign = (g > 0) - (g < 0);
  for (int s = 0; s < ARM_SUBSTEPS; s++) {
    mj_step1(e->m, e->d);
    osc_control(&e->osc, e->m, e->d, NULL);
    e->gripper_cmd[0] = fmin(fmax(e->gripper_cmd[0] - 0.01 * sign, -1), 1);
    e->gripper_cmd[1] = fmin(fmax(e->gripper_cmd[1] + 0.01 * sign, -1), 1);
    set_gripper_ctrl(e);
    mj_step2(e->m, e->d);
  }
  mj_forward(e->m, e->d);  // observations and success read the new state
  if (e->d->warning[mjWARN_CNSTRFULL].number || e->d->warning[mjWARN_CONTACTFULL].number)
    return odp_fail("%s: step %d: the scene's constraint or contact space is full (njmax %d, nconmax %d)",
                    e->task->title, e->steps + 1, e->m->njmax, e->m->nconmax);
  e->steps++;
  EnvStep st;
  arm_evaluate(e, &st);
  e->success_seen |= st.reward > 0;
  if (out) *out = st;
  return ODP_OK;
}

// robomimic's state vector: time, qpos, qvel.
static void arm_state(const void *impl, double *out) {
  const ArmEnv *e = impl;
  out[0] = e->d->time;
  memcpy(out + 1, e->d->qpos, sizeof(double) * e->m->nq);
  memcpy(out + 1 + e->m->nq, e->d->qvel, sizeof(double) * e->m->nv);
}

static int arm_reset_to_state(void *impl, const double *s) {
  ArmEnv *e = impl;
  e->d->time = s[0];
  memcpy(e->d->qpos, s + 1, sizeof(double) * e->m->nq);
  memcpy(e->d->qvel, s + 1 + e->m->nq, sizeof(double) * e->m->nv);
  mju_zero(e->d->act, e->m->na);
  for (int i = 0; i < 7; i++) e->osc.posture[i] = e->d->qpos[e->osc.qpos[i]];
  // The gripper command the fingers' positions imply (its actuators are position servos).
  e->gripper_cmd[0] = fmin(fmax((e->d->qpos[e->finger_qpos[0]] - 0.02) / 0.02, -1), 1);
  e->gripper_cmd[1] = fmin(fmax((e->d->qpos[e->finger_qpos[1]] + 0.02) / 0.02, -1), 1);
  mj_forward(e->m, e->d);
  osc_set_goal(&e->osc, e->d->site_xpos + 3 * e->eef_site, e->d->site_xmat + 9 * e->eef_site);
  set_gripper_ctrl(e);
  return ODP_OK;
}

// The low-dim observation in Diffusion Policy's key order: object, robot0_eef_pos,
// robot0_eef_quat (the hand body's, xyzw), robot0_gripper_qpos.
static void arm_observe(const void *impl, double *out) {
  const ArmEnv *e = impl;
  const int k = e->task->object_dim;
  e->task->object_obs(e, out);
  memcpy(out + k, e->d->site_xpos + 3 * e->eef_site, 3 * sizeof(double));
  quat_xyzw(e->d->xquat + 4 * e->hand_body, out + k + 3);
  out[k + 7] = e->d->qpos[e->finger_qpos[0]], out[k + 8] = e->d->qpos[e->finger_qpos[1]];
}

// The holding action: the grip site's current pose, the gripper as commanded.
static void arm_hold(const void *impl, double *a) {
  const ArmEnv *e = impl;
  const double *R = e->d->site_xmat + 9 * e->eef_site;
  memcpy(a, e->d->site_xpos + 3 * e->eef_site, 3 * sizeof(double));
  memcpy(a + 3, R, 6 * sizeof(double));  // its first two rows
  a[9] = (e->gripper_cmd[1] > 0) - (e->gripper_cmd[1] < 0);  // closing: finger 2's command rises
}

// The offscreen renderer (OSMesa, software): made on the first render, current in the
// calling thread for each render (an env renders from one thread at a time). Group-0
// (collision) geoms and sites are hidden, as robosuite renders its camera observations.
static int gl_begin(ArmEnv *e) {
  const int side = e->m->vis.global.offwidth;
  if (!e->gl) {
    e->gl = OSMesaCreateContextExt(OSMESA_RGBA, 24, 8, 8, NULL);
    e->gl_buffer = malloc((size_t)side * side * 4);
    e->rows = malloc((size_t)side * side * 3);
    e->scene = malloc(sizeof *e->scene), e->con = malloc(sizeof *e->con);
    if (!e->gl || !e->gl_buffer || !e->rows || !e->scene || !e->con) return odp_fail("%s: no OSMesa context", e->task->title);
    if (!OSMesaMakeCurrent(e->gl, e->gl_buffer, GL_UNSIGNED_BYTE, side, side))
      return odp_fail("%s: OSMesa cannot make its context current", e->task->title);
    mjv_defaultScene(e->scene), mjr_defaultContext(e->con), mjv_defaultOption(&e->vopt);
    mjv_makeScene(e->m, e->scene, 2000);
    mjr_makeContext(e->m, e->con, mjFONTSCALE_100);
    mjr_setBuffer(mjFB_OFFSCREEN, e->con);
    e->vopt.geomgroup[0] = 0;
    for (int i = 0; i < mjNGROUP; i++) e->vopt.sitegroup[i] = 0;
    e->scene->flags[mjRND_SHADOW] = 0, e->scene->flags[mjRND_REFLECTION] = 0;
    e->cam_ids[0] = mj_name2id(e->m, mjOBJ_CAMERA, "agentview");
    e->cam_ids[1] = mj_name2id(e->m, mjOBJ_CAMERA, "robot0_eye_in_hand");
    if (e->cam_ids[0] < 0 || e->cam_ids[1] < 0) return odp_fail("%s: the scene lacks its cameras", e->task->title);
    return ODP_OK;
  }
  return OSMesaMakeCurrent(e->gl, e->gl_buffer, GL_UNSIGNED_BYTE, side, side)
             ? ODP_OK
             : odp_fail("%s: OSMesa cannot make its context current", e->task->title);
}

// rgb (size, size, 3), upright (robomimic flips robosuite's bottom-up rows).
static int render_camera(ArmEnv *e, int camera, int size, uint8_t *rgb) {
  if (size > e->m->vis.global.offwidth) return odp_fail("%s: frames up to %d pixels", e->task->title, e->m->vis.global.offwidth);
  if (gl_begin(e)) return ODP_ERR;
  mjvCamera cam;
  mjv_defaultCamera(&cam);
  cam.type = mjCAMERA_FIXED, cam.fixedcamid = e->cam_ids[camera];
  mjv_updateScene(e->m, e->d, &e->vopt, NULL, &cam, mjCAT_ALL, e->scene);
  const mjrRect view = {0, 0, size, size};
  mjr_render(view, e->scene, e->con);
  mjr_readPixels(e->rows, NULL, view, e->con);
  for (int y = 0; y < size; y++) memcpy(rgb + (size_t)y * size * 3, e->rows + (size_t)(size - 1 - y) * size * 3, (size_t)size * 3);
  return ODP_OK;
}

static int arm_render(const void *impl, int camera, uint8_t *rgb) {
  return render_camera((ArmEnv *)impl, camera, ARM_IMAGE_SIZE, rgb);
}

// GIF frames: the agent view at the frame's size (the action's target is not drawn).
static int arm_frame(const void *impl, int size, const float *action, uint8_t *rgb) {
  (void)action;
  return render_camera((ArmEnv *)impl, 0, size, rgb);
}

// A moving-object task's disturbance (ArmTask.perturb).
static int arm_perturb(void *impl, const double *u) {
  ArmEnv *e = impl;
  return e->task->perturb(e, u);
}

// The EnvOps of one task; obs_keys: robomimic's low-dim keys in the observation's order;
// perturb_: arm_perturb for a moving-object task (its first disturbance's window), else NULL.
#define ARM_OPS(var, title_, task, object_dim, state_dim_, max_steps_, perturb_, window0, window1)                                                        \
  static void *var##_create(void) { return arm_create(&task); }                                           \
  static const EnvObsKey var##_keys[] = {{"object", 0, object_dim},                                       \
                                         {"robot0_eef_pos", object_dim, 3},                               \
                                         {"robot0_eef_quat", object_dim + 3, 4},                          \
                                         {"robot0_gripper_qpos", object_dim + 7, 2},                      \
                                         {"robot", object_dim, 9},                                        \
                                         {NULL, 0, 0}};                                                   \
  static const char *const var##_tasks[] = {#var, NULL};                                                  \
  const EnvOps arm_##var##_ops = {                                                                        \
      .name = #var, .title = title_, .task_names = var##_tasks, .state_dim = state_dim_,                   \
      .obs_dim = object_dim + 9, .obs_keys = var##_keys, .n_cameras = 2,                                  \
      .cameras = {{"agentview_image", ARM_IMAGE_SIZE, ARM_IMAGE_SIZE},                                     \
                  {"robot0_eye_in_hand_image", ARM_IMAGE_SIZE, ARM_IMAGE_SIZE}},                           \
      .action_dim = ARM_ACTION_DIM, .control_hz = 20, .max_steps = max_steps_, .success_coverage = 0.5,     \
      .canvas_size = 256, .create = var##_create, .destroy = arm_destroy, .reset = arm_reset,             \
      .reset_to_state = arm_reset_to_state, .step = arm_step, .state = arm_state, .observe = arm_observe, \
      .render = arm_render, .evaluate = arm_evaluate, .frame = arm_frame, .hold_action = arm_hold,          \
      .perturb = perturb_, .perturb_window = {window0, window1}, .tools = arm_##var##_tools}

ARM_OPS(lift, "Lift", arm_lift, 10, ARM_LIFT_STATE_DIM, 400, NULL, 0, 0);
ARM_OPS(can, "Can", arm_can, 14, ARM_CAN_STATE_DIM, 400, NULL, 0, 0);
ARM_OPS(square, "Square", arm_square, 14, ARM_SQUARE_STATE_DIM, 400, NULL, 0, 0);
// The milk's first disturbance comes on the gripper's first approach (steps 0-30 at the earliest).
ARM_OPS(milk, "PickPlaceMilk", arm_milk, 14, ARM_CAN_STATE_DIM, 500, arm_perturb, 0, 30);
