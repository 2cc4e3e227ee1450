"""Word vectors with gensim: skip-gram training on unlabeled text, evaluation, nearest neighbours.

The default recipe is that of ``experiments/pretrain_vectors.py``, which gave the README's
"+ vectors" classification rows: skip-gram Word2Vec with negative sampling (5 noise words), window 5,
sub-sampling 1e-4, 100 dimensions, 15 epochs, words seen at least 3 times, trained on Brown (all of it),
the Penn Treebank training file and the 20 Newsgroups training split, lowercased and tokenized as
:class:`~ffnlp.tasks.textcat.FFNTextClassifier` tokenizes. ``ffnlp vectors train|evaluate|neighbors``
runs it from the command line.

Examples
--------
>>> from ffnlp.text.word_vectors import train_word2vec, nearest_words
>>> sents = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"]] * 20
>>> kv = train_word2vec(sents, dim=8, epochs=2, min_count=1, workers=1)
>>> kv.vector_size, len(kv)
(8, 6)
>>> [w for w, _ in nearest_words(kv, "cat", k=2)][0] in kv.key_to_index
True
"""
from __future__ import annotations

import logging
import math
import warnings
from pathlib import Path

from ffnlp._datapaths import gensim_test_data
from ffnlp._files import atomic_path
from ffnlp.errors import DataError
from ffnlp.text.corpus import TextLines, require_reiterable
from ffnlp.text.tokenize import tokenize

logger = logging.getLogger(__name__)

#: The sources of the default recipe (``experiments/pretrain_vectors.py``).
DEFAULT_SOURCES = ("brown", "ptb", "20ng")
#: Names :func:`corpus_sentences` knows; anything else is read as a text file or folder.
NAMED_SOURCES = ("brown", "ptb", "lee", "20ng")
#: Questions in gensim's ``questions-words.txt`` (Mikolov et al. 2013).
N_ANALOGY_QUESTIONS = 19544
N_WORDSIM_PAIRS = 353
_SEMANTIC = ("capital-common-countries", "capital-world", "currency", "city-in-state", "family")


def gensim_datapath(name: str) -> Path:
    """Path of a file in gensim's bundled test data (what ``gensim.test.utils.datapath(name)`` returns),
    found without importing ``gensim.test.utils``, which builds and logs a demo dictionary at import."""
    path = gensim_test_data(name)
    if path is None or not path.is_file():
        raise DataError(f"gensim's bundled test file {name} is missing (reinstall gensim)")
    return path


def corpus_sentences(source, *, encoding: str = "utf-8") -> list[list[str]]:
    """Lowercased token lists of one unlabeled source, training text only.

    Parameters
    ----------
    source : str or Path
        ``brown`` (every sentence: Brown is no classification benchmark), ``ptb`` (the training file,
        ``<unk>`` dropped), ``lee`` (gensim's Lee background corpus), ``20ng`` (the 20 Newsgroups
        training split, headers removed), or a text file or folder: one line is one sentence,
        tokenized by :func:`~ffnlp.text.tokenize.tokenize`.
    encoding : str
        Of a text file or folder.

    Returns
    -------
    list of list of str

    Raises
    ------
    DataError
        If a named corpus is not on this machine, or a path is missing, empty or undecodable.
    """
    name = str(source)
    if name in ("brown", "ptb", "lee"):
        from ffnlp.text.lm_corpora import load_lm_corpus

        splits = load_lm_corpus(name)
        parts = ("train",) if name == "ptb" else ("train", "valid", "test")
        return [[w.lower() for w in sent if w != "<unk>"] for part in parts for sent in splits.split(part)]
    if name == "20ng":
        from ffnlp.text.benchmarks import load_20newsgroups, strip_newsgroup_header

        toks = (tokenize(strip_newsgroup_header(text), lower=True) for text in load_20newsgroups().train.texts)
        return [t for t in toks if t]
    try:
        lines = TextLines(source, encoding=encoding, tokenizer=lambda line: tokenize(line, lower=True))
    except ValueError as exc:                      # an unknown or non-ASCII-compatible encoding
        if isinstance(exc, DataError):
            raise
        raise DataError(str(exc), path=source) from None
    sents = [s for s in lines if s]
    if not sents:
        raise DataError("no words in this corpus", path=source)
    return sents


