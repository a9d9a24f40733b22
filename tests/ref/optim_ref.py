"""PyTorch oracle for src/optim: AdamW, the cosine/constant lr schedules, global-norm
clipping and Diffusion Policy's EMA, on deterministic inputs written alongside the
results.  Usage: optim_ref.py OUT.bin   (run with Debian's /usr/bin/python3)."""
import math
import sys

import torch
from torch.optim.lr_scheduler import LambdaLR

sys.path.insert(0, __import__("os").path.dirname(__file__))
from refbin import RefWriter

torch.set_num_threads(1)
P, STEPS = 1000, 25


def cosine_lambda(warmup, total, num_cycles=0.5):
    # diffusers.optimization.get_cosine_schedule_with_warmup
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        progress = float(step - warmup) / float(max(1, total - warmup))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))
    return f


def adamw_case(w, name, gen, lr, betas, wd, warmup=None, total=None):
    p0 = torch.randn(P, generator=gen) * 0.5
    # gradients with a spread of magnitudes, some tiny (eps matters there)
    scales = torch.logspace(-6, 1, P)
    grads = [torch.randn(P, generator=gen) * scales for _ in range(STEPS)]
    p = torch.nn.Parameter(p0.clone())
    opt = torch.optim.AdamW([p], lr=lr, betas=betas, eps=1e-8, weight_decay=wd, foreach=False)
    sched = LambdaLR(opt, cosine_lambda(warmup, total)) if warmup is not None else None
    lrs = []
    for g in grads:
        lrs.append(opt.param_groups[0]["lr"])
        p.grad = g.clone()
        opt.step()
        if sched:
            sched.step()
    st = opt.state[p]
    w.put(name + ".cfg", [betas[0], betas[1], 1e-8, wd])
    w.put(name + ".lr", lrs)
    w.put(name + ".p0", p0)
    w.put(name + ".g", torch.stack(grads))
    w.put(name + ".p", p.detach())
    w.put(name + ".m", st["exp_avg"])
    w.put(name + ".v", st["exp_avg_sq"])


def schedules(w):
    for name, warm, total, n in [("cos500_5000", 500, 5000, 6000), ("cos0_10", 0, 10, 15),
                                 ("cos10_7", 10, 7, 20)]:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.AdamW([p], lr=1e-4)
        sched = LambdaLR(opt, cosine_lambda(warm, total))
        lrs = []
        for _ in range(n):  # lr used by each optimisation step, stepped per batch
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        w.put("sched." + name + ".cfg", [1e-4, warm, total])
        w.put("sched." + name, lrs)


def clipping(w, gen):
    sizes = [700, 3000, 12000, 5, 9000]  # the model's tensors, one flat buffer in C
    for name, scale, max_norm in [("big", 3.0, 1.0), ("small", 1e-3, 1.0), ("mid", 0.02, 2.5)]:
        grads = [torch.randn(s, generator=gen) * scale for s in sizes]
        ps = [torch.nn.Parameter(torch.zeros(s)) for s in sizes]
        for p, g in zip(ps, grads):
            p.grad = g.clone()
        norm = torch.nn.utils.clip_grad_norm_(ps, max_norm)
        w.put("clip." + name + ".max", [max_norm])
        w.put("clip." + name + ".g", torch.cat(grads))
        w.put("clip." + name + ".norm", [norm.item()])
        w.put("clip." + name + ".out", torch.cat([p.grad for p in ps]))


class EMAModelRef:
    """diffusion_policy.model.diffusion.ema_model.EMAModel.get_decay/step semantics
    for one trainable float parameter (no BatchNorm)."""

    def __init__(self, param, update_after_step=0, inv_gamma=1.0, power=0.75, min_value=0.0,
                 max_value=0.9999):
        self.avg = param.detach().clone()
        self.update_after_step, self.inv_gamma, self.power = update_after_step, inv_gamma, power
        self.min_value, self.max_value = min_value, max_value
        self.optimization_step = 0

    def get_decay(self, optimization_step):
        step = max(0, optimization_step - self.update_after_step - 1)
        value = 1 - (1 + step / self.inv_gamma) ** -self.power
        if step <= 0:
            return 0.0
        return max(self.min_value, min(value, self.max_value))

    @torch.no_grad()
    def step(self, param):
        self.decay = self.get_decay(self.optimization_step)
        self.avg.mul_(self.decay)
        self.avg.add_(param.data, alpha=1 - self.decay)
        self.optimization_step += 1


def ema(w, gen):
    p = torch.randn(P, generator=gen)
    e = EMAModelRef(p)
    decays, seq = [], []
    for n in range(40):
        p = p + 0.1 * torch.randn(P, generator=gen)  # the trained weights drift
        seq.append(p)
        e.step(p)
        decays.append(e.decay)
        if n == 0:
            w.put("ema.after1", e.avg)
    w.put("ema.p_last", p)
    w.put("ema.p_seq", torch.stack(seq))
    w.put("ema.avg", e.avg)
    w.put("ema.decays", decays)
    probe = [0, 1, 2, 3, 10, 100, 1000, 10000, 100000, 215444, 10 ** 6, 10 ** 7]
    w.put("ema.probe_n", probe)
    w.put("ema.probe_decay", [e.get_decay(n) for n in probe])


def main():
    w = RefWriter(sys.argv[1])
    gen = torch.Generator().manual_seed(1234)
    adamw_case(w, "adamw.dp", gen, 1e-4, (0.95, 0.999), 1e-6)
    adamw_case(w, "adamw.wd", gen, 1e-2, (0.95, 0.999), 0.1, warmup=5, total=20)
    adamw_case(w, "adamw.b0", gen, 1e-3, (0.0, 0.999), 0.0)
    adamw_case(w, "adamw.b0wd", gen, 2e-3, (0.0, 0.999), 0.05)
    schedules(w)
    clipping(w, gen)
    ema(w, gen)
    w.close()


if __name__ == "__main__":
    main()
