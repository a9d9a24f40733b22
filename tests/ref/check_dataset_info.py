"""Runs `onedp dataset info` on the PushT store and checks its final JSON line
against docs/facts.md §8 (206 episodes, 25,650 steps, the six arrays)."""
import json
import subprocess
import sys

onedp, store = sys.argv[1], sys.argv[2]
out = subprocess.run([onedp, "dataset", "info", store], capture_output=True, text=True)
if out.returncode != 0:
    sys.exit(f"onedp dataset info failed ({out.returncode}): {out.stderr.strip()}")
info = json.loads(out.stdout.strip().splitlines()[-1])
want_arrays = {"data/action": [25650, 2], "data/img": [25650, 96, 96, 3], "data/keypoint": [25650, 9, 2],
               "data/n_contacts": [25650, 1], "data/state": [25650, 5], "meta/episode_ends": [206]}
errors = []
if info.get("episodes") != 206: errors.append(f"episodes {info.get('episodes')}")
if info.get("steps") != 25650: errors.append(f"steps {info.get('steps')}")
if not info.get("len_min", 0) <= info.get("len_mean", -1) <= info.get("len_max", -2): errors.append("length stats")
if abs(info.get("len_mean", 0) - 25650 / 206) > 1e-9: errors.append(f"len_mean {info.get('len_mean')}")
if info.get("rows_consistent") is not True: errors.append("rows_consistent")
got = {k: v["shape"] for k, v in info.get("arrays", {}).items()}
if got != want_arrays: errors.append(f"arrays {got}")
if errors: sys.exit("dataset info: " + "; ".join(errors))
print("dataset info ok:", out.stdout.strip().splitlines()[-1][:80])
