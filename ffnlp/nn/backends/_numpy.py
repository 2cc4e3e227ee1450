"""The backend object: every array that a layer, loss or optimizer allocates, converts, draws at random or
reduces by segment goes through an :class:`Ops` (thinc's ``Ops`` idea).

:class:`Ops` holds the array module ``xp`` and implements everything with ``xp`` calls only, in forms that
suit a device: fixed shapes where they exist, no ``reduceat`` but ``add.reduceat`` (the one CuPy has), no
Python loop over examples, tokens or classes. :class:`NumpyOps` overrides a few methods with faster
host-only forms (``maximum.reduceat``, BLAS calls that accumulate in place, sparse matrix products).
``CupyOps`` (in :mod:`ffnlp.nn.backends._cupy`) takes the generic forms on the GPU.

Conventions
-----------
* ``ops.asarray(x)`` moves host data (NumPy arrays, lists, scalars) to the backend; ``ops.to_host(x)``
  is the only device-to-host copy. Both are no-ops where nothing needs to move.
* Randomness is drawn from a host :class:`numpy.random.Generator` that the caller owns (a layer's
  ``rng``), so its state can be checkpointed and a seeded CPU run is repeatable bit for bit; a device
  backend draws a seed from it and samples on the device.
* ``check_values``: whether layers and losses may read array *values* to validate them (id ranges,
  target ranges). That costs a host sync on a device, so device backends say False and the data is
  validated once, on the host, before training.
* ``sparse_updates``: whether embedding gradients record the rows they touched (for lazy, row-sparse
  optimizer updates). The row set has a data-dependent size, so device backends update the whole table.
"""
from __future__ import annotations

import numpy as np

#: Default training dtype.
FLOAT = np.float32


