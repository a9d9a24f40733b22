#!/usr/bin/env bash
# usage: crash_resume.sh ONEDP WORKDIR [SEED]
# Crash safety of training and distillation: each run is SIGKILLed again and again, at
# random moments and the instant a checkpoint's temp file appears (so mid-write), and
# resumed each time (fresh when it died before its first checkpoint). After every kill
# each checkpoint present must load whole (`onedp info` reads and checks it: a kill never
# leaves a half-written one under its name). At the end the state and policy must be
# byte-identical to an uninterrupted run's and the log must hold every step exactly once
# with the uninterrupted run's losses. SEED (default: random, printed) replays the kill times.
set -euo pipefail
onedp=$1; work=$2; seed=${3:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$seed
echo "crash_resume: seed $seed"
rm -rf "$work"; mkdir -p "$work"
teacher_args=(configs/pusht_keypoints_small.json model.down_dims=16,32,64 model.diffusion_step_embed_dim=16
              train.batch=16 train.steps=36 train.warmup_steps=3 train.log_every=1 train.val_every=8
              train.checkpoint_every=3 train.threads=1)
distill_args=(--variant s distill.steps=16 distill.batch=16 distill.log_every=1 distill.checkpoint_every=2
              distill.threads=1)

fail() { echo "crash_resume: FAIL: $*" >&2; exit 1; }

# Every checkpoint file under its own name loads whole; temp files are not checkpoints.
check_checkpoints() {
  local dir=$1 f
  for f in "$dir/train_state.safetensors" "$dir/policy.safetensors"; do
    [ -e "$f" ] || continue
    "$onedp" info "$f" >/dev/null 2>"$work/info.err" || fail "after a kill: $(cat "$work/info.err")"
  done
}

# The temp file of a checkpoint being written, if any (a kill right then is mid-write).
checkpoint_temp() {
  local f
  for f in "$1"/*.safetensors.tmp*; do [ -e "$f" ] && return 0; done
  return 1
}

lines() { local n=0; [ -f "$1" ] && while IFS= read -r _; do n=$((n + 1)); done <"$1"; echo $n; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Kill k waits, by k mod 3: a random 5-30% of the uninterrupted run's duration from
# launch (startup included; relative, so the kill lands inside the run on any machine),
# until a checkpoint's temp file shows (mid-write), or until the log grows by 1-4 lines.
kill_later() {
  local pid=$1 dir=$2 k=$3 ref_ms=$4 want
  case $((k % 3)) in
    0) want=$((ref_ms * (5 + RANDOM % 26) / 100)); sleep "$((want / 1000)).$(printf %03d $((want % 1000)))" ;;
    1) while kill -0 "$pid" 2>/dev/null && ! checkpoint_temp "$dir"; do :; done ;;
    2) want=$(($(lines "$dir/log.jsonl") + 1 + RANDOM % 4))
       while kill -0 "$pid" 2>/dev/null && [ "$(lines "$dir/log.jsonl")" -lt $want ]; do :; done ;;
  esac
  kill -KILL "$pid" 2>/dev/null || true
}

# run_with_kills NAME DIR MIN_KILLS MAX_KILLS REF_MS FRESH_CMD... -- RESUME_CMD...
run_with_kills() {
  local name=$1 dir=$2 min=$3 max=$4 ref_ms=$5; shift 5
  local fresh=() resume=()
  while [ "$1" != -- ]; do fresh+=("$1"); shift; done; shift; resume=("$@")
  local kills=0 midwrite=0 resumes=0 rc pid t0=$SECONDS
  while :; do
    if [ -f "$dir/train_state.safetensors" ]; then
      "${resume[@]}" 2>>"$work/$name.stderr" >/dev/null & pid=$!; resumes=$((resumes + 1))
    else
      "${fresh[@]}" 2>>"$work/$name.stderr" >/dev/null & pid=$!
    fi
    [ $kills -lt "$max" ] && kill_later $pid "$dir" $kills "$ref_ms"
    rc=0; { wait $pid; } 2>/dev/null || rc=$?
    [ $rc -eq 0 ] && break
    [ $rc -eq 137 ] || fail "$name exited with status $rc: $(tail -1 "$work/$name.stderr")"
    kills=$((kills + 1))
    checkpoint_temp "$dir" && midwrite=$((midwrite + 1))
    check_checkpoints "$dir"
  done
  [ $kills -ge "$min" ] || fail "$name: only $kills kills before it finished (need $min)"
  [ $midwrite -ge 1 ] || fail "$name: no kill landed during a checkpoint write"
  checkpoint_temp "$dir" && fail "$name: a temp file outlived the finished run"
  echo "$name: $kills SIGKILLs ($midwrite during a checkpoint write), $resumes resumes, $((SECONDS - t0)) s"
}

# Uninterrupted references, timed.
t=$(now_ms)
"$onedp" train "${teacher_args[@]}" -o "$work/train_ref" 2>/dev/null
train_ms=$(($(now_ms) - t)); t=$(now_ms)
"$onedp" distill "$work/train_ref/policy.safetensors" "${distill_args[@]}" -o "$work/distill_ref" 2>/dev/null
distill_ms=$(($(now_ms) - t))

run_with_kills train "$work/train" 6 9 "$train_ms" "$onedp" train "${teacher_args[@]}" -o "$work/train" -- \
  "$onedp" train --resume -o "$work/train"
run_with_kills distill "$work/distill" 3 6 "$distill_ms" \
  "$onedp" distill "$work/train_ref/policy.safetensors" "${distill_args[@]}" -o "$work/distill" -- \
  "$onedp" distill "$work/train_ref/policy.safetensors" --resume -o "$work/distill"

for run in train distill; do
  for f in train_state policy; do
    cmp "$work/${run}_ref/$f.safetensors" "$work/$run/$f.safetensors" || fail "$run: $f differs from the uninterrupted run"
  done
done
echo "train, distill: train_state and policy byte-identical to the uninterrupted runs"

/usr/bin/python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
for run, keys in (("train", ("loss", "lr", "epoch", "val_loss")), ("distill", ("score_diff", "score_loss"))):
    ref = [json.loads(l) for l in open(f"{work}/{run}_ref/log.jsonl")]
    got = [json.loads(l) for l in open(f"{work}/{run}/log.jsonl")]
    steps = [l for l in got if "event" not in l]
    assert [l["step"] for l in steps] == [l["step"] for l in ref], f"{run}: steps {[l['step'] for l in steps]}"
    for a, b in zip(ref, steps):
        assert all(a.get(k) == b.get(k) for k in keys), f"{run}: step {a['step']}: {a} vs {b}"
    events = [l for l in got if "event" in l]
    assert all(l["event"] == "resume" for l in events), events
    print(f"{run} log: steps 1..{ref[-1]['step']} once each with the uninterrupted losses, {len(events)} resume events")
PY
