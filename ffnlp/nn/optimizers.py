"""Optimizers: gradient descent / SGD with momentum and learning-rate decay, and Adam.

An optimizer updates every trainable parameter of a model from its accumulated gradient and then zeroes
the gradient (the only place gradients are zeroed). For speed, on first use it moves the model's dense
parameters and gradients into one flat buffer per dtype (the layers' dicts then hold views into it), so an
update is a handful of vectorized operations over all parameters instead of a Python loop of small ones.
Parameters whose gradient touches only some rows (a trainable :class:`~ffnlp.nn.layers.Embedding`) are
updated row-sparsely, only on the rows the batch used, as word2vec does ("lazy" updates: momentum, Adam
moments and weight decay of an untouched row wait until the row is used again).

L2 weight decay ``weight_decay`` adds ``weight_decay * p`` to the gradient of the parameters a layer lists in
``decay`` (weights and embeddings, never biases): the objective gains ``weight_decay / 2 * ||p||^2``.

The learning rate at update ``t`` (counted from 0) is ``lr / (1 + lr_decay * t)``, Bengio et al. (2003)'s
schedule ``eps_t = eps_0 / (1 + r t)``; ``lr_decay=0`` keeps it constant.
"""
from __future__ import annotations

import numpy as np

from ffnlp.nn.layer import Layer


class _Group:
    """The dense parameters of one dtype, flattened."""

    def __init__(self, entries, dtype):
        self.entries = entries  # list of (layer, key)
        sizes = [layer.params[k].size for layer, k in entries]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        total = int(self.offsets[-1])
        self.param = np.empty(total, dtype=dtype)
        self.grad = np.empty(total, dtype=dtype)
        self.decay_slices = []
        self.views = []
        for (layer, k), s, e in zip(entries, self.offsets[:-1], self.offsets[1:]):
            p, g = layer.params[k], layer.grads[k]
            self.param[s:e] = p.reshape(-1)
            self.grad[s:e] = g.reshape(-1)
            pv, gv = self.param[s:e].reshape(p.shape), self.grad[s:e].reshape(p.shape)
            layer.params[k], layer.grads[k] = pv, gv
            self.views.append((layer, k, pv, gv))
            if k in layer.decay:
                self.decay_slices.append(slice(int(s), int(e)))
        self.state = {}

    def intact(self):
        return all(layer.params[k] is pv and layer.grads[k] is gv for layer, k, pv, gv in self.views)


class Optimizer:
    """Base class: ``step(model)`` applies one update from the accumulated gradients and zeroes them."""

    def __init__(self, lr, *, weight_decay=0.0, lr_decay=0.0):
        if lr <= 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        if weight_decay < 0 or lr_decay < 0:
            raise ValueError("weight_decay and lr_decay must be >= 0")
        self.lr, self.weight_decay, self.lr_decay = float(lr), float(weight_decay), float(lr_decay)
        self.t = 0
        self._model = None
        self._groups: list[_Group] = []
        self._sparse: list[tuple[Layer, str]] = []
        self._sparse_state: dict[tuple[int, str], dict] = {}

    @property
    def current_lr(self):
        return self.lr / (1.0 + self.lr_decay * self.t)

    def _bind(self, model: Layer):
        dense, sparse = {}, []
        for layer in model.walk():
            if not getattr(layer, "trainable", True):
                continue
            for k, p in layer.params.items():
                if k in layer.sparse_params:
                    sparse.append((layer, k))
                else:
                    dense.setdefault(p.dtype, []).append((layer, k))
        old_state = [g.state for g in self._groups]
        self._groups = [_Group(entries, dtype) for dtype, entries in dense.items()]
        if len(old_state) == len(self._groups):
            for g, st in zip(self._groups, old_state):
                if all(v.shape == g.param.shape for v in st.values()):
                    g.state = st
        self._sparse = sparse
        self._model = model

    def step(self, model: Layer):
        if self._model is not model or not all(g.intact() for g in self._groups):
            self._bind(model)
        lr = self.current_lr
        for g in self._groups:
            if self.weight_decay:
                for s in g.decay_slices:
                    g.grad[s] += self.weight_decay * g.param[s]
            self._update(g.param, g.grad, g.state, lr)
            g.grad.fill(0)
        for idx, (layer, k) in enumerate(self._sparse):
            rows = layer.sparse.get(k)
            if rows is None or len(rows) == 0:
                continue
            P, G = layer.params[k], layer.grads[k]
            grad = G[rows]
            if self.weight_decay and k in layer.decay:
                grad += self.weight_decay * P[rows]
            state = self._sparse_state.setdefault((idx, k), {})
            self._update_rows(P, rows, grad, state, lr)
            G[rows] = 0
        for layer in model.walk():
            layer.sparse = {}
        self.t += 1

    def _update(self, param, grad, state, lr):
        raise NotImplementedError

    def _update_rows(self, P, rows, grad, state, lr):
        raise NotImplementedError

    # -- checkpointing -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of the optimizer's state (step count, moments) as named arrays, for checkpoints."""
        out = {"t": np.array(self.t)}
        for i, g in enumerate(self._groups):
            for name, arr in g.state.items():
                out[f"dense{i}.{name}"] = arr.copy()
        for (idx, k), st in self._sparse_state.items():
            for name, arr in st.items():
                out[f"sparse{idx}.{k}.{name}"] = arr.copy()
        return out

    def load_state_dict(self, model: Layer, state: dict[str, np.ndarray]) -> None:
        self._bind(model)
        self.t = int(state["t"])
        for key, arr in state.items():
            if key.startswith("dense"):
                i, name = key[len("dense"):].split(".", 1)
                self._groups[int(i)].state[name] = np.array(arr)
            elif key.startswith("sparse"):
                idx, k, name = key[len("sparse"):].split(".", 2)
                self._sparse_state.setdefault((int(idx), k), {})[name] = np.array(arr)

    def get_config(self) -> dict:
        return {"lr": self.lr, "weight_decay": self.weight_decay, "lr_decay": self.lr_decay}


