"""Language-modelling corpora: train/valid/test sentence lists, registered in :mod:`ffnlp.corpora`.

Every loader returns an :class:`LMSplits`: three lists of sentences (token lists), a name and a
description of how the corpus was split. Encoding them (``Vocab.encode_sentences``) appends one
``</s>`` per sentence, the token a language model predicts last.

Registered names (``task="lm"``):

``brown``
    NLTK's Brown corpus, read straight from ``corpora/brown`` under the first of
    :func:`ffnlp.corpora.nltk_data_dirs` that has it. Case is kept, as in Bengio et al. (2003),
    whose vocabulary "distinguish[es] between upper and lower case". Bengio's split: the first
    800,000 words train, the next 200,000 validation, the rest test, cut on the word stream (a
    sentence straddling a cut is split in two).
``ptb``
    Mikolov's Penn Treebank (``ptb.{train,valid,test}.txt`` in ``<data root>/ptb``): one
    sentence per line, whitespace tokens, a 10k vocabulary with ``<unk>`` already in the text.
``lee``
    gensim's Lee background corpus (300 news documents, shipped with gensim): each document is
    split into sentences, tokenized and lower-cased, and documents are split 80/10/10 (seeded).

:func:`load_text_corpus` does the same as ``lee`` for any UTF-8 text file or folder, and
:func:`load_lm_corpus` takes a registered name or a path.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from ffnlp import _datapaths
from ffnlp._datapaths import data_roots, nltk_data_dirs  # noqa: F401 (re-exported)
from ffnlp.errors import DataError
from ffnlp.text.corpus import TextLines
from ffnlp.text.datasets import SPLIT_NAMES, LMSplits
from ffnlp.text.readers import find_split_files
from ffnlp.text.tokenize import Tokenizer, split_sentences

__all__ = [
    "LMSplits",
    "load_brown",
    "load_brown_sentences",
    "load_ptb",
    "load_lee",
    "load_text_corpus",
    "load_lm_corpus",
    "load_split_files",
    "split_files",
    "line_tokenizer",
    "read_brown",
    "split_by_word_counts",
    "LM_CORPORA",
]

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- splitting


def split_by_word_counts(
    sentences: list[list[str]], n_train: int, n_valid: int
) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """Cut the word stream of ``sentences`` after ``n_train`` and ``n_train + n_valid`` words.

    A sentence that straddles a cut is split in two: its head ends one part, its tail opens the
    next, so the parts hold exactly ``n_train``, ``n_valid`` and the remaining words.

    Raises
    ------
    DataError
        If there are not more than ``n_train + n_valid`` words.
    """
    lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))  # (n_sents,)
    ends = np.cumsum(lengths)  # ends[i] = words in sentences[: i + 1]
    total = int(ends[-1]) if len(ends) else 0
    if n_train < 0 or n_valid < 0 or n_train + n_valid >= total:
        raise DataError(f"cannot cut {total:,} words at {n_train:,} + {n_valid:,}")

    def cut(at: int) -> tuple[int, int]:
        """(sentence index, words of it before the cut) for a cut after ``at`` words."""
        i = int(np.searchsorted(ends, at, side="right"))  # first sentence ending after `at`
        before = at - (int(ends[i - 1]) if i else 0)
        return i, before

    bounds = [(0, 0), cut(n_train), cut(n_train + n_valid), (len(sentences), 0)]
    parts = []
    for (a_i, a_k), (b_i, b_k) in zip(bounds, bounds[1:]):
        if a_i == b_i:  # the part lies inside one sentence
            part = [sentences[a_i][a_k:b_k]] if a_i < len(sentences) else []
        else:
            part = [sentences[a_i][a_k:], *sentences[a_i + 1 : b_i]]
            if b_k:
                part.append(sentences[b_i][:b_k])
        parts.append([sent for sent in part if sent])
    train, valid, test = parts
    return train, valid, test


def _split_documents(docs: list, valid_fraction: float, test_fraction: float, seed: int, where):
    """Seeded split of a list of documents into train/valid/test, each kept in corpus order."""
    for name, f in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= f < 1.0:
            raise ValueError(f"{name} must be in [0, 1), got {f}")
    if valid_fraction + test_fraction >= 1.0:
        raise ValueError(
            f"valid_fraction + test_fraction must be < 1, got {valid_fraction} + {test_fraction}"
        )
    n = len(docs)
    n_test, n_valid = round(n * test_fraction), round(n * valid_fraction)
    if n - n_test - n_valid < 1:
        raise DataError(f"only {n} line(s): too few to split off {valid_fraction:.0%} validation "
                        f"and {test_fraction:.0%} test", path=where)
    perm = np.random.default_rng(seed).permutation(n)
    test_idx = np.sort(perm[:n_test])
    valid_idx = np.sort(perm[n_test : n_test + n_valid])
    train_idx = np.sort(perm[n_test + n_valid :])
    return tuple([docs[i] for i in idx.tolist()] for idx in (train_idx, valid_idx, test_idx))


# ----------------------------------------------------------------------------- Brown

_BROWN_FILE = re.compile(r"c[a-z]\d\d")
BROWN_N_TRAIN, BROWN_N_VALID = 800_000, 200_000
_HOW_BROWN = (
    "on a machine with internet run python -c \"import nltk; nltk.download('brown')\" and copy "
    "the nltk_data folder here, then set NLTK_DATA to it (or put it at $FFNLP_DATA/nltk_data); "
    "ffnlp never downloads"
)


def _brown_searched() -> list[str]:
    return [str(d / "corpora" / "brown") for d in _datapaths.nltk_data_dirs()]


def brown_root() -> Path | None:
    """The first ``<nltk data dir>/corpora/brown`` folder that exists, or None."""
    for d in _datapaths.nltk_data_dirs():
        p = d / "corpora" / "brown"
        if p.is_dir():
            return p
    return None


def read_brown(root, *, lower: bool = False) -> list[list[str]]:
    """All sentences of the Brown corpus, files in name order (``ca01`` ... ``cr09``), tags dropped.

    The files are NLTK's tagged "Form C": one sentence per non-blank line, tokens ``word/tag``
    (split at the last ``/``, as ``nltk.tag.str2tuple`` does). The result equals
    ``[list(s) for s in nltk.corpus.brown.sents()]`` (57,340 sentences, 1,161,192 words), five
    times faster, and needs no change to NLTK's data path.

    Parameters
    ----------
    root : path
        The ``corpora/brown`` folder.
    lower : bool, default False
        Lower-case every word.

    Returns
    -------
    list of list of str
    """
    root = Path(root)
    files = sorted(p for p in root.iterdir() if _BROWN_FILE.fullmatch(p.name) and p.is_file())
    if not files:
        raise DataError("no Brown text files (ca01 ... cr09) in the folder", path=root)
    sentences: list[list[str]] = []
    for file in files:
        data = file.read_bytes()
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            msg = f"not ASCII ({exc.reason})"
            raise DataError(msg, path=file, line=line, offset=exc.start) from None
        if lower:
            text = text.lower()
        for line in text.splitlines():
            tagged = line.split()
            if tagged:
                sentences.append([w[: w.rfind("/")] if "/" in w else w for w in tagged])
    return sentences


def load_brown(*, lower: bool = False) -> LMSplits:
    """Brown corpus with the protocol of Bengio et al. (2003): 800,000 / 200,000 / rest words, one stream.

    The word stream is cut after the first 800,000 words (train) and the next 200,000 (validation); the
    rest is test. NLTK's Brown has 1,161,192 words, so test gets 161,192 (Bengio's stream had
    1,181,041, counting text and paragraph separators). As in the paper, the corpus is one stream of
    words (``sentence_ends=False``: no ``</s>``, contexts run across sentences), and the vocabulary keeps
    the words seen at least 4 times in the *whole* corpus (``vocab_from="all"``, ``min_count=4``): words
    seen three times or less are merged into ``<unk>``. That gives |V| = 17,908 with ffnlp's four
    specials (Bengio: 16,383) and KN5 test perplexity 329.8 (Bengio's Kneser-Ney back-off 5-gram: 321;
    ``experiments/kn_brown.py``). :func:`load_brown_sentences` is the same cut modelled sentence by
    sentence.

    Parameters
    ----------
    lower : bool, default False
        Lower-case the words (Bengio kept case).

    Returns
    -------
    LMSplits
        With 800,000, 200,000 and 161,192 words.

    Raises
    ------
    DataError
        If no ``corpora/brown`` folder is found; the message lists where it looked.

    References
    ----------
    Y. Bengio, R. Ducharme, P. Vincent, C. Jauvin (2003). A Neural Probabilistic Language Model.
    JMLR 3:1137-1155.
    """
    return _brown("brown", lower, stream=True)


def load_brown_sentences(*, lower: bool = False) -> LMSplits:
    """Brown cut as :func:`load_brown`, but modelled sentence by sentence: ``</s>`` after every sentence
    (n-gram histories reset there) and the vocabulary counted on the training split (``min_count=4``:
    |V| = 14,117). KN5 test perplexity 146.7 (``experiments/kn_brown.py``, ``vocab_from="train"``,
    ``eos_reset``); not comparable with the paper's numbers, but a model of it predicts sentence ends."""
    return _brown("brown_sentences", lower, stream=False)


