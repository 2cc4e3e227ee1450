"""The containers of the text pipeline: labeled documents, classification benchmarks, LM splits.

They hold data only; the readers (:mod:`ffnlp.text.readers`) and loaders (:mod:`ffnlp.text.benchmarks`,
:mod:`ffnlp.text.lm_corpora`) fill them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["LabeledData", "TextCatDataset", "LMSplits", "SPLIT_NAMES"]

SPLIT_NAMES = ("train", "valid", "test")


@dataclass
class LabeledData:
    """Documents with their labels.

    Attributes
    ----------
    texts : list of str of length n_samples
        Raw documents.
    labels : list of str, or list of list of str, of length n_samples
        One class name per document; for multi-label data one list of class names per document.
    source : str
        Where the data came from (a path, ``"<stdin>"`` or a description).
    lines : list of int or None
        The 1-based line of each document in ``source``, when it came from a line format (None for a
        folder of files or a CSV file); messages about a document name it.
    paths : list of str or None
        The file of each document, when the documents came from several files.
    """

    texts: list[str]
    labels: list
    source: str = ""
    lines: list | None = field(default=None, compare=False, repr=False)
    paths: list | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if len(self.texts) != len(self.labels):
            raise ValueError(
                f"texts and labels differ in length: {len(self.texts)} texts, {len(self.labels)} labels"
                f" ({self.source})"
            )
        for name in ("lines", "paths"):
            where = getattr(self, name)
            if where is not None and len(where) != len(self.texts):
                raise ValueError(f"{name} has {len(where)} entries for {len(self.texts)} texts ({self.source})")

    def where(self, index: int) -> dict:
        """``DataError`` keyword arguments naming document ``index``: its file and, if known, its line."""
        path = self.paths[index] if self.paths is not None else self.source
        return {"path": path, "line": self.lines[index] if self.lines is not None else None}

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def multilabel(self) -> bool:
        """True when each document carries a list of labels."""
        return bool(self.labels) and isinstance(self.labels[0], list)

    @property
    def classes(self) -> list[str]:
        """Sorted distinct class names."""
        if self.multilabel:
            return sorted({lab for labs in self.labels for lab in labs})
        return sorted(set(self.labels))


@dataclass
class TextCatDataset:
    """A text classification benchmark: its splits and how it is evaluated.

    Attributes
    ----------
    name : str
        Registry name (``"trec"``) or the file name for user data.
    train : LabeledData
        All the data when there is no fixed split (then ``cv_folds`` says how to evaluate).
    test, valid : LabeledData or None
        Fixed test and validation splits, when the benchmark defines them.
    cv_folds : int or None
        Number of cross-validation folds of the standard protocol (10 for MR) when there is no
        fixed test split; the folds are made by the caller (seeded ``StratifiedKFold``).
    description : str
        One line on origin and split.
    n_classes : int or None
        Number of distinct classes over all splits; computed when None.
    """

    name: str
    train: LabeledData
    test: LabeledData | None = None
    valid: LabeledData | None = None
    cv_folds: int | None = None
    description: str = ""
    n_classes: int | None = None

    def __post_init__(self):
        if self.n_classes is None:
            self.n_classes = len(self.classes)

    @property
    def classes(self) -> list[str]:
        """Sorted distinct class names over all splits."""
        names: set[str] = set()
        for split in (self.train, self.valid, self.test):
            if split is not None:
                names.update(split.classes)
        return sorted(names)


@dataclass
class LMSplits:
    """A language-modelling corpus split three ways.

    Attributes
    ----------
    train, valid, test : list of list of str
        Sentences as token lists (no ``</s>``: encoding adds it).
    name : str
        Registry name, or the path the corpus came from.
    description : str
        Where the text came from and how it was tokenized and split.
    split_kind : {"fixed", "seeded", "word_counts"}
        The corpus's own train/valid/test files; a seeded split of its lines or documents; or cuts of
        its word stream after fixed word counts (Bengio's Brown).
    tokenizer : str
        ``"default"`` (:func:`~ffnlp.text.tokenize.tokenize`), ``"whitespace"`` (``str.split``), or
        ``"tags dropped"`` and the like for a corpus with its own format.
    lowercase : bool
        Whether the text was lower-cased (text given at predict time must be treated the same way).
    counting : str
        Where ``</s>`` goes, in words (``"</s> per non-blank line"``, ``"one stream, no </s>"`` ...).
    sentence_ends : bool
        Whether encoding appends ``</s>`` to every sentence (False: one word stream).
    vocab_from : {"train", "all"}
        Which text the vocabulary's counts come from: the training split (the usual protocol) or the
        whole corpus (Bengio et al. 2003 on Brown).
    files : dict
        Split name -> the file(s) it was read from, where known.
    split_note : str
        The split in a few words, for the output (``"seeded 80/10/10 of its lines (seed 0) ..."``).
    """

    train: list[list[str]]
    valid: list[list[str]]
    test: list[list[str]]
    name: str
    description: str
    split_kind: str = "fixed"
    tokenizer: str = "whitespace"
    lowercase: bool = False
    counting: str = "</s> per sentence"
    sentence_ends: bool = True
    vocab_from: str = "train"
    files: dict = field(default_factory=dict)
    split_note: str = ""

    def __post_init__(self):
        if self.vocab_from not in ("train", "all"):
            raise ValueError(f"vocab_from must be 'train' or 'all', got {self.vocab_from!r}")

    def vocab_sentences(self):
        """The sentences the vocabulary is counted on (``vocab_from``): the training split, or all three."""
        if self.vocab_from == "train":
            return self.train
        return [*self.train, *self.valid, *self.test]

    def encoded_tokens(self) -> dict[str, int]:
        """Tokens of each split as encoded and scored: words, plus ``</s>`` per sentence if ``sentence_ends``."""
        return self.n_tokens(eos=self.sentence_ends)

    def protocol(self) -> dict:
        """How the corpus was read, split and counted, for the output of ``ffnlp lm train``."""
        return {"corpus": self.name, "split": self.split_kind, "split_note": self.split_note,
                "split_files": {k: str(v) for k, v in self.files.items()} or None,
                "tokenizer": self.tokenizer, "lowercase": self.lowercase, "counting": self.counting,
                "vocab_from": self.vocab_from, "split_tokens": self.encoded_tokens(),
                "split_sentences": self.n_sentences()}

    def split(self, name: str) -> list[list[str]]:
        """The split called ``name`` (``"train"``, ``"valid"`` or ``"test"``)."""
        if name not in SPLIT_NAMES:
            raise ValueError(f"split must be one of {SPLIT_NAMES}, got {name!r}")
        return getattr(self, name)

    def n_tokens(self, *, eos: bool = False) -> dict[str, int]:
        """Token count of each split: words only, or words plus one ``</s>`` per sentence."""
        extra = {s: len(self.split(s)) if eos else 0 for s in SPLIT_NAMES}
        return {s: sum(map(len, self.split(s))) + extra[s] for s in SPLIT_NAMES}

    def n_sentences(self) -> dict[str, int]:
        """Sentence count of each split."""
        return {s: len(self.split(s)) for s in SPLIT_NAMES}

    def __repr__(self) -> str:
        counts = ", ".join(f"{s}={n:,}" for s, n in self.n_tokens().items())
        return f"LMSplits({self.name!r}, tokens: {counts})"
