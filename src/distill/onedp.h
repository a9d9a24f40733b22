// One-Step Diffusion Policy distillation (Wang et al. 2024): a generator G_theta, a copy of
// the teacher U-Net evaluated at a fixed timestep k*, maps z (OneDP-S: z ~ N(0, I);
// OneDP-D: z = 0) and the observation to an action chunk through the x0 formula at k*:
//   A = (z - sqrt(1 - abar*) eps_theta(z, k*, O)) / sqrt(abar*).
// Each step diffuses A to a random k in [k_min, k_max], A_k = sqrt(abar_k) A + sigma_k eps,
// and pushes w(k) (s_gen - s_teacher) = sigma_k (eps_phi(A_k) - eps_gen(A_k)) back through
// dA_k/dtheta (the reverse-KL gradient with w = sigma^2, s = -eps/sigma). eps_gen is a
// generator score network psi trained on stop-gradient generator samples (OneDP-S) or
// the injected noise eps itself (OneDP-D, the analytic score). The teacher stays frozen.
//
// The run directory holds policy.safetensors (the student: `onedp eval --sampler onestep`),
// train_state.safetensors (for --resume), distill.json and log.jsonl.
#pragma once

// The keys of a distillation config's "distill" section, NULL-terminated.
extern const char *const distill_config_keys[];

// teacher_path: a teacher policy checkpoint; config_path: the distillation options
// (configs/distill_onedp.json) with key=value overrides. until > 0 stops early.
int distill_onedp(const char *teacher_path, const char *config_path, int n_overrides, char **overrides,
                  const char *rundir, int resume, long until);
