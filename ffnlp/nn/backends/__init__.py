"""Array backends: the object through which the core allocates, converts, draws random numbers and runs
its scatter and segment kernels (thinc's ``Ops``).

* :class:`NumpyOps` — the CPU (NumPy, with BLAS and sparse-matrix fast paths).
* ``CupyOps`` — an NVIDIA GPU through CuPy (``pip install 'ffnlp[gpu]'``); imported only when asked for.

Choose one by name with :func:`get_ops`: ``"numpy"``/``"cpu"``, ``"cupy"``/``"gpu"``, or ``"auto"`` (a GPU
when CuPy sees one, else the CPU). A model carries its ops (``layer.ops``); ``model.to_ops(ops)`` moves it,
through the host, and model files are always written from host copies, so a file written on a GPU loads on
a CPU and the reverse.
"""
from __future__ import annotations

import numpy as np

from ffnlp.errors import DeviceError
from ffnlp.nn.backends._numpy import FLOAT, NUMPY_GEMM_MIN, NumpyOps, Ops

__all__ = ["FLOAT", "NUMPY_OPS", "DEVICES", "DeviceError", "NumpyOps", "Ops", "get_ops", "gpu_available",
           "NUMPY_GEMM_MIN", "to_host", "new_generator"]

#: The shared CPU backend (layers start on it).
NUMPY_OPS = NumpyOps()
#: Names accepted by ``--device`` and ``device=``.
DEVICES = ("cpu", "gpu", "auto")
_GPU_HINT = "pip install 'ffnlp[gpu]' (CuPy for CUDA 12) on a machine with an NVIDIA GPU"
_cupy_ops = None


def _import_cupy_backend():
    try:
        from ffnlp.nn.backends import _cupy
    except ImportError as exc:
        raise DeviceError(f"the GPU backend needs CuPy, which is not installed ({exc}); {_GPU_HINT}") from None
    return _cupy


def gpu_available() -> bool:
    """Whether CuPy is importable and sees at least one CUDA device (never raises)."""
    try:
        _cupy = _import_cupy_backend()
        return _cupy.cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no CuPy, no driver, no device: all mean "no GPU"
        return False


def get_ops(name="numpy") -> Ops:
    """The backend called ``name``: ``"numpy"``/``"cpu"``, ``"cupy"``/``"gpu"``, ``"auto"``, or an :class:`Ops`.

    Raises
    ------
    DeviceError
        ``"gpu"`` without CuPy or without a CUDA device, or an unknown name.
    """
    global _cupy_ops
    if isinstance(name, Ops):
        return name
    key = "numpy" if name is None else str(name).lower()
    if key in ("numpy", "cpu"):
        return NUMPY_OPS
    if key == "auto":
        return get_ops("gpu") if gpu_available() else NUMPY_OPS
    if key in ("cupy", "gpu", "cuda"):
        if _cupy_ops is None:
            _cupy = _import_cupy_backend()
            try:
                n = _cupy.cupy.cuda.runtime.getDeviceCount()
            except Exception as exc:  # noqa: BLE001 - CUDA driver errors come in many types
                raise DeviceError(f"CuPy is installed but found no usable CUDA device ({exc})") from None
            if n == 0:
                raise DeviceError("CuPy is installed but found no CUDA device")
            _cupy_ops = _cupy.CupyOps()
        return _cupy_ops
    raise DeviceError(f"unknown device {name!r}; choose from {', '.join(DEVICES)}")


def to_host(x):
    """Host (NumPy) data of ``x`` on any backend: NumPy arrays as they are, device arrays copied back
    through their ``get`` (CuPy's), anything else through ``numpy.asarray``."""
    if isinstance(x, np.ndarray):
        return x
    get = getattr(x, "get", None)
    if callable(get):
        return get()
    return np.asarray(x)


def new_generator(seed) -> np.random.Generator:
    """The host generator a layer draws its randomness from (any backend samples from its stream)."""
    return np.random.default_rng(seed)


def device_name(ops: Ops) -> str:
    """``"cpu"`` or ``"gpu"`` (what ``--device`` calls the backend)."""
    return ops.device
