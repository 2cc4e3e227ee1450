"""Where benchmark data is found: data roots, NLTK data folders, gensim's test data (a leaf module).

The data root is ``$FFNLP_DATA`` if set, then ``../shared/data`` next to the current directory or
the repository if it exists, then the repository's ``corpora/`` folder. NLTK's corpora are found
through ``$NLTK_DATA`` (falling back to ``<data root>/nltk_data``); gensim's test data in the
installed gensim package, found without importing it. Nothing is ever downloaded.

It imports nothing from ffnlp, so the registry (:mod:`ffnlp.corpora`) and every loader can use it
without importing each other.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

__all__ = ["data_roots", "find_data", "searched", "nltk_data_dirs", "gensim_test_data"]

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


def searched(*relatives: str) -> list[str]:
    """Every ``root / relative`` that :func:`find_data` tries, for "looked in ..." messages."""
    return [str(root / rel) for rel in relatives for root in data_roots()]


def nltk_data_dirs() -> list[Path]:
    """Folders that may hold NLTK data: ``$NLTK_DATA`` entries, then ``<data root>/nltk_data``."""
    dirs = [Path(p) for p in os.environ.get("NLTK_DATA", "").split(os.pathsep) if p]
    dirs += [root / "nltk_data" for root in data_roots()]
    return dirs


def gensim_test_data(name: str) -> Path | None:
    """``gensim/test/test_data/<name>`` of the installed gensim (found without importing it), or None.

    The same file as ``gensim.test.utils.datapath(name)``.
    """
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
