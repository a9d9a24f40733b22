"""PyTorch oracle for onedp's image policy: camera encoder + ConditionalUnet1D trained together.

Diffusion Policy's hybrid image policy with obs_as_global_cond: each of the To frames goes
through the encoder (tests/ref/image_encoder_ref.py's VisualCore), its 64 features are
followed by that frame's normalised agent_pos (2), the frames are concatenated oldest first
into the U-Net's global condition, and the noise-prediction loss mean((unet(x_t, t, cond) - eps)^2)
is back-propagated into both networks. Writes:
  <out>/image_policy_weights.safetensors  model.*, obs_encoder.*, normalizer.* (+ the config)
  <out>/image_policy_golden.safetensors   inputs, loss and every parameter gradient (float64)
  <out>/image_policy_paper.json           the parameter count of the reference's PushT image policy
                                          (ResNet-18-GN encoder + U-Net 512/1024/2048: configs/pusht_image_paper.json)
Usage: image_policy_ref.py OUTDIR
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from image_encoder_ref import PREFIX, VisualCore, unique_params  # noqa: E402
from unet_ref import Unet, write_safetensors  # noqa: E402

B, TO, T, S = 2, 2, 16, 84
UNET = dict(input_dim=2, global_cond_dim=TO * (64 + 2), diffusion_step_embed_dim=16, down_dims=[16, 32, 64],
            kernel_size=5, n_groups=8, cond_predict_scale=True)
CONFIG = {
    "task": {"name": "pusht_image", "obs_key": "agent_pos"},
    "model": UNET,
    "policy": {"horizon": T, "n_obs_steps": TO, "n_action_steps": 8, "obs_dim": 2, "action_dim": 2,
               "num_train_timesteps": 100},
    "encoder": {"kind": "image", "image_height": 96, "image_width": 96, "crop": S, "width": 64, "keypoints": 32,
                "feature_dim": 64, "group_size": 16},
}


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    paper = [VisualCore(S), Unet(dict(UNET, diffusion_step_embed_dim=128, down_dims=[512, 1024, 2048]))]
    json.dump({"params": sum(p.numel() for m in paper for p in m.parameters())},
              open(os.path.join(out, "image_policy_paper.json"), "w"))
    del paper
    torch.manual_seed(1)
    enc, unet = VisualCore(S), Unet(UNET)
    with torch.no_grad():  # GroupNorm affines off their trivial init
        for m in (enc, unet):
            for _, p in m.named_parameters():
                if p.dim() == 1:
                    p.add_(0.1 * torch.randn_like(p))
    tensors = {f"model.{k}": v for k, v in unet.state_dict().items()}
    tensors.update(unique_params(enc))
    for key, dim in (("obs", 2), ("action", 2)):  # identity normalisers: inputs are already normalised
        tensors[f"normalizer.params_dict.{key}.scale"] = torch.ones(dim)
        tensors[f"normalizer.params_dict.{key}.offset"] = torch.zeros(dim)
    write_safetensors(os.path.join(out, "image_policy_weights.safetensors"), tensors,
                      {"format": "pt", "config": json.dumps(CONFIG)})

    images = torch.rand(B, TO, 3, S, S) * 2 - 1
    agent_pos = torch.rand(B, TO, 2) * 2 - 1
    x_t, eps = torch.randn(B, T, 2), torch.randn(B, T, 2)
    t = torch.tensor([3.0, 71.0])
    enc64, unet64 = enc.double(), unet.double()
    feats = enc64(images.double().reshape(B * TO, 3, S, S)).reshape(B, TO, 64)
    cond = torch.cat([feats, agent_pos.double()], dim=-1).reshape(B, -1)
    loss = ((unet64(x_t.double(), t.double(), cond) - eps.double()) ** 2).mean()
    loss.backward()
    golden = {"images": images, "agent_pos": agent_pos, "x_t": x_t, "eps": eps, "timestep": t,
              "loss": loss.reshape(1), "cond": cond}
    for n, p in unet64.named_parameters():
        golden["grad.model." + n] = p.grad
    for n, p in unique_params(enc64).items():
        golden["grad." + n] = p.grad
    write_safetensors(os.path.join(out, "image_policy_golden.safetensors"), golden)


if __name__ == "__main__":
    main(sys.argv[1])