def _brown(name: str, lower: bool, *, stream: bool) -> LMSplits:
    root = brown_root()
    if root is None:
        raise DataError(
            f"Brown corpus not found; looked in: {', '.join(_brown_searched()) or '(no folders)'}. "
            f"To get it: {_HOW_BROWN}"
        )
    sentences = read_brown(root, lower=lower)
    train, valid, test = split_by_word_counts(sentences, BROWN_N_TRAIN, BROWN_N_VALID)
    n_test = sum(map(len, test))
    counting = "one word stream, no </s> (Bengio et al. 2003)" if stream else "</s> per sentence"
    vocab = ("words seen >= 4 times in the whole corpus (min_count=4), the rest <unk>" if stream
             else "words seen >= 4 times in the training split (min_count=4), the rest <unk>")
    description = (
        f"Brown corpus (NLTK, {root}): {len(sentences):,} sentences, tags dropped, "
        f"{'lower-cased' if lower else 'case kept'}; "
        "Bengio et al. (2003) split on the word stream: "
        f"first {BROWN_N_TRAIN:,} words train, next {BROWN_N_VALID:,} valid, remaining {n_test:,} "
        f"test (sentences straddling a cut are split); {counting}; vocabulary: {vocab}"
    )
    return LMSplits(train, valid, test, name=name, description=description, split_kind="word_counts",
                    tokenizer="Brown's own tokens (tags dropped)", lowercase=lower, counting=counting,
                    sentence_ends=not stream, vocab_from="all" if stream else "train", files={"all": root},
                    split_note=f"Bengio et al. 2003: first {BROWN_N_TRAIN:,} words, next {BROWN_N_VALID:,}, "
                               f"the remaining {n_test:,}")


