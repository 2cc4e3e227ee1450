"""Softmax output layers fused with their negative log-likelihood: the full softmax and an exact
class-factored softmax.

Both layers map features ``X`` (n_samples, n_in) to a distribution over ``n_out`` outputs (a
vocabulary) and share one interface:

``logP, backprop = layer(X, is_train=...)``
    The exact log-probabilities of every output, shape (n_samples, n_out); ``backprop(dlogP) -> dX``.
    Used to predict, to sample and to gradient-check; it costs the full ``n_in x n_out`` product.
``loss, dX = layer.loss(X, y)``
    The fused training step: mean negative log-likelihood (nats) of the targets ``y`` and its gradient
    with respect to ``X``; the parameter gradients are *added* into ``layer.grads``. Only the loss
    divides by the batch size.
``logprob(X, y)``
    ``log p(y_i | x_i)`` for each row, shape (n_samples,), without gradients (for perplexity).

:class:`SoftmaxOutput` is the reference: ``p(w | x) = softmax(x W + b)_w``.

:class:`ClassFactoredSoftmax` groups the outputs into classes of consecutive ids (for a vocabulary
sorted by descending frequency, :func:`frequency_classes` cuts it into ~sqrt(n_out) classes of equal
unigram mass, as Mikolov et al. 2011 do) and factors the probability exactly::

    p(w | x) = p(c(w) | x) * p(w | c(w), x)
    p(c | x) = softmax(x Wc + bc)_c,       p(w | c, x) = softmax over the words of c of (x W + b)

Both factors are normalized, so the product is a normalized distribution over all outputs and the
perplexity stays exact. Training touches only the class logits and the logits of the target's own
class, about ``2 sqrt(n_out)`` instead of ``n_out`` columns per example.

References
----------
J. Goodman (2001). Classes for fast maximum entropy training. ICASSP.
T. Mikolov, S. Kombrink, L. Burget, J. Cernocky, S. Khudanpur (2011). Extensions of recurrent neural
network language model. ICASSP.
"""
from __future__ import annotations

import math

import numpy as np

from ffnlp.nn.backends import NUMPY_GEMM_MIN, NUMPY_OPS
from ffnlp.nn.init import get_initializer, glorot_uniform
from ffnlp.nn.layer import Layer

__all__ = ["SoftmaxOutput", "ClassFactoredSoftmax", "frequency_classes", "check_output"]


def _check_X(X, n_in, name):
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(f"{name}: expected X of shape (n_samples, {n_in}), got {X.shape}")


def _check_y(ops, y, n, n_out, name):
    y = ops.asarray(y)
    if tuple(y.shape) != (n,):
        raise ValueError(f"{name}: targets must have shape ({n},), got {tuple(y.shape)}")
    if y.dtype.kind not in "iu":
        raise ValueError(f"{name}: targets must be integer ids, got dtype {y.dtype}")
    if ops.check_values and y.size and (y.min() < 0 or y.max() >= n_out):
        raise ValueError(f"{name}: targets must lie in [0, {n_out}), got range [{y.min()}, {y.max()}]")
    return y


def _init_weight(ops, rng, init, shape, dtype):
    if rng is None:
        return ops.alloc(shape, dtype)
    return ops.asarray(get_initializer(init)(rng, shape, dtype), dtype)


