#!/usr/bin/env bash
# The long fuzzing run: each harness in turn (nice 19, one at a time) for RUNS
# executions on its corpus, then one table row per harness: executions, wall and CPU
# seconds, executions per wall second, result. `make fuzz` runs it with RUNS = 10000000.
#   bash tests/fuzz/run.sh BUILD_DIR RUNS [HARNESS...]   (BUILD_DIR from `make fuzz-build`)
# FUZZ_MAX_SECONDS=S also stops each harness after S seconds. Corpora grow in
# BUILD_DIR/fuzz-corpus/<harness>; a crash, leak or UB report stops that harness and leaves
# BUILD_DIR/fuzz-corpus/crash-<harness>-* (replay: BUILD_DIR/fuzz_<harness> FILE).
# An input that once failed goes in tests/fuzz/regressions/<harness>/ (replayed every run).
# Logs: BUILD_DIR/fuzz-logs/<harness>.log. Exit status 1 if any harness failed.
set -uo pipefail
build=${1:?usage: run.sh BUILD_DIR RUNS [HARNESS...]}
runs=${2:?usage: run.sh BUILD_DIR RUNS [HARNESS...]}
shift 2
corpus=$build/fuzz-corpus
logs=$build/fuzz-logs
mkdir -p "$corpus" "$logs"
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
[ -d "$corpus/seeds" ] || "$build/fuzz_seeds" "$(cd "$fuzz_dir/../.." && pwd)" "$corpus/seeds" || exit 1

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in "$build"/fuzz_*; do
    name=$(basename "$f")
    [ "$name" = fuzz_seeds ] || [ ! -x "$f" ] || harnesses+=("${name#fuzz_}")
  done
fi

status=0
TIMEFORMAT='%R %U %S'
printf '%-14s %12s %9s %9s %9s  %s\n' harness executions wall_s cpu_s exec/s result
for h in "${harnesses[@]}"; do
  mkdir -p "$corpus/$h"
  regressions=$fuzz_dir/regressions/$h
  [ -d "$regressions" ] || regressions=
  { time nice -n 19 "$build/fuzz_$h" -runs="$runs" -max_total_time="${FUZZ_MAX_SECONDS:-0}" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$corpus/crash-$h-" "$corpus/$h" "$corpus/seeds/$h" \
      ${regressions:+"$regressions"} >"$logs/$h.log" 2>&1; } 2>"$logs/$h.time"
  rc=$?
  read -r wall user sys <"$logs/$h.time"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$h.log" | tail -1)
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", u + s }')
  rate=$(awk -v n="${execs:-0}" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0) ? n / w : 0 }')
  if [ $rc -eq 0 ]; then result=ok; else result="FAILED (exit $rc, see $logs/$h.log)"; status=1; fi
  printf '%-14s %12s %9.0f %9s %9s  %s\n' "$h" "${execs:-?}" "$wall" "$cpu" "$rate" "$result"
done
exit $status
