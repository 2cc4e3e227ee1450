"""Classification benchmarks: one loader per registered dataset, each returning a
:class:`~ffnlp.text.datasets.TextCatDataset`.

``mr``, ``trec``, ``trec50``, ``sst1``, ``sst2``, ``sst2_phrases``, ``20ng``, ``sms`` come from the shared
data folder (found with :func:`ffnlp._datapaths.find_data`); ``mini_newsgroup`` and ``polarity`` ship with
gensim's tests. The registry (:mod:`ffnlp.corpora`) names these functions as ``"module:function"``; this
module never imports it. File formats are read by :mod:`ffnlp.text.readers`.
"""
from __future__ import annotations

import logging
import tarfile
from pathlib import Path

import numpy as np

from ffnlp import _datapaths
from ffnlp.errors import DataError
from ffnlp.text.datasets import LabeledData, TextCatDataset
from ffnlp.text.readers import (_parse_delimited, _parse_label_first, _parse_one_per_line, read_fasttext,
                                read_text, read_tsv)
from ffnlp.text.safe_pickle import read_bunch_pickle

logger = logging.getLogger(__name__)

__all__ = [
    "stratified_split", "strip_newsgroup_header", "load_mr", "load_trec", "load_trec50", "load_sst1",
    "load_sst2", "load_sst2_phrases", "load_sst1_phrases", "load_sst2_tree_phrases", "read_sst_trees",
    "parse_sst_tree", "sst_overlap", "load_20newsgroups", "load_sms", "load_mini_newsgroup", "load_polarity",
]

_DESCRIPTIONS = {
    "mr": "MR movie-review sentence polarity (Pang & Lee 2005), 2 classes, 10,662 snippets",
    "trec": "TREC question classification (Li & Roth 2002), 6 coarse classes",
    "trec50": "TREC question classification (Li & Roth 2002), 50 fine classes",
    "sst1": "SST-1 sentence-level 5-way sentiment (Socher et al. 2013)",
    "sst2": "SST-2 sentence-level binary sentiment (Socher et al. 2013)",
    "sst2_phrases": "SST-2 trained on its 67,349 phrase-level training examples (SentEval), sentence-level dev/test",
    "20ng": "20 Newsgroups bydate (headers kept), 20 classes",
    "sms": "SMS Spam Collection v.1 (Almeida et al. 2011), ham/spam",
    "mini_newsgroup": "gensim test data: 200 newsgroup posts (headers removed), alt.atheism vs sci.space",
    "polarity": "gensim test data: 200 Pang & Lee snippets (pang_lee_polarity.cor), neg/pos",
    "sst1_phrases": "SST-1 trained on the 159,274 distinct labelled phrases of its training trees (Kim 2014), "
                    "sentence-level dev/test",
    "sst2_tree_phrases": "SST-2 trained on the 77,616 distinct non-neutral phrases of the SST training trees, "
                         "sentence-level dev/test",
}


def _require(corpus: str, relative: str) -> Path:
    p = _datapaths.find_data(relative)
    if p is None:
        raise DataError(
            f"{corpus}: data not found; looked in: {', '.join(_datapaths.searched(relative))}. "
            "Set FFNLP_DATA to the folder holding the shared benchmark data"
        )
    return p


def _concat(parts: list[LabeledData], source: str) -> LabeledData:
    return LabeledData([t for p in parts for t in p.texts], [lab for p in parts for lab in p.labels], source=source)


def stratified_split(labels, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified split of indices into (train, test), each in the original order.

    For every class, ``round(test_fraction * n_class)`` of its documents, drawn by
    ``numpy.random.default_rng(seed).permutation``, go to test; classes are visited in sorted order.

    Parameters
    ----------
    labels : sequence of str of length n_samples
    test_fraction : float in (0, 1)
    seed : int

    Returns
    -------
    train_idx, test_idx : ndarray of shape (n_train,), (n_test,), dtype int64
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    y = np.asarray(labels)
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)  # (n_c,)
        test.append(rng.permutation(idx)[: int(round(test_fraction * len(idx)))])
    is_test = np.zeros(len(y), dtype=bool)
    is_test[np.concatenate(test)] = True
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def _subset(data: LabeledData, idx: np.ndarray, source: str) -> LabeledData:
    return LabeledData([data.texts[i] for i in idx], [data.labels[i] for i in idx], source=source)


