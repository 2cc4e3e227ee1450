"""The image task: the deeplearning.ai L-layer network, on cat vs non-cat or scikit-learn's digits.

``[LINEAR -> RELU] * (L - 1) -> LINEAR -> SIGMOID`` (softmax for several classes) is
:class:`~ffnlp.tasks.dense.FFNClassifier` on flattened pixels scaled to [0, 1]; this module loads the data,
maps an :class:`~ffnlp.config.ImageConfig` onto the estimator, and reports the course's metrics.

Examples
--------
>>> from ffnlp.config import DENSE_OPTIONS, IMAGE_OPTIONS, ImageConfig
>>> from ffnlp.tasks.image import load_digits_data, train_image
>>> result = train_image(load_digits_data(), ImageConfig.preset("digits"))
>>> result.test_accuracy > 0.9
True
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ffnlp.config import DENSE_OPTIONS, IMAGE_OPTIONS, ImageConfig
from ffnlp.errors import DataError, FFNLPError
from ffnlp.nn import load_model, save_model
from ffnlp.tasks.dense import FFNClassifier

logger = logging.getLogger(__name__)

KIND = "image"


@dataclass
class ImageData:
    """Train/test arrays. X : (n_samples, n_features) float in [0, 1]; y : (n_samples,) int labels."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: list[str]
    name: str

    def __post_init__(self):
        for split in ("train", "test"):
            X, y = getattr(self, f"X_{split}"), getattr(self, f"y_{split}")
            check_xy(X, y, f"{self.name} {split}", n_classes=len(self.classes))
        if self.X_train.shape[1] != self.X_test.shape[1]:
            raise DataError(f"train has {self.X_train.shape[1]} features but test has {self.X_test.shape[1]}",
                            path=self.name)


def check_xy(X, y, where, *, n_classes=None):
    """Raise :class:`DataError` naming ``where`` and the shapes when X/y are not a usable dataset."""
    if X.ndim != 2:
        raise DataError(f"features must be 2-d (n_samples, n_features), got shape {X.shape}", path=where)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise DataError(f"labels of shape {y.shape} do not match features of shape {X.shape}", path=where)
    if X.shape[0] == 0:
        raise DataError("no examples", path=where)
    if not np.isfinite(X).all():
        bad = np.argwhere(~np.isfinite(X))[0]
        raise DataError(f"non-finite value (NaN or inf) in the features at row {bad[0]}, column {bad[1]}",
                        path=where)
    if n_classes is not None and (y.min() < 0 or y.max() >= n_classes):
        raise DataError(f"labels must lie in [0, {n_classes}) to fit the output unit, got "
                        f"[{y.min()}, {y.max()}]", path=where)


def _read_h5(path: Path, split: str):
    try:
        import h5py
    except ImportError:
        raise FFNLPError("reading the cat vs non-cat HDF5 files needs h5py: pip install 'ffnlp[h5]'") from None
    if not path.exists():
        raise DataError("file not found (expected the course's HDF5 file)", path=path)
    try:
        with h5py.File(path, "r") as f:
            keys = set(f.keys())
            need = {f"{split}_set_x", f"{split}_set_y"}
            if not need <= keys:
                raise DataError(f"missing dataset(s) {sorted(need - keys)}; found {sorted(keys)}", path=path)
            X, y = np.asarray(f[f"{split}_set_x"]), np.asarray(f[f"{split}_set_y"])
            classes = [c.decode() if isinstance(c, bytes) else str(c) for c in f["list_classes"][:]] \
                if "list_classes" in keys else ["non-cat", "cat"]
    except DataError:
        raise
    except OSError as exc:
        raise DataError(f"not a readable HDF5 file ({exc})", path=path) from None
    if X.ndim != 4 or X.shape[0] != y.shape[0]:
        raise DataError(f"{split}_set_x has shape {X.shape} and {split}_set_y {y.shape}; expected "
                        "(n, height, width, channels) and (n,)", path=path)
    return X, y.reshape(-1), classes


def load_catvnoncat(folder) -> ImageData:
    """The course's cat vs non-cat data from ``folder`` (``train_catvnoncat.h5``, ``test_catvnoncat.h5``).

    Images (n, 64, 64, 3) uint8 are flattened row by row to (n, 12288) and scaled to [0, 1], exactly as the
    course's ``train_x_orig.reshape(m, -1).T / 255`` (rows here are examples).
    """
    folder = Path(folder)
    if folder.is_file():
        folder = folder.parent
    if not folder.is_dir():
        raise DataError("no such folder (expected train_catvnoncat.h5 and test_catvnoncat.h5 in it)", path=folder)
    Xtr, ytr, classes = _read_h5(folder / "train_catvnoncat.h5", "train")
    Xte, yte, _ = _read_h5(folder / "test_catvnoncat.h5", "test")
    flat = lambda X: X.reshape(X.shape[0], -1).astype(np.float64) / 255.0  # noqa: E731
    return ImageData(flat(Xtr), ytr.astype(np.int64), flat(Xte), yte.astype(np.int64), classes, str(folder))


