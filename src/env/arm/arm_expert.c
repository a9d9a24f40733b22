#include "env/arm/arm_expert.h"

#include <math.h>
#include <string.h>

// The phases every task walks (Lift stops after LIFT: lifting is its success).
enum { APPROACH, DESCEND, CLOSE, LIFT, TRANSPORT, LOWER, RELEASE, RETREAT };

static double uniform(ArmExpert *x, double lo, double hi) { return lo + (hi - lo) * np_random_double(&x->rng); }

static const double *obj_pos(const ArmExpert *x, int i) { return x->env->d->xpos + 3 * x->env->obj[i].body; }
static const double *eef(const ArmExpert *x) { return x->env->d->site_xpos + 3 * x->env->eef_site; }
static double yaw_of(const double *xquat) {
  double R[9];
  mju_quat2Mat(R, xquat);
  return atan2(R[3], R[0]);
}
static double wrap(double a) { return atan2(sin(a), cos(a)); }

// The task's object and where its grasp point sits (object frame).
static int target_object(const ArmExpert *x) { return x->env->task == &arm_can ? 3 : 0; }

// The world yaw the fingers close along for the commanded rotation R (the pads' axis).
static double finger_yaw(const double R[9], const double f_site[3]) {
  double f[3];
  mju_mulMatVec(f, R, f_site, 3, 3);
  return atan2(f[1], f[0]);
}

// The grasp rotation: the reset's grip-site rotation turned about its approach axis so the fingers close along `want` (modulo `period`), one of the
// symmetric choices within reach drawn at random.
static void choose_rotation(ArmExpert *x, double want, double period) {
  const mjData *d = x->env->d;
  const double *R0 = d->site_xmat + 9 * x->env->eef_site;
  double down[9];  // the reset's rotation: its slight tilt keeps joint 6 further from its limit
  mju_copy(down, R0, 9);
  if (x->env->task == &arm_square) {  // the nut lies close to the robot: the approach axis leans
    double q[4], Rt[9], ax[3] = {0, 1, 0}, tmp[9];  // 0.3 rad about y, which keeps joint 6 off its limit
    mju_axisAngle2Quat(q, ax, 0.3);
    mju_quat2Mat(Rt, q);
    mju_mulMatMat(tmp, Rt, down, 3, 3, 3);
    mju_copy(down, tmp, 9);
  }
  // The pads' axis in the site frame (the fingers' pad geoms, left minus right).
  const int p1 = mj_name2id(x->env->m, mjOBJ_GEOM, "gripper0_finger1_pad_collision");
  const int p2 = mj_name2id(x->env->m, mjOBJ_GEOM, "gripper0_finger2_pad_collision");
  double fw[3], fs[3];
  mju_sub3(fw, d->geom_xpos + 3 * p1, d->geom_xpos + 3 * p2);
  mju_mulMatTVec(fs, R0, fw, 3, 3);
  fs[2] = 0;
  mju_normalize3(fs);
  const double base = finger_yaw(down, fs);
  double options[4];
  int n = 0;
  for (int k = -2; k <= 2 && n < 4; k++) {
    const double delta = wrap(want - base) + k * period;
    if (fabs(delta) <= 0.95) options[n++] = delta;  // within ~55 degrees of the reset's wrist
  }
  if (!n) options[n++] = wrap(want - base) > 0 ? wrap(want - base) - period : wrap(want - base);
  const double delta = options[(int)(np_random_double(&x->rng) * n) % n];
  // Turned about the site's own approach axis (keeping the reset's tilt): as that axis
  // points down, a turn of -delta about it turns the fingers by +delta about the vertical.
  const double turn = down[8] < 0 ? -delta : delta, c = cos(turn), s = sin(turn);
  const double Rz[9] = {c, -s, 0, s, c, 0, 0, 0, 1};
  mju_mulMatMat(x->R, down, Rz, 3, 3, 3);
}

