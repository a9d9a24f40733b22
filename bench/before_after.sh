#!/usr/bin/env bash
# Two onedp builds' `bench unet` figures side by side in one run, interleaved so that
# both see the same machine load: a refactor must not make any figure slower beyond
# noise. Prints each figure's median over the rounds for A and B and the ratio B/A.
# Usage: bench/before_after.sh ONEDP_A ONEDP_B [PRESET] [ROUNDS] [bench options...]
#   e.g. git worktree add /tmp/base HEAD~1 && make -C /tmp/base && \
#        bench/before_after.sh /tmp/base/build/onedp build/onedp small 3
set -euo pipefail
a=$1 b=$2 preset=${3:-small} rounds=${4:-3}
shift $(( $# < 4 ? $# : 4 ))
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
unset OPENBLAS_CORETYPE
for r in $(seq "$rounds"); do
  for side in a b; do
    bin=$a; [ $side = b ] && bin=$b
    "$bin" bench unet --preset "$preset" --threads 1,2 "$@" | tail -1 > "$out/$side.$r.json"
  done
done
/usr/bin/python3 - "$out" "$rounds" "$preset" <<'PY'
import json, statistics, sys
out, rounds, preset = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = {s: [json.load(open(f"{out}/{s}.{r}.json")) for r in range(1, rounds + 1)] for s in "ab"}
print(f"preset {preset}: medians over {rounds} interleaved rounds (A = before, B = after)")
print("%-36s %12s %12s %8s" % ("figure", "A", "B", "B/A"))
for i, run in enumerate(runs["a"][0]["runs"]):
    th = run["threads"]
    for key, v in run.items():
        if not isinstance(v, (int, float)) or key == "threads" or not (key.endswith("_ms") or key.endswith("_per_s")
                                                                        or "_ms_" in key):
            continue
        ma = statistics.median(r["runs"][i][key] for r in runs["a"] if r["runs"][i].get(key) is not None)
        mb = statistics.median(r["runs"][i][key] for r in runs["b"] if r["runs"][i].get(key) is not None)
        print("%-36s %12.3f %12.3f %8.3f" % (f"{key} @{th}t", ma, mb, mb / ma if ma else float("nan")))
PY
