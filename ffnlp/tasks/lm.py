"""The window neural language model of Bengio et al. (2003), its training loop, and its mix with an n-gram model.

A :class:`WindowLM` predicts token ``w_t`` from the ``n - 1`` tokens before it::

    x = [C(w_{t-n+1}), ..., C(w_{t-1})]              # Window: concatenated embeddings, (n-1) * m
    y = b + W x + U tanh(d + H x)                      # direct connections W (optional), tanh hidden layer
    p(w_t | context) = softmax(y)                      # full, or exact class-factored

It is assembled from :mod:`ffnlp.nn` layers: ``chain(Window, concatenate(chain(Dense, Tanh), Identity()))``
gives the features ``[tanh(d + H x), x]`` (``[U | W]`` is then one output weight matrix), followed by a
:class:`~ffnlp.nn.factored.SoftmaxOutput` or :class:`~ffnlp.nn.factored.ClassFactoredSoftmax` fused with
its negative log-likelihood.

Perplexity is exact: ``exp`` of the mean negative log-likelihood over every predicted token of a split,
``</s>`` included and ``<unk>`` counted as a token (as nltk.lm and SRILM count it).

References
----------
Y. Bengio, R. Ducharme, P. Vincent, C. Jauvin (2003). A Neural Probabilistic Language Model.
Journal of Machine Learning Research 3:1137-1155.
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ffnlp._files import atomic_path
from ffnlp.config import LMConfig
from ffnlp.errors import DataError, ModelFileError
from ffnlp.nn.combinators import concatenate
from ffnlp.nn.factored import ClassFactoredSoftmax, SoftmaxOutput, frequency_classes
from ffnlp.nn.layer import Chain, chain, load_model, rng_states, save_model, set_rng_states
from ffnlp.nn.layers import ACTIVATIONS, Dense, Dropout, Identity, Window
from ffnlp.nn.optimizers import SGD, Adam
from ffnlp.nn.training import Callback, HalveLROnPlateau, History, fit
from ffnlp.text import Vocab, context_windows, iter_window_batches, tokenize
from ffnlp.text.windows import WindowStream

logger = logging.getLogger(__name__)

__all__ = [
    "WindowLM", "PerplexityReport", "TrainResult", "MixedLM", "build_network", "encode_splits", "train_lm",
    "tune_mix_weight", "word2vec_vectors", "load_word_vectors", "evaluate_wordsim", "NGramLM", "load_lm",
    "select_preset", "corpus_config", "build_vocab", "PRESETS",
]

KIND = "window_lm"
CHECKPOINT_KIND = "window_lm_checkpoint"
#: Bias given at initialization to ids that are never predicted (``<pad>``, ``<s>``): exp(-30) ~ 1e-13.
NEVER_BIAS = -30.0


# ------------------------------------------------------------------------------------------ model
def build_network(config: LMConfig, vocab_size: int, *, class_starts=None, rng=None) -> Chain:
    """The layers of a window LM: ``chain(body, output)``.

    Parameters
    ----------
    config : LMConfig
    vocab_size : int
    class_starts : int array of shape (n_classes + 1,), optional
        Word classes of the factored output (required when ``config.output == "factored"``).
    rng : numpy.random.Generator, optional
        Initial weights (zeros without it, e.g. before loading a file).

    Returns
    -------
    Chain
        ``net[0]`` is the body, ids (n, context_size) -> features (n, n_features); ``net[1]`` the output
        layer, features -> log-probabilities (n, vocab_size).
    """
    dtype = np.dtype(config.dtype)
    k, m = config.context_size, config.embedding_dim
    window = Window(vocab_size, m, k, rng=rng, dtype=dtype, trainable=not config.freeze_embeddings)
    # Each Dropout layer draws from its own stream (seed, seed + 1, ...), so their masks are independent.
    seeds = iter(range(config.random_state, config.random_state + len(config.hidden_layer_sizes) + 2))
    hidden, n_in = [], k * m
    for i, h in enumerate(config.hidden_layer_sizes):
        if i and config.dropout:
            hidden.append(Dropout(config.dropout, seed=next(seeds)))
        hidden += [Dense(n_in, h, rng=rng, dtype=dtype), ACTIVATIONS[config.activation]()]
        n_in = h
    if config.direct and hidden:
        features = concatenate(chain(*hidden), Identity())       # [tanh(d + H x), x]
        n_features = n_in + k * m
    elif config.direct:
        features, n_features = Identity(), k * m
    else:
        features, n_features = chain(*hidden), n_in
    inputs = [window, Dropout(config.input_dropout, seed=next(seeds))] if config.input_dropout else [window]
    body = chain(*inputs, features, Dropout(config.dropout, seed=next(seeds))) if config.dropout else \
        chain(*inputs, features)
    if config.output == "full":
        output = SoftmaxOutput(n_features, vocab_size, rng=rng, dtype=dtype)
    else:
        if class_starts is None:
            raise ValueError("a factored output needs class_starts")
        output = ClassFactoredSoftmax(n_features, class_starts, rng=rng, dtype=dtype)
        if output.n_out != vocab_size:
            raise ValueError(f"class_starts cover {output.n_out} ids, the vocabulary has {vocab_size}")
    return chain(body, output)


@dataclass
class PerplexityReport:
    """Exact perplexity of a token stream.

    Attributes
    ----------
    perplexity : float
        ``exp(mean_nll)``.
    mean_nll : float
        Mean negative log-likelihood in nats per token.
    tokens : int
        Tokens predicted: every token of the stream, ``</s>`` included, ``<unk>`` counted.
    unk_tokens, eos_tokens : int
        How many of them are ``<unk>`` / ``</s>``.
    """

    perplexity: float
    mean_nll: float
    tokens: int
    unk_tokens: int
    eos_tokens: int

    def __float__(self):
        return float(self.perplexity)

    def to_dict(self) -> dict:
        return {"perplexity": self.perplexity, "mean_nll": self.mean_nll, "tokens": self.tokens,
                "unk_tokens": self.unk_tokens, "eos_tokens": self.eos_tokens,
                "counting": "every predicted token, </s> included, <unk> counted as a token"}

    @classmethod
    def from_logprob(cls, logp, ids, vocab: Vocab) -> "PerplexityReport":
        ids = np.asarray(ids)
        nll = float(-np.mean(logp)) if logp.size else float("nan")
        return cls(float(np.exp(nll)), nll, int(ids.size), int((ids == vocab.unk_id).sum()),
                   int((ids == vocab.eos_id).sum()))


class _TextLM:
    """Text-level helpers shared by the neural and the n-gram model: they need ``vocab``,
    ``context_size``, ``lowercase`` and ``next_distribution(context_ids)``."""

    def encode_context(self, context) -> tuple[np.ndarray, list[str]]:
        """Text (tokenized like the training corpus: ``--tokenizer whitespace`` splits on whitespace) or a
        token list -> (ids, unknown tokens).

        Raises
        ------
        DataError
            If the context is not empty and none of its words is in the vocabulary.
        """
        reading = (getattr(self, "meta_", None) or {}).get("reading") or {}
        if not isinstance(context, str):
            tokens = list(context)
        elif reading.get("tokenizer") == "whitespace":  # trained on pre-tokenized text: split it the same way
            tokens = (context.lower() if self.lowercase else context).split()
        else:
            tokens = tokenize(context, lower=self.lowercase)
        unknown = [t for t in tokens if t not in self.vocab.stoi]
        if tokens and len(unknown) == len(tokens):
            raise DataError(f"none of the context words {tokens[-self.context_size:]} is in the model's "
                            f"vocabulary of {len(self.vocab):,} words"
                            + (" (contexts are lower-cased)" if self.lowercase else " (case matters)"))
        if unknown:
            logger.warning("context words not in the vocabulary, read as <unk>: %s", unknown)
        return self.vocab.encode(tokens), unknown

    def predict_next(self, context, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` most probable next tokens with their probabilities.

        Parameters
        ----------
        context : str or list of str
            Preceding text (tokenized as the training corpus was) or tokens.
        k : int, default 5

        Returns
        -------
        list of (token, probability), most probable first; ``<pad>`` and ``<s>`` never appear.
        """
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        ids, _ = self.encode_context(context)
        p = self.next_distribution(ids)
        p[[self.vocab.pad_id, self.vocab.bos_id]] = -1.0             # never predicted: never listed
        k = min(k, p.size - 2)
        top = np.argpartition(-p, k - 1)[:k]
        top = top[np.argsort(-p[top], kind="stable")]
        return [(self.vocab.itos[i], float(p[i])) for i in top]

    def generate(self, prompt="", n_tokens: int = 20, *, temperature: float = 1.0, top_k: int | None = None,
                 seed: int | None = None, allow_unk: bool = False) -> list[str]:
        """Sample a continuation of ``prompt``, one token at a time.

        Parameters
        ----------
        prompt : str or list of str
        n_tokens : int
            Tokens to generate (``</s>`` counts as one).
        temperature : float
            Divides the log-probabilities (< 1: more conservative, > 1: more random).
        top_k : int, optional
            Sample only among the ``top_k`` most probable tokens.
        seed : int, optional
        allow_unk : bool, default False
            Whether ``<unk>`` may be sampled.

        Returns
        -------
        list of str
            The generated tokens (not the prompt).
        """
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        if top_k is not None and top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        if n_tokens < 0:
            raise ValueError(f"n_tokens must be >= 0, got {n_tokens}")
        rng = np.random.default_rng(seed)
        history = self.encode_context(prompt)[0].tolist() if len(prompt) else []
        banned = [self.vocab.pad_id, self.vocab.bos_id] + ([] if allow_unk else [self.vocab.unk_id])
        out = []
        for _ in range(n_tokens):
            logp = np.log(np.maximum(self.next_distribution(history[-self.context_size:] or []), 1e-300))
            logp[banned] = -np.inf
            logp /= temperature
            if top_k is not None and top_k < logp.size:
                cut = np.partition(logp, -top_k)[-top_k]
                logp[logp < cut] = -np.inf
            p = np.exp(logp - logp.max())
            p /= p.sum()
            nxt = int(rng.choice(p.size, p=p))
            history.append(nxt)
            out.append(self.vocab.itos[nxt])
        return out


