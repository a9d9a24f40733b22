// Teacher training: a Diffusion Policy (normalizer + ConditionalUnet1D) fitted with the
// DDPM noise-prediction loss on demonstration windows, AdamW + cosine warm-up + EMA as
// the reference recipe. The run directory holds:
//   policy.safetensors       the EMA policy (what `onedp eval` loads), rewritten at checkpoints
//   train_state.safetensors  parameters, EMA, Adam moments and the step: what --resume reads
//   config.json              the effective config
//   log.jsonl                one JSON object per logged step (loss, lr, val loss, timing)
// Both checkpoint files are replaced atomically; a resumed run reaches bit-identical
// parameters to an uninterrupted one at the same step count (same thread count).
#pragma once

// overrides: key=value strings applied to the config (not allowed with resume, which
// continues the run's own config). until > 0 stops (with a checkpoint) once that many
// steps are done, leaving the run resumable. Returns 0 on success.
int train_teacher(const char *config_path, int n_overrides, char **overrides, const char *rundir, int resume,
                  long until);
