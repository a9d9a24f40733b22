#!/usr/bin/python3
"""The arm's operational-space controller recomputed with numpy as robosuite's OSC_POSE
computes it (controllers/osc.py run_controller, utils/control_utils.py opspace_matrices,
orientation_error, nullspace_torques; numpy's inv and pinv), on the inputs test_arm_env
dumps along a step response; compares with onedp's torques (env/arm/osc.c).
usage: osc_ref.py TEST_ARM_ENV WORKDIR"""
import os
import subprocess
import sys

import numpy as np


def robosuite_torques(q, qd, J, M, bias, pos, R, goal_pos, goal_R, posture, kp=150.0):
    kd = 2 * np.sqrt(kp)
    Jp, Jr = J[:3], J[3:]
    vel, ang = Jp @ qd, Jr @ qd
    F = kp * (goal_pos - pos) - kd * vel
    err = 0.5 * sum(np.cross(R[:, k], goal_R[:, k]) for k in range(3))
    T = kp * err - kd * ang
    Minv = np.linalg.inv(M)
    lam = np.linalg.pinv(J @ Minv @ J.T)
    lam_pos = np.linalg.pinv(Jp @ Minv @ Jp.T)
    lam_ori = np.linalg.pinv(Jr @ Minv @ Jr.T)
    tau = J.T @ np.concatenate([lam_pos @ F, lam_ori @ T])
    Jbar = Minv @ J.T @ lam
    N = np.eye(7) - Jbar @ J
    pose = M @ (10.0 * (posture - q) - 2 * np.sqrt(10.0) * qd)
    return tau + N.T @ pose + bias


def main():
    binary, work = sys.argv[1:3]
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "osc.txt")
    subprocess.run([binary, "osc", path], check=True)
    rows = np.loadtxt(path, ndmin=2)
    worst = 0.0
    for r in rows:
        at = 0
        def take(n, shape=None):
            nonlocal at
            x = r[at:at + n]
            at += n
            return x.reshape(shape) if shape else x
        q, qd = take(7), take(7)
        J, M, bias = take(42, (6, 7)), take(49, (7, 7)), take(7)
        pos, R, goal_pos, goal_R = take(3), take(9, (3, 3)), take(3), take(9, (3, 3))
        posture, tau = take(7), take(7)
        ref = robosuite_torques(q, qd, J, M, bias, pos, R, goal_pos, goal_R, posture)
        worst = max(worst, float(np.max(np.abs(ref - tau)) / max(1.0, float(np.max(np.abs(ref))))))
    print(f"osc: {len(rows)} substeps of a step response, worst torque error {worst:.2e} (relative to max(1, |tau|))")
    assert len(rows) == 20, len(rows)
    assert worst < 1e-8, worst
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
