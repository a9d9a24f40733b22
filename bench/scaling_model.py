"""The data-parallel scaling model of README "Scale-out", from bench/scale_out.sh's figures.

usage: scaling_model.py RUNS.jsonl PARAMS.jsonl

Per preset, one node (this machine, 2 threads) takes t1(b) = fixed + b * per_sample seconds
per training step at batch b (fitted through two measured batch sizes; `fixed` is mostly
the optimiser's and EMA's pass over the parameters, which every rank repeats). N nodes
training a global batch G each compute G / N samples, then all-reduce the gradient without
overlap (onedp sums after the backward pass), as a ring over 1M-float buckets:
    t_ar(N) = 2 (N - 1) / N * 4 P / bandwidth + buckets * 2 (N - 1) * latency
    t(N) = fixed + (G / N) * per_sample + t_ar(N)
samples/s = G / t(N); efficiency = t1(G) / (N t(N)). The global batch at which scaling stops
(efficiency 50% at N nodes) solves t1(G) = N t(N) / 2:
    G50(N) = (N (fixed + t_ar(N)) - 2 fixed) / per_sample.
"""
import json
import sys

LATENCY_S = 20e-6  # per ring hop and bucket (TCP over a switched Ethernet; assumed, not measured here)
BUCKET_FLOATS = 1 << 20  # src/dist/dist.h DIST_BUCKET_FLOATS
NETWORKS = [("10 Gb/s", 10e9 / 8), ("25 Gb/s", 25e9 / 8), ("100 Gb/s", 100e9 / 8)]
NODES = [2, 4, 8, 16, 32, 64]
GLOBAL_BATCH = {"small": 256, "lowdim": 256, "image_paper": 64}  # each preset's config

runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
params = {p["preset"]: p["params"] for p in (json.loads(l) for l in open(sys.argv[2]) if l.strip())}


def fit(preset):
    pts = sorted((r["batch"], r["step_s"]) for r in runs if r["preset"] == preset and r["mode"] == "plain2")
    (b0, t0), (b1, t1) = pts[0], pts[-1]
    per = (t1 - t0) / (b1 - b0)
    return max(t0 - b0 * per, 0.0), per


def allreduce_s(p, n, bandwidth):
    buckets = -(-p // BUCKET_FLOATS)
    return 2 * (n - 1) / n * 4 * p / bandwidth + buckets * 2 * (n - 1) * LATENCY_S


print("## Measured on this machine (2 cores)\n")
print("| preset | parameters | batch | 1 rank x 2 threads | 2 ranks x 1 thread | all-reduce per step (rank 0, waits included) |")
print("|---|---|---|---|---|---|")
for preset in GLOBAL_BATCH:
    for b in sorted({r["batch"] for r in runs if r["preset"] == preset}, reverse=True):
        row = {r["mode"]: r for r in runs if r["preset"] == preset and r["batch"] == b}
        one, two = row.get("plain2"), row.get("mpi2")
        fmt = lambda r: f"{r['samples_per_s']:.1f} samples/s ({r['step_s'] * 1e3:.0f} ms/step)" if r else "—"
        ar = f"{two['allreduce_s_per_step'] * 1e3:.1f} ms ({two['allreduce_s_per_step'] / two['step_s'] * 100:.1f}%)" if two else "—"
        print(f"| {preset} | {params[preset] / 1e6:.1f}M | {b} | {fmt(one)} | {fmt(two)} | {ar} |")

print("\n## Projected: N nodes like this one, the preset's global batch (no overlap)\n")
for preset, G in GLOBAL_BATCH.items():
    fixed, per = fit(preset)
    p = params[preset]
    t1 = fixed + G * per
    print(f"**{preset}** ({p / 1e6:.1f}M parameters, {4 * p / 1e6:.0f} MB of gradient; one node: fixed {fixed * 1e3:.0f} ms "
          f"+ {per * 1e3:.2f} ms/sample, {G / t1:.1f} samples/s at batch {G})\n")
    print("| network | " + " | ".join(f"{n} nodes" for n in NODES) + " | G50 at 8 / 64 nodes |")
    print("|---|" + "---|" * (len(NODES) + 1))
    for name, bw in NETWORKS:
        cells = []
        for n in NODES:
            t = fixed + G / n * per + allreduce_s(p, n, bw)
            cells.append(f"{G / t:.0f}/s, {t1 / (n * t) * 100:.0f}%")
        g50 = [(n * (fixed + allreduce_s(p, n, bw)) - 2 * fixed) / per for n in (8, 64)]
        print(f"| {name} | " + " | ".join(cells) + f" | {g50[0]:,.0f} / {g50[1]:,.0f} |")
    print()
