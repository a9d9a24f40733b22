#!/usr/bin/env bash
# A distillation's convergence curve: each kept checkpoint (RUNDIR/policy_step<N>.safetensors,
# from distill.keep_checkpoints=1 or cp.keep_checkpoints=1) evaluated with SAMPLER on SEEDS,
# one JSON line per checkpoint in RUNDIR/curve.jsonl: step, wall_s (the run's elapsed
# seconds at that step, from its log), score, success. Lines already there are kept, so a
# stopped curve resumes. `onedp report --curve LABEL=RUNDIR/curve.jsonl` plots them.
# Usage: bench/curve.sh RUNDIR SAMPLER SEEDS [more onedp eval options]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1 sampler=$2 seeds=$3; shift 3
touch "$dir/curve.jsonl"
for f in "$dir"/policy_step*.safetensors; do  # any order: the file is sorted by step below
  [ -e "$f" ] || continue
  step=${f##*policy_step}; step=${step%.safetensors}
  grep -q "\"step\": $step," "$dir/curve.jsonl" && continue
  build/onedp eval "$f" --sampler "$sampler" --seeds "$seeds" "$@" 2>/dev/null | tail -1 |
    /usr/bin/python3 -c '
import json, sys
step, log = int(sys.argv[1]), sys.argv[2]
wall = max((l["elapsed_s"] for l in map(json.loads, open(log)) if l.get("step", -1) <= step and "elapsed_s" in l), default=0)
e = json.loads(sys.stdin.read())
print(json.dumps({"step": step, "wall_s": wall, "score": e["score"], "success": e["success"]}))' "$step" "$dir/log.jsonl" \
    >> "$dir/curve.jsonl"
done
sort -t: -k2 -n "$dir/curve.jsonl" -o "$dir/curve.jsonl"