class Ops:
    """Array operations over the array module ``xp`` (generic forms, valid on any backend)."""

    name = "generic"
    device = "cpu"
    xp = np
    check_values = True
    sparse_updates = True
    #: Whether the class-factored softmax should loop over the classes of a batch (blocked BLAS products,
    #: fastest on a CPU) instead of its segmented form (one gather per step, fixed kernels: for devices).
    blocked_gemm = False

    # -- allocation and conversion -------------------------------------------------------------------
    def alloc(self, shape, dtype=FLOAT):
        """Zeros of ``shape``."""
        return self.xp.zeros(shape, dtype=dtype)

    def empty(self, shape, dtype=FLOAT):
        return self.xp.empty(shape, dtype=dtype)

    def full(self, shape, value, dtype=FLOAT):
        return self.xp.full(shape, value, dtype=dtype)

    def alloc_like(self, a):
        """Zeros with ``a``'s shape and dtype."""
        return self.xp.zeros(a.shape, dtype=a.dtype)

    def empty_like(self, a):
        return self.xp.empty(a.shape, dtype=a.dtype)

    def asarray(self, x, dtype=None):
        """``x`` (host or backend data) as a C-contiguous backend array, of ``dtype`` when given."""
        if isinstance(x, self.array_types()):
            if dtype is not None and x.dtype != dtype:
                x = x.astype(dtype)
            return x
        a = np.asarray(x, dtype=dtype)
        return self._from_host(a if a.flags.c_contiguous else np.ascontiguousarray(a))

    def as_float(self, x, dtype=None):
        """``x`` as a floating backend array (float32 unless ``dtype`` or x's own float dtype says otherwise)."""
        x = self.asarray(x)
        if dtype is None:
            dtype = x.dtype if x.dtype.kind == "f" else FLOAT
        return x.astype(dtype, copy=False)

    def array_types(self) -> tuple:
        return (self.xp.ndarray,)

    def is_array(self, x) -> bool:
        return isinstance(x, self.array_types())

    def _from_host(self, a: np.ndarray):
        return a

    def to_host(self, x):
        """A NumPy array with ``x``'s values (the only device-to-host copy)."""
        return np.asarray(x)

    def arange(self, n, dtype=np.int64):
        return self.xp.arange(n, dtype=dtype)

    def concat(self, arrays, axis=0):
        return self.xp.concatenate(list(arrays), axis=axis)

    def repeat(self, a, repeats, axis=None):
        return self.xp.repeat(a, repeats, axis=axis)

    def starts(self, lengths):
        """Start offsets of consecutive segments: ``[0, l0, l0+l1, ...]`` (n_segments,), int64."""
        lengths = self.asarray(lengths)
        out = self.xp.zeros(lengths.shape[0], dtype=np.int64)
        if lengths.shape[0] > 1:
            self.xp.cumsum(lengths[:-1], out=out[1:])
        return out

    def segment_ids(self, lengths, total=None):
        """The segment of every item, ``repeat(arange(n), lengths)``: (total,) int64.

        ``total`` (``lengths.sum()``) is given by callers that know it from a shape, so no host sync is
        needed; the generic form is a ``searchsorted`` over the segment ends (fixed size).
        """
        xp = self.xp
        lengths = self.asarray(lengths)
        ends = xp.cumsum(lengths)
        if total is None:
            total = int(ends[-1]) if lengths.shape[0] else 0
        return xp.searchsorted(ends, xp.arange(total, dtype=ends.dtype), side="right").astype(np.int64)

    def repeat_rows(self, a, lengths, total=None):
        """``repeat(a, lengths, axis=0)`` with array ``lengths`` (a gather by :meth:`segment_ids`)."""
        return a[self.segment_ids(lengths, total)]

    # -- randomness ----------------------------------------------------------------------------------
    def random_uniform(self, rng: np.random.Generator, shape, dtype=FLOAT):
        """``U[0, 1)`` of ``shape`` drawn from the host generator ``rng`` (advances its state)."""
        return self._from_host(rng.random(shape, dtype=dtype))

    def dropout_mask(self, rng: np.random.Generator, shape, rate: float, dtype=FLOAT):
        """Inverted-dropout mask: 0 with probability ``rate``, else ``1 / (1 - rate)``."""
        keep = (self.random_uniform(rng, shape, np.float32) >= rate).astype(dtype)
        keep *= 1.0 / (1.0 - rate)
        return keep

    # -- elementwise and row math --------------------------------------------------------------------
    def affine(self, X, W, b):
        """``X @ W + b``: X (n, n_in), W (n_in, n_out), b (n_out,) -> (n, n_out)."""
        Y = X @ W
        Y += b
        return Y

    def gemm(self, A, B, out=None, *, accumulate=False):
        """``A @ B``, written into ``out`` when given (``out += A @ B`` with ``accumulate``)."""
        if out is None:
            return A @ B
        if accumulate:
            out += A @ B
        else:
            self.xp.matmul(A, B, out=out)
        return out

    def gemm_acc_inplace(self, A, B, out):
        """``out += A @ B`` for the many small products of a blocked layer (the factored output's classes);
        the CPU backend writes into ``out`` with BLAS directly, saving a temporary and an add per block."""
        out += A @ B
        return out

    def sigmoid(self, Z):
        """Logistic function, stable for large ``|Z|``: ``0.5 * (1 + tanh(Z / 2))``."""
        Y = self.xp.tanh(Z * 0.5)
        Y += 1
        Y *= 0.5
        return Y

    def softplus(self, Z):
        """``log(1 + exp(Z))`` without overflow."""
        return self.xp.logaddexp(Z.dtype.type(0), Z)

    def logsumexp(self, Z, axis=-1, keepdims=False):
        """Stable ``log(sum(exp(Z), axis))``: the max is subtracted first (no overflow, no ``log(0)``)."""
        xp = self.xp
        m = Z.max(axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.exp(Z - m).sum(axis=axis, keepdims=True)) + m
        return out if keepdims else xp.squeeze(out, axis=axis)

    def log_softmax(self, Z, axis=-1):
        """``Z - logsumexp(Z)``; finite for finite Z (never ``log(0)``)."""
        return Z - self.logsumexp(Z, axis=axis, keepdims=True)

    def softmax(self, Z, axis=-1):
        """Stable softmax: shift by the row max before ``exp``."""
        E = self.xp.exp(Z - Z.max(axis=axis, keepdims=True))
        E /= E.sum(axis=axis, keepdims=True)
        return E

    def softmax_inplace(self, Z):
        """Row softmax of a 2-d array, overwriting ``Z``."""
        Z -= Z.max(axis=1, keepdims=True)
        self.xp.exp(Z, out=Z)
        Z /= Z.sum(axis=1, keepdims=True)
        return Z

    def take_rows(self, table, ids):
        """``table[ids]`` (gather of rows)."""
        return table[ids]

    def put_rows(self, table, ids, values):
        """``table[ids] = values`` (scatter of rows; ``ids`` distinct)."""
        table[ids] = values

    def add_rows(self, table, ids, values):
        """``table[ids] += values`` for distinct ``ids`` (no repeats to add up)."""
        table[ids] += values

    #: Whether row-wise parameters keep compact row gradients (host row ids; the CPU backend's).
    compact_row_grads = False

    def pick(self, Z, cols):
        """``Z[i, cols[i]]`` for every row i: (n, k), (n,) -> (n,)."""
        return self.xp.take_along_axis(Z, cols.reshape(-1, 1), axis=1)[:, 0]

    # -- scatter and segments ------------------------------------------------------------------------
    def scatter_add(self, table, ids, updates):
        """``table[ids] += updates`` where repeated ids add up (fancy ``+=`` drops repeats).

        table (n_rows, dim); ids (n,) int; updates (n, dim). Returns the sorted unique rows touched when
        :attr:`sparse_updates` (for lazy optimizer updates), else None.
        """
        ids = self.asarray(ids).reshape(-1)
        self._check_scatter(table, ids, updates)
        if ids.shape[0] == 0:
            return ids[:0] if self.sparse_updates else None
        self._scatter_add(table, ids, updates)
        return self.unique(ids) if self.sparse_updates else None

    def _check_scatter(self, table, ids, updates):
        want = (ids.shape[0],) + tuple(table.shape[1:])
        if tuple(updates.shape) != want:
            raise ValueError(f"scatter_add: updates of shape {tuple(updates.shape)} do not match ids "
                             f"{tuple(ids.shape)} and table rows of width {tuple(table.shape[1:])}")

    def _scatter_add(self, table, ids, updates):
        # Sort the ids, sum runs of equal ids (add.reduceat, which every backend has), add once per row.
        xp = self.xp
        order = xp.argsort(ids)
        sids = ids[order]
        first = xp.ones(sids.shape[0], dtype=bool)
        first[1:] = sids[1:] != sids[:-1]
        starts = xp.nonzero(first)[0]
        table[sids[starts]] += xp.add.reduceat(updates[order], starts, axis=0)

    def unique(self, ids):
        return self.xp.unique(self.asarray(ids).reshape(-1))

    def union(self, a, b):
        """Sorted union of two id arrays (either may be None)."""
        if a is None:
            return b
        if b is None:
            return a
        return self.xp.union1d(a, b)

    def bincount(self, x, weights=None, minlength=0):
        return self.xp.bincount(x, weights=weights, minlength=minlength)

    def segment_sum(self, X, lengths):
        """Sum consecutive segments of rows: X (N, d), lengths (n,) summing to N -> (n, d); empty -> 0."""
        xp = self.xp
        lengths = self.asarray(lengths)
        n = lengths.shape[0]
        out = xp.zeros((n,) + tuple(X.shape[1:]), dtype=X.dtype)
        if X.shape[0] == 0 or n == 0:
            return out
        # Sum of every segment = scatter-add of the rows into their segment (a fixed-size form: no
        # boolean selection of the non-empty segments, so no data-dependent shape).
        self._scatter_add(out, self.segment_ids(lengths, X.shape[0]), X)
        return out

    def segment_max(self, X, lengths, *, return_arg=True):
        """Max over consecutive segments of rows and where it is.

        X (N, d); lengths (n,) -> (Y (n, d), arg (n, d)): ``Y[i, j] = max of X[rows of i, j]`` (0 for an
        empty segment) and ``arg[i, j]`` the first row of ``X`` holding it (``N`` for an empty segment).
        With ``return_arg=False``, Y only.
        """
        xp = self.xp
        lengths = self.asarray(lengths)
        n, N, d = lengths.shape[0], X.shape[0], X.shape[1]
        Y = xp.zeros((n, d), dtype=X.dtype)
        arg = xp.full((n, d), N, dtype=np.int64)
        if N == 0 or n == 0:
            return (Y, arg) if return_arg else Y
        # Sort the rows of each column by (segment, value desc): the first entry of every segment is its max.
        seg = self.segment_ids(lengths, N)                             # (N,)
        starts = self.starts(lengths)                                  # (n,)
        # rank of each value within its column, descending: order rows by value, then stable by segment.
        order = xp.argsort(-X, axis=0, kind="stable")                  # (N, d)
        seg_sorted = seg[order]                                        # (N, d)
        order2 = xp.argsort(seg_sorted, axis=0, kind="stable")         # (N, d)
        rows = xp.take_along_axis(order, order2, axis=0)               # (N, d): by segment, value desc, row asc
        nonempty = lengths > 0
        safe = xp.minimum(starts, N - 1)                               # (n,)
        first = rows[safe]                                             # (n, d)
        vals = xp.take_along_axis(X, first, axis=0)                    # (n, d)
        Y = xp.where(nonempty[:, None], vals, Y)
        if not return_arg:
            return Y
        return Y, xp.where(nonempty[:, None], first, arg)

    # -- bags of ids ---------------------------------------------------------------------------------
    def bag_item_weights(self, ids, lengths, mode="mean", idf=None):
        """Per-item weights of a Ragged batch of ids, so that ``sum_{t in bag} w_t V[ids_t]`` is the bag's

        * ``"mean"``: mean of its items' rows (``1 / len``);
        * ``"presence"``: sum over its distinct ids, each once (binarized features, as NBSVM);
        * ``"tfidf"``: ``(1 + log tf) * idf[id]`` per distinct id, scaled to unit L2 norm per bag
          (scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``).

        ids (N,) int; lengths (n,) -> (N,) float64. Fixed-size: one sort of (bag, id) pairs, no selection.
        """
        xp = self.xp
        ids = self.asarray(ids).reshape(-1)
        lengths = self.asarray(lengths)
        N = ids.shape[0]
        seg = self.segment_ids(lengths, N)                              # (N,)
        if mode == "mean":
            return (1.0 / xp.maximum(lengths, 1).astype(np.float64))[seg]
        if N == 0:
            return xp.zeros(0, dtype=np.float64)
        order = xp.lexsort(xp.stack([ids, seg]))                       # by bag, then id
        sid, sseg = ids[order], seg[order]
        first = xp.ones(N, dtype=bool)
        first[1:] = (sid[1:] != sid[:-1]) | (sseg[1:] != sseg[:-1])     # first item of each (bag, id) run
        if mode == "presence":
            ws = first.astype(np.float64)
        elif mode == "tfidf":
            run = xp.cumsum(first) - 1                                  # (N,) run of every sorted item
            tf = xp.bincount(run, minlength=N)[run].astype(np.float64)  # (N,) occurrences of its id in its bag
            v = (1.0 + xp.log(tf)) * (1.0 if idf is None else self.asarray(idf, np.float64)[sid])
            norm2 = xp.bincount(sseg, weights=v * v * first, minlength=lengths.shape[0])  # (n,)
            ws = v / tf / xp.sqrt(xp.maximum(norm2, 1e-24))[sseg]
        else:
            raise ValueError(f"bag weighting must be 'mean', 'presence' or 'tfidf', got {mode!r}")
        w = xp.empty(N, dtype=np.float64)
        w[order] = ws
        return w

    def bag_plan(self, ids, weights, lengths, dtype=FLOAT):
        """The weighted bag operator of a Ragged batch of ids: see :class:`BagPlan`."""
        return BagPlan(self, ids, weights, lengths, dtype)

    def plan_scatter_add(self, plan, table, G):
        """``table[plan.rows] += G`` (G from ``plan.apply_T``), repeated rows adding up; returns the touched
        rows as :meth:`scatter_add` does. A plan over distinct rows (the CPU's) needs no sort."""
        if getattr(plan, "distinct", False):
            self.add_rows(table, plan.rows, G)
            return plan.rows if self.sparse_updates else None
        return self.scatter_add(table, plan.rows, G)

    # -- optimizer updates (in place; the gradient is zeroed) ----------------------------------------
    def adam_update(self, param, grad, m, v, *, step, beta1, beta2, eps, weight_decay=0.0):
        """One Adam step in place: ``m, v`` updated, ``param -= step * m / (sqrt(v) + eps)``, ``grad`` zeroed.

        ``step`` is the bias-corrected step size; ``weight_decay * param`` is added to the gradient first.
        """
        if weight_decay:
            grad += weight_decay * param
        m += (1 - beta1) * (grad - m)
        v += (1 - beta2) * (grad * grad - v)
        param -= step * m / (self.xp.sqrt(v) + eps)
        grad.fill(0)

    def sgd_update(self, param, grad, velocity, *, lr, momentum, nesterov, weight_decay=0.0):
        """One SGD step in place (``velocity`` is None without momentum); ``grad`` zeroed."""
        if weight_decay:
            grad += weight_decay * param
        if velocity is None:
            param -= lr * grad
        else:
            velocity *= momentum
            velocity -= lr * grad
            if nesterov:
                param += momentum * velocity - lr * grad
            else:
                param += velocity
        grad.fill(0)

    # -- reductions read on the host -----------------------------------------------------------------
    def item(self, x) -> float:
        """``float(x)``: a host sync on a device; training reads the loss once per step through it."""
        return float(x)

    def __repr__(self):
        return f"{type(self).__name__}()"


