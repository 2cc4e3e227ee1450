"""File readers: bytes to text (encodings, byte-order marks) and text to records, for every format.

* Labeled text, each reader returning a :class:`~ffnlp.text.datasets.LabeledData`:
  :func:`read_fasttext` (``__label__pos great film``), :func:`read_tsv` (``label<TAB>text``, or
  ``label,text`` CSV with quoting), :func:`read_folder` (one subfolder per class, one document per
  file), :func:`read_class_files` (one file per class, one document per line: ``NAME.pos`` /
  ``NAME.neg``) and :func:`read_labeled`, which picks one of them by folder, extension or content
  (``-`` is stdin, as in fastText). :func:`read_labeled_splits` reads a folder holding its own
  ``train``/``dev``/``test`` files.
* Unlabeled documents, one per line: :func:`read_documents`.
* Plain text for language modelling: :func:`read_lm_lines` and :func:`find_split_files`.

Every malformed input raises :class:`ffnlp.errors.DataError` naming the file, the 1-based line and,
for undecodable bytes, the byte offset. Text is read as UTF-8 by default and a leading byte-order mark
is dropped (``utf-8-sig``), whatever the encoding. The benchmark loaders (:mod:`ffnlp.text.benchmarks`)
use these readers; nothing here knows of a benchmark or of the registry.
"""
from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import sys
from pathlib import Path
from typing import Callable

from ffnlp.errors import DataError
from ffnlp.text.datasets import LabeledData

logger = logging.getLogger(__name__)

LABEL_PREFIX = "__label__"
FORMATS = ("auto", "fasttext", "tsv", "csv", "folder")
#: What to do with an empty document: stop with an error naming it, drop it, or keep it as "".
EMPTY = ("error", "drop", "keep")
DEFAULT_ENCODING = "utf-8-sig"

__all__ = [
    "LABEL_PREFIX", "FORMATS", "EMPTY", "DEFAULT_ENCODING", "read_source", "decode", "read_text",
    "read_fasttext", "read_tsv", "read_folder", "read_class_files", "read_labeled", "read_labeled_splits",
    "read_documents", "find_split_files", "split_of",
]


# ----------------------------------------------------------------------------- low-level helpers


def _check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None


def read_source(path) -> tuple[bytes, str]:
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


def decode(raw: bytes, encoding: str, name) -> str:
    """Decode strictly and drop a leading byte-order mark; an error names the line and byte offset of the
    first bad byte."""
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


def _keep_empty(empty: str, message: str, name, lineno) -> bool:
    """What to do with an empty document: raise (``"error"``), skip it (``"drop"``: False) or keep it."""
    if empty == "error":
        raise DataError(f"{message} (to drop or keep empty documents: empty='drop' or 'keep', "
                        "--empty-docs in the CLI)", path=name, line=lineno)
    return empty == "keep"


def _check_empty(empty: str) -> None:
    if empty not in EMPTY:
        raise ValueError(f"empty must be one of {', '.join(EMPTY)}; got {empty!r}")


def _finish(texts: list[str], labels: list, name: str, lines: list | None = None) -> LabeledData:
    if not texts:
        raise DataError("empty file: no labeled documents", path=name)
    if any(isinstance(lab, list) for lab in labels) and any(len(lab) > 1 for lab in labels):
        labels = [list(lab) for lab in labels]
    else:
        labels = [lab[0] if isinstance(lab, list) else lab for lab in labels]
    return LabeledData(texts, labels, source=name, lines=lines)


# ----------------------------------------------------------------------------- parsers (text -> records)

_FT_LABELS = re.compile(r"\s*((?:" + re.escape(LABEL_PREFIX) + r"\S*(?:\s+|$))+)")


def _parse_fasttext(text: str, name: str, empty: str = "error") -> LabeledData:
    texts, labels, lines = [], [], []
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
        if not doc and not _keep_empty(empty, "empty document: labels but no text", name, lineno):
            continue
        texts.append(doc)
        labels.append(labs)
        lines.append(lineno)
    return _finish(texts, labels, name, lines)


def _add_record(texts, labels, lines, lab, doc, name, lineno, empty) -> None:
    """One ``(label, text)`` record of a delimited or CSV file, stripped and checked (an empty label is an
    error; an empty text follows ``empty``)."""
    lab, doc = lab.strip(), doc.strip()
    if not lab:
        raise DataError("empty label", path=name, line=lineno)
    if not doc and not _keep_empty(empty, "empty document: a label but no text", name, lineno):
        return
    texts.append(doc)
    labels.append(lab)
    lines.append(lineno)


def _parse_delimited(text: str, name: str, delimiter: str, label_column: int, header: bool,
                     empty: str = "error") -> LabeledData:
    """``label<delim>text`` lines split at the first (``label_column=-1``: last) delimiter."""
    texts, labels, lines = [], [], []
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
        _add_record(texts, labels, lines, lab, doc, name, lineno, empty)
    return _finish(texts, labels, name, lines)