class _FusedOutput(Layer):
    """Shared parts: the work buffers and the batched ``logprob``."""

    def _ones(self, n, dtype):
        """A cached vector of ``n`` ones (for row sums by matrix-vector product)."""
        ones = getattr(self, "_ones_cache", None)
        if ones is None or ones.shape[0] != n or ones.dtype != dtype:
            ones = self._ones_cache = self.ops.full(n, 1, dtype)
        return ones

    def _buffer(self, shape, dtype):
        # One reusable work array: a fresh 16 MB array per step costs page faults.
        buf = getattr(self, "_work", None)
        size = math.prod(shape)
        if buf is None or buf.dtype != dtype or buf.size < size:
            buf = self._work = self.ops.empty(size, dtype)
        return buf[:size].reshape(shape)

    def logprob(self, X, y, *, batch_size: int = 1024):
        """``log p(y_i | X_i)`` for every row, in batches, without gradients.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_in)
        y : int ndarray of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_samples,), float64, on the host
        """
        ops = self.ops
        X = ops.asarray(X)
        _check_X(X, self.n_in, type(self).__name__)
        y = _check_y(ops, y, X.shape[0], self.n_out, type(self).__name__)
        parts = [ops.to_host(self._logprob(X[lo:lo + batch_size], y[lo:lo + batch_size]))
                 for lo in range(0, X.shape[0], batch_size)]
        return NUMPY_OPS.concat(parts).astype("float64") if parts else NUMPY_OPS.alloc(0, "float64")

    def log_proba(self, X):
        """Exact log-probabilities of every output, shape (n_samples, n_out)."""
        return self.predict(X)

    def predict_proba(self, X):
        """Probabilities of every output, shape (n_samples, n_out); rows sum to 1."""
        P = self.predict(X)
        self.ops.xp.exp(P, out=P)
        return P

    def _grad_buffer(self, like):
        buf = getattr(self, "_gwork", None)
        if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
            buf = self._gwork = self.ops.empty_like(like)
        return buf

    def _release(self):
        self._work = self._gwork = None


