"""Safe model files: one ``.npz`` of arrays plus JSON metadata, written atomically.

A model file is an uncompressed-or-compressed NumPy ``.npz`` archive. Besides the parameter arrays
it holds one entry, ``__meta__``, a 0-d unicode array with a JSON object that states the ffnlp
version that wrote it, the file-format version and the ``kind`` of model. Files are read with
``allow_pickle=False``, so opening a model file never runs code.
"""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

from ffnlp._files import atomic_path
from ffnlp._version import __version__
from ffnlp.errors import ModelFileError

FORMAT_VERSION = 1
_META_KEY = "__meta__"


def save_npz(path, arrays: dict[str, np.ndarray], meta: dict, *, kind: str, compress: bool = False) -> Path:
    """Write ``arrays`` and ``meta`` to ``path`` atomically (temp file in the same folder + rename).

    Parameters
    ----------
    path : str or Path
        Destination; ``.npz`` is *not* appended if missing, the path is used as given.
    arrays : dict of str -> ndarray
        Numeric arrays only (object arrays are refused).
    meta : dict
        JSON-serializable metadata (config, vocabulary, ...).
    kind : str
        Model kind, e.g. ``"image"``, ``"window_lm"``, ``"kneser_ney"``, ``"textcat"``.
    """
    path = Path(path)
    for name, arr in arrays.items():
        if name == _META_KEY:
            raise ValueError(f"array name {_META_KEY!r} is reserved")
        if np.asarray(arr).dtype == object:
            raise ValueError(f"array {name!r} has dtype object; model files hold numeric arrays only")
    full_meta = {"ffnlp_version": __version__, "format_version": FORMAT_VERSION, "kind": kind, **meta}
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    payload[_META_KEY] = np.array(json.dumps(full_meta, sort_keys=True))
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        (np.savez_compressed if compress else np.savez)(fh, **payload)
        fh.flush()
        os.fsync(fh.fileno())
    return path


def load_npz(path, *, kind: str | tuple[str, ...] | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Read a model file written by :func:`save_npz`; never unpickles.

    Raises
    ------
    ModelFileError
        If the file is missing, not an ffnlp model file, corrupt, of another ``kind``, or written by
        an incompatible format version.
    """
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file")
    if path.is_dir():
        raise ModelFileError(f"{path}: is a folder, not a model file")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the model file ({exc.strerror or exc})") from None
    if magic == b"\x93NUMPY":
        raise ModelFileError(f"{path}: is a single NumPy array (.npy), not an ffnlp model file")
    if not magic.startswith(b"PK"):
        raise ModelFileError(f"{path}: not an ffnlp model file (not a NumPy .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as data:
            if _META_KEY not in data.files:
                raise ModelFileError(f"{path}: not an ffnlp model file (a .npz archive without {_META_KEY})")
            meta = json.loads(str(data[_META_KEY][()]))
            arrays = {k: data[k] for k in data.files if k != _META_KEY}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, json.JSONDecodeError) as exc:
        # numpy's messages on object arrays suggest loading "unsafely" with pickle: never pass that on
        detail = "holds object arrays, which ffnlp never unpickles" if "pickle" in str(exc).lower() else str(exc)
        raise ModelFileError(f"{path}: corrupt or not an ffnlp model file ({detail})") from None
    if not isinstance(meta, dict) or "kind" not in meta or "format_version" not in meta:
        raise ModelFileError(f"{path}: metadata lacks 'kind'/'format_version'")
    if meta["format_version"] > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written by ffnlp {meta.get('ffnlp_version')} in format {meta['format_version']}; "
            f"this ffnlp ({__version__}) reads format <= {FORMAT_VERSION}"
        )
    if kind is not None:
        kinds = (kind,) if isinstance(kind, str) else tuple(kind)
        if meta["kind"] not in kinds:
            raise ModelFileError(f"{path}: is a {meta['kind']!r} model, expected {' or '.join(map(repr, kinds))}")
    return arrays, meta