class NumpyOps(Ops):
    """The CPU backend: NumPy, with faster host-only forms of a few operations."""

    name = "numpy"
    device = "cpu"
    xp = np
    blocked_gemm = True

    def asarray(self, x, dtype=None):
        a = np.asarray(x, dtype=dtype)
        return a if a.flags.c_contiguous else np.ascontiguousarray(a)

    def to_host(self, x):
        return np.asarray(x)

    def gemm_acc_inplace(self, A, B, out):
        # BLAS with beta = 1 straight into ``out`` for small products (no temporary); see _gemm_acc. Only the
        # factored output's per-class blocks use it: it calls SciPy's BLAS, whose thread pool competes with
        # NumPy's when both run several threads, so everything else stays on NumPy's matmul.
        return _gemm_acc(A, B, out)

    def take_rows(self, table, ids):
        rows = _row_view(table)
        if rows is None:
            return table[ids]
        out = rows[np.asarray(ids).reshape(-1)]
        return (out if out.dtype == table.dtype else out.view(table.dtype)).reshape(np.shape(ids) + table.shape[1:])

    def put_rows(self, table, ids, values):
        rows = _row_view(table)
        if rows is None:
            table[ids] = values
            return
        ids = np.asarray(ids).reshape(-1)
        values = np.ascontiguousarray(values, dtype=table.dtype).reshape((ids.shape[0],) + table.shape[1:])
        rows[ids] = (values if rows.dtype == table.dtype else values.view(rows.dtype)).reshape(-1)

    #: Row-wise parameters may keep their gradients compact (see :attr:`ffnlp.nn.Layer.compact_grads`).
    compact_row_grads = True

    def sum_rows(self, ids, updates):
        """``(rows, sums)``: the sorted distinct ``ids`` (n,) and the sum of the ``updates`` (n, ...) of each."""
        ids = np.asarray(ids).reshape(-1)
        if ids.shape[0] == 0:
            return ids[:0], updates[:0]
        order, sids = _sort_order(ids)
        starts = np.flatnonzero(np.r_[True, sids[1:] != sids[:-1]])
        return sids[starts], np.add.reduceat(updates[order], starts, axis=0)

    def add_rows(self, table, ids, values):
        self.put_rows(table, ids, self.take_rows(table, ids) + values)

    def _scatter_add(self, table, ids, updates):
        rows, summed = self.sum_rows(ids, updates)
        self.add_rows(table, rows, summed)
        return rows

    def scatter_add(self, table, ids, updates):
        ids = np.asarray(ids).reshape(-1)
        self._check_scatter(table, ids, updates)
        if ids.size == 0:
            return ids[:0]
        return self._scatter_add(table, ids, updates)

    def segment_ids(self, lengths, total=None):
        lengths = np.asarray(lengths)
        return np.repeat(np.arange(lengths.shape[0], dtype=np.int64), lengths)

    def repeat_rows(self, a, lengths, total=None):
        return np.repeat(a, lengths, axis=0)

    def segment_sum(self, X, lengths):
        lengths = np.asarray(lengths)
        n = lengths.shape[0]
        out = np.zeros((n,) + X.shape[1:], dtype=X.dtype)
        nonempty = lengths > 0
        if X.shape[0] == 0 or not nonempty.any():
            return out
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        out[nonempty] = np.add.reduceat(X, starts[nonempty], axis=0)
        return out

    def segment_max(self, X, lengths, *, return_arg=True):
        lengths = np.asarray(lengths)
        n, N, d = lengths.shape[0], X.shape[0], X.shape[1]
        Y = np.zeros((n, d), dtype=X.dtype)
        arg = np.full((n, d), N, dtype=np.int64)
        nonempty = lengths > 0
        if N == 0 or not nonempty.any():
            return (Y, arg) if return_arg else Y
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[nonempty]
        Y[nonempty] = np.maximum.reduceat(X, starts, axis=0)
        if not return_arg:
            return Y
        seg = np.repeat(np.arange(n), lengths)                              # (N,)
        rows = np.where(X == Y[seg], np.arange(N)[:, None], N)              # (N, d): row index where max
        arg[nonempty] = np.minimum.reduceat(rows, starts, axis=0)           # first argmax
        return Y, arg

    #: Elements per block of the fused optimizer updates: the block's temporaries stay in cache, so each
    #: array is read and written once per step instead of once per elementwise operation.
    UPDATE_BLOCK = 32768

    def adam_update(self, param, grad, m, v, *, step, beta1, beta2, eps, weight_decay=0.0):
        n = param.size
        B = min(self.UPDATE_BLOCK, n)
        t = np.empty(B, dtype=param.dtype)
        u = np.empty(B, dtype=param.dtype)
        c1, c2, wd = param.dtype.type(1 - beta1), param.dtype.type(1 - beta2), param.dtype.type(weight_decay)
        st, ep = param.dtype.type(step), param.dtype.type(eps)
        P, G, M, V = param.reshape(-1), grad.reshape(-1), m.reshape(-1), v.reshape(-1)
        for s in range(0, n, B):
            e = min(s + B, n)
            p, g, mm, vv, tt, uu = P[s:e], G[s:e], M[s:e], V[s:e], t[:e - s], u[:e - s]
            if weight_decay:
                np.multiply(p, wd, out=tt)
                g += tt
            np.subtract(g, mm, out=tt)          # m += (1 - b1) (g - m)
            tt *= c1
            mm += tt
            np.multiply(g, g, out=tt)           # v += (1 - b2) (g^2 - v)
            tt -= vv
            tt *= c2
            vv += tt
            np.sqrt(vv, out=tt)                 # p -= step m / (sqrt(v) + eps)
            tt += ep
            np.divide(mm, tt, out=uu)
            uu *= st
            p -= uu
            g.fill(0)

    def sgd_update(self, param, grad, velocity, *, lr, momentum, nesterov, weight_decay=0.0):
        n = param.size
        B = min(self.UPDATE_BLOCK, n)
        t = np.empty(B, dtype=param.dtype)
        lr_, mu, wd = param.dtype.type(lr), param.dtype.type(momentum), param.dtype.type(weight_decay)
        P, G = param.reshape(-1), grad.reshape(-1)
        Vl = None if velocity is None else velocity.reshape(-1)
        for s in range(0, n, B):
            e = min(s + B, n)
            p, g, tt = P[s:e], G[s:e], t[:e - s]
            if weight_decay:
                np.multiply(p, wd, out=tt)
                g += tt
            g *= lr_                            # g <- lr g
            if Vl is None:
                p -= g
            else:
                vl = Vl[s:e]
                vl *= mu
                vl -= g
                if nesterov:
                    np.multiply(vl, mu, out=tt)
                    tt -= g
                    p += tt
                else:
                    p += vl
            g.fill(0)

    def bag_plan(self, ids, weights, lengths, dtype=FLOAT):
        return SparseBagPlan(ids, weights, lengths, dtype)


