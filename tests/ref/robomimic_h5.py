# Oracle for src/data/robomimic.c (h5py + numpy), run by tests/robomimic.cmake:
#   robomimic_h5.py TOOL WORKDIR MODE      TOOL: build/test_robomimic (its argv modes)
# MODE
#   read     h5py writes a file as robomimic does (demo_0..demo_11 created out of order, env_args
#            a str attribute, a mask group, gzip images, float64 obs); every value the C reader
#            dumps must equal h5py's
#   write    the C writer's formula file (test_robomimic.c: formula, pixel) checked with h5py:
#            dtypes, shapes, attributes (str), numeric demo order, gzip images, next_obs, total
#   windows  rm_sequence_open's windows (splits, padding, obs concatenation, rot6d actions for
#            one and two arms) against Diffusion Policy's code ported to numpy
#   bad      damaged and unusual h5py files: each error exactly one line naming the file (no
#            HDF5 stack printed), the unusual-but-valid ones read
#   rot      the rotation helpers against pytorch3d's functions ported to numpy
import json
import os
import subprocess
import sys

import h5py
import numpy as np

TOOL, WORK, MODE = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(WORK, exist_ok=True)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL", what)


def run(*args, stdin=None):
    p = subprocess.run([TOOL, *args], input=stdin, capture_output=True, text=True)
    check("HDF5-DIAG" not in p.stdout + p.stderr, f"{args[0]}: HDF5 printed its error stack")
    return p


LOWDIM = {"robot0_eef_pos": 3, "robot0_eef_quat": 4, "robot0_gripper_qpos": 2, "object": 10}
ENV_ARGS = {"env_name": "Lift", "type": 1, "env_kwargs": {"has_renderer": False, "controller": "OSC_POSE", "note": "ü"}}