class SGD(Optimizer):
    """Minibatch stochastic gradient descent, optionally with (Nesterov) momentum.

    ``v <- momentum * v - lr_t * g``; ``p <- p + v`` (with ``momentum=0``: ``p <- p - lr_t * g``, the
    article's update rule, which on the full batch is plain gradient descent).
    """

    def __init__(self, lr=0.01, *, momentum=0.0, nesterov=False, weight_decay=0.0, lr_decay=0.0):
        super().__init__(lr, weight_decay=weight_decay, lr_decay=lr_decay)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}

    def _update(self, param, grad, state, lr):
        if self.momentum == 0:
            grad *= -lr
            param += grad
            return
        v = state.get("velocity")
        if v is None:
            v = state["velocity"] = np.zeros_like(param)
        v *= self.momentum
        grad *= lr
        v -= grad
        if self.nesterov:
            param += self.momentum * v - grad
        else:
            param += v

    def _update_rows(self, P, rows, grad, state, lr):
        if self.momentum == 0:
            P[rows] -= lr * grad
            return
        v = state.get("velocity")
        if v is None:
            v = state["velocity"] = np.zeros_like(P)
        vr = self.momentum * v[rows] - lr * grad
        v[rows] = vr
        P[rows] += (self.momentum * vr - lr * grad) if self.nesterov else vr


def GradientDescent(lr=0.0075, *, weight_decay=0.0, lr_decay=0.0) -> SGD:
    """Plain gradient descent ``p <- p - lr * dp`` (the article's rule; full-batch when fed the full batch)."""
    return SGD(lr, momentum=0.0, weight_decay=weight_decay, lr_decay=lr_decay)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction folded into the step size."""

    def __init__(self, lr=0.001, *, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, lr_decay=0.0):
        super().__init__(lr, weight_decay=weight_decay, lr_decay=lr_decay)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def get_config(self):
        return {**super().get_config(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def _step_size(self, lr):
        t = self.t + 1
        return lr * np.sqrt(1 - self.beta2 ** t) / (1 - self.beta1 ** t)

    def _update(self, param, grad, state, lr):
        if "m" not in state:
            state["m"], state["v"] = np.zeros_like(param), np.zeros_like(param)
        m, v = state["m"], state["v"]
        tmp = state.get("tmp")
        if tmp is None or tmp.shape != param.shape:
            tmp = state["tmp"] = np.empty_like(param)
        m *= self.beta1
        np.multiply(grad, 1 - self.beta1, out=tmp)
        m += tmp
        v *= self.beta2
        np.multiply(grad, grad, out=tmp)
        tmp *= 1 - self.beta2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= self._step_size(lr)
        param -= tmp

    def _update_rows(self, P, rows, grad, state, lr):
        if "m" not in state:
            state["m"], state["v"] = np.zeros_like(P), np.zeros_like(P)
        m, v = state["m"], state["v"]
        # In place on the gathered rows: three gathers, three scatters, no other full-size temporaries.
        mr = m[rows]
        mr *= self.beta1
        mr += (1 - self.beta1) * grad
        grad *= grad
        vr = v[rows]
        vr *= self.beta2
        grad *= 1 - self.beta2
        vr += grad
        m[rows], v[rows] = mr, vr
        np.sqrt(vr, out=vr)
        vr += self.eps
        np.divide(mr, vr, out=mr)
        mr *= self._step_size(lr)
        Pr = P[rows]
        Pr -= mr
        P[rows] = Pr

    def state_dict(self):
        out = super().state_dict()
        return {k: v for k, v in out.items() if not k.endswith(".tmp")}


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "gd": GradientDescent}
