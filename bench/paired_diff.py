#!/usr/bin/python3
"""Paired difference of two `onedp eval` runs on the same env seeds: B - A per env seed
(each run's per-seed score, the mean over its --draws), then the mean difference and its
standard error across env seeds, and the same for each run alone.

Usage: bench/paired_diff.py A.json B.json [C.json ...]   (each file: an eval's JSON line,
or its whole output: the last line is used). Every later file is compared with the first.
"""
import json
import math
import sys


def load(path):
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l.startswith("{")]
    if not lines:
        sys.exit(f"{path}: no JSON line (the output of onedp eval)")
    return json.loads(lines[-1])


def mean_se(xs):
    n = len(xs)
    m = sum(xs) / n
    var = sum((x - m) ** 2 for x in xs) / (n - 1) if n > 1 else 0.0
    return m, math.sqrt(var / n)


def main(paths):
    if len(paths) < 2:
        sys.exit(__doc__)
    runs = [load(p) for p in paths]
    base = runs[0]
    m, se = mean_se(base["scores"])
    print(f"{'run':<48} {'draws':>5} {'score':>8} {'se':>7} {'B - A':>8} {'se':>7}")
    print(f"{paths[0]:<48} {base.get('draws', 1):>5} {m:8.4f} {se:7.4f}")
    for path, run in zip(paths[1:], runs[1:]):
        if run["seeds"] != base["seeds"]:
            sys.exit(f"{path}: seeds {run['seeds']}, but {paths[0]} has {base['seeds']}: not paired")
        m, se = mean_se(run["scores"])
        dm, dse = mean_se([b - a for a, b in zip(base["scores"], run["scores"])])
        print(f"{path:<48} {run.get('draws', 1):>5} {m:8.4f} {se:7.4f} {dm:+8.4f} {dse:7.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
