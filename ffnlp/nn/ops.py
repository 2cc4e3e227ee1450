"""The one array-math module of ffnlp.

Every layer, loss and optimizer does its array math through this module, so a GPU array module with
NumPy's interface (CuPy) can be swapped in by changing ``xp`` here. Everything is dtype-preserving:
float32 in, float32 out; float64 in (gradient checks), float64 out.
"""
from __future__ import annotations

import numpy as np

xp = np

#: Default training dtype.
FLOAT = np.float32


def affine(X, W, b):
    """``X @ W + b``.

    X : ndarray of shape (n_samples, n_in); W : (n_in, n_out); b : (n_out,) -> (n_samples, n_out).
    """
    Y = X @ W
    Y += b
    return Y


def sigmoid(Z):
    """Logistic function, stable for large ``|Z|`` (no overflow warning): ``0.5 * (1 + tanh(Z/2))``."""
    Y = xp.tanh(Z * 0.5)
    Y += 1
    Y *= 0.5
    return Y


def softplus(Z):
    """``log(1 + exp(Z))`` without overflow."""
    return xp.logaddexp(xp.zeros((), dtype=Z.dtype), Z)


def logsumexp(Z, axis=-1, keepdims=False):
    """Stable ``log(sum(exp(Z), axis))``: the max is subtracted first, so no overflow and no ``log(0)``."""
    m = Z.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    out = xp.log(xp.exp(Z - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else xp.squeeze(out, axis=axis)


def log_softmax(Z, axis=-1):
    """``Z - logsumexp(Z)``; finite for finite Z (never ``log(0)``)."""
    return Z - logsumexp(Z, axis=axis, keepdims=True)


def softmax(Z, axis=-1):
    """Stable softmax: shift by the row max before ``exp``."""
    E = xp.exp(Z - Z.max(axis=axis, keepdims=True))
    E /= E.sum(axis=axis, keepdims=True)
    return E


def softmax_inplace(Z):
    """Row softmax of a 2-d array, overwriting ``Z`` (saves the hot path of the LM two allocations)."""
    Z -= Z.max(axis=1, keepdims=True)
    xp.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z


def scatter_add(table, ids, updates):
    """``table[ids] += updates`` where repeated ids add up (unlike fancy-index ``+=``, which drops repeats).

    Parameters
    ----------
    table : ndarray of shape (n_rows, dim)
    ids : int ndarray of shape (n,)
    updates : ndarray of shape (n, dim)

    Returns
    -------
    rows : int ndarray of shape (n_unique,)
        The sorted unique rows that were touched (for sparse optimizer updates).

    Notes
    -----
    Equivalent to ``np.add.at(table, ids, updates)`` (checked in a test), but sorts the ids and sums
    runs of equal ids with ``np.add.reduceat``, which is many times faster.
    """
    ids = xp.asarray(ids).reshape(-1)
    if updates.shape != (ids.shape[0], table.shape[1]):
        raise ValueError(f"scatter_add: updates of shape {updates.shape} do not match ids {ids.shape} "
                         f"and table rows of width {table.shape[1]}")
    if ids.size == 0:
        return ids[:0]
    order = xp.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = xp.flatnonzero(xp.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    rows = sorted_ids[starts]
    table[rows] += xp.add.reduceat(updates[order], starts, axis=0)
    return rows


def segment_sum(X, lengths):
    """Sum consecutive segments of rows: ``X`` (N, d), ``lengths`` (n,) summing to N -> (n, d).

    Empty segments give zero rows.
    """
    lengths = xp.asarray(lengths)
    n = lengths.shape[0]
    out = xp.zeros((n, X.shape[1]), dtype=X.dtype)
    nonempty = lengths > 0
    if X.shape[0] == 0 or not nonempty.any():
        return out
    starts = xp.concatenate([[0], xp.cumsum(lengths)[:-1]])
    out[nonempty] = xp.add.reduceat(X, starts[nonempty], axis=0)
    return out


def as_float(X, dtype=None):
    """``X`` as a floating array (float32 unless ``dtype`` or X's own float dtype says otherwise)."""
    X = xp.asarray(X)
    if dtype is None:
        dtype = X.dtype if X.dtype.kind == "f" else FLOAT
    return X.astype(dtype, copy=False)
