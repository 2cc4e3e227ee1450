"""``FFNClassifier``: a scikit-learn classifier on dense features, built on :mod:`ffnlp.nn`.

The image task (the course's cat vs non-cat network, digits) is this estimator on pixel rows; it has no
backprop of its own. Names follow scikit-learn's ``MLPClassifier`` where they mean the same thing.
"""
from __future__ import annotations

import logging
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ffnlp.config import DENSE_OPTIONS, DEVICE
from ffnlp.nn import SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, build_mlp, fit
from ffnlp.nn.backends import get_ops
from ffnlp.nn.init import course_scaled, course_small, get_initializer
from ffnlp.tasks.base import FFNClassifierBase

logger = logging.getLogger(__name__)


def _resolve_init(init, n_hidden_layers):
    """``"course"`` is the course's choice for the depth: ``randn * 0.01`` for its two-layer model (one hidden
    layer), ``randn / sqrt(n_in)`` for its L-layer model."""
    if init == "course":
        return course_small if n_hidden_layers == 1 else course_scaled
    return get_initializer(init)


class FFNClassifier(FFNClassifierBase):
    """Deep feedforward classifier: ``[LINEAR -> ACTIVATION] * (L - 1) -> LINEAR -> SIGMOID | SOFTMAX``.

    Two classes use one sigmoid output unit with binary cross-entropy; more use softmax with categorical
    cross-entropy (both fused and numerically stable).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
    activation : {"relu", "tanh", "sigmoid", "leaky_relu", "softplus", "maxout"}, default="relu"
    solver : {"gd", "sgd", "adam"}, default="adam"
        ``"gd"`` is full-batch gradient descent (``batch_size`` ignored), the article's rule.
    alpha : float, default=0.0
        L2 penalty on weights (not biases).
    batch_size : int, default=200
    learning_rate_init : float, default=0.001
    lr_decay : float, default=0.0
        Learning rate ``learning_rate_init / (1 + lr_decay * t)`` after ``t`` updates.
    momentum : float, default=0.9
        For ``solver="sgd"``.
    max_iter : int, default=200
        Epochs (full-batch iterations for ``"gd"``).
    tol : float, default=1e-4
    n_iter_no_change : int or None, default=None
        Stop when the monitored loss (validation loss with ``early_stopping``) has not improved by ``tol``
        for this many epochs; None never stops early.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` (stratified) and keep the weights with the best validation loss.
    validation_fraction : float, default=0.1
    dropout : float, default=0.0
    init : str, default="auto"
        ``"auto"`` (He for ReLU, Glorot otherwise), ``"course"``, ``"course_small"``, ``"course_scaled"``,
        ``"he"``, ``"glorot"``.
    dtype : {"float32", "float64"}, default="float32"
    random_state : int, RandomState or None
        Seeds the weights (drawn from a legacy ``RandomState`` so that ``init="course"`` with seed 1 is the
        course's draw), shuffling and dropout.
    verbose : bool, default=False
        Log progress (epoch, loss, examples/s) every ``log_every`` epochs.
    device : {"cpu", "gpu", "auto"}, default="cpu"
        Array backend of the network (:mod:`ffnlp.nn.backends`): ``"gpu"`` trains with CuPy
        (``pip install 'ffnlp[gpu]'``), ``"auto"`` uses a GPU when CuPy sees one. Predictions are NumPy
        arrays either way, and model files load anywhere.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    model_ : ffnlp.nn.Chain
    loss_curve_ : list of float
        Training loss at each epoch (each iteration for ``"gd"``), computed before that epoch's last update.
    validation_scores_ : list of float or None
        Validation accuracy per epoch, with ``early_stopping``.
    n_iter_ : int
    n_features_in_ : int
    """

    # the parameters are the table's (ffnlp.config.DENSE_OPTIONS), in this order; __init__ only assigns them
    __init__ = DENSE_OPTIONS.make_init("FFNClassifier", extra=(DEVICE,), positional=2)

    # -- helpers -----------------------------------------------------------------------------------
    def _np_dtype(self):
        if self.dtype not in ("float32", "float64", np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        return np.dtype(self.dtype)

    _solvers = ("gd", "sgd", "adam")

    def _initialize(self, n_features, n_classes):
        hidden = self.hidden_layer_sizes
        hidden = (hidden,) if np.isscalar(hidden) else tuple(hidden)
        if any(int(h) <= 0 for h in hidden):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {hidden}")
        n_out = 1 if n_classes == 2 else n_classes
        rng = self.random_state if isinstance(self.random_state, np.random.RandomState) else \
            np.random.RandomState(self._seed())
        init = None if self.init == "auto" else _resolve_init(self.init, len(hidden))
        self.model_ = build_mlp([n_features, *hidden, n_out], activation=self.activation, rng=rng, init=init,
                                dtype=self._np_dtype(), dropout=self.dropout, seed=self._seed())
        self.model_.to_ops(get_ops(self.device))
        self.loss_ = SigmoidBinaryCrossEntropy() if n_out == 1 else SoftmaxCrossEntropy()
        self.loss_.ops = self.model_.ops
        self.optimizer_ = self._make_optimizer()
        self._shuffle_rng = np.random.default_rng(self._seed())
        self.loss_curve_ = []
        self.validation_scores_ = None
        self.n_iter_ = 0

    def _targets(self, y_enc):
        return y_enc.astype(self._np_dtype()) if len(self.classes_) == 2 else y_enc.astype(np.int64)

    def _train(self, X, y_enc, epochs, sample_weight=None):
        X_val = y_val = None
        if self.early_stopping:
            idx = np.arange(X.shape[0])
            strat = y_enc if np.bincount(y_enc).min() >= 2 else None
            tr, va = train_test_split(idx, test_size=self.validation_fraction, random_state=self._seed(), stratify=strat)
            X, X_val, y_val = X[tr], X[va], y_enc[va]
            y_enc = y_enc[tr]
            sample_weight = None if sample_weight is None else sample_weight[tr]
            self.validation_scores_ = self.validation_scores_ or []

        def validate(model):
            Z = model.predict(X_val)
            loss = float(self.loss_(Z, self._targets(y_val))[0])
            acc = float(np.mean(self._decode(model.ops.to_host(Z)) == y_val))
            return {"loss": loss, "accuracy": acc}

        full_batch = self.solver == "gd" or self.batch_size is None
        hist = fit(self.model_, self.loss_, self.optimizer_, X, self._targets(y_enc), epochs=epochs,
                   batch_size=None if full_batch else min(int(self.batch_size), X.shape[0]),
                   rng=None if full_batch else self._shuffle_rng, sample_weight=sample_weight,
                   validate=validate if self.early_stopping else None,
                   n_iter_no_change=self.n_iter_no_change, tol=self.tol,
                   restore_best=self.early_stopping, verbose=bool(self.verbose), log_every=self.log_every)
        self.loss_curve_.extend(hist.loss)
        if self.early_stopping:
            self.validation_scores_.extend(v["accuracy"] for v in hist.val)
        self.n_iter_ += hist.epochs
        self.history_ = hist
        if self.n_iter_no_change is not None and not hist.stopped_early and epochs > 1:
            warnings.warn(f"FFNClassifier: maximum iterations ({epochs}) reached and the optimization hasn't "
                          "converged yet.", ConvergenceWarning)
        return self

    def _decode(self, Z):
        if Z.shape[1] == 1:
            return (Z[:, 0] > 0).astype(np.int64)
        return Z.argmax(axis=1)

    def _check_X(self, X, reset):
        return validate_data(self, X, reset=reset, dtype=[np.float64, np.float32], ensure_all_finite=True)

    def _prepare_sample_weight(self, sample_weight, n):
        if sample_weight is None:
            return None
        sw = np.asarray(sample_weight, dtype=self._np_dtype())
        if sw.shape != (n,):
            raise ValueError(f"sample_weight has shape {sw.shape}, expected ({n},)")
        if not np.isfinite(sw).all() or (sw < 0).any():
            raise ValueError("sample_weight must be finite and non-negative")
        if not sw.any():
            raise ValueError("Sample weights must contain at least one non-zero number.")
        return sw

    # -- public API --------------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Train from scratch on ``X`` (n_samples, n_features) and labels ``y`` (n_samples,); returns self."""
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch on ``(X, y)``; the first call needs ``classes`` (all labels that will ever appear)."""
        return self._fit(X, y, sample_weight, classes=classes, incremental=True)

    def _fit(self, X, y, sample_weight=None, *, classes=None, incremental=False):
        """The shared body of :meth:`fit` and :meth:`partial_fit` (scikit-learn's ``_fit(incremental)``)."""
        first = not incremental or not hasattr(self, "model_")
        X, y = validate_data(self, X, y, reset=first, dtype=[np.float64, np.float32], ensure_all_finite=True)
        if first:
            DENSE_OPTIONS.validate({k: v for k, v in self.get_params().items() if k != "device"},
                                   owner="FFNClassifier")
            if incremental and classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            if not incremental:
                check_classification_targets(y)
            self._encoder = LabelEncoder().fit(y if classes is None else np.asarray(classes))
            self.classes_ = self._encoder.classes_
            if len(self.classes_) < 2:
                if incremental:
                    raise ValueError("partial_fit needs at least 2 classes")
                raise ValueError(f"FFNClassifier needs at least 2 classes in y; got 1 class: {self.classes_[0]!r}")
        else:
            self._check_classes(classes)
        if incremental:
            unseen = np.setdiff1d(np.unique(y), self.classes_)
            if unseen.size:
                raise ValueError(f"y contains labels not in classes_: {list(unseen)}")
        X = X.astype(self._np_dtype(), copy=False)
        if first:
            self._initialize(X.shape[1], len(self.classes_))
        sw = self._prepare_sample_weight(sample_weight, X.shape[0])
        if not incremental:
            return self._train(X, self._encoder.transform(y), int(self.max_iter), sw)
        saved = self.early_stopping, self.n_iter_no_change
        self.early_stopping, self.n_iter_no_change = False, None
        try:
            self._train(X, self._encoder.transform(y), 1, sw)
        finally:
            self.early_stopping, self.n_iter_no_change = saved
        return self

    def decision_function(self, X):
        check_is_fitted(self)
        X = self._check_X(X, reset=False).astype(self._np_dtype(), copy=False)
        Z = self._predict_host(X)
        return Z[:, 0] if Z.shape[1] == 1 else Z

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes); rows sum to 1."""
        check_is_fitted(self)
        X = self._check_X(X, reset=False).astype(self._np_dtype(), copy=False)
        self.loss_.ops = self.model_.ops
        P = self.model_.ops.to_host(self.loss_.output(self.model_.predict(X)))
        if P.shape[1] == 1:
            P = np.hstack([1 - P, P])
        return P

    def predict(self, X):
        check_is_fitted(self)
        X = self._check_X(X, reset=False).astype(self._np_dtype(), copy=False)
        return self.classes_[self._decode(self._predict_host(X))]

    def _predict_host(self, X):
        """The network's output for ``X`` as a NumPy array (a copy from the device, if it trains on one)."""
        return self.model_.ops.to_host(self.model_.predict(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