# ----------------------------------------------------------------------------- PTB

_PTB_FILES = {s: f"ptb.{s}.txt" for s in SPLIT_NAMES}
_HOW_PTB = (
    "put Mikolov's simple-examples/data/ptb.{train,valid,test}.txt in a folder ptb/ under "
    "$FFNLP_DATA (the shared benchmark data has it; see corpora/README.md)"
)


def _ptb_searched() -> list[str]:
    return [str(r / "ptb") for r in _datapaths.data_roots()]


def ptb_root() -> Path | None:
    """The first ``<data root>/ptb`` folder holding the three PTB files, or None."""
    for r in _datapaths.data_roots():
        p = r / "ptb"
        if all((p / f).is_file() for f in _PTB_FILES.values()):
            return p
    return None


def load_ptb(*, encoding: str = "utf-8-sig") -> LMSplits:
    """Mikolov's Penn Treebank language-modelling data, fixed splits.

    One sentence per line, whitespace tokens; the text already holds ``<unk>`` (which is the
    vocabulary's ``<unk>``) and ``N`` for numbers. Words: 887,521 / 70,390 / 78,669; with one
    ``</s>`` per line 929,589 / 73,760 / 82,430, the published counts.

    Returns
    -------
    LMSplits

    Raises
    ------
    DataError
        If the files are not found; the message lists where it looked.
    """
    root = ptb_root()
    if root is None:
        raise DataError(
            f"Penn Treebank not found; looked for {', '.join(_PTB_FILES.values())} in: "
            f"{', '.join(_ptb_searched())}. To get it: {_HOW_PTB}"
        )
    train, valid, test = (list(TextLines(root / _PTB_FILES[s], encoding=encoding)) for s in SPLIT_NAMES)
    description = (
        f"Penn Treebank, Mikolov's LM version ({root}): fixed train/valid/test files, one sentence "
        "per line, whitespace tokens, 10k vocabulary with <unk> in the text; </s> per line is "
        "PTB's <eos>"
    )
    return LMSplits(train, valid, test, name="ptb", description=description, split_kind="fixed",
                    tokenizer="whitespace", lowercase=True, counting="</s> per line",
                    files={s: root / _PTB_FILES[s] for s in SPLIT_NAMES},
                    split_note="its own files: " + ", ".join(_PTB_FILES.values()))


