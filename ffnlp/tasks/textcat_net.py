"""Network assembly for :class:`~ffnlp.tasks.textcat.FFNTextClassifier`, and the layers on weighted bags.

A network takes the :class:`~ffnlp.text.features.FeatureBatch` that the
:class:`~ffnlp.text.features.DocumentEncoder` cuts out (features, TF-IDF weights and NB scales computed
once per fit) and returns logits::

    Ensemble(chain(Select("embed"), WeightedEmbeddingBag, [Dropout], Dense ... -> n_out),
             chain(Select("direct"), DirectBag -> n_out), reduce="sum")

The layers hold parameters only. ``WeightedEmbeddingBag`` is the weighted average of embeddings (the DAN
and fastText input, with the encoder's TF-IDF weights); ``DirectBag`` is Bengio et al. (2003)'s direct
connections from the features to the outputs, each scaled by its naive Bayes log-count ratio (Wang &
Manning 2012), as NBSVM.

The bag products go through :data:`_OPS` (a weighted segment sum and its transpose as sparse products),
the seam where the backend object of :mod:`ffnlp.nn` plugs in.

The networks of files written before the encoder (``EmbeddingBag``/``ScaledBag`` on id documents, and
the windowed ``ConvPool``) are assembled by :func:`build_legacy_network`.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ffnlp.nn import Dropout, Embedding, build_mlp, chain
from ffnlp.nn.layer import Layer
from ffnlp.nn.pooling import ConvPool, EmbeddingBag, Ensemble, PartlyFrozenEmbedding, ScaledBag, WordDropout

__all__ = ["Select", "WeightedEmbeddingBag", "DirectBag", "build_network", "build_legacy_network",
           "embedding_table"]


class _BagOps:
    """Weighted bag products on the host (scipy sparse), with the signatures of the backend's ``bag_sum``."""

    @staticmethod
    def distinct(ids, rows=None, inverse=None):
        """(sorted distinct ids, inverse), unless the batch brought them."""
        if rows is None or inverse is None:
            rows, inverse = np.unique(ids, return_inverse=True)
        return rows, inverse.reshape(-1)

    def bag_sum(self, E, ids, weights, lengths, rows=None, inverse=None):
        """``Y[i] = sum_{t in bag i} w_t E[ids_t]``: E (V, d), ids (N,), weights (N,) -> Y (n, d), and the
        cache of the backward pass."""
        rows, inverse = self.distinct(ids, rows, inverse)
        data = np.ones(ids.shape[0], dtype=E.dtype) if weights is None else weights.astype(E.dtype, copy=False)
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        A = sp.csr_matrix((data, inverse, indptr), shape=(lengths.shape[0], rows.shape[0]))
        return np.asarray(A @ E[rows], dtype=E.dtype), (A, rows)

    @staticmethod
    def bag_sum_backward(dY, cache, dE, first_free=0):
        """Adds dLoss/dE of :meth:`bag_sum` into ``dE``; returns the touched rows (>= first_free)."""
        A, rows = cache
        G = np.asarray(A.T @ dY, dtype=dE.dtype)                              # (n_used, d)
        free = rows >= first_free
        dE[rows[free]] += G[free]                                              # rows are distinct
        return rows[free]

    @staticmethod
    def segment_sum(X, lengths):
        """Sum of the rows of each segment: X (N, d), lengths (n,) -> (n, d)."""
        out = np.zeros((lengths.shape[0],) + X.shape[1:], dtype=X.dtype)
        nonempty = lengths > 0
        if X.shape[0]:
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            out[nonempty] = np.add.reduceat(X, starts[nonempty], axis=0)
        return out

    @staticmethod
    def scatter_add(table, ids, updates):
        """``table[ids] += updates`` with repeated ids adding up; returns the distinct ids (sorted)."""
        order = np.argsort(ids, kind="stable")
        sids = ids[order]
        starts = np.flatnonzero(np.r_[True, sids[1:] != sids[:-1]])
        rows = sids[starts]
        table[rows] += np.add.reduceat(updates[order], starts, axis=0)
        return rows


_OPS = _BagOps()


def _record(layer, key, rows):
    prev = layer.sparse.get(key)
    layer.sparse[key] = rows if prev is None else np.union1d(prev, rows)


