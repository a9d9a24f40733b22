"""PyTorch side of `bench/encoder_compare.sh`: the same image encoder (torchvision's
BasicBlocks with GroupNorm(C/16), robomimic's spatial softmax, Linear, ReLU) at any stem
width, loaded from the weights `onedp bench encoder --save-weights` wrote, timed the same
way: batch-1 forward over one observation's frames; forward + backward over batch x frames
images. Prints one JSON line.
Usage: encoder_torch.py WEIGHTS.safetensors THREADS WIDTH FRAMES BATCH [REPS]
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
from torchvision.models.resnet import BasicBlock

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "ref"))
from image_encoder_ref import PREFIX, SpatialSoftmax  # noqa: E402
from unet_torch import read_safetensors  # noqa: E402


def gn(c):
    return nn.GroupNorm(c // 16, c)


def layer(cin, cout, stride):
    down = None
    if stride != 1 or cin != cout:
        down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), gn(cout))
    return nn.Sequential(BasicBlock(cin, cout, stride, down, norm_layer=gn), BasicBlock(cout, cout, norm_layer=gn))


class Trunk(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.nets = nn.Sequential(nn.Conv2d(3, w, 7, 2, 3, bias=False), gn(w), nn.ReLU(inplace=True),
                                  nn.MaxPool2d(3, 2, 1), layer(w, w, 1), layer(w, 2 * w, 2), layer(2 * w, 4 * w, 2),
                                  layer(4 * w, 8 * w, 2))

    def forward(self, x):
        return self.nets(x)


class Encoder(nn.Module):
    def __init__(self, w, side):
        super().__init__()
        self.backbone = Trunk(w)
        self.pool = SpatialSoftmax(8 * w, side, side, 32)
        self.nets = nn.Sequential(self.backbone, self.pool, nn.Flatten(1, -1), nn.Linear(64, 64))

    def forward(self, x):
        return torch.relu(self.nets(x))


def median_ms(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(times)


def main():
    path, threads, width, frames, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    reps = int(sys.argv[6]) if len(sys.argv) > 6 else 20
    torch.set_num_threads(threads)
    enc = Encoder(width, 3)  # 84 -> 42 (stem) -> 21 (pool) -> 11 -> 6 -> 3
    tensors, _ = read_safetensors(path)
    missing, unexpected = enc.load_state_dict({k[len(PREFIX) + 1:]: v for k, v in tensors.items()}, strict=False)
    # Only the read-out's fixed buffers and the nets.0 / nets.1 aliases of backbone / pool are not in the file.
    assert not unexpected and all(k.startswith(("pool.t", "pool.pos", "nets.0.", "nets.1.")) for k in missing), missing
    one = torch.rand(frames, 3, 84, 84) * 2 - 1
    with torch.no_grad():
        fwd = median_ms(lambda: enc(one), reps)
    out = {"torch": torch.__version__, "threads": threads, "fwd_b1_ms": fwd}
    if batch:
        x = torch.rand(batch * frames, 3, 84, 84) * 2 - 1
        r = torch.randn(batch * frames, 64)

        def step():
            enc.zero_grad(set_to_none=True)
            (enc(x) * r).sum().backward()

        out["train_ms"] = median_ms(step, max(3, reps // 5))
        out["train_samples_per_s"] = 1e3 * batch / out["train_ms"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
