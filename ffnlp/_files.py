"""Files written atomically: a temporary file in the same folder, then one rename."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path) -> Iterator[str]:
    """A temporary file name in ``path``'s folder (created if missing) to write to; when the block ends
    without an exception it is renamed to ``path`` in one step, otherwise removed. Readers never see a
    half-written ``path``, and an existing one stays as it was if writing fails."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
