"""Layers: Dense, activations (Sigmoid, Tanh, ReLU, LeakyReLU, Softplus, Maxout), Dropout, Embedding,
Window, MeanPool.

Rows are examples: ``X`` has shape (n_samples, n_in). Every layer follows the contract of
:mod:`ffnlp.nn.layer`: ``Y, backprop = layer(X, is_train=...)``, ``dX = backprop(dY)``.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ffnlp.nn.backends import new_generator
from ffnlp.nn.init import get_initializer, glorot_uniform, scaled_normal
from ffnlp.nn.layer import Layer


def check_ids(ops, ids, n, name):
    """Refuse non-integer ids, and (where the backend may read values: the CPU) ids outside ``[0, n)``."""
    if ids.dtype.kind not in "iu":
        raise ValueError(f"{name}: ids must be integers, got dtype {ids.dtype}")
    if ops.check_values and ids.size and (ids.min() < 0 or ids.max() >= n):
        raise ValueError(f"{name}: ids must lie in [0, {n}), got range [{ids.min()}, {ids.max()}]")


def _check_2d(X, n_in, name):
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(f"{name}: expected input of shape (n_samples, {n_in}), got {X.shape}")


class Dense(Layer):
    """Affine map ``Y = X @ W + b``.

    Parameters
    ----------
    n_in, n_out : int
    rng : numpy.random.Generator or RandomState
        Source of the initial weights.
    init : callable or str
        Weight initializer (see :mod:`ffnlp.nn.init`); biases start at zero.
    input_grad : bool
        Whether ``backprop`` returns ``dX``. The first layer of a network does not need it (its input is
        data), which saves a (n_samples, n_in) product per step; it then returns None.

    Shapes: X (n_samples, n_in) -> Y (n_samples, n_out); W (n_in, n_out); b (n_out,).
    """

    decay = ("W",)

    def __init__(self, n_in, n_out, *, rng=None, init=glorot_uniform, dtype=np.float32, input_grad=True):
        super().__init__()
        if n_in <= 0 or n_out <= 0:
            raise ValueError(f"Dense: sizes must be positive, got n_in={n_in}, n_out={n_out}")
        self.n_in, self.n_out, self.input_grad = int(n_in), int(n_out), bool(input_grad)
        init = get_initializer(init)
        shape = (self.n_in, self.n_out)
        self._new_param("W", self.ops.alloc(shape, dtype) if rng is None else init(rng, shape, dtype).astype(dtype))
        self._new_param("b", self.ops.alloc(self.n_out, dtype))

    def get_config(self):
        return {"n_in": self.n_in, "n_out": self.n_out, "input_grad": self.input_grad}

    def __call__(self, X, *, is_train):
        _check_2d(X, self.n_in, "Dense")
        W, b = self.params["W"], self.params["b"]
        ops = self.ops
        X = ops.asarray(X, W.dtype)
        Y = ops.affine(X, W, b)  # (n, n_out)

        def backprop(dY):
            assert dY.shape == Y.shape, f"Dense.backprop: dY {dY.shape} != Y {Y.shape}"
            ops.gemm(X.T, dY, self.grads["W"], accumulate=True)  # (n_in, n_out)
            self.grads["b"] += dY.sum(axis=0)    # (n_out,)
            return dY @ W.T if self.input_grad else None  # (n, n_in)

        return Y, backprop


class _Elementwise(Layer):
    """Parameter-free elementwise activation."""

    def __init__(self, dtype=None):
        super().__init__()

    @classmethod
    def from_config(cls, config, dtype=np.float32):
        return cls(**config)


class Identity(_Elementwise):
    """``Y = X`` (the linear output unit's activation)."""

    def __call__(self, X, *, is_train):
        return X, lambda dY: dY


class Sigmoid(_Elementwise):
    """``Y = 1 / (1 + exp(-X))``; ``dX = dY * Y * (1 - Y)``."""

    def __call__(self, X, *, is_train):
        Y = self.ops.sigmoid(X)
        return Y, lambda dY: dY * Y * (1 - Y)


class Tanh(_Elementwise):
    """``Y = tanh(X)``; ``dX = dY * (1 - Y**2)``."""

    def __call__(self, X, *, is_train):
        Y = self.ops.xp.tanh(X)

        def backprop(dY):
            dX = Y * Y
            self.ops.xp.subtract(1, dX, out=dX)
            dX *= dY
            return dX

        return Y, backprop


class ReLU(_Elementwise):
    """``Y = max(X, 0)``; the gradient at 0 is taken as 0."""

    def __call__(self, X, *, is_train):
        Y = self.ops.xp.maximum(X, 0)
        return Y, lambda dY: dY * (Y > 0)


class LeakyReLU(_Elementwise):
    """``Y = X`` for ``X > 0`` else ``alpha * X``."""

    def __init__(self, alpha=0.01, dtype=None):
        super().__init__()
        self.alpha = float(alpha)

    def get_config(self):
        return {"alpha": self.alpha}

    def __call__(self, X, *, is_train):
        xp = self.ops.xp
        pos = X > 0
        Y = xp.where(pos, X, X * self.alpha)
        return Y, lambda dY: xp.where(pos, dY, dY * self.alpha)


class Softplus(_Elementwise):
    """``Y = log(1 + exp(X))``, a smooth ReLU; ``dX = dY * sigmoid(X)``."""

    def __call__(self, X, *, is_train):
        return self.ops.softplus(X), lambda dY: dY * self.ops.sigmoid(X)


class Maxout(Layer):
    """Maxout units (Goodfellow et al. 2013): ``Y[:, j] = max_k (X @ W + b)[:, j, k]``.

    Shapes: X (n_samples, n_in) -> Y (n_samples, n_out); W (n_in, n_out * pieces); b (n_out * pieces,).
    """

    decay = ("W",)

    def __init__(self, n_in, n_out, pieces=2, *, rng=None, init=glorot_uniform, dtype=np.float32):
        super().__init__()
        if pieces < 1:
            raise ValueError(f"Maxout: pieces must be >= 1, got {pieces}")
        self.n_in, self.n_out, self.pieces = int(n_in), int(n_out), int(pieces)
        shape = (self.n_in, self.n_out * self.pieces)
        self._new_param("W", self.ops.alloc(shape, dtype) if rng is None
                        else get_initializer(init)(rng, shape, dtype).astype(dtype))
        self._new_param("b", self.ops.alloc(shape[1], dtype))

    def get_config(self):
        return {"n_in": self.n_in, "n_out": self.n_out, "pieces": self.pieces}

    def __call__(self, X, *, is_train):
        _check_2d(X, self.n_in, "Maxout")
        W, b = self.params["W"], self.params["b"]
        ops, xp = self.ops, self.ops.xp
        n = X.shape[0]
        Z = ops.affine(X, W, b).reshape(n, self.n_out, self.pieces)  # (n, n_out, pieces)
        arg = Z.argmax(axis=2)                                         # (n, n_out)
        Y = xp.take_along_axis(Z, arg[..., None], axis=2)[..., 0]      # (n, n_out)

        def backprop(dY):
            hit = arg[..., None] == ops.arange(self.pieces)            # (n, n_out, pieces) one-hot of the max
            dZ = (hit * dY[..., None]).astype(Z.dtype)
            dZ = dZ.reshape(n, -1)                                     # (n, n_out * pieces)
            ops.gemm(X.T, dZ, self.grads["W"], accumulate=True)
            self.grads["b"] += dZ.sum(axis=0)
            return dZ @ W.T

        return Y, backprop


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``rate`` and scale the rest by
    ``1 / (1 - rate)``; identity at prediction time.

    ``seed`` seeds the layer's own Generator, so a run is repeatable.
    """

    def __init__(self, rate=0.5, *, seed=0, dtype=None):
        super().__init__()
        if not 0 <= rate < 1:
            raise ValueError(f"{type(self).__name__}: rate must be in [0, 1), got {rate}")
        self.rate, self.seed = float(rate), int(seed)
        self.rng = new_generator(self.seed)

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed}

    @classmethod
    def from_config(cls, config, dtype=np.float32):
        return cls(**config)

    def __call__(self, X, *, is_train):
        if not is_train or self.rate == 0:
            return X, lambda dY: dY
        keep = self.ops.dropout_mask(self.rng, X.shape, self.rate, X.dtype)
        return X * keep, lambda dY: dY * keep


class Ragged(NamedTuple):
    """A batch of variable-length sequences, stored flat.

    data : ndarray of shape (n_total, ...) — all items, sequence after sequence.
    lengths : int ndarray of shape (n_sequences,) — items per sequence; ``lengths.sum() == n_total``.
    """

    data: np.ndarray
    lengths: np.ndarray

    def __len__(self):
        return len(self.lengths)


class Embedding(Layer):
    """Lookup table ``E`` (vocab_size, embedding_dim): integer ids -> rows.

    Input ``ids`` of any shape (or a :class:`Ragged` of ids) -> ``ids.shape + (embedding_dim,)`` (or a Ragged
    of vectors). The gradient goes through :func:`ffnlp.nn.ops.scatter_add`, so repeated ids add up, and
    the touched rows are recorded in ``self.sparse["E"]`` for sparse optimizer updates. ``trainable=False``
    freezes the table (e.g. pretrained vectors kept fixed).
    """

    decay = ("E",)
    sparse_params = ("E",)

    def __init__(self, vocab_size, embedding_dim, *, rng=None, init=None, dtype=np.float32, trainable=True):
        super().__init__()
        if vocab_size <= 0 or embedding_dim <= 0:
            raise ValueError(f"Embedding: sizes must be positive, got {vocab_size} x {embedding_dim}")
        self.vocab_size, self.embedding_dim = int(vocab_size), int(embedding_dim)
        self.trainable = bool(trainable)
        init = scaled_normal(1.0 / math.sqrt(self.embedding_dim)) if init is None else get_initializer(init)
        shape = (self.vocab_size, self.embedding_dim)
        self._new_param("E", self.ops.alloc(shape, dtype) if rng is None else init(rng, shape, dtype).astype(dtype))

    def get_config(self):
        return {"vocab_size": self.vocab_size, "embedding_dim": self.embedding_dim, "trainable": self.trainable}

    def _lookup(self, ids):
        check_ids(self.ops, ids, self.vocab_size, type(self).__name__)
        return self.params["E"][ids]

    def _accumulate(self, ids, dV):
        if not self.trainable:
            return
        rows = self.ops.scatter_add(self.grads["E"], ids.reshape(-1), dV.reshape(-1, self.embedding_dim))
        self._touch("E", ids, rows)

    def __call__(self, ids, *, is_train):
        if isinstance(ids, Ragged):
            ids = Ragged(self.ops.asarray(ids.data), ids.lengths)
            V = self._lookup(ids.data)
            Y = Ragged(V, ids.lengths)

            def backprop_ragged(dY):
                self._accumulate(ids.data, dY.data)
                return None

            return Y, backprop_ragged
        ids = self.ops.asarray(ids)
        Y = self._lookup(ids)  # ids.shape + (embedding_dim,)

        def backprop(dY):
            assert dY.shape == Y.shape, f"Embedding.backprop: dY {dY.shape} != Y {Y.shape}"
            self._accumulate(ids, dY)
            return None

        return Y, backprop


class Window(Embedding):
    """Embeddings of a context window, concatenated (Bengio et al. 2003; makemore's ``MLP``).

    ids (n_samples, context_size) -> E[ids] (n_samples, context_size, embedding_dim)
    -> reshaped to (n_samples, context_size * embedding_dim).
    """

    def __init__(self, vocab_size, embedding_dim, context_size, *, rng=None, init=None, dtype=np.float32,
                 trainable=True):
        super().__init__(vocab_size, embedding_dim, rng=rng, init=init, dtype=dtype, trainable=trainable)
        self.context_size = int(context_size)

    def get_config(self):
        return {**super().get_config(), "context_size": self.context_size}

    def __call__(self, ids, *, is_train):
        ids = self.ops.asarray(ids)
        if ids.ndim != 2 or ids.shape[1] != self.context_size:
            raise ValueError(f"Window: expected ids of shape (n_samples, {self.context_size}), got {ids.shape}")
        V = self._lookup(ids)                               # (n, context_size, embedding_dim)
        Y = V.reshape(ids.shape[0], -1)                     # (n, context_size * embedding_dim)

        def backprop(dY):
            assert dY.shape == Y.shape, f"Window.backprop: dY {dY.shape} != Y {Y.shape}"
            self._accumulate(ids, dY)
            return None

        return Y, backprop


class MeanPool(_Elementwise):
    """Mean over each sequence of a :class:`Ragged`: data (n_total, d) -> (n_sequences, d).

    Empty sequences give a zero vector (no division by zero).
    """

    def __call__(self, X, *, is_train):
        if not isinstance(X, Ragged):
            raise ValueError(f"MeanPool: expected a Ragged batch, got {type(X).__name__}")
        ops = self.ops
        lengths = ops.asarray(X.lengths)
        denom = ops.xp.maximum(lengths, 1).astype(X.data.dtype)[:, None]  # (n, 1)
        Y = ops.segment_sum(X.data, lengths) / denom                  # (n, d)

        def backprop(dY):
            return Ragged(ops.repeat_rows(dY / denom, lengths, X.data.shape[0]), lengths)  # (n_total, d)

        return Y, backprop


#: Activation names accepted by configs and the CLI.
ACTIVATIONS = {
    "relu": ReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "leaky_relu": LeakyReLU,
    "softplus": Softplus,
    "identity": Identity,
    "linear": Identity,
}