class SoftmaxOutput(_FusedOutput):
    """Full softmax output ``p(. | X) = softmax(X W + b)`` fused with its negative log-likelihood.

    Parameters
    ----------
    n_in : int
        Input features.
    n_out : int
        Outputs (vocabulary size).
    rng : numpy.random.Generator, optional
        Source of the initial weights (zeros without it).
    init : callable or str, default glorot_uniform

    Shapes: X (n_samples, n_in); W (n_in, n_out); b (n_out,); y (n_samples,) int.

    Examples
    --------
    >>> import numpy as np
    >>> out = SoftmaxOutput(3, 5, rng=np.random.default_rng(0))
    >>> X = np.ones((2, 3), np.float32)
    >>> loss, dX = out.loss(X, np.array([0, 4]))
    >>> dX.shape, bool(np.allclose(np.exp(out.predict(X)).sum(axis=1), 1))
    ((2, 3), True)
    """

    decay = ("W",)

    def __init__(self, n_in, n_out, *, rng=None, init=glorot_uniform, dtype=np.float32):
        super().__init__()
        if n_in <= 0 or n_out <= 0:
            raise ValueError(f"SoftmaxOutput: sizes must be positive, got n_in={n_in}, n_out={n_out}")
        self.n_in, self.n_out = int(n_in), int(n_out)
        self._new_param("W", _init_weight(self.ops, rng, init, (self.n_in, self.n_out), dtype))
        self._new_param("b", self.ops.alloc(self.n_out, dtype))

    def get_config(self):
        return {"n_in": self.n_in, "n_out": self.n_out}

    def __call__(self, X, *, is_train):
        ops = self.ops
        W, b = self.params["W"], self.params["b"]
        X = ops.asarray(X, W.dtype)
        _check_X(X, self.n_in, "SoftmaxOutput")
        logP = ops.log_softmax(ops.affine(X, W, b))        # (n, n_out)

        def backprop(dlogP):
            assert dlogP.shape == logP.shape, f"SoftmaxOutput.backprop: {dlogP.shape} != {logP.shape}"
            dZ = dlogP - ops.xp.exp(logP) * dlogP.sum(axis=1, keepdims=True)  # (n, n_out)
            ops.gemm(X.T, dZ, self.grads["W"], accumulate=True)
            self.grads["b"] += dZ.sum(axis=0)
            return dZ @ W.T                                 # (n, n_in)

        return logP, backprop

    def _logprob(self, X, y):
        ops, xp = self.ops, self.ops.xp
        W, b = self.params["W"], self.params["b"]
        X = X.astype(W.dtype, copy=False)
        n = X.shape[0]
        Z = self._buffer((n, self.n_out), W.dtype)
        ops.gemm(X, W, out=Z)
        Z += b
        zt = ops.pick(Z, y).astype(np.float64)
        mx = Z.max(axis=1, keepdims=True)
        Z -= mx
        xp.exp(Z, out=Z)
        return zt - mx[:, 0] - xp.log(Z.sum(axis=1, dtype=np.float64))

    def loss(self, X, y, sample_weight=None):
        """Mean NLL of ``y`` and ``dX``; adds the parameter gradients into ``self.grads``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_in)
        y : int ndarray of shape (n_samples,)
        sample_weight : ndarray of shape (n_samples,), optional

        Returns
        -------
        loss : float
            ``mean_i w_i * -log p(y_i | X_i)`` in nats.
        dX : ndarray of shape (n_samples, n_in)
        """
        ops, xp = self.ops, self.ops.xp
        W, b = self.params["W"], self.params["b"]
        X = ops.asarray(X, W.dtype)
        _check_X(X, self.n_in, "SoftmaxOutput")
        n = X.shape[0]
        y = _check_y(ops, y, n, self.n_out, "SoftmaxOutput")
        Z = self._buffer((n, self.n_out), W.dtype)         # (n, n_out), reused
        ops.gemm(X, W, out=Z)
        Z += b
        zt = ops.pick(Z, y).astype(np.float64)              # target logits
        mx = Z.max(axis=1, keepdims=True)                   # (n, 1)
        Z -= mx
        xp.exp(Z, out=Z)
        s = Z @ self._ones(self.n_out, W.dtype)             # (n,) row sums; a GEMV is ~3x faster than sum()
        per = xp.log(s.astype(np.float64)) - (zt - mx[:, 0])  # (n,) NLL
        # dZ = diag(r) E - diag(w/n) onehot(y), with E = exp(Z - max) and r = w / (n s). The row scaling
        # is folded into the small factors (X, dX) instead of a pass over the (n, n_out) array.
        if sample_weight is None:
            wn = ops.full(n, 1.0 / n, W.dtype)              # (n,)
        else:
            w = ops.asarray(sample_weight, W.dtype).reshape(n)
            per = per * w
            wn = w / n
        r = wn / s                                          # (n,)
        gW, gb = self.grads["W"], self.grads["b"]
        if gW.size >= NUMPY_GEMM_MIN:                       # into a reused buffer: no 10 MB temporary a step
            G = self._grad_buffer(gW)
            ops.gemm((X * r[:, None]).T, Z, out=G)          # X^T diag(r) E
            gW += G
        else:
            ops.gemm_acc_inplace((X * r[:, None]).T, Z, gW)
        ops.scatter_add(gW.T, y, X * -wn[:, None])          # - X^T diag(w/n) onehot(y): columns y of gW
        gb += r @ Z                                         # (n_out,)
        gb -= ops.bincount(y, weights=wn, minlength=self.n_out).astype(gb.dtype)
        dX = Z @ W.T                                        # (n, n_in)
        dX *= r[:, None]
        dX -= W.T[y] * wn[:, None]                          # onehot(y) W^T = rows y of W^T
        return per.sum() / n, dX


