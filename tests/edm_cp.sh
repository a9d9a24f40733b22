#!/usr/bin/env bash
# EDM teachers and their students end to end on the PushT demonstrations with a tiny model:
# an EDM teacher trains and samples with Heun (2N - 1 calls) and Euler (N); Consistency
# Policy distils it (stopped and resumed equals uninterrupted, the cost line counts 13
# sample-passes a sample) and its student samples with cp:1 and cp:3; OneDP-S and -D
# distil it through the same distiller as DDPM teachers, the packed student equal to the
# training one. Samplers that do not fit a checkpoint are refused naming it.
# usage: edm_cp.sh ONEDP WORKDIR
set -euo pipefail
onedp=$1; work=$2
rm -rf "$work"; mkdir -p "$work"
tiny=(model.down_dims=16,32,64 model.diffusion_step_embed_dim=16 train.batch=16 train.steps=12
      train.warmup_steps=3 train.log_every=4 train.val_every=0 train.checkpoint_every=6 train.threads=1)
"$onedp" train configs/pusht_keypoints_edm.json "${tiny[@]}" -o "$work/teacher"
teacher=$work/teacher/policy.safetensors
seeds=(--seeds 100000:100002 --threads 1)
nfe() { "$onedp" eval "$1" --sampler "$2" "${seeds[@]}" 2>/dev/null | tail -1 |
        /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert 0 <= d["score"] <= 1; print(d["nfe"])'; }
[ "$(nfe "$teacher" edm:3)" = 5 ]
[ "$(nfe "$teacher" euler:3)" = 3 ]
[ "$(nfe "$teacher" edm:1)" = 1 ]

cp=(--variant cp cp.steps=6 cp.batch=16 cp.log_every=2 cp.checkpoint_every=3 cp.threads=1)
"$onedp" distill "$teacher" "${cp[@]}" -o "$work/cp" 2>&1 |
  grep -q "cost 216.7% of the teacher's training"  # 6 x 16 x 13 of 12 x 16 x 3
"$onedp" distill "$teacher" "${cp[@]}" --until 3 -o "$work/cp_split"
"$onedp" distill "$teacher" --resume -o "$work/cp_split"
cmp "$work/cp/train_state.safetensors" "$work/cp_split/train_state.safetensors"
cmp "$work/cp/policy.safetensors" "$work/cp_split/policy.safetensors"
grep -q '"ctm"' "$work/cp/log.jsonl"
grep -q '"dsm"' "$work/cp/log.jsonl"
[ "$(nfe "$work/cp/policy.safetensors" cp:1)" = 1 ]
[ "$(nfe "$work/cp/policy.safetensors" cp:3)" = 3 ]
# A convergence curve: kept checkpoints evaluated (bench/curve.sh), plotted by the report.
"$onedp" distill "$teacher" "${cp[@]}" cp.keep_checkpoints=1 -o "$work/cp_kept"
bash bench/curve.sh "$work/cp_kept" cp:1 100000:100002 --threads 1
[ "$(wc -l < "$work/cp_kept/curve.jsonl")" = 3 ]  # steps 0 (the warm start), 3, 6
grep -q '"step": 6, "wall_s"' "$work/cp_kept/curve.jsonl"
"$onedp" report -o "$work/report.html" --curve CP="$work/cp_kept/curve.jsonl" >/dev/null
grep -q "Convergence" "$work/report.html"
grep -q "distillation wall time" "$work/report.html"

for v in s d; do
  od=(--config configs/distill_onedp_edm.json --variant $v distill.steps=4 distill.batch=16 distill.threads=1
      distill.checkpoint_every=2)
  "$onedp" distill "$teacher" "${od[@]}" -o "$work/onedp_$v"
  a=$("$onedp" eval "$work/onedp_$v/policy.safetensors" --sampler onestep "${seeds[@]}" | tail -1)
  b=$("$onedp" eval "$work/onedp_$v/policy.safetensors" --sampler onestep --weights f32 "${seeds[@]}" | tail -1)
  /usr/bin/python3 -c 'import json,sys; a,b=(json.loads(x) for x in sys.argv[1:]); assert abs(a["score"]-b["score"]) < 1e-4, (a["score"], b["score"])' "$a" "$b"
done

# Image teachers: the CP student's camera encoder trains with its U-Net (Adam moments in the
# state, crops keyed by the step): stopped and resumed equals uninterrupted, the encoder
# moved off the teacher's and the U-Net too, and cp:1 runs it.
img=(model.down_dims=16,32,64 model.diffusion_step_embed_dim=16 encoder.width=16 train.batch=4 train.steps=4
     train.warmup_steps=2 train.log_every=2 train.val_every=0 train.checkpoint_every=4 train.threads=1)
"$onedp" train configs/pusht_image_edm.json "${img[@]}" -o "$work/img"
icp=(--variant cp cp.steps=4 cp.batch=4 cp.log_every=2 cp.checkpoint_every=2 cp.threads=1)
"$onedp" distill "$work/img/policy.safetensors" "${icp[@]}" -o "$work/img_cp"
"$onedp" distill "$work/img/policy.safetensors" "${icp[@]}" --until 2 -o "$work/img_cp_split"
"$onedp" distill "$work/img/policy.safetensors" --resume -o "$work/img_cp_split"
cmp "$work/img_cp/train_state.safetensors" "$work/img_cp_split/train_state.safetensors"
cmp "$work/img_cp/policy.safetensors" "$work/img_cp_split/policy.safetensors"
/usr/bin/python3 - "$work/img/policy.safetensors" "$work/img_cp/policy.safetensors" <<'PY'
import sys; sys.path.insert(0, "tests/ref")
import safetensors_oracle as st
teacher, student = (st.read(p)[0] for p in sys.argv[1:])
moved = {k.split(".")[0] for k in teacher if not st.same_bits(teacher[k], student[k])}
assert {"model", "obs_encoder"} <= moved, sorted(moved)  # the U-Net (model.*) and the encoder
print("image CP: tensors moved off the teacher's in", sorted(moved))
PY
[ "$(nfe "$work/img_cp/policy.safetensors" cp:1)" = 1 ]

refused() {  # the command fails with one line naming the checkpoint and the word given
  local want=$1; shift
  if out=$("$@" 2>&1); then echo "accepted: $*"; exit 1; fi
  if [ "$(printf '%s\n' "$out" | wc -l)" != 1 ] || ! grep -q "$want" <<<"$out"; then echo "bad message: $out"; exit 1; fi
}
refused "$teacher.*ddpm:100.*policy.diffusion" "$onedp" eval "$teacher" --sampler ddpm:100 "${seeds[@]}"
refused "$teacher.*cp:1.*consistency student" "$onedp" eval "$teacher" --sampler cp:1 "${seeds[@]}"
refused "pusht_teacher.safetensors.*edm:18.*policy.diffusion" "$onedp" eval models/pusht_teacher.safetensors \
  --sampler edm:18 "${seeds[@]}"
refused "cp/policy.safetensors.*edm:5.*cp:N only" "$onedp" eval "$work/cp/policy.safetensors" --sampler edm:5 "${seeds[@]}"
refused "policy.sigma_min" "$onedp" train configs/pusht_keypoints_edm.json policy.sigma_min=100 -o "$work/bad"
refused "policy.p_std" "$onedp" train configs/pusht_keypoints_edm.json policy.p_std=0 -o "$work/bad"
refused "pusht_teacher.safetensors.*EDM teacher" "$onedp" distill models/pusht_teacher.safetensors --variant cp \
  -o "$work/bad"
[ ! -e "$work/bad" ]
echo "edm_cp: passed"