class BagPlan:
    """``Y[b] = sum_{t in bag b} w_t V[t]`` for the items of a Ragged batch, with ``V`` given on
    :attr:`rows` (``V = table[plan.rows]``, any per-row function of a table).

    Generic form: one row per item (``rows = ids``); :meth:`apply` is a weighted segment sum and
    :meth:`apply_T` hands every item its bag's gradient times its weight, for a scatter-add into the
    table's gradient at :attr:`rows` (repeated rows add up).
    """

    def __init__(self, ops, ids, weights, lengths, dtype):
        self.ops = ops
        self.rows = ops.asarray(ids).reshape(-1)                        # (N,)
        self.lengths = ops.asarray(lengths)
        N = self.rows.shape[0]
        self.w = None if weights is None else ops.asarray(weights, dtype).reshape(N, 1)
        self.seg = ops.segment_ids(self.lengths, N)

    def apply(self, V):
        """(N, d) rows -> (n_bags, d)."""
        return self.ops.segment_sum(V if self.w is None else V * self.w, self.lengths)

    def apply_T(self, dY):
        """(n_bags, d) -> (N, d) gradient of :meth:`apply` w.r.t. its rows."""
        G = dY[self.seg]
        return G if self.w is None else G * self.w


class SparseBagPlan:
    """The CPU's :class:`BagPlan`: a sparse matrix (n_bags, n_distinct) over the batch's distinct ids
    (``rows`` sorted and unique), so the products touch each distinct row once (an order of magnitude
    faster than per-item gathers on long documents)."""

    def __init__(self, ids, weights, lengths, dtype):
        import scipy.sparse as sp

        ids = np.asarray(ids).reshape(-1)
        lengths = np.asarray(lengths)
        self.rows, inv = _unique_inverse(ids)
        data = np.ones(ids.shape[0], dtype=dtype) if weights is None else np.asarray(weights, dtype=dtype)
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self.A = sp.csr_matrix((data, inv.reshape(-1), indptr), shape=(lengths.shape[0], self.rows.shape[0]))
        self.dtype = dtype

    #: ``rows`` are distinct: a gradient adds into them without a sort.
    distinct = True

    def apply(self, V):
        return np.asarray(self.A @ V, dtype=V.dtype)

    def apply_T(self, dY):
        return np.asarray(self.A.T @ dY, dtype=dY.dtype)