class _GensimProgress:
    """Adapts a progress reporter (:class:`ffnlp.progress.Progress`'s interface) to gensim's epoch callbacks.

    gensim 4 calls back at epoch boundaries only, so the bar advances once per epoch."""

    def __init__(self, progress, n_words: int):
        self.progress, self.n_words, self.epoch = progress, n_words, 0

    # gensim's CallbackAny2Vec interface, duck-typed (gensim only calls these methods)
    def on_train_begin(self, model):
        pass

    def on_epoch_begin(self, model):
        self.epoch += 1
        self.progress.epoch_begin(self.epoch, self.n_words)

    def on_epoch_end(self, model):
        self.progress.update(self.n_words)
        self.progress.epoch_end(self.epoch, {})

    def on_train_end(self, model):
        pass


def train_word2vec(sentences, *, dim: int = 100, window: int = 5, min_count: int = 3, epochs: int = 15,
                   negative: int = 5, sample: float = 1e-4, seed: int = 0, workers: int = 2, progress=None):
    """Skip-gram Word2Vec (gensim) with negative sampling on ``sentences``.

    Parameters
    ----------
    sentences : re-iterable of list of str
        A list or a re-iterable corpus (a generator raises ``TypeError``: training makes several passes).
    dim, window, min_count, epochs, negative, sample, seed, workers
        gensim's ``vector_size``, ``window``, ``min_count``, ``epochs``, ``negative``, ``sample``,
        ``seed`` and ``workers``. With more than one worker, runs are not bit-for-bit repeatable.
    progress : object or None
        A reporter with :class:`ffnlp.progress.Progress`'s methods, told each epoch (unit: words).

    Returns
    -------
    gensim.models.KeyedVectors
        ``vectors`` of shape (n_words, dim), float32, words by descending count.

    References
    ----------
    T. Mikolov, I. Sutskever, K. Chen, G. Corrado, J. Dean (2013). Distributed representations of words
    and phrases and their compositionality. NIPS.
    """
    from gensim.models import Word2Vec

    require_reiterable(sentences, name="sentences")
    for name, value in (("dim", dim), ("window", window), ("min_count", min_count), ("epochs", epochs),
                        ("workers", workers)):
        if int(value) < 1 or int(value) != value:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not 0 <= sample < 1:
        raise ValueError(f"sample must be in [0, 1), got {sample!r}")
    model = Word2Vec(vector_size=int(dim), window=int(window), min_count=int(min_count), sg=1,
                     negative=int(negative), sample=float(sample), seed=int(seed), workers=int(workers))
    model.build_vocab(sentences)
    if not len(model.wv):
        raise ValueError(f"no word occurs {min_count} times or more: lower min_count or give more text")
    logger.info("word2vec: %d sentences, %d words, vocabulary %d (min_count %d)", model.corpus_count,
                model.corpus_total_words, len(model.wv), min_count)
    callbacks = [_GensimProgress(progress, model.corpus_total_words)] if progress is not None else []
    model.train(sentences, total_examples=model.corpus_count, total_words=model.corpus_total_words,
                epochs=int(epochs), callbacks=callbacks)
    return model.wv


def save_vectors(kv, path, *, binary: bool | None = None) -> Path:
    """Write ``kv`` in word2vec format (binary if ``binary``, default: when ``path`` ends in ``.bin``),
    atomically."""
    path = Path(path)
    binary = path.suffix == ".bin" if binary is None else bool(binary)
    with atomic_path(path) as tmp:
        kv.save_word2vec_format(tmp, binary=binary)
    return path


