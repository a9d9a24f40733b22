#!/usr/bin/env bash
# usage: nan_guard.sh ONEDP WORKDIR
# Numerical guards: training and distillation driven to divergence by legal but absurd
# optimiser settings (learning rate 1, beta2 0, eps 1e-30: Adam divides momentum by the
# newest gradient's magnitude) must stop with one line naming the step, exit 1, and leave
# the last checkpoint finite and loadable; resuming from it diverges again at the same
# step (so that checkpoint is the run's last good state, not a damaged one).
set -euo pipefail
onedp=$1; work=$2
rm -rf "$work"; mkdir -p "$work"
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive

fail() { echo "nan_guard: FAIL: $*" >&2; exit 1; }

# expect_divergence NAME DIR CMD...: runs CMD, requires the divergence message; prints the step.
expect_divergence() {
  local name=$1 dir=$2; shift 2
  local rc=0
  "$@" >/dev/null 2>"$work/$name.err" || rc=$?
  local msg; msg=$(tail -n 1 "$work/$name.err")
  [ $rc -eq 1 ] || fail "$name: exit $rc, expected 1 ($msg)"
  [[ $msg =~ ^onedp\ (train|distill):\ step\ ([0-9]+):\ .*(nan|inf|NaN|infinite).*\ stopped.*the\ checkpoint\ at\ step\ ([0-9]+)\ in\ $dir\ is\ intact ]] ||
    fail "$name: unexpected message: $msg"
  local step=${BASH_REMATCH[2]} kept=${BASH_REMATCH[4]}
  [ "$kept" -lt "$step" ] || fail "$name: kept checkpoint $kept is not before step $step"
  "$onedp" info "$dir/train_state.safetensors" >"$work/$name.info" || fail "$name: the kept state does not load"
  grep -q "^training state: step $kept," "$work/$name.info" || fail "$name: state is not at step $kept"
  "$onedp" info "$dir/policy.safetensors" >/dev/null || fail "$name: the kept policy does not load"
  ls "$dir" | grep -q '\.tmp' && fail "$name: temp file left in $dir"
  echo "$name: $msg" >&2
  echo "$step $kept"
}

tiny=(model.down_dims=16,32,64 model.diffusion_step_embed_dim=16 train.batch=16 train.steps=40 train.warmup_steps=0
      train.lr_schedule=constant train.log_every=1 train.val_every=0 train.checkpoint_every=1 train.threads=1)
absurd=(train.lr=1 train.beta1=0.999999 train.beta2=0 train.eps=1e-30)
read -r step kept < <(expect_divergence train "$work/train" \
  "$onedp" train configs/pusht_keypoints_small.json "${tiny[@]}" "${absurd[@]}" -o "$work/train")
read -r step2 kept2 < <(expect_divergence train_resumed "$work/train" "$onedp" train --resume -o "$work/train")
[ "$step2 $kept2" = "$step $kept" ] || fail "resumed run diverged at step $step2 (kept $kept2), first at $step ($kept)"
last=$(grep -v event "$work/train/log.jsonl" | tail -n 1)
[[ $last == "{\"step\": $kept,"* ]] || fail "train: log does not end at the kept step $kept: $last"
echo "train: diverged at step $step, checkpoint $kept kept; the resumed run diverged at the same step"

# A healthy teacher to distil with the same absurd settings, both variants.
"$onedp" train configs/pusht_keypoints_small.json "${tiny[@]}" train.steps=2 -o "$work/teacher" 2>/dev/null
for v in s d; do
  read -r step kept < <(expect_divergence "distill_$v" "$work/distill_$v" \
    "$onedp" distill "$work/teacher/policy.safetensors" --variant $v distill.steps=40 distill.batch=16 distill.log_every=1 \
    distill.checkpoint_every=1 distill.threads=1 distill.lr_schedule=constant distill.lr_generator=1 distill.lr_score=1 \
    distill.beta1=0.999999 distill.beta2=0 distill.eps=1e-30 -o "$work/distill_$v")
  read -r step2 kept2 < <(expect_divergence "distill_${v}_resumed" "$work/distill_$v" \
    "$onedp" distill "$work/teacher/policy.safetensors" --resume -o "$work/distill_$v")
  [ "$step2 $kept2" = "$step $kept" ] || fail "distill $v: resumed run diverged at step $step2, first at $step"
  echo "distill $v: diverged at step $step, checkpoint $kept kept; the resumed run diverged at the same step"
done
echo "3 passed, 0 failed"
