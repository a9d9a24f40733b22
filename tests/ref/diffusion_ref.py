"""Oracle for src/diffusion: diffusers' DDPM/DDIM formulas re-implemented in PyTorch
(diffusers itself is not installed), float32 as the schedulers hold them; and EDM's
preconditioning, Karras grid and quantile levels in float64 as Consistency Policy's
Karras_Scheduler writes them (get_scalings, timesteps_to_times) and the log-normal
quantiles from Python's statistics.NormalDist.
Usage: diffusion_ref.py OUT.bin   (run with Debian's /usr/bin/python3)."""
import math
import os
import statistics
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from refbin import RefWriter

N_TRAIN = 100
N_VALUES = 4 * 16 * 2  # a (B, T, Da) action batch


def betas_for_alpha_bar(num_diffusion_timesteps, max_beta=0.999):
    # diffusers.schedulers.scheduling_ddpm.betas_for_alpha_bar ("squaredcos_cap_v2")
    def alpha_bar(time_step):
        return math.cos((time_step + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = []
    for i in range(num_diffusion_timesteps):
        t1 = i / num_diffusion_timesteps
        t2 = (i + 1) / num_diffusion_timesteps
        betas.append(min(1 - alpha_bar(t2) / alpha_bar(t1), max_beta))
    return torch.tensor(betas, dtype=torch.float32)


betas = betas_for_alpha_bar(N_TRAIN)
alphas = 1.0 - betas
alphas_cumprod = torch.cumprod(alphas, dim=0)
one = torch.tensor(1.0)


def abar(t):
    return alphas_cumprod[t] if t >= 0 else one


def ddpm_step(model_output, t, sample, noise, prev_t, v011=False):
    """DDPMScheduler.step, epsilon, clip_sample, fixed_small. The default follows the
    later diffusers form (α_t = ᾱ_t/ᾱ_prev), which docs/facts.md §4 writes down; v011 uses
    0.11's alphas[t]/betas[t] (identical for prev_t = t−1 up to float rounding)."""
    alpha_prod_t = abar(t)
    alpha_prod_t_prev = abar(prev_t)
    beta_prod_t = 1 - alpha_prod_t
    beta_prod_t_prev = 1 - alpha_prod_t_prev
    if v011:
        current_alpha_t, current_beta_t = alphas[t], betas[t]
    else:
        current_alpha_t = alpha_prod_t / alpha_prod_t_prev
        current_beta_t = 1 - current_alpha_t
    pred_original_sample = (sample - beta_prod_t ** (0.5) * model_output) / alpha_prod_t ** (0.5)
    pred_original_sample = torch.clamp(pred_original_sample, -1, 1)
    pred_original_sample_coeff = (alpha_prod_t_prev ** (0.5) * current_beta_t) / beta_prod_t
    current_sample_coeff = current_alpha_t ** (0.5) * beta_prod_t_prev / beta_prod_t
    pred_prev_sample = pred_original_sample_coeff * pred_original_sample + current_sample_coeff * sample
    if t > 0:
        variance = (1 - alpha_prod_t_prev) / (1 - alpha_prod_t) * current_beta_t
        variance = torch.clamp(variance, min=1e-20)
        pred_prev_sample = pred_prev_sample + (variance ** 0.5) * noise
    return pred_prev_sample, pred_original_sample


def ddim_step(model_output, t, sample, prev_t, eta=0.0):
    """DDIMScheduler.step (0.11): clip_sample, set_alpha_to_one, no clipped-output reuse."""
    alpha_prod_t = abar(t)
    alpha_prod_t_prev = alphas_cumprod[prev_t] if prev_t >= 0 else torch.tensor(1.0)
    beta_prod_t = 1 - alpha_prod_t
    beta_prod_t_prev = 1 - alpha_prod_t_prev
    pred_original_sample = (sample - beta_prod_t ** (0.5) * model_output) / alpha_prod_t ** (0.5)
    pred_original_sample = torch.clamp(pred_original_sample, -1, 1)
    variance = (beta_prod_t_prev / beta_prod_t) * (1 - alpha_prod_t / alpha_prod_t_prev)
    std_dev_t = eta * variance ** (0.5)
    pred_sample_direction = (1 - alpha_prod_t_prev - std_dev_t ** 2) ** (0.5) * model_output
    return alpha_prod_t_prev ** (0.5) * pred_original_sample + pred_sample_direction


def leading(n):
    # DDIMScheduler.set_timesteps (0.11), steps_offset 0
    step_ratio = N_TRAIN // n
    return (np.arange(0, n) * step_ratio).round()[::-1].copy().astype(np.int64)


def trailing(n):
    # later diffusers, timestep_spacing="trailing"
    step_ratio = N_TRAIN / n
    return np.round(np.arange(N_TRAIN, 0, -step_ratio)).astype(np.int64) - 1


def main():
    w = RefWriter(sys.argv[1])
    w.put("betas", betas)
    w.put("alphas_cumprod", alphas_cumprod)
    gen = torch.Generator().manual_seed(4321)
    x = torch.randn(N_VALUES, generator=gen) * 1.2
    eps = torch.randn(N_VALUES, generator=gen)
    z = torch.randn(N_VALUES, generator=gen)
    x0 = torch.rand(N_VALUES, generator=gen) * 2 - 1
    w.put("x", x)
    w.put("eps", eps)
    w.put("z", z)
    w.put("x0", x0)
    pairs = [(99, 98), (95, 94), (65, 64), (50, 49), (10, 9), (1, 0), (0, -1), (90, 80), (0, -10)]
    w.put("ddpm.pairs", [v for p in pairs for v in p])
    for i, (t, pt) in enumerate(pairs):
        out, pred_x0 = ddpm_step(eps, t, x, z, pt)
        w.put("ddpm.out%d" % i, out)
        w.put("ddpm.x0_%d" % i, pred_x0)
        if pt == t - 1:
            w.put("ddpm011.out%d" % i, ddpm_step(eps, t, x, z, pt, v011=True)[0])
    dpairs = [(90, 80), (10, 0), (0, -10), (0, -100), (99, -1), (99, 89), (9, -1), (66, 33), (32, -1)]
    w.put("ddim.pairs", [v for p in dpairs for v in p])
    for i, (t, pt) in enumerate(dpairs):
        w.put("ddim.out%d" % i, ddim_step(eps, t, x, pt))
    ns = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 20, 25, 30, 33, 40, 50, 64, 99, 100]
    w.put("ts.n", ns)
    for n in ns:
        w.put("ts.leading%d" % n, leading(n))
        w.put("ts.trailing%d" % n, trailing(n))
    tb = [0, 17, 65, 99]  # one timestep per batch element, 32 values each
    noisy = torch.cat([alphas_cumprod[t] ** 0.5 * x0[32 * b:32 * (b + 1)]
                       + (1 - alphas_cumprod[t]) ** 0.5 * eps[32 * b:32 * (b + 1)]
                       for b, t in enumerate(tb)])
    w.put("noise.t", tb)
    w.put("noise.xt", noisy)
    put_edm(w, x0.double(), eps.double())
    w.close()


EDM = dict(sigma_min=0.02, sigma_max=80.0, sigma_data=0.5, rho=7.0, p_mean=-1.2, p_std=1.2)
EDM_LEVELS = 1000


def edm_scalings(sigma):
    sd = EDM["sigma_data"]
    c_skip = sd ** 2 / (sigma ** 2 + sd ** 2)
    c_out = sigma * sd / (sigma ** 2 + sd ** 2) ** 0.5
    c_in = 1 / (sigma ** 2 + sd ** 2) ** 0.5
    return c_skip, c_out, c_in, 1000 * 0.25 * torch.log(sigma)


def karras(bins):
    if bins == 1:
        return torch.tensor([EDM["sigma_max"], 0.0], dtype=torch.float64)
    r = 1 / EDM["rho"]
    t = torch.arange(bins, dtype=torch.float64)
    s = (EDM["sigma_max"] ** r + t / (bins - 1) * (EDM["sigma_min"] ** r - EDM["sigma_max"] ** r)) ** EDM["rho"]
    return torch.cat([s, torch.zeros(1, dtype=torch.float64)])


def put_edm(w, x0, eps):
    nd = statistics.NormalDist()
    levels = torch.tensor([math.exp(EDM["p_mean"] + EDM["p_std"] * nd.inv_cdf((k + 0.5) / EDM_LEVELS))
                           for k in range(EDM_LEVELS)], dtype=torch.float64)
    w.put("edm.level_sigma", levels)
    sig = torch.tensor([0.002, 0.02, 0.3, 1.0, 2.5, 12.0, 80.0], dtype=torch.float64)
    w.put("edm.sigmas", sig)
    for name, v in zip(("c_skip", "c_out", "c_in", "c_noise"), edm_scalings(sig)):
        w.put("edm." + name, v)
    for n in (1, 2, 10, 18):
        w.put("edm.karras%d" % n, karras(n))
    lv = [0, 500, 961, 999]  # one level per batch element, 32 values each
    xk, target = [], []
    for b, k in enumerate(lv):
        sl = slice(32 * b, 32 * (b + 1))
        c_skip, c_out, c_in, _ = edm_scalings(levels[k])
        y = x0[sl] + levels[k] * eps[sl]
        xk.append(c_in * y)
        target.append((x0[sl] - c_skip * y) / c_out)
    w.put("edm.levels", lv)
    w.put("edm.xk", torch.cat(xk))
    w.put("edm.target", torch.cat(target))


if __name__ == "__main__":
    main()