def frequency_classes(counts, n_classes: int | None = None, *, power: float = 1.0) -> np.ndarray:
    """Cut ids ``0 .. len(counts)-1`` into classes of consecutive ids with about equal mass.

    Mikolov et al. (2011)'s frequency binning: walking the ids in order, a new class starts whenever
    the cumulative share of ``counts ** power`` passes the next multiple of ``1 / n_classes``; a word
    more frequent than one share gets a class of its own, so the result may have fewer classes. For a
    vocabulary sorted by descending count, frequent words fall in small classes and rare words in
    large ones, and the expected class size is about ``len(counts) / n_classes``. ``power=0.5`` bins
    square-rooted counts (more even class sizes); ``power=0`` cuts equal-size classes.

    Parameters
    ----------
    counts : array-like of shape (n_out,)
        Training counts per id (zeros allowed: such ids join the class they fall in).
    n_classes : int, optional
        Target number of classes; default ``round(sqrt(n_out))``.
    power : float, default 1.0

    Returns
    -------
    class_starts : int64 ndarray of shape (n_classes_found + 1,)
        Class ``c`` holds the ids ``class_starts[c] .. class_starts[c+1] - 1``; ``class_starts[0] = 0``,
        ``class_starts[-1] = n_out``.

    Examples
    --------
    >>> frequency_classes([50, 20, 10, 10, 5, 3, 1, 1], 4).tolist()  # classes {0}, {1, 2}, {3..7}
    [0, 1, 3, 8]
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(f"counts must be a non-empty 1-d array, got shape {counts.shape}")
    if (counts < 0).any():
        raise ValueError("counts must be >= 0")
    V = counts.size
    K = int(round(np.sqrt(V))) if n_classes is None else int(n_classes)
    if not 1 <= K <= V:
        raise ValueError(f"n_classes must lie in [1, {V}], got {n_classes}")
    mass = counts ** power if power != 0 else np.ones(V)
    mass[counts == 0] = 0.0
    total = mass.sum()
    if total <= 0:
        mass, total = np.ones(V), float(V)
    before = np.concatenate([[0.0], np.cumsum(mass)[:-1]]) / total   # share before each id
    bins = np.minimum((before * K).astype(np.int64), K - 1)          # (V,), non-decreasing
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    return np.concatenate([starts, [V]]).astype(np.int64)


class ClassFactoredSoftmax(_FusedOutput):
    """Exact class-factored softmax ``p(w | X) = p(c(w) | X) p(w | c(w), X)`` (Goodman 2001).

    Parameters
    ----------
    n_in : int
        Input features.
    class_starts : sequence of int, shape (n_classes + 1,)
        Class boundaries over the output ids (from :func:`frequency_classes`): class ``c`` is the ids
        ``class_starts[c] .. class_starts[c+1] - 1``; strictly increasing from 0 to ``n_out``.
    rng : numpy.random.Generator, optional
        Source of the initial weights (zeros without it).
    init : callable or str, default glorot_uniform

    Attributes
    ----------
    n_out : int
    n_classes : int
    class_of : int ndarray of shape (n_out,)
        Class of every output id.

    Shapes: X (n_samples, n_in); Wc (n_in, n_classes); bc (n_classes,); Wt (n_out, n_in); b (n_out,).
    ``Wt`` is the word-output weight matrix stored transposed (row ``w`` is word ``w``'s output vector,
    word2vec's ``syn1`` layout), so the rows of one class form one contiguous block.

    Notes
    -----
    :meth:`loss` is vectorized over the batch: the class part is one (n, n_in) x (n_in, n_classes)
    product; for the word part the examples are sorted by the class of their target and each class
    present in the batch costs one small product forward and two backward, written into one flat buffer
    of ragged rows, whose softmax runs in a few vectorized calls (``maximum.reduceat``/``add.reduceat``).
    No Python loop runs per example.

    References
    ----------
    J. Goodman (2001). Classes for fast maximum entropy training. ICASSP.
    T. Mikolov et al. (2011). Extensions of recurrent neural network language model. ICASSP.

    Examples
    --------
    >>> import numpy as np
    >>> out = ClassFactoredSoftmax(3, [0, 2, 5], rng=np.random.default_rng(0))
    >>> X = np.ones((2, 3), np.float32)
    >>> loss, dX = out.loss(X, np.array([0, 4]))
    >>> bool(np.allclose(np.exp(out.predict(X)).sum(axis=1), 1))
    True
    """

    decay = ("Wc", "Wt")
    #: Row-sparse ("lazy") candidates: a batch touches the word rows of its targets' classes only.
    lazy_params = ("Wt", "b")
    const_arrays = ("_starts_d", "_sizes_d", "_class_of_d")

    def __init__(self, n_in, class_starts, *, rng=None, init=glorot_uniform, dtype=np.float32):
        super().__init__()
        host = NUMPY_OPS
        starts = host.asarray(class_starts, "int64")
        if starts.ndim != 1 or starts.size < 2 or starts[0] != 0 or (starts[1:] <= starts[:-1]).any():
            raise ValueError("ClassFactoredSoftmax: class_starts must increase strictly from 0 to n_out, "
                             f"got {starts[:8].tolist()}{'...' if starts.size > 8 else ''}")
        if n_in <= 0:
            raise ValueError(f"ClassFactoredSoftmax: n_in must be positive, got {n_in}")
        self.n_in = int(n_in)
        self.class_starts = starts                                          # host copies
        self.n_out = int(starts[-1])
        self.n_classes = int(starts.size - 1)
        self.class_sizes = starts[1:] - starts[:-1]                         # (K,)
        self.class_of = host.repeat(host.arange(self.n_classes), self.class_sizes)  # (V,)
        self._starts_d, self._sizes_d, self._class_of_d = self.class_starts, self.class_sizes, self.class_of
        self.lazy = False
        #: "auto" (the backend decides), "blocked" or "segmented" (see :meth:`loss`).
        self.mode = "auto"
        self._new_param("Wc", _init_weight(self.ops, rng, init, (self.n_in, self.n_classes), dtype))
        self._new_param("bc", self.ops.alloc(self.n_classes, dtype))
        Wt = _init_weight(NUMPY_OPS, rng, init, (self.n_in, self.n_out), dtype).T.astype(dtype, order="C")
        self._new_param("Wt", Wt)
        self._new_param("b", self.ops.alloc(self.n_out, dtype))

    def get_config(self):
        return {"n_in": self.n_in, "class_starts": self.class_starts.tolist()}

    def _segmented(self):
        return self.mode == "segmented" or (self.mode == "auto" and not self.ops.blocked_gemm)

    # -- the exact full distribution (predict, sample, gradient check) ------------------------------
    def __call__(self, X, *, is_train):
        ops, xp = self.ops, self.ops.xp
        Wc, bc, Wt, b = (self.params[k] for k in ("Wc", "bc", "Wt", "b"))
        X = ops.asarray(X, Wt.dtype)
        _check_X(X, self.n_in, "ClassFactoredSoftmax")
        sizes, V = self._sizes_d, self.n_out
        logPc = ops.log_softmax(ops.affine(X, Wc, bc))            # (n, K)
        Z = ops.affine(X, Wt.T, b)                                 # (n, V)
        mx = ops.segment_max(Z.T, sizes, return_arg=False)                      # (K, n) max over each class's columns
        Z -= ops.repeat_rows(mx, sizes, V).T
        E = xp.exp(Z)                                              # (n, V)
        lse = xp.log(ops.segment_sum(E.T, sizes).T)                # (n, K)
        Z -= ops.repeat_rows((lse - logPc).T, sizes, V).T          # log p(w|x) = log p(w|c) + log p(c)
        logP = Z
        E /= ops.repeat_rows(xp.exp(lse).T, sizes, V).T            # p(w | c, x)

        def backprop(dlogP):
            assert dlogP.shape == logP.shape, f"ClassFactoredSoftmax.backprop: {dlogP.shape} != {logP.shape}"
            gsum = ops.segment_sum(dlogP.T, sizes).T               # (n, K): d loss / d log p(c)
            dZ = dlogP - E * ops.repeat_rows(gsum.T, sizes, V).T   # (n, V) within-class softmax
            dZc = gsum - xp.exp(logPc) * gsum.sum(axis=1, keepdims=True)  # (n, K)
            ops.gemm(dZ.T, X, self.grads["Wt"], accumulate=True)
            self.grads["b"] += dZ.sum(axis=0)
            ops.gemm(X.T, dZc, self.grads["Wc"], accumulate=True)
            self.grads["bc"] += dZc.sum(axis=0)
            return dZ @ Wt + dZc @ Wc.T                            # (n, n_in)

        return logP, backprop

    # -- the fast paths ---------------------------------------------------------------------------
    def _class_part(self, X, cls):
        """Class softmax -> (P (n, K) probabilities in a fresh array, log p(c_i | x_i) (n,))."""
        ops, xp = self.ops, self.ops.xp
        Wc, bc = self.params["Wc"], self.params["bc"]
        Pc = X @ Wc                                                # (n, K)
        Pc += bc
        zt = ops.pick(Pc, cls).astype(np.float64)
        mx = Pc.max(axis=1, keepdims=True)
        Pc -= mx
        xp.exp(Pc, out=Pc)
        s = Pc.sum(axis=1, keepdims=True)
        Pc /= s
        return Pc, zt - mx[:, 0] - xp.log(s[:, 0].astype(np.float64))

    def _word_part(self, X, y, cls):
        """Blocked form (the CPU's): sort by class and compute the within-class logits of every example's own
        class, one BLAS product per class present in the batch.

        Returns ``(order, Xs, groups, flat, row_starts, widths, target_pos, log p(y|c,x) in sorted order)``,
        with ``flat`` holding the within-class probabilities p(w | c, x), rows in sorted order.
        """
        ops, xp = self.ops, self.ops.xp          # the host's (this form runs where blocked_gemm is set)
        Wt, b = self.params["Wt"], self.params["b"]
        order = xp.argsort(cls, kind="stable")                     # (n,)
        cs = cls[order]
        Xs = X[order]                                              # (n, n_in)
        present, first, counts = xp.unique(cs, return_index=True, return_counts=True)
        widths = self.class_sizes[cs]                              # (n,)
        row_starts = xp.zeros(cs.size + 1, dtype=np.int64)
        xp.cumsum(widths, out=row_starts[1:])
        flat = self._buffer((int(row_starts[-1]),), Wt.dtype)      # ragged rows, reused
        groups = []
        for c, lo, cnt in zip(present.tolist(), first.tolist(), counts.tolist()):
            s, e = int(self.class_starts[c]), int(self.class_starts[c + 1])
            hi = lo + cnt
            blk = flat[row_starts[lo]:row_starts[hi]].reshape(cnt, e - s)
            xp.matmul(Xs[lo:hi], Wt[s:e].T, out=blk)               # (cnt, class size)
            blk += b[s:e]
            groups.append((lo, hi, s, e, blk))
        rs = row_starts[:-1]
        tpos = rs + (y[order] - self.class_starts[cs])             # flat index of each target
        zt = flat[tpos].astype(np.float64)
        mx = xp.maximum.reduceat(flat, rs)                         # (n,) row max
        flat -= xp.repeat(mx, widths)
        xp.exp(flat, out=flat)
        s = xp.add.reduceat(flat, rs)                              # (n,)
        flat /= xp.repeat(s, widths)
        logpw = zt - mx - xp.log(s.astype(np.float64))             # (n,) sorted order
        if self.lazy:
            self._touched = xp.flatnonzero(ops.repeat_rows(xp.bincount(cls, minlength=self.n_classes) > 0,
                                                           self.class_sizes))
        return order, Xs, groups, flat, rs, widths, tpos, logpw

    def _segments(self, X, y, cls):
        """Segmented form (a device's): every example's own-class logits in one flat array, by gathers.

        Entry ``j`` of the flat array belongs to example ``seg[j]`` and word ``word[j]``. The flat size is
        the sum of the targets' class sizes: computed on the host when the targets are host data (as the
        training engine hands them), so no sync is needed. Returns ``(seg, word, widths, tpos, Xg, Wg, p,
        log p(y|c,x))`` with ``p`` the within-class probabilities (flat).
        """
        ops, xp = self.ops, self.ops.xp
        Wt, b = self.params["Wt"], self.params["b"]
        widths = self._sizes_d[cls]                                # (n,)
        total = int(self.class_sizes[self._host_cls].sum()) if self._host_cls is not None else int(widths.sum())
        seg = ops.segment_ids(widths, total)                       # (T,)
        starts = ops.starts(widths)                                # (n,)
        word = self._starts_d[cls][seg] + (ops.arange(total) - starts[seg])  # (T,) word id of every entry
        Xg, Wg = X[seg], Wt[word]                                  # (T, n_in) each
        z = (Xg * Wg).sum(axis=1) + b[word]                        # (T,) within-class logits
        mx = ops.segment_max(z[:, None], widths, return_arg=False)                # (n, 1)
        z -= mx[:, 0][seg]
        xp.exp(z, out=z)
        ssum = ops.segment_sum(z[:, None], widths)[:, 0]           # (n,)
        tpos = starts + (y - self._starts_d[cls])                  # (n,) flat index of each target
        logpw = xp.log(z[tpos].astype(np.float64)) - xp.log(ssum.astype(np.float64))  # (n,)
        z /= ssum[seg]
        if self.lazy:
            present = ops.bincount(cls, minlength=self.n_classes) > 0
            self._touched = ops.repeat_rows(present, self._sizes_d, self.n_out)      # (V,) bool mask
        return seg, word, widths, tpos, Xg, Wg, z, logpw

    def _logprob(self, X, y):
        X = X.astype(self.params["Wt"].dtype, copy=False)
        self._host_cls = None
        cls = self._class_of_d[y]
        _, logpc = self._class_part(X, cls)
        if self._segmented():
            *_, logpw = self._segments(X, y, cls)
            return logpc + logpw
        order, *_, logpw = self._word_part(X, y, cls)
        out = logpc
        out[order] += logpw
        return out

    #: A data-parallel run's output shard (:class:`ffnlp.distributed.OutputShard`): the loss of the process's
    #: share, computed with the word rows that this process owns. None: the whole layer, here.
    shard = None

    def loss(self, X, y, sample_weight=None):
        """Mean NLL of ``y`` and ``dX``; adds the parameter gradients into ``self.grads``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_in)
        y : int ndarray of shape (n_samples,)
        sample_weight : ndarray of shape (n_samples,), optional

        Returns
        -------
        loss : float (0-d array of the backend)
            ``mean_i w_i * -log p(y_i | X_i)`` in nats, with ``p`` the exact factored probability.
        dX : ndarray of shape (n_samples, n_in)

        Notes
        -----
        Two forms, one result: *blocked* (the CPU's) sorts the batch by class and runs one BLAS product per
        class present; *segmented* (a device's) gathers each example's own-class rows into one flat array,
        with no Python loop and shapes fixed by the batch. ``self.mode`` forces one.
        """
        if self.shard is not None:
            return self.shard.loss(X, y, sample_weight)
        ops = self.ops
        Wt = self.params["Wt"]
        X = ops.asarray(X, Wt.dtype)
        _check_X(X, self.n_in, "ClassFactoredSoftmax")
        n = X.shape[0]
        y_in = y
        y = _check_y(ops, y, n, self.n_out, "ClassFactoredSoftmax")
        # The targets' classes on the host, when the targets came from there: the flat size of the segmented
        # form is read from them without a device sync.
        self._host_cls = self.class_of[y_in] if isinstance(y_in, np.ndarray) else None
        cls = self._class_of_d[y]                                  # (n,)
        w = None if sample_weight is None else ops.asarray(sample_weight, Wt.dtype).reshape(n)
        dX, logpc = self._class_backward(X, cls, w, 1.0 / n)
        gWt = self.grads["Wt"]
        if self._segmented():
            seg, word, widths, tpos, Xg, Wg, p, logpw = self._segments(X, y, cls)
            p[tpos] -= 1
            if w is not None:
                p *= w[seg]
            p *= 1.0 / n                                           # (T,) d loss / d within-class logit
            dX += ops.segment_sum(Wg * p[:, None], widths)         # (n, n_in)
            ops.scatter_add(gWt, word, Xg * p[:, None])            # rows of the touched words
            ops.scatter_add(self.grads["b"][:, None], word, p[:, None])
            per = -logpc - logpw
        else:
            order, dXs, logpw = self._word_backward(X, y, cls, w, 1.0 / n)
            dX[order] += dXs
            per = -logpc
            per[order] -= logpw
        if self.lazy:
            self.sparse["Wt"] = self.sparse["b"] = self._touched
        if w is not None:
            per *= w
        return per.sum() / n, dX


    def _class_backward(self, X, cls, w, scale):
        """The class softmax's part of the loss: adds ``scale * sum_i w_i d(-log p(c_i|x_i))`` into the
        gradients of ``Wc`` and ``bc``; returns ``(dX (n, n_in), log p(c_i | x_i) (n,))``."""
        ops = self.ops
        dZc, logpc = self._class_part(X, cls)                      # dZc = (p(c|x) - onehot(c)) * w * scale
        dZc[ops.arange(X.shape[0]), cls] -= 1
        if w is not None:
            dZc *= w[:, None]
        dZc *= scale
        ops.gemm_acc_inplace(X.T, dZc, self.grads["Wc"])           # (n_in, K)
        self.grads["bc"] += dZc.sum(axis=0)
        return dZc @ self.params["Wc"].T, logpc

    def _word_backward(self, X, y, cls, w, scale):
        """The within-class part, blocked form (the CPU's): adds ``scale * sum_i w_i d(-log p(y_i|c_i,x_i))``
        into the gradients of ``Wt`` and ``b``; returns ``(order, dX in that order, log p(y|c,x) in that
        order)``, ``order`` sorting the examples by class (see :meth:`_word_part`)."""
        ops, xp = self.ops, self.ops.xp
        Wt, gWt = self.params["Wt"], self.grads["Wt"]
        order, Xs, groups, flat, rs, widths, tpos, logpw = self._word_part(X, y, cls)
        flat[tpos] -= 1
        if w is not None:
            flat *= xp.repeat(w[order], widths)
        flat *= scale
        dXs = ops.empty_like(Xs)                                   # (n, n_in), sorted order
        for lo, hi, s, e, dZ in groups:
            ops.gemm(dZ, Wt[s:e], out=dXs[lo:hi])                  # (cnt, n_in)
            ops.gemm_acc_inplace(dZ.T, Xs[lo:hi], gWt[s:e])        # (class size, n_in), in place
        cols = xp.repeat(self.class_starts[self.class_of[y[order]]] - rs, widths)
        cols += ops.arange(flat.size)                              # output id of every flat entry
        self.grads["b"] += ops.bincount(cols, weights=flat, minlength=self.n_out).astype(Wt.dtype)
        return order, dXs, logpw


def check_output(layer, X, y, *, eps=1e-6, max_elements=200, rng=None) -> dict:
    """Gradient-check the fused :meth:`loss` of an output layer (float64) w.r.t. ``X`` and every param.

    Returns ``{name: relative error}`` as :func:`ffnlp.nn.gradcheck.check_layer` does; big tables
    also get a random-direction check.
    """
    from ffnlp.nn.backends import new_generator, to_host
    from ffnlp.nn.gradcheck import directional_check, numeric_gradient, relative_error

    rng = rng or new_generator(0)
    saved = {k: g.copy() for k, g in layer.grads.items()}
    for g in layer.grads.values():
        g.fill(0)
    value, dX = layer.loss(X, y)
    assert dX.shape == X.shape, f"dX shape {dX.shape} != X shape {X.shape}"
    grads = {k: g.copy() for k, g in layer.grads.items()}
    for k, g in layer.grads.items():
        g[...] = saved[k]

    def f():
        return float(-layer.logprob(X, y).mean())

    value = float(value)
    assert abs(f() - value) <= 1e-9 * max(1.0, abs(value)), "loss() and logprob() disagree"
    results = {}
    idx, num = numeric_gradient(f, X, eps=eps, max_elements=max_elements, rng=rng)
    results["input"] = relative_error(to_host(dX).reshape(-1)[idx], num)
    for key, P in layer.params.items():
        assert grads[key].shape == P.shape, f"grad {key} shape {grads[key].shape} != {P.shape}"
        idx, num = numeric_gradient(f, P, eps=eps, max_elements=max_elements, rng=rng)
        results[key] = relative_error(to_host(grads[key]).reshape(-1)[idx], num)
        if P.size > max_elements:
            results[key + "(direction)"] = directional_check(f, P, grads[key], eps=eps, rng=rng, ops=layer.ops)
    return results
