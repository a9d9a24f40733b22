"""Oracle for `onedp import`: policies in exactly the formats of the projects onedp imports,
written at test time with random weights, and float64 PyTorch outputs to compare with.

  OUT/lerobot_v03/  config.json + model.safetensors with LeRobot <= 0.3's normalize buffers
                    (STATE, ENV and ACTION min-max), U-Net under LeRobot's names
  OUT/lerobot_v04/  lerobot >= 0.4: model.safetensors without buffers, the statistics in
                    policy_preprocessor_step_3_normalizer_processor.safetensors and
                    policy_postprocessor_step_0_unnormalizer_processor.safetensors; ENV unnormalised
  OUT/dp.ckpt       a Diffusion Policy workspace checkpoint: torch.save(payload, pickle_module=dill),
                    cfg an OmegaConf config with an ${eval:...} field, model and (different) EMA weights
  OUT/refuse_*/     LeRobot configs onedp must refuse (an image input, an ACT policy)
  OUT/import_golden.safetensors  per case: raw observation frames in onedp's PushT order
                    (keypoints 18, agent 2), the sample x, timesteps, and the network output
Usage: import_ref.py OUTDIR
"""
import json
import os
import sys

import dill
import torch
from omegaconf import OmegaConf

sys.path.insert(0, os.path.dirname(__file__))
from unet_ref import Unet, write_safetensors  # noqa: E402

To, S, V, A, B, T = 2, 2, 18, 2, 3, 16
CFG = dict(input_dim=A, global_cond_dim=To * (S + V), diffusion_step_embed_dim=32, down_dims=[32, 64], kernel_size=5,
           n_groups=8, cond_predict_scale=True)


def lerobot_name(k):
    k = k.replace(".blocks.0.", ".conv1.").replace(".blocks.1.", ".conv2.")
    if k.startswith(("down_modules.", "up_modules.")):
        k = k.replace(".2.conv.", ".2.")
    return "diffusion.unet." + k


def random_unet(seed):
    torch.manual_seed(seed)
    m = Unet(CFG)
    with torch.no_grad():
        for p in m.parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn_like(p))
    return m.double()


def lerobot_config(env_norm):
    mapping = {"VISUAL": "MEAN_STD", "STATE": "MIN_MAX", "ACTION": "MIN_MAX"}
    if env_norm:
        mapping["ENV"] = "MIN_MAX"
    return {"type": "diffusion", "n_obs_steps": To, "horizon": T, "n_action_steps": 8,
            "input_features": {"observation.state": {"type": "STATE", "shape": [S]},
                               "observation.environment_state": {"type": "ENV", "shape": [V]}},
            "output_features": {"action": {"type": "ACTION", "shape": [A]}},
            "normalization_mapping": mapping, "down_dims": CFG["down_dims"], "kernel_size": 5, "n_groups": 8,
            "diffusion_step_embed_dim": CFG["diffusion_step_embed_dim"], "use_film_scale_modulation": True,
            "noise_scheduler_type": "DDPM", "num_train_timesteps": 100, "beta_schedule": "squaredcos_cap_v2",
            "beta_start": 0.0001, "beta_end": 0.02, "prediction_type": "epsilon", "clip_sample": True,
            "clip_sample_range": 1.0, "num_inference_steps": None}