# ----------------------------------------------------------------------------- Lee and plain text

_HOW_LEE = "install gensim: lee_background.cor ships in gensim/test/test_data"


def lee_path() -> Path | None:
    """Path of gensim's ``lee_background.cor`` (as ``gensim.test.utils.datapath`` gives it),
    found without importing gensim; None if gensim is not installed."""
    return _datapaths.gensim_test_data("lee_background.cor")


TOKENIZERS = ("default", "whitespace")


def line_tokenizer(tokenizer: str = "default", *, lower: bool | None = None, unk_token: str | None = None,
                   eos_token: str | None = None, sentences: bool = False):
    """A function ``line -> list of sentences`` (token lists) for LM text, and the lower-casing it applies.

    Parameters
    ----------
    tokenizer : {"default", "whitespace"}
        ffnlp's Treebank-like :func:`~ffnlp.text.tokenize.tokenize`, or ``str.split`` for text that is
        already tokenized (``@-@`` and ``<unk>`` stay whole).
    lower : bool or None
        Lower-case the words; None: True for ``"default"``, False for ``"whitespace"``.
    unk_token : str, optional
        This word in the text is the model's ``<unk>`` (e.g. ``"<UNK>"``; with the whitespace tokenizer
        ``"<unk>"`` already is, the default tokenizer would cut it into ``<``, ``unk``, ``>``).
    eos_token : str, optional
        This word in the text ends a sentence (e.g. ``"<eos>"``): the words after it start a new one,
        and encoding writes the model's ``</s>`` in its place (a trailing one is not doubled).
    sentences : bool
        Split each line into sentences (:func:`~ffnlp.text.tokenize.split_sentences`) first.

    Returns
    -------
    (callable, bool)
    """
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"tokenizer must be one of {', '.join(TOKENIZERS)}, got {tokenizer!r}")
    lower = (tokenizer == "default") if lower is None else bool(lower)
    words = Tokenizer(lower=lower) if tokenizer == "default" else (
        (lambda text: text.lower().split()) if lower else str.split)
    specials = [t for t in (unk_token, eos_token) if t]
    if any(len(t.split()) != 1 for t in specials):
        raise ValueError(f"unk_token and eos_token must be single words, got {specials}")
    if unk_token and unk_token == eos_token:
        raise ValueError(f"unk_token and eos_token must differ, got {unk_token!r} for both")
    alternatives = "(" + "|".join(map(re.escape, specials)) + ")"
    if tokenizer == "whitespace":  # whole words only; the default tokenizer cuts them out anywhere ("<unk>!")
        alternatives = r"(?<!\S)" + alternatives + r"(?!\S)"
    cut = re.compile(alternatives) if specials else None

    def one(text: str) -> list[list[str]]:
        if cut is None:
            return [words(text)]
        out, current = [], []
        pieces = cut.split(text)  # text, special, text, special, ...
        for i, piece in enumerate(pieces):
            if i % 2 == 0:
                current += words(piece)
            elif piece == eos_token:
                out.append(current)
                current = []
            else:
                current.append("<unk>")
        if current or not out:
            out.append(current)
        return out

    def tokenize_line(line: str) -> list[list[str]]:
        if sentences:
            return [sent for s in split_sentences(line) for sent in one(s) if sent]
        return one(line)

    return tokenize_line, lower


