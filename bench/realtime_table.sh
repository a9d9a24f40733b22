#!/usr/bin/env bash
# What speed buys when the world does not wait: each policy on PushT, static and dynamic
# (--perturb), with no latency (the reference protocol), this machine's batch-1 latency on
# one thread, and a robot-class computer's (that latency x SLOWDOWN), executed synchronously
# and asynchronously (eval --realtime; src/eval/rollout.h). Each policy's latency is measured
# first, once (median of 50 batch-1 calls on one thread: run this pass on a quiet machine),
# and the cells use it as --latency-ms, so the rollouts may share the machine without their
# latencies changing. One JSON line per cell in OUTDIR, then a markdown table: score,
# success, mean time to success, stale fraction, latency.
#   LATENCY_ONLY=1: only the latency pass.
# Usage: bench/realtime_table.sh [OUTDIR]   (default runs/realtime)
#   env: SEEDS (default 100000:100050), SLOWDOWN (default 3.7: docs/realtime.md, "robot-class"),
#        POLICIES ("name=checkpoint=sampler ..."; default the shipped low-dim teacher with
#        DDPM-100 and DDIM-10, OneDP-D and OneDP-S), WORLDS (default "static dynamic"; "dynamic":
#        only the --perturb cells)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/realtime}
seeds=${SEEDS:-100000:100050} slowdown=${SLOWDOWN:-3.7}
policies=${POLICIES:-"DDPM-100=models/pusht_teacher.safetensors=ddpm:100 DDIM-10=models/pusht_teacher.safetensors=ddim:10 OneDP-D=models/pusht_onedp_d.safetensors=onestep OneDP-S=models/pusht_onedp_s.safetensors=onestep"}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
mkdir -p "$out"
latency_ms() {  # name ckpt sampler: the batch-1 latency on one thread, measured once
  local f="$out/$1_latency.json"
  [ -s "$f" ] || build/onedp eval "$2" --sampler "$3" --seeds 100000 --max-steps 1 --threads 1 --weights f32 \
    --hz-repeats 50 | tail -1 > "$f"
  /usr/bin/python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).read())['chunk_ms'])" "$f"
}
cell() {  # name ckpt sampler world latency mode
  local f="$out/$1_$4_$5_$6.json" extra=()
  [ "$4" = dynamic ] && extra+=(--perturb)
  case $5 in
    none) ;;
    machine) extra+=(--realtime "$6" --latency-ms "$machine_ms") ;;
    robot) extra+=(--realtime "$6" --latency-ms "$robot_ms") ;;
  esac
  [ -s "$f" ] || build/onedp eval "$2" --sampler "$3" --seeds "$seeds" --threads 1 --weights f32 --hz-repeats 0 \
    "${extra[@]}" | tail -1 > "$f"
}
for p in $policies; do
  IFS== read -r name ckpt sampler <<< "$p"
  machine_ms=$(latency_ms "$name" "$ckpt" "$sampler")
  robot_ms=$(/usr/bin/python3 -c "import sys; print(float(sys.argv[1]) * float(sys.argv[2]))" "$machine_ms" "$slowdown")
  [ "${LATENCY_ONLY:-0}" = 1 ] && { echo "$name: $machine_ms ms here, $robot_ms ms robot-class"; continue; }
  for world in ${WORLDS:-static dynamic}; do
    cell "$name" "$ckpt" "$sampler" "$world" none sync
    for latency in machine robot; do
      for mode in sync async; do cell "$name" "$ckpt" "$sampler" "$world" "$latency" "$mode"; done
    done
  done
done
[ "${LATENCY_ONLY:-0}" = 1 ] && exit 0
/usr/bin/python3 - "$out" "$policies" "${WORLDS:-static dynamic}" <<'PY'
import json, os, sys
out, policies, worlds = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
print("| policy | world | latency | mode | score | success | time to success (s) | stale | latency ms (steps) |")
print("|---|---|---|---|---|---|---|---|---|")
for p in policies:
    name = p.split("=")[0]
    for world in worlds:
        for latency, modes in (("none", ("sync",)), ("machine", ("sync", "async")), ("robot", ("sync", "async"))):
            for mode in modes:
                d = json.loads(open(os.path.join(out, "%s_%s_%s_%s.json" % (name, world, latency, mode))).read())
                print("| %s | %s | %s | %s | %.3f | %.2f | %.1f | %.2f | %.1f (%d) |" % (
                    name, world, latency, "—" if latency == "none" else mode, d["score"], d["success"],
                    d["mean_time_to_success_s"], d["stale_fraction"], d["latency_ms"], d["latency_steps"]))
PY
