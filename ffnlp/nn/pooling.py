"""Layers on ragged batches: max pooling, windowed convolution + pooling, word dropout, a partly frozen table.

A :class:`~ffnlp.nn.layers.Ragged` batch stores variable-length sequences flat (``data`` (n_total, ...)
plus ``lengths`` (n_sequences,)); everything here is vectorized over the whole batch, with no Python loop
over sequences or items.

* :class:`EmbeddingBag` -- embedding lookup and mean over each sequence, fused: Ragged ids -> (n, dim),
  with the gradient of the used rows computed as one sparse-matrix product (no (n_total, dim) temporary).
* :class:`MaxPool` -- elementwise max over each sequence: Ragged (n_total, d) -> (n_sequences, d).
* :class:`ConvPool` -- Collobert et al. (2011)'s sentence approach: the vectors of each window of
  ``window`` consecutive items are concatenated, passed through one shared hidden layer and pooled (max or
  mean) over positions: Ragged (n_total, n_in) -> (n_sequences, n_out).
* :class:`WordDropout` -- drops whole items of a Ragged batch of ids in training (Iyyer et al. 2015).
* :class:`Ensemble` -- the mean of several networks' outputs on the same input (averaged logits).
* :class:`ScaledBag` -- direct connections from a bag of ids to the outputs, each id's weights scaled by
  a fixed factor (naive Bayes log-count ratios, Wang & Manning 2012), mean-pooled.
* :class:`PartlyFrozenEmbedding` -- an :class:`~ffnlp.nn.layers.Embedding` whose first ``n_frozen`` rows
  get no gradient (pretrained word vectors kept fixed next to trainable extra rows such as hashed bigrams).
* Weighted bags, whose per-item weights travel with the batch (computed once, outside the model, by
  :class:`ffnlp.text.features.DocumentEncoder`): :class:`WeightedEmbeddingBag` (weighted sum of
  embeddings), :class:`DirectBag` (direct connections with per-item, per-output scales, e.g. NB ratios),
  and :class:`Select` (one field of a batch that carries several bags).
"""
from __future__ import annotations

import numpy as np

from ffnlp.nn.backends import NUMPY_OPS
from ffnlp.nn.init import get_initializer, glorot_uniform, he_normal
from ffnlp.nn.layer import Layer
from ffnlp.nn.layers import ACTIVATIONS, Dropout, Embedding, MeanPool, Ragged, check_ids

__all__ = ["EmbeddingBag", "MaxPool", "ConvPool", "WordDropout", "PartlyFrozenEmbedding", "Ensemble", "ScaledBag",
           "POOLS", "Select", "WeightedEmbeddingBag", "DirectBag"]


def _check_ragged(ops, X, name, width=None):
    """The lengths of a Ragged batch as a host int64 array (lengths are small metadata, kept on the host
    as shapes are), after checking them against the data."""
    if not isinstance(X, Ragged):
        raise ValueError(f"{name}: expected a Ragged batch, got {type(X).__name__}")
    lengths = NUMPY_OPS.asarray(ops.to_host(X.lengths) if ops.is_array(X.lengths) else X.lengths)
    if lengths.ndim != 1 or (lengths.size and lengths.min() < 0) or int(lengths.sum()) != X.data.shape[0]:
        raise ValueError(f"{name}: lengths (sum {int(lengths.sum())}) do not match data of shape {X.data.shape}")
    if width is not None and (X.data.ndim != 2 or X.data.shape[1] != width):
        raise ValueError(f"{name}: expected Ragged data of shape (n_total, {width}), got {X.data.shape}")
    return lengths.astype("int64", copy=False)


