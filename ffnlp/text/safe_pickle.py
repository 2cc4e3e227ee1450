"""A safe reader for the (zlib-compressed) pickle of an old scikit-learn ``Bunch`` of arrays.

gensim's ``mini_newsgroup`` test file is such a pickle. :func:`read_bunch_pickle` resolves only the
half-dozen globals that file names, to inert stand-ins, and runs none of the code a pickle can name.
"""
from __future__ import annotations

import io
import pickle
import re
import zlib

import numpy as np

from ffnlp.errors import DataError
from ffnlp.text.readers import read_source

__all__ = ["read_bunch_pickle"]




class _Bunch(dict):
    """Stand-in for ``sklearn.datasets.base.Bunch``: a plain dict, no behaviour."""


class _NDArrayType:
    """Stand-in for the ``numpy.ndarray`` class as it appears in ``_reconstruct(ndarray, ...)``."""


_SAFE_DTYPE = re.compile(r"[<>|=]?(?:[biuf][1248]|f2|[SU][0-9]{1,6})\Z")


class _DTypeState:
    """What ``numpy.dtype(spec, align, copy)`` + BUILD(state) described, without calling numpy on it."""

    def __init__(self, spec, align=0, copy=1):
        if not isinstance(spec, str) or not _SAFE_DTYPE.match(spec):
            raise pickle.UnpicklingError(f"refusing dtype {spec!r} (only bool/int/float/bytes/str)")
        self.spec = spec
        self.order = "="

    def __setstate__(self, state):
        # (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
        if not isinstance(state, tuple) or len(state) < 8 or state[1] not in ("<", ">", "|", "="):
            raise pickle.UnpicklingError(f"unexpected dtype state {state!r:.80}")
        if any(s is not None for s in state[2:5]):
            raise pickle.UnpicklingError("refusing a structured or subarray dtype")
        self.order = state[1]

    def to_numpy(self) -> np.dtype:
        dt = np.dtype(self.spec)
        return dt.newbyteorder(self.order) if self.order in "<>" else dt


class _ArrayState:
    """What ``numpy.core.multiarray._reconstruct`` + BUILD(state) described; see :meth:`to_numpy`."""

    def __init__(self):
        self.state = None

    def __setstate__(self, state):
        # (version, shape, dtype, is_fortran, raw bytes)
        if (
            not isinstance(state, tuple)
            or len(state) != 5
            or not isinstance(state[1], tuple)
            or not all(isinstance(n, int) and n >= 0 for n in state[1])
            or not isinstance(state[2], _DTypeState)
            or not isinstance(state[4], (bytes, str))
        ):
            raise pickle.UnpicklingError(f"unexpected ndarray state {state!r:.80}")
        self.state = state

    def to_numpy(self) -> np.ndarray:
        if self.state is None:
            raise pickle.UnpicklingError("ndarray without state")
        _, shape, dtype, fortran, raw = self.state
        if isinstance(raw, str):  # a Python 2 str read with encoding="latin-1"
            raw = raw.encode("latin-1")
        dt = dtype.to_numpy()
        if len(raw) != int(np.prod(shape)) * dt.itemsize:
            raise pickle.UnpicklingError(f"ndarray of shape {shape} and dtype {dt} cannot hold {len(raw)} bytes")
        arr = np.frombuffer(raw, dtype=dt).reshape(shape, order="F" if fortran else "C")
        return arr.copy()


def _reconstructor(cls, base, state):
    # copy_reg._reconstructor(cls, base, state) == base.__new__(cls, state); base.__init__(obj, state)
    if cls is not _Bunch or base is not dict or not isinstance(state, (dict, type(None))):
        raise pickle.UnpicklingError("copy_reg._reconstructor is allowed only for Bunch(dict)")
    return _Bunch(state or {})


def _ndarray_reconstruct(subtype, shape, typecode):
    if subtype is not _NDArrayType:
        raise pickle.UnpicklingError("numpy _reconstruct is allowed only for numpy.ndarray")
    return _ArrayState()