def _counting(sentences: bool, count_blank_lines: bool, eos_token) -> str:
    if sentences:
        return "</s> per sentence"
    base = "</s> per line, blank lines included" if count_blank_lines else "</s> per non-blank line"
    return base + (f" and in place of each {eos_token}" if eos_token else "")


def _read_lm_docs(path, tokenize_line, encoding, count_blank_lines) -> tuple[list, TextLines]:
    lines = TextLines(path, encoding=encoding, blank_lines=count_blank_lines)  # DataError if missing or empty
    docs = [tokenize_line(line) if line else [[]] for line in lines.lines()]
    return docs, lines


def load_text_corpus(
    path,
    *,
    encoding: str = "utf-8-sig",
    lower: bool | None = None,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    sentences: bool = False,
    tokenizer: str = "default",
    unk_token: str | None = None,
    eos_token: str | None = None,
    count_blank_lines: bool = False,
) -> LMSplits:
    """Any plain-text file or folder as a language-modelling corpus, split by line.

    Each non-blank line (of the file, or of every file in the folder, in name order) is a
    document; documents are split train/valid/test with a seeded permutation and kept in corpus
    order within each split. A corpus that comes with its own split is read by
    :func:`load_split_files` (:func:`load_lm_corpus` picks it for a folder holding ``train``/``valid``/
    ``test`` files).

    Parameters
    ----------
    path : str or Path
        A text file or a folder of text files.
    encoding : str, default "utf-8-sig"
        UTF-8 with or without a byte-order mark.
    lower : bool or None, default None
        Lower-case the text; None: yes with the default tokenizer, no with ``"whitespace"``.
    valid_fraction, test_fraction : float, default 0.1
        Fractions of the lines (rounded) given to validation and test; the rest trains.
    seed : int, default 0
        Seed of the permutation.
    sentences : bool, default False
        Split each line into sentences (:func:`~ffnlp.text.tokenize.split_sentences`); a line
        is then still kept whole within one split.
    tokenizer, unk_token, eos_token
        See :func:`line_tokenizer`.
    count_blank_lines : bool, default False
        Keep blank lines as empty sentences, so that every line gets one ``</s>`` (the common protocol
        of line-based LM corpora); by default blank lines are skipped.

    Returns
    -------
    LMSplits

    Raises
    ------
    DataError
        If the path is missing, holds no text, or does not decode (file, line and byte offset).
    """
    path = Path(path)
    tokenize_line, lower = line_tokenizer(tokenizer, lower=lower, unk_token=unk_token, eos_token=eos_token,
                                          sentences=sentences)
    docs, lines = _read_lm_docs(path, tokenize_line, encoding, count_blank_lines and not sentences)
    if not any(any(doc) for doc in docs):
        raise DataError("empty corpus: no non-blank lines", path=path)
    train, valid, test = _split_documents(docs, valid_fraction, test_fraction, seed, path)
    n_lines = "/".join(f"{len(part):,}" for part in (train, valid, test))
    train, valid, test = ([s for doc in p for s in doc] for p in (train, valid, test))
    if sentences:
        train, valid, test = ([s for s in p if s] for p in (train, valid, test))
    n_files = len(lines.files)
    counting = _counting(sentences, count_blank_lines, eos_token)
    description = (
        f"plain text {path} ({n_files} file{'s' if n_files > 1 else ''}, {encoding}): "
        f"{len(docs):,} lines, {tokenizer} tokenizer ({'lower-cased' if lower else 'case kept'}"
        f"{', split into sentences' if sentences else ', one sentence per line'}); no split of its own: lines "
        f"split seeded (seed={seed}) "
        f"{1 - valid_fraction - test_fraction:.0%}/{valid_fraction:.0%}/{test_fraction:.0%} "
        f"= {n_lines} train/valid/test; {counting}"
    )
    return LMSplits(train, valid, test, name=str(path), description=description, split_kind="seeded",
                    tokenizer=tokenizer, lowercase=lower, counting=counting, files={"all": path},
                    split_note=f"seeded {1 - valid_fraction - test_fraction:.0%}/{valid_fraction:.0%}/"
                               f"{test_fraction:.0%} of its lines (seed {seed}): no train/valid/test files of its own")


