"""Files written atomically: a temporary file in the same folder, then one rename.

Output paths are checked before any work starts (:func:`check_output`), so that a long training run
never ends on a path it cannot write.
"""
from __future__ import annotations

import contextvars
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ffnlp.errors import FFNLPError

#: A temporary of another process that left no trace of its id is stale after this long.
STALE_SECONDS = 3600.0


def _umask_mode() -> int:
    """The mode ``open(path, "w")`` gives a new file under the current umask (0o666 & ~umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False                      # ours, and not in use: atomic_path removes its own on failure
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True                       # exists, owned by someone else
    return True


def clean_stale_temporaries(path) -> list[Path]:
    """Remove temporaries that an interrupted write of ``path`` left in its folder
    (``.NAME.PID-xxxx.tmp`` of a process that is gone, or an untagged ``.NAME.xxxx.tmp`` older than
    :data:`STALE_SECONDS`). Returns the removed paths."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    pattern = re.compile(re.escape(f".{path.name}.") + r"(?:(\d+)-)?[A-Za-z0-9_]+\.tmp\Z")
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = pattern.match(entry.name)
        if m is None:
            continue
        try:
            if m.group(1) is not None:
                stale = not _pid_alive(int(m.group(1)))
            else:
                stale = time.time() - entry.stat().st_mtime > STALE_SECONDS
            if stale and entry.is_file():
                entry.unlink()
                removed.append(entry)
        except OSError:
            continue
    return removed


#: True in a process whose writes are dropped (the other processes of a data-parallel run: the first writes).
_DISCARD_WRITES: contextvars.ContextVar = contextvars.ContextVar("ffnlp_discard_writes", default=False)


@contextmanager
def discard_writes(discard: bool = True):
    """Within the block, :func:`atomic_path` writes its temporary and then removes it instead of
    replacing ``path`` (a data-parallel run's other processes: only the first one writes files)."""
    token = _DISCARD_WRITES.set(bool(discard))
    try:
        yield
    finally:
        _DISCARD_WRITES.reset(token)


@contextmanager
def atomic_path(path) -> Iterator[str]:
    """A temporary file name in ``path``'s folder (created if missing) to write to; when the block ends
    without an exception it is renamed to ``path`` in one step, otherwise removed. Readers never see a
    half-written ``path``, and an existing one stays as it was if writing fails.

    The file gets the mode a plain ``open(path, "w")`` would (the umask's), not ``mkstemp``'s 0600.
    Temporaries left by a killed earlier write of the same ``path`` are removed first; the CLI turns
    SIGTERM into an exception, so a terminated write removes its own.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        yield tmp
        if _DISCARD_WRITES.get():
            Path(tmp).unlink(missing_ok=True)
            return
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_output(path, flag: str, *, inputs: Iterable = ()) -> Path:
    """Refuse, before any work, an output path that cannot be written.

    Parameters
    ----------
    path : str or Path
        Where a file will be written (through :func:`atomic_path`, which creates missing folders).
    flag : str
        How the user named it (``"--output"``), for the message.
    inputs : iterable of str or Path
        Files the same command reads; writing over one of them is refused (``-`` is skipped).

    Raises
    ------
    FFNLPError
        ``"--output data.txt: is also the input ..."``, ``"... is a folder"``, ``"... cannot write in
        folder F (permission denied)"``, or ``"... F is a file, not a folder"``.
    """
    path = Path(path)
    where = f"{flag} {path}"
    if str(path) in ("", "-"):
        raise FFNLPError(f"{flag}: expected a file name, got {str(path)!r}")
    for inp in inputs:
        if inp is None or str(inp) == "-":
            continue
        if _same_file(path, Path(inp)):
            raise FFNLPError(f"{where}: is also the input; writing it would destroy the data (choose another name)")
    if path.is_dir():
        raise FFNLPError(f"{where}: is a folder; expected a file name (e.g. {path / 'model.npz'})")
    folder = path.parent if str(path.parent) else Path(".")
    existing = folder
    while not existing.exists():                  # atomic_path creates the missing folders
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise FFNLPError(f"{where}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise FFNLPError(f"{where}: cannot write in folder {existing} (permission denied)")
    if path.exists() and not os.access(path, os.W_OK) and not os.access(folder, os.W_OK):
        raise FFNLPError(f"{where}: cannot overwrite it (permission denied)")
    return path
