"""Optimizers: gradient descent / SGD with momentum and learning-rate decay, and Adam.

An optimizer updates every trainable parameter of a model from its accumulated gradient and then zeroes
the gradient (the only place gradients are zeroed). On first use it moves the model's dense parameters and
gradients into one flat buffer per dtype, allocated through the model's backend (the layers' dicts then
hold views into it), so an update is one fused pass over all parameters (:meth:`Ops.adam_update`; on the
CPU in cache-sized blocks, so each array is read and written once) instead of a Python loop of small ones.

Parameters whose gradient touches only some rows (a trainable :class:`~ffnlp.nn.layers.Embedding`) are
updated row-sparsely, only on the rows the batch used, as word2vec does ("lazy" updates: momentum, Adam
moments and weight decay of an untouched row wait until the row is used again; PyTorch's ``SparseAdam``,
TensorFlow's ``LazyAdam``). ``lazy=True`` extends this to the output tables of layers that list
``lazy_params`` (the class-factored softmax's word rows, of which a batch touches the classes of its
targets only). On the CPU the rows are a sorted id array; on a device, a boolean mask over the rows
(fixed size: no host sync), applied in one masked pass.

L2 weight decay ``weight_decay`` adds ``weight_decay * p`` to the gradient of the parameters a layer lists in
``decay`` (weights and embeddings, never biases): the objective gains ``weight_decay / 2 * ||p||^2``.

The learning rate at update ``t`` (counted from 0) is ``lr / (1 + lr_decay * t)``, Bengio et al. (2003)'s
schedule ``eps_t = eps_0 / (1 + r t)``; ``lr_decay=0`` keeps it constant.

A data-parallel run may give the optimizer a ``partition`` (:class:`ffnlp.distributed.DataParallel`
with ``shard_optimizer``): an object with ``bounds(i, group) -> (lo, hi)``, the slice of dense buffer ``i``
that this process updates (its gradient summed there only, by a reduce-scatter), and ``gather(i, array)``,
which fills the rest of ``array`` from the other processes (an allgather). The dense update then costs
each of N processes 1/N of the whole (ZeRO's first stage: Rajbhandari et al. 2020); the parameters, and
for :meth:`state_dict` the moments, are gathered so that every process holds all of them.
"""
from __future__ import annotations

import math

import numpy as np  # noqa: F401 - type names in annotations

from ffnlp.nn.backends import NUMPY_OPS
from ffnlp.nn.layer import Layer


class _Group:
    """The dense parameters of one dtype, flattened into one buffer of the model's backend."""

    def __init__(self, ops, entries, dtype):
        self.entries = entries  # list of (layer, key)
        sizes = [int(layer.params[k].size) for layer, k in entries]
        bounds = [0]
        for size in sizes:
            bounds.append(bounds[-1] + size)
        total = bounds[-1]
        self.param = ops.empty(total, dtype)
        self.grad = ops.empty(total, dtype)
        self.views = []
        self.bounds = list(zip(bounds[:-1], bounds[1:]))  # (start, end) of every entry
        runs = []  # (start, end, decays): maximal runs of parameters with the same decay flag
        for (layer, k), s, e in zip(entries, bounds[:-1], bounds[1:]):
            p, g = layer.params[k], layer.grads[k]
            self.param[s:e] = p.reshape(-1)
            self.grad[s:e] = g.reshape(-1)
            pv, gv = self.param[s:e].reshape(p.shape), self.grad[s:e].reshape(p.shape)
            layer.params[k], layer.grads[k] = pv, gv
            self.views.append((layer, k, pv, gv))
            decays = k in layer.decay
            if runs and runs[-1][2] == decays and runs[-1][1] == s:
                runs[-1] = (runs[-1][0], e, decays)
            else:
                runs.append((s, e, decays))
        self.runs = runs
        self.state = {}

    def intact(self):
        return all(layer.params[k] is pv and layer.grads[k] is gv for layer, k, pv, gv in self.views)


