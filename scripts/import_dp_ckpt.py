"""Diffusion Policy workspace checkpoint (.ckpt) -> a safetensors that `onedp import` maps.

A workspace checkpoint is torch.save(payload, pickle_module=dill) with payload = {'cfg':
OmegaConf config, 'state_dicts': {'model', 'ema_model', 'optimizer'}, 'pickles': {...}}
(real-stanford/diffusion_policy, workspace/base_workspace.py). A pickle is never parsed in
C: this script (Debian's python3-torch, python3-dill, python3-omegaconf) writes the policy's
tensors under their own names (the EMA model's when the run kept one: what eval.py runs)
and the config fields onedp needs as the metadata "dp_config". Low-dim U-Net policies with
global conditioning only (DiffusionUnetLowdimPolicy, obs_as_global_cond).
Usage: import_dp_ckpt.py IN.ckpt OUT.safetensors
"""
import json
import struct
import sys

import dill
import numpy as np
import torch
from omegaconf import OmegaConf

SUPPORTED = "diffusion_policy.policy.diffusion_unet_lowdim_policy.DiffusionUnetLowdimPolicy"


def fail(msg):
    sys.stderr.write("import_dp_ckpt: %s\n" % msg)
    sys.exit(1)


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().to(torch.float32).numpy())
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main(src, dst):
    if not OmegaConf.has_resolver("eval"):
        OmegaConf.register_new_resolver("eval", eval, replace=True)  # the workspace configs use ${eval:...}
    payload = torch.load(open(src, "rb"), pickle_module=dill, map_location="cpu")
    cfg = OmegaConf.to_container(payload["cfg"], resolve=True)
    policy = cfg.get("policy", {})
    if policy.get("_target_") != SUPPORTED:
        fail("policy %s: onedp imports %s (low-dim, U-Net)" % (policy.get("_target_"), SUPPORTED))
    sds = payload["state_dicts"]
    use_ema = cfg.get("training", {}).get("use_ema", False) and "ema_model" in sds
    sd = sds["ema_model" if use_ema else "model"]
    model, sched = policy.get("model", {}), policy.get("noise_scheduler", {})
    fields = dict(
        obs_dim=cfg["obs_dim"], action_dim=cfg["action_dim"], horizon=cfg["horizon"], n_obs_steps=cfg["n_obs_steps"],
        n_action_steps=cfg["n_action_steps"], obs_as_global_cond=bool(cfg.get("obs_as_global_cond", True)),
        down_dims=list(model["down_dims"]), kernel_size=model["kernel_size"], n_groups=model["n_groups"],
        cond_predict_scale=bool(model["cond_predict_scale"]),
        diffusion_step_embed_dim=model["diffusion_step_embed_dim"],
        num_train_timesteps=sched.get("num_train_timesteps", 100),
        beta_schedule=sched.get("beta_schedule", "squaredcos_cap_v2"),
        prediction_type=sched.get("prediction_type", "epsilon"), weights="ema_model" if use_ema else "model")
    keep = {k: v for k, v in sd.items() if k.startswith("model.") or k in (
        "normalizer.params_dict.obs.scale", "normalizer.params_dict.obs.offset",
        "normalizer.params_dict.action.scale", "normalizer.params_dict.action.offset")}
    write_safetensors(dst, keep, {"format": "pt", "dp_config": json.dumps(fields), "source": src})


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail("usage: import_dp_ckpt.py IN.ckpt OUT.safetensors")
    main(sys.argv[1], sys.argv[2])
