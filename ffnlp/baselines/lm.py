"""Interpolated modified Kneser-Ney n-gram language model on integer token streams.

The model works on flat ``int`` arrays (the output of a vocabulary's ``encode``); it knows nothing of
strings. Counting and scoring are vectorized with NumPy: every n-gram is encoded as an ``int64`` key
``history_id * vocab_size + word``, where ``history_id`` is the dense index of the n-gram's history
(itself built the same way, one word to the left at a time), so counts come from ``np.unique`` and
look-ups from ``np.searchsorted`` on sorted keys, whatever the order and vocabulary size.

Conventions (those of SRILM's ``ngram-count -kndiscount -interpolate`` and KenLM's ``lmplz``):

* Each token is predicted from the ``order - 1`` tokens before it. With ``eos_id`` given, a sentence
  starts after every ``eos_id`` token and histories stop at the sentence start, which is written as
  a single ``bos_id`` (SRILM's ``<s>``): the first word of a sentence is predicted from ``(<s>,)``,
  the second from ``(<s>, w1)``, and so on, so a left-padded window ``(<s>, <s>, w1)`` is the same
  history as ``(<s>, w1)``. Without ``eos_id`` only the start of the stream is padded.
* Lower orders use continuation counts ``N1+(. w_2..w_k)`` (the number of distinct words seen to the
  left), except n-grams that begin with ``<s>``, which cannot be extended to the left and keep their
  raw counts. Discounts are estimated per order from the count-of-counts of these adjusted counts.
* The recursion ends in a uniform distribution over the predictable words: the vocabulary minus
  ``bos_id`` (and ``pad_id`` when given), which are never predicted and get probability 0.
"""
from __future__ import annotations

import logging
import numbers
import time

import numpy as np

from ffnlp.nn.serialize import load_npz, save_npz

logger = logging.getLogger(__name__)

__all__ = ["KneserNeyLM", "modified_kn_discounts"]

_KIND = "kneser_ney"
#: Discounts used when count-of-counts cannot give valid ones (KenLM's ``--discount_fallback``).
FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)
_AS_FITTED = object()


def modified_kn_discounts(counts) -> tuple[np.ndarray, bool]:
    """Chen & Goodman's three discounts from the count-of-counts of one order.

    With ``n_r`` the number of n-grams whose (adjusted) count is exactly ``r``::

        Y  = n1 / (n1 + 2 n2)
        D1 = 1 - 2 Y n2 / n1,   D2 = 2 - 3 Y n3 / n2,   D3+ = 3 - 4 Y n4 / n3

    Parameters
    ----------
    counts : ndarray of shape (n_ngrams,), int
        The (adjusted) count of every distinct n-gram of the order.

    Returns
    -------
    discounts : ndarray of shape (3,), float64
        ``(D1, D2, D3+)``; :data:`FALLBACK_DISCOUNTS` when some ``n_r`` (r = 1..4) is zero or an
        estimate falls outside ``(0, r]``.
    estimated : bool
        False when the fallback was used.
    """
    counts = np.asarray(counts)
    n = np.bincount(np.minimum(counts, 5).astype(np.int64), minlength=6)[1:5].astype(np.float64)
    if np.all(n > 0):
        y = n[0] / (n[0] + 2.0 * n[1])
        d = np.array([1.0 - 2.0 * y * n[1] / n[0], 2.0 - 3.0 * y * n[2] / n[1], 3.0 - 4.0 * y * n[3] / n[2]])
        if np.all(d > 0) and np.all(d <= np.array([1.0, 2.0, 3.0])):
            return d, True
    return np.array(FALLBACK_DISCOUNTS, dtype=np.float64), False


def _check_id(name, value, vocab_size):
    if value is None:
        return None
    if not isinstance(value, numbers.Integral) or not 0 <= value < vocab_size:
        raise ValueError(f"{name}={value!r} is not a token id in [0, vocab_size={vocab_size})")
    return int(value)


