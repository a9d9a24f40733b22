#!/usr/bin/env bash
# usage: train_resume.sh ONEDP WORKDIR
set -euo pipefail
onedp=$1; work=$2
rm -rf "$work"; mkdir -p "$work"
tiny=(model.down_dims=16,32,64 model.diffusion_step_embed_dim=16 train.batch=16 train.steps=12
      train.warmup_steps=3 train.log_every=2 train.val_every=6 train.checkpoint_every=4 train.threads=1)
"$onedp" train configs/pusht_keypoints_small.json "${tiny[@]}" train.keep_checkpoints=1 -o "$work/full"
# Kept checkpoints (a training curve): each checkpoint's policy, the last one the run's policy.
cmp "$work/full/policy_step12.safetensors" "$work/full/policy.safetensors"
[ -f "$work/full/policy_step4.safetensors" ] && [ -f "$work/full/policy_step8.safetensors" ]
"$onedp" train configs/pusht_keypoints_small.json "${tiny[@]}" -o "$work/split" --until 6
"$onedp" train --resume -o "$work/split"
# The policy records its step; resuming at the stop re-exports the same checkpoint.
"$onedp" info "$work/split/policy.safetensors" | grep -qx "trained: 12 steps"
cp "$work/split/policy.safetensors" "$work/policy_before_export"
"$onedp" train --resume -o "$work/split" --until 12
cmp "$work/split/policy.safetensors" "$work/policy_before_export"
# Distillation of that tiny teacher: stopped and resumed equals uninterrupted, for both variants.
for v in s d; do
  small=(--variant $v distill.steps=6 distill.batch=16 distill.log_every=2 distill.checkpoint_every=3 distill.threads=1)
  "$onedp" distill "$work/full/policy.safetensors" "${small[@]}" -o "$work/distill_$v"
  "$onedp" distill "$work/full/policy.safetensors" "${small[@]}" --until 3 -o "$work/distill_${v}_split"
  "$onedp" distill "$work/full/policy.safetensors" --resume -o "$work/distill_${v}_split"
  cmp "$work/distill_$v/train_state.safetensors" "$work/distill_${v}_split/train_state.safetensors"
  cmp "$work/distill_$v/policy.safetensors" "$work/distill_${v}_split/policy.safetensors"
  # Kept checkpoints (budget curves): each checkpoint's student as policy_step<N>, the last
  # one the run's policy, also across a resume; off by default.
  "$onedp" distill "$work/full/policy.safetensors" "${small[@]}" distill.keep_checkpoints=1 --until 3 \
    -o "$work/distill_${v}_kept"
  "$onedp" distill "$work/full/policy.safetensors" --resume -o "$work/distill_${v}_kept"
  cmp "$work/distill_${v}_kept/policy_step6.safetensors" "$work/distill_${v}_kept/policy.safetensors"
  [ -f "$work/distill_${v}_kept/policy_step3.safetensors" ] && [ ! -e "$work/distill_$v/policy_step3.safetensors" ]
  # 6 steps x batch 16 against the teacher's 12 x 16 x 3 sample-passes (S: 8 per sample, D: 4).
  "$onedp" distill "$work/full/policy.safetensors" "${small[@]}" distill.steps=3 -o "$work/distill_${v}_cost" 2>&1 |
    grep -q "cost $([ $v = s ] && echo 66.7 || echo 33.3)% of the teacher's training"
done
# The two-stage recipe: the regression stage (its pairs remade identically on --resume),
# then the KL stage started from its student; each stopped and resumed equals uninterrupted.
reg=(--config configs/distill_regression.json distill.steps=6 distill.batch=16 distill.regression_pairs=40
     distill.log_every=2 distill.checkpoint_every=3 distill.threads=1)
"$onedp" distill "$work/full/policy.safetensors" "${reg[@]}" -o "$work/reg" 2>&1 |
  grep -q "cost 133.3% of the teacher's training"  # 6 x 16 x 3 + 48 pairs x 10 steps, of 12 x 16 x 3
"$onedp" distill "$work/full/policy.safetensors" "${reg[@]}" --until 3 -o "$work/reg_split"
"$onedp" distill "$work/full/policy.safetensors" --resume -o "$work/reg_split"
cmp "$work/reg/policy.safetensors" "$work/reg_split/policy.safetensors"
grep -q '"regression"' "$work/reg/log.jsonl"
kl=(distill.steps=6 distill.batch=16 distill.init_generator="$work/reg/policy.safetensors" distill.threads=1
    distill.checkpoint_every=3)
"$onedp" distill "$work/full/policy.safetensors" "${kl[@]}" -o "$work/kl"
"$onedp" distill "$work/full/policy.safetensors" "${kl[@]}" --until 3 -o "$work/kl_split"
"$onedp" distill "$work/full/policy.safetensors" --resume -o "$work/kl_split"
cmp "$work/kl/policy.safetensors" "$work/kl_split/policy.safetensors"
! cmp -s "$work/kl/policy.safetensors" "$work/distill_s/policy.safetensors"  # it did start elsewhere
# DMD2's discriminator: its head and Adam moments are in the state, so a resume is exact.
gan=(distill.steps=6 distill.batch=16 distill.disc_weight=1e-2 distill.gan_weight=1e-2 distill.score_warmup=2
     distill.disc_hidden=8 distill.log_every=2 distill.threads=1 distill.checkpoint_every=3)
