"""Labeled text for classification: readers for user files and the benchmark loaders.

Two kinds of entry point live here.

* **Readers** for the user's own data, each returning a :class:`LabeledData`:
  :func:`read_fasttext` (``__label__pos great film``), :func:`read_tsv` (``label<TAB>text``, or
  ``label,text`` CSV with quoting), :func:`read_folder` (one subfolder per class, one document
  per file) and :func:`read_labeled`, which picks one of them by folder, extension or content
  (``-`` is stdin, as in fastText). Every malformed input raises :class:`ffnlp.errors.DataError`
  naming the file, the 1-based line and, for undecodable bytes, the byte offset.
* **Benchmark loaders**, registered in :mod:`ffnlp.corpora` with ``task="textcat"`` and returning
  a :class:`TextCatDataset`: ``mr``, ``trec``, ``trec50``, ``sst1``, ``sst2``, ``20ng``, ``sms`` (from
  the shared data folder, found with :func:`ffnlp.corpora.find_data`) and two small sets shipped
  with gensim's tests, ``mini_newsgroup`` and ``polarity``. :func:`load_textcat_dataset` takes a
  registered name or a path.

Texts are returned as raw strings (decoded, one surrounding-whitespace strip for line formats);
tokenization is the model pipeline's job. Labels are strings; a multi-label file gives one list of
strings per document. This module knows nothing of models: it imports only ``ffnlp.errors`` and
``ffnlp.corpora`` from ffnlp.

Examples
--------
>>> from ffnlp.text.labeled import load_textcat_dataset
>>> ds = load_textcat_dataset("polarity")          # gensim's 200 Pang & Lee snippets
>>> len(ds.train), ds.n_classes, ds.cv_folds
(200, 2, 5)
>>> ds.train.labels[0], ds.train.texts[0]
('neg', 'simplistic , silly and tedious .')
"""
from __future__ import annotations

import codecs
import csv
import importlib.util
import io
import logging
import pickle
import re
import sys
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ffnlp.corpora import CorpusSpec, data_roots, find_data, register
from ffnlp.errors import DataError

logger = logging.getLogger(__name__)

LABEL_PREFIX = "__label__"
FORMATS = ("auto", "fasttext", "tsv", "csv", "folder")

# Registered benchmark sets of this module, name -> spec (also in ffnlp.corpora's registry).
TEXTCAT_DATASETS: dict[str, CorpusSpec] = {}