def load_vectors(path):
    """A word2vec-format file (text, or binary for ``.bin``) as gensim ``KeyedVectors``.

    Raises
    ------
    DataError
        If the file is missing or not in word2vec format.
    """
    from gensim.models import KeyedVectors

    path = Path(path)
    if not path.is_file():
        raise DataError("word-vector file not found", path=path)
    try:
        return KeyedVectors.load_word2vec_format(str(path), binary=path.suffix == ".bin")
    except (ValueError, UnicodeDecodeError, EOFError, OSError, IndexError) as exc:
        raise DataError(f"not a word2vec-format file ({exc})", path=path) from None


def _quiet_gensim():
    log = logging.getLogger("gensim.models.keyedvectors")
    old = log.level
    log.setLevel(logging.WARNING)  # gensim logs every skipped pair and every section at INFO
    return log, old


def evaluate_vectors(kv, *, restrict_vocab: int = 30000) -> dict:
    """Scores of ``kv`` on WordSim-353 and on the word analogies, both shipped with gensim.

    Parameters
    ----------
    kv : gensim.models.KeyedVectors
    restrict_vocab : int
        Analogy answers are searched among this many most frequent words, and questions with a word
        outside them are skipped (30,000, as Mikolov et al. 2013).

    Returns
    -------
    dict
        ``wordsim353_spearman``, ``wordsim353_pearson``, ``wordsim353_oov_ratio`` (pairs skipped, 0-1);
        ``analogy_accuracy`` (all questions answered), ``analogy_semantic``, ``analogy_syntactic``,
        ``analogy_questions`` (answered) and ``analogy_oov_ratio`` (skipped, 0-1). A score with nothing
        to score is NaN.
    """
    if int(restrict_vocab) < 1:
        raise ValueError(f"restrict_vocab must be positive, got {restrict_vocab!r}")
    out = {}
    log, old = _quiet_gensim()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pearson, spearman, oov = kv.evaluate_word_pairs(str(gensim_datapath("wordsim353.tsv")),
                                                                case_insensitive=True)
                rho = getattr(spearman, "statistic", None)
                out.update(wordsim353_spearman=float(spearman[0] if rho is None else rho),
                           wordsim353_pearson=float(pearson[0]), wordsim353_oov_ratio=float(oov) / 100.0)
            except ValueError:      # gensim: no pair has both words in the vocabulary
                out.update(wordsim353_spearman=math.nan, wordsim353_pearson=math.nan, wordsim353_oov_ratio=1.0)
            try:
                _, sections = kv.evaluate_word_analogies(str(gensim_datapath("questions-words.txt")),
                                                         restrict_vocab=int(restrict_vocab), case_insensitive=True)
            except (ValueError, ZeroDivisionError):
                sections = []
    finally:
        log.setLevel(old)

    def accuracy(secs):
        right = sum(len(s["correct"]) for s in secs)
        n = right + sum(len(s["incorrect"]) for s in secs)
        return (right / n if n else math.nan), n

    parts = [s for s in sections if s["section"] != "Total accuracy"]
    total, n = accuracy(parts)
    out.update(analogy_accuracy=total,
               analogy_semantic=accuracy([s for s in parts if s["section"] in _SEMANTIC])[0],
               analogy_syntactic=accuracy([s for s in parts if s["section"] not in _SEMANTIC])[0],
               analogy_questions=n, analogy_oov_ratio=1.0 - n / N_ANALOGY_QUESTIONS)
    return out


def nearest_words(kv, word: str, k: int = 10) -> list[tuple[str, float]]:
    """The ``k`` words of ``kv`` closest to ``word`` by cosine similarity, most similar first.

    ``word`` is looked up as given, then lowercased. Raises ``KeyError`` naming it when it is in neither form.
    """
    if int(k) < 1:
        raise ValueError(f"k must be positive, got {k!r}")
    key = word if word in kv.key_to_index else word.lower()
    if key not in kv.key_to_index:
        raise KeyError(word)
    return [(w, float(s)) for w, s in kv.most_similar(key, topn=int(k))]


__all__ = ["DEFAULT_SOURCES", "NAMED_SOURCES", "corpus_sentences", "train_word2vec", "save_vectors",
           "load_vectors", "evaluate_vectors", "nearest_words", "gensim_datapath"]