class WindowLM(_TextLM):
    """Feedforward window language model (Bengio et al. 2003) over a :class:`~ffnlp.text.Vocab`.

    Parameters
    ----------
    vocab : Vocab
        Ids 0-3 are ``<pad>``, ``<unk>``, ``<s>``, ``</s>``; other ids by descending count.
    config : LMConfig
        Architecture (``context_size`` = n - 1, ``embedding_dim`` = m, ``hidden``, ``direct``, ``output``).
    counts : array-like of shape (len(vocab),), optional
        Training counts per id, for the word classes of the factored output (default: ``vocab.counts``).
    network : Chain, optional
        Prebuilt layers (when loading a file); otherwise built and initialized from ``random_state``.
    random_state : int or numpy.random.Generator, optional
        Seed of the initial weights (default ``config.random_state``).

    Attributes
    ----------
    net : Chain
        ``chain(body, output)``; ``body`` maps ids (n, context_size) to features, ``output`` is fused
        with its NLL (:mod:`ffnlp.nn.factored`).
    embeddings : ndarray of shape (len(vocab), embedding_dim)
        The table C (a view: changes write through).

    References
    ----------
    Y. Bengio, R. Ducharme, P. Vincent, C. Jauvin (2003). A Neural Probabilistic Language Model.
    JMLR 3:1137-1155.

    Examples
    --------
    >>> from ffnlp.text import Vocab
    >>> from ffnlp.config import LMConfig
    >>> sents = [["the", "cat", "sat"], ["the", "dog", "sat"]] * 20
    >>> vocab = Vocab.build(sents)
    >>> lm = WindowLM(vocab, LMConfig(context_size=2, embedding_dim=8, hidden_layer_sizes=(16,), output="full"))
    >>> ids = vocab.encode_sentences(sents)
    >>> report = lm.perplexity(ids)          # untrained: about |V|
    >>> report.tokens, round(report.perplexity) <= len(vocab) + 1
    (160, True)
    """

    def __init__(self, vocab: Vocab, config: LMConfig = LMConfig(), *, counts=None, network: Chain | None = None,
                 random_state=None):
        self.vocab = vocab
        self.config = config
        V = len(vocab)
        if network is None:
            rng = random_state if isinstance(random_state, np.random.Generator) else \
                np.random.default_rng(config.random_state if random_state is None else random_state)
            class_starts = None
            if config.output == "factored":
                c = np.asarray(vocab.counts if counts is None else counts, dtype=np.float64)
                if c.shape != (V,):
                    raise ValueError(f"counts must have shape ({V},), got {c.shape}")
                class_starts = frequency_classes(c, config.n_classes, power=config.class_power)
            network = build_network(config, V, class_starts=class_starts, rng=rng)
            out = network[1]
            for never in (vocab.pad_id, vocab.bos_id):
                out.params["b"][never] = NEVER_BIAS
        self.net = network
        self.body, self.output = network[0], network[1]
        if self.output.n_out != V:
            raise ModelFileError(f"the network predicts {self.output.n_out} ids, the vocabulary has {V}")

    # -- properties -------------------------------------------------------------------------------
    @property
    def context_size(self) -> int:
        return self.config.context_size

    @property
    def lowercase(self) -> bool:
        return self.config.lowercase

    @property
    def embeddings(self) -> np.ndarray:
        return self.body[0].params["E"]

    @property
    def _eos_reset(self):
        return None if self.config.cross_sentence else self.vocab.eos_id

    def __repr__(self):
        c = self.config
        return (f"WindowLM(|V|={len(self.vocab)}, n={c.context_size + 1}, m={c.embedding_dim}, "
                f"h={list(c.hidden_layer_sizes)}, direct={c.direct}, output={c.output!r}, params={self.net.n_params():,})")

    # -- scoring ----------------------------------------------------------------------------------
    def _check_ids(self, ids, name="ids"):
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError(f"{name} must be a 1-d integer array, got shape {ids.shape} dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.vocab)):
            raise ValueError(f"{name} hold ids outside [0, {len(self.vocab)}): range [{ids.min()}, {ids.max()}]")
        return ids

    def contexts(self, ids) -> np.ndarray:
        """Context windows of every token of a stream, (n_tokens, context_size) int32, ``<s>``-padded."""
        return context_windows(self._check_ids(ids), self.context_size, bos_id=self.vocab.bos_id,
                               eos_id=self._eos_reset)

    def logprob(self, ids, *, batch_size: int = 4096) -> np.ndarray:
        """Natural-log probability of every token of a stream given the tokens before it.

        Parameters
        ----------
        ids : int array of shape (n_tokens,)
            A stream from ``vocab.encode_sentences`` (``</s>`` after each sentence).

        Returns
        -------
        ndarray of shape (n_tokens,), float64
        """
        ids = self._check_ids(ids)
        out = np.empty(ids.size, dtype=np.float64)
        pos = 0
        for X, y in iter_window_batches(ids, self.context_size, batch_size, bos_id=self.vocab.bos_id,
                                        eos_id=self._eos_reset):
            F = self.body.predict(X)                                  # (b, n_features)
            out[pos:pos + y.size] = self.output.logprob(F, y)
            pos += y.size
        return out

    def perplexity(self, ids, *, batch_size: int = 4096) -> PerplexityReport:
        """Exact perplexity of a stream: ``exp`` of the mean NLL over every token (``</s>`` included,
        ``<unk>`` counted), with the token count."""
        ids = self._check_ids(ids)
        if ids.size == 0:
            raise DataError("cannot compute a perplexity over an empty stream")
        return PerplexityReport.from_logprob(self.logprob(ids, batch_size=batch_size), ids, self.vocab)

    def _context_rows(self, context_ids):
        """Rows of preceding ids (oldest first) -> (b, context_size) windows as in training."""
        C = np.asarray(context_ids, dtype=np.int64)
        single = C.ndim == 1
        C = C.reshape(1, -1) if single else C
        if C.ndim != 2:
            raise ValueError(f"context_ids must have shape (m,) or (batch, m), got {np.shape(context_ids)}")
        if C.size and (C.min() < 0 or C.max() >= len(self.vocab)):
            raise ValueError(f"context ids outside [0, {len(self.vocab)})")
        k, bos = self.context_size, self.vocab.bos_id
        full = np.concatenate([np.full((C.shape[0], k), bos, dtype=np.int64), C], axis=1)
        if self._eos_reset is not None:                               # nothing before the sentence start
            cols = np.arange(full.shape[1])
            last = np.max(np.where(full == self._eos_reset, cols, -1), axis=1)  # (b,)
            full[cols[None, :] <= last[:, None]] = bos
        return full[:, -k:].astype(np.int32), single

    def next_distribution(self, context_ids) -> np.ndarray:
        """Distribution of the next token.

        Parameters
        ----------
        context_ids : int array-like of shape (m,) or (batch, m)
            Preceding ids, oldest first; only the last ``context_size`` count (fewer are ``<s>``-padded).

        Returns
        -------
        ndarray of shape (vocab_size,) or (batch, vocab_size), float64; rows sum to 1.
        """
        X, single = self._context_rows(context_ids)
        P = self.net.ops.to_host(self.output.predict_proba(self.body.predict(X))).astype(np.float64)
        P /= P.sum(axis=1, keepdims=True)
        return P[0] if single else P

    # -- files ------------------------------------------------------------------------------------
    def save(self, path, *, meta: dict | None = None) -> Path:
        """Write the model (layers, parameters, config, vocabulary) atomically to a ``.npz`` file."""
        full = {"config": self.config.to_dict(), "vocab": self.vocab.to_dict(), **(meta or {})}
        return save_model(path, self.net, kind=KIND, meta=full)

    @classmethod
    def load(cls, path) -> "WindowLM":
        """Read a file written by :meth:`save` (or a training checkpoint); ``meta_`` holds its metadata."""
        net, meta, _ = load_model(path, kind=(KIND, CHECKPOINT_KIND))
        return cls._from_meta(net, meta, path)

    @classmethod
    def _from_meta(cls, net, meta, path):
        try:
            config = LMConfig.from_dict(meta["config"])
            vocab = Vocab.from_dict(meta["vocab"], path=path)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: not a window LM file ({exc})") from None
        if not isinstance(net, Chain) or len(net) != 2:
            raise ModelFileError(f"{path}: unexpected layer structure for a window LM")
        lm = cls(vocab, config, network=net)
        lm.meta_ = meta
        return lm

    # -- word vectors (gensim) ----------------------------------------------------------------------
    def to_keyed_vectors(self):
        """The embedding table C as gensim ``KeyedVectors`` (every token but ``<pad>``)."""
        from gensim.models import KeyedVectors

        keep = [i for i in range(len(self.vocab)) if i != self.vocab.pad_id]
        kv = KeyedVectors(self.config.embedding_dim)
        kv.add_vectors([self.vocab.itos[i] for i in keep], self.embeddings[keep].astype(np.float32))
        return kv

    def save_word2vec_format(self, path, *, binary: bool = False) -> Path:
        """Export C in word2vec format (text, or binary with ``binary=True``), atomically."""
        kv = self.to_keyed_vectors()
        with atomic_path(path) as tmp:
            kv.save_word2vec_format(tmp, binary=binary)
        return Path(path)

    def set_embeddings(self, kv, *, rescale: bool = True) -> int:
        """Copy the rows of ``kv`` (gensim ``KeyedVectors``) for the words it has into C.

        With ``rescale``, the copied vectors are scaled so that their mean norm equals the mean norm of
        the current (random) rows, keeping the initial activations in range. Returns the rows copied.
        """
        if kv.vector_size != self.config.embedding_dim:
            raise ValueError(f"word vectors have {kv.vector_size} dimensions, the model's embeddings "
                             f"{self.config.embedding_dim}")
        E = self.embeddings
        rows = [(i, kv.get_index(w)) for i, w in enumerate(self.vocab.itos) if w in kv.key_to_index]
        if not rows:
            return 0
        ours, theirs = map(np.array, zip(*rows))
        vec = np.asarray(kv.vectors[theirs], dtype=np.float64)
        if rescale:
            target = float(np.linalg.norm(E, axis=1).mean())
            vec *= target / max(float(np.linalg.norm(vec, axis=1).mean()), 1e-12)
        E[ours] = vec.astype(E.dtype)
        return len(rows)

    def wordsim353(self) -> dict:
        """Score C on gensim's bundled WordSim-353 (see :func:`evaluate_wordsim`)."""
        return evaluate_wordsim(self.to_keyed_vectors())


# ------------------------------------------------------------------------------------------ gensim
def word2vec_vectors(sentences, vocab: Vocab, dim: int, *, seed: int = 0, epochs: int = 5, window: int = 5,
                     workers: int = 1):
    """Train gensim's skip-gram Word2Vec on ``sentences`` (words outside ``vocab`` read as ``<unk>``).

    Returns
    -------
    gensim.models.KeyedVectors
    """
    from gensim.models import Word2Vec

    unk = "<unk>"
    stoi = vocab.stoi
    mapped = [[w if w in stoi else unk for w in s] for s in sentences]
    model = Word2Vec(mapped, vector_size=dim, window=window, min_count=1, sg=1, seed=seed, workers=workers,
                     epochs=epochs)
    return model.wv


def load_word_vectors(path):
    """A word2vec-format file (text, or binary for ``.bin``) as gensim ``KeyedVectors``."""
    from gensim.models import KeyedVectors

    path = Path(path)
    if not path.is_file():
        raise DataError("word-vector file not found", path=path)
    try:
        return KeyedVectors.load_word2vec_format(str(path), binary=path.suffix == ".bin")
    except (ValueError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise DataError(f"not a word2vec-format file ({exc})", path=path) from None


def evaluate_wordsim(kv) -> dict:
    """Spearman (and Pearson) correlation of ``kv``'s cosine similarities with WordSim-353.

    Uses gensim's bundled ``wordsim353.tsv`` (``gensim.test.utils.datapath('wordsim353.tsv')``) and
    ``KeyedVectors.evaluate_word_pairs`` (case-insensitive).
    Pairs with a word outside ``kv`` are skipped; ``oov_ratio`` says what fraction that was (with no pair
    left, the correlations are NaN and ``oov_ratio`` is 1).

    Returns
    -------
    dict with ``spearman``, ``pearson``, ``oov_ratio`` (0-1) and ``pairs`` (353).
    """
    import warnings

    import gensim

    # gensim.test.utils.datapath('wordsim353.tsv'), without importing gensim.test.utils (it builds and
    # logs a demo dictionary at import)
    path = Path(gensim.__file__).resolve().parent / "test" / "test_data" / "wordsim353.tsv"
    if not path.is_file():
        raise DataError("gensim's bundled wordsim353.tsv is missing", path=path)
    gensim_log = logging.getLogger("gensim.models.keyedvectors")
    level = gensim_log.level
    gensim_log.setLevel(logging.WARNING)  # it logs every skipped pair at INFO
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pearson, spearman, oov = kv.evaluate_word_pairs(str(path), case_insensitive=True)
    except ValueError:  # gensim: no pair has both words in the vocabulary
        return {"spearman": float("nan"), "pearson": float("nan"), "oov_ratio": 1.0, "pairs": 353}
    finally:
        gensim_log.setLevel(level)
    rho = getattr(spearman, "statistic", None)
    rho = spearman[0] if rho is None else rho
    return {"spearman": float(rho), "pearson": float(pearson[0]), "oov_ratio": float(oov) / 100.0, "pairs": 353}


# ------------------------------------------------------------------------------------------ training
def encode_splits(splits, vocab: Vocab, config: LMConfig) -> dict[str, np.ndarray]:
    """Encode the three splits of an :class:`~ffnlp.text.LMSplits` once to flat int32 streams."""
    return {s: vocab.encode_sentences(splits.split(s), add_eos=config.sentence_ends)
            for s in ("train", "valid", "test")}


#: Presets of ``ffnlp lm train`` (``--preset``): ``small`` is :meth:`LMConfig.preset` ``("lee")``'s.
PRESETS = ("small", "ptb", "brown")
#: A corpus of the user's with at least this many training words gets the ``ptb`` recipe, a smaller one ``small``.
LARGE_CORPUS_WORDS = 300_000


def select_preset(splits, preset: str | None = None) -> tuple[str, str]:
    """The preset for a corpus and why: the one asked for, the registered corpus's own, or by corpus size.

    Returns
    -------
    (name, reason) : (str, str)
        ``name`` is one of :data:`PRESETS`.
    """
    if preset is not None:
        if preset not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {preset!r}")
        return preset, "asked for (--preset)"
    own = {"brown": "brown", "brown_sentences": "brown", "ptb": "ptb", "lee": "small"}.get(getattr(splits, "name", ""))
    if own is not None:
        return own, f"the {splits.name} corpus's own"
    n = sum(map(len, splits.train))
    if n >= LARGE_CORPUS_WORDS:
        return "ptb", f"by corpus size: {n:,} training words >= {LARGE_CORPUS_WORDS:,}"
    return "small", f"by corpus size: {n:,} training words < {LARGE_CORPUS_WORDS:,}"


def corpus_config(splits, preset: str | None = None, **changes) -> tuple[LMConfig, str, str]:
    """The :class:`LMConfig` for a corpus: its preset (:func:`select_preset`), then the corpus's protocol
    (``sentence_ends``; ``lowercase`` as the text was read, so that predict/generate tokenize the same way;
    contexts across sentences for a one-stream corpus), then ``changes``.

    Returns
    -------
    (config, preset_name, reason)
    """
    name, reason = select_preset(splits, preset)
    base = LMConfig.preset("lee" if name == "small" else name)
    protocol = {"sentence_ends": splits.sentence_ends, "lowercase": splits.lowercase}
    if not splits.sentence_ends:
        protocol["cross_sentence"] = True
    return base.replace(**{**protocol, **changes}), name, reason


def build_vocab(splits, config: LMConfig) -> Vocab:
    """The vocabulary of a corpus as its protocol says: counted on the training split, or on the whole
    corpus (``splits.vocab_from == "all"``, Bengio et al. 2003 on Brown), with ``config.min_count`` and
    ``config.max_vocab``."""
    return Vocab.build(splits.vocab_sentences(), min_count=config.min_count, max_size=config.max_vocab)


@dataclass
class TrainResult:
    """What :func:`train_lm` returns: the trained model (best validation epoch) and its record."""

    model: WindowLM
    history: list[dict]
    valid_perplexity: float
    best_epoch: int
    epochs: int
    seconds: float
    tokens_per_second: float
    stopped_early: bool
    tokens: dict = field(default_factory=dict)
    test: PerplexityReport | None = None

    def metrics(self) -> dict:
        out = {"valid_perplexity": self.valid_perplexity, "best_epoch": self.best_epoch, "epochs": self.epochs,
               "seconds": round(self.seconds, 3), "tokens_per_second": round(self.tokens_per_second, 1),
               "stopped_early": self.stopped_early, "vocab_size": len(self.model.vocab),
               "tokens": self.tokens, "parameters": self.model.net.n_params(),
               "counting": "perplexity over every predicted token, </s> included, <unk> counted"}
        if self.test is not None:
            out["test_perplexity"] = self.test.perplexity
            out["test_tokens"] = self.test.tokens
            out["test_unk_tokens"] = self.test.unk_tokens
        return out


def make_optimizer(config: LMConfig, *, lr_scale: float = 1.0, lazy: bool | None = None):
    """The optimizer of ``config``; ``lazy`` (default ``config.lazy_output``) updates the factored output's word
    rows row-sparsely, only those of the classes a batch used (as the embeddings always are)."""
    lr = config.learning_rate_init * lr_scale
    lazy = bool(getattr(config, "lazy_output", False)) if lazy is None else bool(lazy)
    if config.solver == "adam":
        return Adam(lr, eps=config.adam_eps, weight_decay=config.alpha, lr_decay=config.lr_decay, lazy=lazy)
    return SGD(lr, momentum=config.momentum, weight_decay=config.alpha, lr_decay=config.lr_decay, lazy=lazy)


def _save_checkpoint(path, lm, opt, state: dict, best_params=None):
    extra = {f"opt.{k}": v for k, v in opt.state_dict().items()}
    if best_params is not None:  # the best epoch's parameters, when they are not the current ones
        extra.update({f"best.{k}": v for k, v in best_params.items()})
    meta = {"config": lm.config.to_dict(), "vocab": lm.vocab.to_dict(), "training": state}
    save_model(path, lm.net, kind=CHECKPOINT_KIND, meta=meta, extra_arrays=extra)


def _resumable(old: LMConfig, new: LMConfig) -> list[str]:
    free = {"max_iter", "max_seconds", "log_every", "n_iter_no_change", "tol", "halve_lr_on_plateau"}
    a, b = old.to_dict(), new.to_dict()
    return sorted(k for k in a if k not in free and a[k] != b.get(k))


def _history_from_records(records, best, best_epoch) -> History:
    """The engine's :class:`History` of a resumed run, rebuilt from the LM's per-epoch records."""
    h = History()
    for r in records:
        h.loss.append(r["train_loss"])
        h.val.append({"valid_perplexity": r["valid_perplexity"]})
        h.seconds.append(r["seconds"])
        h.examples_per_second.append(r["tokens_per_second"])
        h.lr.append(r["lr"])
        h.examples.append(r["tokens"])
    h.best_score, h.best_epoch = (float(best), int(best_epoch)) if best_epoch else (None, None)
    return h


class _LMRecords(Callback):
    """Validates every epoch (perplexity of the validation stream) and keeps the LM's epoch records."""

    def __init__(self, records, n_train, lm, valid):
        self.records, self.n_train, self.lm, self.valid = records, n_train, lm, valid

    def validate(self, _model=None) -> dict:
        t1 = time.perf_counter()
        v = self.lm.perplexity(self.valid).perplexity
        self.valid_seconds = time.perf_counter() - t1
        return {"valid_perplexity": v}

    def on_epoch_end(self, state):
        h = state.history
        loss = h.loss[-1]
        self.records.append({
            "epoch": state.epoch, "train_loss": loss, "train_perplexity": math.exp(min(loss, 700)),
            "valid_perplexity": h.val[-1]["valid_perplexity"], "seconds": h.seconds[-1],
            "valid_seconds": getattr(self, "valid_seconds", 0.0), "tokens_per_second": h.examples_per_second[-1],
            "lr": h.lr[-1], "tokens": h.examples[-1], "partial": state.partial_epoch})


class _LMLog(Callback):
    """The LM's progress lines: every ``log_every`` batches and after every epoch, with perplexities."""

    def __init__(self, config, verbose):
        self.config, self.log = config, (logger.info if verbose else logger.debug)

    def on_epoch_begin(self, state):
        self._t0 = time.perf_counter()

    def on_batch_end(self, state):
        every = self.config.log_every
        if every and state.batch % every == 0:
            el = time.perf_counter() - self._t0
            mean = state.epoch_loss_sum / max(state.epoch_seen, 1)
            self.log("epoch %d batch %d/%d loss %.4f (ppl %.1f) %.0f tokens/s", state.epoch + 1, state.batch,
                     state.n_batches, mean, math.exp(min(mean, 700)), state.epoch_seen / el if el > 0 else 0.0)

    def on_epoch_end(self, state):
        h = state.history
        self.log("epoch %d/%d loss %.4f (train ppl %.1f) valid ppl %.2f%s %.0f tokens/s %.1fs", state.epoch,
                 self.config.max_iter, h.loss[-1], math.exp(min(h.loss[-1], 700)), h.val[-1]["valid_perplexity"],
                 " *" if state.improved else "", h.examples_per_second[-1], h.seconds[-1])

    def on_train_end(self, state):
        h = state.history
        if h.stopped_early:
            self.log("stopping: %s (best valid ppl %.2f at epoch %d)", h.stop_reason, h.best_score or math.inf,
                     h.best_epoch or 0)


class _LMCheckpoint(Callback):
    """After every epoch, the full training state to ``path`` (atomically), so a run can be resumed: the
    parameters, the optimizer's moments, the shuffling and dropout generators, the records, the best
    epoch's parameters (when they are not the current ones) and the learning-rate halvings."""

    def __init__(self, path, lm, records):
        self.path, self.lm, self.records = path, lm, records

    def on_epoch_end(self, state):
        h = state.history
        best_epoch = h.best_epoch or 0
        _save_checkpoint(self.path, self.lm, state.optimizer, {
            "epoch": state.epoch, "rng": state.rng.bit_generator.state, "layer_rngs": rng_states(self.lm.net),
            "history": self.records, "best": h.best_score if h.best_score is not None else math.inf,
            "best_epoch": best_epoch, "no_change": state.no_change, "halvings": state.extra.get("halvings", 0)},
            best_params=None if best_epoch == state.epoch or state.best_params is None else state.best_params)


def train_lm(config: LMConfig, data, *, vocab: Vocab | None = None, output=None, checkpoint=None,
             resume: bool = False, verbose: bool = True, evaluate_test: bool = False,
             meta: dict | None = None, device="cpu", callbacks=()) -> TrainResult:
    """Train a :class:`WindowLM`, validating every epoch and keeping the best.

    Parameters
    ----------
    config : LMConfig
    data : LMSplits or mapping
        An :class:`~ffnlp.text.LMSplits` (the vocabulary is then built from its training split with
        ``config.min_count``/``max_vocab`` unless ``vocab`` is given), or a mapping with encoded int
        streams ``"train"``, ``"valid"`` (and optionally ``"test"``) plus ``vocab``.
    vocab : Vocab, optional
    output : path, optional
        The best model is written here (atomically) when training ends; an interrupted or diverged run
        leaves the file that was there (the checkpoint holds the running state).
    checkpoint : path, optional
        After every epoch the full training state (parameters, optimizer state, epoch, shuffling
        generator, history) is written here (atomically), so a run can be resumed.
    resume : bool
        Continue from ``checkpoint`` if it exists (its config must match but for ``epochs``,
        ``max_seconds``, ``log_every``, ``n_iter_no_change``, ``tol`` and ``halve_lr_on_plateau``).
    verbose : bool
        Log progress (epoch, loss, validation perplexity, tokens/s) at INFO level.
    evaluate_test : bool
        Also report the test perplexity of the best model.
    meta : dict, optional
        Extra JSON metadata stored in the ``output`` file (e.g. the corpus it was trained on).
    device : {"cpu", "gpu", "auto"} or Ops, default "cpu"
        The array backend to train on (see :mod:`ffnlp.nn.backends`); the returned model stays there
        (``result.model.net.to_ops("cpu")`` moves it back; files are always written from the host).
    callbacks : sequence of :class:`ffnlp.nn.training.Callback`
        More hooks of the training engine (progress bars, a distributed gradient exchange).

    Returns
    -------
    TrainResult

    Raises
    ------
    DataError
        Empty or too-short training data, or no validation tokens.
    DivergenceError
        On a NaN/inf loss; the best parameters so far are restored and nothing diverged is saved.
    """
    t_start = time.perf_counter()
    log = logger.info if verbose else logger.debug
    if isinstance(data, Mapping):
        if vocab is None:
            raise ValueError("encoded streams need their vocab")
        ids = {k: np.asarray(v, dtype=np.int32) for k, v in data.items() if k in ("train", "valid", "test")}
    else:
        if vocab is None:
            vocab = Vocab.build(data.train, min_count=config.min_count, max_size=config.max_vocab)
        ids = encode_splits(data, vocab, config)
    train, valid = ids.get("train"), ids.get("valid")
    if train is None or train.size == 0:
        raise DataError("empty training split: nothing to train on")
    if train.size <= config.context_size:
        raise DataError(f"the training split has {train.size} tokens, not more than the context of "
                        f"{config.context_size}")
    if valid is None or valid.size == 0:
        raise DataError("empty validation split: training validates every epoch")
    if len(vocab) <= len(("<pad>", "<unk>", "<s>", "</s>")):
        raise DataError("the vocabulary holds no words: the corpus is empty or min_count is too high")
    counts = np.bincount(train, minlength=len(vocab))
    lm = WindowLM(vocab, config, counts=counts)
    if config.embeddings != "random":
        if config.embeddings == "word2vec":
            if isinstance(data, Mapping):
                sents = [vocab.decode(train)]  # one long sentence: the encoded stream
            else:
                sents = data.train
            kv = word2vec_vectors(sents, vocab, config.embedding_dim, seed=config.random_state)
        else:
            kv = load_word_vectors(config.embeddings)
        n = lm.set_embeddings(kv)
        log("embeddings: %d of %d rows from %s", n, len(vocab), config.embeddings)
    lm.net.to_ops(device)
    body, out, net = lm.body, lm.output, lm.net
    opt = make_optimizer(config)
    rng = np.random.default_rng(np.random.SeedSequence([config.random_state, 1]))
    records: list[dict] = []
    hist = History()
    start_epoch, resumed = 0, {}
    if resume and checkpoint is not None and Path(checkpoint).exists():
        ckpt, cmeta, extra = load_model(checkpoint, kind=CHECKPOINT_KIND)
        diff = _resumable(LMConfig.from_dict(cmeta["config"]), config)
        if diff:
            raise ModelFileError(f"{checkpoint}: checkpoint was trained with other settings ({', '.join(diff)}); "
                                 "start a new run or give the same settings")
        if Vocab.from_dict(cmeta["vocab"]).fingerprint() != vocab.fingerprint():
            raise ModelFileError(f"{checkpoint}: checkpoint has another vocabulary")
        net.set_params_from(ckpt.host_params())
        st = cmeta["training"]
        halvings = st.get("halvings", 0)
        opt = make_optimizer(config, lr_scale=0.5 ** halvings)
        opt.load_state_dict(net, {k[len("opt."):]: v for k, v in extra.items() if k.startswith("opt.")})
        rng.bit_generator.state = st["rng"]
        if "layer_rngs" in st:
            set_rng_states(net, st["layer_rngs"])
        records, start_epoch = st["history"], st["epoch"]
        best_epoch = st["best_epoch"]
        hist = _history_from_records(records, st["best"], best_epoch)
        saved_best = {k[len("best."):]: v for k, v in extra.items() if k.startswith("best.")}
        resumed = {"best_params": ({k: net.ops.asarray(v) for k, v in saved_best.items()} if saved_best
                                   else (net.copy_params() if best_epoch else None)),
                   "no_change": st["no_change"], "halvings": halvings}
        log("resumed from %s after epoch %d (best valid ppl %.2f at epoch %d)", checkpoint, start_epoch, st["best"],
            best_epoch)
    n_train = int(train.size)
    log("training %r on %d tokens (valid %d), batch %d, %s lr %g, %s", lm, n_train, valid.size, config.batch_size,
        config.solver, config.learning_rate_init, net.ops.device)
    windows = WindowStream(train, config.context_size, bos_id=vocab.bos_id, eos_id=lm._eos_reset)
    extra_callbacks, callbacks = callbacks, [_LMRecords(records, n_train, lm, valid), _LMLog(config, verbose)]
    if config.halve_lr_on_plateau:
        callbacks.append(HalveLROnPlateau(lambda scale: make_optimizer(config, lr_scale=scale)))
    if checkpoint is not None:
        callbacks.append(_LMCheckpoint(checkpoint, lm, records))
    callbacks += list(extra_callbacks)
    remaining = config.max_iter - start_epoch
    if remaining > 0:
        hist = fit(body, out, opt, windows, epochs=remaining, batch_size=config.batch_size, rng=rng,
                   validate=callbacks[0].validate,
                   monitor="valid_perplexity", mode="min", n_iter_no_change=config.n_iter_no_change, tol=config.tol,
                   history=hist, start_epoch=start_epoch, verbose=False, max_seconds=config.max_seconds,
                   callbacks=callbacks, state=resumed, trained=net, divergence_factor=None)
    best = hist.best_score if hist.best_score is not None else math.inf
    best_epoch = hist.best_epoch or 0
    if output is not None and best_epoch:
        lm.save(output, meta={**(meta or {}), "training": {"epoch": best_epoch, "valid_perplexity": float(best),
                                                           "train_tokens": n_train}})
    seconds = time.perf_counter() - t_start
    tok = sum(h["tokens"] for h in records)
    train_secs = sum(h["seconds"] for h in records)
    result = TrainResult(lm, records, float(best), best_epoch, len(records), seconds,
                         tok / train_secs if train_secs > 0 else 0.0, bool(hist.stopped_early),
                         tokens={k: int(v.size) for k, v in ids.items()})
    if evaluate_test and ids.get("test") is not None and ids["test"].size:
        result.test = lm.perplexity(ids["test"])
    lm.meta_ = {**(meta or {}),
                "training": {"epoch": best_epoch, "valid_perplexity": float(best), "train_tokens": n_train}}
    return result


# ------------------------------------------------------------------------------------------ mixing
def tune_mix_weight(logp_a, logp_b, *, grid: int = 21, tol: float = 1e-4) -> tuple[float, float]:
    """The weight ``lam`` maximizing the likelihood of ``lam p_a + (1 - lam) p_b`` on held-out tokens.

    The mean log-likelihood is concave in ``lam``, so a coarse grid followed by golden-section search in
    the best grid cell finds the maximum.

    Parameters
    ----------
    logp_a, logp_b : ndarray of shape (n_tokens,)
        Natural-log probabilities of the same tokens under the two models.

    Returns
    -------
    lam : float in [0, 1]
    perplexity : float
        Of the mix at ``lam`` on these tokens.
    """
    a, b = np.asarray(logp_a, np.float64), np.asarray(logp_b, np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"logp_a and logp_b must be non-empty 1-d arrays of one shape, got {a.shape}, {b.shape}")

    def nll(lam):
        with np.errstate(divide="ignore"):
            return float(-np.mean(np.logaddexp(np.log(lam) + a, np.log1p(-lam) + b)))

    lams = np.linspace(0.0, 1.0, grid)
    vals = [nll(x) for x in lams]
    i = int(np.argmin(vals))
    lo, hi = lams[max(i - 1, 0)], lams[min(i + 1, grid - 1)]
    g = (math.sqrt(5) - 1) / 2
    c, d = hi - g * (hi - lo), lo + g * (hi - lo)
    fc, fd = nll(c), nll(d)
    while hi - lo > tol:
        if fc < fd:
            hi, d, fd = d, c, fc
            c = hi - g * (hi - lo)
            fc = nll(c)
        else:
            lo, c, fc = c, d, fd
            d = lo + g * (hi - lo)
            fd = nll(d)
    best = min([(vals[i], float(lams[i])), (nll((lo + hi) / 2), (lo + hi) / 2)])
    return best[1], math.exp(best[0])


class MixedLM:
    """Bengio et al.'s "mix": ``p = lam p_nn + (1 - lam) p_kn``, both over the same vocabulary.

    Parameters
    ----------
    nn : WindowLM
    kn : ffnlp.baselines.lm.KneserNeyLM
        Fitted on ids of the same vocabulary.
    lam : float in [0, 1]
        Weight of the neural model; see :meth:`tune`.
    """

    def __init__(self, nn: WindowLM, kn, lam: float = 0.5):
        inner = kn.kn if isinstance(kn, NGramLM) else kn
        if inner.vocab_size_ != len(nn.vocab):
            raise ModelFileError(f"the n-gram model has {inner.vocab_size_} ids, the neural model's vocabulary "
                                 f"{len(nn.vocab)}: they were not trained on one vocabulary")
        if isinstance(kn, NGramLM) and kn.vocab.fingerprint() != nn.vocab.fingerprint():
            raise ModelFileError("the n-gram model was trained with another vocabulary (fingerprints "
                                 f"{kn.vocab.fingerprint()} and {nn.vocab.fingerprint()} differ)")
        if not 0.0 <= lam <= 1.0:
            raise ValueError(f"lam must lie in [0, 1], got {lam}")
        self.nn, self.kn, self.lam = nn, kn, float(lam)

    def tune(self, ids) -> "MixedLM":
        """Set ``lam`` to maximize the likelihood of ``ids`` (a validation stream); returns self."""
        self.lam, self.tuned_perplexity_ = tune_mix_weight(self.nn.logprob(ids), self.kn.logprob(ids))
        return self

    def logprob(self, ids) -> np.ndarray:
        """``log(lam p_nn + (1 - lam) p_kn)`` per token, shape (n_tokens,)."""
        with np.errstate(divide="ignore"):
            return np.logaddexp(np.log(self.lam) + self.nn.logprob(ids), np.log1p(-self.lam) + self.kn.logprob(ids))

    def perplexity(self, ids) -> PerplexityReport:
        ids = np.asarray(ids)
        return PerplexityReport.from_logprob(self.logprob(ids), ids, self.nn.vocab)


# ------------------------------------------------------------------------------------------ n-gram
class NGramLM(_TextLM):
    """ffnlp's Kneser-Ney baseline (:class:`~ffnlp.baselines.lm.KneserNeyLM`) together with its vocabulary,
    with the same text-level methods as :class:`WindowLM` (perplexity, predict_next, generate).

    Parameters
    ----------
    kn : KneserNeyLM
        Fitted on ids of ``vocab``.
    vocab : Vocab
    lowercase : bool
        How text contexts are tokenized.
    """

    def __init__(self, kn, vocab: Vocab, *, lowercase: bool = False, meta: dict | None = None):
        if kn.vocab_size_ != len(vocab):
            raise ModelFileError(f"the n-gram model has {kn.vocab_size_} ids, its vocabulary {len(vocab)}")
        self.kn, self.vocab, self.lowercase = kn, vocab, bool(lowercase)
        self.meta_ = meta or {}

    @property
    def context_size(self) -> int:
        return self.kn.order - 1

    @classmethod
    def fit(cls, ids, vocab: Vocab, order: int = 5, *, reset_at_eos: bool = True, lowercase: bool = False):
        """Fit a ``order``-gram modified Kneser-Ney model on an encoded stream."""
        from ffnlp.baselines.lm import KneserNeyLM

        ids = np.asarray(ids)
        if ids.size == 0:
            raise DataError("empty training split: nothing to count")
        kn = KneserNeyLM(order).fit(ids, len(vocab), bos_id=vocab.bos_id,
                                    eos_id=vocab.eos_id if reset_at_eos else None, unk_id=vocab.unk_id,
                                    pad_id=vocab.pad_id)
        return cls(kn, vocab, lowercase=lowercase)

    def logprob(self, ids) -> np.ndarray:
        return self.kn.logprob(ids)

    def perplexity(self, ids) -> PerplexityReport:
        ids = np.asarray(ids)
        if ids.size == 0:
            raise DataError("cannot compute a perplexity over an empty stream")
        return PerplexityReport.from_logprob(self.logprob(ids), ids, self.vocab)

    def next_distribution(self, context_ids) -> np.ndarray:
        return self.kn.next_distribution(np.asarray(context_ids, dtype=np.int64))

    def save(self, path, *, meta: dict | None = None):
        full = {"vocab": self.vocab.to_dict(), "vocab_fingerprint": self.vocab.fingerprint(),
                "lowercase": self.lowercase, **(meta or {})}
        return self.kn.save(path, meta=full)

    @classmethod
    def load(cls, path) -> "NGramLM":
        from ffnlp.baselines.lm import KneserNeyLM

        kn = KneserNeyLM.load(path)
        meta = getattr(kn, "meta_", {}) or {}
        if "vocab" not in meta:
            raise ModelFileError(f"{path}: the n-gram model file stores no vocabulary (save it with NGramLM.save)")
        return cls(kn, Vocab.from_dict(meta["vocab"], path=path), lowercase=meta.get("lowercase", False), meta=meta)


def model_kind(path) -> str:
    """``"nn"`` or ``"kn"``: which kind of language model a file holds (ModelFileError otherwise)."""
    import json
    import zipfile

    from ffnlp.nn.serialize import load_npz

    try:  # read only the metadata entry; load_npz explains any problem
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["__meta__"][()]))
        meta["kind"]
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError):
        _, meta = load_npz(path)
    kinds = {KIND: "nn", CHECKPOINT_KIND: "nn", "kneser_ney": "kn"}
    if meta["kind"] not in kinds:
        raise ModelFileError(f"{path}: is a {meta['kind']!r} model, not a language model")
    return kinds[meta["kind"]]


def load_lm(path):
    """Load a :class:`WindowLM` or an :class:`NGramLM` from its file, whichever it holds."""
    return WindowLM.load(path) if model_kind(path) == "nn" else NGramLM.load(path)
