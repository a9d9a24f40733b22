#!/usr/bin/env bash
# onedp and PyTorch side by side on the same image-encoder weights, same machine, same run:
# batch-1 forward over one observation's frames (onedp: the packed inference encoder that
# eval and the runtime API run, and the training layers) and the training step (forward +
# backward over batch x frames images), for 1 and 2 threads, with the FMA floors onedp measured.
# Usage: bench/encoder_compare.sh [WIDTH] [BATCH]     (WIDTH 64: the reference ResNet-18; BATCH 64)
# PyTorch runs with OPENBLAS_NUM_THREADS=1 (no nested threads); its best thread count counts.
set -euo pipefail
cd "$(dirname "$0")/.."
width=${1:-64} batch=${2:-64} frames=2
onedp=build/onedp
[ -x "$onedp" ] || make >/dev/null
weights=$(mktemp --suffix=.safetensors)
out=$(mktemp)
trap 'rm -f "$weights" "$out"' EXIT
OMP_WAIT_POLICY=passive "$onedp" bench encoder --width "$width" --batch "$batch" --frames $frames --threads 1,2 \
  --save-weights "$weights" | tee "$out" | grep -v '^{'
torch_json=()
for threads in 1 2; do
  torch_json+=("$(OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/encoder_torch.py "$weights" "$threads" "$width" $frames "$batch")")
done
/usr/bin/python3 - "$(tail -1 "$out")" "${torch_json[@]}" <<'PY'
import json, sys
o = json.loads(sys.argv[1]); torch = [json.loads(a) for a in sys.argv[2:]]
print("\nside by side (same weights, width %d, %d frames, training batch %d):" % (o["width"], o["frames"], o["batch"]))
print("%-10s %7s %12s %16s %12s %14s %10s" % ("impl", "threads", "batch1_ms", "(train layers)", "floor_ms", "train_ms", "samples/s"))
rate = lambda ms: 1e3 * o["batch"] / ms if ms else 0.0
for r, t in zip(o["threads"], torch):
    print("%-10s %7d %12.2f %16.2f %12.2f %14.1f %10.1f" % ("onedp", r["threads"], r["packed_ms"], r["batch1_ms"], r["batch1_floor_ms"], r["train_ms"], rate(r["train_ms"])))
    print("%-10s %7d %12.2f %16s %12s %14.1f %10.1f" % ("pytorch", t["threads"], t["fwd_b1_ms"], "", "", t.get("train_ms", 0), t.get("train_samples_per_s", 0)))
b1 = min(r["packed_ms"] for r in o["threads"]); pt = min(t["fwd_b1_ms"] for t in torch)
fl = min(r["batch1_floor_ms"] for r in o["threads"])
print("batch-1 forward, best thread count: onedp %.2f ms (%.2fx its floor) vs PyTorch %.2f ms = %.2fx faster" % (b1, b1 / fl, pt, pt / b1))
if o["batch"]:
    a = max(rate(r["train_ms"]) for r in o["threads"]); b = max(t["train_samples_per_s"] for t in torch)
    peak = max(100 * r["train_floor_ms"] / r["train_ms"] for r in o["threads"])
    print("training, best thread count: onedp %.1f vs PyTorch %.1f samples/s = %.2fx (onedp at %.0f%% of FMA peak)" % (a, b, a / b, peak))
PY
