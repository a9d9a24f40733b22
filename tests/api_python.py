"""python/onedp.py against the C API and the evaluator's path: the act_loop scheme run
through the binding must print exactly what examples/act_loop.c (the C API) and
tests/api/api_ref.c (policy_predict at batch 1 on the evaluator's history and seeds) print
for the same observations and seed (same library, same kernels: %.9g prints floats
exactly); errors come back as exceptions with the library's message.
usage: api_python.py LIBONEDP_SO API_REF_BINARY ACT_LOOP_BINARY  (cwd: the repository)"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.getcwd(), "python"))
import onedp  # noqa: E402

lib, ref, act_loop = sys.argv[1], sys.argv[2], sys.argv[3]
ckpt, ticks, seed = "models/pusht_onedp_s.safetensors", 40, 7
onedp.load_library(lib)


def sensors(dim, tick):  # = examples/act_loop.c's read_sensors, in float32
    j = np.arange(dim)
    return (np.float32(256.0) + np.float32(90.0) * ((j * 37 + tick * 11) % 17 - 8).astype(np.float32)
            / np.float32(8.0)).astype(np.float32)


p = onedp.Policy(ckpt)
assert p.sampler == "onestep" and p.threads == 1 and (p.obs_dim, p.action_dim) == (20, 2), vars(p)
p.reset(seed)
lines = []
for tick in range(ticks):
    p.observe(sensors(p.obs_dim, tick))
    if tick % p.n_action_steps == 0:
        chunk = p.act()
        assert chunk.shape == (p.n_action_steps, p.action_dim) and chunk.dtype == np.float32
    a = chunk[tick % p.n_action_steps]
    lines.append(" ".join([str(tick)] + ["%.9g" % float(v) for v in a]))
got = "\n".join(lines) + "\n"
for name, prog in [("C API (act_loop)", act_loop), ("evaluator path (api_ref)", ref)]:
    want = subprocess.run([prog, ckpt, str(ticks), str(seed)], check=True, capture_output=True, text=True).stdout
    if got != want:
        print("python:\n" + got[:400] + "\n" + name + ":\n" + want[:400])
        sys.exit("python actions differ from the " + name)

for bad, words in [(lambda: onedp.Policy("/nonexistent.safetensors"), "/nonexistent.safetensors"),
                   (lambda: onedp.Policy(ckpt, sampler="euler:3"), "euler"),
                   (lambda: p.observe(np.full(20, np.nan, np.float32)), "NaN"),
                   (lambda: p.observe(np.zeros(3)), "obs_dim")]:
    try:
        bad()
        sys.exit("no exception for " + words)
    except onedp.Error as e:
        assert words in str(e), str(e)
p.reset(1)
try:
    p.act()
    sys.exit("act before observe did not raise")
except onedp.Error as e:
    assert "no observation" in str(e), str(e)
p.close()
print("ok: %d ticks identical to the C API and the evaluator's path, version %s" % (ticks, onedp.version()))
