#!/usr/bin/env bash
# onedp and PyTorch side by side on the same U-Net weights, same machine, same run:
# batch-1 forward (onedp: training network, packed f32, packed bf16; PyTorch: eager
# float32) and the training step at batch 256, for 1 and 2 threads, with the floors
# onedp measured. Medians of repeated calls; "cpu ms" is the CPU time actually used.
# Usage: bench/unet_compare.sh [PRESET] [--skip-train]     (PRESET: lowdim, small, image)
# PyTorch runs with OPENBLAS_NUM_THREADS=1 (its best setting here: no nested threads).
# OpenBLAS kernels: onedp runs with OPENBLAS_CORETYPE unset (OpenBLAS's own choice, or its
# 512-bit SkylakeX set on an AVX-512 CPU OpenBLAS does not recognise); PyTorch runs with
# OpenBLAS's own choice, with SkylakeX on AVX-512 CPUs and with the OPENBLAS_CORETYPE
# inherited from the environment, if any, and its fastest run counts.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-lowdim}; shift || true
extra=("$@")
onedp=build/onedp
[ -x "$onedp" ] || make >/dev/null
weights=$(mktemp --suffix=.safetensors)
out=$(mktemp)
trap 'rm -f "$weights" "$out"' EXIT
inherited_core=${OPENBLAS_CORETYPE:-}
unset OPENBLAS_CORETYPE
"$onedp" bench unet --preset "$preset" --threads 1,2 --save-weights "$weights" "${extra[@]}" | tee "$out" | grep -v '^{'
onedp_json=$(tail -1 "$out")
cores=(auto)
avx512=1  # the subsets OpenBLAS's SkylakeX kernels use, as onedp checks them (core/blas_core.c)
for f in avx512f avx512bw avx512dq avx512vl; do grep -qw "$f" /proc/cpuinfo || avx512=0; done
[ $avx512 = 1 ] && cores+=(SkylakeX)
[ -z "$inherited_core" ] || [ "$inherited_core" = SkylakeX ] || cores+=("$inherited_core")
torch_json=()
for threads in 1 2; do
  for core in "${cores[@]}"; do
    if [ "$core" = auto ]; then core_env=(); else core_env=(OPENBLAS_CORETYPE="$core"); fi
    torch_json+=("$(env "${core_env[@]}" OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/unet_torch.py "$weights" \
      "$threads" "${extra[@]}")")
  done
done
/usr/bin/python3 - "$onedp_json" "${torch_json[@]}" <<'PY'
import json, sys
o = json.loads(sys.argv[1]); torch = [json.loads(a) for a in sys.argv[2:]]
nan = float("nan")
print("\nside by side (same weights):")
print("%-18s %7s %10s %10s %14s %10s" % ("impl", "threads", "fwd_b1_ms", "cpu_ms", "train_step_ms", "samples/s"))
for run in o["runs"]:
    th = run["threads"]
    for net in ("training", "packed-f32", "packed-bf16"):
        train = net == "training"
        print("%-18s %7d %10.2f %10.2f %14s %10s" % ("onedp " + net, th, run["fwd_b1_ms_" + net], run["fwd_b1_cpu_ms_" + net],
              "%.1f" % run["train_step_ms"] if train and run["train_step_ms"] else "", "%.1f" % run["train_samples_per_s"] if train and run["train_samples_per_s"] else ""))
    for t in (p for p in torch if p["threads"] == th):
        print("%-18s %7d %10.2f %10.2f %14s %10s" % ("pytorch blas=" + t["blas_core"], th, t["fwd_b1_ms"], t["fwd_b1_cpu_ms"],
              "%.1f" % t["train_step_b256_ms"] if "train_step_b256_ms" in t else "", "%.1f" % t["train_samples_per_s"] if "train_samples_per_s" in t else ""))
print("onedp: OpenBLAS %s kernels; PyTorch %s; best of PyTorch's thread and kernel settings below" % (o.get("blas_core", "?"), torch[0]["torch"]))
best = lambda xs: min(xs)
pt_fwd = best(p["fwd_b1_ms"] for p in torch)
for net in ("training", "packed-f32", "packed-bf16"):
    print("batch-1 forward, best thread count: onedp %-11s %.2f ms vs PyTorch %.2f ms = %.2fx" % (net, best(r["fwd_b1_ms_" + net] for r in o["runs"]), pt_fwd, pt_fwd / best(r["fwd_b1_ms_" + net] for r in o["runs"])))
if all("train_samples_per_s" in p for p in torch) and all(r["train_samples_per_s"] for r in o["runs"]):
    a, b = max(r["train_samples_per_s"] for r in o["runs"]), max(p["train_samples_per_s"] for p in torch)
    print("training, best thread count: onedp %.1f vs PyTorch %.1f samples/s = %.2fx" % (a, b, a / b))
PY