def _ids_array(ids, name="ids") -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a flat 1-D token stream, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); need at least one token")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer token ids, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _validate_stream(ids, vocab_size, bos_id, pad_id) -> np.ndarray:
    """``ids`` as a flat int64 stream of predictable token ids; ValueError naming the bad entry."""
    ids = _ids_array(ids)
    bad = np.flatnonzero((ids < 0) | (ids >= vocab_size))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"ids[{i}]={int(ids[i])} is out of range [0, vocab_size={vocab_size}) "
                         f"({bad.size} such ids, stream shape {ids.shape})")
    for name, sid in (("bos_id", bos_id), ("pad_id", pad_id)):
        if sid is not None:
            hit = np.flatnonzero(ids == sid)
            if hit.size:
                raise ValueError(f"ids[{int(hit[0])}]={sid} is the {name}, which is never predicted; "
                                 "sentence starts are implied by eos_id, not written in the stream")
    return ids


def _sentence_positions(ids: np.ndarray, eos_id) -> np.ndarray:
    """Number of tokens between each token and its sentence start; shape (n,), int64."""
    n = ids.shape[0]
    t = np.arange(n, dtype=np.int64)
    if eos_id is None:
        return t
    starts = np.zeros(n, dtype=bool)
    starts[0] = True
    starts[1:] = ids[:-1] == eos_id
    return t - np.maximum.accumulate(np.where(starts, t, 0))


def _previous_tokens(ids: np.ndarray, pos: np.ndarray, width: int, bos_id: int) -> np.ndarray:
    """``X[t, j-1]`` = the j-th token before ``t`` (``bos_id`` where that is before the sentence start).

    Returns ndarray of shape (n, width), int64.
    """
    n = ids.shape[0]
    padded = np.concatenate([np.full(width, bos_id, dtype=np.int64), ids])  # (width + n,)
    X = np.empty((n, width), dtype=np.int64)
    for j in range(1, width + 1):  # loop over orders only
        X[:, j - 1] = np.where(pos >= j, padded[width - j : width - j + n], bos_id)
    return X


