// Rotation conversions: ports of pytorch3d.transforms (see rotation.h).
#include "core/rotation.h"

#include <math.h>

// sin(angle / 2) / angle, with pytorch3d's series where the division loses precision.
static double sinc_half(double angle) {
  return fabs(angle) < 1e-6 ? 0.5 - angle * angle / 48 : sin(angle * 0.5) / angle;
}

// q: (4,) = (r, i, j, k), not necessarily unit.
static void quaternion_to_matrix(const double q[4], double R[9]) {
  double r = q[0], i = q[1], j = q[2], k = q[3];
  double two_s = 2.0 / (r * r + i * i + j * j + k * k);
  R[0] = 1 - two_s * (j * j + k * k), R[1] = two_s * (i * j - k * r), R[2] = two_s * (i * k + j * r);
  R[3] = two_s * (i * j + k * r), R[4] = 1 - two_s * (i * i + k * k), R[5] = two_s * (j * k - i * r);
  R[6] = two_s * (i * k - j * r), R[7] = two_s * (j * k + i * r), R[8] = 1 - two_s * (i * i + j * j);
}

void rot_axis_angle_to_matrix(const double aa[3], double R[9]) {
  double angle = sqrt(aa[0] * aa[0] + aa[1] * aa[1] + aa[2] * aa[2]);
  double s = sinc_half(angle);
  double q[4] = {cos(angle * 0.5), aa[0] * s, aa[1] * s, aa[2] * s};
  quaternion_to_matrix(q, R);
}

void rot_matrix_to_6d(const double R[9], double r6[6]) {
  for (int i = 0; i < 6; i++) r6[i] = R[i];
}

// x / max(|x|, 1e-12), as torch.nn.functional.normalize.
static void normalize3(double x[3]) {
  double n = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
  if (n < 1e-12) n = 1e-12;
  for (int i = 0; i < 3; i++) x[i] /= n;
}

void rot_6d_to_matrix(const double r6[6], double R[9]) {
  double b1[3] = {r6[0], r6[1], r6[2]}, b2[3];
  normalize3(b1);
  double dot = b1[0] * r6[3] + b1[1] * r6[4] + b1[2] * r6[5];
  for (int i = 0; i < 3; i++) b2[i] = r6[3 + i] - dot * b1[i];
  normalize3(b2);
  for (int i = 0; i < 3; i++) R[i] = b1[i], R[3 + i] = b2[i];
  R[6] = b1[1] * b2[2] - b1[2] * b2[1];
  R[7] = b1[2] * b2[0] - b1[0] * b2[2];
  R[8] = b1[0] * b2[1] - b1[1] * b2[0];
}

// pytorch3d matrix_to_quaternion: the candidate with the largest |component| (the
// others divide by something small), then the real part made non-negative.
static void matrix_to_quaternion(const double m[9], double q[4]) {
  double t[4] = {1 + m[0] + m[4] + m[8], 1 + m[0] - m[4] - m[8], 1 - m[0] + m[4] - m[8], 1 - m[0] - m[4] + m[8]};
  int best = 0;
  for (int c = 0; c < 4; c++) {
    t[c] = t[c] > 0 ? sqrt(t[c]) : 0;
    if (t[c] > t[best]) best = c;
  }
  double rows[4][4] = {{t[0] * t[0], m[7] - m[5], m[2] - m[6], m[3] - m[1]},
                       {m[7] - m[5], t[1] * t[1], m[3] + m[1], m[2] + m[6]},
                       {m[2] - m[6], m[3] + m[1], t[2] * t[2], m[5] + m[7]},
                       {m[3] - m[1], m[6] + m[2], m[7] + m[5], t[3] * t[3]}};
  double denom = 2.0 * (t[best] > 0.1 ? t[best] : 0.1);
  double sign = rows[best][0] < 0 ? -1 : 1;
  for (int c = 0; c < 4; c++) q[c] = sign * rows[best][c] / denom;
}

void rot_matrix_to_axis_angle(const double R[9], double aa[3]) {
  double q[4];
  matrix_to_quaternion(R, q);
  double norm = sqrt(q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  double s = sinc_half(2 * atan2(norm, q[0]));
  for (int i = 0; i < 3; i++) aa[i] = q[1 + i] / s;
}
