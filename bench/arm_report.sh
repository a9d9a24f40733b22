#!/usr/bin/env bash
# The arm tasks' HTML report (docs/arm_report.html): each task's table (bench/pusht_table.sh
# output directories: the teacher's samplers and every distillation seed's OneDP-D / OneDP-S
# evaluation on seeds 100000-100049), the milk task's real-time cells (bench/realtime_table.sh),
# the students' distillation losses and one rollout GIF per task, copied beside the report.
# Usage: bench/arm_report.sh [OUT.html]   (default docs/arm_report.html)
#   env: TABLES ("Label=DIR ..."; default Lift, Can, Square ph and mh), REALTIME (default
#        runs/milk_rt), GIFS ("Label=FILE.gif ..."; default runs/arm_gifs84/*/seed_100000.gif: eval --gif-size 84, the
#        policy's camera view, small enough to keep in the repository)
# Rows whose files are missing are left out (a table still being made).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/arm_report.html}
tables=${TABLES:-"Lift=runs/lift_table Can=runs/can_table3 Square=runs/square_table Square-mh=runs/square_mh_table"}
realtime=${REALTIME:-runs/milk_rt}
args=(--title "onedp: OneDP on the arm tasks (seeds 100000-100049)")
for t in $tables; do
  label=${t%%=*} dir=${t#*=}
  for f in "$dir"/eval_*.json; do
    [ -s "$f" ] || continue
    name=$(basename "$f" .json); name=${name#eval_}
    args+=(--eval "$label $name=$f")
  done
  for d in "$dir"/onedp_*_seed0; do
    [ -s "$d/log.jsonl" ] && args+=(--log "$label $(basename "$d")=$d/log.jsonl")
  done
done
for f in "$realtime"/*_dynamic_*.json; do
  [ -s "$f" ] && args+=(--eval "milk $(basename "$f" .json)=$f")
done
gif_dir=$(dirname "$out")/arm_gifs
mkdir -p "$gif_dir"
for g in ${GIFS:-$(ls runs/arm_gifs84/*/seed_100000.gif 2>/dev/null)}; do
  case $g in *=*) label=${g%%=*} g=${g#*=};; *) label=$(basename "$(dirname "$g")");; esac
  [ -s "$g" ] || continue
  cp "$g" "$gif_dir/$label.gif"
  args+=(--gif "$label=arm_gifs/$label.gif")
done
build/onedp report -o "$out" "${args[@]}"
echo "wrote $out"
