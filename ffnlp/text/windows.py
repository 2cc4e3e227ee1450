"""Context windows for a window (n-gram style) language model, without per-token Python loops.

Token ``ids[t]`` is predicted from the ``context_size`` tokens before it. Positions before the
start of the stream are ``<s>`` (``bos_id``), as nltk.lm pads a sentence on the left; with
``eos_id`` given, positions before the start of the current sentence are ``<s>`` too, so a
context never reaches back across a ``</s>``.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["WindowStream", "context_windows", "iter_window_batches"]


def _check(ids, context_size: int) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"ids must be 1-D (n_tokens,), got shape {ids.shape}")
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be integers, got dtype {ids.dtype}")
    if int(context_size) != context_size or context_size < 1:
        raise ValueError(f"context_size must be a positive int, got {context_size!r}")
    return ids


def _sentence_starts(ids: np.ndarray, eos_id: int) -> np.ndarray:
    """starts[t] = index of the first token of the sentence holding ``ids[t]``, shape (n_tokens,).

    A sentence starts at 0 and right after each ``eos_id``; the ``</s>`` belongs to the sentence
    it ends.
    """
    n = ids.shape[0]
    starts = np.zeros(n, dtype=np.int64)  # (n,)
    after_eos = np.flatnonzero(ids[:-1] == eos_id) + 1  # positions that open a new sentence
    starts[after_eos] = after_eos
    return np.maximum.accumulate(starts) if n else starts


def _mask_before_start(
    X: np.ndarray, positions: np.ndarray, starts: np.ndarray, context_size: int, bos_id: int
) -> None:
    """Set to ``bos_id``, in place, the entries of ``X`` (n, context_size) that lie before the
    start of the sentence of their target.

    Row ``i`` holds the tokens at ``positions[i] - context_size + j``; the first
    ``context_size - (positions[i] - starts[i])`` of them (at least 0) lie before that start.
    """
    n_masked = context_size - (positions - starts)  # (n,), may be <= 0 or > context_size
    mask = np.arange(context_size) < n_masked[:, None]  # (n, context_size)
    X[mask] = bos_id


def context_windows(
    ids, context_size: int, *, bos_id: int, eos_id: int | None = None
) -> np.ndarray:
    """Contexts for predicting every token of ``ids`` from the ``context_size`` tokens before it.

    Parameters
    ----------
    ids : array-like of int, shape (n_tokens,)
        A flat token-id stream, e.g. from :meth:`Vocab.encode_sentences`.
    context_size : int
        Number of previous tokens in each context (``n - 1`` for an n-gram model).
    bos_id : int
        Id that fills positions before the stream (and, with ``eos_id``, before the sentence).
    eos_id : int, optional
        If given, contexts do not cross sentence boundaries: a sentence starts after each
        ``eos_id``, and positions before its start are ``bos_id``.

    Returns
    -------
    X : ndarray of shape (n_tokens, context_size), dtype int32, C-contiguous
        ``X[t, j]`` is ``ids[t - context_size + j]``, or ``bos_id`` before the start. The target of
        row ``t`` is ``ids[t]``.

    Examples
    --------
    >>> context_windows([5, 6, 3, 7, 8], 2, bos_id=2, eos_id=3).tolist()
    [[2, 2], [2, 5], [5, 6], [2, 2], [2, 7]]
    """
    ids = _check(ids, context_size)
    n = ids.shape[0]
    padded = np.concatenate([np.full(context_size, bos_id, dtype=np.int32), ids.astype(np.int32)])
    # Row t of the view is padded[t : t + context_size] = ids[t - context_size : t].
    X = sliding_window_view(padded, context_size)[:n]  # (n, context_size), a read-only view
    X = X.copy(order="C")  # (n, context_size), writable (ascontiguousarray may return the view)
    if eos_id is not None and n:
        _mask_before_start(X, np.arange(n), _sentence_starts(ids, eos_id), context_size, bos_id)
    return X


def iter_window_batches(
    ids,
    context_size: int,
    batch_size: int,
    *,
    bos_id: int,
    eos_id: int | None = None,
    rng: np.random.Generator | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Minibatches of (contexts, targets) over every position of ``ids`` exactly once.

    Only the batch at hand is materialized: each batch gathers its windows from the stream with
    index arrays, so memory stays O(n_tokens) instead of O(n_tokens * context_size).

    Parameters
    ----------
    ids : array-like of int, shape (n_tokens,)
    context_size : int
    batch_size : int
    bos_id : int
    eos_id : int, optional
        As in :func:`context_windows`.
    rng : numpy.random.Generator, optional
        If given, positions are visited in a random order (one permutation per call);
        otherwise in stream order.

    Yields
    ------
    X : ndarray of shape (batch, context_size), dtype int32
        Equal to ``context_windows(ids, ...)[positions]``.
    y : ndarray of shape (batch,), dtype int32
        ``ids[positions]``. The last batch may be smaller than ``batch_size``.
    """
    ids = _check(ids, context_size)
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    n = ids.shape[0]
    stream = np.concatenate([np.full(context_size, bos_id, dtype=np.int32), ids.astype(np.int32)])
    starts = _sentence_starts(ids, eos_id) if eos_id is not None else None
    order = rng.permutation(n) if rng is not None else np.arange(n)
    offsets = np.arange(context_size)  # (context_size,)
    for lo in range(0, n, batch_size):
        positions = order[lo : lo + batch_size]  # (b,)
        X = stream[positions[:, None] + offsets]  # (b, context_size): ids[t - context_size + j]
        if starts is not None:
            _mask_before_start(X, positions, starts[positions], context_size, bos_id)
        yield X, stream[positions + context_size]


class WindowStream:
    """The (context, target) examples of a token stream as a dataset for the training engine: ``len`` is the
    number of positions and ``take(positions)`` builds only those windows (as :func:`iter_window_batches`
    does), so memory stays O(n_tokens).

    Parameters
    ----------
    ids : array-like of int, shape (n_tokens,)
    context_size : int
    bos_id : int
    eos_id : int, optional
        As in :func:`context_windows`.

    Examples
    --------
    >>> ds = WindowStream([5, 6, 3, 7, 8], 2, bos_id=2, eos_id=3)
    >>> X, y = ds.take(np.array([1, 4]))
    >>> X.tolist(), y.tolist()
    ([[2, 5], [2, 7]], [6, 8])
    """

    def __init__(self, ids, context_size: int, *, bos_id: int, eos_id: int | None = None):
        ids = _check(ids, context_size)
        self.context_size, self.bos_id = int(context_size), int(bos_id)
        self.stream = np.concatenate([np.full(context_size, bos_id, dtype=np.int32), ids.astype(np.int32)])
        self.starts = _sentence_starts(ids, eos_id) if eos_id is not None else None
        self.offsets = np.arange(context_size)
        self.n = ids.shape[0]

    def __len__(self) -> int:
        return self.n

    def take(self, positions) -> tuple[np.ndarray, np.ndarray]:
        """Contexts (b, context_size) int32 and targets (b,) int32 of the given positions."""
        positions = np.asarray(positions)
        X = self.stream[positions[:, None] + self.offsets]
        if self.starts is not None:
            _mask_before_start(X, positions, self.starts[positions], self.context_size, self.bos_id)
        return X, self.stream[positions + self.context_size]