class Select(Layer):
    """Pick one field of a batch: ``Select("embed")(batch) -> batch.embed`` (no parameters, no gradient)."""

    def __init__(self, field: str, dtype=None):
        super().__init__()
        self.field = str(field)

    def get_config(self):
        return {"field": self.field}

    @classmethod
    def from_config(cls, config, dtype=np.float32):
        return cls(**config)

    def __call__(self, X, *, is_train):
        return getattr(X, self.field), (lambda dY: None)


class WeightedEmbeddingBag(Embedding):
    """Weighted sum of embeddings per bag: Bag (ids (N,), lengths (n,), weights (N,)) -> Y (n, embedding_dim),
    ``Y[j] = sum_{t in j} w_t E[ids_t]``.

    With the encoder's TF-IDF weights this is the TF-IDF-weighted average of the document's words; with
    ``tf / length`` it is the plain mean (fastText's and DAN's input). Rows ``0 .. n_frozen - 1`` get no
    gradient (pretrained vectors kept fixed); ``trainable=False`` freezes the table.
    """

    sparse_params = ("E",)

    def __init__(self, vocab_size, embedding_dim, n_frozen=0, *, rng=None, init=None, dtype=np.float32,
                 trainable=True):
        super().__init__(vocab_size, embedding_dim, rng=rng, init=init, dtype=dtype, trainable=trainable)
        if not 0 <= n_frozen <= vocab_size:
            raise ValueError(f"WeightedEmbeddingBag: n_frozen must be in [0, {vocab_size}], got {n_frozen}")
        self.n_frozen = int(n_frozen)

    def get_config(self):
        return {**super().get_config(), "n_frozen": self.n_frozen}

    def __call__(self, X, *, is_train):
        ids, lengths, weights = X.data, X.lengths, X.weights
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"WeightedEmbeddingBag: ids must lie in [0, {self.vocab_size}), got range "
                             f"[{ids.min()}, {ids.max()}]")
        E = self.params["E"]
        Y, cache = _OPS.bag_sum(E, ids, weights, lengths, X.rows, X.inverse)   # (n, embedding_dim)

        def backprop(dY):
            assert dY.shape == Y.shape, f"WeightedEmbeddingBag.backprop: dY {dY.shape} != Y {Y.shape}"
            if self.trainable:
                _record(self, "E", _OPS.bag_sum_backward(dY, cache, self.grads["E"], self.n_frozen))
            return None

        return Y, backprop


