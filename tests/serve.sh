#!/usr/bin/env bash
# onedp serve on a local socket, bounded in count and time: one client, then 32 concurrent
# clients, every reply checked against the runtime API (tests/serve/serve_load.c);
# malformed requests answered with ERROR replies; a client dying mid-request; both example
# clients; SIGTERM drains and exits 0.
# Usage: tests/serve.sh ONEDP SERVE_LOAD SERVE_CLIENT   (from the repository root)
set -euo pipefail
onedp=$1 load=$2 client=$3 ckpt=models/pusht_onedp_s.safetensors
sock=$(mktemp -u /tmp/onedp_serve_XXXXXX.sock) ep=ipc://$sock
"$onedp" serve "$ckpt" --listen "$ep" --quiet & pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -f "$sock"' EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
echo "== one client";           timeout 60 "$load" "$ep" "$ckpt" 1 40
echo "== 32 concurrent clients"; timeout 120 "$load" "$ep" "$ckpt" 32 40
echo "== malformed requests";    timeout 30 "$load" "$ep" --malformed
echo "== a client dies mid-request"; timeout 10 "$load" "$ep" --abandon
echo "== still serving";         timeout 60 "$load" "$ep" "$ckpt" 4 20
echo "== example clients";       timeout 30 "$client" "$ep" | tail -2
timeout 30 /usr/bin/python3 examples/serve_client.py "$ep" | tail -2
kill -TERM $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then echo "FAIL: serve still running 10 s after SIGTERM"; exit 1; fi
wait $pid; rc=$?
[ $rc -eq 0 ] || { echo "FAIL: serve exited $rc after SIGTERM"; exit 1; }
echo "ok: SIGTERM drained and exited 0"