def _runs(rows):
    """``[(start, end), ...]`` of the maximal runs of consecutive ids in sorted ``rows`` (host ids), when
    there are few enough of them (at most one per 8 rows) that updating each run as a slice beats a gather
    and scatter of the rows; else None."""
    if not isinstance(rows, np.ndarray) or rows.shape[0] < 16:
        return None
    breaks = (rows[1:] - rows[:-1]) != 1
    n_runs = int(breaks.sum()) + 1
    if n_runs * 8 > rows.shape[0]:
        return None
    cut = breaks.nonzero()[0]
    starts = [int(rows[0])] + [int(v) for v in rows[cut + 1]]
    ends = [int(v) + 1 for v in rows[cut]] + [int(rows[-1]) + 1]
    return list(zip(starts, ends))


class Optimizer:
    """Base class: ``step(model)`` applies one update from the accumulated gradients and zeroes them."""

    #: Names of the per-parameter state arrays (moments) of this optimizer.
    state_names: tuple[str, ...] = ()

    def __init__(self, lr, *, weight_decay=0.0, lr_decay=0.0, lazy=False):
        if not lr > 0 or not math.isfinite(lr):
            raise ValueError(f"learning rate must be a positive number, got {lr}")
        if weight_decay < 0 or lr_decay < 0:
            raise ValueError("weight_decay and lr_decay must be >= 0")
        self.lr, self.weight_decay, self.lr_decay = float(lr), float(weight_decay), float(lr_decay)
        self.lazy = bool(lazy)
        self.t = 0
        self._model = None
        self._groups: list[_Group] = []
        self._sparse: list[tuple[Layer, str]] = []
        self._sparse_state: dict[tuple[int, str], dict] = {}
        self.partition = None

    @property
    def current_lr(self):
        return self.lr / (1.0 + self.lr_decay * self.t)

    def _bind(self, model: Layer):
        ops = model.ops
        dense, sparse = {}, []
        for layer in model.walk():
            if not getattr(layer, "trainable", True):
                continue
            lazy_keys = getattr(layer, "lazy_params", ()) if self.lazy else ()
            if lazy_keys:
                layer.lazy = True
            for k, p in layer.params.items():
                if k in layer.sparse_params or k in lazy_keys:
                    sparse.append((layer, k))
                else:
                    dense.setdefault(p.dtype, []).append((layer, k))
        old = self._param_states()
        self._groups = [_Group(ops, entries, dtype) for dtype, entries in dense.items()]
        self._sparse = sparse
        for layer, _ in sparse:           # their gradients may stay compact: step reads them (CPU)
            layer.compact_grads = bool(getattr(ops, "compact_row_grads", False))
        self._sparse_state = {}
        self._model = model
        self._ops = ops
        self._set_param_states(old)

    # -- the moments per parameter, whatever the layout ------------------------------------------------
    def _param_states(self) -> dict:
        """``{(id(layer), key): {state name: array shaped like the parameter}}`` (views of the flat buffers)."""
        out = {}
        for g in self._groups:
            for (layer, k), (s, e) in zip(g.entries, g.bounds):
                shape = layer.params[k].shape
                out[(id(layer), k)] = {name: arr[s:e].reshape(shape) for name, arr in g.state.items()}
        for idx, (layer, k) in enumerate(self._sparse):
            st = self._sparse_state.get((idx, k))
            if st:
                out[(id(layer), k)] = st
        return out

    def _set_param_states(self, per: dict) -> None:
        """Put per-parameter moments into this layout (a parameter may move between the flat buffers and the
        row-wise tables: a data-parallel output shard, a resumed run on another number of processes)."""
        ops = self._ops
        for g in self._groups:
            for (layer, k), (s, e) in zip(g.entries, g.bounds):
                for name, arr in per.get((id(layer), k), {}).items():
                    if name not in g.state:
                        g.state[name] = ops.alloc_like(g.param)
                    g.state[name][s:e] = ops.asarray(arr).reshape(-1)
        for idx, (layer, k) in enumerate(self._sparse):
            st = per.get((id(layer), k))
            if st:
                self._sparse_state[(idx, k)] = {name: ops.asarray(arr).reshape(layer.params[k].shape).copy()
                                                for name, arr in st.items()}

    def step(self, model: Layer):
        if self._model is not model or not all(g.intact() for g in self._groups):
            self._bind(model)
        ops = self._ops
        lr = self.current_lr
        part = self.partition
        for i, g in enumerate(self._groups):
            st = self._dense_state(ops, g)
            lo, hi = (0, g.param.shape[0]) if part is None else part.bounds(i, g)
            for s, e, decays in g.runs:
                s, e = max(s, lo), min(e, hi)
                if s < e:
                    self._update(ops, g.param[s:e], g.grad[s:e], {k: v[s:e] for k, v in st.items()}, lr,
                                 self.weight_decay if decays else 0.0)
            if part is not None:
                g.grad[:lo] = 0      # the slices that other processes update: their summed gradients live there
                g.grad[hi:] = 0
                part.gather(i, g.param)
        for idx, (layer, k) in enumerate(self._sparse):
            rows = layer.sparse.get(k)
            if rows is not None:
                self._step_rows(ops, idx, layer, k, rows, lr)
        for layer in model.walk():
            layer.sparse = {}
            layer.row_grads = {}
        self.t += 1

    def update_rows(self, layer: Layer, key: str, rows) -> None:
        """Apply this step's update to ``rows`` (sorted host ids) of the row-wise parameter ``layer.params[key]``
        now, from their complete gradients, ahead of :meth:`step` (which then leaves them alone unless they
        are marked touched again): a data-parallel output shard updates its own rows while the other
        processes still compute theirs. The optimizer must be bound to the model (after one :meth:`step`)."""
        idx = next(i for i, (l, k) in enumerate(self._sparse) if l is layer and k == key)
        self._step_rows(self._ops, idx, layer, key, rows, self.current_lr)

    def _step_rows(self, ops, idx, layer, k, rows, lr):
        """The update of the rows ``rows`` (sorted ids, or a device's bool mask) of sparse entry ``idx``."""
        Gc = layer.row_grads.pop(k, None)            # the rows' gradient, compact (the table holds zeros)
        P, G = layer.params[k], layer.grads[k]
        state = self._sparse_state.setdefault((idx, k), {})
        for name in self.state_names:
            if name not in state:
                state[name] = ops.alloc_like(P)
        wd = self.weight_decay if k in layer.decay else 0.0
        if rows.dtype == bool:   # a device's touched-row mask: one masked pass over the table
            self._update_masked(ops, P, G, rows, state, lr, wd)
            return
        if not rows.shape[0]:
            return
        runs = _runs(rows) if Gc is None else None
        if runs is not None:   # whole blocks of rows (a factored output's classes): update views
            for s, e in runs:
                self._update(ops, P[s:e], G[s:e], {name: arr[s:e] for name, arr in state.items()}, lr, wd)
            return
        take, put = ops.take_rows, ops.put_rows
        sub = {name: take(arr, rows) for name, arr in state.items()}
        Pr, Gr = take(P, rows), (take(G, rows) if Gc is None else Gc.astype(P.dtype, copy=False))
        self._update(ops, Pr, Gr, sub, lr, wd)      # Gr is zeroed: it clears the rows of G
        put(P, rows, Pr)
        for name, arr in state.items():
            put(arr, rows, sub[name])
        if Gc is None:
            put(G, rows, Gr)

    def _dense_state(self, ops, g):
        for name in self.state_names:
            if name not in g.state:
                g.state[name] = ops.alloc_like(g.param)
        return g.state

    def _update(self, ops, param, grad, state, lr, weight_decay):
        raise NotImplementedError

    def _update_masked(self, ops, P, G, mask, state, lr, weight_decay):
        """Update only the rows where ``mask`` is True (lazy semantics), in fixed-size passes."""
        keep = {name: arr.copy() for name, arr in state.items()}
        P0 = P.copy()
        self._update(ops, P, G, state, lr, weight_decay)
        m = mask.reshape((-1,) + (1,) * (P.ndim - 1))
        xp = ops.xp
        P[...] = xp.where(m, P, P0)
        for name, arr in state.items():
            arr[...] = xp.where(m, arr, keep[name])

    # -- checkpointing -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """A host copy of the optimizer's state as named arrays, for checkpoints: the step count ``t`` and
        the moments of every parameter, ``param{j}.{name}`` with ``j`` its position in the model's
        :meth:`~ffnlp.nn.Layer.named_params` (so the file does not depend on how the parameters were laid out
        in buffers). With a ``partition`` (data-parallel) this gathers the moments, so every process must call it."""
        to_host = self._model.ops.to_host if self._model is not None else NUMPY_OPS.to_host
        out = {"t": NUMPY_OPS.asarray(self.t, "int64")}
        if self._model is None:
            return out
        if self.partition is not None:          # each process kept its own part of the moments current
            for i, g in enumerate(self._groups):
                for arr in g.state.values():
                    self.partition.gather(i, arr)
            for idx, (layer, k) in enumerate(self._sparse):
                for arr in self._sparse_state.get((idx, k), {}).values():
                    self.partition.gather_rows(layer, k, arr)
        per = self._param_states()
        for j, (_, layer, k) in enumerate(self._model.named_params()):
            for name, arr in per.get((id(layer), k), {}).items():
                out[f"param{j}.{name}"] = to_host(arr).copy()
        return out

    def load_state_dict(self, model: Layer, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` (or the layout-bound ``dense{i}``/``sparse{idx}`` keys of earlier files)."""
        self._bind(model)
        ops = model.ops
        self.t = int(state["t"])
        if any(key.startswith("param") for key in state):
            names = list(model.named_params())
            per = {}
            for key, arr in state.items():
                if key.startswith("param"):
                    j, name = key[len("param"):].split(".", 1)
                    _, layer, k = names[int(j)]
                    per.setdefault((id(layer), k), {})[name] = arr
            self._set_param_states(per)
            return
        for key, arr in state.items():
            if key.startswith("dense"):
                i, name = key[len("dense"):].split(".", 1)
                self._groups[int(i)].state[name] = ops.asarray(arr)
            elif key.startswith("sparse"):
                idx, k, name = key[len("sparse"):].split(".", 2)
                self._sparse_state.setdefault((int(idx), k), {})[name] = ops.asarray(arr)

    def get_config(self) -> dict:
        return {"lr": self.lr, "weight_decay": self.weight_decay, "lr_decay": self.lr_decay, "lazy": self.lazy}


