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

// The task's object and where its grasp point sits (object frame).
static int target_object(const ArmExpert *x) { return x->env->task == &arm_can ? 3 : 0; }
// The pick-and-place tasks' upright objects: grasped from above across the reach's axis,
// set down on the bin's floor.
static int upright(const ArmEnv *e) { return e->task == &arm_can || e->task == &arm_milk; }
// How near over the grasp point the grip must be to descend: the can (6.6 cm) leaves the open
// fingers 7 mm a side, the carton (4 cm) 2 cm.
static double over_tolerance(const ArmEnv *e) { return e->task == &arm_can ? 0.004 : 0.01; }

// The grasp point in the world: the object's centre plus its offset in the object's frame.
static void grasp_point(const ArmExpert *x, double p[3]) {
  const int obj = target_object(x);
  double R[9], off[3];
  mju_quat2Mat(R, x->env->d->xquat + 4 * x->env->obj[obj].body);
  mju_mulMatVec(off, R, x->grasp_xy, 3, 3);
  mju_add3(p, obj_pos(x, obj), off);
  p[2] = obj_pos(x, obj)[2] + x->grasp_dz;
}

// The pads' axis in the grip site's frame (finger 1's pad minus finger 2's, levelled).
static void pads_axis(const ArmEnv *e, double fs[3]) {
  const int p1 = mj_name2id(e->m, mjOBJ_GEOM, "gripper0_finger1_pad_collision");
  const int p2 = mj_name2id(e->m, mjOBJ_GEOM, "gripper0_finger2_pad_collision");
  double fw[3];
  mju_sub3(fw, e->d->geom_xpos + 3 * p1, e->d->geom_xpos + 3 * p2);
  mju_mulMatTVec(fs, e->d->site_xmat + 9 * e->eef_site, fw, 3, 3);
  fs[2] = 0;
  mju_normalize3(fs);
}

// The grip site's rotation with its approach axis (site z) leaning `tilt` from straight
// down toward `lean` (a horizontal unit vector) and the pads closing along world yaw
// `yaw`: R = W S^T with W, S the world's and the site's (approach, pads, their cross).
static void grasp_rotation(const double fs[3], const double lean[3], double tilt, double yaw, double R[9]) {
  double a[3] = {sin(tilt) * lean[0], sin(tilt) * lean[1], -cos(tilt)}, f[3] = {cos(yaw), sin(yaw), 0}, t[3];
  mju_addToScl3(f, a, -mju_dot3(f, a));
  mju_normalize3(f);
  mju_cross(t, a, f);
  const double ez[3] = {0, 0, 1};
  double u[3];
  mju_cross(u, ez, fs);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) R[3 * i + j] = a[i] * ez[j] + f[i] * fs[j] + t[i] * u[j];
}

// R moves toward target by at most max_angle (rad) about their relative axis: a wrist
// commanded the whole way at once swings through its joints' limits.
static void slew_rotation(double R[9], const double target[9], double max_angle) {
  double q[4], qt[4], qc[4], rel[4], v[3], step[4], out[4];
  mju_mat2Quat(q, R);
  mju_mat2Quat(qt, target);
  mju_negQuat(qc, q);
  mju_mulQuat(rel, qt, qc);
  mju_quat2Vel(v, rel, 1);  // axis times angle
  const double angle = mju_normalize3(v);
  if (angle < 1e-12) return;
  mju_axisAngle2Quat(step, v, fmin(angle, max_angle));
  mju_mulQuat(out, step, q);
  mju_quat2Mat(R, out);
}

// The angle between rotations A and B.
static double rotation_angle(const double A[9], const double B[9]) {
  double tr = 0;
  for (int i = 0; i < 9; i++) tr += A[i] * B[i];
  return acos(fmin(fmax((tr - 1) / 2, -1), 1));
}