void arm_expert_begin(ArmExpert *x, const ArmEnv *env, ArmExpertQuality quality, uint32_t seed) {
  memset(x, 0, sizeof *x);
  x->env = env, x->quality = quality;
  np_random_seed(&x->rng, seed);
  const int mh = quality == ARM_EXPERT_MH;
  x->speed = mh ? uniform(x, 0.008, 0.014) : uniform(x, 0.012, 0.02);
  x->noise = mh ? uniform(x, 0.001, 0.003) : 0;
  x->hover = uniform(x, 0.04, 0.10);
  x->carry = uniform(x, 0.0, 0.06);
  x->release_dz = uniform(x, 0.0, 0.02);
  x->grip = -1;
  mju_copy3(x->goal, eef(x));
  mju_copy3(x->path, eef(x));
  const int obj = target_object(x);
  const double yaw = yaw_of(env->d->xquat + 4 * env->obj[obj].body);
  if (env->task == &arm_lift) {  // a cube: any face pair, the grasp a little below its centre
    x->grasp_dz = uniform(x, -0.006, 0.002);
    choose_rotation(x, yaw, M_PI / 2);
  } else if (env->task == &arm_can) {  // a cylinder: any angle; the bin 2 quadrant's spot
    x->grasp_dz = uniform(x, 0.005, 0.02);
    choose_rotation(x, yaw + uniform(x, -0.5, 0.5), M_PI);
    x->place[0] = 0.1975 + uniform(x, -0.04, 0.04), x->place[1] = 0.4025 + uniform(x, -0.05, 0.05);
  } else {  // the nut: its handle, across it, somewhere along it
    x->grasp_dz = 0.004;
    x->grasp_xy[0] = uniform(x, 0.056, 0.068);  // along the handle, the pads (1.6 cm) clear of the ring (to 0.044)
    choose_rotation(x, yaw + M_PI / 2, M_PI);
    x->place[0] = 0.23 + uniform(x, -0.003, 0.003), x->place[1] = 0.1 + uniform(x, -0.003, 0.003);
  }
}

// The grasp point in the world: the object's centre plus its offset in the object's frame.
static void grasp_point(const ArmExpert *x, double p[3]) {
  const int obj = target_object(x);
  double R[9], off[3];
  mju_quat2Mat(R, x->env->d->xquat + 4 * x->env->obj[obj].body);
  mju_mulMatVec(off, R, x->grasp_xy, 3, 3);
  mju_add3(p, obj_pos(x, obj), off);
  p[2] = obj_pos(x, obj)[2] + x->grasp_dz;
}

// The path point moves toward `to` by at most the episode's speed; once there, the
// commanded goal leans past it by the integrated error of the grip site (the controller's
// proportional law leaves one: friction, the posture term), as an operator closes the loop
// by eye. The goal stays inside the workspace, so no error can wind it up.
static void move_toward(ArmExpert *x, const double to[3], double speed) {
  static const double lo[3] = {-0.35, -0.55, 0.8}, hi[3] = {0.4, 0.6, 1.2};
  const double *g = x->env->d->site_xpos + 3 * x->env->eef_site;
  double d[3];
  mju_sub3(d, to, x->path);
  const double n = mju_norm3(d);
  if (n > speed) mju_scl3(d, d, speed / n);
  mju_addTo3(x->path, d);
  for (int i = 0; i < 3; i++) {
    if (n <= speed && i < 2) x->bias[i] = fmin(fmax(x->bias[i] + 0.2 * (x->path[i] - g[i]), -0.03), 0.03);
    x->goal[i] = fmin(fmax(x->path[i] + x->bias[i], lo[i]), hi[i]);
  }
}

// The gripper has stopped (under 1 mm in an action for 4 actions): a descent is as low as
// the object lets it go.
static int stalled(ArmExpert *x) {
  const double *g = x->env->d->site_xpos + 3 * x->env->eef_site;
  x->still = mju_dist3(g, x->last) < 0.001 ? x->still + 1 : 0;
  mju_copy3(x->last, g);
  return x->still >= 4;
}

static double dist_xy(const double *a, const double *b) { return hypot(a[0] - b[0], a[1] - b[1]); }