_SAFE_GLOBALS = {
    ("copy_reg", "_reconstructor"): _reconstructor,
    ("copyreg", "_reconstructor"): _reconstructor,
    ("__builtin__", "dict"): dict,
    ("builtins", "dict"): dict,
    ("sklearn.datasets.base", "Bunch"): _Bunch,
    ("sklearn.datasets._base", "Bunch"): _Bunch,
    ("sklearn.utils", "Bunch"): _Bunch,
    ("sklearn.utils._bunch", "Bunch"): _Bunch,
    ("numpy.core.multiarray", "_reconstruct"): _ndarray_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _ndarray_reconstruct,
    ("numpy", "ndarray"): _NDArrayType,
    ("numpy", "dtype"): _DTypeState,
}


class _BunchUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals of an old scikit-learn ``Bunch`` of arrays.

    ``find_class`` maps each allowed ``(module, name)`` to an inert stand-in defined here (no
    scikit-learn or numpy code runs while unpickling) and raises for anything else, so a pickle that
    names ``os.system``, ``builtins.eval``, ``subprocess.Popen`` ... is refused before any call.
    """

    def find_class(self, module, name):
        try:
            return _SAFE_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing global {module}.{name}") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing a persistent id")


def _materialize(obj, depth=0):
    if depth > 20:
        raise pickle.UnpicklingError("nested too deeply")
    if isinstance(obj, _ArrayState):
        return obj.to_numpy()
    if isinstance(obj, (_DTypeState, _NDArrayType)) or isinstance(obj, type):
        raise pickle.UnpicklingError(f"unexpected {type(obj).__name__} object in the data")
    if isinstance(obj, dict):
        return {k: _materialize(v, depth + 1) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_materialize(v, depth + 1) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_materialize(v, depth + 1) for v in obj)
    return obj


_MAX_PICKLE_BYTES = 64 << 20


def read_bunch_pickle(path) -> dict:
    """Read a (zlib-compressed) pickle of an old scikit-learn ``Bunch`` without running its code.

    gensim's ``mini_newsgroup`` test file is such a pickle (protocol 0, Python 2): a
    ``copy_reg._reconstructor`` call building ``sklearn.datasets.base.Bunch`` from a dict of lists
    and numpy arrays (``numpy.core.multiarray._reconstruct``, ``numpy.ndarray``, ``numpy.dtype``),
    as ``pickletools.dis`` shows. A plain :func:`pickle.load` would import and call whatever globals
    a file names, so it is never used on it. Instead a restricted unpickler resolves exactly those
    six globals to inert stand-ins that only record their arguments; arrays are rebuilt afterwards
    with :func:`numpy.frombuffer` from a whitelisted dtype (bool, int, float, bytes, str; no object
    arrays). Any other global, a persistent id, or an unexpected state is refused.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict
        The Bunch's keys, with numpy arrays as :class:`numpy.ndarray` and Python 2 byte strings
        decoded as Latin-1.

    Raises
    ------
    DataError
        Naming the file: not a pickle, a refused global (named in the message), a malformed state.
    """
    raw, name = read_source(path)
    if raw[:1] == b"x":  # zlib header (0x78); 'x' is not a pickle opcode
        try:
            d = zlib.decompressobj()
            raw = d.decompress(raw, _MAX_PICKLE_BYTES)
            if d.unconsumed_tail:
                raise DataError(f"decompresses to more than {_MAX_PICKLE_BYTES} bytes", path=name)
        except zlib.error as e:
            raise DataError(f"corrupt zlib data: {e}", path=name) from None
    try:
        obj = _BunchUnpickler(io.BytesIO(raw), encoding="latin-1").load()
        obj = _materialize(obj)
    except DataError:
        raise
    except Exception as e:  # UnpicklingError, and TypeError/AttributeError from a crafted stream
        raise DataError(
            f"refusing to unpickle ({type(e).__name__}: {e}); only an old scikit-learn Bunch of lists and "
            "numpy arrays can be read safely",
            path=name,
        ) from None
    if not isinstance(obj, dict):
        raise DataError(f"expected a Bunch (dict), found {type(obj).__name__}", path=name)
    return obj


