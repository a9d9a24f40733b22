"""onedp runtime API (include/onedp.h) from Python: ctypes + numpy, no build step.

    import numpy as np, onedp
    p = onedp.Policy("models/pusht_onedp_s.safetensors")   # sampler=None, threads=0 (1)
    p.reset(seed=0)
    p.observe(obs)              # (obs_dim,) float32, raw units, every control step
    actions = p.act()           # (n_action_steps, action_dim) float32

The library is found at $ONEDP_LIB, else as libonedp.so.0 on the loader's path (install
prefix in LD_LIBRARY_PATH), else in ../build next to this file. Failures raise
onedp.Error with onedp_last_error()'s message.
"""
import ctypes
import os

import numpy as np

__all__ = ["Policy", "Error", "load_library", "version"]


class Error(RuntimeError):
    """A failed onedp call; str() is the library's message."""


_lib = None


def _candidates():
    if os.environ.get("ONEDP_LIB"):
        yield os.environ["ONEDP_LIB"]
    yield "libonedp.so.0"
    yield os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "libonedp.so.0")


def load_library(path=None):
    """Loads libonedp (path, or the search in the module doc) once; returns the CDLL."""
    global _lib
    if _lib is not None and path is None:
        return _lib
    errors = []
    for cand in [path] if path else _candidates():
        try:
            lib = ctypes.CDLL(cand)
            break
        except OSError as e:
            errors.append(str(e))
    else:
        raise Error("cannot load libonedp: " + "; ".join(errors))
    c_p, c_f = ctypes.c_void_p, ctypes.POINTER(ctypes.c_float)
    sigs = {
        "onedp_version": (ctypes.c_char_p, []),
        "onedp_last_error": (ctypes.c_char_p, []),
        "onedp_policy_open": (ctypes.c_int, [ctypes.POINTER(c_p), ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]),
        "onedp_policy_close": (None, [c_p]),
        "onedp_policy_obs_dim": (ctypes.c_int, [c_p]),
        "onedp_policy_action_dim": (ctypes.c_int, [c_p]),
        "onedp_policy_n_obs_steps": (ctypes.c_int, [c_p]),
        "onedp_policy_n_action_steps": (ctypes.c_int, [c_p]),
        "onedp_policy_threads": (ctypes.c_int, [c_p]),
        "onedp_policy_sampler": (ctypes.c_char_p, [c_p]),
        "onedp_policy_set_threads": (ctypes.c_int, [c_p, ctypes.c_int]),
        "onedp_policy_reset": (ctypes.c_int, [c_p, ctypes.c_uint64]),
        "onedp_policy_observe": (ctypes.c_int, [c_p, c_f]),
        "onedp_policy_act": (ctypes.c_int, [c_p, c_f]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    if path is None:
        _lib = lib
    return lib


def version():
    return load_library().onedp_version().decode()


def _check(lib, rc):
    if rc != 0:
        raise Error(lib.onedp_last_error().decode(errors="replace"))


class Policy:
    """A loaded policy with its observation history (see include/onedp.h)."""

    def __init__(self, path, sampler=None, threads=0, library=None):
        self._lib = load_library(library)
        self._h = ctypes.c_void_p()
        _check(self._lib, self._lib.onedp_policy_open(ctypes.byref(self._h), os.fsencode(path),
                                                      sampler.encode() if sampler else None, int(threads)))
        lib, h = self._lib, self._h
        self.obs_dim = lib.onedp_policy_obs_dim(h)
        self.action_dim = lib.onedp_policy_action_dim(h)
        self.n_obs_steps = lib.onedp_policy_n_obs_steps(h)
        self.n_action_steps = lib.onedp_policy_n_action_steps(h)
        self.sampler = lib.onedp_policy_sampler(h).decode()
        self._act = np.empty((self.n_action_steps, self.action_dim), np.float32)

    @property
    def threads(self):
        return self._lib.onedp_policy_threads(self._handle())

    @threads.setter
    def threads(self, n):
        _check(self._lib, self._lib.onedp_policy_set_threads(self._handle(), int(n)))

    def _handle(self):
        if not self._h:
            raise Error("onedp.Policy: closed")
        return self._h

    def reset(self, seed=0):
        """Clears the history; seeds the sampler for a new episode."""
        _check(self._lib, self._lib.onedp_policy_reset(self._handle(), int(seed)))

    def observe(self, obs):
        """One observation step: obs_dim values, raw units."""
        o = np.ascontiguousarray(obs, dtype=np.float32).reshape(-1)
        if o.size != self.obs_dim:
            raise Error(f"onedp.Policy.observe: {o.size} values, expected obs_dim = {self.obs_dim}")
        _check(self._lib, self._lib.onedp_policy_observe(self._handle(), o.ctypes.data_as(ctypes.POINTER(ctypes.c_float))))

    def act(self):
        """The next chunk: a new (n_action_steps, action_dim) float32 array, raw units."""
        _check(self._lib, self._lib.onedp_policy_act(self._handle(), self._act.ctypes.data_as(ctypes.POINTER(ctypes.c_float))))
        return self._act.copy()

    def close(self):
        if self._h:
            self._lib.onedp_policy_close(self._h)
            self._h = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
