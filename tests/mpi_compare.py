"""Compares two onedp runs' training states and loss curves (tests/mpi.sh).

usage: mpi_compare.py RUN_A RUN_B TOLERANCE
Reads each run's train_state.safetensors (the parser below follows the format: an 8-byte
little-endian header length, a JSON header, raw little-endian tensors) and log.jsonl.
Every state tensor and every logged loss must agree to TOLERANCE relative to the
tensor's largest magnitude (or the loss); prints the worst differences.
"""
import json
import struct
import sys

import numpy as np


def tensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        assert t["dtype"] == "F32", (name, t["dtype"])
        out[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype="<f4")
    return out


def losses(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    return {r["step"]: r for r in rows if "loss" in r or "score_diff" in r}


a, b, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
ta, tb = tensors(f"{a}/train_state.safetensors"), tensors(f"{b}/train_state.safetensors")
assert ta.keys() == tb.keys(), (sorted(ta), sorted(tb))
worst = 0.0
for name in ta:
    scale = max(float(np.abs(ta[name]).max()), 1e-30)
    rel = float(np.abs(ta[name].astype(np.float64) - tb[name]).max()) / scale
    print(f"{name}: {ta[name].size} values, max |diff| / max |value| = {rel:.3g}")
    worst = max(worst, rel)
la, lb = losses(f"{a}/log.jsonl"), losses(f"{b}/log.jsonl")
assert la.keys() == lb.keys() and la, (sorted(la), sorted(lb))
curve = 0.0
for step in la:
    for key in ("loss", "val_loss", "score_diff", "score_loss", "regression"):
        if key in la[step]:
            x, y = la[step][key], lb[step][key]
            curve = max(curve, abs(x - y) / max(abs(x), 1e-30))
print(f"loss curve: {len(la)} logged steps, worst relative difference {curve:.3g}")
if worst > tol or curve > tol:
    sys.exit(f"{a} and {b} differ beyond {tol}: state {worst:.3g}, losses {curve:.3g}")