def minmax(x, lo, hi):
    return (x - lo) / (hi - lo + 1e-8) * 2 - 1


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(5)
    st_lo, st_hi = torch.rand(S, generator=g) * 50 + 10, torch.rand(S, generator=g) * 50 + 450
    env_lo, env_hi = torch.rand(V, generator=g) * 50, torch.rand(V, generator=g) * 50 + 400
    a_lo, a_hi = torch.rand(A, generator=g) * 30 + 5, torch.rand(A, generator=g) * 30 + 480
    state = torch.rand(B, To, S, generator=g, dtype=torch.float64) * 400 + 50
    env = torch.rand(B, To, V, generator=g, dtype=torch.float64) * 400 + 50
    x = torch.randn(B, T, A, generator=g, dtype=torch.float64)
    t = torch.tensor([3.0, 40.0, 97.0], dtype=torch.float64)
    golden = {"x": x, "timestep": t, "obs": torch.cat([env, state], dim=2)}  # onedp's PushT frame order
    stats = lambda lo, hi: (lo.double(), hi.double())

    for case, env_norm, seed in (("lerobot_v03", True, 1), ("lerobot_v04", False, 2)):
        d = os.path.join(out, case)
        os.makedirs(d, exist_ok=True)
        m = random_unet(seed)
        tensors = {lerobot_name(k): v for k, v in m.state_dict().items()}
        nstate = minmax(state, *stats(st_lo, st_hi))
        nenv = minmax(env, *stats(env_lo, env_hi)) if env_norm else env
        cond = torch.cat([nstate, nenv], dim=2).reshape(B, -1)  # LeRobot: [state, env] per step, time-major
        golden[case + ".eps"] = m(x, t, cond)
        golden[case + ".action_min"], golden[case + ".action_max"] = a_lo, a_hi
        if case == "lerobot_v03":
            for prefix in ("normalize_targets", "unnormalize_outputs"):
                tensors[prefix + ".buffer_action.min"], tensors[prefix + ".buffer_action.max"] = a_lo, a_hi
            tensors["normalize_inputs.buffer_observation_state.min"] = st_lo
            tensors["normalize_inputs.buffer_observation_state.max"] = st_hi
            tensors["normalize_inputs.buffer_observation_environment_state.min"] = env_lo
            tensors["normalize_inputs.buffer_observation_environment_state.max"] = env_hi
        else:
            pre = {"observation.state.min": st_lo, "observation.state.max": st_hi,
                   "observation.state.mean": (st_lo + st_hi) / 2, "observation.state.std": st_hi - st_lo,
                   "action.min": a_lo, "action.max": a_hi}
            write_safetensors(os.path.join(d, "policy_preprocessor_step_3_normalizer_processor.safetensors"), pre)
            write_safetensors(os.path.join(d, "policy_postprocessor_step_0_unnormalizer_processor.safetensors"),
                              {"action.min": a_lo, "action.max": a_hi})
        write_safetensors(os.path.join(d, "model.safetensors"), tensors, {"format": "pt"})
        json.dump(lerobot_config(env_norm), open(os.path.join(d, "config.json"), "w"), indent=4)

    for name, change in (("refuse_image", {"observation.image": {"type": "VISUAL", "shape": [3, 96, 96]}}),
                         ("refuse_act", None)):
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        c = lerobot_config(True)
        if change:
            c["input_features"].update(change)
        else:
            c["type"] = "act"
        json.dump(c, open(os.path.join(d, "config.json"), "w"))

    # Diffusion Policy: DiffusionUnetLowdimPolicy's state_dict (normalizer "limits" mode), EMA kept.
    model, ema = random_unet(3), random_unet(4)
    frame = torch.cat([env, state], dim=2)  # the reference's pusht_lowdim obs: keypoints, then agent_pos
    lo, hi = torch.cat([env_lo, st_lo]).double(), torch.cat([env_hi, st_hi]).double()
    scale = 2 / (hi - lo)
    offset = -1 - scale * lo
    a_scale = 2 / (a_hi - a_lo).double()
    a_offset = -1 - a_scale * a_lo.double()
    golden["dp.eps"] = ema((x), t, (frame * scale + offset).reshape(B, -1))
    golden["dp.action_min"], golden["dp.action_max"] = a_lo, a_hi

    def policy_sd(m):
        sd = {"_dummy_variable": torch.zeros(0)}
        sd.update({"model." + k: v.float() for k, v in m.state_dict().items()})
        sd["mask_generator._dummy_variable"] = torch.zeros(0)
        for key, (s, o, l, h) in {"obs": (scale, offset, lo, hi), "action": (a_scale, a_offset, a_lo, a_hi)}.items():
            p = "normalizer.params_dict.%s." % key
            sd[p + "scale"], sd[p + "offset"] = s.float(), o.float()
            sd[p + "input_stats.min"], sd[p + "input_stats.max"] = l.float(), h.float()
            sd[p + "input_stats.mean"], sd[p + "input_stats.std"] = ((l + h) / 2).float(), (h - l).float()
        return sd

    cfg = OmegaConf.create({
        "name": "train_diffusion_unet_lowdim", "horizon": T, "n_obs_steps": To, "n_action_steps": 8,
        "n_latency_steps": 0, "obs_dim": S + V, "action_dim": A, "obs_as_global_cond": True,
        "keypoint_visible_rate": "${eval:'1.0'}",
        "policy": {"_target_": "diffusion_policy.policy.diffusion_unet_lowdim_policy.DiffusionUnetLowdimPolicy",
                   "model": {"_target_": "diffusion_policy.model.diffusion.conditional_unet1d.ConditionalUnet1D",
                             "input_dim": "${action_dim}", "local_cond_dim": None,
                             "global_cond_dim": "${eval:'${obs_dim}*${n_obs_steps}'}",
                             "diffusion_step_embed_dim": CFG["diffusion_step_embed_dim"],
                             "down_dims": CFG["down_dims"], "kernel_size": 5, "n_groups": 8,
                             "cond_predict_scale": True},
                   "noise_scheduler": {"_target_": "diffusers.schedulers.scheduling_ddpm.DDPMScheduler",
                                       "num_train_timesteps": 100, "beta_start": 0.0001, "beta_end": 0.02,
                                       "beta_schedule": "squaredcos_cap_v2", "variance_type": "fixed_small",
                                       "clip_sample": True, "prediction_type": "epsilon"},
                   "horizon": "${horizon}", "obs_dim": "${obs_dim}", "action_dim": "${action_dim}",
                   "n_action_steps": "${n_action_steps}", "n_obs_steps": "${n_obs_steps}",
                   "num_inference_steps": 100, "obs_as_global_cond": "${obs_as_global_cond}"},
        "training": {"use_ema": True, "seed": 42}})
    payload = {"cfg": cfg, "state_dicts": {"model": policy_sd(model), "ema_model": policy_sd(ema)},
               "pickles": {"global_step": dill.dumps(1000), "epoch": dill.dumps(10)}}
    torch.save(payload, open(os.path.join(out, "dp.ckpt"), "wb"), pickle_module=dill)
    write_safetensors(os.path.join(out, "import_golden.safetensors"), golden)


if __name__ == "__main__":
    main(sys.argv[1])