class DirectBag(Layer):
    """Direct connections from a bag of features to the outputs, with per-item scales from the batch.

    Bag (ids (N,), lengths (n,), weights S (N, n_out)) -> ``Y[j] = sum_{t in j} S_t * W[ids_t]`` (n, n_out),
    with ``W = 1 + U`` (``residual=True``: ``U`` starts at 0 and weight decay pulls the weights back to the
    naive Bayes solution, NBSVM's interpolation) or ``W = U`` (``U`` starts at ``init_value``). With the
    encoder's NB log-count ratios as scales and ``W = 1``, ``Y`` is the naive Bayes log-odds.

    Shapes: U (vocab_size, n_out).

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
        self.params = {"U": np.full((self.vocab_size, self.n_out), init_value, dtype=dtype)}
        self.grads = {"U": np.zeros_like(self.params["U"])}

    def get_config(self):
        return {"vocab_size": self.vocab_size, "n_out": self.n_out, "residual": self.residual}

    def __call__(self, X, *, is_train):
        ids, lengths, S = X.data, X.lengths, X.weights
        if S.shape != (ids.shape[0], self.n_out):
            raise ValueError(f"DirectBag: weights must have shape ({ids.shape[0]}, {self.n_out}), got {S.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"DirectBag: ids must lie in [0, {self.vocab_size}), got [{ids.min()}, {ids.max()}]")
        U = self.params["U"]
        rows, inverse = _OPS.distinct(ids, X.rows, X.inverse)
        W = U[rows]                                                            # (n_used, n_out)
        if self.residual:
            W += 1
        Y = _OPS.segment_sum(S * W[inverse], lengths)                          # (n, n_out)
        if not is_train:
            return Y, None

        def backprop(dY):
            assert dY.shape == Y.shape, f"DirectBag.backprop: dY {dY.shape} != Y {Y.shape}"
            G = np.repeat(dY, lengths, axis=0) * S                             # (N, n_out)
            dU = self.grads["U"]
            for c in range(self.n_out):                                        # rows are distinct
                dU[rows, c] += np.bincount(inverse, weights=G[:, c], minlength=rows.shape[0]).astype(dU.dtype)
            _record(self, "U", rows)
            return None

        return Y, backprop


def build_network(*, n_embedded, n_features, n_out, embedding_dim, rng, seed, hidden=(), activation="relu",
                  dropout=0.0, n_frozen=0, direct=True, residual=True, pretrained=None):
    """The network on :class:`~ffnlp.text.features.FeatureBatch`: weighted embedding average -> hidden
    layers -> n_out logits, plus the direct connections (``direct``); ``pretrained``: (vectors (k, dim),
    row ids (k,)) copied into the table."""
    emb = WeightedEmbeddingBag(n_embedded, embedding_dim, n_frozen=n_frozen, rng=rng)
    if pretrained is not None:
        vectors, ids = pretrained
        E = emb.params["E"]
        E *= vectors.std() * np.sqrt(embedding_dim)  # unknown words: the pretrained vectors' scale
        E[ids] = vectors
    layers = [Select("embed"), emb]
    if dropout:
        layers.append(Dropout(float(dropout), seed=seed + 11))
    mlp = build_mlp([embedding_dim, *hidden, n_out], activation=activation, rng=rng, dropout=float(dropout),
                    input_grad=True, seed=seed + 13)
    net = chain(*layers, *mlp.layers)
    if not direct:
        return net
    return Ensemble(net, chain(Select("direct"), DirectBag(n_features, n_out, residual=residual)), reduce="sum")


def build_legacy_network(*, doc_vector, n_words, n_rows, n_out, dim, rng, seed, pre=None, freeze=False,
                         term_weighting="tfidf", idf=None, word_dropout=0.0, dropout=0.0, hidden=(),
                         activation="relu", window=3, conv_units=200, conv_pool="max", nb_scale=None,
                         nb_style="mean"):
    """The network on id documents (``doc_vector="conv"``, and files written before the encoder)."""
    n_frozen = n_words if pre is not None and freeze else 0
    if doc_vector == "mean":  # lookup + (weighted) mean, fused
        emb = EmbeddingBag(n_rows, dim, n_frozen=n_frozen, weighting=term_weighting, idf=idf, rng=rng)
    elif n_frozen:
        emb = PartlyFrozenEmbedding(n_rows, dim, n_frozen=n_frozen, rng=rng)
    else:
        emb = Embedding(n_rows, dim, rng=rng)
    if pre is not None:
        vectors, ids = pre
        E = emb.params["E"]
        E[:n_words] *= vectors.std() * np.sqrt(dim)
        E[ids] = vectors
    layers = []
    if word_dropout:
        layers.append(WordDropout(float(word_dropout), seed=seed + 7))
    layers.append(emb)
    if doc_vector == "mean":
        n_doc = dim
    elif doc_vector == "conv":
        layers.append(ConvPool(dim, int(conv_units), int(window), activation=activation, pool=conv_pool, rng=rng))
        n_doc = int(conv_units)
    else:
        raise ValueError(f"doc_vector must be 'mean' or 'conv', got {doc_vector!r}")
    if dropout:
        layers.append(Dropout(float(dropout), seed=seed + 11))
    mlp = build_mlp([n_doc, *hidden, n_out], activation=activation, rng=rng, dropout=float(dropout),
                    input_grad=True, seed=seed + 13)
    net = chain(*layers, *mlp.layers)
    if nb_scale is None:
        return net
    nbsvm = nb_style == "nbsvm"
    return Ensemble(net, ScaledBag(n_rows, n_out, scale=nb_scale, pooling="presence" if nbsvm else "mean",
                                   residual=nbsvm), reduce="sum")


def embedding_table(network):
    """The word embedding matrix ``E`` of a member network: the first layer, depth first, that has one
    (None if none has)."""
    return next((layer.params["E"] for layer in network.walk() if "E" in layer.params), None)
