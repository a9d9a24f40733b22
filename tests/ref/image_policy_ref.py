"""PyTorch oracle for onedp's image policy: camera encoders + ConditionalUnet1D trained together.

Diffusion Policy's hybrid image policy with obs_as_global_cond: each of the To frames goes
through one encoder per camera (tests/ref/image_encoder_ref.py's VisualCore), their 64
features each are followed by that frame's normalised low-dim features, the frames are
concatenated oldest first into the U-Net's global condition, and the noise-prediction loss
mean((unet(x_t, t, cond) - eps)^2) is back-propagated into every network. Two cases (CASES):
PushT's one camera and the arm tasks' two. Writes, for each case <name>:
  <out>/<name>_weights.safetensors  model.*, obs_encoder.*, normalizer.* (+ the config)
  <out>/<name>_golden.safetensors   inputs, loss and every parameter gradient (float64)
  <out>/image_policy_paper.json     the parameter count of the reference's PushT image policy
                                    (ResNet-18-GN encoder + U-Net 512/1024/2048: configs/pusht_image_paper.json)
Usage: image_policy_ref.py OUTDIR
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from image_encoder_ref import VisualCore, unique_params  # noqa: E402
from unet_ref import Unet, write_safetensors  # noqa: E402

B, TO, T = 2, 2, 16
OBS_NETS = "obs_encoder.obs_nets"


def policy_config(task, obs_key, cameras, frame, crop, lowdim, action_dim, down_dims, step_embed):
    unet = dict(input_dim=action_dim, global_cond_dim=TO * (64 * len(cameras) + lowdim),
                diffusion_step_embed_dim=step_embed, down_dims=down_dims, kernel_size=5, n_groups=8,
                cond_predict_scale=True)
    return {
        "task": {"name": task, "obs_key": obs_key},
        "model": unet,
        "policy": {"horizon": T, "n_obs_steps": TO, "n_action_steps": 8, "obs_dim": lowdim,
                   "action_dim": action_dim, "num_train_timesteps": 100},
        "encoder": {"kind": "image", "cameras": cameras, "image_height": frame, "image_width": frame,
                    "crop": crop, "width": 64, "keypoints": 32, "feature_dim": 64, "group_size": 16},
    }


# PushT's one camera ("image", 84 of 96, agent_pos), and the arm tasks' two (Diffusion
# Policy's robomimic image policies: agentview and eye-in-hand, 76 of 84, each its own
# encoder, the robot's 9 low-dim features after both cameras' features).
CASES = {
    "image_policy": policy_config("pusht_image", "agent_pos", ["image"], 96, 84, 2, 2, [16, 32, 64], 16),
    "image_policy_2cam": policy_config("square", "robot", ["agentview_image", "robot0_eye_in_hand_image"], 84, 76,
                                       9, 10, [16, 32, 64], 16),
}


def write_case(out, name, config):
    enc_cfg, pol = config["encoder"], config["policy"]
    cameras, S, L, Da = enc_cfg["cameras"], enc_cfg["crop"], pol["obs_dim"], pol["action_dim"]
    encs, unet = [VisualCore(S) for _ in cameras], Unet(config["model"])
    with torch.no_grad():  # GroupNorm affines off their trivial init
        for m in encs + [unet]:
            for _, p in m.named_parameters():
                if p.dim() == 1:
                    p.add_(0.1 * torch.randn_like(p))
    tensors = {f"model.{k}": v for k, v in unet.state_dict().items()}
    for cam, enc in zip(cameras, encs):
        tensors.update(unique_params(enc, f"{OBS_NETS}.{cam}"))
    for key, dim in (("obs", L), ("action", Da)):  # identity normalisers: inputs are already normalised
        tensors[f"normalizer.params_dict.{key}.scale"] = torch.ones(dim)
        tensors[f"normalizer.params_dict.{key}.offset"] = torch.zeros(dim)
    write_safetensors(os.path.join(out, f"{name}_weights.safetensors"), tensors,
                      {"format": "pt", "config": json.dumps(config)})

    images = {cam: torch.rand(B, TO, 3, S, S) * 2 - 1 for cam in cameras}
    lowdim = torch.rand(B, TO, L) * 2 - 1
    x_t, eps = torch.randn(B, T, Da), torch.randn(B, T, Da)
    t = torch.tensor([3.0, 71.0])
    encs64, unet64 = [e.double() for e in encs], unet.double()
    feats = [e(images[cam].double().reshape(B * TO, 3, S, S)).reshape(B, TO, 64) for cam, e in zip(cameras, encs64)]
    cond = torch.cat(feats + [lowdim.double()], dim=-1).reshape(B, -1)  # MultiImageObsEncoder: cameras, then low-dim
    loss = ((unet64(x_t.double(), t.double(), cond) - eps.double()) ** 2).mean()
    loss.backward()
    golden = {"lowdim": lowdim, "x_t": x_t, "eps": eps, "timestep": t, "loss": loss.reshape(1), "cond": cond}
    golden.update({f"images.{cam}": images[cam] for cam in cameras})
    for n, p in unet64.named_parameters():
        golden["grad.model." + n] = p.grad
    for cam, e in zip(cameras, encs64):
        for n, p in unique_params(e, f"{OBS_NETS}.{cam}").items():
            golden["grad." + n] = p.grad
    write_safetensors(os.path.join(out, f"{name}_golden.safetensors"), golden)


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    paper = [VisualCore(84), Unet(dict(CASES["image_policy"]["model"], diffusion_step_embed_dim=128,
                                       down_dims=[512, 1024, 2048]))]
    json.dump({"params": sum(p.numel() for m in paper for p in m.parameters())},
              open(os.path.join(out, "image_policy_paper.json"), "w"))
    del paper
    torch.manual_seed(1)
    for name, config in CASES.items():
        write_case(out, name, config)


if __name__ == "__main__":
    main(sys.argv[1])
