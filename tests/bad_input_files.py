# Writes the broken inputs tests/bad_input.sh feeds every command: truncated, NaN-patched
# and wrong-kind copies of a real checkpoint, training state, config and log, and zarr
# stores that differ from the real one in a single chunk or file (the rest symlinked).
# usage: bad_input_files.py OUT POLICY STATE STUDENT_STATE CONFIG LOG ZARR IMAGE_POLICY
import json, math, os, struct, sys

out, policy, state, student_state, config, log, zarr, image_policy = sys.argv[1:9]
os.makedirs(out, exist_ok=True)


def write(name, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(out, name), mode) as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def patch_tensor(data, name, value):
    """The safetensors bytes with element 0 of tensor `name` (F32) set to value."""
    n = struct.unpack("<Q", data[:8])[0]
    begin = 8 + n + json.loads(data[8:8 + n])[name]["data_offsets"][0]
    return data[:begin] + struct.pack("<f", value) + data[begin + 4:]


def with_config(data, edit):
    """The safetensors bytes with its "config" metadata edited (tensors unchanged)."""
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    cfg = json.loads(header["__metadata__"]["config"])
    edit(cfg)
    header["__metadata__"]["config"] = json.dumps(cfg)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data[8 + n:]


write("empty.safetensors", b"")
write("empty.json", b"")
os.makedirs(os.path.join(out, "adir"), exist_ok=True)
for name, src in (("policy", policy), ("state", state)):
    data = read(src)
    write(f"trunc_{name}.safetensors", data[:len(data) // 2])
write("nan_policy.safetensors", patch_tensor(read(policy), "model.final_conv.1.bias", math.nan))
write("inf_policy.safetensors", patch_tensor(read(policy), "model.final_conv.1.bias", math.inf))
write("nan_state.safetensors", patch_tensor(read(state), "params", math.nan))
write("nan_student_state.safetensors", patch_tensor(read(student_state), "generator", math.nan))
# An image checkpoint whose config asks for a wider camera encoder than its tensors hold.
write("encoder_mismatch_policy.safetensors", with_config(read(image_policy), lambda c: c["encoder"].update(width=32)))

text = read(config).decode()
write("trunc_config.json", text[:len(text) * 2 // 5])
cfg = json.loads(text)
write("inf_config.json", json.dumps(cfg).replace('"lr": 0.0001', '"lr": 1e999'))
write("nan_config.json", json.dumps(cfg).replace('"lr": 0.0001', '"lr": NaN'))
write("dup_config.json", json.dumps(cfg)[:-1] + ', "train": {}}')
for name, edit in (("unknown_key", lambda c: c["train"].update(stpes=10)),
                   ("unknown_model_key", lambda c: c["model"].update(kernal_size=5)),
                   ("shape", lambda c: c["model"].update(down_dims=[])),
                   ("obs_dim", lambda c: c["policy"].update(obs_dim=19)),
                   ("range", lambda c: c["train"].update(steps=-5))):
    c = json.loads(text)
    edit(c)
    write(f"{name}_config.json", json.dumps(c, indent=2))

lines = open(log).read().splitlines()
write("trunc_log.jsonl", "\n".join(lines[:3]) + "\n" + lines[3][:len(lines[3]) // 2])
write("nan_log.jsonl", "\n".join(lines[:2] + ['{"step": 3, "score_diff": NaN, "score_loss": 1.0}']) + "\n")


def blosc_memcpy(raw, typesize):
    """A blosc chunk that stores raw uncompressed (the 'memcpyed' flag): header + bytes."""
    return struct.pack("<BBBBIII", 2, 1, 0x02, typesize, len(raw), len(raw), len(raw) + 16) + raw


def store(name, edits):
    """A copy of the zarr store as symlinks, except edits: {relative path: bytes}."""
    root = os.path.join(out, name)
    for dirpath, dirnames, filenames in os.walk(zarr):
        rel = os.path.relpath(dirpath, zarr)
        os.makedirs(os.path.join(root, rel), exist_ok=True)
        for f in filenames:
            dst = os.path.normpath(os.path.join(root, rel, f))
            key = os.path.normpath(os.path.join(rel, f))
            if os.path.lexists(dst):
                os.remove(dst)
            if key in edits:
                with open(dst, "wb") as fh:
                    fh.write(edits[key])
            else:
                os.symlink(os.path.join(os.path.abspath(dirpath), f), dst)


def chunk_rows(array):
    meta = json.load(open(os.path.join(zarr, array, ".zarray")))
    return meta["chunks"][0], math.prod(meta["chunks"][1:])


# NaN at row 3 of chunk 0 of data/state and data/keypoint; other rows plausible values.
rows, per = chunk_rows("data/state")
st = [256.0, 256.0, 300.0, 300.0, 0.5] * rows
st[3 * per] = math.nan
rows_k, per_k = chunk_rows("data/keypoint")
kp = [200.0 + (i % 7) for i in range(rows_k * per_k)]
kp[3 * per_k] = math.nan
store("store_nan.zarr", {"data/state/0.0": blosc_memcpy(struct.pack(f"<{len(st)}f", *st), 4),
                         "data/keypoint/0.0.0": blosc_memcpy(struct.pack(f"<{len(kp)}f", *kp), 4)})
store("store_trunc.zarr", {k: read(os.path.join(zarr, k))[:40] for k in ("data/state/0.0", "data/keypoint/0.0.0")})
n_chunk, _ = chunk_rows("meta/episode_ends")
ends = [25650 * (i + 1) // 206 for i in range(206)] + [0] * (n_chunk - 206)
ends[5] = ends[4] - 10  # ends before it begins
store("store_badends.zarr", {"meta/episode_ends/0": blosc_memcpy(struct.pack(f"<{n_chunk}q", *ends), 8)})
zarray = read(os.path.join(zarr, "data/state/.zarray"))
store("store_truncmeta.zarr", {"data/state/.zarray": zarray[:len(zarray) // 2]})
os.makedirs(os.path.join(out, "store_empty.zarr"), exist_ok=True)
img = json.loads(read(os.path.join(zarr, "data/img/.zarray")))
img["shape"][3] = img["chunks"][3] = 4  # RGBA frames
store("store_rgba.zarr", {"data/img/.zarray": json.dumps(img).encode()})