// R' = Rz(turn) R: the grip turned about the vertical.
static void turn_about_z(const double R[9], double turn, double out[9]) {
  const double c = cos(turn), s = sin(turn), Rz[9] = {c, -s, 0, s, c, 0, 0, 0, 1};
  mju_mulMatMat(out, Rz, R, 3, 3, 3);
}

// The plan a grasp rotation R must hold: the grip over the grasp (way[0]), at it, lifted
// (way[2]), then, turned by `turn` about the vertical with the object in hand (its offset
// `off` from the grip turning with it), over the place at the lift's height and down at
// the release, reached in order. Returns the smallest joint-limit margin along it
// (osc_reach), -1 when a point is out of reach.
static double plan_margin(const ArmExpert *x, mjData *ik, const double R[9], double turn, const double (*way)[3],
                          const double off[3]) {
  const ArmEnv *e = x->env;
  double place[2][3], Rt[9], margin = INFINITY;
  const double c = cos(turn), s = sin(turn);
  place[0][0] = x->place[0] + c * off[0] - s * off[1], place[0][1] = x->place[1] + s * off[0] + c * off[1];
  place[0][2] = x->lift_z;
  mju_copy3(place[1], place[0]), place[1][2] = x->rest + x->grasp_dz;
  turn_about_z(R, turn, Rt);
  // Square: the arm's stretch over the peg counts as a margin. Past 0.78 m from the base
  // the controller, nearly singular, rocks the arm and the hanging nut with it (0.15 at
  // 0.78 m, the threshold of comfort).
  const double *base = e->task->robot_base;
  if (e->task == &arm_square) margin = 0.15 + 3 * (0.78 - hypot(place[0][0] - base[0], place[0][1] - base[1]));
  mju_copy(ik->qpos, e->d->qpos, e->m->nq);
  const int n = e->task == &arm_lift ? 3 : 5;
  for (int k = 0; k < n; k++) {
    const double m = osc_reach(&e->osc, e->m, ik, k < 3 ? way[k] : place[k - 3], k < 3 ? R : Rt);
    if (m < 0) return -1;
    margin = fmin(margin, m);
  }
  return margin;
}

// The grasp: among the grip's symmetric choices (pads along `want` modulo `period`),
// leans of the approach axis toward or away from the robot and (Square) the quarter turns
// that square the nut to its peg, one drawn at random from those the arm holds along the
// whole plan with every joint 0.15 rad inside its limits; the most comfortable when none
// does. Sets x->R0 and x->turn_goal.
static void choose_grasp(ArmExpert *x, double want, double period, double turn0, const double (*way)[3]) {
  const ArmEnv *e = x->env;
  const double *p = obj_pos(x, target_object(x)), *base = e->task->robot_base;
  double fs[3], lean[3] = {p[0] - base[0], p[1] - base[1], 0}, off[3];
  pads_axis(e, fs);
  mju_normalize3(lean);
  mju_sub3(off, way[1], p);
  static const double tilts[] = {-0.2, 0, 0.2, 0.4, 0.6};
  enum { N_TILT = sizeof tilts / sizeof *tilts, MAX_PLANS = 4 * N_TILT * 5 };
  struct { double R[9], turn; } good[MAX_PLANS], best;
  double R[9], top = -INFINITY;
  int n_good = 0;
  mjData *ik = mj_makeData(e->m);  // the IK's scratch state
  for (int k = 0; k * period < 2 * M_PI - 1e-9 && k < 4; k++)
    for (int t = 0; t < N_TILT; t++) {
      double lean_k[3];
      mju_copy3(lean_k, lean);
      if (upright(e)) {  // leaning across the pads' axis only, or a tilted finger strikes the rim
        const double f[3] = {cos(want + k * period), sin(want + k * period), 0};
        mju_addToScl3(lean_k, f, -mju_dot3(lean_k, f));
        mju_normalize3(lean_k);
      }
      grasp_rotation(fs, lean_k, tilts[t], want + k * period, R);
      if (rotation_angle(R, e->d->site_xmat + 9 * e->eef_site) > 2) continue;  // the controller's error vanishes toward pi
      for (int q = -2; q <= 2; q++) {
        const double turn = turn0 + q * M_PI / 2;
        if ((e->task != &arm_square && q) || fabs(turn) > 2.5) continue;  // the wrist's last joint turns +-2.9
        const double m = plan_margin(x, ik, R, turn, way, off);
        if (m >= 0.15) mju_copy(good[n_good].R, R, 9), good[n_good++].turn = turn;
        if (m > top) top = m, mju_copy(best.R, R, 9), best.turn = turn;
      }
    }
  mj_deleteData(ik);
  if (n_good) best = good[(int)(np_random_double(&x->rng) * n_good) % n_good];
  mju_copy(x->R0, best.R, 9);
  x->turn_goal = best.turn;
}

