"""Document features computed once, outside the model: ids, n-grams, TF-IDF weights, naive Bayes ratios.

:class:`DocumentEncoder` is a scikit-learn-style ``fit``/``transform`` encoder (the model is
``TfidfVectorizer``): ``fit`` builds the vocabulary, the n-gram list (or uses fastText's hashing trick),
the smoothed idf of every feature (scikit-learn's ``TfidfTransformer``) and, given labels, the naive Bayes
log-count ratios (:class:`NBFeatureWeighter`). ``transform`` turns documents into
:class:`EncodedDocuments`: each document's distinct features with their TF-IDF weights and NB scales,
stored flat, whose ``take(idx)`` cuts a :class:`FeatureBatch` out with vectorized gathers. A network then
holds parameters only, never corpus statistics, and nothing is recomputed per batch or per epoch.

The module also holds the id-sequence helpers of the earlier encoder (:class:`Documents`,
:func:`bigram_pairs`, :func:`hashed_bigrams`, :func:`add_boundaries`, :func:`nb_log_count_ratios`), which
the convolutional document vector and model files written before the encoder still use.

Knows nothing of :mod:`ffnlp.nn`.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from ffnlp.text.tokenize import tokenize
from ffnlp.text.vocab import Vocab

_HASH_MULT = np.uint64(116049371)  # fastText's bigram hash multiplier

__all__ = ["DocumentEncoder", "IdSequenceEncoder", "EncodedDocuments", "FeatureBatch", "Bag", "NBFeatureWeighter", "Documents",
           "bigram_pairs", "hashed_bigrams", "add_boundaries", "append_ids", "nb_log_count_ratios",
           "multinomial_nb_log_probs", "as_documents", "is_token_lists"]


# ----------------------------------------------------------------------------- naive Bayes ratios


class NBFeatureWeighter(TransformerMixin, BaseEstimator):
    """Scale binarized features by the naive Bayes log-count ratio (Wang & Manning 2012).

    With ``f_i`` the binarized feature vector of document ``i`` and ``y_i`` in {0, 1},

    ``p = alpha + sum_{i: y_i = 1} f_i``,  ``q = alpha + sum_{i: y_i = 0} f_i``,
    ``r = log((p / ||p||_1) / (q / ||q||_1))``,

    and ``transform`` returns ``f * r`` (elementwise, each row), the features of NBSVM.

    The paper's model is binary. With ``K > 2`` classes, ``fit`` computes one one-vs-rest ratio
    ``r_k`` per class (class k against the rest) and ``transform`` concatenates the K scaled
    copies ``[f * r_1, ..., f * r_K]``, shape (n_samples, K * n_features). The baselines of
    :mod:`ffnlp.baselines.textcat` instead put the weighter with its classifier inside a
    :class:`~sklearn.multiclass.OneVsRestClassifier`, so each binary classifier sees only its own
    ``f * r_k``, as in the paper.

    Parameters
    ----------
    alpha : float, default=1.0
        Additive smoothing of the feature counts.
    binarize : bool, default=True
        Use ``f = (X > 0)``; with False, ``X`` (non-negative counts) is used as is.

    Attributes
    ----------
    r_ : ndarray of shape (1, n_features) for 2 classes, else (n_classes, n_features), float64
        Log-count ratios; for 2 classes positive values indicate ``classes_[1]``.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int

    References
    ----------
    S. Wang and C. D. Manning. Baselines and bigrams: simple, good sentiment and topic
    classification. ACL 2012.
    """

    def __init__(self, alpha: float = 1.0, binarize: bool = True):
        self.alpha = alpha
        self.binarize = binarize

    def _features(self, X):
        if self.binarize:
            X = (X > 0).astype(np.float64)
        return X

    def fit(self, X, y):
        """Fit ``r_`` on X (n_samples, n_features), sparse or dense, non-negative, and labels y (n_samples,)."""
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=(np.float64, np.float32))
        check_non_negative(X, "NBFeatureWeighter")
        check_classification_targets(y)
        if self.alpha <= 0:
            raise ValueError(f"alpha must be > 0, got {self.alpha}")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"NBFeatureWeighter needs at least 2 classes, got 1 class ({self.classes_[0]!r})")
        F = self._features(X)
        positives = [self.classes_[1]] if len(self.classes_) == 2 else self.classes_
        rows = []
        for c in positives:
            pos = y == c
            p = self.alpha + np.asarray(F[pos].sum(axis=0)).ravel()  # (n_features,)
            q = self.alpha + np.asarray(F[~pos].sum(axis=0)).ravel()  # (n_features,)
            rows.append(np.log(p / p.sum()) - np.log(q / q.sum()))  # (n_features,)
        self.r_ = np.vstack(rows)  # (n_out, n_features)
        return self

    def transform(self, X):
        """``f * r_``: X (n_samples, n_features) -> (n_samples, n_out * n_features); sparse gives CSR."""
        check_is_fitted(self, "r_")
        X = validate_data(self, X, accept_sparse="csr", dtype=(np.float64, np.float32), reset=False)
        F = self._features(X)
        if sp.issparse(F):
            blocks = [sp.csr_matrix(F.multiply(r[None, :])) for r in self.r_]
            return blocks[0] if len(blocks) == 1 else sp.hstack(blocks, format="csr")
        return np.hstack([F * r[None, :] for r in self.r_])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        tags.target_tags.required = True
        return tags


def multinomial_nb_log_probs(F, y, n_classes: int, alpha: float = 1.0):
    """Multinomial naive Bayes log-probabilities of binarized features, centred over the classes.

    ``R[j, c] = log(p_c[j] / ||p_c||_1) - mean_c(...)`` with ``p_c = alpha + sum of f over documents of class
    c``; a softmax over ``sum_j f_j R[j]`` is then the naive Bayes posterior with uniform priors.

    F : sparse (n_samples, n_features) of 0/1; y : int ndarray (n_samples,) in [0, n_classes)
    -> R : ndarray of shape (n_features, n_classes), float64
    """
    Y = sp.csr_matrix((np.ones(len(y)), (np.asarray(y), np.arange(len(y)))), shape=(n_classes, len(y)))
    P = alpha + np.asarray((Y @ F).todense())                            # (n_classes, n_features)
    R = np.log(P / P.sum(axis=1, keepdims=True)).T                       # (n_features, n_classes)
    return R - R.mean(axis=1, keepdims=True)


# ----------------------------------------------------------------------------- input checks


def is_token_lists(X) -> bool:
    first = X[0]
    return not isinstance(first, str) and isinstance(first, (list, tuple, np.ndarray))


def as_documents(X, name="X") -> list:
    """``X`` as a list of documents (all strings, or all token lists); ValueError naming the bad item."""
    if isinstance(X, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of documents (strings or token lists), got one string")
    try:
        X = list(X)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of documents, got {type(X).__name__}") from None
    if not X:
        raise ValueError(f"{name} holds no documents")
    tokens = is_token_lists(X)
    for i, doc in enumerate(X):
        ok = (not isinstance(doc, str) and all(isinstance(t, str) for t in doc)) if tokens else isinstance(doc, str)
        if not ok:
            kind = "a token list" if tokens else "a string"
            raise ValueError(f"{name}[{i}] is {type(doc).__name__}, expected {kind} like {name}[0]")
    return X


# ----------------------------------------------------------------------------- id sequences


class Documents:
    """Encoded documents: one flat id array and the number of ids per document (ids in text order).

    Supports ``len`` and ``take(idx)``, so :func:`ffnlp.nn.fit` batches it like an array: ``take`` cuts
    the rows of several documents out of the flat array with one vectorized gather and returns
    ``(ids, lengths)`` as ``ragged(ids, lengths)`` (by default a plain tuple; the estimator passes the
    network's ragged type).

    Parameters
    ----------
    ids : int ndarray of shape (n_ids,)
    lengths : int ndarray of shape (n_documents,)
    """

    def __init__(self, ids, lengths, ragged=tuple):
        self.ids = np.asarray(ids)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        if int(self.lengths.sum()) != self.ids.shape[0]:
            raise ValueError(f"lengths sum to {int(self.lengths.sum())} but there are {self.ids.shape[0]} ids")
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.ragged = ragged

    def __len__(self):
        return self.lengths.shape[0]

    def _rows(self, idx):
        lengths = self.lengths[idx]                                           # (b,)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])              # (b,) in the batch
        flat = np.arange(int(lengths.sum())) + np.repeat(self.starts[idx] - offsets, lengths)  # (total,)
        return flat, lengths

    def take(self, idx):
        """Documents ``idx``: ragged(ids (sum of their lengths,), lengths (len(idx),))."""
        flat, lengths = self._rows(np.asarray(idx))
        return self.ragged((self.ids[flat], lengths)) if self.ragged is tuple else self.ragged(self.ids[flat], lengths)

    def subset(self, idx) -> "Documents":
        """Documents ``idx`` as a new :class:`Documents`."""
        flat, lengths = self._rows(np.asarray(idx))
        return Documents(self.ids[flat], lengths, self.ragged)

    def all(self):
        return self.take(np.arange(len(self)))


def bigram_pairs(ids, lengths):
    """The bigrams of consecutive ids inside each document.

    Parameters
    ----------
    ids : int ndarray of shape (n_words,)
    lengths : int ndarray of shape (n_documents,)

    Returns
    -------
    first, second, doc : int64 ndarrays of shape (n_bigrams,), ``n_bigrams = sum(max(L - 1, 0))``
    """
    ids = np.asarray(ids, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    ends = np.cumsum(lengths)
    same_doc = np.ones(max(ids.shape[0] - 1, 0), dtype=bool)                   # (n_words - 1,)
    same_doc[ends[(lengths > 0) & (ends < ids.shape[0])] - 1] = False           # pair crosses a boundary
    n_bi = np.maximum(lengths - 1, 0)
    return ids[:-1][same_doc], ids[1:][same_doc], np.repeat(np.arange(lengths.shape[0]), n_bi)


def trigram_triples(ids, lengths):
    """The trigrams of consecutive ids inside each document: ids (n_words,), lengths (n_documents,) ->
    first, second, third, doc, int64 ndarrays of shape (n_trigrams,), ``n_trigrams = sum(max(L - 2, 0))``."""
    ids = np.asarray(ids, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    n = ids.shape[0]
    if n < 3:
        e = np.zeros(0, np.int64)
        return e, e, e, e
    starts = np.cumsum(lengths) - lengths
    doc_of = np.repeat(np.arange(lengths.shape[0]), lengths)          # (n_words,)
    pos = np.arange(n) - starts[doc_of]                               # position of each word in its document
    ok = pos[:-2] <= lengths[doc_of[:-2]] - 3                         # a trigram starting here stays inside
    first = np.flatnonzero(ok)
    return ids[first], ids[first + 1], ids[first + 2], doc_of[first]


def add_boundaries(ids, lengths, bos: int, eos: int):
    """Put ``bos`` before and ``eos`` after every document: ids (n_words,), lengths (n,) ->
    ids (n_words + 2 n,), lengths + 2 (so the first and last words also form bigrams, with the boundary)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    new_len = lengths + 2
    starts = np.concatenate([[0], np.cumsum(new_len)[:-1]]).astype(np.int64)    # (n,)
    out = np.empty(int(new_len.sum()), dtype=np.int64)
    inner = np.ones(out.shape[0], dtype=bool)
    inner[starts] = False
    inner[starts + new_len - 1] = False
    out[starts], out[starts + new_len - 1] = bos, eos
    out[inner] = ids
    return out, new_len


def append_ids(ids, lengths, extra, extra_doc, ragged=tuple) -> Documents:
    """Documents holding their own ``ids`` followed by the ``extra`` ids that ``extra_doc`` assigns them.

    ids (n_words,), lengths (n_documents,), extra (n_extra,), extra_doc (n_extra,) -> Documents.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    n = lengths.shape[0]
    doc = np.concatenate([np.repeat(np.arange(n), lengths), extra_doc])
    order = np.argsort(doc, kind="stable")
    return Documents(np.concatenate([ids, extra])[order], lengths + np.bincount(extra_doc, minlength=n), ragged)


def _hash_bigrams(a, b, n_buckets):
    return ((a.astype(np.uint64) * _HASH_MULT + b.astype(np.uint64)) % np.uint64(n_buckets)).astype(np.int64)


def _hash_trigrams(a, b, c, n_buckets):
    h = a.astype(np.uint64) * _HASH_MULT + b.astype(np.uint64)
    return ((h * _HASH_MULT + c.astype(np.uint64)) % np.uint64(n_buckets)).astype(np.int64)


def hashed_bigrams(ids, lengths, n_buckets: int, offset: int, ragged=tuple) -> Documents:
    """Append the hashed bigram ids of each document after its word ids (fastText's ``addWordNgrams``).

    The bigram ``(a, b)`` of consecutive word ids in one document maps to
    ``offset + (a * 116049371 + b) mod n_buckets``.

    Parameters
    ----------
    ids : int ndarray of shape (n_words,)
    lengths : int ndarray of shape (n_documents,)
    n_buckets, offset : int

    Returns
    -------
    Documents
        Each document holds its ``L`` word ids then its ``max(L - 1, 0)`` bigram ids.
    """
    a, b, doc = bigram_pairs(ids, lengths)
    return append_ids(np.asarray(ids, dtype=np.int64), lengths, _hash_bigrams(a, b, n_buckets) + offset, doc,
                      ragged)


def nb_log_count_ratios(docs: Documents, Y, n_rows: int, smoothing: float = 1.0, *, multinomial: bool = False):
    """Naive Bayes log-count ratios of binarized features of id documents, one column per output.

    The same quantities as :class:`NBFeatureWeighter` (one-vs-rest, ``multinomial=False``) and
    :func:`multinomial_nb_log_probs`, computed from a :class:`Documents` by building its binarized
    document-feature matrix.

    Parameters
    ----------
    docs : Documents
    Y : ndarray of shape (n_documents, n_out) of 0/1
    n_rows : int
        Number of ids (rows of the result).

    Returns
    -------
    R : ndarray of shape (n_rows, n_out), float32
    """
    n = len(docs)
    doc = np.repeat(np.arange(n), docs.lengths)
    F = sp.csr_matrix((np.ones(doc.shape[0]), (doc, np.asarray(docs.ids))), shape=(n, n_rows))
    F.sum_duplicates()
    F.data[:] = 1.0
    Y = np.asarray(Y)
    if multinomial:
        return multinomial_nb_log_probs(F, Y.argmax(axis=1), Y.shape[1], smoothing).astype(np.float32)
    return _ovr_ratios(F, Y, smoothing).astype(np.float32)


def _ovr_ratios(F, Y, alpha):
    """One-vs-rest NB ratios of each column of the 0/1 matrix Y (n, n_out): (n_features, n_out), with
    :class:`NBFeatureWeighter` (a column with a single value gives zeros)."""
    R = np.zeros((F.shape[1], Y.shape[1]))
    for c in range(Y.shape[1]):
        yc = (Y[:, c] > 0.5).astype(np.int64)
        if yc.min() == yc.max():
            continue
        R[:, c] = NBFeatureWeighter(alpha=alpha, binarize=False).fit(F, yc).r_[0]
    return R


# ----------------------------------------------------------------------------- the encoder


class Bag(NamedTuple):
    """A ragged batch of ids with per-item weights: ``data`` (n_items,) int64, ``lengths`` (n_bags,) with
    ``lengths.sum() == n_items``, ``weights`` (n_items,) or (n_items, n_out) float32 (the input of
    :class:`ffnlp.nn.pooling.WeightedEmbeddingBag` and :class:`ffnlp.nn.pooling.DirectBag`)."""

    data: np.ndarray
    lengths: np.ndarray
    weights: np.ndarray

    def __len__(self):
        return len(self.lengths)


class FeatureBatch(NamedTuple):
    """What :meth:`EncodedDocuments.take` returns for a batch of ``n`` documents.

    embed : Bag
        The words (and, with ``embed_ngrams``, n-grams) of each document that have an embedding row, each
        once, weighted by TF-IDF (``(1 + log tf) * idf``, unit L2 norm per document) or by ``tf / length``.
    direct : Bag or None
        Every feature of each document once, with weights (n_items, n_out): its naive Bayes scale for each
        output times the pooling weight (1: binarized, as NBSVM; or ``tf / length``).
    sequence : ragged (ids, lengths) or None
        With ``DocumentEncoder(sequences=True)``: each document's word ids in text order (``<unk>`` for
        unknown words, and ``<s>``/``</s>`` with ``boundaries``), as the ``ragged`` type given to ``transform``.
    """

    embed: Bag
    direct: Bag | None
    sequence: tuple | None = None

    def __len__(self):
        return len(self.embed.lengths)


class EncodedDocuments:
    """Documents as their distinct features, stored flat: ``len`` and ``take(idx)`` -> :class:`FeatureBatch`.

    Parameters
    ----------
    ids : int64 ndarray (n_items,)
        Feature ids, each document's sorted and distinct.
    lengths : int64 ndarray (n_documents,)
    tf : float32 ndarray (n_items,)
        Occurrences of each feature in its document.
    encoder : DocumentEncoder
        The fitted encoder, for the weights and scales.
    """

    def __init__(self, ids, lengths, tf, encoder: "DocumentEncoder", tokens=None, sequences: Documents | None = None):
        self.ids, self.lengths, self.tf = ids, np.asarray(lengths, dtype=np.int64), tf
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.encoder = encoder
        self.tokens = tokens  # (n_documents,) tokens read from each document, or None
        if sequences is not None and len(sequences) != len(self.lengths):
            raise ValueError(f"sequences: {len(sequences)} documents, expected {len(self.lengths)}")
        self.sequences = sequences  # the word ids in text order (DocumentEncoder(sequences=True)), or None
        enc = encoder
        seg = np.repeat(np.arange(len(self.lengths)), self.lengths)                    # (n_items,)
        # embedding weights, once for all documents
        emb = ids < enc.n_embedded_
        w = np.zeros(ids.shape[0], dtype=np.float64)
        if enc.weighting == "tfidf":
            w[emb] = (1.0 + np.log(tf[emb])) * enc.idf_[ids[emb]]
            norm = np.sqrt(np.bincount(seg, weights=w * w, minlength=len(self.lengths)))  # (n_documents,)
            w /= np.maximum(norm, 1e-12)[seg]
        else:
            total = np.bincount(seg, weights=np.where(emb, tf, 0.0), minlength=len(self.lengths))
            w[emb] = tf[emb] / np.maximum(total, 1)[seg[emb]]
        self.embed_weights = w.astype(np.float32)
        self.embed_mask = emb
        if enc.direct_pooling == "mean":
            total = np.bincount(seg, weights=tf, minlength=len(self.lengths))
            self.direct_weights = (tf / np.maximum(total, 1)[seg]).astype(np.float32)
        else:
            self.direct_weights = None                                                 # 1 per feature

    def __len__(self):
        return self.lengths.shape[0]

    @property
    def n_tokens(self):
        """Tokens read from the documents (None if unknown)."""
        return None if self.tokens is None else int(self.tokens.sum())

    def take(self, idx) -> FeatureBatch:
        idx = np.asarray(idx)
        lengths = self.lengths[idx]                                                  # (b,)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        flat = np.arange(int(lengths.sum())) + np.repeat(self.starts[idx] - offsets, lengths)  # (n_items,)
        ids = self.ids[flat]
        mask = self.embed_mask[flat]
        if mask.all():
            embed = Bag(ids, lengths, self.embed_weights[flat])
        else:
            seg = np.repeat(np.arange(idx.shape[0]), lengths)
            embed = Bag(ids[mask], np.bincount(seg[mask], minlength=idx.shape[0]).astype(np.int64),
                        self.embed_weights[flat[mask]])
        R = self.encoder.nb_ratios_
        direct = None
        if R is not None:
            S = R[ids]                                                               # (n_items, n_out)
            if self.direct_weights is not None:
                S = S * self.direct_weights[flat][:, None]
            direct = Bag(ids, lengths, S)
        return FeatureBatch(embed, direct, None if self.sequences is None else self.sequences.take(idx))

    def all(self) -> FeatureBatch:
        return self.take(np.arange(len(self)))

    def subset(self, idx) -> "EncodedDocuments":
        idx = np.asarray(idx)
        lengths = self.lengths[idx]
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        flat = np.arange(int(lengths.sum())) + np.repeat(self.starts[idx] - offsets, lengths)
        return EncodedDocuments(self.ids[flat], lengths, self.tf[flat], self.encoder,
                                None if self.tokens is None else self.tokens[idx],
                                None if self.sequences is None else self.sequences.subset(idx))


class DocumentEncoder(BaseEstimator):
    """Documents -> their distinct word and n-gram features with TF-IDF weights and NB scales, fit once.

    Parameters
    ----------
    lowercase : bool, default=True
    min_count : int, default=1
        Words (and exact n-grams) seen fewer times in the fitting documents are ``<unk>`` (dropped).
    max_vocab : int or None
    max_length : int or None
        Keep only the first ``max_length`` tokens of a document.
    boundaries : bool, default=False
        Mark the start and end of every document with ``<s>`` and ``</s>`` (boundary bigrams).
    bigrams : bool, default=True
        Add word bigrams as features.
    trigrams : bool, default=False
        Add word trigrams as features too (with ``bigrams``), after the bigrams; they never get embedding
        rows, and are kept as the bigrams are (``min_count``, at most ``max_bigrams`` of them, or hashed
        into the same ``n_buckets``).
    n_buckets : int or None, default=None
        Hash bigrams into this many buckets (fastText's ``a * 116049371 + b mod n_buckets``); None keeps
        one feature per bigram seen ``min_count`` times, at most ``max_bigrams`` of them (the most frequent).
    max_bigrams : int or None, default=500000
    embed_ngrams : bool, default=False
        Whether n-gram features also get embedding rows (``n_embedded_`` counts the features that do:
        the words only, by default).
    weighting : {"tfidf", "mean"}, default="tfidf"
        Embedding weights: ``(1 + log tf) * idf`` normalized to unit L2 norm per document (scikit-learn's
        ``TfidfVectorizer(sublinear_tf=True)``), or ``tf / length`` (a plain average).
    nb : {"ovr", "multinomial", None}, default="ovr"
        NB scales of the direct connections, from the labels given to :meth:`fit`: one-vs-rest log-count
        ratios (:class:`NBFeatureWeighter`), centred multinomial log-probabilities, or none.
    direct_pooling : {"presence", "mean"}, default="presence"
        Each feature of a document counts once (NBSVM's binarized features) or ``tf / length``.
    nb_alpha : float, default=1.0
    sequences : bool, default=False
        Also keep each document's word ids in text order (:attr:`FeatureBatch.sequence`), for a network that
        reads word order (``FFNTextClassifier(doc_vector="window")``).

    Attributes
    ----------
    vocab_ : Vocab
    bigram_keys_ : int64 ndarray (n_bigrams,) or None
        Sorted keys ``a * len(vocab_) + b`` of the kept bigrams (exact bigrams only).
    trigram_keys_ : int64 ndarray (n_trigrams,) or None
        Sorted keys ``(a * len(vocab_) + b) * len(vocab_) + c`` of the kept trigrams (exact ones only).
    n_features_ : int
        Words, then bigrams (or buckets), then trigrams.
    n_embedded_ : int
    idf_ : float64 ndarray (n_features_,)
    nb_ratios_ : float32 ndarray (n_features_, n_out) or None

    Examples
    --------
    >>> enc = DocumentEncoder().fit(["a good film", "a bad film"], [[0.0], [1.0]])
    >>> batch = enc.transform(["a good film"]).take([0])
    >>> batch.embed.lengths.tolist(), batch.direct.lengths.tolist()
    ([3], [5])
    """

    def __init__(self, *, lowercase=True, min_count=1, max_vocab=None, max_length=None, boundaries=False,
                 bigrams=True, n_buckets=None, max_bigrams=500000, embed_ngrams=False, weighting="tfidf",
                 nb="ovr", direct_pooling="presence", nb_alpha=1.0, trigrams=False, sequences=False):
        self.lowercase = lowercase
        self.min_count = min_count
        self.max_vocab = max_vocab
        self.max_length = max_length
        self.boundaries = boundaries
        self.bigrams = bigrams
        self.n_buckets = n_buckets
        self.max_bigrams = max_bigrams
        self.embed_ngrams = embed_ngrams
        self.weighting = weighting
        self.nb = nb
        self.direct_pooling = direct_pooling
        self.nb_alpha = nb_alpha
        self.trigrams = trigrams
        self.sequences = sequences

    # -- tokens -> word ids ---------------------------------------------------------------------------
    def tokens(self, X) -> list[list[str]]:
        """Token lists of documents (strings are tokenized; token lists are lowercased if asked)."""
        if is_token_lists(X):
            toks = [[t.lower() for t in d] if self.lowercase else list(d) for d in X]
        else:
            toks = [tokenize(d, lower=self.lowercase) for d in X]
        if self.max_length:
            toks = [t[: int(self.max_length)] for t in toks]
        return toks

    def word_ids(self, toks):
        """(ids (n_words,), lengths (n_documents,)) of token lists, with boundaries if asked."""
        lengths = np.fromiter((len(t) for t in toks), dtype=np.int64, count=len(toks))
        ids = self.vocab_.encode([w for t in toks for w in t]).astype(np.int64)
        if self.boundaries:
            ids, lengths = add_boundaries(ids, lengths, self.vocab_.bos_id, self.vocab_.eos_id)
        return ids, lengths

    def _kept(self, keys):
        """Sorted distinct ``keys`` seen ``min_count`` times, at most ``max_bigrams`` (the most frequent)."""
        uniq, counts = np.unique(keys, return_counts=True)
        keep = counts >= int(self.min_count)
        uniq, counts = uniq[keep], counts[keep]
        if self.max_bigrams and uniq.shape[0] > int(self.max_bigrams):
            top = np.argsort(-counts, kind="stable")[: int(self.max_bigrams)]
            uniq = np.sort(uniq[top])
        return uniq

    @staticmethod
    def _lookup(table, keys, offset, docs):
        """(offset + position in ``table``, document) of the ``keys`` found in it (unseen ones dropped)."""
        pos = np.searchsorted(table, keys)
        found = pos < table.shape[0]
        found[found] = table[pos[found]] == keys[found]
        return offset + pos[found], docs[found]

    def _occurrences(self, ids, lengths, *, fit=False):
        """(feature id, document) of every word, bigram (and trigram) occurrence."""
        n = lengths.shape[0]
        doc = np.repeat(np.arange(n), lengths)
        V = len(self.vocab_)
        if not self.bigrams:
            return ids, doc
        a, b, bdoc = bigram_pairs(ids, lengths)
        feats, docs = [ids], [doc]
        if self.n_buckets:
            feats.append(V + _hash_bigrams(a, b, int(self.n_buckets)))
            docs.append(bdoc)
        else:
            if fit:
                self.bigram_keys_ = self._kept(a * V + b)
            f, d = self._lookup(self.bigram_keys_, a * V + b, V, bdoc)
            feats.append(f)
            docs.append(d)
        if self.trigrams:
            a, b, c, tdoc = trigram_triples(ids, lengths)
            if self.n_buckets:
                feats.append(V + _hash_trigrams(a, b, c, int(self.n_buckets)))
                docs.append(tdoc)
            else:
                if V >= 2 ** 21:
                    raise ValueError(f"trigrams: a vocabulary of {V} words is too large for exact trigram keys "
                                     "(at most 2,097,151); give n_buckets to hash them")
                keys = (a * V + b) * V + c
                if fit:
                    self.trigram_keys_ = self._kept(keys)
                f, d = self._lookup(self.trigram_keys_, keys, V + int(self.bigram_keys_.shape[0]), tdoc)
                feats.append(f)
                docs.append(d)
        return np.concatenate(feats), np.concatenate(docs)

    def _counts(self, toks, *, fit=False, ragged=tuple):
        """CSR (n_documents, n_features_) of feature counts, indices sorted, the number of tokens, and (with
        ``sequences``) the word ids in text order as :class:`Documents` cut as ``ragged``, else None."""
        ids, lengths = self.word_ids(toks)
        feat, doc = self._occurrences(ids, lengths, fit=fit)
        if fit:
            n_bi = 0 if not self.bigrams else int(self.n_buckets) if self.n_buckets else int(self.bigram_keys_.shape[0])
            self._n_words_and_bigrams = len(self.vocab_) + n_bi
            self.n_features_ = self._n_words_and_bigrams + (
                int(self.trigram_keys_.shape[0]) if self.trigram_keys_ is not None else 0)
        keys = doc * np.int64(self.n_features_) + feat
        uniq, tf = np.unique(keys, return_counts=True)                           # sorted by document, then id
        d, f = uniq // self.n_features_, uniq % self.n_features_
        indptr = np.concatenate([[0], np.cumsum(np.bincount(d, minlength=len(toks)))])
        C = sp.csr_matrix((tf.astype(np.float64), f, indptr), shape=(len(toks), self.n_features_))
        seqs = Documents(ids, lengths, ragged) if self.sequences else None       # the words in text order
        return C, np.fromiter((len(t) for t in toks), dtype=np.int64, count=len(toks)), seqs

    # -- fit / transform --------------------------------------------------------------------------------
    def fit(self, X, Y=None):
        """Fit on documents ``X`` (strings or token lists) and, for NB scales, targets ``Y`` (n, n_out) 0/1
        (multinomial: the columns are the classes, one 1 per row); returns self."""
        self._validate()
        self._fit_transform(as_documents(X), Y)
        return self

    def fit_transform(self, X, Y=None, *, ragged=tuple) -> EncodedDocuments:
        """:meth:`fit`, then :meth:`transform` of the same documents."""
        self._validate()
        return self._fit_transform(as_documents(X), Y, ragged)

    def _fit_transform(self, X, Y, ragged=tuple):
        toks = self.tokens(X)
        self.vocab_ = Vocab.build(toks, min_count=int(self.min_count), max_size=self.max_vocab)
        self.bigram_keys_ = self.trigram_keys_ = None
        C, n_tok, seqs = self._counts(toks, fit=True, ragged=ragged)
        self.n_embedded_ = self._n_words_and_bigrams if self.embed_ngrams else len(self.vocab_)
        self.idf_ = TfidfTransformer(smooth_idf=True).fit(C).idf_                 # log((1 + n) / (1 + df)) + 1
        self.nb_ratios_ = None
        if self.nb is not None and Y is not None:
            Y = np.asarray(Y, dtype=np.float64)
            if Y.ndim != 2 or Y.shape[0] != C.shape[0]:
                raise ValueError(f"Y must have shape ({C.shape[0]}, n_out), got {Y.shape}")
            F = C.copy()
            F.data[:] = 1.0
            R = (multinomial_nb_log_probs(F, Y.argmax(axis=1), Y.shape[1], float(self.nb_alpha))
                 if self.nb == "multinomial" else _ovr_ratios(F, Y, float(self.nb_alpha)))
            self.nb_ratios_ = R.astype(np.float32)
        return self._encoded(C, n_tok, seqs)

    def transform(self, X, *, ragged=tuple) -> EncodedDocuments:
        """Documents -> :class:`EncodedDocuments` with the fitted vocabulary, n-grams and statistics; with
        ``sequences``, their batches hand out the words in order as ``ragged(ids, lengths)`` (the network's
        ragged type; a plain tuple by default)."""
        check_is_fitted(self, "vocab_")
        return self._encoded(*self._counts(self.tokens(as_documents(X)), ragged=ragged))

    def _encoded(self, C, tokens, sequences=None):
        lengths = np.diff(C.indptr).astype(np.int64)
        return EncodedDocuments(C.indices.astype(np.int64), lengths, C.data.astype(np.float32), self, tokens,
                                sequences)

    def _validate(self):
        if self.weighting not in ("tfidf", "mean"):
            raise ValueError(f"weighting must be 'tfidf' or 'mean', got {self.weighting!r}")
        if self.nb not in ("ovr", "multinomial", None):
            raise ValueError(f"nb must be 'ovr', 'multinomial' or None, got {self.nb!r}")
        if self.direct_pooling not in ("presence", "mean"):
            raise ValueError(f"direct_pooling must be 'presence' or 'mean', got {self.direct_pooling!r}")
        if self.n_buckets is not None and int(self.n_buckets) <= 0:
            raise ValueError(f"n_buckets must be positive or None, got {self.n_buckets}")

    # -- persistence ----------------------------------------------------------------------------------
    def state(self) -> tuple[dict, dict]:
        """(JSON-able metadata, named arrays) of the fitted encoder, for a model file."""
        check_is_fitted(self, "vocab_")
        meta = {"params": self.get_params(), "vocab": self.vocab_.to_dict(), "n_features": int(self.n_features_),
                "n_embedded": int(self.n_embedded_)}
        arrays = {"idf": self.idf_}
        if self.bigram_keys_ is not None:
            arrays["bigram_keys"] = self.bigram_keys_
        if getattr(self, "trigram_keys_", None) is not None:
            arrays["trigram_keys"] = self.trigram_keys_
        if self.nb_ratios_ is not None:
            arrays["nb_ratios"] = self.nb_ratios_
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict, *, path=None) -> "DocumentEncoder":
        enc = cls(**meta["params"])
        enc.vocab_ = Vocab.from_dict(meta["vocab"], path=path)
        enc.n_features_, enc.n_embedded_ = int(meta["n_features"]), int(meta["n_embedded"])
        enc.idf_ = np.asarray(arrays["idf"], dtype=np.float64)
        enc.bigram_keys_ = np.asarray(arrays["bigram_keys"], dtype=np.int64) if "bigram_keys" in arrays else None
        enc.trigram_keys_ = np.asarray(arrays["trigram_keys"], dtype=np.int64) if "trigram_keys" in arrays else None
        enc.nb_ratios_ = np.asarray(arrays["nb_ratios"], dtype=np.float32) if "nb_ratios" in arrays else None
        if enc.idf_.shape != (enc.n_features_,):
            raise ValueError(f"idf has shape {enc.idf_.shape}, expected ({enc.n_features_},)")
        return enc


class IdSequenceEncoder(DocumentEncoder):
    """Documents -> id sequences in text order: each document's word ids, then the ids of its bigrams.

    The input of the windowed document vector (``doc_vector="conv"``), of word dropout, and of the networks
    of model files written before :class:`DocumentEncoder` (whose layers hold the idf and NB ratios that
    :meth:`idf` and :meth:`nb_ratios` compute). The vocabulary and bigram options are
    :class:`DocumentEncoder`'s (the weighting and NB options are not used).

    Attributes
    ----------
    vocab_, bigram_keys_ : as :class:`DocumentEncoder`
    n_rows_ : int
        Words, then bigrams (or buckets): the rows of an embedding table indexed by the ids.
    """

    def fit_encode(self, toks, ragged=tuple) -> Documents:
        """Build the vocabulary (and bigram list) from token lists and encode them."""
        self.vocab_ = Vocab.build(toks, min_count=int(self.min_count), max_size=self.max_vocab)
        self.bigram_keys_ = None
        return self.encode(toks, ragged, fit=True)

    def encode(self, toks, ragged=tuple, *, fit=False) -> Documents:
        """Token lists -> :class:`Documents` (unknown words are ``<unk>``, unseen exact bigrams dropped)."""
        check_is_fitted(self, "vocab_")
        ids, lengths = self.word_ids(toks)
        if not self.bigrams:
            return Documents(ids, lengths, ragged)
        feat, doc = self._occurrences(ids, lengths, fit=fit)
        n = ids.shape[0]
        return append_ids(ids, lengths, feat[n:], doc[n:], ragged)

    @property
    def n_rows_(self) -> int:
        if not self.bigrams:
            return len(self.vocab_)
        return len(self.vocab_) + (int(self.n_buckets) if self.n_buckets else int(self.bigram_keys_.shape[0]))

    def idf(self, docs: Documents):
        """Smoothed inverse document frequencies ``log((1 + n) / (1 + df)) + 1`` of every id (rows (n_rows_,))."""
        n_rows = self.n_rows_
        doc = np.repeat(np.arange(len(docs)), docs.lengths)
        keys = np.unique(doc * np.int64(n_rows) + docs.ids)
        df = np.bincount(keys % n_rows, minlength=n_rows)
        return np.log((1.0 + len(docs)) / (1.0 + df)) + 1.0

    def nb_ratios(self, docs: Documents, Y, *, multinomial=False):
        """:func:`nb_log_count_ratios` of the documents for targets ``Y`` (n, n_out) 0/1: (n_rows_, n_out)."""
        return nb_log_count_ratios(docs, Y, self.n_rows_, multinomial=multinomial)
