// Consistency Policy distillation (Prasad et al. 2024): a student G(x, t, s)
// (diffusion/consistency.h), a copy of an EDM teacher's U-Net given a second time input
// (the stop time s, its FiLM columns zero at the start, so the student starts as the
// teacher's Euler step), trained on two losses with equal weights:
//   CTM: x_t = x0 + sigma_t n; x_u = one teacher Heun step from t to u (t <= u <= s in
//        the bins of the Karras grid, u at most ode_steps bins past t); both carried to
//        s and then to sigma_min by the student, the target's without gradient:
//        rho(G(G(x_t, t, s), s, smin) - sg[G(G(x_u, u, s), s, smin)]), where only the
//        inner G of the prediction takes a parameter gradient (the outer one passes the
//        gradient to its input).
//   DSM: rho(G(x0 + sigma n, sigma, smin) - x0) weighted lambda(sigma) = (sigma^2 + sd^2)
//        / (sigma sd)^2, sigma half from the Karras grid's first 70% and half log-normal.
// rho is Consistency Policy's pseudo-Huber on squared errors, sqrt(d^4 + delta^2) - delta.
// Every choice where onedp differs from the reference code: docs/edm.md.
//
// The run directory holds policy.safetensors (the student: `onedp eval --sampler cp:1`),
// train_state.safetensors (--resume), cp.json and log.jsonl.
#pragma once

extern const char *const cp_config_keys[];

// teacher_path: an EDM teacher checkpoint; config_path: the options (configs/distill_cp.json)
// with key=value overrides. until > 0 stops early.
int distill_cp(const char *teacher_path, const char *config_path, int n_overrides, char **overrides,
               const char *rundir, int resume, long until);