class SGD(Optimizer):
    """Minibatch stochastic gradient descent, optionally with (Nesterov) momentum.

    ``v <- momentum * v - lr_t * g``; ``p <- p + v`` (with ``momentum=0``: ``p <- p - lr_t * g``, the
    article's update rule, which on the full batch is plain gradient descent).
    """

    def __init__(self, lr=0.01, *, momentum=0.0, nesterov=False, weight_decay=0.0, lr_decay=0.0, lazy=False):
        super().__init__(lr, weight_decay=weight_decay, lr_decay=lr_decay, lazy=lazy)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.state_names = ("velocity",) if self.momentum else ()

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}

    def _update(self, ops, param, grad, state, lr, weight_decay):
        ops.sgd_update(param, grad, state.get("velocity"), lr=lr, momentum=self.momentum, nesterov=self.nesterov,
                       weight_decay=weight_decay)


def GradientDescent(lr=0.0075, *, weight_decay=0.0, lr_decay=0.0) -> SGD:
    """Plain gradient descent ``p <- p - lr * dp`` (the article's rule; full-batch when fed the full batch)."""
    return SGD(lr, momentum=0.0, weight_decay=weight_decay, lr_decay=lr_decay)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction folded into the step size."""

    state_names = ("m", "v")

    def __init__(self, lr=0.001, *, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, lr_decay=0.0, lazy=False):
        super().__init__(lr, weight_decay=weight_decay, lr_decay=lr_decay, lazy=lazy)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def get_config(self):
        return {**super().get_config(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def _step_size(self, lr):
        t = self.t + 1
        return lr * math.sqrt(1 - self.beta2 ** t) / (1 - self.beta1 ** t)

    def _update(self, ops, param, grad, state, lr, weight_decay):
        ops.adam_update(param, grad, state["m"], state["v"], step=self._step_size(lr), beta1=self.beta1,
                        beta2=self.beta2, eps=self.eps, weight_decay=weight_decay)


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "gd": GradientDescent}