def _weighted_bag(layer, ids, w, lengths):
    """``Y[b] = sum_{t in b} w_t E[ids_t]`` of an embedding-bag layer, and its backward pass: rows below
    ``layer.n_frozen`` get no gradient; the touched rows are recorded for lazy updates."""
    ops, E = layer.ops, layer.params["E"]
    plan = ops.bag_plan(ids, w, lengths, E.dtype)
    Y = plan.apply(ops.take_rows(E, plan.rows))                            # (n, embedding_dim)

    def backprop(dY):
        assert dY.shape == Y.shape, f"{type(layer).__name__}.backprop: dY {dY.shape} != Y {Y.shape}"
        if not layer.trainable:
            return None
        G = plan.apply_T(dY)                                               # (n_rows, embedding_dim)
        if getattr(plan, "distinct", False) and layer._compact("E"):
            layer._keep_row_grads("E", plan.rows, G, layer.n_frozen)
            return None
        if layer.n_frozen:
            G = G * (plan.rows >= layer.n_frozen)[:, None]
        rows = ops.plan_scatter_add(plan, layer.grads["E"], G)
        layer._touch("E", plan.rows, rows, layer.n_frozen)
        return None

    return Y, backprop


class EmbeddingBag(Embedding):
    """Embedding lookup and mean over each sequence, fused (fastText's and DAN's averaged input).

    Ragged ids (n_total,) -> Y (n_sequences, embedding_dim), ``Y[j] = mean_{i in j} E[ids_i]``; an empty
    sequence gives zeros. ``weighting="tfidf"`` weights each distinct id of a sequence by
    ``(1 + log tf) * idf[id]`` instead, normalized to unit L2 norm per sequence (``idf``: a constant of shape
    (vocab_size,), saved with the model as the parameter ``idf``, which is never updated). Equal to
    ``chain(Embedding, MeanPool)`` but computed through the backend's bag operator (on the CPU a sparse
    product over the distinct ids of the batch, an order of magnitude faster on long documents). Rows
    ``0 .. n_frozen - 1`` get no gradient (pretrained vectors kept fixed); ``trainable=False`` freezes the
    whole table.
    """

    sparse_params = ("E", "idf")

    def __init__(self, vocab_size, embedding_dim, n_frozen=0, *, weighting="mean", idf=None, rng=None, init=None,
                 dtype=np.float32, trainable=True):
        super().__init__(vocab_size, embedding_dim, rng=rng, init=init, dtype=dtype, trainable=trainable)
        if not 0 <= n_frozen <= vocab_size:
            raise ValueError(f"EmbeddingBag: n_frozen must be in [0, {vocab_size}], got {n_frozen}")
        if weighting not in ("mean", "tfidf"):
            raise ValueError(f"EmbeddingBag: weighting must be 'mean' or 'tfidf', got {weighting!r}")
        self.n_frozen, self.weighting = int(n_frozen), weighting
        if weighting == "tfidf":  # a constant, stored with the model, never updated (no touched rows)
            w = NUMPY_OPS.full(self.vocab_size, 1.0, "float64") if idf is None else \
                NUMPY_OPS.asarray(idf, "float64").reshape(-1)
            self._new_param("idf", w.astype(dtype))

    def get_config(self):
        return {**super().get_config(), "n_frozen": self.n_frozen, "weighting": self.weighting}

    def __call__(self, X, *, is_train):
        ops = self.ops
        lengths = _check_ragged(ops, X, "EmbeddingBag")
        ids = ops.asarray(X.data)
        check_ids(ops, ids, self.vocab_size, "EmbeddingBag")
        idf = self.params["idf"] if self.weighting == "tfidf" else None
        w = ops.bag_item_weights(ids, lengths, "tfidf" if idf is not None else "mean", idf)
        return _weighted_bag(self, ids, w, lengths)

class MaxPool(Layer):
    """Elementwise max over each sequence of a :class:`~ffnlp.nn.layers.Ragged` batch.

    data (n_total, d) -> Y (n_sequences, d); an empty sequence gives a zero row. The gradient goes to the
    first position holding each maximum.
    """

    def __init__(self, dtype=None):
        super().__init__()

    @classmethod
    def from_config(cls, config, dtype=np.float32):
        return cls(**config)

    def __call__(self, X, *, is_train):
        ops = self.ops
        lengths = _check_ragged(ops, X, "MaxPool")
        data = X.data
        N, d = data.shape[0], data.shape[1]
        if not is_train:
            return ops.segment_max(data, lengths, return_arg=False), None
        Y, arg = ops.segment_max(data, lengths)                        # (n, d) each; arg N where empty

        def backprop(dY):
            assert dY.shape == Y.shape, f"MaxPool.backprop: dY {dY.shape} != Y {Y.shape}"
            dX = ops.alloc((N + 1, d), data.dtype)                     # row N absorbs the empty sequences
            dX[arg, ops.arange(d)[None, :]] = dY
            return Ragged(dX[:N], lengths)

        return Y, backprop