def load_split_files(
    train,
    valid,
    test=None,
    *,
    encoding: str = "utf-8-sig",
    lower: bool | None = None,
    tokenizer: str = "default",
    unk_token: str | None = None,
    eos_token: str | None = None,
    count_blank_lines: bool = False,
    sentences: bool = False,
    name: str | None = None,
) -> LMSplits:
    """A corpus with its own split: one text file per split, one sentence per line, nothing re-split.

    Parameters
    ----------
    train, valid : str or Path
        The training and validation files.
    test : str or Path, optional
        The test file (an empty test split without it).
    encoding, lower, tokenizer, unk_token, eos_token, count_blank_lines, sentences
        As in :func:`load_text_corpus`.
    name : str, optional
        Name of the corpus (default: the training file's folder).

    Returns
    -------
    LMSplits
        With ``split_kind="fixed"`` and ``files`` naming the three files.

    Examples
    --------
    For WikiText-2 (pre-tokenized, ``<unk>`` in the text, one ``<eos>`` per line, blank lines included)::

        load_split_files("wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens",
                         tokenizer="whitespace", count_blank_lines=True)
    """
    tokenize_line, lower = line_tokenizer(tokenizer, lower=lower, unk_token=unk_token, eos_token=eos_token,
                                          sentences=sentences)
    files = {"train": Path(train), "valid": Path(valid)}
    if test is not None:
        files["test"] = Path(test)
    parts = {}
    for split, path in files.items():
        if path.is_dir():
            raise DataError(f"is a folder; the {split} split must be one text file", path=path)
        docs, _ = _read_lm_docs(path, tokenize_line, encoding, count_blank_lines and not sentences)
        parts[split] = [s for doc in docs for s in doc if s or not sentences]
        if split != "test" and not any(parts[split]):
            raise DataError(f"empty {split} split: no words", path=path)
    counting = _counting(sentences, count_blank_lines, eos_token)
    shown = ", ".join(f"{s} {p}" for s, p in files.items())
    description = (
        f"its own split: {shown} ({encoding}); {tokenizer} tokenizer ({'lower-cased' if lower else 'case kept'}"
        f"{', split into sentences' if sentences else ', one sentence per line'}); {counting}"
    )
    return LMSplits(parts["train"], parts["valid"], parts.get("test", []),
                    name=name or str(files["train"].parent), description=description, split_kind="fixed",
                    tokenizer=tokenizer, lowercase=lower, counting=counting, files=files,
                    split_note="its own files: " + ", ".join(f"{s} {p.name}" for s, p in files.items()))


