"""Writer for the oracle files read by tests/refbin.h: named float64 arrays."""
import os
import struct

import numpy as np


class RefWriter:
    def __init__(self, path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.tmp = path + ".tmp"
        self.path = path
        self.f = open(self.tmp, "wb")
        self.f.write(b"ODPREF1\n")

    def put(self, name, values):
        a = np.asarray(values, dtype=np.float64).reshape(-1)
        b = name.encode()
        assert len(b) < 64, name
        self.f.write(struct.pack("<I", len(b)) + b + struct.pack("<Q", a.size))
        self.f.write(a.astype("<f8").tobytes())

    def close(self):
        self.f.close()
        os.replace(self.tmp, self.path)  # readers never see a half-written file
