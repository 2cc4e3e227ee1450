"""Corpus registry: a name -> :class:`CorpusSpec` (where it is found, how it is split, its license).

The data root is ``$FFNLP_DATA`` if set, else ``../shared/data`` next to the current directory or
the repository if it exists, else the repository's ``corpora/`` folder. NLTK's corpora are found
through ``$NLTK_DATA`` (falling back to ``<data root>/nltk_data``). Nothing is ever downloaded.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

_REPO_ROOT = Path(__file__).resolve().parent.parent


def data_roots() -> list[Path]:
    """Folders searched for benchmark data, in order."""
    roots = []
    env = os.environ.get("FFNLP_DATA")
    if env:
        roots.append(Path(env).expanduser())
    for cand in (Path.cwd() / ".." / "shared" / "data", _REPO_ROOT / ".." / "shared" / "data", _REPO_ROOT / "corpora"):
        cand = cand.resolve()
        if cand not in roots:
            roots.append(cand)
    return roots


def find_data(relative: str) -> Path | None:
    """First existing ``root / relative`` over :func:`data_roots`, or None."""
    for root in data_roots():
        p = root / relative
        if p.exists():
            return p
    return None


def nltk_data_dirs() -> list[Path]:
    """Folders that may hold NLTK data: ``$NLTK_DATA`` entries, then ``<data root>/nltk_data``."""
    dirs = [Path(p) for p in os.environ.get("NLTK_DATA", "").split(os.pathsep) if p]
    dirs += [root / "nltk_data" for root in data_roots()]
    return dirs


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
    locate : callable () -> Path or None
        Where the data is, or None when absent.
    load : callable
        Loader; its signature depends on ``task`` (see ffnlp.text).
    splits : str
        How the corpus is split, in words.
    license : str
        License or terms, in words.
    how_to_get : str
        What to do when the corpus is absent.
    """

    name: str
    task: str
    description: str
    locate: Callable[[], Path | None]
    load: Callable
    splits: str
    license: str
    how_to_get: str
    searched: Callable[[], list[str]] = field(default=lambda: [])


_REGISTRY: dict[str, CorpusSpec] = {}


def register(spec: CorpusSpec) -> CorpusSpec:
    _REGISTRY[spec.name] = spec
    return spec


def get(name: str) -> CorpusSpec:
    _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown corpus {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def names(task: str | None = None) -> list[str]:
    _ensure_loaded()
    return sorted(n for n, s in _REGISTRY.items() if task is None or s.task == task)


def _ensure_loaded() -> None:
    # Registrations live next to their loaders; importing them fills the registry.
    import ffnlp.text.lm_corpora  # noqa: F401
    import ffnlp.text.labeled  # noqa: F401
