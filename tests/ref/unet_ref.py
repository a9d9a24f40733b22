"""PyTorch oracle for onedp's ConditionalUnet1D.

Builds Diffusion Policy's ConditionalUnet1D module tree (same module names, so the
same state_dict names), and writes:
  <out>/unet_golden_weights.safetensors  the state_dict of a small model (F32) + config
  <out>/unet_golden.safetensors          inputs, output and gradients, computed in float64
  <out>/unet_presets.json                parameter names/shapes/counts of the presets
Usage: unet_ref.py OUTDIR
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv1dBlock(nn.Module):
    def __init__(self, cin, cout, k, groups):
        super().__init__()
        self.block = nn.Sequential(nn.Conv1d(cin, cout, k, padding=k // 2), nn.GroupNorm(groups, cout), nn.Mish())

    def forward(self, x):
        return self.block(x)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, cond_dim, k, groups, scale):
        super().__init__()
        self.blocks = nn.ModuleList([Conv1dBlock(cin, cout, k, groups), Conv1dBlock(cout, cout, k, groups)])
        self.scale, self.cout = scale, cout
        self.cond_encoder = nn.Sequential(nn.Mish(), nn.Linear(cond_dim, 2 * cout if scale else cout))
        self.residual_conv = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, cond):
        h = self.blocks[0](x)
        e = self.cond_encoder(cond)[:, :, None]
        h = e[:, : self.cout] * h + e[:, self.cout :] if self.scale else h + e
        return self.blocks[1](h) + self.residual_conv(x)


class Down(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv1d(c, c, 3, 2, 1)

    def forward(self, x):
        return self.conv(x)


class Up(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.ConvTranspose1d(c, c, 4, 2, 1)

    def forward(self, x):
        return self.conv(x)


class StepEmbedding(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, t):
        half = self.dim // 2
        f = torch.exp(torch.arange(half, device=t.device) * -(math.log(10000) / (half - 1)))
        a = t[:, None] * f[None, :]
        return torch.cat((a.sin(), a.cos()), dim=-1)


class Unet(nn.Module):
    """Attribute assignment order fixes the state_dict order: mid, step encoder, up, down, final."""

    def __init__(self, c):
        super().__init__()
        dims = [c["input_dim"]] + list(c["down_dims"])
        k, g, s, dsed = c["kernel_size"], c["n_groups"], c["cond_predict_scale"], c["diffusion_step_embed_dim"]
        cond = dsed + c["global_cond_dim"]
        pairs = list(zip(dims[:-1], dims[1:]))
        rb = lambda i, o: ResBlock(i, o, cond, k, g, s)
        self.mid_modules = nn.ModuleList([rb(dims[-1], dims[-1]), rb(dims[-1], dims[-1])])
        self.diffusion_step_encoder = nn.Sequential(
            StepEmbedding(dsed), nn.Linear(dsed, 4 * dsed), nn.Mish(), nn.Linear(4 * dsed, dsed))
        self.up_modules = nn.ModuleList(
            [nn.ModuleList([rb(o * 2, i), rb(i, i), Up(i)]) for i, o in reversed(pairs[1:])])
        self.down_modules = nn.ModuleList(
            [nn.ModuleList([rb(i, o), rb(o, o), Down(o) if n < len(pairs) - 1 else nn.Identity()])
             for n, (i, o) in enumerate(pairs)])
        self.final_conv = nn.Sequential(Conv1dBlock(dims[1], dims[1], k, g), nn.Conv1d(dims[1], dims[0], 1))

    def forward(self, sample, t, global_cond):
        x = sample.transpose(1, 2)
        cond = self.diffusion_step_encoder(t)
        if global_cond is not None:
            cond = torch.cat([cond, global_cond], dim=-1)
        skips = []
        for r1, r2, down in self.down_modules:
            x = r2(r1(x, cond), cond)
            skips.append(x)
            x = down(x)
        for m in self.mid_modules:
            x = m(x, cond)
        for r1, r2, up in self.up_modules:
            x = up(r2(r1(torch.cat((x, skips.pop()), dim=1), cond), cond))
        return self.final_conv(x).transpose(1, 2)


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().to(torch.float32).numpy())
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


PRESETS = {
    "lowdim": dict(down_dims=[256, 512, 1024], diffusion_step_embed_dim=256, global_cond_dim=40),
    "image": dict(down_dims=[512, 1024, 2048], diffusion_step_embed_dim=128, global_cond_dim=132),
    "small": dict(down_dims=[64, 128, 256], diffusion_step_embed_dim=128, global_cond_dim=40),
}
BASE = dict(input_dim=2, kernel_size=5, n_groups=8, cond_predict_scale=True)


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    # Presets: names, shapes and counts in state_dict order (meta device: no memory).
    presets = {}
    for name, p in PRESETS.items():
        cfg = dict(BASE, **p)
        with torch.device("meta") if hasattr(torch, "device") and hasattr(torch.device, "__enter__") else _null():
            m = Unet(cfg)
        sd = m.state_dict()
        presets[name] = {"params": sum(v.numel() for v in sd.values()),
                         "tensors": [[k, list(v.shape)] for k, v in sd.items()]}
    json.dump(presets, open(os.path.join(out, "unet_presets.json"), "w"))

    # A small model, float64 reference for forward and backward.
    cfg = dict(input_dim=2, global_cond_dim=6, diffusion_step_embed_dim=16, down_dims=[16, 32, 64], kernel_size=5,
               n_groups=8, cond_predict_scale=True)
    model = Unet(cfg)
    with torch.no_grad():  # move GroupNorm affines off their trivial init so their gradients matter
        for n, p in model.named_parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn_like(p))
    write_safetensors(os.path.join(out, "unet_golden_weights.safetensors"), model.state_dict(),
                      {"format": "pt", "config": json.dumps(cfg)})
    B, T = 4, 16
    sample = torch.randn(B, T, 2)
    t = torch.tensor([0.0, 17.0, 65.0, 99.0])
    gc = torch.randn(B, 6)
    r = torch.randn(B, T, 2)
    m64 = model.double()
    out_ = m64(sample.double(), t.double(), gc.double())
    (out_ * r.double()).sum().backward()
    golden = {"sample": sample, "timestep": t, "global_cond": gc, "dout": r, "out": out_}
    for n, p in m64.named_parameters():
        golden["grad." + n] = p.grad
    write_safetensors(os.path.join(out, "unet_golden.safetensors"), golden)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


if __name__ == "__main__":
    main(sys.argv[1])