// The grasp for the object as it lies now: the pads' yaw by the task (Lift: a cube face
// pair; Can: across the reach, give or take; Square: across the handle), then the
// rotation, lean and turn the arm holds best along the plan (choose_grasp).
static void plan_grasp(ArmExpert *x) {
  const ArmEnv *e = x->env;
  const double *p = obj_pos(x, target_object(x)), *base = e->task->robot_base;
  const double yaw = yaw_of(e->d->xquat + 4 * e->obj[target_object(x)].body);
  double want = yaw, period = M_PI / 2, turn0 = 0;  // Lift
  if (e->task == &arm_can)
    want = atan2(p[1] - base[1], p[0] - base[0]) + M_PI / 2 + uniform(x, -0.5, 0.5), period = M_PI;
  else if (e->task == &arm_milk)  // the carton: across a pair of its faces, the pair nearest across the reach
    want = yaw + M_PI / 2 * round((atan2(p[1] - base[1], p[0] - base[0]) + M_PI / 2 - yaw) / (M_PI / 2)), period = M_PI;
  else if (e->task == &arm_square)
    want = yaw + M_PI / 2, period = M_PI, turn0 = -remainder(yaw, M_PI / 2);
  double way[3][3];  // over the grasp, at it, lifted
  grasp_point(x, way[1]);
  mju_copy3(way[0], way[1]), way[0][2] += x->hover;
  mju_copy3(way[2], way[1]), way[2][2] = x->lift_z;
  choose_grasp(x, want, period, turn0, (const double(*)[3])way);
  x->turn = x->trim = 0;
  mju_copy3(x->planned, p);
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
  mju_copy(x->R, env->d->site_xmat + 9 * env->eef_site, 9);
  if (env->task == &arm_lift) {  // a cube: the grasp a little below its centre
    x->grasp_dz = uniform(x, -0.006, 0.002);
    x->lift_z = 0.95 + x->carry;
  } else if (env->task == &arm_can) {  // bin 2's can quadrant, its near corner; the can's bottom 1.5-3.5 cm over the floor
    x->grasp_dz = uniform(x, 0.005, 0.02);
    x->lift_z = 1.0 + 0.5 * x->carry, x->rest = 0.895 + x->release_dz;
    x->place[0] = 0.16 + uniform(x, -0.03, 0.03), x->place[1] = 0.34 + uniform(x, -0.03, 0.03);
  } else if (env->task == &arm_milk) {  // the carton (4 x 4 x 14 cm) high enough to clear the walls; its quadrant's middle
    x->grasp_dz = uniform(x, -0.002, 0.01);  // about its centre of mass (0.4 cm up): held there, it does not swing
    x->hover = uniform(x, 0.12, 0.17);  // the fingers over its top (8 cm above its centre) before descending
    x->lift_z = 1.06 + 0.5 * x->carry, x->rest = 0.9 + x->release_dz;
    x->place[0] = 0.0 + uniform(x, -0.03, 0.03), x->place[1] = 0.16 + uniform(x, -0.03, 0.03);
  } else {  // the nut: its handle somewhere along it, the pads (1.6 cm) clear of the ring (to 0.044)
    x->grasp_dz = 0.004;
    x->grasp_xy[0] = uniform(x, 0.056, 0.068);
    x->lift_z = 1.02 + x->carry, x->rest = 0.94 - x->release_dz;
    x->place[0] = 0.23 + uniform(x, -0.003, 0.003), x->place[1] = 0.1 + uniform(x, -0.003, 0.003);
  }
  plan_grasp(x);
}


