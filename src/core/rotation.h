// Rotation conversions between the forms a robomimic arm's absolute actions use:
// axis-angle (3,) as recorded, the rotation matrix (3, 3) row-major, and the "6d" form
// Diffusion Policy trains on (RotationTransformer axis_angle -> rotation_6d): the matrix's
// first two ROWS flattened. Each is a port of the pytorch3d function it names, in the same
// order of operations, so results agree with the reference to rounding.
#pragma once

// R: (3, 3) from aa: (3,), the rotation by |aa| radians about aa / |aa| (pytorch3d
// axis_angle_to_matrix: via the quaternion, with its small-angle series below 1e-6).
void rot_axis_angle_to_matrix(const double aa[3], double R[9]);

// r6: (6,) = R[:2, :] (pytorch3d matrix_to_rotation_6d).
void rot_matrix_to_6d(const double R[9], double r6[6]);

// R: (3, 3) from r6: (6,) by Gram-Schmidt on its two rows, the third their cross product
// (pytorch3d rotation_6d_to_matrix): any network output maps to a proper rotation.
void rot_6d_to_matrix(const double r6[6], double R[9]);

// aa: (3,) from a rotation matrix (pytorch3d matrix_to_axis_angle, the quaternion
// standardised to a non-negative real part, so |aa| <= pi): what an absolute-pose
// controller takes back.
void rot_matrix_to_axis_angle(const double R[9], double aa[3]);
