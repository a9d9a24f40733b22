#include "env/arm/osc.h"

#include <math.h>
#include <string.h>

#include "core/error.h"


int osc_init(Osc *c, const mjModel *m, int n, const char *const *joints, const char *const *actuators,
             const char *site) {
  memset(c, 0, sizeof *c);
  if (n > OSC_MAX_DOF) return odp_fail("osc: %d joints (at most %d)", n, OSC_MAX_DOF);
  c->n = n;
  for (int i = 0; i < n; i++) {
    const int j = mj_name2id(m, mjOBJ_JOINT, joints[i]), a = mj_name2id(m, mjOBJ_ACTUATOR, actuators[i]);
    if (j < 0) return odp_fail("osc: the scene has no joint %s", joints[i]);
    if (a < 0) return odp_fail("osc: the scene has no actuator %s", actuators[i]);
    c->joint[i] = j, c->qpos[i] = m->jnt_qposadr[j], c->dof[i] = m->jnt_dofadr[j], c->actuator[i] = a;
  }
  if ((c->site = mj_name2id(m, mjOBJ_SITE, site)) < 0) return odp_fail("osc: the scene has no site %s", site);
  c->kp = 150, c->kd = 2 * sqrt(150.0), c->kp_null = 10, c->kd_null = 2 * sqrt(10.0);
  return ODP_OK;
}

void osc_set_goal(Osc *c, const double pos[3], const double rot[9]) {
  memcpy(c->goal_pos, pos, sizeof c->goal_pos);
  memcpy(c->goal_rot, rot, sizeof c->goal_rot);
}

// Cyclic Jacobi on symmetric a (k, k <= 6): eigenvalues w, eigenvectors as the rows of
// v. Small and exact to rounding; a LAPACK call would wake the BLAS thread pool 75 times
// an action for a 6x6 matrix.
static void eig_sym(int k, double *a, double *w, double *v) {
  for (int i = 0; i < k * k; i++) v[i] = i % (k + 1) == 0;
  for (int sweep = 0; sweep < 50; sweep++) {
    double off = 0;
    for (int p = 0; p < k; p++)
      for (int q = p + 1; q < k; q++) off += a[p * k + q] * a[p * k + q];
    if (off < 1e-30) break;
    for (int p = 0; p < k; p++)
      for (int q = p + 1; q < k; q++) {
        if (fabs(a[p * k + q]) < 1e-300) continue;
        const double theta = (a[q * k + q] - a[p * k + p]) / (2 * a[p * k + q]);
        const double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
        const double c = 1 / sqrt(t * t + 1), s = t * c;
        for (int r = 0; r < k; r++) {  // columns p, q
          const double ap = a[r * k + p], aq = a[r * k + q];
          a[r * k + p] = c * ap - s * aq, a[r * k + q] = s * ap + c * aq;
        }
        for (int r = 0; r < k; r++) {  // rows p, q
          const double ap = a[p * k + r], aq = a[q * k + r];
          a[p * k + r] = c * ap - s * aq, a[q * k + r] = s * ap + c * aq;
        }
        for (int r = 0; r < k; r++) {
          const double vp = v[p * k + r], vq = v[q * k + r];
          v[p * k + r] = c * vp - s * vq, v[q * k + r] = s * vp + c * vq;
        }
      }
  }
  for (int i = 0; i < k; i++) w[i] = a[i * k + i];
}

// out (k, k) = pinv(a) for symmetric a (numpy's pinv: singular values below 1e-15 of the
// largest dropped); a is destroyed.
static void pinv_sym(int k, double *a, double *out) {
  double w[6], vec[36];
  eig_sym(k, a, w, vec);
  a = vec;  // rows: eigenvectors
  double top = 0;
  for (int i = 0; i < k; i++) top = fmax(top, fabs(w[i]));
  memset(out, 0, (size_t)k * k * sizeof(double));
  for (int e = 0; e < k; e++) {
    if (fabs(w[e]) <= 1e-15 * top) continue;
    const double inv = 1 / w[e];
    for (int i = 0; i < k; i++)
      for (int j = 0; j < k; j++) out[i * k + j] += a[e * k + i] * inv * a[e * k + j];
  }
}

// JMinv (k, n) = J Minv and out (k, k) = J Minv J^T + damping I for the k rows J (k, n) of
// the Jacobian.
static void task_metric(int k, int n, const double *J, const double *Minv, double damping, double *JMinv,
                        double *out) {
  for (int r = 0; r < k; r++)
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int i = 0; i < n; i++) s += J[r * n + i] * Minv[i * n + j];
      JMinv[r * n + j] = s;
    }
  for (int r = 0; r < k; r++)
    for (int q = 0; q < k; q++) {
      double s = r == q ? damping : 0;
      for (int j = 0; j < n; j++) s += JMinv[r * n + j] * J[q * n + j];
      out[r * k + q] = s;
    }
}

