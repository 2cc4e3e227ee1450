"""A fake device backend for the tests: the GPU path of ffnlp, exercised on a machine without a GPU.

:class:`FakeArray` holds a NumPy array but is not one, and behaves the way CuPy's arrays do where that
matters for ffnlp's code:

* implicit conversion to NumPy raises ``TypeError`` (``np.asarray(x)``, NumPy ufuncs and functions on it);
* mixing it with a NumPy array in arithmetic, indexing or assignment raises ``TypeError``;
* reductions return 0-d arrays, not Python or NumPy scalars;
* ``ufunc.reduceat`` exists only for ``add``, ``repeat`` takes no array of repeats, and there is no
  ``ufunc.at`` (CuPy's limits).

It counts **host syncs**: ``float``, ``int``, ``bool``, ``.item``, ``.tolist``, ``__index__``, and every
operation whose output shape depends on the data (``unique``, ``nonzero``, boolean-mask indexing, ...),
which a GPU can only run after reading the data back. Explicit copies to the host (``ops.to_host``) are
counted as transfers.

:class:`FakeOps` is the generic :class:`~ffnlp.nn.backends.Ops` over this array type, with the settings of
a device (no value checks, no row-sparse updates, the segmented factored softmax), so a test that passes
on it runs the same code the CuPy backend runs.
"""
from __future__ import annotations

import numpy as np

from ffnlp.nn.backends import Ops

__all__ = ["FakeArray", "FakeOps", "COUNTS", "fake_numpy"]


class _Counts:
    def __init__(self):
        self.reset()

    def reset(self):
        self.syncs = 0
        self.transfers = 0
        self.where = []

    def sync(self, what):
        self.syncs += 1
        self.where.append(what)


COUNTS = _Counts()
_DATA_DEPENDENT = {"unique", "nonzero", "flatnonzero", "argwhere", "union1d", "intersect1d", "setdiff1d",
                   "extract", "compress", "trim_zeros"}
_FORBIDDEN = {"add_at"}


def _unwrap(x, *, where="argument"):
    if isinstance(x, FakeArray):
        return x.a
    if isinstance(x, np.ndarray):
        raise TypeError(f"fake device: a NumPy array as {where} (host data must go through ops.asarray)")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, where=where) for v in x)
    return x


def _wrap(x):
    if isinstance(x, np.ndarray):
        return FakeArray(x)
    if isinstance(x, np.generic):
        return FakeArray(np.asarray(x))
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    if isinstance(x, list):
        return [_wrap(v) for v in x]
    return x


class _Flags:
    def __init__(self, a):
        self.c_contiguous = a.flags.c_contiguous
        self.f_contiguous = a.flags.f_contiguous


def _index(key):
    def one(k):
        if isinstance(k, FakeArray):
            if k.a.dtype == bool:
                COUNTS.sync("boolean mask index")
            return k.a
        if isinstance(k, np.ndarray):
            raise TypeError("fake device: indexing with a NumPy array")
        if isinstance(k, list):
            return k
        return k

    if isinstance(key, tuple):
        return tuple(one(k) for k in key)
    return one(key)


class FakeArray:
    """A device array stand-in (see the module docstring)."""

    __slots__ = ("a",)
    __array_ufunc__ = None      # NumPy ufuncs refuse it (and defer binary operators to it)
    __hash__ = None

    def __init__(self, a):
        self.a = a

    def __array__(self, *args, **kwargs):
        raise TypeError("fake device: implicit conversion to a NumPy array is not allowed (use ops.to_host)")

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"fake device: numpy.{func.__name__} on a device array (use ops.xp)")

    # -- metadata (host side, no sync) ----------------------------------------------------------------
    shape = property(lambda self: self.a.shape)
    dtype = property(lambda self: self.a.dtype)
    ndim = property(lambda self: self.a.ndim)
    size = property(lambda self: self.a.size)
    nbytes = property(lambda self: self.a.nbytes)
    itemsize = property(lambda self: self.a.itemsize)
    flags = property(lambda self: _Flags(self.a))
    T = property(lambda self: FakeArray(self.a.T))

    def __len__(self):
        return len(self.a)

    def __repr__(self):
        return f"FakeArray(shape={self.a.shape}, dtype={self.a.dtype})"

    # -- host syncs -----------------------------------------------------------------------------------
    def __float__(self):
        COUNTS.sync("float")
        return float(self.a)

    def __int__(self):
        COUNTS.sync("int")
        return int(self.a)

    def __index__(self):
        COUNTS.sync("index")
        return int(self.a)

    def __bool__(self):
        COUNTS.sync("bool")
        return bool(self.a)

    def item(self):
        COUNTS.sync("item")
        return self.a.item()

    def tolist(self):
        COUNTS.sync("tolist")
        return self.a.tolist()

    def get(self):
        COUNTS.transfers += 1
        return self.a.copy()

    # -- indexing -------------------------------------------------------------------------------------
    def __getitem__(self, key):
        return _wrap(self.a[_index(key)])

    def __setitem__(self, key, value):
        self.a[_index(key)] = _unwrap(value, where="assigned value")

    def __iter__(self):
        for row in self.a:
            yield _wrap(row)

    # -- methods --------------------------------------------------------------------------------------
    def astype(self, dtype, copy=True, order="K"):
        out = self.a.astype(dtype, copy=copy, order=order)
        return self if out is self.a else FakeArray(out)

    def reshape(self, *shape, **kw):
        return FakeArray(self.a.reshape(*shape, **kw))

    def fill(self, value):
        self.a.fill(value)

    def copy(self, order="C"):
        return FakeArray(self.a.copy(order=order))

    def view(self, *args):
        return FakeArray(self.a.view(*args))