// The path point moves toward `to` by at most `speed`; once there, the commanded goal
// leans past it by the grip site's error integrated at `gain` an action (the controller's
// proportional law leaves one: friction, the posture term), as an operator closes the loop
// by eye. The goal stays inside the workspace, so no error can wind it up.
static void move_toward(ArmExpert *x, const double to[3], double speed, double gain) {
  static const double lo[3] = {-0.35, -0.55, 0.8}, hi[3] = {0.4, 0.6, 1.2};
  const double *g = x->env->d->site_xpos + 3 * x->env->eef_site;
  double d[3];
  mju_sub3(d, to, x->path);
  const double n = mju_norm3(d);
  if (n > speed) mju_scl3(d, d, speed / n);
  mju_addTo3(x->path, d);
  for (int i = 0; i < 3; i++) {
    if (n <= speed && i < 2) x->bias[i] = fmin(fmax(x->bias[i] + gain * (x->path[i] - g[i]), -0.03), 0.03);
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

// Where the grip goes for the held object's centre to be over its place: the object's
// offset from the grip (turned with the grip, refined only while the object hangs still:
// a swinging nut's lags) taken from the place, never beyond 0.85 m of the robot's base
// where the elbow straightens into its limit, nor beyond 0.7 m while it turns the object
// (the grip swings around it).
static void hold_target(ArmExpert *x, const double *p, const double *g, double w[3]) {
  if (mju_dist3(p, x->obj_last) < 0.001)
    for (int i = 0; i < 3; i++) x->hold[i] += 0.1 * (p[i] - g[i] - x->hold[i]);
  const double *base = x->env->task->robot_base;
  const double dx = x->place[0] - x->hold[0] - base[0], dy = x->place[1] - x->hold[1] - base[1];
  const double reach = fabs(x->turn_goal + x->trim - x->turn) > 0.3 ? 0.7 : 0.85;  // turning the object: nearer in
  const double r = hypot(dx, dy), scale = r > reach ? reach / r : 1;
  w[0] = base[0] + scale * dx, w[1] = base[1] + scale * dy;
}

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
  if ((x->phase >= TRANSPORT && x->phase <= LOWER && mju_dist3(p, g) > 0.08) ||  // dropped it: again
      (e->task->perturb && x->phase <= DESCEND && mju_dist3(p, x->planned) > 0.02)) {  // moved: again, from above
    x->grip = -1, x->phase = APPROACH, x->still = 0;
    x->path[2] = fmax(x->path[2], 1.0);
    plan_grasp(x);  // for the object as it lies now
  } else if (x->timer > 0 && x->phase != CLOSE && x->phase != RELEASE) {
    x->timer--;
  } else switch (x->phase) {
    case APPROACH:
      grasp_point(x, w);
      w[2] += x->hover;
      move_toward(x, w, x->speed, 0.2);
      // Over the grasp point before descending (over_tolerance), the wrist turned to the
      // grasp's rotation within 0.1 rad.
      if (rotation_angle(e->d->site_xmat + 9 * e->eef_site, x->R0) < 0.1 &&
          ((dist_xy(g, w) < over_tolerance(e) && fabs(g[2] - w[2]) < 0.02) ||
           (dist_xy(g, w) < 0.05 && stalled(x))))
        advance(x, DESCEND);
      break;
    case DESCEND: {
      grasp_point(x, w);
      double to[3] = {w[0], w[1], w[2]};
      const int hold = upright(e) && dist_xy(g, w) > over_tolerance(e);  // over it again first: a finger would strike the rim
      if (hold) to[2] = x->path[2], x->still = 0;
      move_toward(x, to, 0.6 * x->speed, 0.2);
      if (mju_dist3(g, w) < 0.006 || (!hold && dist_xy(g, w) < 0.008 && stalled(x)))
        advance(x, CLOSE), x->timer = 8 + (int)uniform(x, 0, 4);
      break;
    }
    case CLOSE:
      x->grip = 1;
      if (--x->timer <= 0) advance(x, LIFT);
      break;
    case LIFT:
      mju_copy3(w, x->path);
      w[2] = x->lift_z;
      move_toward(x, w, x->speed, 0.2);
      if (e->task != &arm_lift && fabs(g[2] - w[2]) < 0.02) advance(x, TRANSPORT), mju_sub3(x->hold, p, g);
      break;
    case TRANSPORT: {  // the object's centre over its place, turning as placed
      hold_target(x, p, g, w);
      w[2] = x->path[2];
      // Slowing near it, a held nut swings; the slow integral: a stretched arm carrying it lags.
      move_toward(x, w, fmin(x->speed, fmax(0.002, 0.25 * dist_xy(x->place, p))), 0.05);
      // The planned turn; then the nut squared to its peg by its own yaw (it slips in the grip).
      const double off = e->task == &arm_square ? remainder(yaw_of(e->d->xquat + 4 * e->obj[obj].body), M_PI / 2) : 0;
      if (fabs(x->turn - x->turn_goal - x->trim) < 1e-9) x->trim = fmin(fmax(x->trim - fmin(fmax(off, -0.02), 0.02), -0.3), 0.3);
      const double dturn = fmin(fmax(x->turn_goal + x->trim - x->turn, -0.05), 0.05), c = cos(dturn), sn = sin(dturn);
      const double h0 = x->hold[0];
      x->turn += dturn;
      x->hold[0] = c * h0 - sn * x->hold[1], x->hold[1] = sn * h0 + c * x->hold[1];  // the object turns with the grip
      // Over it within 4 mm (the nut's hole clears the peg by 6.75 mm a side), square, not swinging.
      const int settled = mju_dist3(p, x->obj_last) < (e->task == &arm_square ? 0.001 : 0.003) && fabs(x->turn - x->turn_goal - x->trim) < 0.03 && fabs(off) < 0.05;
      if (settled && dist_xy(p, x->place) < (e->task == &arm_square ? 0.004 : 0.01))
        advance(x, LOWER);
      break;
    }
    case LOWER:
      hold_target(x, p, g, w);
      w[2] = x->path[2] - 0.5 * x->speed;
      move_toward(x, w, x->speed, 0.05);
      if (p[2] < x->rest) advance(x, RELEASE), x->timer = 6 + (int)uniform(x, 0, 4);
      else if (stalled(x)) {
        if (upright(e)) advance(x, RELEASE), x->timer = 6;  // on the bin's floor
        else x->path[2] += 0.02, advance(x, TRANSPORT);             // caught on the peg's top: up 2 cm, align again
      }
      break;
    case RELEASE:
      x->grip = -1;
      if (--x->timer <= 0) advance(x, RETREAT), x->timer = 0, x->still = 0;
      break;
    default:
      mju_copy3(w, x->path);
      w[2] = 1.05;
      move_toward(x, w, x->speed, 0.2);
      if (++x->still > 25 && !e->task->success(e)) advance(x, APPROACH), plan_grasp(x);  // it did not stay: again

  }
  mju_copy3(x->obj_last, p);
  for (int i = 0; i < 3; i++) action[i] = x->goal[i] + (x->noise > 0 ? x->noise * np_random_gauss(&x->rng) : 0);
  double want_R[9];
  turn_about_z(x->R0, x->turn, want_R);
  slew_rotation(x->R, want_R, 0.05);
  memcpy(action + 3, x->R, 6 * sizeof(double));
  action[9] = x->grip;
}
