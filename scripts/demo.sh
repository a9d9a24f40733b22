#!/usr/bin/env bash
# onedp's main job in one command: take the shipped PushT teacher, distill a one-step
# OneDP-S student briefly, evaluate the teacher (DDPM-100, DDIM-1) and the student on a
# handful of test seeds, then the shipped image student (camera in, one call per chunk),
# print the table and write an HTML report with plots and GIFs.
# Usage: scripts/demo.sh [OUTDIR]   (default build/demo; ~5-10 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/demo}
onedp=build/onedp
teacher=models/pusht_teacher.safetensors
seeds=${DEMO_SEEDS:-100000:100010}
steps=${DEMO_DISTILL_STEPS:-150}
mkdir -p "$out"
[ -f "$teacher" ] || { echo "demo: $teacher is missing (see README: how the teacher is trained)" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

step "1/4 the shipped teacher"
"$onedp" info "$teacher" | sed -n '1,4p'

step "2/4 distilling OneDP-S for $steps steps (the generator starts as the teacher's one-step denoiser)"
rm -rf "$out/onedp_s"
"$onedp" distill "$teacher" --variant s distill.steps="$steps" distill.checkpoint_every="$steps" -o "$out/onedp_s"
tail -1 "$out/onedp_s/log.jsonl"

step "3/4 closed-loop evaluation on PushT seeds $seeds (keypoint policies, then the image student)"
evaluate() {  # name checkpoint sampler
  local name=$1 ckpt=$2 sampler=$3
  echo "-- $name ($sampler)"
  "$onedp" eval "$ckpt" --sampler "$sampler" --seeds "$seeds" --gif "$out/gif_$name" | tee "$out/eval_$name.txt" | tail -1
  first=$(ls "$out/gif_$name" | head -1)
  cp "$out/gif_$name/$first" "$out/$name.gif"
}
evaluate ddpm100 "$teacher" ddpm:100
evaluate ddim1 "$teacher" ddim:1:trailing
evaluate onedp_s "$out/onedp_s/policy.safetensors" onestep
image_student=models/pusht_image_onedp_s.safetensors  # sees the 96x96 camera and the agent position
evaluate image_onedp_s "$image_student" onestep

step "4/4 report"
/bin/echo
printf '%-10s %-16s %5s %8s %8s %8s %10s\n' policy sampler NFE score std success Hz
for name in ddpm100 ddim1 onedp_s image_onedp_s; do
  tail -1 "$out/eval_$name.txt" | sed -e 's/[{}"]//g' -e 's/, /\n/g' | awk -F': ' -v n="$name" '
    {v[$1]=$2} END {printf "%-10s %-16s %5s %8.3f %8.3f %8.2f %10.1f\n", n, v["sampler"], v["nfe"], v["score"], v["score_std"], v["success"], v["hz"]}'
done
onedp_abs=$(realpath "$onedp")
(cd "$out" && "$onedp_abs" report -o report.html --title "onedp demo: OneDP-S distilled from the PushT teacher" \
  --log "OneDP-S=onedp_s/log.jsonl" \
  --eval "DP DDPM-100=eval_ddpm100.txt" --eval "DP DDIM-1 (trailing)=eval_ddim1.txt" \
  --eval "OneDP-S (${steps} steps)=eval_onedp_s.txt" --eval "OneDP-S image (shipped)=eval_image_onedp_s.txt" \
  --gif "DP DDPM-100=ddpm100.gif" --gif "DP DDIM-1=ddim1.gif" --gif "OneDP-S=onedp_s.gif" \
  --gif "OneDP-S image (camera | scene)=image_onedp_s.gif")
echo "open $out/report.html"
