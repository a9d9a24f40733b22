"""PyTorch oracle for onedp's image encoder (src/model/image_encoder.h).

Builds Diffusion Policy's per-camera encoder as robomimic's VisualCore does: torchvision's
resnet18 without avgpool/fc (ResNet18Conv: nets = children[:-2]), every BatchNorm2d
replaced by GroupNorm(C // 16, C); SpatialSoftmax (1x1 conv to 32 keypoint maps, softmax
over positions, expected x, y on linspace(-1, 1) grids, output [x0, y0, x1, y1, ...]);
Flatten; Linear(64, 64); then the ObservationEncoder's ReLU. Writes:
  <out>/image_encoder_weights.safetensors  its parameters under obs_encoder.obs_nets.image
                                           (the unique names: backbone.*, pool.nets.*, nets.3.*)
  <out>/image_encoder_golden.safetensors   images, features and every parameter gradient (float64)
  <out>/image_encoder_table.json           names and shapes in state_dict order, unique parameters
Usage: image_encoder_ref.py OUTDIR
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(__file__))
from unet_ref import write_safetensors  # noqa: E402

PREFIX = "obs_encoder.obs_nets.image"


class ResNet18Conv(nn.Module):
    def __init__(self):
        super().__init__()
        net = torchvision.models.resnet18(weights=None)
        self.nets = nn.Sequential(*(list(net.children())[:-2]))

    def forward(self, x):
        return self.nets(x)


class SpatialSoftmax(nn.Module):
    def __init__(self, cin, h, w, keypoints):
        super().__init__()
        self.nets = nn.Conv2d(cin, keypoints, kernel_size=1)
        self.keypoints = keypoints
        self.register_buffer("temperature", torch.ones(1))  # robomimic's fixed 1.0
        pos_x, pos_y = np.meshgrid(np.linspace(-1.0, 1.0, w), np.linspace(-1.0, 1.0, h))
        self.register_buffer("pos_x", torch.from_numpy(pos_x.reshape(1, h * w)).float())
        self.register_buffer("pos_y", torch.from_numpy(pos_y.reshape(1, h * w)).float())

    def forward(self, x):
        f = self.nets(x)
        f = f.reshape(-1, f.shape[2] * f.shape[3])
        att = F.softmax(f / 1.0, dim=-1)
        ex = (self.pos_x.to(att.dtype) * att).sum(1, keepdim=True)
        ey = (self.pos_y.to(att.dtype) * att).sum(1, keepdim=True)
        return torch.cat([ex, ey], 1).view(-1, self.keypoints, 2)


class VisualCore(nn.Module):
    def __init__(self, image_size, keypoints=32, features=64):
        super().__init__()
        self.backbone = ResNet18Conv()
        for name, m in list(self.backbone.named_modules()):  # Diffusion Policy's BatchNorm -> GroupNorm
            for cname, c in list(m.named_children()):
                if isinstance(c, nn.BatchNorm2d):
                    setattr(m, cname, nn.GroupNorm(c.num_features // 16, c.num_features))
        side = image_size
        side = (side + 6 - 7) // 2 + 1  # conv1
        side = (side + 2 - 3) // 2 + 1  # maxpool
        for _ in range(3):  # layers 2..4 halve (3x3, stride 2, pad 1)
            side = (side + 2 - 3) // 2 + 1
        self.pool = SpatialSoftmax(512, side, side, keypoints)
        self.nets = nn.Sequential(self.backbone, self.pool, nn.Flatten(1, -1), nn.Linear(2 * keypoints, features))

    def forward(self, x):
        return F.relu(self.nets(x))


def unique_params(model, prefix=PREFIX):
    """Parameters by the names onedp keeps: the first name of each tensor, no buffers."""
    return {f"{prefix}.{n}": p for n, p in model.named_parameters()}


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    full = VisualCore(84)
    sd = full.state_dict()
    table = {"params": sum(p.numel() for p in full.parameters()),
             "tensors": [[k, list(v.shape)] for k, v in unique_params(full).items()],
             "state_dict": [[f"{PREFIX}.{k}", list(v.shape)] for k, v in sd.items()]}
    json.dump(table, open(os.path.join(out, "image_encoder_table.json"), "w"))

    # The reference encoder at PushT's crop, float64 forward and backward on 3 images.
    model = full
    with torch.no_grad():  # GroupNorm affines off their trivial init, so their gradients matter
        for n, p in model.named_parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn_like(p))
    write_safetensors(os.path.join(out, "image_encoder_weights.safetensors"),
                      {k: v for k, v in unique_params(model).items()}, {"format": "pt"})
    B = 3
    images = torch.rand(B, 3, 84, 84) * 2 - 1
    r = torch.randn(B, 64)
    m64 = model.double()
    feats = m64(images.double())
    (feats * r.double()).sum().backward()
    golden = {"images": images, "dfeatures": r, "features": feats}
    for n, p in unique_params(m64).items():
        golden["grad." + n] = p.grad
    write_safetensors(os.path.join(out, "image_encoder_golden.safetensors"), golden)


if __name__ == "__main__":
    main(sys.argv[1])
