#!/usr/bin/env bash
# onedp and PyTorch side by side on the same U-Net weights, same machine, same run.
# Usage: bench/unet_compare.sh [PRESET] [--skip-train]     (PRESET: lowdim, small, image)
# PyTorch runs with OPENBLAS_NUM_THREADS=1 (its best setting here: no nested threads).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-lowdim}; shift || true
extra=("$@")
onedp=build/onedp
[ -x "$onedp" ] || make >/dev/null
weights=$(mktemp --suffix=.safetensors)
trap 'rm -f "$weights"' EXIT
printf '%-8s %-7s %12s %16s %12s\n' impl threads fwd_b1_ms train_step_ms samples/s
for threads in 1 2; do
  o=$("$onedp" bench unet --preset "$preset" --threads "$threads" --save-weights "$weights" "${extra[@]}" | tail -1)
  p=$(OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/unet_torch.py "$weights" "$threads" "${extra[@]}")
  for row in "onedp $o" "pytorch $p"; do
    name=${row%% *}; json=${row#* }
    /usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[2]); print('%-8s %-7d %12.2f %16.1f %12.1f' % (sys.argv[1], $threads, d['fwd_b1_ms'], d.get('train_step_b256_ms', float('nan')), d.get('train_samples_per_s', float('nan'))))" "$name" "$json"
  done
done
