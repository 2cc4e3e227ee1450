"""The GPU backend: :class:`CupyOps`, the generic :class:`~ffnlp.nn.backends.Ops` forms on CuPy arrays.

This is the only module of ffnlp that imports ``cupy``; it is imported only when a GPU backend is asked for.
``pip install 'ffnlp[gpu]'`` installs ``cupy-cuda12x``.
"""
from __future__ import annotations

import numpy as np

import cupy
import cupyx

from ffnlp.nn.backends._numpy import FLOAT, Ops

#: Every CuPy name this backend (and the generic forms it inherits) calls; a test checks that each
#: exists wherever CuPy is importable, so a rename in CuPy fails a test instead of a user's run.
CUPY_NAMES = (
    "ndarray", "asarray", "ascontiguousarray", "asnumpy", "zeros", "empty", "full", "ones", "arange",
    "concatenate", "repeat", "cumsum", "searchsorted", "argsort", "take_along_axis", "where", "minimum",
    "maximum", "tanh", "exp", "log", "logaddexp", "isfinite", "squeeze", "unique", "union1d", "bincount",
    "nonzero", "matmul", "add", "random.RandomState", "cuda.runtime.getDeviceCount", "cuda.Device", "lexsort",
    "stack", "sqrt", "subtract", "flatnonzero", "ones",
)
CUPYX_NAMES = ("scatter_add",)


class CupyOps(Ops):
    """Array operations on an NVIDIA GPU through CuPy.

    Parameters
    ----------
    device_id : int, default 0
        The CUDA device the arrays live on.
    """

    name = "cupy"
    device = "gpu"
    xp = cupy
    check_values = False
    sparse_updates = False
    blocked_gemm = False

    def __init__(self, device_id: int = 0):
        self.device_id = int(device_id)
        cupy.cuda.Device(self.device_id).use()
        self._rs = cupy.random.RandomState(0)

    def array_types(self):
        return (cupy.ndarray,)

    def asarray(self, x, dtype=None):
        if isinstance(x, cupy.ndarray):
            if dtype is not None and x.dtype != dtype:
                x = x.astype(dtype)
            return x if x.flags.c_contiguous else cupy.ascontiguousarray(x)
        a = np.asarray(x, dtype=dtype)
        return cupy.asarray(a if a.flags.c_contiguous else np.ascontiguousarray(a))

    def _from_host(self, a):
        return cupy.asarray(a)

    def to_host(self, x):
        if isinstance(x, cupy.ndarray):
            return cupy.asnumpy(x)
        return np.asarray(x)

    def random_uniform(self, rng, shape, dtype=FLOAT):
        # The host generator draws one seed (its state is what a checkpoint stores); the device samples.
        self._rs.seed(int(rng.integers(0, 2 ** 63 - 1)))
        return self._rs.random_sample(shape, dtype=np.float32 if dtype not in (np.float64,) else np.float64)

    def _scatter_add(self, table, ids, updates):
        cupyx.scatter_add(table, ids, updates)

    def __repr__(self):
        return f"CupyOps(device_id={self.device_id})"
