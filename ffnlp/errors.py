"""Exceptions shared by every part of ffnlp (a leaf module: it imports nothing from ffnlp)."""
from __future__ import annotations


class FFNLPError(ValueError):
    """Base class: bad input that the user can fix. The CLI prints the message and exits non-zero."""


class DataError(FFNLPError):
    """A data file is missing, malformed or undecodable.

    The message names the file and, where known, the line (1-based) and byte offset.
    """

    def __init__(self, message: str, *, path=None, line: int | None = None, offset: int | None = None):
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if offset is not None:
            where.append(f"byte {offset}")
        full = f"{': '.join([', '.join(where), message]) if where else message}"
        super().__init__(full)
        self.path = path
        self.line = line
        self.offset = offset


class ModelFileError(FFNLPError):
    """A model file is corrupt, foreign, from another task, or from an incompatible version."""


class DivergenceError(FFNLPError):
    """Training produced a NaN or infinite loss; nothing was saved from the diverged state."""


class ConfigError(FFNLPError):
    """A setting is out of range. ``field`` is the setting's name (``max_iter``) and ``keyword`` the name the
    caller wrote (an old name such as ``epochs``, or the same); the CLI rewrites the message with the flag the
    user typed (``--epochs``).

    The message is ``"{prefix}{keyword} {detail}"``.
    """

    def __init__(self, field: str, detail: str, *, prefix: str = "", keyword: str | None = None):
        self.keyword = keyword or field
        super().__init__(f"{prefix}{self.keyword} {detail}")
        self.field = field
        self.detail = detail

    def for_flags(self, flags: dict) -> "FFNLPError":
        """The same error worded with the CLI flag standing for ``field`` (``flags``: field -> flag):
        ``--epochs: must be positive, got 0``."""
        flag = flags.get(self.field)
        if flag is None:
            return FFNLPError(str(self))
        return FFNLPError(f"{flag}: {self.detail.replace(' or None', ' (or left out)')}")


class DeviceError(FFNLPError):
    """The array backend asked for (``--device gpu``, ``device="gpu"``) is not available here."""
