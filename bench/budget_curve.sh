#!/usr/bin/env bash
# The budget curve of a distillation run kept with distill.keep_checkpoints=1: every
# policy_step<N>.safetensors of RUNDIR evaluated one-step on the selection seeds with
# several noise draws, beside the run's wall time at that step (log.jsonl's elapsed_s).
# Prints one row per checkpoint (step, epoch, wall s, score, standard error over env seeds)
# and writes RUNDIR/curve.jsonl, and each evaluation's JSON line as RUNDIR/eval_step<N>.json
# (for paired differences: bench/paired_diff.py). Evaluations already in curve.jsonl are not rerun, so the
# script can follow a run that is still going.
# Usage: bench/budget_curve.sh RUNDIR [SEEDS] [DRAWS] [STEPS_PER_EPOCH]
#        (defaults 200000:200200, 4 draws, 187 steps = one PushT epoch at batch 128)
set -euo pipefail
cd "$(dirname "$0")/.."
run=$1 seeds=${2:-200000:200200} draws=${3:-4} per_epoch=${4:-187}
onedp=build/onedp
curve="$run/curve.jsonl"
touch "$curve"
printf '%8s %7s %9s %8s %8s\n' step epoch wall_s score se
for f in $(ls "$run"/policy_step*.safetensors 2>/dev/null | sort -V); do
  step=${f##*policy_step}; step=${step%.safetensors}
  if ! grep -q "\"step\": $step," "$curve"; then
    json=$(OMP_WAIT_POLICY=passive "$onedp" eval "$f" --sampler onestep --seeds "$seeds" --draws "$draws" \
           --threads 1 --hz-repeats 0 2>/dev/null | tail -1)
    echo "$json" > "$run/eval_step$step.json"  # per-seed scores: bench/paired_diff.py
    # Wall time at the step: interpolated between the logged steps around it (0 at step 0).
    wall=$(/usr/bin/python3 -c 'import json, sys
pts = [(0, 0.0)] + [(d["step"], d["elapsed_s"]) for d in map(json.loads, open(sys.argv[1])) if "elapsed_s" in d]
s = int(sys.argv[2]); lo = max(p for p in pts if p[0] <= s); hi = [p for p in pts if p[0] >= s]
hi = min(hi) if hi else lo
print(lo[1] if hi[0] == lo[0] else lo[1] + (hi[1] - lo[1]) * (s - lo[0]) / (hi[0] - lo[0]))' "$run/log.jsonl" "$step")
    /usr/bin/python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(json.dumps({"step": int(sys.argv[2]), "wall_s": float(sys.argv[3] or "nan"), "score": d["score"], "se": d["score_se"], "draws": d["draws"], "seeds": d["seeds"]}))' \
      "$json" "$step" "${wall:-}" >> "$curve"
  fi
  /usr/bin/python3 -c 'import json, sys; d = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["step"] == int(sys.argv[2])][-1]; print("%8d %7.2f %9.0f %8.4f %8.4f" % (d["step"], d["step"] / float(sys.argv[3]), d["wall_s"], d["score"], d["se"]))' \
    "$curve" "$step" "$per_epoch"
done