def _method(name):
    def f(self, *args, **kwargs):
        out = kwargs.get("out")
        res = getattr(self.a, name)(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
        return out if isinstance(out, FakeArray) else _wrap(res)

    f.__name__ = name
    return f


for _name in ("sum", "max", "min", "mean", "argmax", "argmin", "ravel", "transpose", "any", "all", "dot",
              "clip", "cumsum", "squeeze", "prod", "std", "var", "nonzero", "swapaxes"):
    setattr(FakeArray, _name, _method(_name))
FakeArray.nonzero = lambda self: (COUNTS.sync("nonzero"), _wrap(self.a.nonzero()))[1]


def _binary(name):
    def f(self, other):
        res = getattr(self.a, name)(_unwrap(other, where=f"operand of {name}"))
        if res is NotImplemented:
            return res
        if name.startswith("__i"):
            return self
        return _wrap(res)

    f.__name__ = name
    return f


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
              "lshift", "rshift"):
    for _form in ("__{}__", "__r{}__", "__i{}__"):
        setattr(FakeArray, _form.format(_name), _binary(_form.format(_name)))
for _name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
    setattr(FakeArray, _name, _binary(_name))
for _name in ("__neg__", "__pos__", "__abs__", "__invert__"):
    setattr(FakeArray, _name, (lambda n: lambda self: FakeArray(getattr(self.a, n)()))(_name))


class _Ufunc:
    """A NumPy ufunc on fake arrays; ``reduceat`` only for ``add`` (as CuPy), no ``at``."""

    def __init__(self, name):
        self.name = name
        self.u = getattr(np, name)

    def __call__(self, *args, **kwargs):
        return _call(self.u, args, kwargs)

    def reduce(self, *args, **kwargs):
        return _call(self.u.reduce, args, kwargs)

    def reduceat(self, *args, **kwargs):
        if self.name != "add":
            raise AttributeError(f"fake device: {self.name}.reduceat does not exist on the device (CuPy has "
                                 "add.reduceat only); use ops.segment_max / segment_sum")
        return _call(self.u.reduceat, args, kwargs)


def _call(fn, args, kwargs):
    out = kwargs.get("out")
    res = fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
    if isinstance(out, FakeArray):
        return out
    return _wrap(res)


class _FakeNumpy:
    """The array module of the fake device: NumPy's names, on :class:`FakeArray` in and out."""

    ndarray = FakeArray

    def __getattr__(self, name):
        attr = getattr(np, name)
        if isinstance(attr, np.ufunc):
            return _Ufunc(name)
        if isinstance(attr, type) or not callable(attr):
            return attr                         # dtypes, constants (float32, int64, inf, newaxis, ...)
        if name in _FORBIDDEN or name in ("asnumpy", "save", "load", "errstate"):
            raise AttributeError(f"fake device: xp.{name}")

        def fn(*args, **kwargs):
            if name in _DATA_DEPENDENT:
                COUNTS.sync(name)
            if name == "repeat":
                reps = args[1] if len(args) > 1 else kwargs.get("repeats")
                if isinstance(reps, FakeArray):
                    raise TypeError("fake device: repeat with an array of repeats (CuPy takes ints or lists; "
                                    "use ops.repeat_rows)")
            if name in ("asarray", "array", "ascontiguousarray") and args and isinstance(args[0], np.ndarray):
                COUNTS.transfers += 1
                return FakeArray(np.ascontiguousarray(args[0], **kwargs))
            return _call(attr, args, kwargs)

        fn.__name__ = name
        return fn


fake_numpy = _FakeNumpy()


class FakeOps(Ops):
    """The generic backend on :class:`FakeArray`: what CuPy runs, minus the GPU."""

    name = "fake"
    device = "fake"
    xp = fake_numpy
    check_values = False
    sparse_updates = False
    blocked_gemm = False

    def array_types(self):
        return (FakeArray,)

    def asarray(self, x, dtype=None):
        if isinstance(x, FakeArray):
            if dtype is not None and x.dtype != dtype:
                x = x.astype(dtype)
            return x if x.a.flags.c_contiguous else FakeArray(np.ascontiguousarray(x.a))
        COUNTS.transfers += 1
        return FakeArray(np.ascontiguousarray(np.asarray(x, dtype=dtype)))

    def _from_host(self, a):
        COUNTS.transfers += 1
        return FakeArray(np.asarray(a))

    def to_host(self, x):
        if isinstance(x, FakeArray):
            COUNTS.transfers += 1
            return x.a.copy()
        return np.asarray(x)


def _fake_scatter_add(self, table, ids, updates):
    # cupyx.scatter_add: an atomic add per element, no sort, no sync.
    np.add.at(table.a, ids.a, updates.a)


FakeOps._scatter_add = _fake_scatter_add
