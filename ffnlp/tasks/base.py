"""What ffnlp's scikit-learn classifiers share: :class:`FFNClassifierBase`.

As scikit-learn's ``MLPClassifier`` (``BaseMultilayerPerceptron._fit(X, y, incremental)``), ``fit`` and
``partial_fit`` are one body, :meth:`FFNClassifierBase._fit`, which the subclass writes: ``incremental=False``
builds everything from ``X`` and trains ``max_iter`` epochs; ``incremental=True`` keeps what an earlier call
built (the first call builds it, from ``classes``) and trains one epoch without early stopping. Training goes
through the one engine, :func:`ffnlp.nn.fit`.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from ffnlp.nn import SGD, Adam

__all__ = ["FFNClassifierBase"]


class FFNClassifierBase(ClassifierMixin, BaseEstimator):
    """Base of :class:`~ffnlp.tasks.dense.FFNClassifier` and :class:`~ffnlp.tasks.textcat.FFNTextClassifier`."""

    def fit(self, X, y, sample_weight=None):
        """Train from scratch on ``(X, y)``; returns self."""
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch on ``(X, y)``; the first call needs ``classes`` (every label that will appear)."""
        return self._fit(X, y, sample_weight, classes=classes, incremental=True)

    def _fit(self, X, y, sample_weight=None, *, classes=None, incremental=False, **kwargs):
        raise NotImplementedError

    def _seed(self) -> int:
        """An int seed from ``random_state`` (int, None -> 0, or a ``RandomState`` drawn from)."""
        rs = self.random_state
        if isinstance(rs, np.random.RandomState):
            return int(rs.randint(np.iinfo(np.int32).max))
        return 0 if rs is None else int(rs)

    def _make_optimizer(self):
        """``solver`` with ``learning_rate_init``, ``alpha`` (L2) and ``lr_decay``: Adam, SGD (with the
        estimator's ``momentum`` if it has one) or full-batch gradient descent (``"gd"``)."""
        lr, wd, decay = float(self.learning_rate_init), float(self.alpha), float(self.lr_decay)
        if self.solver == "adam":
            return Adam(lr, weight_decay=wd, lr_decay=decay)
        if self.solver == "sgd":
            return SGD(lr, momentum=float(getattr(self, "momentum", 0.0)), weight_decay=wd, lr_decay=decay)
        if self.solver == "gd" and "gd" in self._solvers:
            return SGD(lr, momentum=0.0, weight_decay=wd, lr_decay=decay)
        raise ValueError(f"solver must be one of {', '.join(repr(s) for s in self._solvers)}, got {self.solver!r}")

    _solvers = ("adam", "sgd")

    def _check_classes(self, classes):
        """On a later ``partial_fit`` call: ``classes``, if given, must be the first call's."""
        if classes is not None and not np.array_equal(np.unique(np.asarray(list(classes))), self.classes_):
            raise ValueError(f"classes {list(np.unique(np.asarray(list(classes))))} differ from the first call's "
                             f"{list(self.classes_)}")

    def predict_log_proba(self, X):
        """``log(predict_proba(X))``, clipped away from log(0)."""
        return np.log(np.clip(self.predict_proba(X), np.finfo(np.float64).tiny, None))
