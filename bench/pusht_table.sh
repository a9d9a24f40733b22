#!/usr/bin/env bash
# The analogue of OneDP's Table 1 on PushT: the teacher with DDPM-100, DDIM-10 and DDIM-1
# (both spacings), and OneDP-D / OneDP-S students distilled with several seeds, each
# evaluated on test seeds 100000-100049 (mean score ± std, success, NFE, Hz at batch 1),
# with distillation cost as a percentage of the teacher's training: wall time (each as its run
# measured it; the machine may have been shared differently) and network sample-passes (what
# `onedp distill` reports: forward 1, forward+backward 3; independent of the machine).
# Usage: bench/pusht_table.sh [TEACHER_RUNDIR | TEACHER.safetensors] [OUTDIR]
#   TEACHER_RUNDIR: a `onedp train` run (policy.safetensors, and log.jsonl for the wall-time
#   column); default runs/teacher_small
#   env: SEEDS (default 100000:100050), DISTILL_SEEDS (default "0 1 2"), VARIANTS (default "d s"),
#        TEACHER_EVALS (default 1; 0 leaves the teacher's rows to another instance: two instances
#        with VARIANTS=d and VARIANTS=s TEACHER_EVALS=0 share OUTDIR on two cores, and a last plain
#        run prints the whole table from their results), DISTILL_ARGS (overrides;
#        DISTILL_ARGS_S / DISTILL_ARGS_D for one variant only, e.g. DISTILL_ARGS_S=distill.steps=150),
#        EVAL_ARGS (more `onedp eval` options, e.g. --threads 1),
#        REGRESSION_ARGS_S / REGRESSION_ARGS_D (set, even empty: that variant is the two-stage recipe —
#        first `distill --config configs/distill_regression.json $REGRESSION_ARGS_X` into <dir>/regression,
#        then the KL stage from it with distill.init_generator; wall time and cost cover both stages)
set -euo pipefail
cd "$(dirname "$0")/.."
teacher_run=${1:-runs/teacher_small}; out=${2:-runs/table}
teacher=$teacher_run/policy.safetensors
case $teacher_run in *.safetensors) teacher=$teacher_run; teacher_run=$(dirname "$teacher_run");; esac
seeds=${SEEDS:-100000:100050}; dseeds=${DISTILL_SEEDS:-0 1 2}
onedp=build/onedp
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
mkdir -p "$out"
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])[sys.argv[2]])" "$@"; }
teacher_s=  # the teacher's training wall time, when its run's log is here (a shipped model has none)
[ -s "$teacher_run/log.jsonl" ] && teacher_s=$(/usr/bin/python3 -c "import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if 'loss' in l][-1]['elapsed_s'])" "$teacher_run/log.jsonl")

run_eval() {  # name checkpoint sampler
  [ -s "$out/eval_$1.json" ] || "$onedp" eval "$2" --sampler "$3" --seeds "$seeds" ${EVAL_ARGS:-} | tail -1 > "$out/eval_$1.json"
}
if [ "${TEACHER_EVALS:-1}" = 1 ]; then
  run_eval ddpm100 "$teacher" ddpm:100
  run_eval ddim10 "$teacher" ddim:10
  run_eval ddim1_leading "$teacher" ddim:1:leading
  run_eval ddim1_trailing "$teacher" ddim:1:trailing
fi
for v in ${VARIANTS:-d s}; do
  for ds in $dseeds; do
    dir=$out/onedp_${v}_seed$ds
    if [ ! -s "$dir/policy.safetensors" ] || [ ! -s "$dir/wall_s" ]; then
      start=$(date +%s.%N)
      v_args=DISTILL_ARGS_${v^^} r_args=REGRESSION_ARGS_${v^^} init=()
      : > "$dir.err"
      if [ -n "${!r_args+set}" ]; then
        mkdir -p "$dir"
        "$onedp" distill "$teacher" --variant "$v" --config configs/distill_regression.json distill.seed="$ds" \
          ${!r_args} -o "$dir/regression" 2> >(tee -a "$dir.err" >&2)
        init=(distill.init_generator="$dir/regression/policy.safetensors")
      fi
      "$onedp" distill "$teacher" --variant "$v" distill.seed="$ds" ${DISTILL_ARGS:-} ${!v_args:-} "${init[@]}" \
        -o "$dir" 2> >(tee -a "$dir.err" >&2)
      /usr/bin/python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)" > "$dir/wall_s"
    fi
    run_eval "onedp_${v}_seed$ds" "$dir/policy.safetensors" onestep
  done
done

printf '\n| method | NFE | score (mean ± std over 50 seeds) | success | Hz (batch 1) | distill/teacher wall time | distill/teacher sample-passes |\n|---|---|---|---|---|---|---|\n'
row() {  # label eval-name [distill-dir]
  local f=$out/eval_$2.json extra="—" passes="—"
  [ -s "$f" ] || { printf '| %s | not run here |\n' "$1"; return; }
  [ -n "${3:-}" ] && [ -n "$teacher_s" ] && extra=$(/usr/bin/python3 -c "import sys; print('%.1f%%' % (100 * float(open(sys.argv[1]).read()) / float(sys.argv[2])))" "$3/wall_s" "$teacher_s")
  [ -n "${3:-}" ] && [ -s "$3.err" ] && passes=$(sed -n 's/^distill: cost \([0-9.]*\)%.*/\1/p' "$3.err" |
    awk '{ s += $1 } END { if (NR) printf "%.1f%%", s }')  # both stages of a two-stage student
  printf '| %s | %s | %.3f ± %.3f | %.2f | %.1f | %s | %s |\n' "$1" "$(field "$f" nfe)" "$(field "$f" score)" \
    "$(field "$f" score_std)" "$(field "$f" success)" "$(field "$f" hz)" "$extra" "${passes:-—}"
}
row "DP DDPM" ddpm100; row "DP DDIM" ddim10; row "DP DDIM (leading)" ddim1_leading; row "DP DDIM (trailing)" ddim1_trailing
for v in d s; do for ds in $dseeds; do row "OneDP-${v^^} (seed $ds)" "onedp_${v}_seed$ds" "$out/onedp_${v}_seed$ds"; done; done
echo "teacher training: ${teacher_s:-unknown (no $teacher_run/log.jsonl)}${teacher_s:+s}"
