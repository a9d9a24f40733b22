#!/usr/bin/env bash
# Whether two onedp builds evaluate the shipped checkpoints to the same per-seed scores,
# byte for byte: the check a change that must not change behaviour has to pass.
# Runs teacher ddpm:100, ddim:10 (training and packed f32 networks) and both students
# (training network, packed f32, packed bf16) on seeds 100000-100049 with each build and
# compares the JSON lines' "scores" arrays (17 significant digits).
# Usage: bench/eval_identity.sh ONEDP_A ONEDP_B [OUTDIR]   (~3 min per build on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1 b=$2 out=${3:-$(mktemp -d)}
mkdir -p "$out"
export OMP_WAIT_POLICY=passive  # results do not depend on it; a busy machine's timing does
runs=(
  "teacher_ddpm100 models/pusht_teacher.safetensors --sampler ddpm:100"
  "teacher_ddim10 models/pusht_teacher.safetensors --sampler ddim:10"
  "teacher_ddim10_f32 models/pusht_teacher.safetensors --sampler ddim:10 --weights f32"
  "s_train models/pusht_onedp_s.safetensors --sampler onestep"
  "s_f32 models/pusht_onedp_s.safetensors --sampler onestep --weights f32"
  "s_bf16 models/pusht_onedp_s.safetensors --sampler onestep --weights bf16"
  "d_train models/pusht_onedp_d.safetensors --sampler onestep"
  "d_f32 models/pusht_onedp_d.safetensors --sampler onestep --weights f32"
  "d_bf16 models/pusht_onedp_d.safetensors --sampler onestep --weights bf16"
)
scores() { /usr/bin/python3 -c 'import json, sys; d = json.loads(sys.stdin.readlines()[-1]); print(d["score"], d["scores"])'; }
differ=0
for run in "${runs[@]}"; do
  read -r name args <<< "$run"
  for side in a b; do
    bin=$a; [ $side = b ] && bin=$b
    # shellcheck disable=SC2086
    "$bin" eval $args --seeds 100000:100050 --hz-repeats 0 2>/dev/null | scores > "$out/$name.$side"
  done
  if cmp -s "$out/$name.a" "$out/$name.b"; then verdict=identical; else verdict=DIFFERENT; differ=1; fi
  printf '%-20s %-10s score %s\n' "$name" "$verdict" "$(cut -d' ' -f1 "$out/$name.a")"
done
exit $differ