def load_digits_data(*, test_fraction=0.25, seed=0) -> ImageData:
    """scikit-learn's bundled digits (1797 8x8 images, 10 classes), pixels scaled to [0, 1], with a seeded
    stratified train/test split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = d.data / 16.0
    Xtr, Xte, ytr, yte = train_test_split(X, d.target, test_size=test_fraction, random_state=seed, stratify=d.target)
    return ImageData(Xtr, ytr.astype(np.int64), Xte, yte.astype(np.int64), [str(c) for c in d.target_names],
                     "sklearn digits")


def load_image_data(path=None) -> ImageData:
    """``None`` -> digits; a folder with the course's files -> cat vs non-cat."""
    return load_digits_data() if path is None else load_catvnoncat(path)


def make_classifier(config: ImageConfig, *, verbose=False, device="cpu") -> FFNClassifier:
    """The estimator of ``config``: every field is the estimator's parameter of the same name, except
    ``validation_fraction``, whose 0 means no early stopping."""
    shared = {name: getattr(config, name) for name in IMAGE_OPTIONS.names
              if name in DENSE_OPTIONS and name != "validation_fraction"}
    return FFNClassifier(**shared, early_stopping=config.validation_fraction > 0,
                         validation_fraction=config.validation_fraction or 0.1, verbose=verbose, device=device)


@dataclass
class ImageResult:
    classifier: FFNClassifier
    config: ImageConfig
    data_name: str
    classes: list[str]
    costs: dict[int, float]
    train_accuracy: float
    test_accuracy: float
    seconds: float

    def metrics(self) -> dict:
        return {
            "data": self.data_name, "costs": dict(self.costs),  # int keys: JSON with sort_keys orders them numerically
            "final_cost": self.classifier.loss_curve_[-1], "iterations": self.classifier.n_iter_,
            "train_accuracy": self.train_accuracy, "test_accuracy": self.test_accuracy,
            "seconds": self.seconds, "n_params": self.classifier.model_.n_params(),
            "config": self.config.to_dict(),
        }


def train_image(data: ImageData, config: ImageConfig, *, verbose=False, device="cpu") -> ImageResult:
    """Train the configured network on ``data``; costs are recorded every ``config.log_every`` steps.

    ``ImageResult.costs`` maps a step to its cost. Full-batch ``"gd"`` numbers steps as the course does:
    key ``i`` is the cost after ``i`` iterations (0, 100, ...). ``"sgd"``/``"adam"`` number epochs from 1,
    as the progress lines do: key ``e`` is the mean loss of epoch ``e`` (1, 10, 20, ...).
    """
    clf = make_classifier(config, verbose=verbose, device=device)
    t0 = time.perf_counter()
    clf.fit(data.X_train, data.y_train)
    secs = time.perf_counter() - t0
    every = max(1, config.log_every)
    if config.solver == "gd":
        costs = {i: float(c) for i, c in enumerate(clf.loss_curve_) if i % every == 0}
    else:
        costs = {e: float(c) for e, c in enumerate(clf.loss_curve_, start=1) if e % every == 0 or e == 1}
    return ImageResult(clf, config, data.name, data.classes, costs, float(clf.score(data.X_train, data.y_train)),
                       float(clf.score(data.X_test, data.y_test)), secs)


def save_image_model(path, result: ImageResult) -> Path:
    clf = result.classifier
    meta = {"config": result.config.to_dict(), "classes": [str(c) for c in result.classes],
            "labels": [int(c) for c in clf.classes_], "n_features": int(clf.n_features_in_),
            "metrics": {k: v for k, v in result.metrics().items() if k != "config"}}
    return save_model(path, clf.model_, kind=KIND, meta=meta)


def load_image_model(path, *, device="cpu") -> FFNClassifier:
    """Rebuild a fitted :class:`FFNClassifier` from a model file written by :func:`save_image_model`."""
    from ffnlp.nn import SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy

    model, meta, _ = load_model(path, kind=KIND)
    config = ImageConfig.from_dict(meta["config"])
    clf = make_classifier(config, device=device)
    clf.model_ = model.to_ops(device)
    clf.classes_ = np.asarray(meta["labels"])
    clf.n_features_in_ = int(meta["n_features"])
    clf.loss_ = SigmoidBinaryCrossEntropy() if len(clf.classes_) == 2 else SoftmaxCrossEntropy()
    clf.class_names_ = meta["classes"]
    return clf


#: File types ``plot_costs`` writes (matplotlib's Agg backend), by suffix.
PLOT_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg")


def check_plot_path(path, flag="--plot") -> Path:
    """Refuse a plot file name whose suffix names no format :func:`plot_costs` writes, before training."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in PLOT_FORMATS:
        raise FFNLPError(f"{flag} {path}: the file name must end in one of "
                         f"{', '.join('.' + f for f in PLOT_FORMATS)} (it sets the image format)")
    return path


def plot_costs(costs: dict[int, float], path, *, title="", xlabel="iteration") -> Path:
    """Draw the cost curve (cost every ``log_every`` iterations), as the article plots it; written atomically,
    in the format of ``path``'s suffix (:data:`PLOT_FORMATS`)."""
    from ffnlp._files import atomic_path

    path = check_plot_path(path, "plot file")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise FFNLPError("--plot needs matplotlib: pip install 'ffnlp[plot]'") from None
    its = sorted(costs)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(its, [costs[i] for i in its])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost")
    ax.set_title(title)
    fig.tight_layout()
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=path.suffix.lower().lstrip("."))
    finally:
        plt.close(fig)
    return path


__all__ = ["ImageData", "ImageResult", "check_plot_path", "check_xy", "load_catvnoncat", "load_digits_data", "load_image_data",
           "load_image_model", "make_classifier", "plot_costs", "save_image_model", "train_image"]
