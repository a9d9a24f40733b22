#!/usr/bin/env bash
# onedp serve under load on the loopback: 1 client, then 32 concurrent clients x 1,000 ACTs
# each (every reply checked against the runtime API), p50/p99 latency and throughput.
# Usage: bench/serve_load.sh [CHECKPOINT] [REQUESTS]   (default the shipped OneDP-S, 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
ckpt=${1:-models/pusht_onedp_s.safetensors} requests=${2:-1000}
[ -x build/serve_load ] || make >/dev/null
ep=tcp://127.0.0.1:${PORT:-55155}
OMP_WAIT_POLICY=passive build/onedp serve "$ckpt" --listen "$ep" --quiet & pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
sleep 1
echo "single client:";  build/serve_load "$ep" "$ckpt" 1 "$requests"
echo "32 clients:";     build/serve_load "$ep" "$ckpt" 32 "$requests"