// lam (k, k) = pinv(J Minv J^T), the operational-space inertia; JMinv as task_metric's.
static void op_inertia(int k, int n, const double *J, const double *Minv, double *JMinv, double *lam) {
  double inv[36];
  task_metric(k, n, J, Minv, 0, JMinv, inv);
  pinv_sym(k, inv, lam);
}

// Jbar (n, 6) = Minv J^T lam = (J Minv)^T lam (Minv symmetric): the dynamically consistent
// inverse of the full Jacobian, lam its inverted task metric.
static void consistent_inverse(int n, const double *JMinv, const double *lam, double *Jbar) {
  for (int i = 0; i < n; i++)
    for (int q = 0; q < 6; q++) {
      double s = 0;
      for (int r = 0; r < 6; r++) s += JMinv[r * n + i] * lam[r * 6 + q];
      Jbar[i * 6 + q] = s;
    }
}

// The arm's block of d's kinematics and dynamics (its position quantities and qM current):
// J (6, n) the grip site's Jacobian rows (position, rotation), M (n, n) the joints' mass
// matrix, Minv its inverse (symmetric positive definite: through its Cholesky factor).
static void arm_block(const Osc *c, const mjModel *m, mjData *d, double *J, double *M, double *Minv) {
  const int n = c->n, nv = m->nv;
  mjMARKSTACK;
  mjtNum *jacp = mj_stackAlloc(d, 3 * nv), *jacr = mj_stackAlloc(d, 3 * nv), *full = mj_stackAlloc(d, nv * nv);
  mj_jacSite(m, d, jacp, jacr, c->site);
  mj_fullM(m, full, d->qM);
  for (int i = 0; i < n; i++) {
    for (int r = 0; r < 3; r++) J[r * n + i] = jacp[r * nv + c->dof[i]], J[(3 + r) * n + i] = jacr[r * nv + c->dof[i]];
    for (int j = 0; j < n; j++) M[i * n + j] = full[c->dof[i] * nv + c->dof[j]];
  }
  mjFREESTACK;
  double chol[OSC_MAX_DOF * OSC_MAX_DOF];
  memcpy(chol, M, sizeof(double) * n * n);
  mju_cholFactor(chol, n, 0);
  for (int j = 0; j < n; j++) {
    double e[OSC_MAX_DOF] = {0}, col[OSC_MAX_DOF];
    e[j] = 1;
    mju_cholSolve(col, chol, e, n);
    for (int i = 0; i < n; i++) Minv[i * n + j] = col[i];
  }
}

// e = 1/2 sum_k R_cur[:, k] x R_goal[:, k] (robosuite's orientation_error).
static void orientation_error(const double *cur, const double *goal, double e[3]) {
  e[0] = e[1] = e[2] = 0;
  for (int k = 0; k < 3; k++) {
    const double a[3] = {cur[k], cur[3 + k], cur[6 + k]}, b[3] = {goal[k], goal[3 + k], goal[6 + k]};
    e[0] += 0.5 * (a[1] * b[2] - a[2] * b[1]);
    e[1] += 0.5 * (a[2] * b[0] - a[0] * b[2]);
    e[2] += 0.5 * (a[0] * b[1] - a[1] * b[0]);
  }
}