def _sort_order(ids):
    """``(order, ids[order])`` with ``order`` a stable argsort of the integer ids (n,).

    For non-negative ids small enough, one ``sort`` of ``id << b | position`` (b bits hold a position) gives
    both at once, about 5x faster than NumPy's stable ``argsort`` on a batch's few thousand ids; otherwise
    (negative or huge ids) the ``argsort``."""
    ids = np.asarray(ids).reshape(-1)
    n = ids.shape[0]
    b = max(int(n - 1).bit_length(), 1)
    if n == 0 or ids.dtype.kind not in "iu" or int(ids.min()) < 0 or int(ids.max()).bit_length() + b > 62:
        order = np.argsort(ids, kind="stable")
        return order, ids[order]
    key = ids.astype(np.int64) << b
    key |= np.arange(n, dtype=np.int64)
    key.sort()
    return key & ((1 << b) - 1), (key >> b).astype(ids.dtype, copy=False)


def _unique_inverse(ids):
    """(sorted distinct ids, inverse), as ``np.unique(ids, return_inverse=True)`` of a flat id array."""
    ids = np.asarray(ids).reshape(-1)
    order, sids = _sort_order(ids)
    first = np.empty(sids.shape[0], dtype=bool)
    first[:1] = True
    np.not_equal(sids[1:], sids[:-1], out=first[1:])
    inv = np.empty(ids.shape[0], dtype=np.int64)
    inv[order] = np.cumsum(first) - 1
    return sids[first], inv


