"""The file format of :class:`~ffnlp.tasks.textcat.FFNTextClassifier` models: a safe ``.npz`` (network
structure and parameters, JSON metadata), written atomically by :func:`ffnlp.nn.save_model`.

Formats
-------
1. Id sequences in, the corpus statistics (idf, NB ratios) inside the layers; the metadata holds the
   configuration, vocabulary and classes, and ``extra.bigram_keys`` the exact bigram list.
2. (:data:`FORMAT`) A :class:`~ffnlp.text.features.DocumentEncoder` in front: its parameters and sizes in
   ``meta["encoder"]``, its arrays (idf, NB ratios, bigram keys) as ``extra.encoder.*``.

A file of a newer format is refused with a :class:`~ffnlp.errors.ModelFileError` naming the version.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ffnlp.errors import ModelFileError
from ffnlp.nn import load_model, save_model
from ffnlp.nn.layer import Layer
from ffnlp.text import Vocab
from ffnlp.text.features import DocumentEncoder

KIND = "textcat"
#: Model file format written now (1 = id sequences with the statistics inside the layers, 2 = DocumentEncoder).
FORMAT = 2

__all__ = ["KIND", "FORMAT", "ModelFile", "write_model_file", "read_model_file"]


@dataclass
class ModelFile:
    """What a textcat model file holds."""

    model: Layer
    version: int
    config: dict
    vocab: Vocab
    classes: list
    multilabel: bool
    embedding_dim: int
    n_iter: int
    encoder: DocumentEncoder | None = None
    bigram_keys: np.ndarray | None = None     # format 1, exact bigrams


def write_model_file(path, model: Layer, *, config: dict, vocab: Vocab, classes: list, multilabel: bool,
                     embedding_dim: int, n_iter: int, encoder: DocumentEncoder | None = None,
                     bigram_keys=None) -> Path:
    """Write format :data:`FORMAT` (with an encoder) or format 1 (id sequences, ``bigram_keys``), atomically."""
    meta = {"format": FORMAT if encoder is not None else 1, "config": config, "vocab": vocab.to_dict(),
            "classes": list(classes), "multilabel": bool(multilabel), "embedding_dim_": int(embedding_dim),
            "n_iter_": int(n_iter)}
    extra = {}
    if encoder is not None:
        enc_meta, enc_arrays = encoder.state()
        enc_meta.pop("vocab")                        # the same as the model's
        meta["encoder"] = enc_meta
        extra = {f"encoder.{k}": v for k, v in enc_arrays.items()}
    elif bigram_keys is not None:
        extra = {"bigram_keys": np.asarray(bigram_keys, dtype=np.int64)}
    return save_model(path, model, kind=KIND, meta=meta, extra_arrays=extra or None)


def read_model_file(path) -> ModelFile:
    """Read a file written by :func:`write_model_file` (any format up to :data:`FORMAT`)."""
    model, meta, extra = load_model(path, kind=KIND)
    version = meta.get("format", 1)
    if not isinstance(version, int) or version > FORMAT:
        raise ModelFileError(f"{path}: textcat model format {version!r} is newer than this ffnlp reads "
                             f"(up to {FORMAT}); upgrade ffnlp")
    try:
        out = ModelFile(model=model, version=version, config=dict(meta["config"]),
                        vocab=Vocab.from_dict(meta["vocab"], path=path), classes=list(meta["classes"]),
                        multilabel=bool(meta["multilabel"]), embedding_dim=int(meta["embedding_dim_"]),
                        n_iter=int(meta.get("n_iter_", 0)))
        if version >= 2:
            arrays = {k[len("encoder."):]: v for k, v in extra.items() if k.startswith("encoder.")}
            out.encoder = DocumentEncoder.from_state({**meta["encoder"], "vocab": meta["vocab"]}, arrays, path=path)
        elif "bigram_keys" in extra:
            out.bigram_keys = np.asarray(extra["bigram_keys"], dtype=np.int64)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: damaged textcat model metadata (format {version}: {exc})") from None
    return out