def write_robomimic(path, lengths, action_dim=7, image=(84, 84), seed=0):
    """A file laid out as robomimic's scripts write it; returns nothing (read it back with h5py)."""
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        order = rng.permutation(len(lengths))  # creation order must not matter
        for i in order:
            n = int(lengths[i])
            g = data.create_group(f"demo_{i}")
            g.attrs["num_samples"] = n
            g.attrs["model_file"] = f'<mujoco model="demo_{i}"><worldbody/></mujoco>'
            actions = rng.uniform(-1, 1, (n, action_dim))
            for arm in range(action_dim // 7):  # axis-angle up to pi (and one tiny)
                aa = rng.normal(size=(n, 3))
                aa *= (rng.uniform(0, np.pi, (n, 1)) / np.linalg.norm(aa, axis=1, keepdims=True))
                aa[0] *= 1e-8
                actions[:, arm * 7 + 3:arm * 7 + 6] = aa
            g.create_dataset("actions", data=actions)
            g.create_dataset("states", data=rng.normal(size=(n, 32)))
            g.create_dataset("rewards", data=(np.arange(n) == n - 1).astype(np.float64))
            g.create_dataset("dones", data=(np.arange(n) == n - 1).astype(np.int64))
            obs = {k: rng.normal(size=(n + 1, d)) for k, d in LOWDIM.items()}
            if image:
                obs["agentview_image"] = rng.integers(0, 256, (n + 1, *image, 3), dtype=np.uint8)
            for group, rows in (("obs", slice(0, n)), ("next_obs", slice(1, n + 1))):
                for k, v in obs.items():
                    kw = dict(compression="gzip") if v.ndim == 4 else {}
                    g.create_dataset(f"{group}/{k}", data=v[rows], **kw)
        data.attrs["total"] = int(sum(lengths))
        data.attrs["env_args"] = json.dumps(ENV_ARGS, ensure_ascii=False)
        mask = f.create_group("mask")
        names = [f"demo_{i}".encode() for i in range(len(lengths))]
        mask.create_dataset("train", data=np.array(names[:-2], dtype="S"))
        mask.create_dataset("valid", data=np.array(names[-2:], dtype="S"))


def demo_order(f):
    return sorted(f["data"].keys(), key=lambda k: int(k[5:]))


# ---------------------------------------------------------------- read


def mode_read():
    path, out = f"{WORK}/ref.hdf5", f"{WORK}/dump"
    write_robomimic(path, [3 + (i * 5) % 7 for i in range(12)])
    os.makedirs(out, exist_ok=True)
    p = run("dump", path, out)
    check(p.returncode == 0 and not p.stderr, f"dump: rc {p.returncode} {p.stderr}")
    raw = open(f"{out}/manifest.txt", "rb").read()
    head, rest = raw.split(b"\n", 1)
    n = int(head.split()[1])
    with h5py.File(path, "r") as f:
        check(rest[:n].decode() == f["data"].attrs["env_args"], "env_args")
        lines = rest[n + 1:].decode().splitlines()
        demos = [l.split() for l in lines if l.startswith("demo ")]
        check([d[1] for d in demos] == demo_order(f), f"demo order {[d[1] for d in demos]}")
        check([int(d[2]) for d in demos] == [f["data"][d[1]].attrs["num_samples"] for d in demos], "num_samples")
        seen, count = set(), 0
        for l in lines:
            if l.startswith("demo "):
                continue
            kind, demo, key, rows, dim, h, w, name = l.split()
            g = f["data"][demo]
            blob = open(f"{out}/{name}", "rb").read()
            seen.add((demo, key))
            if kind == "text":
                check(blob.decode() == g.attrs["model_file"], f"{demo} model_file")
                continue
            want = g[key][()]
            got = np.frombuffer(blob, np.uint8 if kind == "u8" else np.float64).reshape(want.shape)
            check(np.array_equal(got, want.astype(got.dtype)), f"{demo}/{key} values")
            count += want.size
        want_keys = {(d, k) for d in f["data"] for k in ["actions", "states", "rewards", "dones", "model_file"]
                     + [f"{g}/{k}" for g in ("obs", "next_obs") for k in f["data"][d][g]]}
        check(seen == want_keys, f"keys dumped: {sorted(want_keys - seen)} missing")
        print(f"read: {len(demos)} demos, {count} values equal")


# ---------------------------------------------------------------- write


def formula(d, a, t, j):  # test_robomimic.c's formula
    return d * 1000 + a * 100 + t + j / 8.0


def mode_write():
    path = f"{WORK}/written.hdf5"
    p = run("write", path)
    check(p.returncode == 0, f"write: {p.stderr}")
    with h5py.File(path, "r") as f:
        check(list(f.keys()) == ["data"], f"top level {list(f.keys())}")
        data = f["data"]
        check(isinstance(data.attrs["env_args"], str), "env_args decodes as str")
        env = json.loads(data.attrs["env_args"])
        check(env["env_name"] == "Lift" and env["env_kwargs"]["note"] == "ü", f"env_args {env}")
        order = demo_order(f)
        check(order == [f"demo_{i}" for i in range(12)], f"demos {order}")
        total = 0
        for name in order:
            d, g = int(name[5:]), data[name]
            n = 2 + (d * 7) % 5
            total += n
            ns = g.attrs["num_samples"]
            check(ns == n and ns.dtype == np.int64, f"{name} num_samples {ns!r}")
            check(g.attrs["model_file"] == f'<mujoco model="demo_{d}"/>', f"{name} model_file")
            t = np.arange(n)[:, None]
            for key, a, dim in (("actions", 0, 7), ("states", 1, 5)):
                check(g[key].dtype == np.float64 and g[key].shape == (n, dim), f"{name}/{key} {g[key].dtype} {g[key].shape}")
                check(np.array_equal(g[key][()], formula(d, a, t, np.arange(dim))), f"{name}/{key} values")
            check(g["rewards"].shape == (n,) and np.array_equal(g["rewards"][()], formula(d, 2, np.arange(n), 0)), "rewards")
            check(g["dones"].dtype == np.int64 and list(g["dones"][()]) == [0] * (n - 1) + [1], f"{name}/dones")
            check(sorted(g.keys()) == ["actions", "dones", "next_obs", "obs", "rewards", "states"], f"{name} keys")
            for group, shift in (("obs", 0), ("next_obs", 1)):
                for k, (key, a, dim) in enumerate((("robot0_eef_pos", 3, 3), ("object", 4, 10))):
                    ds = g[group][key]
                    check(ds.dtype == np.float64 and ds.shape == (n, dim), f"{name}/{group}/{key} layout")
                    check(np.array_equal(ds[()], formula(d, a, t + shift, np.arange(dim))), f"{name}/{group}/{key}")
                img = g[group]["agentview_image"]
                check(img.dtype == np.uint8 and img.shape == (n, 6, 5, 3), f"{name}/{group} image layout")
                check(img.compression == "gzip" and img.chunks is not None, f"{name}/{group} image gzip")
                tt, y, x, c = np.meshgrid(np.arange(n) + shift, np.arange(6), np.arange(5), np.arange(3), indexing="ij")
                check(np.array_equal(img[()], ((d * 31 + tt * 7 + y * 5 + x * 3 + c) & 255).astype(np.uint8)),
                      f"{name}/{group} pixels")
        check(data.attrs["total"] == total and data.attrs["total"].dtype == np.int64, f"total {data.attrs['total']!r}")
        print(f"write: 12 demos, {total} samples, layout as robomimic")


# ---------------------------------------------------------------- windows (Diffusion Policy, ported)


def axis_angle_to_matrix(aa):  # pytorch3d: axis_angle_to_quaternion, quaternion_to_matrix
    angles = np.linalg.norm(aa, axis=-1, keepdims=True)
    small = np.abs(angles) < 1e-6
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(small, 0.5 - angles * angles / 48, np.sin(angles * 0.5) / angles)
    q = np.concatenate([np.cos(angles * 0.5), aa * s], axis=-1)
    r, i, j, k = np.moveaxis(q, -1, 0)
    two_s = 2.0 / (q * q).sum(-1)
    o = np.stack([1 - two_s * (j * j + k * k), two_s * (i * j - k * r), two_s * (i * k + j * r),
                  two_s * (i * j + k * r), 1 - two_s * (i * i + k * k), two_s * (j * k - i * r),
                  two_s * (i * k - j * r), two_s * (j * k + i * r), 1 - two_s * (i * i + j * j)], -1)
    return o.reshape(q.shape[:-1] + (3, 3))


def rotation_6d_to_matrix(d6):
    def normalize(x):
        return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
    b1 = normalize(d6[..., :3])
    b2 = normalize(d6[..., 3:] - (b1 * d6[..., 3:]).sum(-1, keepdims=True) * b1)
    return np.stack([b1, b2, np.cross(b1, b2)], axis=-2)


def matrix_to_axis_angle(m):  # pytorch3d: matrix_to_quaternion (standardized), quaternion_to_axis_angle
    m00, m01, m02, m10, m11, m12, m20, m21, m22 = np.moveaxis(m.reshape(m.shape[:-2] + (9,)), -1, 0)
    q_abs = np.sqrt(np.maximum(np.stack([1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22,
                                         1 - m00 - m11 + m22], -1), 0))
    cand = np.stack([np.stack([q_abs[..., 0] ** 2, m21 - m12, m02 - m20, m10 - m01], -1),
                     np.stack([m21 - m12, q_abs[..., 1] ** 2, m10 + m01, m02 + m20], -1),
                     np.stack([m02 - m20, m10 + m01, q_abs[..., 2] ** 2, m12 + m21], -1),
                     np.stack([m10 - m01, m20 + m02, m21 + m12, q_abs[..., 3] ** 2], -1)], -2)
    cand = cand / (2.0 * np.maximum(q_abs[..., None], 0.1))
    q = np.take_along_axis(cand, q_abs.argmax(-1)[..., None, None], -2)[..., 0, :]
    q = np.where(q[..., :1] < 0, -q, q)
    norms = np.linalg.norm(q[..., 1:], axis=-1, keepdims=True)
    angles = 2 * np.arctan2(norms, q[..., :1])
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(np.abs(angles) < 1e-6, 0.5 - angles * angles / 48, np.sin(angles * 0.5) / angles)
    return q[..., 1:] / s


def get_val_mask(n_episodes, val_ratio, seed):  # diffusion_policy/common/sampler.py
    val_mask = np.zeros(n_episodes, dtype=bool)
    if val_ratio <= 0:
        return val_mask
    n_val = min(max(1, round(n_episodes * val_ratio)), n_episodes - 1)
    val_mask[np.random.default_rng(seed=seed).choice(n_episodes, size=n_val, replace=False)] = True
    return val_mask


def downsample_mask(mask, max_n, seed):
    if max_n is not None and np.sum(mask) > max_n:
        idxs = np.nonzero(mask)[0]
        keep = idxs[np.random.default_rng(seed=seed).choice(len(idxs), size=int(max_n), replace=False)]
        mask = np.zeros_like(mask)
        mask[keep] = True
    return mask


def create_indices(episode_ends, T, pad_before, pad_after, mask):
    indices = []
    for i in range(len(episode_ends)):
        if not mask[i]:
            continue
        start = episode_ends[i - 1] if i > 0 else 0
        length = episode_ends[i] - start
        for idx in range(-pad_before, length - T + pad_after + 1):
            bs, be = max(idx, 0) + start, min(idx + T, length) + start
            so, eo = bs - (idx + start), (idx + T + start) - be
            indices.append((bs, be, so, T - eo))
    return indices


def sample(x, w, T):  # SequenceSampler.sample_sequence
    bs, be, ss, se = w
    out = np.empty((T,) + x.shape[1:], x.dtype)
    out[:ss], out[se:], out[ss:se] = x[bs], x[be - 1], x[bs:be]
    return out


def dp_arrays(path, keys, abs_action):  # robomimic_replay_lowdim_dataset._data_to_obs
    with h5py.File(path, "r") as f:
        demos = f["data"]
        obs, act, ends = [], [], []
        for i in range(len(demos)):
            d = demos[f"demo_{i}"]
            obs.append(np.concatenate([d["obs"][k][()] for k in keys], axis=-1).astype(np.float32))
            a = d["actions"][()]
            if abs_action:
                arms = a.shape[-1] // 7
                a = a.reshape(-1, arms, 7)
                r6 = axis_angle_to_matrix(a[..., 3:6])[..., :2, :].reshape(a.shape[:-1] + (6,))
                a = np.concatenate([a[..., :3], r6, a[..., 6:]], -1).reshape(-1, arms * 10)
            act.append(a.astype(np.float32))
            ends.append(len(a) + (ends[-1] if ends else 0))
    return np.concatenate(obs), np.concatenate(act), np.array(ends)


def parse_windows(text):
    lines, out = text.splitlines(), {}
    i, split = 1, None
    while i < len(lines):
        w = lines[i].split()
        if w[0] == "split":
            split = out.setdefault(w[1], [])
            i += 1
        else:
            split.append((tuple(int(v) for v in w[1:]), np.array(lines[i + 1].split(), np.float32),
                          np.array(lines[i + 2].split(), np.float32)))
            i += 3
    return out


def check_windows(path, keys, abs_action, T=8, To=2, Ta=4, val=0.2, seed=42, max_train=6):
    out = f"{path}.windows{int(abs_action)}.txt"
    p = run("windows", path, out, str(int(abs_action)), ",".join(keys), str(T), str(To), str(Ta), str(val),
            str(seed), str(max_train))
    check(p.returncode == 0, f"windows {path}: {p.stderr}")
    if p.returncode:
        return
    got = parse_windows(open(out).read())
    obs, act, ends = dp_arrays(path, keys, abs_action)
    train = downsample_mask(~get_val_mask(len(ends), val, seed), max_train if max_train > 0 else None, seed)
    worst, n = 0.0, 0
    for split, mask in (("train", train), ("val", ~train)):
        idx = create_indices(ends, T, To - 1, Ta - 1, mask)
        check([w for w, _, _ in got[split]] == [tuple(int(v) for v in w) for w in idx], f"{path} {split} windows")
        for (w, o, a), ref in zip(got[split], idx):
            worst = max(worst, np.abs(o - sample(obs, ref, T).ravel()).max(), np.abs(a - sample(act, ref, T).ravel()).max())
            n += 1
    check(worst <= 1e-6, f"{path} rot6d={abs_action}: window values differ by {worst}")
    print(f"windows: {path} rot6d={abs_action}: {n} windows, max difference {worst:g}")


def mode_windows():
    lengths = [3 + (i * 5) % 12 for i in range(12)]
    keys = ["robot0_eef_pos", "robot0_eef_quat", "robot0_gripper_qpos", "object"]
    one, two = f"{WORK}/win.hdf5", f"{WORK}/win2.hdf5"
    write_robomimic(one, lengths, image=None, seed=1)
    write_robomimic(two, lengths, action_dim=14, image=None, seed=2)
    check_windows(one, keys, True)
    check_windows(one, ["object", "robot0_eef_pos"], False)
    check_windows(two, keys, True, T=4, To=1, Ta=1, val=0.0, max_train=0)


# ---------------------------------------------------------------- bad files


def variant(name, edit, lengths=(4, 3, 5)):
    path = f"{WORK}/{name}.hdf5"
    write_robomimic(path, list(lengths), image=(8, 6))
    with h5py.File(path, "a") as f:
        edit(f)
    return path


def replace(f, key, value):
    del f[key]
    f[key] = value


BAD = {  # name: (edit, the error's text; None: must read fine)
    "fixed_strings": (lambda f: [f["data"].attrs.__setitem__("env_args", np.bytes_(b'{"env_name": "Lift"}')),
                                 f["data/demo_1"].attrs.__setitem__("model_file", np.bytes_(b"<mujoco/>"))], None),
    "num_samples_array": (lambda f: f["data/demo_0"].attrs.__setitem__("num_samples", np.array([4], np.int32)), None),
    "no_total": (lambda f: f["data"].attrs.__delitem__("total"), None),
    "int_obs": (lambda f: replace(f, "data/demo_2/obs/object", np.zeros((5, 10), np.int32)), None),
    "shuffled_gzip": (lambda f: [f["data/demo_1/obs"].__delitem__("agentview_image"), f["data/demo_1/obs"].create_dataset(
        "agentview_image", data=np.zeros((3, 8, 6, 3), np.uint8), compression="gzip", shuffle=True)], None),
    "no_num_samples": (lambda f: f["data/demo_1"].attrs.__delitem__("num_samples"), "data/demo_1: no num_samples attribute"),
    "negative_samples": (lambda f: f["data/demo_1"].attrs.__setitem__("num_samples", -1), "data/demo_1: num_samples -1"),
    "total_mismatch": (lambda f: f["data"].attrs.__setitem__("total", 13), "data: total says 13, the demos' num_samples sum to 12"),
    "total_string": (lambda f: f["data"].attrs.__setitem__("total", "12"), "data.total: not a single integer"),
    "samples_mismatch": (lambda f: [f["data/demo_2"].attrs.__setitem__("num_samples", 6), f["data"].attrs.__setitem__("total", 13)],
                         "data/demo_2/actions: 5 rows, num_samples says 6"),
    "rows_mismatch": (lambda f: replace(f, "data/demo_0/obs/object", np.zeros((3, 10))), "data/demo_0/obs/object: 3 rows, num_samples says 4"),
    "non_numeric": (lambda f: f["data"].move("demo_1", "demo_one"), "data/demo_one: not a demo name"),
    "stray_member": (lambda f: f["data"].create_group("extra"), "data/extra: not a demo name"),
    "missing_key": (lambda f: f["data/demo_2"].__delitem__("states"), "data/demo_2/states: missing"),
    "bool_dones": (lambda f: replace(f, "data/demo_0/dones", np.zeros(4, bool)), "data/demo_0/dones: not numeric"),
    "channels_first": (lambda f: replace(f, "data/demo_0/next_obs/agentview_image", np.zeros((4, 3, 8, 6), np.uint8)),
                       "data/demo_0/next_obs/agentview_image: rank 4, shape (4, 3, 8, 6)"),
    "rank3_lowdim": (lambda f: replace(f, "data/demo_0/obs/robot0_eef_pos", np.zeros((4, 3, 1))),
                     "data/demo_0/obs/robot0_eef_pos: shape (4, 3, ...)"),
    "no_data": (lambda f: f.__delitem__("data"), "no group 'data'"),
    "data_dataset": (lambda f: replace(f, "data", np.zeros(3)), "no group 'data'"),
    "demo_dataset": (lambda f: replace(f, "data/demo_2", np.zeros(5)), "data/demo_2: not a group"),
}


def expect_one_line(path, want):
    p = run("open", path)
    out = (p.stdout + p.stderr).rstrip("\n")
    if want is None:
        check(p.returncode == 0 and out == "ok", f"{path}: should read, got '{out}'")
    else:
        check(p.returncode == 1 and "\n" not in out and out.startswith(path) and want in out and "LEAK" not in out,
              f"{path}: '{out}', want one line with '{want}'")


def mode_bad():
    for name, (edit, want) in BAD.items():
        expect_one_line(variant(name, edit), want)
    good = f"{WORK}/good.hdf5"
    write_robomimic(good, [4, 3, 5], image=(8, 6))
    expect_one_line(good, None)
    blob = open(good, "rb").read()
    cuts = sorted(set(list(range(0, 4096, 97)) + list(range(0, len(blob), max(1, len(blob) // 40)))))
    for cut in cuts:  # every truncation: one line, never a crash
        path = f"{WORK}/truncated.hdf5"
        open(path, "wb").write(blob[:cut])
        expect_one_line(path, "")
    open(f"{WORK}/garbage.hdf5", "wb").write(bytes(range(256)) * 8)
    expect_one_line(f"{WORK}/garbage.hdf5", "not an HDF5 file")
    expect_one_line(f"{WORK}/missing.hdf5", "No such file")
    print(f"bad: {len(BAD)} variants, {len(cuts)} truncations, garbage, a missing file")


# ---------------------------------------------------------------- rotations


def mode_rot():
    rng = np.random.default_rng(3)
    aa = rng.normal(size=(500, 3))
    aa *= rng.uniform(0, np.pi, (500, 1)) / np.linalg.norm(aa, axis=1, keepdims=True)
    aa[:4] = [[0, 0, 0], [1e-9, 0, 0], [0, 0, np.pi - 1e-7], [0, np.pi / 2, 0]]
    r6 = rng.normal(size=(500, 6))
    r6[:250] = axis_angle_to_matrix(aa[:250])[:, :2, :].reshape(-1, 6)  # exact rotations: aa comes back
    text = "\n".join(" ".join(repr(float(v)) for v in row) for row in np.concatenate([aa, r6], 1))
    p = run("rot", stdin=text + "\n")
    got = np.array([l.split() for l in p.stdout.splitlines()], np.float64)
    check(got.shape == (500, 21), f"rot output {got.shape}")
    if got.shape != (500, 21):
        return
    R, R6 = axis_angle_to_matrix(aa).reshape(-1, 9), rotation_6d_to_matrix(r6)
    e1, e2 = np.abs(got[:, :9] - R).max(), np.abs(got[:, 9:18] - R6.reshape(-1, 9)).max()
    e3 = np.abs(got[:, 18:] - matrix_to_axis_angle(R6)).max()
    e4 = np.abs(got[3:250, 18:] - aa[3:250]).max()  # away from pi, the round trip is the identity
    check(e1 < 1e-14 and e2 < 1e-14 and e3 < 1e-9 and e4 < 1e-9, f"rotation errors {e1:g} {e2:g} {e3:g} {e4:g}")
    print(f"rot: 500 cases; max errors R(aa) {e1:g}, R(6d) {e2:g}, aa(R) {e3:g}, round trip {e4:g}")


{"read": mode_read, "write": mode_write, "windows": mode_windows, "bad": mode_bad, "rot": mode_rot}[MODE]()
if failures:
    print(f"{len(failures)} failures")
    sys.exit(1)
print("ok")