def _row_view(table):
    """A 1-d view of a C-contiguous table whose items are whole rows (a void dtype of one row's bytes), or
    None. Gathers and scatters of rows through it copy one block per row: about twice as fast as NumPy's
    fancy indexing of a 2-d array's rows for narrow rows (20-100 floats)."""
    if not isinstance(table, np.ndarray) or table.ndim != 2 or not table.flags.c_contiguous:
        return None
    if table.shape[1] == 1:                          # one column: the 1-d view (about twice as fast too)
        return table.reshape(-1)
    return table.view(np.dtype((np.void, table.shape[1] * table.itemsize))).reshape(-1)


def _gemm_acc(A, B, C):
    """``C += A @ B`` in place, without the (m, k) temporary when BLAS can write into ``C``.

    A : (m, n); B : (n, k); C : (m, k), C-contiguous. For small blocks it calls scipy's ``?gemm`` with
    ``beta=1`` on the Fortran view ``C.T`` (``C.T += B.T @ A.T``), which saves a temporary and an add (about
    3x faster there, measured). Large products go through NumPy's ``matmul`` (``C += A @ B``): NumPy's
    OpenBLAS build ran them about 1.5x faster than scipy's here, which outweighs the temporary.
    """
    fn = _GEMM.get(C.dtype.char)
    if (fn is None or C.size >= NUMPY_GEMM_MIN or not C.flags.c_contiguous
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
NUMPY_GEMM_MIN = 1 << 20

