"""Streamed, re-iterable corpora (in the spirit of gensim's ``LineSentence``).

A corpus object re-opens its files on every ``__iter__``, so multi-pass code (vocabulary, then
encoding, then training epochs) can loop over it again without holding the text in memory. A
generator can be looped over only once; code that needs several passes calls
:func:`require_reiterable` so that a generator fails loudly instead of yielding nothing the second
time.
"""
from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Callable

from ffnlp.errors import DataError

__all__ = ["TextLines", "require_reiterable", "list_text_files"]


def require_reiterable(obj, *, name: str = "corpus") -> None:
    """Raise ``TypeError`` unless ``obj`` can be iterated over more than once.

    Generators and other iterators are exhausted after one pass; lists, tuples and corpus classes
    such as :class:`TextLines` are not.

    Parameters
    ----------
    obj : object
    name : str, default "corpus"
        What ``obj`` is, for the message.
    """
    if isinstance(obj, Iterator):
        raise TypeError(
            f"{name} is a {type(obj).__name__}, which can be iterated over only once, but it is "
            "needed for several passes; pass a list or a re-iterable corpus such as TextLines"
        )
    if not isinstance(obj, Iterable):
        raise TypeError(f"{name} must be an iterable of token lists, got {type(obj).__name__}")


def list_text_files(path) -> list[Path]:
    """The files a corpus path stands for: the file itself, or the regular, non-hidden files
    directly inside a folder, sorted by name.

    Raises
    ------
    DataError
        If the path does not exist or the folder holds no files.
    """
    path = Path(path)
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise DataError("folder holds no text files", path=path)
        return files
    raise DataError("no such file or folder", path=path)


class TextLines:
    """Token lists, one per non-blank line of a text file or of every file in a folder.

    Parameters
    ----------
    path : str or Path
        A file, or a folder whose regular non-hidden files are read in name order (not recursive).
    encoding : str, default "utf-8-sig"
        Text encoding (a byte-order mark opening a file is dropped, whatever the encoding); it must be
        ASCII-compatible (UTF-8, Latin-1, cp1252, ...), since lines are
        split on ``b"\\n"`` before decoding. Undecodable bytes raise
        :class:`~ffnlp.errors.DataError` naming the file, the line and the byte offset.
    tokenizer : callable str -> list of str, optional
        Applied to each line (without its newline). Default: split on whitespace, as gensim's
        ``LineSentence`` does.
    blank_lines : bool, default False
        Also yield blank lines (as ``""`` from :meth:`lines`, an empty token list from iteration), so
        that a line-based LM corpus can count one ``</s>`` per line, blank ones included.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tiny.txt"
    >>> _ = p.write_text("the cat sat\\n\\nthe dog ran\\n", encoding="utf-8")
    >>> lines = TextLines(p)
    >>> list(lines)
    [['the', 'cat', 'sat'], ['the', 'dog', 'ran']]
    >>> list(lines) == list(lines)  # re-iterable: each pass re-opens the file
    True
    """

    def __init__(
        self,
        path,
        *,
        encoding: str = "utf-8-sig",
        tokenizer: Callable[[str], list[str]] | None = None,
        blank_lines: bool = False,
    ):
        self.path = Path(path)
        self.files = list_text_files(self.path)
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}") from None
        try:
            ascii_compatible = b"\n a\n".decode(encoding) == "\n a\n"
        except UnicodeDecodeError:
            ascii_compatible = False
        if not ascii_compatible:
            raise ValueError(f"encoding {encoding!r} is not ASCII-compatible")
        self.encoding = encoding
        self.tokenizer = tokenizer
        self.blank_lines = bool(blank_lines)

    def __repr__(self) -> str:
        n = len(self.files)
        return f"TextLines({str(self.path)!r}, encoding={self.encoding!r}, files={n})"

    def lines(self) -> Iterator[str]:
        """The decoded non-blank lines (every line with ``blank_lines``), without their line endings (one pass)."""
        for file in self.files:
            yield from _decoded_lines(file, self.encoding, self.blank_lines)

    def __iter__(self) -> Iterator[list[str]]:
        tokenizer = self.tokenizer or str.split
        for line in self.lines():
            yield tokenizer(line)


def _decoded_lines(file: Path, encoding: str, blank_lines: bool = False) -> Iterator[str]:
    """Yield the non-blank lines of ``file`` (every line with ``blank_lines``, blank ones as ``""``); a
    byte-order mark opening the file is dropped; a decoding error names the line and byte offset."""
    offset = 0
    with open(file, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"cannot decode byte {raw[exc.start:exc.start + 1]!r} as {encoding} "
                    f"({exc.reason}); pass the file's encoding",
                    path=file,
                    line=lineno,
                    offset=offset + exc.start,
                ) from None
            offset += len(raw)
            line = line.rstrip("\r\n")
            if lineno == 1:
                line = line.removeprefix("\ufeff")
            if line.strip():
                yield line
            elif blank_lines:
                yield ""