void osc_control(const Osc *c, const mjModel *m, mjData *d, double *tau_out) {
  const int n = c->n;
  double J[6 * OSC_MAX_DOF] = {0}, M[OSC_MAX_DOF * OSC_MAX_DOF] = {0}, Minv[OSC_MAX_DOF * OSC_MAX_DOF] = {0};
  double JMinv[6 * OSC_MAX_DOF], lam_pos[9], lam_ori[9], lam[36], qd[OSC_MAX_DOF];
  arm_block(c, m, d, J, M, Minv);
  for (int i = 0; i < n; i++) qd[i] = d->qvel[c->dof[i]];
  op_inertia(3, n, J, Minv, JMinv, lam_pos);
  op_inertia(3, n, J + 3 * n, Minv, JMinv, lam_ori);
  op_inertia(6, n, J, Minv, JMinv, lam);  // JMinv: the full Jacobian's, used by the nullspace below
  // Task-space spring: F = kp (goal - pos) - kd v, T = kp e_ori - kd w.
  const double *pos = d->site_xpos + 3 * c->site, *rot = d->site_xmat + 9 * c->site;
  double err_ori[3], v[6], F[3], T[3], wrench[6];
  orientation_error(rot, c->goal_rot, err_ori);
  for (int r = 0; r < 6; r++) {
    v[r] = 0;
    for (int i = 0; i < n; i++) v[r] += J[r * n + i] * qd[i];
  }
  for (int r = 0; r < 3; r++) {
    F[r] = c->kp * (c->goal_pos[r] - pos[r]) - c->kd * v[r];
    T[r] = c->kp * err_ori[r] - c->kd * v[3 + r];
  }
  for (int r = 0; r < 3; r++) {
    wrench[r] = lam_pos[r * 3] * F[0] + lam_pos[r * 3 + 1] * F[1] + lam_pos[r * 3 + 2] * F[2];
    wrench[3 + r] = lam_ori[r * 3] * T[0] + lam_ori[r * 3 + 1] * T[1] + lam_ori[r * 3 + 2] * T[2];
  }
  // Nullspace posture: N = I - Jbar J with Jbar = Minv J^T lam; tau += N^T M (kp (q0 - q) - kd qd).
  double pose[OSC_MAX_DOF], Mpose[OSC_MAX_DOF], Jbar[OSC_MAX_DOF * 6], N[OSC_MAX_DOF * OSC_MAX_DOF];
  for (int i = 0; i < n; i++) pose[i] = c->kp_null * (c->posture[i] - d->qpos[c->qpos[i]]) - c->kd_null * qd[i];
  for (int i = 0; i < n; i++) {
    Mpose[i] = 0;
    for (int j = 0; j < n; j++) Mpose[i] += M[i * n + j] * pose[j];
  }
  consistent_inverse(n, JMinv, lam, Jbar);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = i == j;
      for (int q = 0; q < 6; q++) s -= Jbar[i * 6 + q] * J[q * n + j];
      N[i * n + j] = s;
    }
  for (int i = 0; i < n; i++) {
    double tau = d->qfrc_bias[c->dof[i]];
    for (int r = 0; r < 6; r++) tau += J[r * n + i] * wrench[r];
    for (int j = 0; j < n; j++) tau += N[j * n + i] * Mpose[j];
    if (tau_out) tau_out[i] = tau;
    const double *range = m->actuator_ctrlrange + 2 * c->actuator[i];
    d->ctrl[c->actuator[i]] = fmin(fmax(tau, range[0]), range[1]);
  }
}

double osc_reach(const Osc *c, const mjModel *m, mjData *d, const double pos[3], const double rot[9]) {
  const int n = c->n;
  double J[6 * OSC_MAX_DOF], JMinv[6 * OSC_MAX_DOF], err[6], A[36], Ainv[36], Jbar[OSC_MAX_DOF * 6];
  double M[OSC_MAX_DOF * OSC_MAX_DOF], Minv[OSC_MAX_DOF * OSC_MAX_DOF];
  double pos_err = 1, ori_err = 1;
  for (int it = 0; it < 300 && (pos_err > 1e-4 || ori_err > 1e-3); it++) {
    mj_kinematics(m, d);
    mj_comPos(m, d);
    mj_crb(m, d);
    arm_block(c, m, d, J, M, Minv);
    mju_sub3(err, pos, d->site_xpos + 3 * c->site);
    orientation_error(d->site_xmat + 9 * c->site, rot, err + 3);
    pos_err = mju_norm3(err), ori_err = mju_norm3(err + 3);
    // The controller's metric: Jbar = Minv J^T (J Minv J^T + 1e-6 I)^-1, the dynamically
    // consistent inverse (damped), whose nullspace is the one the posture term acts in.
    task_metric(6, n, J, Minv, 1e-6, JMinv, A);
    mju_cholFactor(A, 6, 0);
    for (int q = 0; q < 6; q++) {
      double e[6] = {0}, col[6];
      e[q] = 1;
      mju_cholSolve(col, A, e, 6);
      for (int r = 0; r < 6; r++) Ainv[r * 6 + q] = col[r];
    }
    consistent_inverse(n, JMinv, Ainv, Jbar);
    // dq = Jbar err + (I - Jbar J) 0.2 (posture - q), each joint kept in its range.
    double pull[OSC_MAX_DOF], Jpull[6];
    for (int i = 0; i < n; i++) pull[i] = 0.2 * (c->posture[i] - d->qpos[c->qpos[i]]);
    for (int r = 0; r < 6; r++) {
      Jpull[r] = 0;
      for (int i = 0; i < n; i++) Jpull[r] += J[r * n + i] * pull[i];
    }
    for (int i = 0; i < n; i++) {
      double dq = pull[i];
      for (int r = 0; r < 6; r++) dq += Jbar[i * 6 + r] * (err[r] - Jpull[r]);
      const double *range = m->jnt_range + 2 * c->joint[i];
      double *q = d->qpos + c->qpos[i];
      *q = fmin(fmax(*q + fmin(fmax(dq, -0.2), 0.2), range[0]), range[1]);
    }
  }
  if (pos_err > 0.005 || ori_err > 0.05) return -1;
  double margin = INFINITY;
  for (int i = 0; i < n; i++) {
    const double *range = m->jnt_range + 2 * c->joint[i], q = d->qpos[c->qpos[i]];
    margin = fmin(margin, fmin(q - range[0], range[1] - q));
  }
  return margin;
}