def load_mr() -> TextCatDataset:
    """MR, Pang & Lee (2005) sentence polarity v1.0: 5,331 ``pos`` + 5,331 ``neg`` snippets.

    Read from ``sentclf/MR/rt-polarity.{neg,pos}`` as Latin-1 (the files are not UTF-8). There is
    no fixed split: all 10,662 are in ``train`` (negatives first) and ``cv_folds=10``, the protocol
    of Kim (2014).

    References
    ----------
    B. Pang and L. Lee. Seeing stars: exploiting class relationships for sentiment categorization
    with respect to rating scales. ACL 2005.
    """
    parts = []
    for label in ("neg", "pos"):
        path = _require("mr", f"sentclf/MR/rt-polarity.{label}")
        parts.append(_parse_one_per_line(read_text(path, "latin-1"), str(path), label))
    train = _concat(parts, str(Path(parts[0].source).parent))
    return TextCatDataset("mr", train, cv_folds=10, description=_DESCRIPTIONS["mr"])


def _trec(fine: bool) -> TextCatDataset:
    name = "trec50" if fine else "trec"

    def relabel(tok: str) -> str:
        coarse, sep, sub = tok.partition(":")
        if not sep or not coarse or not sub:
            raise ValueError(f"no label: expected 'COARSE:fine question', got {tok!r}")
        return tok if fine else coarse

    splits = []
    for fname in ("train_5500.label", "TREC_10.label"):
        path = _require(name, f"sentclf/TREC/{fname}")
        splits.append(_parse_label_first(read_text(path, "latin-1"), str(path), relabel))
    return TextCatDataset(name, splits[0], test=splits[1], description=_DESCRIPTIONS[name])


def load_trec() -> TextCatDataset:
    """TREC question classification, Li & Roth (2002), 6 coarse classes (ABBR, DESC, ENTY, HUM, LOC, NUM).

    Fixed split: ``train_5500.label`` (5,452) and ``TREC_10.label`` (500), Latin-1. No validation
    split (Kim (2014) holds out 10% of train).

    References
    ----------
    X. Li and D. Roth. Learning question classifiers. COLING 2002.
    """
    return _trec(fine=False)


def load_trec50() -> TextCatDataset:
    """TREC with the 50 fine labels (``LOC:city``); otherwise as :func:`load_trec`."""
    return _trec(fine=True)


def _sst(name: str, stem: str, folder: str) -> TextCatDataset:
    splits = {}
    for split in ("train", "dev", "test"):
        path = _require(name, f"sentclf/{folder}/{stem}.{split}")
        splits[split] = _parse_label_first(read_text(path, "utf-8"), str(path))
    return TextCatDataset(
        name, splits["train"], test=splits["test"], valid=splits["dev"], description=_DESCRIPTIONS[name]
    )


def load_sst2() -> TextCatDataset:
    """SST-2, Socher et al. (2013), sentence level (``stsa.binary.*``): 6,920 / 872 / 1,821.

    Labels ``"0"`` (negative) and ``"1"`` (positive), as in the files; neutral sentences removed.
    The phrase-augmented training set Kim (2014) used is not available.

    References
    ----------
    R. Socher et al. Recursive deep models for semantic compositionality over a sentiment
    treebank. EMNLP 2013.
    """
    return _sst("sst2", "stsa.binary", "SST-2")


def load_sst2_phrases() -> TextCatDataset:
    """SST-2 trained on phrases: SentEval's phrase-level training set (67,349 labeled phrases of the 6,920
    training sentences, ``sentclf/SST-2/senteval/sentiment-train``, ``phrase<TAB>label``), with the
    sentence-level dev (872) and test (1,821) splits of :func:`load_sst2`. Kim (2014) and GLUE train on
    phrases; the test sentences are the same.
    """
    sentences = load_sst2()
    path = _require("sst2_phrases", "sentclf/SST-2/senteval/sentiment-train")
    phrases = _parse_delimited(read_text(path, "utf-8"), str(path), "\t", -1, False)
    return TextCatDataset("sst2_phrases", phrases, test=sentences.test, valid=sentences.valid,
                          description=_DESCRIPTIONS["sst2_phrases"])


def load_sst1() -> TextCatDataset:
    """SST-1, 5 classes ``"0"`` (very negative) .. ``"4"`` (very positive): 8,544 / 1,101 / 2,210.

    References
    ----------
    R. Socher et al. Recursive deep models for semantic compositionality over a sentiment
    treebank. EMNLP 2013.
    """
    return _sst("sst1", "stsa.fine", "SST-1")


def strip_newsgroup_header(text: str) -> str:
    """The text after the first blank line (the Usenet header block ends there)."""
    _, _, body = text.partition("\n\n")
    return body