# ----------------------------------------------------------------------------- containers


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
    """

    texts: list[str]
    labels: list
    source: str = ""

    def __post_init__(self):
        if len(self.texts) != len(self.labels):
            raise ValueError(
                f"texts and labels differ in length: {len(self.texts)} texts, {len(self.labels)} labels"
                f" ({self.source})"
            )

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


# ----------------------------------------------------------------------------- low-level helpers


def _check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None


def _read_source(path) -> tuple[bytes, str]:
    """The bytes of ``path`` (``"-"``: stdin) and the name to use in messages."""
    if str(path) == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    p = Path(path)
    if p.is_dir():
        raise DataError("is a folder; use read_folder (or read_labeled with format='folder')", path=p)
    try:
        return p.read_bytes(), str(p)
    except FileNotFoundError:
        raise DataError("no such file", path=p) from None
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror or e}", path=p) from None


def _decode(raw: bytes, encoding: str, name) -> str:
    """Decode strictly; an error names the line and byte offset of the first bad byte."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataError(
            f"cannot decode byte 0x{raw[e.start]:02x} as {encoding} ({e.reason}); "
            "pass the file's encoding (e.g. encoding='latin-1')",
            path=name,
            line=line,
            offset=e.start,
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _lines(text: str):
    """(1-based line number, line) pairs; splits on ``\\n`` only and drops a trailing ``\\r``.

    ``str.splitlines`` is not used: it also splits on ``\\x85``, ``\\x0c``, ``\\u2028`` ..., which
    occur inside Latin-1 documents (MR has 0x85) and would shift every later line number.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for i, line in enumerate(lines, start=1):
        yield i, line[:-1] if line.endswith("\r") else line


def _nonempty(raw: bytes, name) -> None:
    if not raw.strip():
        raise DataError("empty file: no labeled documents", path=name)


def _finish(texts: list[str], labels: list, name: str) -> LabeledData:
    if not texts:
        raise DataError("empty file: no labeled documents", path=name)
    if any(isinstance(lab, list) for lab in labels) and any(len(lab) > 1 for lab in labels):
        labels = [list(lab) for lab in labels]
    else:
        labels = [lab[0] if isinstance(lab, list) else lab for lab in labels]
    return LabeledData(texts, labels, source=name)


# ----------------------------------------------------------------------------- parsers (text -> records)

_FT_LABELS = re.compile(r"\s*((?:" + re.escape(LABEL_PREFIX) + r"\S*(?:\s+|$))+)")


def _parse_fasttext(text: str, name: str) -> LabeledData:
    texts, labels = [], []
    for lineno, line in _lines(text):
        if not line.strip():
            continue
        m = _FT_LABELS.match(line)
        if m is None:
            raise DataError(
                f"no label: the line must start with {LABEL_PREFIX}<class> (got {line.strip()[:40]!r})",
                path=name,
                line=lineno,
            )
        labs = []
        for tok in m.group(1).split():
            lab = tok[len(LABEL_PREFIX):]
            if not lab:
                raise DataError(f"empty label {tok!r}", path=name, line=lineno)
            if lab not in labs:
                labs.append(lab)
        doc = line[m.end():].strip()
        if not doc:
            raise DataError("empty document: labels but no text", path=name, line=lineno)
        texts.append(doc)
        labels.append(labs)
    return _finish(texts, labels, name)


def _parse_delimited(text: str, name: str, delimiter: str, label_column: int, header: bool) -> LabeledData:
    """``label<delim>text`` lines split at the first (``label_column=-1``: last) delimiter."""
    texts, labels = [], []
    shown = "TAB" if delimiter == "\t" else repr(delimiter)
    first = True
    for lineno, line in _lines(text):
        if not line.strip():
            continue
        if header and first:
            first = False
            continue
        first = False
        if delimiter not in line:
            order = "label{0}text" if label_column == 0 else "text{0}label"
            raise DataError(
                f"no label: expected '{order.format('<' + shown + '>')}' (no {shown} in the line)",
                path=name,
                line=lineno,
            )
        if label_column == 0:
            lab, _, doc = line.partition(delimiter)
        else:
            doc, _, lab = line.rpartition(delimiter)
        lab, doc = lab.strip(), doc.strip()
        if not lab:
            raise DataError("empty label", path=name, line=lineno)
        if not doc:
            raise DataError("empty document: a label but no text", path=name, line=lineno)
        texts.append(doc)
        labels.append(lab)
    return _finish(texts, labels, name)


def _parse_csv(text: str, name: str, delimiter: str, label_column: int, header: bool) -> LabeledData:
    """CSV records (quoting as Excel writes it) whose first (or last) field is the label.

    A record with more than two fields keeps the other fields, joined by the delimiter, as its text
    (AG News style ``class,title,description``).
    """
    texts, labels = [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    first = True
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise DataError(f"malformed CSV: {e}", path=name, line=reader.line_num) from None
        lineno, start = start, reader.line_num + 1
        if not row or not "".join(row).strip():
            continue
        if header and first:
            first = False
            continue
        first = False
        if len(row) < 2:
            raise DataError(
                f"no label: expected 'label{delimiter}text', found one field {row[0].strip()[:40]!r}",
                path=name,
                line=lineno,
            )
        if label_column == 0:
            lab, doc = row[0], delimiter.join(row[1:])
        else:
            lab, doc = row[-1], delimiter.join(row[:-1])
        lab, doc = lab.strip(), doc.strip()
        if not lab:
            raise DataError("empty label", path=name, line=lineno)
        if not doc:
            raise DataError("empty document: a label but no text", path=name, line=lineno)
        texts.append(doc)
        labels.append(lab)
    return _finish(texts, labels, name)


def _parse_label_first(text: str, name: str, relabel: Callable[[str], str] | None = None) -> LabeledData:
    """``<label> <text>`` lines, label = first whitespace-separated token (SST, TREC)."""
    texts, labels = [], []
    for lineno, line in _lines(text):
        parts = line.split(None, 1)
        if not parts:
            raise DataError("empty line: expected '<label> <text>'", path=name, line=lineno)
        if len(parts) == 1:
            raise DataError(f"empty document: label {parts[0]!r} but no text", path=name, line=lineno)
        lab = parts[0]
        if relabel is not None:
            try:
                lab = relabel(lab)
            except ValueError as e:
                raise DataError(str(e), path=name, line=lineno) from None
        texts.append(parts[1].strip())
        labels.append(lab)
    return _finish(texts, labels, name)


def _parse_one_per_line(text: str, name: str, label: str) -> LabeledData:
    """One document per line, all of class ``label`` (MR's rt-polarity.pos / .neg)."""
    texts = []
    for lineno, line in _lines(text):
        doc = line.strip()
        if not doc:
            raise DataError("empty document (blank line)", path=name, line=lineno)
        texts.append(doc)
    return _finish(texts, [label] * len(texts), name)


# ----------------------------------------------------------------------------- public readers


def read_fasttext(path, *, encoding: str = "utf-8") -> LabeledData:
    """Read fastText supervised lines: ``__label__A [__label__B ...] text``.

    Parameters
    ----------
    path : str or Path
        The file; ``"-"`` reads stdin.
    encoding : str, default="utf-8"
        Decoded strictly; a leading byte-order mark is dropped.

    Returns
    -------
    LabeledData
        ``labels`` holds one string per document, or, when any line has several labels, one list of
        strings per document (multi-label). Label names lose the ``__label__`` prefix.

    Raises
    ------
    DataError
        Naming the file and line: a line that does not start with ``__label__`` ("no label"), a line
        with labels but no text ("empty document"), undecodable bytes (also the byte offset), or an
        empty file.

    Notes
    -----
    Labels are the ``__label__`` tokens at the start of a line; fastText also takes them from the
    middle of a line, here those stay part of the text. Blank lines are skipped; the text is
    stripped of surrounding whitespace, otherwise kept as written.
    """
    _check_encoding(encoding)
    raw, name = _read_source(path)
    _nonempty(raw, name)
    return _parse_fasttext(_decode(raw, encoding, name), name)


def read_tsv(
    path,
    *,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    label_column: int = 0,
    header: bool = False,
) -> LabeledData:
    """Read ``label<TAB>text`` lines, or ``label,text`` CSV.

    Parameters
    ----------
    path : str or Path
        The file; ``"-"`` reads stdin.
    encoding : str, default="utf-8"
        Decoded strictly; a leading byte-order mark is dropped.
    delimiter : str or None, default=None
        None means ``","`` for a ``.csv`` file and TAB otherwise. With ``","`` records are parsed by
        the :mod:`csv` module (double-quote quoting, quoted newlines); any other delimiter splits
        each line at its first occurrence and keeps quotes as text (SMS messages contain ``"``).
    label_column : {0, -1}, default=0
        0: label first (``label<TAB>text``); -1: label last (SentEval's ``text<TAB>label``).
    header : bool, default=False
        Skip the first record.

    Returns
    -------
    LabeledData

    Raises
    ------
    DataError
        Naming the file and line: no delimiter in a line ("no label"), an empty label or text,
        malformed CSV, undecodable bytes (with byte offset), an empty file.
    """
    _check_encoding(encoding)
    if label_column not in (0, -1):
        raise ValueError(f"label_column must be 0 or -1, got {label_column!r}")
    if delimiter is None:
        delimiter = "," if str(path).lower().endswith(".csv") else "\t"
    if len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character, got {delimiter!r}")
    raw, name = _read_source(path)
    _nonempty(raw, name)
    text = _decode(raw, encoding, name)
    if delimiter == ",":
        return _parse_csv(text, name, delimiter, label_column, header)
    return _parse_delimited(text, name, delimiter, label_column, header)


def read_folder(path, *, encoding: str = "utf-8") -> LabeledData:
    """Read one subfolder per class, one document per file (scikit-learn's ``load_files`` layout).

    Parameters
    ----------
    path : str or Path
        Folder whose subfolders are named after the classes. Names starting with ``.`` are ignored,
        as are files directly in ``path`` (a README) and folders nested inside a class folder.
    encoding : str, default="utf-8"

    Returns
    -------
    LabeledData
        Classes in name order, files in name order within a class; texts as decoded (not stripped).

    Raises
    ------
    DataError
        A missing folder or one without class subfolders, a document that is empty or only
        whitespace, an undecodable document (its line and byte offset), no documents at all.
    """
    _check_encoding(encoding)
    root = Path(path)
    if not root.is_dir():
        raise DataError("not a folder" if root.exists() else "no such folder", path=root)
    class_dirs = sorted((d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")), key=lambda d: d.name)
    if not class_dirs:
        raise DataError("no class subfolders (expected <folder>/<class>/<document>)", path=root)
    texts, labels = [], []
    for d in class_dirs:
        n_before = len(texts)
        for f in sorted(d.iterdir(), key=lambda f: f.name):
            if f.name.startswith("."):
                continue
            if not f.is_file():
                logger.warning("%s: skipping %s (not a file)", root, f)
                continue
            try:
                raw = f.read_bytes()
            except OSError as e:
                raise DataError(f"cannot read: {e.strerror or e}", path=f) from None
            doc = _decode(raw, encoding, f)
            if not doc.strip():
                raise DataError("empty document", path=f, line=1)
            texts.append(doc)
            labels.append(d.name)
        if len(texts) == n_before:
            logger.warning("%s: class folder %r holds no documents; class skipped", root, d.name)
    if not texts:
        raise DataError("no documents in any class subfolder", path=root)
    return LabeledData(texts, labels, source=str(root))


def read_labeled(path, *, encoding: str = "utf-8", format: str = "auto") -> LabeledData:
    """Read labeled text in any supported format.

    Parameters
    ----------
    path : str or Path
        A file, a folder, or ``"-"`` for stdin.
    encoding : str, default="utf-8"
    format : {"auto", "fasttext", "tsv", "csv", "folder"}, default="auto"
        ``"auto"``: a folder is read by :func:`read_folder`; a ``.csv`` file as CSV, a ``.tsv`` file
        as TSV; any other file (or stdin) as fastText when its first non-blank line starts with
        ``__label__``, as TSV when it holds a TAB.

    Returns
    -------
    LabeledData

    Raises
    ------
    DataError
        From the chosen reader, or when the format cannot be told from the content.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
    _check_encoding(encoding)
    is_dir = str(path) != "-" and Path(path).is_dir()
    if format == "folder" or (format == "auto" and is_dir):
        return read_folder(path, encoding=encoding)
    raw, name = _read_source(path)
    _nonempty(raw, name)
    text = _decode(raw, encoding, name)
    suffix = Path(name).suffix.lower() if name != "<stdin>" else ""
    if format == "auto":
        format = {".csv": "csv", ".tsv": "tsv"}.get(suffix) or _sniff(text, name)
        logger.debug("%s: read as %s", name, format)
    if format == "fasttext":
        return _parse_fasttext(text, name)
    if format == "csv":
        return _parse_csv(text, name, ",", 0, False)
    return _parse_delimited(text, name, "\t", 0, False)


def _sniff(text: str, name: str) -> str:
    for lineno, line in _lines(text):
        if not line.strip():
            continue
        if line.lstrip().startswith(LABEL_PREFIX):
            return "fasttext"
        if "\t" in line:
            return "tsv"
        raise DataError(
            f"cannot tell the format: the first line neither starts with {LABEL_PREFIX} nor holds a TAB; "
            "pass format='fasttext', 'tsv', 'csv' or 'folder'",
            path=name,
            line=lineno,
        )
    raise DataError("empty file: no labeled documents", path=name)


# ----------------------------------------------------------------------------- safe unpickling of an old sklearn Bunch


class _Bunch(dict):
    """Stand-in for ``sklearn.datasets.base.Bunch``: a plain dict, no behaviour."""


class _NDArrayType:
    """Stand-in for the ``numpy.ndarray`` class as it appears in ``_reconstruct(ndarray, ...)``."""


_SAFE_DTYPE = re.compile(r"[<>|=]?(?:[biuf][1248]|f2|[SU][0-9]{1,6})\Z")


class _DTypeState:
    """What ``numpy.dtype(spec, align, copy)`` + BUILD(state) described, without calling numpy on it."""

    def __init__(self, spec, align=0, copy=1):
        if not isinstance(spec, str) or not _SAFE_DTYPE.match(spec):
            raise pickle.UnpicklingError(f"refusing dtype {spec!r} (only bool/int/float/bytes/str)")
        self.spec = spec
        self.order = "="

    def __setstate__(self, state):
        # (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
        if not isinstance(state, tuple) or len(state) < 8 or state[1] not in ("<", ">", "|", "="):
            raise pickle.UnpicklingError(f"unexpected dtype state {state!r:.80}")
        if any(s is not None for s in state[2:5]):
            raise pickle.UnpicklingError("refusing a structured or subarray dtype")
        self.order = state[1]

    def to_numpy(self) -> np.dtype:
        dt = np.dtype(self.spec)
        return dt.newbyteorder(self.order) if self.order in "<>" else dt


class _ArrayState:
    """What ``numpy.core.multiarray._reconstruct`` + BUILD(state) described; see :meth:`to_numpy`."""

    def __init__(self):
        self.state = None

    def __setstate__(self, state):
        # (version, shape, dtype, is_fortran, raw bytes)
        if (
            not isinstance(state, tuple)
            or len(state) != 5
            or not isinstance(state[1], tuple)
            or not all(isinstance(n, int) and n >= 0 for n in state[1])
            or not isinstance(state[2], _DTypeState)
            or not isinstance(state[4], (bytes, str))
        ):
            raise pickle.UnpicklingError(f"unexpected ndarray state {state!r:.80}")
        self.state = state

    def to_numpy(self) -> np.ndarray:
        if self.state is None:
            raise pickle.UnpicklingError("ndarray without state")
        _, shape, dtype, fortran, raw = self.state
        if isinstance(raw, str):  # a Python 2 str read with encoding="latin-1"
            raw = raw.encode("latin-1")
        dt = dtype.to_numpy()
        if len(raw) != int(np.prod(shape)) * dt.itemsize:
            raise pickle.UnpicklingError(f"ndarray of shape {shape} and dtype {dt} cannot hold {len(raw)} bytes")
        arr = np.frombuffer(raw, dtype=dt).reshape(shape, order="F" if fortran else "C")
        return arr.copy()


def _reconstructor(cls, base, state):
    # copy_reg._reconstructor(cls, base, state) == base.__new__(cls, state); base.__init__(obj, state)
    if cls is not _Bunch or base is not dict or not isinstance(state, (dict, type(None))):
        raise pickle.UnpicklingError("copy_reg._reconstructor is allowed only for Bunch(dict)")
    return _Bunch(state or {})


def _ndarray_reconstruct(subtype, shape, typecode):
    if subtype is not _NDArrayType:
        raise pickle.UnpicklingError("numpy _reconstruct is allowed only for numpy.ndarray")
    return _ArrayState()


_SAFE_GLOBALS = {
    ("copy_reg", "_reconstructor"): _reconstructor,
    ("copyreg", "_reconstructor"): _reconstructor,
    ("__builtin__", "dict"): dict,
    ("builtins", "dict"): dict,
    ("sklearn.datasets.base", "Bunch"): _Bunch,
    ("sklearn.datasets._base", "Bunch"): _Bunch,
    ("sklearn.utils", "Bunch"): _Bunch,
    ("sklearn.utils._bunch", "Bunch"): _Bunch,
    ("numpy.core.multiarray", "_reconstruct"): _ndarray_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _ndarray_reconstruct,
    ("numpy", "ndarray"): _NDArrayType,
    ("numpy", "dtype"): _DTypeState,
}


class _BunchUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals of an old scikit-learn ``Bunch`` of arrays.

    ``find_class`` maps each allowed ``(module, name)`` to an inert stand-in defined here (no
    scikit-learn or numpy code runs while unpickling) and raises for anything else, so a pickle that
    names ``os.system``, ``builtins.eval``, ``subprocess.Popen`` ... is refused before any call.
    """

    def find_class(self, module, name):
        try:
            return _SAFE_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing global {module}.{name}") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing a persistent id")


def _materialize(obj, depth=0):
    if depth > 20:
        raise pickle.UnpicklingError("nested too deeply")
    if isinstance(obj, _ArrayState):
        return obj.to_numpy()
    if isinstance(obj, (_DTypeState, _NDArrayType)) or isinstance(obj, type):
        raise pickle.UnpicklingError(f"unexpected {type(obj).__name__} object in the data")
    if isinstance(obj, dict):
        return {k: _materialize(v, depth + 1) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_materialize(v, depth + 1) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_materialize(v, depth + 1) for v in obj)
    return obj


_MAX_PICKLE_BYTES = 64 << 20


def read_bunch_pickle(path) -> dict:
    """Read a (zlib-compressed) pickle of an old scikit-learn ``Bunch`` without running its code.

    gensim's ``mini_newsgroup`` test file is such a pickle (protocol 0, Python 2): a
    ``copy_reg._reconstructor`` call building ``sklearn.datasets.base.Bunch`` from a dict of lists
    and numpy arrays (``numpy.core.multiarray._reconstruct``, ``numpy.ndarray``, ``numpy.dtype``),
    as ``pickletools.dis`` shows. A plain :func:`pickle.load` would import and call whatever globals
    a file names, so it is never used on it. Instead a restricted unpickler resolves exactly those
    six globals to inert stand-ins that only record their arguments; arrays are rebuilt afterwards
    with :func:`numpy.frombuffer` from a whitelisted dtype (bool, int, float, bytes, str; no object
    arrays). Any other global, a persistent id, or an unexpected state is refused.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict
        The Bunch's keys, with numpy arrays as :class:`numpy.ndarray` and Python 2 byte strings
        decoded as Latin-1.

    Raises
    ------
    DataError
        Naming the file: not a pickle, a refused global (named in the message), a malformed state.
    """
    raw, name = _read_source(path)
    if raw[:1] == b"x":  # zlib header (0x78); 'x' is not a pickle opcode
        try:
            d = zlib.decompressobj()
            raw = d.decompress(raw, _MAX_PICKLE_BYTES)
            if d.unconsumed_tail:
                raise DataError(f"decompresses to more than {_MAX_PICKLE_BYTES} bytes", path=name)
        except zlib.error as e:
            raise DataError(f"corrupt zlib data: {e}", path=name) from None
    try:
        obj = _BunchUnpickler(io.BytesIO(raw), encoding="latin-1").load()
        obj = _materialize(obj)
    except DataError:
        raise
    except Exception as e:  # UnpicklingError, and TypeError/AttributeError from a crafted stream
        raise DataError(
            f"refusing to unpickle ({type(e).__name__}: {e}); only an old scikit-learn Bunch of lists and "
            "numpy arrays can be read safely",
            path=name,
        ) from None
    if not isinstance(obj, dict):
        raise DataError(f"expected a Bunch (dict), found {type(obj).__name__}", path=name)
    return obj


# ----------------------------------------------------------------------------- benchmark loaders


def _searched(*relatives: str) -> list[str]:
    return [str(root / rel) for rel in relatives for root in data_roots()]


def _require(corpus: str, relative: str) -> Path:
    p = find_data(relative)
    if p is None:
        raise DataError(
            f"{corpus}: data not found; looked in: {', '.join(_searched(relative))}. "
            "Set FFNLP_DATA to the folder holding the shared benchmark data"
        )
    return p


def _read_text(path: Path, encoding: str) -> str:
    raw, name = _read_source(path)
    _nonempty(raw, name)
    return _decode(raw, encoding, name)


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
        parts.append(_parse_one_per_line(_read_text(path, "latin-1"), str(path), label))
    train = _concat(parts, str(Path(parts[0].source).parent))
    return TextCatDataset("mr", train, cv_folds=10, description=_SPECS["mr"]["description"])


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
        splits.append(_parse_label_first(_read_text(path, "latin-1"), str(path), relabel))
    return TextCatDataset(name, splits[0], test=splits[1], description=_SPECS[name]["description"])


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
        splits[split] = _parse_label_first(_read_text(path, "utf-8"), str(path))
    return TextCatDataset(
        name, splits["train"], test=splits["test"], valid=splits["dev"], description=_SPECS[name]["description"]
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
    phrases = _parse_delimited(_read_text(path, "utf-8"), str(path), "\t", -1, False)
    return TextCatDataset("sst2_phrases", phrases, test=sentences.test, valid=sentences.valid,
                          description=_SPECS["sst2_phrases"]["description"])


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
        "20ng", data["20news-bydate-train"], test=data["20news-bydate-test"], description=_SPECS["20ng"]["description"]
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
        description=_SPECS["sms"]["description"],
    )


def gensim_test_data(name: str) -> Path | None:
    """``gensim/test/test_data/<name>`` of the installed gensim (found without importing it), or None."""
    try:
        spec = importlib.util.find_spec("gensim")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        p = Path(loc) / "test" / "test_data" / name
        if p.exists():
            return p
    return None


def _require_gensim(corpus: str, name: str) -> Path:
    p = gensim_test_data(name)
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
    return TextCatDataset("mini_newsgroup", train, cv_folds=5, description=_SPECS["mini_newsgroup"]["description"])


def load_polarity() -> TextCatDataset:
    """gensim's ``pang_lee_polarity.cor``: 200 MR snippets, 100 ``neg`` + 100 ``pos``.

    The file is labeled, in fastText format (``__label__neg ...``, the corpus gensim's fastText
    test model was trained on), and Latin-1/Windows-1252 (bytes 0x97, 0xe9), so it is read with
    ``encoding="latin-1"``. No fixed split: ``cv_folds=5``.
    """
    path = _require_gensim("polarity", "pang_lee_polarity.cor")
    train = read_fasttext(path, encoding="latin-1")
    return TextCatDataset("polarity", train, cv_folds=5, description=_SPECS["polarity"]["description"])


# ----------------------------------------------------------------------------- registry

_DATA_LICENSE = {
    "mr": "(c) Pang & Lee; NLTK lists it as CC BY 4.0; cite Pang & Lee, ACL 2005",
    "trec": "no license stated (research data); cite Li & Roth, COLING 2002",
    "sst": "no license stated (research data); cite Socher et al., EMNLP 2013",
    "20ng": "no license stated; public Usenet posts (1993), research use",
    "sms": "(c) Almeida & Gomez Hidalgo; free to use, no warranty, citation requested",
    "gensim": "shipped with gensim (LGPL-2.1) as test data",
}
_HOW_SHARED = "put the shared benchmark data under $FFNLP_DATA (see shared/data/README.md); nothing is downloaded"
_HOW_GENSIM = "install gensim (its test data ships with the package)"

_SPECS: dict[str, dict] = {
    "mr": dict(
        description="MR movie-review sentence polarity (Pang & Lee 2005), 2 classes, 10,662 snippets",
        files=["sentclf/MR/rt-polarity.neg", "sentclf/MR/rt-polarity.pos"],
        load=load_mr,
        splits="no fixed split: 10-fold CV",
        license=_DATA_LICENSE["mr"],
    ),
    "trec": dict(
        description="TREC question classification (Li & Roth 2002), 6 coarse classes",
        files=["sentclf/TREC/train_5500.label", "sentclf/TREC/TREC_10.label"],
        load=load_trec,
        splits="fixed train 5,452 / test 500",
        license=_DATA_LICENSE["trec"],
    ),
    "trec50": dict(
        description="TREC question classification (Li & Roth 2002), 50 fine classes",
        files=["sentclf/TREC/train_5500.label", "sentclf/TREC/TREC_10.label"],
        load=load_trec50,
        splits="fixed train 5,452 / test 500",
        license=_DATA_LICENSE["trec"],
    ),
    "sst1": dict(
        description="SST-1 sentence-level 5-way sentiment (Socher et al. 2013)",
        files=[f"sentclf/SST-1/stsa.fine.{s}" for s in ("train", "dev", "test")],
        load=load_sst1,
        splits="fixed train 8,544 / dev 1,101 / test 2,210",
        license=_DATA_LICENSE["sst"],
    ),
    "sst2": dict(
        description="SST-2 sentence-level binary sentiment (Socher et al. 2013)",
        files=[f"sentclf/SST-2/stsa.binary.{s}" for s in ("train", "dev", "test")],
        load=load_sst2,
        splits="fixed train 6,920 / dev 872 / test 1,821",
        license=_DATA_LICENSE["sst"],
    ),
    "sst2_phrases": dict(
        description="SST-2 trained on its 67,349 phrase-level training examples (SentEval), sentence-level dev/test",
        files=["sentclf/SST-2/senteval/sentiment-train"] + [f"sentclf/SST-2/stsa.binary.{s}" for s in ("dev", "test")],
        load=load_sst2_phrases,
        splits="fixed train 67,349 phrases / dev 872 / test 1,821 sentences",
        license=_DATA_LICENSE["sst"],
    ),
    "20ng": dict(
        description="20 Newsgroups bydate (headers kept), 20 classes",
        files=["20newsgroups/20news-bydate.tar.gz"],
        load=load_20newsgroups,
        splits="fixed train 11,314 / test 7,532 (by date)",
        license=_DATA_LICENSE["20ng"],
    ),
    "sms": dict(
        description="SMS Spam Collection v.1 (Almeida et al. 2011), ham/spam",
        files=["sms_spam/SMSSpamCollection"],
        load=load_sms,
        splits="stratified seeded (0) 80/20: train 4,460 / test 1,114",
        license=_DATA_LICENSE["sms"],
    ),
    "mini_newsgroup": dict(
        description="gensim test data: 200 newsgroup posts (headers removed), alt.atheism vs sci.space",
        gensim="mini_newsgroup",
        load=load_mini_newsgroup,
        splits="no fixed split: 5-fold CV",
        license=_DATA_LICENSE["gensim"],
    ),
    "polarity": dict(
        description="gensim test data: 200 Pang & Lee snippets (pang_lee_polarity.cor), neg/pos",
        gensim="pang_lee_polarity.cor",
        load=load_polarity,
        splits="no fixed split: 5-fold CV",
        license=_DATA_LICENSE["gensim"],
    ),
}


def _locate_all(files: list[str]) -> Callable[[], Path | None]:
    def locate():
        found = [find_data(f) for f in files]
        return found[0] if all(found) else None

    return locate


def _register_all() -> None:
    for name, s in _SPECS.items():
        if "gensim" in s:
            gname = s["gensim"]
            locate = lambda gname=gname: gensim_test_data(gname)  # noqa: E731
            searched = lambda gname=gname: [f"gensim/test/test_data/{gname}"]  # noqa: E731
            how = _HOW_GENSIM
        else:
            locate = _locate_all(s["files"])
            searched = lambda files=tuple(s["files"]): _searched(*files)  # noqa: E731
            how = _HOW_SHARED
        spec = CorpusSpec(
            name=name,
            task="textcat",
            description=s["description"],
            locate=locate,
            load=s["load"],
            splits=s["splits"],
            license=s["license"],
            how_to_get=how,
            searched=searched,
        )
        TEXTCAT_DATASETS[name] = register(spec)


_register_all()


def load_textcat_dataset(name_or_path, *, encoding: str = "utf-8", format: str = "auto") -> TextCatDataset:
    """A registered benchmark by name, or the user's labeled data from a file, folder or stdin.

    Parameters
    ----------
    name_or_path : str or Path
        One of ``mr``, ``trec``, ``trec50``, ``sst1``, ``sst2``, ``sst2_phrases``, ``20ng``, ``sms``, ``mini_newsgroup``,
        ``polarity``; otherwise a path (``"-"``: stdin) read by :func:`read_labeled`, whose data all
        goes to ``train``.
    encoding, format : str
        For user files only, see :func:`read_labeled`.

    Returns
    -------
    TextCatDataset

    Raises
    ------
    DataError
        Benchmark data absent (the message lists where it looked), a malformed user file, or a name
        that is neither registered nor an existing path.
    """
    key = str(name_or_path)
    if key in TEXTCAT_DATASETS:
        return TEXTCAT_DATASETS[key].load()
    if key == "-" or Path(key).exists():
        data = read_labeled(name_or_path, encoding=encoding, format=format)
        return TextCatDataset(
            Path(key).name if key != "-" else "<stdin>", data, description=f"user data from {data.source}"
        )
    raise DataError(
        f"{key!r} is neither a registered textcat dataset ({', '.join(sorted(TEXTCAT_DATASETS))}) "
        "nor an existing file or folder"
    )


__all__ = [
    "LABEL_PREFIX",
    "LabeledData",
    "TextCatDataset",
    "read_fasttext",
    "read_tsv",
    "read_folder",
    "read_labeled",
    "read_bunch_pickle",
    "stratified_split",
    "strip_newsgroup_header",
    "gensim_test_data",
    "load_mr",
    "load_trec",
    "load_trec50",
    "load_sst1",
    "load_sst2",
    "load_20newsgroups",
    "load_sms",
    "load_mini_newsgroup",
    "load_polarity",
    "load_textcat_dataset",
    "TEXTCAT_DATASETS",
]
