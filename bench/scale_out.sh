#!/usr/bin/env bash
# Data-parallel throughput on this machine, and the inputs of the scaling model (README
# "Scale-out"). For the small and low-dim (paper) presets: training samples/s with 1 rank x
# 2 threads (the plain build) and 2 ranks x 1 thread (mpirun, the MPI build), with rank 0's
# all-reduce seconds per step from its log; and, for them and the image-paper preset, the
# step time at two batch sizes on this machine (2 threads), fitted as fixed + batch x
# per-sample seconds, which bench/scaling_model.py projects to 2-64 such nodes.
# usage: bench/scale_out.sh [OUTDIR]   (~15 min; run on an otherwise idle machine)
#   env: STEPS (measured steps per run, default 20, after 5 warm-up steps)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/scale_out}; steps=${STEPS:-20}
mkdir -p "$out"
export OMP_WAIT_POLICY=passive
plain=build/onedp mpi=build-mpi/onedp
[ -x "$mpi" ] || { echo "scale_out: $mpi missing: run make mpi" >&2; exit 1; }
mpirun_2() {
  mpirun --allow-run-as-root --bind-to none --mca btl self,vader,tcp --mca btl_tcp_if_include lo \
    --mca oob_tcp_if_include lo --mca btl_vader_single_copy_mechanism none -x OMP_WAIT_POLICY -np 2 "$@"
}
# name config batch mode(plain2 | mpi2): steps/s from log.jsonl between step 5 and the end.
run() {
  local name=$1 config=$2 batch=$3 mode=$4 dir=$out/$1_b$3_$4
  rm -rf "$dir"
  local args=(train "$config" train.batch="$batch" train.steps=$((steps + 5)) train.warmup_steps=1 train.log_every=5
              train.val_every=0 train.checkpoint_every=1000000 -o "$dir")
  if [ "$mode" = plain2 ]; then "$plain" "${args[@]}" train.threads=2 2>/dev/null
  else mpirun_2 "$mpi" "${args[@]}" train.threads=1 2>/dev/null; fi
  /usr/bin/python3 - "$dir/log.jsonl" "$name" "$batch" "$mode" "$steps" <<'PY' | tee -a "$out/runs.jsonl"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
first, last = rows[0], rows[-1]  # step 5 and the end
dt = last["elapsed_s"] - first["elapsed_s"]; n = last["step"] - first["step"]
ar = sum(r.get("allreduce_s", 0) for r in rows[1:]) / n
batch = int(sys.argv[3])
print(json.dumps({"preset": sys.argv[2], "batch": batch, "mode": sys.argv[4], "step_s": dt / n,
                  "samples_per_s": batch * n / dt, "allreduce_s_per_step": ar}))
PY
}
: > "$out/runs.jsonl"
run small configs/pusht_keypoints_small.json 256 plain2
run small configs/pusht_keypoints_small.json 256 mpi2
run small configs/pusht_keypoints_small.json 64 plain2
run lowdim configs/pusht_keypoints_paper.json 256 plain2
run lowdim configs/pusht_keypoints_paper.json 256 mpi2
run lowdim configs/pusht_keypoints_paper.json 64 plain2
steps=4 run image_paper configs/pusht_image_paper.json 8 plain2
steps=4 run image_paper configs/pusht_image_paper.json 2 plain2
for c in small:configs/pusht_keypoints_small.json lowdim:configs/pusht_keypoints_paper.json \
         image_paper:configs/pusht_image_paper.json; do
  "$plain" info "${c#*:}" | awk -v p="${c%%:*}" '/^params:|^encoder params:/ {n += $NF} END {printf "{\"preset\": \"%s\", \"params\": %d}\n", p, n}'
done > "$out/params.jsonl"
/usr/bin/python3 bench/scaling_model.py "$out/runs.jsonl" "$out/params.jsonl" | tee "$out/model.md"
