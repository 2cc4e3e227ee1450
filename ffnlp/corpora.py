"""Corpus registry: name -> :class:`CorpusSpec`, pure data.

Each entry says where the corpus is found (files under a data root, an NLTK folder, or gensim's
test data), how it is split, its license, how to obtain it, and names its loader as a
``"module:function"`` reference, as entry points do. The loaders live in :mod:`ffnlp.text` and never
import this module, and this module imports no loader until :meth:`CorpusSpec.load` is called: there
is no import cycle, and an unknown name is reported without importing any loader.

Data roots (:func:`data_roots`): ``$FFNLP_DATA`` if set, else ``../shared/data`` next to the current
directory or the repository if it exists, else the repository's ``corpora/`` folder. NLTK's corpora
are found through ``$NLTK_DATA`` (falling back to ``<data root>/nltk_data``). Nothing is downloaded.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ffnlp import _datapaths
from ffnlp._datapaths import data_roots, find_data, gensim_test_data, nltk_data_dirs  # noqa: F401 (re-exported)

__all__ = ["CorpusSpec", "get", "names", "register", "data_roots", "find_data", "nltk_data_dirs",
           "gensim_test_data"]

SOURCES = ("data", "nltk", "gensim")


@dataclass(frozen=True)
class CorpusSpec:
    """How a named corpus is found, loaded and split.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"brown"``.
    task : str
        ``"lm"`` (language modelling) or ``"textcat"`` (classification).
    description : str
        One line for ``ffnlp corpora list``.
    loader : str
        ``"module:function"`` of the loader, imported only by :meth:`load`; LM loaders return an
        :class:`~ffnlp.text.LMSplits`, textcat loaders a :class:`~ffnlp.text.labeled.TextCatDataset`.
    splits : str
        How the corpus is split, in words.
    license : str
        License or terms, in words.
    how_to_get : str
        What to do when the corpus is absent.
    files : tuple of str
        Paths the corpus needs: relative to a data root (``source="data"``), to an NLTK data folder
        (``"nltk"``), or names in gensim's test data (``"gensim"``).
    source : {"data", "nltk", "gensim"}
        Where ``files`` are looked for.
    """

    name: str
    task: str
    description: str
    loader: str
    splits: str
    license: str
    how_to_get: str
    files: tuple[str, ...] = ()
    source: str = "data"

    def __post_init__(self):
        if self.task not in ("lm", "textcat"):
            raise ValueError(f"task must be 'lm' or 'textcat', got {self.task!r}")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        module, sep, func = self.loader.partition(":")
        if not sep or not module or not func:
            raise ValueError(f"loader must be 'module:function', got {self.loader!r}")

    def _candidates(self) -> list[list[Path]]:
        """For each place the corpus may be, the paths of its files there."""
        if self.source == "gensim":
            return []
        bases = nltk_dirs() if self.source == "nltk" else _datapaths.data_roots()
        return [[base / f for f in self.files] for base in bases]

    def locate(self) -> Path | None:
        """Where the corpus is (its one file, or the folder holding its files), or None when absent."""
        if self.source == "gensim":
            found = [_datapaths.gensim_test_data(f) for f in self.files]
            return found[0] if found and all(found) else None
        for paths in self._candidates():  # all files under one root: PTB's three files belong together
            if paths and all(p.exists() for p in paths):
                parents = {p.parent for p in paths}
                return paths[0] if len(paths) == 1 or len(parents) > 1 else parents.pop()
        return None

    def searched(self) -> list[str]:
        """Every path looked at, for the message when the corpus is absent."""
        if self.source == "gensim":
            return [f"<gensim package>/test/test_data/{f}" for f in self.files]
        return [str(p) for paths in self._candidates() for p in paths]

    def resolve_loader(self) -> Callable:
        """The loader function (imports its module)."""
        module, _, func = self.loader.partition(":")
        return getattr(importlib.import_module(module), func)

    def load(self, **kw):
        """Call the loader: ``spec.load(**kw)`` is ``resolve_loader()(**kw)``."""
        return self.resolve_loader()(**kw)


def nltk_dirs() -> list[Path]:
    return _datapaths.nltk_data_dirs()


_LICENSE = {
    "mr": "(c) Pang & Lee; NLTK lists it as CC BY 4.0; cite Pang & Lee, ACL 2005",
    "trec": "no license stated (research data); cite Li & Roth, COLING 2002",
    "sst": "no license stated (research data); cite Socher et al., EMNLP 2013",
    "20ng": "no license stated; public Usenet posts (1993), research use",
    "sms": "(c) Almeida & Gomez Hidalgo; free to use, no warranty, citation requested",
    "gensim": "shipped with gensim (LGPL-2.1) as test data",
    "brown": "README: 'distributed with the permission of the copyright holder, redistribution permitted'; "
             "NLTK's metadata: 'May be used for non-commercial purposes'",
}
HOW_BROWN = (
    "on a machine with internet run python -c \"import nltk; nltk.download('brown')\" and copy "
    "the nltk_data folder here, then set NLTK_DATA to it (or put it at $FFNLP_DATA/nltk_data); "
    "ffnlp never downloads"
)
HOW_PTB = (
    "put Mikolov's simple-examples/data/ptb.{train,valid,test}.txt in a folder ptb/ under "
    "$FFNLP_DATA (the shared benchmark data has it; see corpora/README.md)"
)
HOW_SHARED = ("put the benchmark files in a folder and point $FFNLP_DATA to it ('ffnlp corpora show NAME' lists "
              "the files and where they come from); nothing is downloaded")
HOW_GENSIM = "install gensim (its test data ships with the package)"
_LM = "ffnlp.text.lm_corpora"
_BM = "ffnlp.text.benchmarks"
_SST1 = tuple(f"sentclf/SST-1/stsa.fine.{s}" for s in ("train", "dev", "test"))
_TREES = tuple(f"sentclf/SST-1/trees/{s}.txt" for s in ("train", "dev", "test"))
_SST2 = tuple(f"sentclf/SST-2/stsa.binary.{s}" for s in ("train", "dev", "test"))

_ENTRIES = (
    # ------------------------------------------------------------------ language modelling
    CorpusSpec(
        "brown", "lm", "Brown corpus (NLTK), 1,161,192 words, 15 genres; Bengio et al. 2003 benchmark",
        f"{_LM}:load_brown",
        splits="Bengio et al. 2003: first 800,000 words train, next 200,000 valid, 161,192 test, one word "
               "stream without </s>; vocabulary: words seen >= 4 times in the whole corpus (|V| 17,908 with "
               "the specials), the rest -> <unk>",
        license=_LICENSE["brown"], how_to_get=HOW_BROWN, files=("corpora/brown",), source="nltk"),
    CorpusSpec(
        "brown_sentences", "lm", "Brown corpus cut as 'brown', modelled sentence by sentence",
        f"{_LM}:load_brown_sentences",
        splits="Bengio's 800,000 / 200,000 / 161,192 word cut; </s> after every sentence (histories reset "
               "there); vocabulary: words seen >= 4 times in the training split (|V| 14,117)",
        license=_LICENSE["brown"], how_to_get=HOW_BROWN, files=("corpora/brown",), source="nltk"),
    CorpusSpec(
        "ptb", "lm", "Penn Treebank, Mikolov's LM version: 10k vocabulary, 929k/73k/82k tokens",
        f"{_LM}:load_ptb",
        splits="fixed ptb.train/valid/test.txt: 887,521 / 70,390 / 78,669 words (+1 </s> per line)",
        license="WSJ text (c) University of Pennsylvania (LDC99T42); Mikolov's README: 'should be free for "
                "research purposes'; not openly licensed",
        how_to_get=HOW_PTB, files=tuple(f"ptb/ptb.{s}.txt" for s in ("train", "valid", "test"))),
    CorpusSpec(
        "lee", "lm", "Lee background corpus (gensim test data): 300 news documents, ~60k words",
        f"{_LM}:load_lee",
        splits="documents split seeded (seed 0) 80/10/10 = 240/30/30, then into sentences; </s> per sentence",
        license="shipped with gensim (LGPL-2.1) as test data, by courtesy of Michael D. Lee; cite Lee, "
                "Pincombe & Welsh 2005",
        how_to_get="install gensim: lee_background.cor ships in gensim/test/test_data",
        files=("lee_background.cor",), source="gensim"),
    # ------------------------------------------------------------------ classification
    CorpusSpec(
        "mr", "textcat", "MR movie-review sentence polarity (Pang & Lee 2005), 2 classes, 10,662 snippets",
        f"{_BM}:load_mr", splits="no fixed split: 10-fold CV", license=_LICENSE["mr"], how_to_get=HOW_SHARED,
        files=("sentclf/MR/rt-polarity.neg", "sentclf/MR/rt-polarity.pos")),
    CorpusSpec(
        "trec", "textcat", "TREC question classification (Li & Roth 2002), 6 coarse classes",
        f"{_BM}:load_trec", splits="fixed train 5,452 / test 500", license=_LICENSE["trec"],
        how_to_get=HOW_SHARED, files=("sentclf/TREC/train_5500.label", "sentclf/TREC/TREC_10.label")),
    CorpusSpec(
        "trec50", "textcat", "TREC question classification (Li & Roth 2002), 50 fine classes",
        f"{_BM}:load_trec50", splits="fixed train 5,452 / test 500", license=_LICENSE["trec"],
        how_to_get=HOW_SHARED, files=("sentclf/TREC/train_5500.label", "sentclf/TREC/TREC_10.label")),
    CorpusSpec(
        "sst1", "textcat", "SST-1 sentence-level 5-way sentiment (Socher et al. 2013)",
        f"{_BM}:load_sst1", splits="fixed train 8,544 / dev 1,101 / test 2,210", license=_LICENSE["sst"],
        how_to_get=HOW_SHARED, files=_SST1),
    CorpusSpec(
        "sst2", "textcat", "SST-2 sentence-level binary sentiment (Socher et al. 2013)",
        f"{_BM}:load_sst2", splits="fixed train 6,920 / dev 872 / test 1,821", license=_LICENSE["sst"],
        how_to_get=HOW_SHARED, files=_SST2),
    CorpusSpec(
        "sst2_phrases", "textcat",
        "SST-2 trained on its 67,349 phrase-level training examples (SentEval), sentence-level dev/test",
        f"{_BM}:load_sst2_phrases", splits="fixed train 67,349 phrases / dev 872 / test 1,821 sentences",
        license=_LICENSE["sst"], how_to_get=HOW_SHARED,
        files=("sentclf/SST-2/senteval/sentiment-train",) + _SST2[1:]),
    CorpusSpec(
        "sst1_phrases", "textcat",
        "SST-1 trained on every distinct labelled phrase of its training trees (Kim 2014), sentence-level dev/test",
        f"{_BM}:load_sst1_phrases",
        splits="fixed train 159,274 phrases (of the 8,544 training trees) / dev 1,101 / test 2,210 sentences "
               "(5 dev/test sentences are also training phrases, same labels)",
        license=_LICENSE["sst"], how_to_get=HOW_SHARED, files=_TREES),
    CorpusSpec(
        "sst2_tree_phrases", "textcat",
        "SST-2 trained on every distinct non-neutral phrase of the SST training trees, sentence-level dev/test",
        f"{_BM}:load_sst2_tree_phrases",
        splits="fixed train 77,616 phrases / dev 872 / test 1,821 sentences (labels 0,1 -> 0; 3,4 -> 1; 2 dropped)",
        license=_LICENSE["sst"], how_to_get=HOW_SHARED, files=_TREES),
    CorpusSpec(
        "20ng", "textcat", "20 Newsgroups bydate (headers kept), 20 classes",
        f"{_BM}:load_20newsgroups", splits="fixed train 11,314 / test 7,532 (by date)", license=_LICENSE["20ng"],
        how_to_get=HOW_SHARED, files=("20newsgroups/20news-bydate.tar.gz",)),
    CorpusSpec(
        "sms", "textcat", "SMS Spam Collection v.1 (Almeida et al. 2011), ham/spam",
        f"{_BM}:load_sms", splits="stratified seeded (0) 80/20: train 4,460 / test 1,114", license=_LICENSE["sms"],
        how_to_get=HOW_SHARED, files=("sms_spam/SMSSpamCollection",)),
    CorpusSpec(
        "mini_newsgroup", "textcat",
        "gensim test data: 200 newsgroup posts (headers removed), alt.atheism vs sci.space",
        f"{_BM}:load_mini_newsgroup", splits="no fixed split: 5-fold CV", license=_LICENSE["gensim"],
        how_to_get=HOW_GENSIM, files=("mini_newsgroup",), source="gensim"),
    CorpusSpec(
        "polarity", "textcat", "gensim test data: 200 Pang & Lee snippets (pang_lee_polarity.cor), neg/pos",
        f"{_BM}:load_polarity", splits="no fixed split: 5-fold CV", license=_LICENSE["gensim"],
        how_to_get=HOW_GENSIM, files=("pang_lee_polarity.cor",), source="gensim"),
)

_REGISTRY: dict[str, CorpusSpec] = {spec.name: spec for spec in _ENTRIES}


def register(spec: CorpusSpec) -> CorpusSpec:
    """Add (or replace) an entry; returns it."""
    _REGISTRY[spec.name] = spec
    return spec


def get(name: str) -> CorpusSpec:
    """The entry called ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown corpus {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def names(task: str | None = None) -> list[str]:
    """Sorted names, of one task's corpora when ``task`` is given."""
    return sorted(n for n, s in _REGISTRY.items() if task is None or s.task == task)