def load_20newsgroups(*, remove_headers: bool = False) -> TextCatDataset:
    """20 Newsgroups, "bydate" split: 11,314 train / 7,532 test posts in 20 groups.

    Read member by member from ``20newsgroups/20news-bydate.tar.gz`` with :mod:`tarfile`; nothing
    is extracted to disk. Posts are decoded as Latin-1 and, like scikit-learn's
    ``fetch_20newsgroups`` default (``remove=()``), keep their headers, signatures and quotes:
    headers such as ``Subject:`` and ``Organization:`` are informative, which makes this the easier,
    commonly reported variant. Order: by group name, then file name (scikit-learn shuffles).

    Parameters
    ----------
    remove_headers : bool, default=False
        Drop everything up to the first blank line, as ``remove=("headers",)`` in scikit-learn;
        posts that become empty are kept as ``""``.

    References
    ----------
    K. Lang. NewsWeeder: learning to filter netnews. ICML 1995.
    """
    path = _require("20ng", "20newsgroups/20news-bydate.tar.gz")
    splits: dict[str, list[tuple[str, str, str]]] = {"20news-bydate-train": [], "20news-bydate-test": []}
    try:
        with tarfile.open(path, "r:gz") as tf:
            for member in tf:
                if not member.isfile():
                    continue
                parts = member.name.removeprefix("./").split("/")
                if len(parts) != 3 or parts[0] not in splits or parts[2].startswith("."):
                    logger.debug("%s: skipping member %s", path, member.name)
                    continue
                f = tf.extractfile(member)
                text = f.read().decode("latin-1")
                if remove_headers:
                    text = strip_newsgroup_header(text)
                splits[parts[0]].append((parts[1], parts[2], text))
    except (tarfile.TarError, OSError, EOFError) as e:
        raise DataError(f"cannot read the archive: {e}", path=path) from None
    data = {}
    for split, records in splits.items():
        if not records:
            raise DataError(f"no documents under {split}/ in the archive", path=path)
        records.sort(key=lambda r: (r[0], r[1]))
        data[split] = LabeledData([r[2] for r in records], [r[0] for r in records], source=f"{path}:{split}")
    return TextCatDataset(
        "20ng", data["20news-bydate-train"], test=data["20news-bydate-test"], description=_DESCRIPTIONS["20ng"]
    )


def load_sms() -> TextCatDataset:
    """SMS Spam Collection v.1, Almeida et al. (2011): 4,827 ``ham`` / 747 ``spam`` messages (UTF-8).

    There is no canonical split; this loader makes a stratified 80/20 one with
    :func:`stratified_split` (``seed=0``): 4,460 train / 1,114 test, both in file order.

    References
    ----------
    T. A. Almeida, J. M. Gómez Hidalgo and A. Yamakami. Contributions to the study of SMS spam
    filtering: new collection and results. DocEng 2011.
    """
    path = _require("sms", "sms_spam/SMSSpamCollection")
    data = read_tsv(path, encoding="utf-8", delimiter="\t")
    train_idx, test_idx = stratified_split(data.labels, 0.2, seed=0)
    return TextCatDataset(
        "sms",
        _subset(data, train_idx, f"{path} (train: stratified 80%, seed 0)"),
        test=_subset(data, test_idx, f"{path} (test: stratified 20%, seed 0)"),
        description=_DESCRIPTIONS["sms"],
    )


def _require_gensim(corpus: str, name: str) -> Path:
    p = _datapaths.gensim_test_data(name)
    if p is None:
        raise DataError(f"{corpus}: not found; looked in gensim's test data for {name!r} (is gensim installed?)")
    return p