class KneserNeyLM:
    """Interpolated modified Kneser-Ney n-gram language model (Chen & Goodman 1998).

    ``P(w | h) = (c'(h w) - D(c'(h w))) / sum_v c'(h v) + gamma(h) P(w | h')``, where ``h'`` drops
    the oldest word of ``h``, ``c'`` is the raw count at the highest order and the continuation count
    at lower orders, ``D`` is one of three discounts ``D1, D2, D3+`` per order, and
    ``gamma(h) = (D1 N1(h.) + D2 N2(h.) + D3+ N3+(h.)) / sum_v c'(h v)`` is the mass the discounts
    freed. An unseen history passes its lower-order distribution through unchanged; the recursion
    ends in the uniform distribution over predictable words. See the module docstring for how
    sentence starts are handled (as SRILM and KenLM do).

    Parameters
    ----------
    order : int, default=5
        n-gram order (>= 2): each token is predicted from the ``order - 1`` tokens before it.
    discounts : None, float, or array-like of shape (3,) or (order, 3), default=None
        None estimates ``(D1, D2, D3+)`` per order from count-of-counts (modified Kneser-Ney). A
        float ``d`` in [0, 1] uses ``D1 = D2 = D3+ = d`` at every order: the original interpolated
        Kneser-Ney with one discount, as ``nltk.lm.KneserNeyInterpolated(order, discount=d)``.
        Arrays give fixed ``(D1, D2, D3+)`` for all orders or row ``k-1`` for order ``k``.

    Attributes
    ----------
    vocab_size_ : int
    bos_id_, eos_id_, unk_id_, pad_id_ : int or None
        Special ids given to :meth:`fit`.
    discounts_ : ndarray of shape (order, 3), float64
        ``(D1, D2, D3+)`` used at order ``k`` in row ``k - 1``.
    n_tokens_ : int
        Number of training tokens.
    n_ngrams_ : ndarray of shape (order,), int64
        Number of distinct n-grams stored per order.

    References
    ----------
    Chen, S. F. and Goodman, J. (1998). An empirical study of smoothing techniques for language
    modeling. Technical Report TR-10-98, Harvard University.
    Kneser, R. and Ney, H. (1995). Improved backing-off for m-gram language modeling. ICASSP.

    Examples
    --------
    >>> import numpy as np
    >>> ids = np.array([4, 5, 6, 3, 4, 6, 3, 5, 5, 3], dtype=np.int32)  # 3 = </s>, 2 = <s>
    >>> lm = KneserNeyLM(order=3).fit(ids, vocab_size=7, bos_id=2, eos_id=3, pad_id=0)
    >>> p = lm.next_distribution([4])      # P(. | <s> 4)
    >>> round(float(p.sum()), 12), float(p[2])
    (1.0, 0.0)
    >>> bool(lm.perplexity(ids) < 7)
    True
    """

    def __init__(self, order=5, *, discounts=None):
        self.order = order
        self.discounts = discounts

    # ------------------------------------------------------------------ fitting
    def fit(self, ids, vocab_size, *, bos_id, eos_id=None, unk_id=None, pad_id=None):
        """Count the n-grams of a token stream and estimate the model.

        Parameters
        ----------
        ids : array-like of shape (n_tokens,), int
            Flat token stream, ids in ``[0, vocab_size)``; must not contain ``bos_id`` or ``pad_id``.
        vocab_size : int
            Number of token ids (specials included).
        bos_id : int
            Sentence-start symbol: pads histories, never predicted.
        eos_id : int, optional
            Sentence-end symbol; when given, histories do not cross it (one sentence per
            ``... eos_id`` run). It is an ordinary predicted word.
        unk_id : int, optional
            Recorded only; ``<unk>`` is an ordinary predicted word.
        pad_id : int, optional
            Padding symbol: never predicted (probability 0); a context token equal to it is read
            as "nothing before" in :meth:`next_distribution`.

        Returns
        -------
        self : KneserNeyLM
        """
        t0 = time.perf_counter()
        order = self.order
        if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order < 2:
            raise ValueError(f"order must be an int >= 2, got {order!r}")
        order = int(order)
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, numbers.Integral) or vocab_size < 2:
            raise ValueError(f"vocab_size must be an int >= 2, got {vocab_size!r}")
        vocab_size = int(vocab_size)
        bos_id = _check_id("bos_id", bos_id, vocab_size)
        if bos_id is None:
            raise ValueError("bos_id is required")
        eos_id = _check_id("eos_id", eos_id, vocab_size)
        unk_id = _check_id("unk_id", unk_id, vocab_size)
        pad_id = _check_id("pad_id", pad_id, vocab_size)
        if eos_id is not None and eos_id in (bos_id, pad_id):
            raise ValueError(f"eos_id={eos_id} must differ from bos_id={bos_id} and pad_id={pad_id}")
        discounts = self._discount_param(order)
        ids = _validate_stream(ids, vocab_size, bos_id, pad_id)

        self.vocab_size_, self.bos_id_, self.eos_id_ = vocab_size, bos_id, eos_id
        self.unk_id_, self.pad_id_ = unk_id, pad_id
        n = ids.shape[0]
        V = vocab_size

        pos = _sentence_positions(ids, eos_id)                       # (n,)
        X = _previous_tokens(ids, pos, order - 1, bos_id)            # (n, order-1)
        hist, self._hist_keys = self._history_ids_fit(X, pos)        # order lists

        keys, raw, first = [], [], []
        for k in range(1, order + 1):
            valid = pos >= k - 2                                     # at most one leading <s>
            key = hist[k - 1][valid] * V + ids[valid]                # (n_valid,)
            uniq, first_idx, counts = np.unique(key, return_index=True, return_counts=True)
            keys.append(uniq)
            raw.append(counts.astype(np.int64))
            first.append(np.flatnonzero(valid)[first_idx])           # a token index per n-gram

        # Adjusted counts: raw at the top order and for n-grams starting with <s>; else N1+(. g).
        adjusted = [None] * order
        adjusted[order - 1] = raw[order - 1]
        for k in range(order - 1, 0, -1):                            # order k, 1-based
            longer = first[k]                                        # order k+1 n-grams
            suffix_key = hist[k - 1][longer] * V + ids[longer]       # drop the oldest word
            suffix_idx = np.searchsorted(keys[k - 1], suffix_key)
            cont = np.bincount(suffix_idx, minlength=keys[k - 1].shape[0]).astype(np.int64)
            starts_bos = pos[first[k - 1]] == k - 2 if k >= 2 else np.zeros(keys[0].shape[0], bool)
            adjusted[k - 1] = np.where(starts_bos, raw[k - 1], cont)

        self._keys, self._raw, self._adjusted = keys, raw, adjusted
        if discounts is None:
            est = [modified_kn_discounts(a) for a in adjusted]
            fallback = [k for k, (_, ok) in enumerate(est, start=1) if not ok]
            if fallback:
                logger.warning("order(s) %s: count-of-counts give no valid discounts; using %s",
                               fallback, FALLBACK_DISCOUNTS)
            discounts = np.stack([d for d, _ in est])
        self.discounts_ = discounts
        self.n_tokens_ = int(n)
        self._finalize()
        logger.info("fitted %d-gram KN on %d tokens (|V|=%d, n-grams per order %s) in %.2fs",
                    order, n, V, self.n_ngrams_.tolist(), time.perf_counter() - t0)
        return self

    def _discount_param(self, order) -> np.ndarray | None:
        d = self.discounts
        if d is None:
            return None
        if isinstance(d, numbers.Real) and not isinstance(d, bool):
            if not 0.0 <= float(d) <= 1.0:
                raise ValueError(f"a single discount must lie in [0, 1], got {d!r}")
            return np.full((order, 3), float(d))
        try:
            arr = np.asarray(d, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"discounts must be None, a float or an array of floats, got {d!r}") from None
        if arr.shape == (3,):
            arr = np.tile(arr, (order, 1))
        if arr.shape != (order, 3):
            raise ValueError(f"discounts must be None, a float, shape (3,) or (order={order}, 3); got shape {arr.shape}")
        if np.any(arr < 0) or np.any(arr > np.array([1.0, 2.0, 3.0])):
            raise ValueError(f"discounts (D1, D2, D3+) must satisfy 0 <= Dr <= r, got {arr.tolist()}")
        return arr.copy()

    def _history_ids_fit(self, X, pos):
        """Dense ids of every token's histories of length 0..order-1 (-1: longer than the sentence)."""
        n = X.shape[0]
        hist = [np.zeros(n, dtype=np.int64)]                          # the empty history: id 0
        hist_keys = [np.zeros(1, dtype=np.int64)]
        for j in range(1, self.order):
            valid = pos >= j - 1
            key = X[valid, j - 1] * hist_keys[j - 1].shape[0] + hist[j - 1][valid]
            uniq, inv = np.unique(key, return_inverse=True)
            h = np.full(n, -1, dtype=np.int64)
            h[valid] = inv.reshape(-1)
            hist.append(h)
            hist_keys.append(uniq)
        return hist, hist_keys

    def _history_ids(self, X, pos):
        """Look up histories of length 0..order-1 in the fitted tables; -1 where unseen or invalid."""
        n = X.shape[0]
        hist = [np.zeros(n, dtype=np.int64)]
        for j in range(1, self.order):
            table = self._hist_keys[j]
            prev = hist[j - 1]
            ok = (pos >= j - 1) & (prev >= 0)
            if table.shape[0] == 0:                                   # no history this long
                hist.append(np.full(n, -1, dtype=np.int64))
                continue
            key = X[:, j - 1] * self._hist_keys[j - 1].shape[0] + prev
            idx = np.minimum(np.searchsorted(table, key), table.shape[0] - 1)
            ok &= table[idx] == key
            hist.append(np.where(ok, idx, -1))
        return hist

    def _finalize(self):
        """Per-order interpolation weights and discounted probabilities from the count tables."""
        V = self.vocab_size_
        self._alpha, self._gamma = [], []
        for k in range(1, self.order + 1):
            keys, adj = self._keys[k - 1], self._adjusted[k - 1]
            d = self.discounts_[k - 1]
            n_ctx = self._hist_keys[k - 1].shape[0]
            ctx = keys // V                                           # history id per n-gram
            total = np.bincount(ctx, weights=adj, minlength=n_ctx)    # (n_ctx,)
            r = np.minimum(adj, 3)
            freed = np.bincount(ctx, weights=d[r - 1], minlength=n_ctx)
            with np.errstate(divide="ignore", invalid="ignore"):
                self._gamma.append(np.where(total > 0, freed / total, 1.0))
            self._alpha.append(np.maximum(adj - d[r - 1], 0.0) / total[ctx])
        self.n_ngrams_ = np.array([k.shape[0] for k in self._keys], dtype=np.int64)
        excluded = {self.bos_id_} | ({self.pad_id_} if self.pad_id_ is not None else set())
        self._n_predictable = V - len(excluded)
        self._excluded = np.array(sorted(excluded), dtype=np.int64)

    def _check_fitted(self):
        if not hasattr(self, "_keys"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit() or load() first")

    # ------------------------------------------------------------------ scoring
    def _prob(self, X, pos, w):
        """P(w[i] | history of row i); X (n, order-1), pos (n,), w (n,) -> (n,) float64."""
        hist = self._history_ids(X, pos)
        V = self.vocab_size_
        p = np.full(w.shape[0], 1.0 / self._n_predictable)
        for k in range(1, self.order + 1):
            h = hist[k - 1]
            seen = h >= 0
            if not seen.any():
                continue
            keys = self._keys[k - 1]
            key = h * V + w
            idx = np.minimum(np.searchsorted(keys, key), keys.shape[0] - 1)
            alpha = np.where(seen & (keys[idx] == key), self._alpha[k - 1][idx], 0.0)
            gamma = self._gamma[k - 1][np.maximum(h, 0)]
            p = np.where(seen, alpha + gamma * p, p)
        excluded = np.isin(w, self._excluded)
        return np.where(excluded, 0.0, p)

    def logprob(self, ids, *, bos_id=None, eos_id=_AS_FITTED) -> np.ndarray:
        """Natural-log probability of every token of a stream given the tokens before it.

        Parameters
        ----------
        ids : array-like of shape (n_tokens,), int
            Token stream (no ``bos_id``/``pad_id``), split into sentences by ``eos_id``.
        bos_id : int, optional
            Must equal the fitted ``bos_id`` when given.
        eos_id : int or None, optional
            Sentence separator for histories; defaults to the one given to :meth:`fit`. ``None``
            scores the stream without sentence resets.

        Returns
        -------
        ndarray of shape (n_tokens,), float64
            ``log P(ids[t] | history)``, finite for every token in the vocabulary.
        """
        self._check_fitted()
        if bos_id is not None and bos_id != self.bos_id_:
            raise ValueError(f"bos_id={bos_id!r} differs from the fitted bos_id={self.bos_id_}")
        eos_id = self.eos_id_ if eos_id is _AS_FITTED else _check_id("eos_id", eos_id, self.vocab_size_)
        ids = _validate_stream(ids, self.vocab_size_, self.bos_id_, self.pad_id_)
        pos = _sentence_positions(ids, eos_id)
        X = _previous_tokens(ids, pos, self.order - 1, self.bos_id_)
        return np.log(self._prob(X, pos, ids))

    def perplexity(self, ids, *, bos_id=None, eos_id=_AS_FITTED) -> float:
        """``exp`` of the mean negative log-probability over every token (``</s>`` included).

        Parameters and defaults as for :meth:`logprob`.
        """
        return float(np.exp(-np.mean(self.logprob(ids, bos_id=bos_id, eos_id=eos_id))))

    def _contexts(self, context_ids):
        """Rows of context ids -> (X (b, order-1) latest-first, pos (b,)) as for a next token."""
        C = np.asarray(context_ids)
        if C.ndim not in (1, 2):
            raise ValueError(f"context_ids must have shape (m,) or (batch, m), got shape {C.shape}")
        if C.size and not np.issubdtype(C.dtype, np.integer):
            raise ValueError(f"context_ids must hold integer token ids, got dtype {C.dtype}")
        C2 = C.reshape(1, -1) if C.ndim == 1 else C
        C2 = C2.astype(np.int64, copy=False)
        b, m = C2.shape
        V, width, bos = self.vocab_size_, self.order - 1, self.bos_id_
        if C2.size and (C2.min() < 0 or C2.max() >= V):
            r, c = np.argwhere((C2 < 0) | (C2 >= V))[0]
            raise ValueError(f"context_ids[{r}, {c}]={int(C2[r, c])} is out of range [0, vocab_size={V}) "
                             f"(context shape {C.shape})")
        # A sentence starts after the last <s>/<pad> (or </s> when histories reset at eos); a
        # context shorter than order-1 starts a sentence.
        full = np.concatenate([np.full((b, width), bos, dtype=np.int64), C2], axis=1)  # (b, width+m)
        is_start = full == bos
        if self.pad_id_ is not None:
            is_start |= full == self.pad_id_
        marks = is_start.copy()
        if self.eos_id_ is not None:
            marks |= full == self.eos_id_
        cols = np.arange(full.shape[1])
        last = np.max(np.where(marks, cols, -1), axis=1)             # (b,) index of last mark
        pos = (full.shape[1] - 1 - last).astype(np.int64)            # tokens since sentence start
        X = full[:, ::-1][:, :width].copy()                          # X[:, j-1] = j-th previous
        X[np.arange(width)[None, :] >= pos[:, None]] = bos
        return X, pos, C.ndim == 1

    def next_distribution(self, context_ids) -> np.ndarray:
        """Distribution of the next token over the vocabulary.

        Parameters
        ----------
        context_ids : array-like of shape (m,) or (batch, m), int
            Preceding tokens, oldest first; only the last ``order - 1`` matter. A sentence starts
            after the last ``bos_id``/``pad_id`` in a row (and after the last ``eos_id`` when the
            model was fitted with one); a row with none, shorter than ``order - 1``, is taken to
            start a sentence (left-padded with ``bos_id``).

        Returns
        -------
        ndarray of shape (vocab_size,) or (batch, vocab_size), float64
            Rows sum to 1; ``bos_id`` and ``pad_id`` get 0.
        """
        self._check_fitted()
        X, pos, single = self._contexts(context_ids)
        b, V = X.shape[0], self.vocab_size_
        hist = self._history_ids(X, pos)
        P = np.full((b, V), 1.0 / self._n_predictable)               # (b, V)
        P[:, self._excluded] = 0.0
        for k in range(1, self.order + 1):
            h = hist[k - 1]
            rows = np.flatnonzero(h >= 0)
            if rows.size == 0:
                continue
            keys = self._keys[k - 1]
            lo = np.searchsorted(keys, h[rows] * V)
            hi = np.searchsorted(keys, (h[rows] + 1) * V)
            P[rows] *= self._gamma[k - 1][h[rows]][:, None]
            lengths = hi - lo
            flat_rows = np.repeat(rows, lengths)                     # (n_hits,)
            starts = np.repeat(lo - np.cumsum(lengths) + lengths, lengths)
            gi = starts + np.arange(flat_rows.shape[0])              # n-gram indices
            P[flat_rows, keys[gi] % V] += self._alpha[k - 1][gi]
        return P[0] if single else P

    # ------------------------------------------------------------------ persistence
    def save(self, path, *, meta: dict | None = None):
        """Write the model with :func:`ffnlp.nn.serialize.save_npz` (kind ``"kneser_ney"``).

        Parameters
        ----------
        path : str or Path
        meta : dict, optional
            Extra JSON-serializable data stored under ``meta["meta"]`` (e.g. the vocabulary).
        """
        self._check_fitted()
        arrays = {
            "ngram_keys": np.concatenate(self._keys),
            "ngram_counts": np.concatenate(self._raw),
            "ngram_adjusted": np.concatenate(self._adjusted),
            "ngram_offsets": np.concatenate([[0], np.cumsum(self.n_ngrams_)]).astype(np.int64),
            "history_keys": np.concatenate(self._hist_keys),
            "history_offsets": np.concatenate([[0], np.cumsum([h.shape[0] for h in self._hist_keys])]).astype(np.int64),
            "discounts": self.discounts_,
        }
        disc = self.discounts
        if disc is not None and not isinstance(disc, numbers.Real):
            disc = np.asarray(disc, dtype=float).tolist()
        info = {"order": int(self.order), "discounts_param": disc, "vocab_size": self.vocab_size_,
                "bos_id": self.bos_id_, "eos_id": self.eos_id_, "unk_id": self.unk_id_,
                "pad_id": self.pad_id_, "n_tokens": self.n_tokens_, "meta": meta or {}}
        return save_npz(path, arrays, info, kind=_KIND)

    @classmethod
    def load(cls, path) -> "KneserNeyLM":
        """Read a model written by :meth:`save`; the caller's ``meta`` is in ``model.meta_``."""
        arrays, info = load_npz(path, kind=_KIND)
        lm = cls(order=info["order"], discounts=info["discounts_param"])
        lm.vocab_size_, lm.bos_id_, lm.eos_id_ = info["vocab_size"], info["bos_id"], info["eos_id"]
        lm.unk_id_, lm.pad_id_, lm.n_tokens_ = info["unk_id"], info["pad_id"], info["n_tokens"]
        lm.meta_ = info.get("meta", {})
        off, hoff = arrays["ngram_offsets"], arrays["history_offsets"]
        split = lambda a, o: [a[o[i] : o[i + 1]] for i in range(len(o) - 1)]  # noqa: E731
        lm._keys = split(arrays["ngram_keys"], off)
        lm._raw = split(arrays["ngram_counts"], off)
        lm._adjusted = split(arrays["ngram_adjusted"], off)
        lm._hist_keys = split(arrays["history_keys"], hoff)
        lm.discounts_ = arrays["discounts"]
        lm._finalize()
        return lm

    # ------------------------------------------------------------------ inspection
    def ngram_counts(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The order-``k`` table, for inspection and tests.

        Returns
        -------
        ngrams : ndarray of shape (n_ngrams, k), int64
            Each n-gram, oldest word first (``bos_id`` marks a sentence start).
        counts : ndarray of shape (n_ngrams,), int64
            Raw counts.
        adjusted : ndarray of shape (n_ngrams,), int64
            Counts used for estimation (continuation counts at lower orders).
        """
        self._check_fitted()
        if not 1 <= k <= self.order:
            raise ValueError(f"k must be in [1, order={self.order}], got {k!r}")
        V = self.vocab_size_
        keys = self._keys[k - 1]
        grams = np.empty((keys.shape[0], k), dtype=np.int64)
        grams[:, k - 1] = keys % V
        h = keys // V
        for j in range(k - 1, 0, -1):                                # unwind history ids
            n_prev = self._hist_keys[j - 1].shape[0]
            hk = self._hist_keys[j][h]
            grams[:, k - 1 - j] = hk // n_prev
            h = hk % n_prev
        return grams, self._raw[k - 1].copy(), self._adjusted[k - 1].copy()