"$onedp" distill "$work/full/policy.safetensors" "${gan[@]}" -o "$work/gan"
"$onedp" distill "$work/full/policy.safetensors" "${gan[@]}" --until 3 -o "$work/gan_split"
"$onedp" distill "$work/full/policy.safetensors" --resume -o "$work/gan_split"
cmp "$work/gan/train_state.safetensors" "$work/gan_split/train_state.safetensors"
cmp "$work/gan/policy.safetensors" "$work/gan_split/policy.safetensors"
grep -q '"disc_accuracy"' "$work/gan/log.jsonl" && grep -q '"gan"' "$work/gan/log.jsonl"
/usr/bin/python3 - "$work" <<'PY'
import json, struct, sys, hashlib
work = sys.argv[1]
def tensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n)); data = f.read()
    meta = h.pop("__metadata__")
    return meta, {k: data[v["data_offsets"][0]:v["data_offsets"][1]] for k, v in h.items()}
mf, full = tensors(f"{work}/full/train_state.safetensors")
ms, split = tensors(f"{work}/split/train_state.safetensors")
assert mf["step"] == ms["step"] == "12", (mf["step"], ms["step"])
for name in full:
    assert full[name] == split[name], f"{name} differs after resume"
log = [json.loads(l) for l in open(f"{work}/full/log.jsonl")]
assert [l["step"] for l in log] == [2, 4, 6, 8, 10, 12], log
assert all(l["loss"] == l["loss"] and l["loss"] < 2 for l in log), log
assert "val_loss" in log[2] and "val_loss" in log[5], log
print("resume: bit-identical params, ema, adam_m, adam_v at step 12;",
      "sha1", hashlib.sha1(full["params"]).hexdigest()[:12])
print("distill resume: OneDP-S and OneDP-D states and students byte-identical at step 6")
print("2 passed, 0 failed")
PY
# The generator's EMA (distill.ema_decay): checked step by step against the recursion with
# Diffusion Policy's warm-up (decays 0, 0, 1 - 2^-0.75, 1 - 3^-0.75, capped at 0.5), resumed
# exactly, and shipped as the student (not the generator's last weights).
ema=(--variant s distill.steps=4 distill.batch=16 distill.ema_decay=0.5 distill.log_every=1 distill.checkpoint_every=1
     distill.threads=1)
"$onedp" distill "$work/full/policy.safetensors" "${ema[@]}" -o "$work/ema"
"$onedp" distill "$work/full/policy.safetensors" "${ema[@]}" --until 1 -o "$work/ema_split"
cp "$work/ema_split/train_state.safetensors" "$work/ema_state1"
for k in 2 3 4; do
  "$onedp" distill "$work/full/policy.safetensors" --resume --until $k -o "$work/ema_split"
  cp "$work/ema_split/train_state.safetensors" "$work/ema_state$k"
done
cmp "$work/ema/train_state.safetensors" "$work/ema_split/train_state.safetensors"
cmp "$work/ema/policy.safetensors" "$work/ema_split/policy.safetensors"
/usr/bin/python3 - "$work" <<'PY'
import json, struct, sys
import numpy as np
work = sys.argv[1]
def buffers(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n)); data = f.read()
    h.pop("__metadata__", None)
    return {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype=np.float32) for k, v in h.items()}
states = [buffers(f"{work}/ema_state{k}") for k in (1, 2, 3, 4)]
worst = 0.0
for k in range(1, 4):  # update k follows k earlier ones: decay 0 for k <= 1, then 1 - k^-0.75
    decay = 0.0 if k <= 1 else min(1 - k ** -0.75, 0.5)
    gen, prev, ema = states[k]["generator"], states[k - 1]["ema_generator"], states[k]["ema_generator"]
    want = decay * prev.astype(np.float64) + (1 - decay) * gen
    err = np.abs(ema - want).max() / np.abs(want).max()
    worst = max(worst, err)
    assert err < 1e-6, f"update {k}: EMA off the recursion by {err:.2e} (relative)"
assert np.abs(states[3]["ema_generator"] - states[3]["generator"]).max() > 1e-6, "the EMA never left the generator"
print(f"distill EMA: 4 steps follow the recursion (worst relative error {worst:.1e}); resume exact")
PY
cmp -s "$work/ema/policy.safetensors" "$work/distill_s/policy.safetensors" && exit 1  # the EMA is what ships
# Image policies: the camera encoder trains with the U-Net (random crops keyed by the step),
# and in distillation the student's encoder with its generator (Adam moments in the state);
# stopped and resumed equals uninterrupted for both, the two-stage recipe's pairs included.
img=(model.down_dims=16,32,64 model.diffusion_step_embed_dim=16 encoder.width=16 train.batch=4 train.steps=6
     train.warmup_steps=2 train.log_every=2 train.val_every=0 train.checkpoint_every=3 train.threads=1)
"$onedp" train configs/pusht_image_cpu.json "${img[@]}" -o "$work/img"
"$onedp" train configs/pusht_image_cpu.json "${img[@]}" --until 3 -o "$work/img_split"
"$onedp" train --resume -o "$work/img_split"
cmp "$work/img/policy.safetensors" "$work/img_split/policy.safetensors"
idist=(distill.steps=4 distill.batch=4 distill.regression_weight=1 distill.regression_pairs=8 distill.log_every=2
       distill.checkpoint_every=2 distill.threads=1)
"$onedp" distill "$work/img/policy.safetensors" "${idist[@]}" -o "$work/img_d"
"$onedp" distill "$work/img/policy.safetensors" "${idist[@]}" --until 2 -o "$work/img_d_split"
"$onedp" distill "$work/img/policy.safetensors" --resume -o "$work/img_d_split"
cmp "$work/img_d/train_state.safetensors" "$work/img_d_split/train_state.safetensors"
cmp "$work/img_d/policy.safetensors" "$work/img_d_split/policy.safetensors"
