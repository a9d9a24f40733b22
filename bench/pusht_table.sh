#!/usr/bin/env bash
# The analogue of OneDP's Tables 1 and 2 on PushT: the teacher with its samplers (DDPM
# teachers: DDPM-100, DDIM-10, DDIM-1 both spacings; EDM teachers: TEACHER_SAMPLERS), and
# OneDP-D / OneDP-S (and, for EDM teachers, Consistency Policy) students distilled with several seeds, each
# evaluated on test seeds 100000-100049 (mean score ± std, success, NFE, Hz at batch 1),
# with distillation cost as a percentage of the teacher's training: wall time (each as its run
# measured it; the machine may have been shared differently) and network sample-passes (what
# `onedp distill` reports: forward 1, forward+backward 3; independent of the machine).
# Usage: bench/pusht_table.sh [TEACHER_RUNDIR | TEACHER.safetensors] [OUTDIR]
#   TEACHER_RUNDIR: a `onedp train` run (policy.safetensors, and log.jsonl for the wall-time
#   column); default runs/teacher_small
#   env: SEEDS (default 100000:100050), DISTILL_SEEDS (default "0 1 2"), VARIANTS (default "d s"; "cp":
#        Consistency Policy, evaluated with cp:1 and cp:3, options DISTILL_ARGS_CP only),
#        TEACHER_SAMPLERS (default "ddpm100=ddpm:100 ddim10=ddim:10 ddim1_leading=ddim:1:leading
#        ddim1_trailing=ddim:1:trailing"; an EDM teacher: "edm18=edm:18 edm10=edm:10 edm1=edm:1"),
#        DISTILL_CONFIG (OneDP's config; an EDM teacher: configs/distill_onedp_edm.json),
#        CURVE_SEEDS (set: each student's kept checkpoints, distill.keep_checkpoints=1 or
#        cp.keep_checkpoints=1, evaluated on these seeds into <dir>/curve.jsonl by bench/curve.sh),
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
tsamplers=${TEACHER_SAMPLERS:-ddpm100=ddpm:100 ddim10=ddim:10 ddim1_leading=ddim:1:leading ddim1_trailing=ddim:1:trailing}
if [ "${TEACHER_EVALS:-1}" = 1 ]; then
  for ts in $tsamplers; do run_eval "${ts%%=*}" "$teacher" "${ts#*=}"; done
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
      if [ "$v" = cp ]; then
        "$onedp" distill "$teacher" --variant cp cp.seed="$ds" ${DISTILL_ARGS_CP:-} -o "$dir" 2> >(tee -a "$dir.err" >&2)
      else
        "$onedp" distill "$teacher" --variant "$v" ${DISTILL_CONFIG:+--config "$DISTILL_CONFIG"} distill.seed="$ds" \
          ${DISTILL_ARGS:-} ${!v_args:-} "${init[@]}" -o "$dir" 2> >(tee -a "$dir.err" >&2)
      fi
      /usr/bin/python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)" > "$dir/wall_s"
    fi
    if [ "$v" = cp ]; then
      run_eval "onedp_cp1_seed$ds" "$dir/policy.safetensors" cp:1
      run_eval "onedp_cp3_seed$ds" "$dir/policy.safetensors" cp:3
    else
      run_eval "onedp_${v}_seed$ds" "$dir/policy.safetensors" onestep
    fi
    if [ -n "${CURVE_SEEDS:-}" ]; then
      bash bench/curve.sh "$dir" "$([ "$v" = cp ] && echo cp:1 || echo onestep)" "$CURVE_SEEDS" ${EVAL_ARGS:-}
    fi
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
for ts in $tsamplers; do row "DP ${ts#*=}" "${ts%%=*}"; done
for v in d s; do for ds in $dseeds; do row "OneDP-${v^^} (seed $ds)" "onedp_${v}_seed$ds" "$out/onedp_${v}_seed$ds"; done; done
if [[ " ${VARIANTS:-} " == *" cp "* ]]; then
  for ds in $dseeds; do for k in 1 3; do row "CP $k-step (seed $ds)" "onedp_cp${k}_seed$ds" "$out/onedp_cp_seed$ds"; done; done
fi
echo "teacher training: ${teacher_s:-unknown (no $teacher_run/log.jsonl)}${teacher_s:+s}"
