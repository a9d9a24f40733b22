"""Oracle for onedp's safetensors reader and writer, with torch's dtype conversions.

Debian has no `safetensors` package, so the format is written and read here with
json + struct + numpy, exactly as the specification describes.

  safetensors_oracle.py write DIR   files the C reader must decode to torch's values
  safetensors_oracle.py check DIR   verifies the files the C writer left in DIR
"""
import json
import os
import struct
import sys

import numpy as np
import torch

CONFIG = '{"model":{"down_dims":[8,16]},"name":"oracle"}'


def params_reference():
    """The test's small parameter table, in PyTorch layout: value = index * 0.25 - 3."""
    shapes = [("conv.weight", (4, 3, 5)), ("conv.bias", (4,)), ("lin.weight", (2, 4))]
    out = {}
    for name, shape in shapes:
        n = int(np.prod(shape))
        out[name] = (torch.arange(n, dtype=torch.float32) * 0.25 - 3).reshape(shape)
    return out


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().tobytes()


DTYPE_NAME = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
              torch.float64: "F64", torch.int64: "I64"}


def write(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors:
        raw = raw_bytes(t)
        header[name] = {"dtype": DTYPE_NAME[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read(path):
    """(tensors by name, metadata, header order); checks the layout rules as it goes."""
    b = open(path, "rb").read()
    (n,) = struct.unpack("<Q", b[:8])
    assert n % 8 == 0, f"{path}: header length {n} not padded to 8"
    header = json.loads(b[8:8 + n])
    data = b[8 + n:]
    metadata = header.pop("__metadata__", {})
    ranges = sorted(e["data_offsets"] for e in header.values())
    pos = 0
    for begin, end in ranges:
        assert begin == pos, f"{path}: gap or overlap at {begin}"
        pos = end
    assert pos == len(data), f"{path}: data section {len(data)} bytes, tensors cover {pos}"
    out = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        raw = data[begin:end]
        if e["dtype"] == "F32":
            t = torch.from_numpy(np.frombuffer(raw, "<f4").copy())
        elif e["dtype"] == "F16":
            t = torch.from_numpy(np.frombuffer(raw, "<f2").copy())
        elif e["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, "<i2").copy()).view(torch.bfloat16)
        else:
            raise AssertionError(f"{path}: {name}: unexpected dtype {e['dtype']}")
        out[name] = t.reshape(e["shape"])
    return out, metadata, list(header)


def same_bits(a, b):
    """Bitwise equal as float32, any NaN matching any NaN."""
    a, b = a.float().reshape(-1), b.float().reshape(-1)
    nan = torch.isnan(a)
    if not torch.equal(nan, torch.isnan(b)):
        return False
    return torch.equal(a[~nan].view(torch.int32), b[~nan].view(torch.int32))


def cmd_write(d):
    all16 = torch.arange(-32768, 32768, dtype=torch.int32).to(torch.int16)
    f16 = all16.view(torch.float16)
    bf16 = all16.view(torch.bfloat16)
    mixed = torch.tensor([0.0, -0.0, 1.5, -2.25, 1e-45, -1e-40, 3.4028235e38, float("inf"),
                          float("-inf"), float("nan"), 123.456, -7e-3], dtype=torch.float32).reshape(2, 3, 2)
    f64 = torch.tensor([1.0 / 3.0, -1e300, 2.5e-310], dtype=torch.float64)
    i64 = torch.tensor([-5, 0, 7, 1 << 40], dtype=torch.int64)
    tensors = [("f16_all", f16), ("f16_all.expect", f16.float()),
               ("bf16_all", bf16), ("bf16_all.expect", bf16.float()),
               ("f32_mixed", mixed), ("f32_mixed.expect", mixed.clone()),
               ("f64", f64), ("f64.expect", f64.float()),
               ("i64", i64), ("i64.expect", i64.float()),
               ("scalar", torch.tensor(2.5)), ("empty", torch.zeros(0, 3))]
    write(os.path.join(d, "oracle_dtypes.safetensors"), tensors, {"config": CONFIG, "who": "oracle"})
    write(os.path.join(d, "oracle_params.safetensors"), list(params_reference().items()),
          {"format": "pt", "config": CONFIG})


def check_params(d):
    for dtype in ("f32", "bf16"):
        path = os.path.join(d, f"c_params_{dtype}.safetensors")
        tensors, metadata, order = read(path)
        ref = params_reference()
        assert order == list(ref), f"{path}: order {order}"
        assert metadata == {"format": "pt", "config": CONFIG}, f"{path}: metadata {metadata}"
        for name, want in ref.items():
            got = tensors[name]
            want = want if dtype == "f32" else want.to(torch.bfloat16)
            assert got.dtype == want.dtype and got.shape == want.shape, f"{path}: {name}: {got.dtype} {got.shape}"
            assert same_bits(got, want), f"{path}: {name}: values differ"


def check_values(d):
    src, metadata, _ = read(os.path.join(d, "c_values_f32.safetensors"))
    assert metadata == {"origin": "test_safetensors"}, metadata
    i = np.arange(1000, dtype=np.float32)
    ramp = torch.from_numpy((i - np.float32(37)) * np.float32(0.013)).reshape(10, 100)
    assert same_bits(src["ramp"], ramp), "ramp differs from numpy's float32 arithmetic"
    for dtype, tdtype in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        got, _, _ = read(os.path.join(d, f"c_values_{dtype}.safetensors"))
        for name, x in src.items():
            want = x.to(tdtype)
            assert got[name].dtype == tdtype and got[name].shape == x.shape, f"{dtype} {name}"
            bad = ~((got[name].float() == want.float()) | (torch.isnan(got[name].float()) & torch.isnan(want.float())))
            bad |= (got[name].float() == 0) & (torch.signbit(got[name].float()) != torch.signbit(want.float()))
            if bad.any():
                k = int(bad.reshape(-1).nonzero()[0])
                raise AssertionError(f"{dtype} {name}[{k}]: {x.reshape(-1)[k].item()!r} -> C "
                                     f"{got[name].reshape(-1)[k].item()!r}, torch {want.reshape(-1)[k].item()!r}")


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    if cmd == "write":
        cmd_write(d)
    elif cmd == "check":
        check_params(d)
        check_values(d)
    else:
        raise SystemExit(f"unknown command {cmd}")
    print(f"safetensors oracle {cmd}: ok")


if __name__ == "__main__":
    main()