def _parse_csv(text: str, name: str, delimiter: str, label_column: int, header: bool,
               empty: str = "error") -> LabeledData:
    """CSV records (quoting as Excel writes it) whose first (or last) field is the label.

    A record with more than two fields keeps the other fields, joined by the delimiter, as its text
    (AG News style ``class,title,description``).
    """
    texts, labels, lines = [], [], []
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
        _add_record(texts, labels, lines, lab, doc, name, lineno, empty)
    return _finish(texts, labels, name, lines)


def _parse_label_first(text: str, name: str, relabel: Callable[[str], str] | None = None,
                       empty: str = "error") -> LabeledData:
    """``<label> <text>`` lines, label = first whitespace-separated token (SST, TREC)."""
    texts, labels, lines = [], [], []
    for lineno, line in _lines(text):
        parts = line.split(None, 1)
        if not parts:
            raise DataError("empty line: expected '<label> <text>'", path=name, line=lineno)
        if len(parts) == 1 and not _keep_empty(empty, f"empty document: label {parts[0]!r} but no text", name,
                                               lineno):
            continue
        lab = parts[0]
        if relabel is not None:
            try:
                lab = relabel(lab)
            except ValueError as e:
                raise DataError(str(e), path=name, line=lineno) from None
        texts.append(parts[1].strip() if len(parts) > 1 else "")
        labels.append(lab)
        lines.append(lineno)
    return _finish(texts, labels, name, lines)


def _parse_one_per_line(text: str, name: str, label: str, empty: str = "error") -> LabeledData:
    """One document per line, all of class ``label`` (MR's rt-polarity.pos / .neg)."""
    texts, lines = [], []
    for lineno, line in _lines(text):
        doc = line.strip()
        if not doc and not _keep_empty(empty, "empty document (blank line)", name, lineno):
            continue
        texts.append(doc)
        lines.append(lineno)
    return _finish(texts, [label] * len(texts), name, lines)


# ----------------------------------------------------------------------------- public readers