def load_mini_newsgroup(*, remove_headers: bool = True) -> TextCatDataset:
    """gensim's ``mini_newsgroup`` test set: 200 posts, 100 ``alt.atheism`` + 100 ``sci.space``.

    The file is a zlib-compressed Python 2 pickle of a scikit-learn ``Bunch``; it is read with
    :func:`read_bunch_pickle`, which runs none of the code a pickle can name. No fixed split:
    ``cv_folds=5``.

    Parameters
    ----------
    remove_headers : bool, default=True
        Unlike the bydate 20NG files (see :func:`load_20newsgroups`, which keeps headers), these
        posts still carry ``Newsgroups:`` and ``Xref:`` headers, and every one of the 200 headers
        names its own group: with headers any classifier is 100% correct. So, by default, the
        header block (up to the first blank line) is dropped, as :func:`strip_newsgroup_header`.
    """
    path = _require_gensim("mini_newsgroup", "mini_newsgroup")
    bunch = read_bunch_pickle(path)
    try:
        texts, target, names = bunch["data"], np.asarray(bunch["target"]), bunch["target_names"]
        labels = [str(names[int(t)]) for t in target]
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise DataError(f"unexpected Bunch layout ({type(e).__name__}: {e})", path=path) from None
    texts = [t if isinstance(t, str) else bytes(t).decode("latin-1") for t in texts]
    if remove_headers:
        texts = [strip_newsgroup_header(t) for t in texts]
    train = LabeledData(texts, labels, source=str(path))
    return TextCatDataset("mini_newsgroup", train, cv_folds=5, description=_DESCRIPTIONS["mini_newsgroup"])


def load_polarity() -> TextCatDataset:
    """gensim's ``pang_lee_polarity.cor``: 200 MR snippets, 100 ``neg`` + 100 ``pos``.

    The file is labeled, in fastText format (``__label__neg ...``, the corpus gensim's fastText
    test model was trained on), and Latin-1/Windows-1252 (bytes 0x97, 0xe9), so it is read with
    ``encoding="latin-1"``. No fixed split: ``cv_folds=5``.
    """
    path = _require_gensim("polarity", "pang_lee_polarity.cor")
    train = read_fasttext(path, encoding="latin-1")
    return TextCatDataset("polarity", train, cv_folds=5, description=_DESCRIPTIONS["polarity"])


# ----------------------------------------------------------------------------- SST trees: phrase-level training sets

#: PTB escapes of the SST trees and the characters they stand for.
SST_ESCAPES = {"-LRB-": "(", "-RRB-": ")", "-LCB-": "{", "-RCB-": "}", "-LSB-": "[", "-RSB-": "]"}


def _sst_word(word: str) -> str:
    word = SST_ESCAPES.get(word, word)
    return word.replace("\\/", "/").replace("\\*", "*")


def parse_sst_tree(line: str, where=None) -> list[tuple[str, list[str]]]:
    """Every node of one PTB-format SST tree, ``(L left right)`` or ``(L word)``: ``(label, leaves)`` pairs,
    the root first, then in pre-order.

    Words are read up to their closing parenthesis, never split on other whitespace: three training
    words hold a no-break space (U+00A0), which ``str.split()`` would break. PTB escapes are undone
    (``-LRB-`` -> ``(``, ``-RRB-`` -> ``)``, ``\\/`` -> ``/``, ``\\*`` -> ``*``).

    Raises
    ------
    DataError
        On an unbalanced tree, a node without a label, or text after the tree (``where``: file and line).
    """
    path, lineno = where if where is not None else (None, None)
    labels: list[str] = []
    starts: list[int] = []  # first leaf of each node
    ends: list[int] = []
    words: list[str] = []
    stack: list[int] = []  # the open nodes
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == "(":
            j = line.find(" ", i + 1)
            if j < 0 or j == i + 1:
                raise DataError(f"a node without a label at character {i}", path=path, line=lineno)
            labels.append(line[i + 1:j])
            starts.append(len(words))
            ends.append(-1)
            stack.append(len(labels) - 1)
            i = j + 1
            if i < n and line[i] != "(":  # a word: up to the closing parenthesis
                k = line.find(")", i)
                if k < 0:
                    raise DataError("unbalanced parentheses", path=path, line=lineno)
                words.append(_sst_word(line[i:k]))
                i = k  # the ")" closes this leaf next
        elif c == ")":
            if not stack:
                raise DataError(f"unbalanced parentheses at character {i}", path=path, line=lineno)
            ends[stack.pop()] = len(words)
            i += 1
            if not stack and line[i:].strip():
                raise DataError(f"text after the tree at character {i}", path=path, line=lineno)
        elif c == " ":
            i += 1
        else:
            raise DataError(f"unexpected {c!r} at character {i}", path=path, line=lineno)
    if stack or not labels:
        raise DataError("unbalanced parentheses" if stack else "empty tree", path=path, line=lineno)
    return [(lab, words[a:b]) for lab, a, b in zip(labels, starts, ends)]


def read_sst_trees(path) -> list[list[tuple[str, list[str]]]]:
    """The trees of one SST tree file (one per line), each as :func:`parse_sst_tree` gives it."""
    text = read_text(path, "utf-8-sig", what="trees")
    return [parse_sst_tree(line, (path, lineno)) for lineno, line in enumerate(text.split("\n"), start=1)
            if line.strip()]