def split_files(folder) -> dict[str, Path] | None:
    """The corpus's own ``train``/``valid``/``test`` files in ``folder`` (``train.txt``, ``wiki.train.tokens``,
    ``ptb.valid.txt``, ``dev.txt`` ...), or None when no file names a split.

    Raises
    ------
    DataError
        When some files name a split but the training or validation file is missing, or two files
        name the same split; the message says to name them with ``--train/--valid/--test``.
    """
    found = find_split_files(folder)
    if not found:
        return None
    many = {s: ps for s, ps in found.items() if len(ps) > 1}
    if many:
        s, ps = next(iter(many.items()))
        raise DataError(f"several {s} files ({', '.join(p.name for p in ps)}); name them with "
                        "--train/--valid/--test (train=, valid=, test= in load_split_files)", path=folder)
    missing = [s for s in ("train", "valid") if s not in found]
    if missing:
        have = ", ".join(f"{s}: {ps[0].name}" for s, ps in found.items())
        raise DataError(f"split files found ({have}) but no {' or '.join(missing)} file; name the files with "
                        "--train/--valid/--test", path=folder)
    return {s: ps[0] for s, ps in found.items()}


def load_lee(
    *, valid_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 0
) -> LMSplits:
    """gensim's Lee background corpus: 300 news documents, the shipped default.

    Documents are split 80/10/10 by a seeded permutation (240/30/30 documents); each is split
    into sentences, tokenized with :func:`~ffnlp.text.tokenize.tokenize` and lower-cased.

    Returns
    -------
    LMSplits

    References
    ----------
    M. Lee, B. Pincombe, M. Welsh (2005). An empirical evaluation of models of text document
    similarity. Proceedings of the 27th Annual Conference of the Cognitive Science Society.
    """
    path = lee_path()
    if path is None:
        raise DataError(f"lee_background.cor not found (no gensim). To get it: {_HOW_LEE}")
    splits = load_text_corpus(
        path,
        lower=True,
        valid_fraction=valid_fraction,
        test_fraction=test_fraction,
        seed=seed,
        sentences=True,
    )
    splits.name = "lee"
    splits.split_note = splits.split_note.replace("lines", "documents").replace(
        ": no train/valid/test files of its own", "")
    splits.description = "Lee background corpus (gensim test data): " + splits.description
    return splits


# ----------------------------------------------------------------------------- dispatch


def load_lm_corpus(name_or_path, **kw) -> LMSplits:
    """Load a registered LM corpus by name (``brown``, ``ptb``, ``lee``) or a text file/folder.

    Parameters
    ----------
    name_or_path : str or Path
        A name from ``ffnlp.corpora.names(task="lm")``; else a folder holding the corpus's own
        ``train``/``valid``/``test`` files (:func:`split_files`), read by :func:`load_split_files`; else a
        text file or folder, split seeded by :func:`load_text_corpus`.
    **kw
        Passed to the loader (e.g. ``lower=True`` for ``brown``, ``tokenizer=`` for a path, ``seed=``
        for a seeded split; the seeded split's options are ignored for a corpus with its own split).

    Returns
    -------
    LMSplits

    Raises
    ------
    DataError
        If the name is unknown and no such path exists, or the corpus is absent or unreadable.
    """
    from ffnlp import corpora

    lm_names = corpora.names(task="lm")
    if isinstance(name_or_path, str) and name_or_path in lm_names:
        return corpora.get(name_or_path).load(**kw)
    path = Path(name_or_path)
    if path.is_dir():
        own = split_files(path)
        if own is not None:
            for k in ("valid_fraction", "test_fraction", "seed"):
                kw.pop(k, None)
            return load_split_files(own["train"], own["valid"], own.get("test"), name=str(path), **kw)
    if path.exists():
        return load_text_corpus(path, **kw)
    if isinstance(name_or_path, str) and name_or_path in corpora.names():
        raise DataError(
            f"{name_or_path!r} is a {corpora.get(name_or_path).task} corpus, not a language-"
            f"modelling one; LM corpora: {', '.join(lm_names)}"
        )
    known = ", ".join(lm_names)
    raise DataError(
        f"{str(name_or_path)!r} is neither a registered LM corpus ({known}) "
        "nor an existing file or folder"
    )


def __getattr__(name):
    if name == "LM_CORPORA":  # the registered LM corpora, name -> CorpusSpec (computed: the registry may grow)
        from ffnlp import corpora

        return {n: corpora.get(n) for n in corpora.names(task="lm")}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