def read_fasttext(path, *, encoding: str = DEFAULT_ENCODING, empty: str = "error") -> LabeledData:
    """Read fastText supervised lines: ``__label__A [__label__B ...] text``.

    Parameters
    ----------
    path : str or Path
        The file; ``"-"`` reads stdin.
    encoding : str, default="utf-8-sig"
        Decoded strictly; a leading byte-order mark is dropped.
    empty : {"error", "drop", "keep"}, default="error"
        An empty document (a label but no text): stop with a :class:`DataError` naming its line, drop
        it, or keep it as ``""``.

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
    _check_empty(empty)
    raw, name = read_source(path)
    _nonempty(raw, name)
    return _parse_fasttext(decode(raw, encoding, name), name, empty)


def read_tsv(
    path,
    *,
    encoding: str = DEFAULT_ENCODING,
    delimiter: str | None = None,
    label_column: int = 0,
    header: bool = False,
    empty: str = "error",
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
    empty : {"error", "drop", "keep"}, default="error"
        An empty document (a label but no text): stop with a :class:`DataError` naming its line, drop
        it, or keep it as ``""``.

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
    _check_empty(empty)
    if label_column not in (0, -1):
        raise ValueError(f"label_column must be 0 or -1, got {label_column!r}")
    if delimiter is None:
        delimiter = "," if str(path).lower().endswith(".csv") else "\t"
    if len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character, got {delimiter!r}")
    raw, name = read_source(path)
    _nonempty(raw, name)
    text = decode(raw, encoding, name)
    if delimiter == ",":
        return _parse_csv(text, name, delimiter, label_column, header, empty)
    return _parse_delimited(text, name, delimiter, label_column, header, empty)


def read_folder(path, *, encoding: str = DEFAULT_ENCODING, empty: str = "error") -> LabeledData:
    """Read one subfolder per class, one document per file (scikit-learn's ``load_files`` layout).

    Parameters
    ----------
    path : str or Path
        Folder whose subfolders are named after the classes. Names starting with ``.`` are ignored,
        as are files directly in ``path`` (a README) and folders nested inside a class folder.
    encoding : str, default="utf-8-sig"
    empty : {"error", "drop", "keep"}, default="error"
        An empty document (a file that is empty or only whitespace): stop with a :class:`DataError` naming its file, drop
        it, or keep it as ``""``.

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
    _check_empty(empty)
    root = Path(path)
    if not root.is_dir():
        raise DataError("not a folder" if root.exists() else "no such folder", path=root)
    class_dirs = sorted((d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")), key=lambda d: d.name)
    if not class_dirs:
        raise DataError("no class subfolders (expected <folder>/<class>/<document>)", path=root)
    texts, labels, paths = [], [], []
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
            doc = decode(raw, encoding, f)
            if not doc.strip() and not _keep_empty(empty, "empty document", f, 1):
                continue
            texts.append(doc)
            labels.append(d.name)
            paths.append(str(f))
        if len(texts) == n_before:
            logger.warning("%s: class folder %r holds no documents; class skipped", root, d.name)
    if not texts:
        raise DataError("no documents in any class subfolder", path=root)
    return LabeledData(texts, labels, source=str(root), paths=paths)


def read_labeled(path, *, encoding: str = DEFAULT_ENCODING, format: str = "auto", empty: str = "error") -> LabeledData:
    """Read labeled text in any supported format.

    Parameters
    ----------
    path : str or Path
        A file, a folder, or ``"-"`` for stdin.
    encoding : str, default="utf-8-sig"
    format : {"auto", "fasttext", "tsv", "csv", "folder"}, default="auto"
        ``"auto"``: a folder of class subfolders is read by :func:`read_folder`, a folder of one file
        per class (``NAME.pos``, ``NAME.neg``) by :func:`read_class_files`; a ``.csv`` file as CSV, a ``.tsv`` file
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
    _check_empty(empty)
    is_dir = str(path) != "-" and Path(path).is_dir()
    if format == "auto" and is_dir and class_files(path):
        return read_class_files(class_files(path), encoding=encoding, empty=empty)
    if format == "folder" or (format == "auto" and is_dir):
        return read_folder(path, encoding=encoding, empty=empty)
    raw, name = read_source(path)
    _nonempty(raw, name)
    text = decode(raw, encoding, name)
    suffix = Path(name).suffix.lower() if name != "<stdin>" else ""
    if format == "auto":
        format = {".csv": "csv", ".tsv": "tsv"}.get(suffix) or _sniff(text, name)
        logger.debug("%s: read as %s", name, format)
    if format == "fasttext":
        return _parse_fasttext(text, name, empty)
    if format == "csv":
        return _parse_csv(text, name, ",", 0, False, empty)
    return _parse_delimited(text, name, "\t", 0, False, empty)


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




# ----------------------------------------------------------------------------- whole files, layouts


def read_text(path, encoding: str = DEFAULT_ENCODING, *, what: str = "labeled documents") -> str:
    """The decoded text of a non-empty file (``"-"``: stdin); a byte-order mark is dropped."""
    _check_encoding(encoding)
    raw, name = read_source(path)
    if not raw.strip():
        raise DataError(f"empty file: no {what}", path=name)
    return decode(raw, encoding, name)


#: File-name suffixes that are formats, not class names, in the one-file-per-class layout.
_NOT_CLASSES = frozenset("txt md rst json csv tsv py cfg ini yaml yml html xml gz zip tar npz".split())


def class_files(folder) -> dict[str, Path] | None:
    """The one-file-per-class layout of ``folder``, ``{class: file}``, or None.

    It is a group of two or more files directly in ``folder`` sharing a stem and differing in their
    last suffix, which names the class (``rt-polarity.pos``, ``rt-polarity.neg``, as the sentence
    benchmarks ship), when there is exactly one such group; suffixes that are formats (``.txt``,
    ``.md`` ...) never name a class.
    """
    folder = Path(folder)
    groups: dict[str, dict[str, Path]] = {}
    for f in sorted(folder.iterdir()):
        if f.name.startswith(".") or not f.is_file() or "." not in f.name.strip("."):
            continue
        stem, _, suffix = f.name.rpartition(".")
        if suffix.lower() not in _NOT_CLASSES and split_of(f.name) is None:
            groups.setdefault(stem, {})[suffix] = f
    found = [g for g in groups.values() if len(g) >= 2]
    return found[0] if len(found) == 1 else None


def read_class_files(files, *, encoding: str = DEFAULT_ENCODING, empty: str = "error") -> LabeledData:
    """One file per class, one document per line (MR's ``rt-polarity.pos`` / ``.neg``).

    Parameters
    ----------
    files : mapping of str to path, or a folder
        ``{class: file}``, or a folder holding that layout (see :func:`class_files`).
    encoding : str, default="utf-8-sig"
    empty : {"error", "drop", "keep"}, default="error"
        A blank line is an empty document: stop, drop it, or keep it as ``""``.

    Returns
    -------
    LabeledData
        Classes in name order, lines in file order; ``paths`` and ``lines`` name each document.
    """
    _check_empty(empty)
    if not hasattr(files, "items"):
        folder = Path(files)
        layout = class_files(folder) if folder.is_dir() else None
        if layout is None:
            raise DataError("no one-file-per-class layout (NAME.pos, NAME.neg, ...) in the folder", path=folder)
        files = layout
    texts, labels, lines, paths = [], [], [], []
    for label in sorted(files):
        path = Path(files[label])
        part = _parse_one_per_line(read_text(path, encoding), str(path), label, empty)
        texts += part.texts
        labels += part.labels
        lines += part.lines
        paths += [str(path)] * len(part)
    parents = {str(Path(p).parent) for p in paths}
    return LabeledData(texts, labels, source=parents.pop() if len(parents) == 1 else ", ".join(sorted(parents)),
                       lines=lines, paths=paths)


# ----------------------------------------------------------------------------- fixed splits in a folder

SPLIT_ALIASES = {"train": ("train", "training"), "valid": ("valid", "validation", "dev", "val"), "test": ("test",)}
_NAME_PARTS = re.compile(r"[._\-\s]+")


def split_of(name: str) -> str | None:
    """``"train"``, ``"valid"`` or ``"test"`` when a file name names one split (``wiki.train.tokens``,
    ``ptb.valid.txt``, ``dev.tsv``, ``test``), else None."""
    parts = set(_NAME_PARTS.split(name.lower()))
    hits = [s for s, aliases in SPLIT_ALIASES.items() if parts & set(aliases)]
    return hits[0] if len(hits) == 1 else None


def find_split_files(folder, *, folders: bool = False) -> dict[str, list[Path]]:
    """The files (and, with ``folders``, subfolders) directly in ``folder`` whose names name a split.

    Returns
    -------
    dict
        ``{"train": [...], "valid": [...], "test": [...]}`` for the splits found (possibly none), each
        list in name order; ``dev`` and ``validation`` count as ``valid``.
    """
    found: dict[str, list[Path]] = {}
    for f in sorted(Path(folder).iterdir()):
        if f.name.startswith(".") or not (f.is_file() or (folders and f.is_dir())):
            continue
        split = split_of(f.name)
        if split is not None:
            found.setdefault(split, []).append(f)
    return {s: found[s] for s in SPLIT_ALIASES if s in found}


def _class_of(path: Path, split: str) -> str:
    """The class a split file stands for: its name without the split's alias (``train.pos`` -> pos)."""
    parts = [p for p in _NAME_PARTS.split(path.name) if p and p.lower() not in SPLIT_ALIASES[split]]
    return ".".join(parts) or path.name


def read_labeled_splits(folder, *, encoding: str = DEFAULT_ENCODING, format: str = "auto",
                        empty: str = "error") -> dict[str, LabeledData] | None:
    """A folder holding its own split: ``train``, ``dev`` (or ``valid``) and ``test`` labeled data.

    Each split is one labeled file (``train.txt``, ``dev.tsv``, ``test.csv``: any format of
    :func:`read_labeled`), a subfolder (``train/pos/...``, read by :func:`read_labeled`), or one file per
    class (``train.pos``, ``train.neg``: one document per line, the class from the name).

    Returns
    -------
    dict or None
        ``{"train": LabeledData, "valid": ..., "test": ...}`` for the splits present, or None when
        there is no ``train`` file or folder (then the folder is read as a whole).
    """
    found = find_split_files(folder, folders=True)
    if "train" not in found:
        return None
    out = {}
    for split, paths in found.items():
        if len(paths) == 1:
            out[split] = read_labeled(paths[0], encoding=encoding, format=format, empty=empty)
            continue
        if any(p.is_dir() for p in paths):
            raise DataError(f"several {split} entries ({', '.join(p.name for p in paths)}); keep one "
                            f"or name the files with --train/--dev/--test", path=folder)
        by_class = {_class_of(p, split): p for p in paths}
        if len(by_class) < len(paths):
            raise DataError(f"cannot tell the classes of the {split} files {', '.join(p.name for p in paths)}",
                            path=folder)
        out[split] = read_class_files(by_class, encoding=encoding, empty=empty)
    return out


# ----------------------------------------------------------------------------- unlabeled documents


def read_documents(path, encoding: str = DEFAULT_ENCODING, *, empty: str = "error") -> list[str]:
    """One document per line (``"-"``: stdin), leading ``__label__`` tokens dropped, words joined by
    single spaces.

    Raises
    ------
    DataError
        Naming the file and line of undecodable bytes or of an empty document (with ``empty="error"``),
        or an empty file.
    """
    _check_encoding(encoding)
    _check_empty(empty)
    if str(path) != "-" and Path(path).is_dir():
        raise DataError("is a folder; expected a text file with one document per line", path=path)
    raw, name = read_source(path)
    text = decode(raw, encoding, name)
    docs = []
    for lineno, line in _lines(text):
        words = line.split()
        while words and words[0].startswith(LABEL_PREFIX):
            words.pop(0)
        if not words and not _keep_empty(empty, "empty document", name, lineno):
            continue
        docs.append(" ".join(words))
    if not docs:
        raise DataError("empty file: no documents", path=name)
    return docs