// Next phase; mh operators hesitate between phases.
static void advance(ArmExpert *x, int phase) {
  x->phase = phase, x->still = 0;
  x->timer = x->quality == ARM_EXPERT_MH ? (int)uniform(x, 0, 6) : 0;
}

void arm_expert_act(ArmExpert *x, double *action) {
  const ArmEnv *e = x->env;
  const int obj = target_object(x);
  const double *p = obj_pos(x, obj), *g = eef(x);
  double w[3];
  if (x->phase >= TRANSPORT && x->phase <= LOWER && mju_dist3(p, g) > 0.08) {  // dropped it: again
    x->grip = -1, x->phase = APPROACH, x->still = 0;
    x->path[2] = fmax(x->path[2], 1.0);
  } else if (x->timer > 0 && x->phase != CLOSE && x->phase != RELEASE) {
    x->timer--;
  } else switch (x->phase) {
    case APPROACH:
      grasp_point(x, w);
      w[2] += x->hover;
      move_toward(x, w, x->speed);
      // Over the can within 4 mm before descending: its 6.6 cm leaves the open fingers 7 mm a side.
      if ((dist_xy(g, w) < (e->task == &arm_can ? 0.004 : 0.01) && fabs(g[2] - w[2]) < 0.02) ||
          (dist_xy(g, w) < 0.05 && stalled(x)))
        advance(x, DESCEND);
      break;
    case DESCEND:
      grasp_point(x, w);
      move_toward(x, w, 0.6 * x->speed);
      if (mju_dist3(g, w) < 0.006 || (dist_xy(g, w) < 0.008 && stalled(x)))
        advance(x, CLOSE), x->timer = 8 + (int)uniform(x, 0, 4);
      break;
    case CLOSE:
      x->grip = 1;
      if (--x->timer <= 0) advance(x, LIFT);
      break;
    case LIFT:
      mju_copy3(w, x->path);
      w[2] = (e->task == &arm_lift ? 0.95 : 1.02) + x->carry;
      move_toward(x, w, x->speed);
      if (e->task != &arm_lift && fabs(g[2] - w[2]) < 0.02) advance(x, TRANSPORT);
      break;
    case TRANSPORT:  // the object's centre over its place: the goal integrates its error
      w[0] = x->path[0] + x->place[0] - p[0], w[1] = x->path[1] + x->place[1] - p[1];
      w[2] = x->path[2];
      move_toward(x, w, x->speed);
      if (hypot(p[0] - x->place[0], p[1] - x->place[1]) < (e->task == &arm_square ? 0.004 : 0.01)) advance(x, LOWER);
      break;
    case LOWER: {
      // The object's centre where it is let go: the nut once 2 cm down the peg (it slides the
      // rest), the can just above the bin's floor.
      const double rest = e->task == &arm_square ? 0.94 - x->release_dz : 0.885 + x->release_dz;
      w[0] = x->path[0] + x->place[0] - p[0], w[1] = x->path[1] + x->place[1] - p[1];
      w[2] = x->path[2] - 0.5 * x->speed;
      move_toward(x, w, x->speed);
      if (p[2] < rest) advance(x, RELEASE), x->timer = 6 + (int)uniform(x, 0, 4);
      else if (stalled(x)) {  // caught on the peg's top: up 2 cm and align again
        x->path[2] += 0.02;
        advance(x, TRANSPORT);
      }
      break;
    }
    case RELEASE:
      x->grip = -1;
      if (--x->timer <= 0) advance(x, RETREAT), x->timer = 0, x->still = 0;
      break;
    default:
      mju_copy3(w, x->path);
      w[2] = 1.05;
      move_toward(x, w, x->speed);
      if (++x->still > 25 && !e->task->success(e)) advance(x, APPROACH);  // it did not stay: again

  }
  for (int i = 0; i < 3; i++) action[i] = x->goal[i] + (x->noise > 0 ? x->noise * np_random_gauss(&x->rng) : 0);
  memcpy(action + 3, x->R, 6 * sizeof(double));
  action[9] = x->grip;
}