POOLS = {"max": MaxPool, "mean": MeanPool}


class ConvPool(Layer):
    """Windowed hidden layer pooled over positions (Collobert et al. 2011, "sentence approach").

    For each item ``t`` of a sequence, the vectors of the window ``t - left .. t + right`` (``window``
    items; ``left = (window - 1) // 2``, positions outside the sequence are zero vectors) are concatenated
    and mapped by one shared layer ``H_t = act(concat(x_{t-left}, ..., x_{t+right}) @ W + b)``; ``H`` is
    then max- or mean-pooled over the positions of each sequence.

    Parameters
    ----------
    n_in : int
        Width of the input vectors (the embedding dimension).
    n_out : int
        Hidden units (the width of the pooled document vector).
    window : int, default=3
    activation : str, default="relu"
        A name of :data:`ffnlp.nn.layers.ACTIVATIONS`.
    pool : {"max", "mean"}, default="max"
    rng, init, dtype
        As for :class:`~ffnlp.nn.layers.Dense`; ``init=None`` picks He for ReLU, Glorot otherwise.

    Shapes: X Ragged data (n_total, n_in) -> Y (n_sequences, n_out); W (window * n_in, n_out); b (n_out,).
    An empty sequence gives the pooled value of no positions: a zero row.

    References
    ----------
    R. Collobert, J. Weston, L. Bottou, M. Karlen, K. Kavukcuoglu and P. Kuksa. Natural language
    processing (almost) from scratch. JMLR 12, 2011.
    """

    decay = ("W",)

    def __init__(self, n_in, n_out, window=3, *, activation="relu", pool="max", rng=None, init=None,
                 dtype=np.float32):
        super().__init__()
        if n_in <= 0 or n_out <= 0 or window <= 0:
            raise ValueError(f"ConvPool: sizes must be positive, got n_in={n_in}, n_out={n_out}, window={window}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"ConvPool: unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")
        if pool not in POOLS:
            raise ValueError(f"ConvPool: pool must be one of {sorted(POOLS)}, got {pool!r}")
        self.n_in, self.n_out, self.window = int(n_in), int(n_out), int(window)
        self.activation, self.pool = activation, pool
        if init is None:
            init = he_normal if activation in ("relu", "leaky_relu") else glorot_uniform
        shape = (self.window * self.n_in, self.n_out)
        self._new_param("W", self.ops.alloc(shape, dtype) if rng is None
                        else get_initializer(init)(rng, shape, dtype).astype(dtype))
        self._new_param("b", self.ops.alloc(self.n_out, dtype))
        self._act = ACTIVATIONS[activation]()
        self._pool = POOLS[pool]()

    def get_config(self):
        return {"n_in": self.n_in, "n_out": self.n_out, "window": self.window, "activation": self.activation,
                "pool": self.pool}

    def _moved(self):
        super()._moved()
        self._act.ops = self._pool.ops = self.ops     # the inner activation and pool are not children

    def _window_index(self, lengths):
        """Rows of the zero-padded flat array for every window, and where the real items sit in it
        (index arithmetic on the host lengths; the index arrays then move to the backend once)."""
        host = NUMPY_OPS
        k, left = self.window, (self.window - 1) // 2
        padded = host.xp.where(lengths > 0, lengths + k - 1, 0)        # (n,)
        pstarts = host.starts(padded)                                   # (n,)
        seg = host.segment_ids(lengths)                                 # (N,)
        within = host.arange(seg.shape[0]) - host.starts(lengths)[seg]  # (N,) position in sequence
        wstart = pstarts[seg] + within                                  # (N,) first padded row of each window
        rowpos = wstart + left                                          # (N,) padded row of each item
        idx = wstart[:, None] + host.arange(k)                          # (N, k)
        return int(padded.sum()), self.ops.asarray(idx), self.ops.asarray(rowpos)

    def __call__(self, X, *, is_train):
        ops = self.ops
        lengths = _check_ragged(ops, X, "ConvPool", self.n_in)
        W, b = self.params["W"], self.params["b"]
        data = ops.asarray(X.data, W.dtype)
        N = data.shape[0]
        n_padded, idx, rowpos = self._window_index(lengths)
        P = ops.alloc((n_padded, self.n_in), W.dtype)                   # (n_padded, n_in)
        P[rowpos] = data
        Xw = P[idx].reshape(N, self.window * self.n_in)                 # (N, window * n_in)
        Z = ops.affine(Xw, W, b)                                        # (N, n_out)
        H, act_bp = self._act(Z, is_train=is_train)
        Y, pool_bp = self._pool(Ragged(H, lengths), is_train=is_train)  # (n, n_out)
        if not is_train:
            return Y, None

        def backprop(dY):
            assert dY.shape == Y.shape, f"ConvPool.backprop: dY {dY.shape} != Y {Y.shape}"
            dZ = act_bp(pool_bp(dY).data)                               # (N, n_out)
            ops.gemm(Xw.T, dZ, self.grads["W"], accumulate=True)       # (window * n_in, n_out)
            self.grads["b"] += dZ.sum(axis=0)
            dXw = (dZ @ W.T).reshape(N, self.window, self.n_in)         # (N, window, n_in)
            dP = ops.alloc_like(P)
            for o in range(self.window):                                # rows idx[:, o] are distinct
                dP[idx[:, o]] += dXw[:, o]
            return Ragged(dP[rowpos], lengths)                          # (N, n_in)

        return Y, backprop


class WordDropout(Dropout):
    """Drop each item of a Ragged batch (of ids) with probability ``rate`` in training; identity otherwise.

    Iyyer et al. (2015) drop word tokens before averaging: the network must not rely on any one word.
    Sequences may become empty (pool layers give them a zero vector). ``seed`` seeds the layer's own
    Generator, so a run is repeatable. The items carry no gradient: ``backprop`` returns None.

    References
    ----------
    M. Iyyer, V. Manjunatha, J. Boyd-Graber and H. Daume III. Deep unordered composition rivals syntactic
    methods for text classification. ACL 2015.
    """

    def __init__(self, rate=0.3, *, seed=0, dtype=None):
        super().__init__(rate, seed=seed, dtype=dtype)

    def __call__(self, X, *, is_train):
        lengths = _check_ragged(self.ops, X, "WordDropout")
        if not is_train or self.rate == 0 or X.data.shape[0] == 0:
            return X, lambda dY: None
        # The mask is drawn and applied to the lengths on the host (the items' count is known there), so
        # the device gets a fixed gather, not a data-dependent selection.
        host = NUMPY_OPS
        keep = self.rng.random(X.data.shape[0]) >= self.rate            # (N,) host
        new_lengths = host.segment_sum(keep.astype("int64")[:, None], lengths)[:, 0]  # (n,)
        kept = self.ops.asarray(host.xp.flatnonzero(keep))
        return Ragged(self.ops.asarray(X.data)[kept], new_lengths), lambda dY: None


class PartlyFrozenEmbedding(Embedding):
    """An :class:`~ffnlp.nn.layers.Embedding` whose rows ``0 .. n_frozen - 1`` are fixed.

    Pretrained word vectors can stay frozen while rows after them (hashed bigrams, say) are trained;
    the frozen rows get no gradient and so no optimizer update (nor weight decay).
    """

    def __init__(self, vocab_size, embedding_dim, n_frozen=0, *, rng=None, init=None, dtype=np.float32):
        super().__init__(vocab_size, embedding_dim, rng=rng, init=init, dtype=dtype, trainable=True)
        if not 0 <= n_frozen <= vocab_size:
            raise ValueError(f"PartlyFrozenEmbedding: n_frozen must be in [0, {vocab_size}], got {n_frozen}")
        self.n_frozen = int(n_frozen)

    def get_config(self):
        return {"vocab_size": self.vocab_size, "embedding_dim": self.embedding_dim, "n_frozen": self.n_frozen}

    def _accumulate(self, ids, dV):
        # Frozen rows get a zero gradient (a fixed-size mask, no selection) and are left out of the rows
        # that the optimizer updates.
        ids = ids.reshape(-1)
        free = ids >= self.n_frozen                                     # (N,)
        dV = dV.reshape(-1, self.embedding_dim) * free[:, None]
        rows = self.ops.scatter_add(self.grads["E"], ids, dV)
        self._touch("E", ids, rows, self.n_frozen)


class Ensemble(Layer):
    """Mean (or, ``reduce="sum"``, sum) of the outputs of several layers applied to the same input:
    ``Y = mean_k f_k(X)``.

    For a classifier the members return logits, so the ensemble averages logits (a geometric mean of
    the members' probabilities, renormalized). Each member keeps its own parameters; ``backprop(dY)``
    sends ``dY / n_members`` to every member and returns the sum of their input gradients (None when the
    input is ids).
    """

    def __init__(self, *members: Layer, reduce: str = "mean"):
        super().__init__()
        if not members:
            raise ValueError("Ensemble needs at least one member")
        if reduce not in ("mean", "sum"):
            raise ValueError(f"Ensemble: reduce must be 'mean' or 'sum', got {reduce!r}")
        self.members = list(members)
        self.ops = self.members[0].ops          # a container lives where its children do
        self.reduce = reduce

    def get_config(self):
        return {"reduce": self.reduce}

    @property
    def children(self):
        return self.members

    @classmethod
    def from_children(cls, children, config):
        return cls(*children, **config)

    def __call__(self, X, *, is_train):
        outs, bps = zip(*(m(X, is_train=is_train) for m in self.members))
        k = len(self.members) if self.reduce == "mean" else 1
        Y = sum(outs[1:], outs[0].copy()) / k

        def backprop(dY):
            grads = [bp(dY / k) for bp in bps]
            if any(g is None for g in grads):
                return None
            if isinstance(grads[0], Ragged):
                return Ragged(sum(g.data for g in grads), grads[0].lengths)
            return sum(grads)

        return Y, backprop

    def predict(self, X):
        outs = [m.predict(X) for m in self.members]
        return sum(outs[1:], outs[0].copy()) / (len(outs) if self.reduce == "mean" else 1)

    def __len__(self):
        return len(self.members)

    def __getitem__(self, i):
        return self.members[i]


class ScaledBag(Layer):
    """Direct connections from a bag of ids to the outputs, with fixed per-id scales.

    ``Y[d] = sum_{i in d} a_{d,i} R[ids_i] * W[ids_i]`` for each sequence ``d`` of a Ragged batch of ids,
    where ``R`` (vocab_size, n_out) is a constant, e.g. the naive Bayes log-count ratio of each feature
    for each class (Wang & Manning 2012's NB scaling), and ``W`` is trained:

    * ``pooling="mean"``: ``a`` averages the occurrences (``a = 1 / len(d)`` per occurrence);
      ``pooling="presence"``: each distinct id counts once (binarized features, as NBSVM);
    * ``residual=False``: ``W = U`` (``U`` starts at ``init_value``, weight decay pulls it to 0);
      ``residual=True``: ``W = 1 + U`` (``U`` starts at 0, weight decay pulls the weights back to the naive
      Bayes solution ``W = 1``, like NBSVM's interpolation towards the mean weight).

    With ``W = 1`` the output is the multinomial naive Bayes log-odds of the sequence (averaged over its
    items with ``"mean"``). An empty sequence gives zeros.

    ``R`` is stored as a parameter, so it is saved with the model, but it receives no gradient and is
    never updated (a sparse parameter with no touched rows).

    Shapes: ids Ragged (n_total,) -> Y (n_sequences, n_out); U, R (vocab_size, n_out).

    References
    ----------
    S. Wang and C. D. Manning. Baselines and bigrams: simple, good sentiment and topic classification.
    ACL 2012.
    """

    decay = ("U",)
    sparse_params = ("U", "R")

    def __init__(self, vocab_size, n_out, *, scale=None, init_value=None, pooling="mean", residual=False,
                 dtype=np.float32, rng=None):
        super().__init__()
        if vocab_size <= 0 or n_out <= 0:
            raise ValueError(f"ScaledBag: sizes must be positive, got {vocab_size} x {n_out}")
        if pooling not in ("mean", "presence"):
            raise ValueError(f"ScaledBag: pooling must be 'mean' or 'presence', got {pooling!r}")
        self.vocab_size, self.n_out = int(vocab_size), int(n_out)
        self.pooling, self.residual = pooling, bool(residual)
        if init_value is None:
            init_value = 0.0 if self.residual else 1.0
        shape = (self.vocab_size, self.n_out)
        R = NUMPY_OPS.full(shape, 1.0, dtype) if scale is None else NUMPY_OPS.asarray(scale, dtype).reshape(shape)
        self._new_param("U", self.ops.full(shape, init_value, dtype))
        self._new_param("R", R)

    def get_config(self):
        return {"vocab_size": self.vocab_size, "n_out": self.n_out, "pooling": self.pooling,
                "residual": self.residual}

    def __call__(self, X, *, is_train):
        ops = self.ops
        lengths = _check_ragged(ops, X, "ScaledBag")
        ids = ops.asarray(X.data)
        check_ids(ops, ids, self.vocab_size, "ScaledBag")
        U = self.params["U"]
        w = ops.bag_item_weights(ids, lengths, "presence" if self.pooling == "presence" else "mean")
        plan = ops.bag_plan(ids, w, lengths, U.dtype)
        rows = plan.rows
        R = self.params["R"][rows]                                        # (n_rows, n_out)
        W = U[rows] + 1 if self.residual else U[rows]
        Y = plan.apply(R * W)                                             # (n, n_out)
        if not is_train:
            return Y, None

        def backprop(dY):
            assert dY.shape == Y.shape, f"ScaledBag.backprop: dY {dY.shape} != Y {Y.shape}"
            touched = ops.plan_scatter_add(plan, self.grads["U"], R * plan.apply_T(dY))
            self._touch("U", rows, touched)
            return None

        return Y, backprop


# ----------------------------------------------------------------------------- weighted bags


def _check_bag(ops, X, name, n_out=None):
    """(ids, host lengths, weights) of a weighted bag (``data``, ``lengths``, ``weights`` fields, as
    :class:`ffnlp.text.features.Bag`): weights (n_total,) or, with ``n_out``, (n_total, n_out)."""
    for field in ("data", "lengths", "weights"):
        if not hasattr(X, field):
            raise ValueError(f"{name}: expected a weighted bag (data, lengths, weights), got {type(X).__name__}")
    lengths = NUMPY_OPS.asarray(ops.to_host(X.lengths) if ops.is_array(X.lengths) else X.lengths).astype("int64")
    ids = ops.asarray(X.data).reshape(-1)
    if lengths.ndim != 1 or (lengths.size and lengths.min() < 0) or int(lengths.sum()) != ids.shape[0]:
        raise ValueError(f"{name}: lengths (sum {int(lengths.sum())}) do not match {ids.shape[0]} ids")
    shape = (ids.shape[0],) if n_out is None else (ids.shape[0], n_out)
    if tuple(X.weights.shape) != shape:
        raise ValueError(f"{name}: weights must have shape {shape}, got {tuple(X.weights.shape)}")
    return ids, lengths, ops.asarray(X.weights)


class Select(Layer):
    """One field of a batch that carries several inputs: ``Select("embed")(batch) -> batch.embed`` (no
    parameters; the gradient stops here, as for ids)."""

    def __init__(self, field: str, dtype=None):
        super().__init__()
        self.field = str(field)

    def get_config(self):
        return {"field": self.field}

    @classmethod
    def from_config(cls, config, dtype=np.float32):
        return cls(**config)

    def __call__(self, X, *, is_train):
        if not hasattr(X, self.field):
            raise ValueError(f"Select: the batch ({type(X).__name__}) has no field {self.field!r}")
        return getattr(X, self.field), (lambda dY: None)


class WeightedEmbeddingBag(Embedding):
    """Weighted sum of embeddings per bag, with the weights carried by the batch.

    Bag (ids (N,), lengths (n,), weights (N,)) -> Y (n, embedding_dim), ``Y[j] = sum_{t in j} w_t E[ids_t]``.
    With TF-IDF weights (computed once by :class:`ffnlp.text.features.DocumentEncoder`) this is the
    TF-IDF-weighted average of a document's words; with ``tf / length`` the plain mean (fastText's and DAN's
    input). The layer holds the table only, no corpus statistics. Rows ``0 .. n_frozen - 1`` get no gradient
    (pretrained vectors kept fixed); ``trainable=False`` freezes the table. Computed through the backend's
    bag operator (on the CPU a sparse product over the batch's distinct ids).
    """

    def __init__(self, vocab_size, embedding_dim, n_frozen=0, *, rng=None, init=None, dtype=np.float32,
                 trainable=True):
        super().__init__(vocab_size, embedding_dim, rng=rng, init=init, dtype=dtype, trainable=trainable)
        if not 0 <= n_frozen <= vocab_size:
            raise ValueError(f"WeightedEmbeddingBag: n_frozen must be in [0, {vocab_size}], got {n_frozen}")
        self.n_frozen = int(n_frozen)

    def get_config(self):
        return {**super().get_config(), "n_frozen": self.n_frozen}

    def __call__(self, X, *, is_train):
        ops = self.ops
        ids, lengths, w = _check_bag(ops, X, "WeightedEmbeddingBag")
        check_ids(ops, ids, self.vocab_size, "WeightedEmbeddingBag")
        return _weighted_bag(self, ids, w, lengths)

class DirectBag(Layer):
    """Direct connections from a bag of features to the outputs, with per-item scales carried by the batch.

    Bag (ids (N,), lengths (n,), weights S (N, n_out)) -> ``Y[j] = sum_{t in j} S_t * W[ids_t]`` (n, n_out),
    with ``W = 1 + U`` (``residual=True``: ``U`` starts at 0 and weight decay pulls the weights back to
    ``W = 1``, NBSVM's interpolation towards naive Bayes) or ``W = U`` (``U`` starts at ``init_value``,
    default 1). With naive Bayes log-count ratios as the scales (Wang & Manning 2012; computed once by
    :class:`ffnlp.text.features.DocumentEncoder`) and ``W = 1``, ``Y`` is the naive Bayes log-odds. The
    layer holds ``U`` only (vocab_size, n_out); unlike :class:`ScaledBag` it keeps no corpus constant.

    References
    ----------
    S. Wang and C. D. Manning. Baselines and bigrams: simple, good sentiment and topic classification.
    ACL 2012.
    """

    decay = ("U",)
    sparse_params = ("U",)

    def __init__(self, vocab_size, n_out, *, residual=True, init_value=None, dtype=np.float32, rng=None):
        super().__init__()
        if vocab_size <= 0 or n_out <= 0:
            raise ValueError(f"DirectBag: sizes must be positive, got {vocab_size} x {n_out}")
        self.vocab_size, self.n_out, self.residual = int(vocab_size), int(n_out), bool(residual)
        if init_value is None:
            init_value = 0.0 if self.residual else 1.0
        self._new_param("U", self.ops.full((self.vocab_size, self.n_out), init_value, dtype))

    def get_config(self):
        return {"vocab_size": self.vocab_size, "n_out": self.n_out, "residual": self.residual}

    def __call__(self, X, *, is_train):
        ops = self.ops
        ids, lengths, S = _check_bag(ops, X, "DirectBag", self.n_out)
        check_ids(ops, ids, self.vocab_size, "DirectBag")
        U = self.params["U"]
        W = ops.take_rows(U, ids)                                          # (N, n_out)
        if self.residual:
            W = W + 1
        Y = ops.segment_sum(S * W, lengths)                                # (n, n_out)
        if not is_train:
            return Y, None

        def backprop(dY):
            assert dY.shape == Y.shape, f"DirectBag.backprop: dY {dY.shape} != Y {Y.shape}"
            G = ops.repeat_rows(dY, lengths, ids.shape[0]) * S               # (N, n_out)
            if self._compact("U"):
                self._keep_row_grads("U", *ops.sum_rows(ids, G))              # (k,) rows, (k, n_out) sums
                return None
            rows = ops.scatter_add(self.grads["U"], ids, G)
            self._touch("U", ids, rows)
            return None

        return Y, backprop
