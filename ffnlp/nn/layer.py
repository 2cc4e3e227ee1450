"""The layer contract, composition, and model files.

Calling a layer runs the forward pass and returns the output with a closure that runs the backward
pass (thinc's contract)::

    Y, backprop = layer(X, is_train=True)   # dX = backprop(dY); parameter grads are added into layer.grads
    Y = layer.predict(X)                    # is_train=False: no dropout, no closure kept

Parameter gradients *accumulate* (``+=``); only the optimizer step zeroes them. Layers must update
their parameter arrays in place (never rebind ``self.params[k]``), because an optimizer may make them
views of one flat buffer. One exception: on the CPU, once an optimizer is bound, the row-wise tables of
the bag layers keep a step's first gradient as touched rows plus their values (``sparse``/``row_grads``,
see :attr:`Layer.compact_grads`); :meth:`Layer.fold_row_grads` adds those into ``grads`` for any other
reader (the gradient checks and the data-parallel exchange call it).
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from ffnlp.nn import serialize
from ffnlp.nn.backends import NUMPY_OPS, Ops, get_ops, to_host

Backprop = Callable[[np.ndarray], np.ndarray]

#: Layer classes by class name, filled by ``Layer.__init_subclass__``; used to rebuild a model from its
#: JSON config. Only classes defined in ffnlp (or registered explicitly) can be named in a model file.
LAYER_TYPES: dict[str, type] = {}


class Layer:
    """Base class. Subclasses set ``params``/``grads`` (dicts of arrays) and implement ``__call__``.

    Attributes
    ----------
    params : dict of str -> ndarray
    grads : dict of str -> ndarray
        Same keys and shapes as ``params``.
    decay : tuple of str
        Names of the params that L2 weight decay applies to (weights and embeddings, never biases).
    sparse : dict of str -> ndarray or None
        For params whose gradient touches only some rows (embeddings): the rows touched since the last
        optimizer step, so the optimizer can update just those (as word2vec does).
    row_grads : dict of str -> ndarray
        The gradient of the rows ``sparse[key]`` kept compact, (n_rows, ...), when :attr:`compact_grads`.
    """

    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    decay: tuple[str, ...] = ()
    sparse_params: tuple[str, ...] = ()
    #: The backend every array of this layer lives on (see :mod:`ffnlp.nn.backends`); layers start on the
    #: CPU and move with :meth:`to_ops`.
    ops: Ops = NUMPY_OPS
    #: Names of non-parameter array attributes (constants such as class boundaries) that move with the
    #: layer between backends.
    const_arrays: tuple[str, ...] = ()

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        LAYER_TYPES[cls.__name__] = cls

    #: Set by an optimizer that reads compact row gradients (the CPU's): the first backward pass of a step
    #: that touches rows of a row-wise parameter keeps their gradient as values ``row_grads[key]`` aligned
    #: with ``sparse[key]``, instead of adding it into the table ``grads[key]`` (which stays zero there).
    #: This saves a gather and a scatter of every touched row per step. :meth:`fold_row_grads` adds the
    #: values into the table for a reader of ``grads``.
    compact_grads = False

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.sparse = {}
        self.row_grads = {}

    def __call__(self, X, *, is_train: bool):
        raise NotImplementedError

    def predict(self, X):
        """Forward pass in inference mode (no dropout, no backward closure kept)."""
        Y, _ = self(X, is_train=False)
        return Y

    # -- structure -------------------------------------------------------------------------------
    @property
    def children(self) -> list["Layer"]:
        return []

    def walk(self) -> Iterator["Layer"]:
        """This layer and all its descendants, depth first, in a fixed order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def named_params(self) -> Iterator[tuple[str, "Layer", str]]:
        """``(path, layer, key)`` for every parameter, e.g. ``("2.W", dense, "W")``."""
        for i, layer in enumerate(self.walk()):
            for key in layer.params:
                yield f"{i}.{key}", layer, key

    def n_params(self) -> int:
        return int(sum(layer.params[k].size for _, layer, k in self.named_params()))

    def zero_grads(self) -> None:
        for layer in self.walk():
            for g in layer.grads.values():
                g.fill(0)
            layer.sparse = {}
            layer.row_grads = {}

    @property
    def dtype(self):
        for _, layer, key in self.named_params():
            return layer.params[key].dtype
        return None

    def _new_param(self, name, value, *, grad=True):
        """Store ``value`` (host or backend data) as parameter ``name`` on this layer's backend, with a zero grad."""
        self.params[name] = self.ops.asarray(value)
        if grad:
            self.grads[name] = self.ops.alloc_like(self.params[name])

    def _compact(self, key) -> bool:
        """Whether this backward pass keeps the gradient of ``params[key]``'s rows compact (see
        :attr:`compact_grads`): an optimizer reads them so, and no earlier pass of the step touched them."""
        return self.compact_grads and key not in self.sparse

    def _keep_row_grads(self, key, rows, G, first_free=0) -> None:
        """Keep the gradient ``G`` (k, ...) of the distinct sorted host ``rows`` (k,) of ``params[key]``
        compact (when :meth:`_compact`); rows below ``first_free`` (frozen) are dropped."""
        if first_free:
            keep = rows >= first_free
            rows, G = rows[keep], G[keep]
        self.sparse[key] = rows
        self.row_grads[key] = G

    def fold_row_grads(self, key=None) -> None:
        """Add the compact row gradients of ``key`` (every key when None) into ``grads``; the touched rows stay
        recorded in ``sparse``."""
        for k in [key] if key is not None else list(self.row_grads):
            G = self.row_grads.pop(k, None)
            if G is not None and G.shape[0]:
                self.ops.add_rows(self.grads[k], self.sparse[k], G)

    def _touch(self, key, ids, rows, first_free=0):
        """Record the rows of ``params[key]`` that a backward pass touched, for lazy optimizer updates:
        the sorted ids ``rows`` that the CPU's scatter-add returns, or, on a device (``rows`` None), a
        boolean mask over the table set at ``ids`` (fixed size, no host sync)."""
        self.fold_row_grads(key)          # an earlier pass of the step kept its rows compact
        prev = self.sparse.get(key)
        if rows is not None:
            if first_free:
                rows = rows[rows >= first_free]
            self.sparse[key] = self.ops.union(prev, rows)
            return
        mask = prev if prev is not None else self.ops.alloc(self.params[key].shape[0], bool)
        mask[ids.reshape(-1)] = True
        if first_free:
            mask[:first_free] = False
        self.sparse[key] = mask

    def astype(self, dtype) -> "Layer":
        """Cast every parameter (and gradient) to ``dtype`` in place of the dicts; returns self."""
        for layer in self.walk():
            layer.params = {k: v.astype(dtype) for k, v in layer.params.items()}
            layer.grads = {k: layer.ops.alloc_like(v) for k, v in layer.params.items()}
            layer.row_grads = {}
        return self

    def to_ops(self, ops) -> "Layer":
        """Move every parameter, gradient and constant of this layer tree to backend ``ops`` (an
        :class:`~ffnlp.nn.backends.Ops` or a name: ``"cpu"``, ``"gpu"``, ``"auto"``), through the host.
        Gradients start at zero. Returns self."""
        ops = get_ops(ops)
        for layer in self.walk():
            old = layer.ops
            if old is ops:
                continue
            layer.params = {k: ops.asarray(old.to_host(v)) for k, v in layer.params.items()}
            layer.grads = {k: ops.alloc_like(v) for k, v in layer.params.items()}
            layer.row_grads = {}
            layer.compact_grads = False      # until an optimizer binds the layer on its new backend
            for name in layer.const_arrays:
                value = getattr(layer, name, None)
                if value is not None:
                    setattr(layer, name, ops.asarray(old.to_host(value)))
            layer.sparse = {}
            layer.ops = ops
            layer._moved()
        return self

    def to_device(self, device) -> "Layer":
        """``to_ops`` by device name: ``"cpu"``, ``"gpu"`` or ``"auto"``."""
        return self.to_ops(device)

    def _moved(self) -> None:
        """Hook after :meth:`to_ops`: drop caches bound to the old backend."""
        for attr in ("_work", "_gwork", "_ones_cache"):
            if hasattr(self, attr):
                setattr(self, attr, None)

    # -- config ----------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """JSON-serializable constructor arguments (without parameter values)."""
        return {}

    @classmethod
    def from_config(cls, config: dict, dtype=np.float32) -> "Layer":
        return cls(**config, dtype=dtype)

    def describe(self) -> dict:
        cfg = {"type": type(self).__name__, "config": self.get_config()}
        if self.children:
            cfg["children"] = [c.describe() for c in self.children]
        return cfg

    def copy_params(self) -> dict[str, np.ndarray]:
        """A copy of every parameter, keyed as by :meth:`named_params`, on the model's own backend."""
        return {path: layer.params[key].copy() for path, layer, key in self.named_params()}

    def host_params(self) -> dict[str, np.ndarray]:
        """Every parameter as a NumPy array (a copy from a device), keyed as by :meth:`named_params`."""
        return {path: layer.ops.to_host(layer.params[key]).copy() for path, layer, key in self.named_params()}

    def set_params_from(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy arrays (keyed as by :meth:`named_params`) into the parameters, in place; shapes must match."""
        expected = {path for path, _, _ in self.named_params()}
        missing = expected - set(arrays)
        if missing:
            raise ValueError(f"parameters missing: {sorted(missing)}")
        for path, layer, key in self.named_params():
            src = arrays[path]
            if not layer.ops.is_array(src):
                src = layer.ops.asarray(to_host(src))
            if tuple(src.shape) != tuple(layer.params[key].shape):
                raise ValueError(f"parameter {path}: shape {tuple(src.shape)} does not match the model's "
                                 f"{tuple(layer.params[key].shape)}")
            layer.params[key][...] = src.astype(layer.params[key].dtype, copy=False)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


def build_layer(description: dict, dtype=np.float32) -> Layer:
    """Rebuild a layer tree from :meth:`Layer.describe` output (parameters freshly allocated)."""
    try:
        cls = LAYER_TYPES[description["type"]]
    except KeyError:
        raise ValueError(f"unknown layer type {description.get('type')!r} in model description") from None
    if "children" in description:
        children = [build_layer(c, dtype) for c in description["children"]]
        return cls.from_children(children, description.get("config", {}))
    return cls.from_config(description.get("config", {}), dtype=dtype)


class Chain(Layer):
    """Layers applied in order; the backward pass runs them in reverse."""

    def __init__(self, *layers: Layer):
        super().__init__()
        if not layers:
            raise ValueError("chain() needs at least one layer")
        self.layers = list(layers)
        self.ops = self.layers[0].ops          # a container lives where its children do

    @property
    def children(self):
        return self.layers

    @classmethod
    def from_children(cls, children, config):
        return cls(*children)

    def __call__(self, X, *, is_train):
        callbacks = []
        for layer in self.layers:
            X, bp = layer(X, is_train=is_train)
            callbacks.append(bp)

        def backprop(dY):
            for bp in reversed(callbacks):
                dY = bp(dY)
            return dY

        return X, backprop

    def predict(self, X):
        for layer in self.layers:
            X = layer.predict(X)
        return X

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def __repr__(self):
        return "chain(" + ", ".join(map(repr, self.layers)) + ")"


def chain(*layers: Layer) -> Chain:
    """Compose layers: ``chain(Dense(...), ReLU(), Dense(...))``."""
    return Chain(*layers)


def rng_states(model: Layer) -> list[dict]:
    """The generator states of the layers that draw random numbers (dropout), in walk order: a checkpoint
    stores them so that a resumed run continues exactly where the interrupted one stopped."""
    return [layer.rng.bit_generator.state for layer in model.walk() if isinstance(getattr(layer, "rng", None),
                                                                                np.random.Generator)]


def set_rng_states(model: Layer, states: list[dict]) -> None:
    """Restore generator states saved by :func:`rng_states` (same model structure)."""
    layers = [layer for layer in model.walk() if isinstance(getattr(layer, "rng", None), np.random.Generator)]
    if len(layers) != len(states):
        raise ValueError(f"{len(states)} generator states for {len(layers)} random layers")
    for layer, state in zip(layers, states):
        layer.rng.bit_generator.state = state


def save_model(path, model: Layer, *, kind: str, meta: dict | None = None, extra_arrays=None):
    """Write ``model`` (structure + parameters) and ``meta`` to a safe ``.npz`` file, atomically."""
    arrays = {f"param.{p}": v for p, v in model.host_params().items()}
    for k, v in (extra_arrays or {}).items():
        arrays[f"extra.{k}"] = to_host(v)
    full = {"model": model.describe(), "dtype": str(model.dtype), **(meta or {})}
    return serialize.save_npz(path, arrays, full, kind=kind)


def load_model(path, *, kind=None) -> tuple[Layer, dict, dict]:
    """Read a file written by :func:`save_model` -> ``(model, meta, extra_arrays)``."""
    arrays, meta = serialize.load_npz(path, kind=kind)
    try:
        model = build_layer(meta["model"], dtype=np.dtype(meta.get("dtype", "float32")))
        model.set_params_from({k[len("param."):]: v for k, v in arrays.items() if k.startswith("param.")})
    except (KeyError, ValueError, TypeError) as exc:
        raise serialize.ModelFileError(f"{path}: model description does not match its arrays ({exc})") from None
    extra = {k[len("extra."):]: v for k, v in arrays.items() if k.startswith("extra.")}
    return model, meta, extra
