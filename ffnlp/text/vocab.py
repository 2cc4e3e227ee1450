"""Vocabulary: token <-> id, with fixed special tokens first, saved as JSON."""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Iterable

import numpy as np

from ffnlp._files import atomic_path
from ffnlp.errors import DataError

__all__ = ["Vocab", "SPECIALS", "PAD", "UNK", "BOS", "EOS"]

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
SPECIALS = (PAD, UNK, BOS, EOS)
"""The special tokens, always ids 0-3 in this order (``<s>``/``</s>`` as in nltk.lm)."""

_FORMAT = "ffnlp.vocab"
_VERSION = 1


class Vocab:
    """A fixed mapping between tokens and integer ids.

    Ids 0-3 are the specials ``<pad>``, ``<unk>``, ``<s>``, ``</s>``; the other tokens follow by
    descending count, ties broken alphabetically (by code point). A token that equals a special
    string (Penn Treebank's literal ``<unk>``, say) is that special, never a second entry.
    Unknown tokens encode to ``<unk>``.

    Parameters
    ----------
    itos : sequence of str
        Id -> token; must start with the four specials and hold no duplicates.
    counts : array-like of int, shape (len(itos),), optional
        How many tokens of the data the vocabulary was built from encode to each id (zeros if
        omitted). ``counts[unk_id]`` therefore includes every token dropped by ``min_count`` or
        ``max_size``; ``counts[eos_id]`` counts only literal ``</s>`` tokens, not the ones that
        :meth:`encode_sentences` appends.

    Attributes
    ----------
    itos : list of str
    stoi : dict of str -> int
    counts : ndarray of shape (vocab_size,), dtype int64
    pad_id, unk_id, bos_id, eos_id : int
        0, 1, 2, 3.

    Examples
    --------
    >>> v = Vocab.build([["the", "cat"], ["the", "dog", "<unk>"]])
    >>> v.itos
    ['<pad>', '<unk>', '<s>', '</s>', 'the', 'cat', 'dog']
    >>> v.encode_sentences([["the", "bird"]]).tolist()
    [4, 1, 3]
    """

    pad_id, unk_id, bos_id, eos_id = 0, 1, 2, 3

    def __init__(self, itos: Iterable[str], counts=None):
        itos = list(itos)
        if tuple(itos[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {list(SPECIALS)}, got {itos[:4]}")
        stoi = {tok: i for i, tok in enumerate(itos)}
        if len(stoi) != len(itos):
            dupes = sorted(t for t, c in Counter(itos).items() if c > 1)[:5]
            raise ValueError(f"duplicate tokens in vocabulary: {dupes}")
        if counts is None:
            counts = np.zeros(len(itos), dtype=np.int64)
        counts = np.asarray(counts, dtype=np.int64)
        if counts.shape != (len(itos),):
            raise ValueError(f"counts has shape {counts.shape}, expected ({len(itos)},)")
        self.itos: list[str] = itos
        self.stoi: dict[str, int] = stoi
        self.counts: np.ndarray = counts

    @classmethod
    def build(
        cls, sentences: Iterable[Iterable[str]], *, min_count: int = 1, max_size: int | None = None
    ) -> "Vocab":
        """Count tokens in one pass over ``sentences`` and keep the frequent ones.

        Parameters
        ----------
        sentences : iterable of iterables of str
            Token lists; one pass is made, so a generator is fine here.
        min_count : int, default 1
            Drop tokens seen fewer times (Bengio et al. 2003 merge words seen <= 3 times:
            ``min_count=4``).
        max_size : int, optional
            Largest ``len(vocab)``, the four specials included; the most frequent tokens are kept.

        Returns
        -------
        Vocab
        """
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {min_count}")
        if max_size is not None and max_size < len(SPECIALS):
            raise ValueError(f"max_size must be >= {len(SPECIALS)} (the specials), got {max_size}")
        counter: Counter = Counter()
        for sent in sentences:
            if isinstance(sent, str):
                raise TypeError("sentences must be token lists, got a str; tokenize it first")
            counter.update(sent)
        special_counts = [counter.pop(s, 0) for s in SPECIALS]
        ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        n_keep = sum(1 for _, c in ranked if c >= min_count)  # ranked is by count: a prefix
        if max_size is not None:
            n_keep = min(n_keep, max_size - len(SPECIALS))
        kept = ranked[:n_keep]
        special_counts[cls.unk_id] += sum(c for _, c in ranked[n_keep:])
        itos = list(SPECIALS) + [tok for tok, _ in kept]
        counts = np.array(special_counts + [c for _, c in kept], dtype=np.int64)
        return cls(itos, counts)

    # -- lookups -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token) -> bool:
        return token in self.stoi

    def __eq__(self, other) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return self.itos == other.itos and np.array_equal(self.counts, other.counts)

    __hash__ = None  # mutable arrays inside

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, fingerprint={self.fingerprint()!r})"

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        """Ids of ``tokens``; unknown tokens give ``unk_id``.

        Parameters
        ----------
        tokens : iterable of str

        Returns
        -------
        ndarray of shape (n_tokens,), dtype int32
        """
        get, unk = self.stoi.get, self.unk_id
        return np.array([get(t, unk) for t in tokens], dtype=np.int32)

    def encode_sentences(
        self, sentences: Iterable[Iterable[str]], *, add_eos: bool = True
    ) -> np.ndarray:
        """Encode sentences to one flat id stream, with ``</s>`` after each sentence.

        Parameters
        ----------
        sentences : iterable of iterables of str
        add_eos : bool, default True
            Append ``eos_id`` after every sentence (this is what a language model predicts last).

        Returns
        -------
        ndarray of shape (n_tokens + n_sentences,) or (n_tokens,), dtype int32
        """
        flat: list[str] = []
        extend = flat.extend
        if add_eos:
            append = flat.append
            for sent in sentences:
                extend(sent)
                append(EOS)
        else:
            for sent in sentences:
                extend(sent)
        return self.encode(flat)

    def decode(self, ids) -> list[str]:
        """Tokens of ``ids`` (array-like of int); ``ValueError`` on ids outside the vocabulary."""
        ids = np.asarray(ids)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.itos)):
            raise ValueError(
                f"ids must lie in [0, {len(self.itos)}), got min {ids.min()} max {ids.max()}"
            )
        itos = self.itos
        return [itos[i] for i in ids.ravel().tolist()]

    # -- identity and files --------------------------------------------------------------------
    def fingerprint(self) -> str:
        """First 16 hex digits of the sha256 of ``itos``: two vocabularies with the same tokens in
        the same order have the same fingerprint, so a model can refuse ids from another one."""
        blob = json.dumps(self.itos, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]

    def to_dict(self) -> dict:
        """A JSON-ready dict: format tag, version, ``itos``, ``counts`` and the fingerprint."""
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "fingerprint": self.fingerprint(),
            "itos": list(self.itos),
            "counts": self.counts.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict, *, path=None) -> "Vocab":
        """Inverse of :meth:`to_dict`; raises :class:`~ffnlp.errors.DataError` on a foreign or
        damaged dict (``path`` names the file in the message)."""
        if not isinstance(d, dict) or d.get("format") != _FORMAT:
            tag = d.get("format") if isinstance(d, dict) else type(d).__name__
            raise DataError(f"not an ffnlp vocabulary (format tag {tag!r})", path=path)
        if d.get("version") != _VERSION:
            raise DataError(
                f"vocabulary format version {d.get('version')!r} unsupported "
                f"(this ffnlp reads version {_VERSION})",
                path=path,
            )
        try:
            vocab = cls(d["itos"], d.get("counts"))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"damaged vocabulary: {exc}", path=path) from None
        if "fingerprint" in d and d["fingerprint"] != vocab.fingerprint():
            raise DataError(
                f"vocabulary fingerprint {d['fingerprint']!r} does not match its tokens "
                f"({vocab.fingerprint()!r}); the file was edited or damaged",
                path=path,
            )
        return vocab

    def save(self, path) -> Path:
        """Write the vocabulary as UTF-8 JSON, atomically (a temporary file, then a rename)."""
        path = Path(path)
        text = json.dumps(self.to_dict(), ensure_ascii=False)
        with atomic_path(path) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
        return path

    @classmethod
    def load(cls, path) -> "Vocab":
        """Read a vocabulary written by :meth:`save`; raises ``DataError`` naming the file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DataError("vocabulary file not found", path=path) from None
        except UnicodeDecodeError as exc:
            msg = f"vocabulary file is not UTF-8 ({exc.reason})"
            raise DataError(msg, path=path, offset=exc.start) from None
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None
        return cls.from_dict(d, path=path)
