"""PyTorch side of `bench/unet_compare.sh`: the identical ConditionalUnet1D, loaded
from the weights onedp benchmarked, timed the same way (batch-1 forward at horizon 16;
forward + backward + AdamW at batch 256). Prints one JSON line.
Usage: unet_torch.py WEIGHTS.safetensors THREADS [--skip-train]
"""
import json
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "ref"))
from unet_ref import Unet  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, h in header.items():
        assert h["dtype"] == "F32", name
        b, e = h["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").reshape(h["shape"]).copy())
    return tensors, meta


def main():
    path, threads = sys.argv[1], int(sys.argv[2])
    skip_train = "--skip-train" in sys.argv
    torch.set_num_threads(threads)
    tensors, meta = read_safetensors(path)
    cfg = json.loads(meta["config"])
    model = Unet(cfg)
    model.load_state_dict(tensors)
    T, Gc = 16, cfg["global_cond_dim"]
    x, t, c = torch.randn(1, T, cfg["input_dim"]), torch.tensor([10.0]), torch.randn(1, Gc)
    fwd, fwd_cpu = [], []
    with torch.no_grad():
        model(x, t, c)
        for _ in range(20):
            t0, c0 = time.perf_counter(), time.process_time()
            model(x, t, c)
            fwd.append((time.perf_counter() - t0) * 1e3)
            fwd_cpu.append((time.process_time() - c0) * 1e3)
    result = {"threads": threads, "torch": torch.__version__, "blas_core": os.environ.get("OPENBLAS_CORETYPE", "auto"), "fwd_b1_ms": statistics.median(fwd),
              "fwd_b1_cpu_ms": statistics.median(fwd_cpu)}
    if not skip_train:
        B = 256
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.95, 0.999), eps=1e-8, weight_decay=1e-6)
        x, t, c = torch.randn(B, T, cfg["input_dim"]), torch.randint(0, 100, (B,)).float(), torch.randn(B, Gc)
        steps = []
        for i in range(4):
            t0 = time.perf_counter()
            loss = torch.nn.functional.mse_loss(model(x, t, c), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if i:
                steps.append((time.perf_counter() - t0) * 1e3)
        result["train_step_b256_ms"] = statistics.median(steps)
        result["train_samples_per_s"] = B / (result["train_step_b256_ms"] * 1e-3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
