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

import numpy as np

from ffnlp.nn import ops
from ffnlp.nn.init import get_initializer, glorot_uniform
from ffnlp.nn.layer import Layer

__all__ = ["SoftmaxOutput", "ClassFactoredSoftmax", "frequency_classes", "check_output"]


def _check_X(X, n_in, name):
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(f"{name}: expected X of shape (n_samples, {n_in}), got {X.shape}")


def _check_y(y, n, n_out, name):
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"{name}: targets must have shape ({n},), got {y.shape}")
    if y.dtype.kind not in "iu":
        raise ValueError(f"{name}: targets must be integer ids, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_out):
        raise ValueError(f"{name}: targets must lie in [0, {n_out}), got range [{y.min()}, {y.max()}]")
    return y


def _gemm_acc(A, B, C):
    """``C += A @ B`` in place, without the (m, k) temporary when BLAS can write into ``C``.

    A : (m, n); B : (n, k); C : (m, k), C-contiguous. For the small blocks of the factored output it calls
    scipy's ``?gemm`` with ``beta=1`` on the Fortran view ``C.T`` (``C.T += B.T @ A.T``), which saves a
    temporary and an add per block (about 3x faster there, measured). Large products go through NumPy's
    ``matmul`` (``C += A @ B``): NumPy's OpenBLAS build ran them about 1.5x faster than scipy's here,
    which outweighs the temporary.
    """
    fn = _GEMM.get(C.dtype.char)
    if (fn is None or ops.xp is not np or C.size >= _NUMPY_GEMM_MIN or not C.flags.c_contiguous
            or A.dtype != C.dtype or B.dtype != C.dtype):
        C += A @ B
        return C

    def fortran(M):  # (M_f, trans) with op(M_f) == M and M_f Fortran-contiguous
        if M.flags.f_contiguous:
            return M, 0
        if M.flags.c_contiguous:
            return M.T, 1
        return np.asfortranarray(M), 0

    b, tb = fortran(B.T)
    a, ta = fortran(A.T)
    out = fn(1.0, b, a, beta=1.0, c=C.T, trans_a=tb, trans_b=ta, overwrite_c=1)
    if not np.shares_memory(out, C):  # the wrapper copied: write back (never expected)
        C[...] = out.T
    return C


def _blas_gemms():
    try:
        from scipy.linalg import blas
    except ImportError:  # pragma: no cover
        return {}
    return {"f": blas.sgemm, "d": blas.dgemm}


_GEMM = _blas_gemms()
#: Products with at least this many outputs use NumPy's matmul (see :func:`_gemm_acc`).
_NUMPY_GEMM_MIN = 1 << 20


def _init_weight(rng, init, shape, dtype):
    if rng is None:
        return np.zeros(shape, dtype=dtype)
    return np.ascontiguousarray(get_initializer(init)(rng, shape, dtype), dtype=dtype)


class _FusedOutput(Layer):
    """Shared parts: the work buffer and the batched ``logprob``."""

    def _ones(self, n, dtype):
        """A cached vector of ``n`` ones (for row sums by matrix-vector product)."""
        ones = getattr(self, "_ones_cache", None)
        if ones is None or ones.shape[0] != n or ones.dtype != dtype:
            ones = self._ones_cache = np.ones(n, dtype=dtype)
        return ones

    def _buffer(self, shape, dtype):
        # One reusable (n_samples, n_out) work array: a fresh 16 MB array per step costs page faults.
        buf = getattr(self, "_work", None)
        size = int(np.prod(shape))
        if buf is None or buf.dtype != dtype or buf.size < size:
            buf = self._work = np.empty(size, dtype=dtype)
        return buf[:size].reshape(shape)

    def logprob(self, X, y, *, batch_size: int = 1024):
        """``log p(y_i | X_i)`` for every row, in batches, without gradients.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_in)
        y : int ndarray of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_samples,), float64
        """
        _check_X(X, self.n_in, type(self).__name__)
        y = _check_y(y, X.shape[0], self.n_out, type(self).__name__)
        out = np.empty(X.shape[0], dtype=np.float64)
        for lo in range(0, X.shape[0], batch_size):
            out[lo:lo + batch_size] = self._logprob(X[lo:lo + batch_size], y[lo:lo + batch_size])
        return out

    def log_proba(self, X):
        """Exact log-probabilities of every output, shape (n_samples, n_out)."""
        return self.predict(X)

    def predict_proba(self, X):
        """Probabilities of every output, shape (n_samples, n_out); rows sum to 1."""
        P = self.predict(X)
        np.exp(P, out=P)
        return P

    def _grad_buffer(self, like):
        buf = getattr(self, "_gwork", None)
        if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
            buf = self._gwork = np.empty_like(like)
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
        self.params = {"W": _init_weight(rng, init, (self.n_in, self.n_out), dtype),
                       "b": np.zeros(self.n_out, dtype=dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def get_config(self):
        return {"n_in": self.n_in, "n_out": self.n_out}

    def __call__(self, X, *, is_train):
        _check_X(X, self.n_in, "SoftmaxOutput")
        W, b = self.params["W"], self.params["b"]
        X = X.astype(W.dtype, copy=False)
        logP = ops.log_softmax(ops.affine(X, W, b))        # (n, n_out)

        def backprop(dlogP):
            assert dlogP.shape == logP.shape, f"SoftmaxOutput.backprop: {dlogP.shape} != {logP.shape}"
            dZ = dlogP - np.exp(logP) * dlogP.sum(axis=1, keepdims=True)  # (n, n_out)
            self.grads["W"] += X.T @ dZ
            self.grads["b"] += dZ.sum(axis=0)
            return dZ @ W.T                                 # (n, n_in)

        return logP, backprop

    def _logprob(self, X, y):
        W, b = self.params["W"], self.params["b"]
        X = X.astype(W.dtype, copy=False)
        n = X.shape[0]
        Z = self._buffer((n, self.n_out), W.dtype)
        np.matmul(X, W, out=Z)
        Z += b
        rows = np.arange(n)
        zt = Z[rows, y].astype(np.float64)
        mx = Z.max(axis=1, keepdims=True)
        Z -= mx
        np.exp(Z, out=Z)
        return zt - mx[:, 0] - np.log(Z.sum(axis=1, dtype=np.float64))

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
        _check_X(X, self.n_in, "SoftmaxOutput")
        n = X.shape[0]
        y = _check_y(y, n, self.n_out, "SoftmaxOutput")
        W, b = self.params["W"], self.params["b"]
        X = X.astype(W.dtype, copy=False)
        rows = np.arange(n)
        Z = self._buffer((n, self.n_out), W.dtype)         # (n, n_out), reused
        np.matmul(X, W, out=Z)
        Z += b
        zt = Z[rows, y].astype(np.float64)                  # target logits
        mx = Z.max(axis=1, keepdims=True)                   # (n, 1)
        Z -= mx
        np.exp(Z, out=Z)
        s = Z @ self._ones(self.n_out, W.dtype)             # (n,) row sums; a GEMV is ~3x faster than sum()
        per = np.log(s.astype(np.float64)) - (zt - mx[:, 0])  # (n,) NLL
        # dZ = diag(r) E - diag(w/n) onehot(y), with E = exp(Z - max) and r = w / (n s). The row scaling
        # is folded into the small factors (X, dX) instead of a pass over the (n, n_out) array.
        w = np.ones(n, dtype=W.dtype) if sample_weight is None else np.asarray(sample_weight, W.dtype).reshape(n)
        if sample_weight is not None:
            per = per * w
        wn = w / n                                          # (n,)
        r = wn / s                                          # (n,)
        gW, gb = self.grads["W"], self.grads["b"]
        if gW.size >= _NUMPY_GEMM_MIN:                      # into a reused buffer: no 10 MB temporary a step
            G = self._grad_buffer(gW)
            np.matmul((X * r[:, None]).T, Z, out=G)         # X^T diag(r) E
            gW += G
        else:
            _gemm_acc((X * r[:, None]).T, Z, gW)
        ops.scatter_add(gW.T, y, X * -wn[:, None])          # - X^T diag(w/n) onehot(y): columns y of gW
        gb += r @ Z                                         # (n_out,)
        gb -= np.bincount(y, weights=wn, minlength=self.n_out).astype(gb.dtype)
        dX = Z @ W.T                                        # (n, n_in)
        dX *= r[:, None]
        dX -= W.T[y] * wn[:, None]                          # onehot(y) W^T = rows y of W^T
        return float(per.sum() / n), dX


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

    def __init__(self, n_in, class_starts, *, rng=None, init=glorot_uniform, dtype=np.float32):
        super().__init__()
        starts = np.asarray(class_starts, dtype=np.int64)
        if starts.ndim != 1 or starts.size < 2 or starts[0] != 0 or (np.diff(starts) <= 0).any():
            raise ValueError("ClassFactoredSoftmax: class_starts must increase strictly from 0 to n_out, "
                             f"got {starts[:8].tolist()}{'...' if starts.size > 8 else ''}")
        if n_in <= 0:
            raise ValueError(f"ClassFactoredSoftmax: n_in must be positive, got {n_in}")
        self.n_in = int(n_in)
        self.class_starts = starts
        self.n_out = int(starts[-1])
        self.n_classes = int(starts.size - 1)
        self.class_sizes = np.diff(starts)                                  # (K,)
        self.class_of = np.repeat(np.arange(self.n_classes), self.class_sizes)  # (V,)
        self.params = {
            "Wc": _init_weight(rng, init, (self.n_in, self.n_classes), dtype),
            "bc": np.zeros(self.n_classes, dtype=dtype),
            "Wt": np.ascontiguousarray(_init_weight(rng, init, (self.n_in, self.n_out), dtype).T),
            "b": np.zeros(self.n_out, dtype=dtype),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def get_config(self):
        return {"n_in": self.n_in, "class_starts": self.class_starts.tolist()}

    # -- the exact full distribution (predict, sample, gradient check) ------------------------------
    def __call__(self, X, *, is_train):
        _check_X(X, self.n_in, "ClassFactoredSoftmax")
        Wc, bc, Wt, b = (self.params[k] for k in ("Wc", "bc", "Wt", "b"))
        X = X.astype(Wt.dtype, copy=False)
        starts, sizes = self.class_starts[:-1], self.class_sizes
        logPc = ops.log_softmax(ops.affine(X, Wc, bc))            # (n, K)
        Z = ops.affine(X, Wt.T, b)                                 # (n, V)
        mx = np.maximum.reduceat(Z, starts, axis=1)                # (n, K)
        Z -= np.repeat(mx, sizes, axis=1)
        E = np.exp(Z)                                              # (n, V)
        lse = np.log(np.add.reduceat(E, starts, axis=1))           # (n, K)
        Z -= np.repeat(lse - logPc, sizes, axis=1)                 # log p(w|x) = log p(w|c) + log p(c)
        logP = Z
        E /= np.repeat(np.exp(lse), sizes, axis=1)                 # p(w | c, x)

        def backprop(dlogP):
            assert dlogP.shape == logP.shape, f"ClassFactoredSoftmax.backprop: {dlogP.shape} != {logP.shape}"
            gsum = np.add.reduceat(dlogP, starts, axis=1)          # (n, K): d loss / d log p(c)
            dZ = dlogP - E * np.repeat(gsum, sizes, axis=1)        # (n, V) within-class softmax
            dZc = gsum - np.exp(logPc) * gsum.sum(axis=1, keepdims=True)  # (n, K)
            self.grads["Wt"] += dZ.T @ X
            self.grads["b"] += dZ.sum(axis=0)
            self.grads["Wc"] += X.T @ dZc
            self.grads["bc"] += dZc.sum(axis=0)
            return dZ @ Wt + dZc @ Wc.T                            # (n, n_in)

        return logP, backprop

    # -- the fast paths ---------------------------------------------------------------------------
    def _class_part(self, X, cls):
        """Class softmax -> (P (n, K) probabilities in a fresh array, log p(c_i | x_i) (n,))."""
        Wc, bc = self.params["Wc"], self.params["bc"]
        n = X.shape[0]
        Pc = X @ Wc                                                # (n, K)
        Pc += bc
        rows = np.arange(n)
        zt = Pc[rows, cls].astype(np.float64)
        mx = Pc.max(axis=1, keepdims=True)
        Pc -= mx
        np.exp(Pc, out=Pc)
        s = Pc.sum(axis=1, keepdims=True)
        Pc /= s
        return Pc, zt - mx[:, 0] - np.log(s[:, 0].astype(np.float64))

    def _word_part(self, X, y, cls):
        """Sort by class and compute the within-class logits of every example's own class.

        Returns ``(order, groups, flat, row_starts, widths, target_pos, log p(y|c,x) in sorted order)``,
        with ``flat`` holding the within-class probabilities p(w | c, x), rows in sorted order.
        """
        Wt, b = self.params["Wt"], self.params["b"]
        order = np.argsort(cls, kind="stable")                     # (n,)
        cs = cls[order]
        Xs = X[order]                                              # (n, n_in)
        present, first, counts = np.unique(cs, return_index=True, return_counts=True)
        widths = self.class_sizes[cs]                              # (n,)
        row_starts = np.zeros(cs.size + 1, dtype=np.int64)
        np.cumsum(widths, out=row_starts[1:])
        flat = self._buffer((int(row_starts[-1]),), Wt.dtype)      # ragged rows, reused
        groups = []
        for c, lo, cnt in zip(present.tolist(), first.tolist(), counts.tolist()):
            s, e = int(self.class_starts[c]), int(self.class_starts[c + 1])
            hi = lo + cnt
            blk = flat[row_starts[lo]:row_starts[hi]].reshape(cnt, e - s)
            np.matmul(Xs[lo:hi], Wt[s:e].T, out=blk)               # (cnt, class size)
            blk += b[s:e]
            groups.append((lo, hi, s, e, blk))
        rs = row_starts[:-1]
        tpos = rs + (y[order] - self.class_starts[cs])             # flat index of each target
        zt = flat[tpos].astype(np.float64)
        mx = np.maximum.reduceat(flat, rs)                         # (n,) row max
        flat -= np.repeat(mx, widths)
        np.exp(flat, out=flat)
        s = np.add.reduceat(flat, rs)                              # (n,)
        flat /= np.repeat(s, widths)
        logpw = zt - mx - np.log(s.astype(np.float64))             # (n,) sorted order
        return order, Xs, groups, flat, rs, widths, tpos, logpw

    def _logprob(self, X, y):
        X = X.astype(self.params["Wt"].dtype, copy=False)
        cls = self.class_of[y]
        _, logpc = self._class_part(X, cls)
        order, *_, logpw = self._word_part(X, y, cls)
        out = logpc
        out[order] += logpw
        return out

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
            ``mean_i w_i * -log p(y_i | X_i)`` in nats, with ``p`` the exact factored probability.
        dX : ndarray of shape (n_samples, n_in)
        """
        _check_X(X, self.n_in, "ClassFactoredSoftmax")
        n = X.shape[0]
        y = _check_y(y, n, self.n_out, "ClassFactoredSoftmax")
        Wc, Wt = self.params["Wc"], self.params["Wt"]
        X = X.astype(Wt.dtype, copy=False)
        rows = np.arange(n)
        cls = self.class_of[y]                                     # (n,)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=Wt.dtype).reshape(n)
        # class part: dZc = (p(c|x) - onehot(c)) * w / n
        dZc, logpc = self._class_part(X, cls)
        dZc[rows, cls] -= 1
        if w is not None:
            dZc *= w[:, None]
        dZc *= 1.0 / n
        _gemm_acc(X.T, dZc, self.grads["Wc"])                      # (n_in, K)
        self.grads["bc"] += dZc.sum(axis=0)
        dX = dZc @ Wc.T                                            # (n, n_in)
        # word part, in class-sorted order
        order, Xs, groups, flat, rs, widths, tpos, logpw = self._word_part(X, y, cls)
        flat[tpos] -= 1
        if w is not None:
            flat *= np.repeat(w[order], widths)
        flat *= 1.0 / n
        dXs = np.empty_like(Xs)                                    # (n, n_in), sorted order
        gWt = self.grads["Wt"]
        for lo, hi, s, e, dZ in groups:
            np.matmul(dZ, Wt[s:e], out=dXs[lo:hi])                 # (cnt, n_in)
            _gemm_acc(dZ.T, Xs[lo:hi], gWt[s:e])                   # (class size, n_in), in place
        cols = np.repeat(self.class_starts[self.class_of[y[order]]] - rs, widths)
        cols += np.arange(flat.size)                               # output id of every flat entry
        self.grads["b"] += np.bincount(cols, weights=flat, minlength=self.n_out).astype(Wt.dtype)
        dX[order] += dXs
        per = -logpc
        per[order] -= logpw
        if w is not None:
            per *= w
        return float(per.sum() / n), dX


def check_output(layer, X, y, *, eps=1e-6, max_elements=200, rng=None) -> dict:
    """Gradient-check the fused :meth:`loss` of an output layer (float64) w.r.t. ``X`` and every param.

    Returns ``{name: relative error}`` as :func:`ffnlp.nn.gradcheck.check_layer` does; big tables
    also get a random-direction check.
    """
    from ffnlp.nn.gradcheck import directional_check, numeric_gradient, relative_error

    rng = rng or np.random.default_rng(0)
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

    assert abs(f() - value) <= 1e-9 * max(1.0, abs(value)), "loss() and logprob() disagree"
    results = {}
    idx, num = numeric_gradient(f, X, eps=eps, max_elements=max_elements, rng=rng)
    results["input"] = relative_error(dX.reshape(-1)[idx], num)
    for key, P in layer.params.items():
        assert grads[key].shape == P.shape, f"grad {key} shape {grads[key].shape} != {P.shape}"
        idx, num = numeric_gradient(f, P, eps=eps, max_elements=max_elements, rng=rng)
        results[key] = relative_error(grads[key].reshape(-1)[idx], num)
        if P.size > max_elements:
            results[key + "(direction)"] = directional_check(f, P, grads[key], eps=eps, rng=rng)
    return results