_SST_LABELS = ("0", "1", "2", "3", "4")


def _sst_tree_data(name: str, binary: bool) -> TextCatDataset:
    paths = {s: _require(name, f"sentclf/SST-1/trees/{s}.txt") for s in ("train", "dev", "test")}
    trees = {s: read_sst_trees(p) for s, p in paths.items()}

    def label_of(lab: str, where):
        if lab not in _SST_LABELS:
            raise DataError(f"label {lab!r} is not one of 0-4", path=where)
        if not binary:
            return lab
        return None if lab == "2" else ("0" if lab in "01" else "1")

    phrases: dict[str, str] = {}  # text -> label, first occurrence order
    for tree in trees["train"]:
        for lab, leaves in tree:
            y = label_of(lab, paths["train"])
            if y is None:
                continue
            text = " ".join(leaves)
            if phrases.setdefault(text, y) != y:
                raise DataError(f"phrase {text[:40]!r} has two labels ({phrases[text]} and {y})", path=paths["train"])
    train = LabeledData(list(phrases), list(phrases.values()), source=f"{paths['train']} (every labelled phrase)")
    sentences = {}
    for split in ("dev", "test"):
        texts, labels, lines = [], [], []
        for lineno, tree in enumerate(trees[split], start=1):
            y = label_of(tree[0][0], paths[split])
            if y is not None:
                texts.append(" ".join(tree[0][1]))
                labels.append(y)
                lines.append(lineno)
        sentences[split] = LabeledData(texts, labels, source=f"{paths[split]} (sentences)", lines=lines)
    overlap = sst_overlap(train, sentences)
    if overlap:
        logger.info("%s: %d dev/test sentence(s) are also training phrases (kept, same label: %s): %s", name,
                    len(overlap), all(o["same_label"] for o in overlap),
                    "; ".join(f"{o['split']} {o['text']!r}" for o in overlap))
    desc = _DESCRIPTIONS[name] + (f"; {len(overlap)} dev/test sentences are also training phrases "
                                  f"({', '.join(repr(o['text']) for o in overlap)})" if overlap else "")
    return TextCatDataset(name, train, test=sentences["test"], valid=sentences["dev"], description=desc)


def sst_overlap(train: LabeledData, sentences: dict) -> list[dict]:
    """The dev/test sentences whose text is also a training phrase: ``split``, ``text``, ``line``, labels."""
    known = dict(zip(train.texts, train.labels))
    out = []
    for split, data in sentences.items():
        for i, (text, lab) in enumerate(zip(data.texts, data.labels)):
            if text in known:
                out.append({"split": split, "text": text, "line": data.lines[i] if data.lines else None,
                            "label": lab, "train_label": known[text], "same_label": known[text] == lab})
    return out


def load_sst1_phrases() -> TextCatDataset:
    """SST-1 trained on phrases, as Kim (2014): every distinct labelled phrase of the training trees.

    Read from the original PTB-format trees (``sentclf/SST-1/trees/{train,dev,test}.txt``): each node of
    a training tree gives its leaves joined by single spaces and its label 0-4, deduplicated (no phrase
    has two labels): 159,274 phrases, 7,233 / 27,711 / 81,658 / 33,361 / 9,311 by class. Dev and test are
    the roots of their trees, the sentences of :func:`load_sst1` (1,101 / 2,210), in the trees' case.
    Words are split on the space only (three hold a no-break space) and PTB escapes are undone
    (``-LRB-`` -> ``(``). Five dev/test sentences are also training phrases, with the same labels; they are
    kept, named in the description and logged.

    References
    ----------
    R. Socher et al. Recursive deep models for semantic compositionality over a sentiment treebank.
    EMNLP 2013. Y. Kim. Convolutional neural networks for sentence classification. EMNLP 2014.
    """
    return _sst_tree_data("sst1_phrases", binary=False)


def load_sst2_tree_phrases() -> TextCatDataset:
    """SST-2 trained on the non-neutral phrases of the training trees (labels 0, 1 -> ``"0"``, 3, 4 ->
    ``"1"``, 2 dropped): 77,616 phrases; dev and test are the non-neutral roots (872 / 1,821), the sentences
    of :func:`load_sst2`. Otherwise as :func:`load_sst1_phrases`; unlike ``sst2_phrases`` (SentEval's
    67,349), every phrase of the trees is kept."""
    return _sst_tree_data("sst2_tree_phrases", binary=True)
