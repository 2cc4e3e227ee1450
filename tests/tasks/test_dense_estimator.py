"""FFNClassifier: scikit-learn compliance and cross-checks against MLPClassifier."""
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from ffnlp.nn import Dense, ReLU, SoftmaxCrossEntropy, chain
from ffnlp.tasks.dense import FFNClassifier


@parametrize_with_checks(
    [FFNClassifier(hidden_layer_sizes=(8,), max_iter=20, batch_size=32, random_state=0)],
    expected_failed_checks=lambda est: {
        # As for MLPClassifier: shuffled minibatches see a repeated row in other batches than one row of
        # weight 2, so the two fits differ (here in the float32 rounding of the 7th digit).
        "check_sample_weight_equivalence_on_dense_data": "minibatch SGD is not weight/repeat equivalent",
    })
def test_sklearn_compliance(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_matches_mlpclassifier_predict_proba():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    mlp = MLPClassifier(hidden_layer_sizes=(20, 10), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    layers = []
    for i, (W, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        d = Dense(*W.shape, dtype=np.float64)
        d.params["W"][...] = W
        d.params["b"][...] = b
        layers += [d, ReLU()] if i < len(mlp.coefs_) - 1 else [d]
    model = chain(*layers)
    P = SoftmaxCrossEntropy().output(model.predict(X))
    np.testing.assert_allclose(P, mlp.predict_proba(X), rtol=1e-10, atol=1e-12)


def test_fit_predict_proba_and_clone():
    X, y = load_digits(return_X_y=True)
    clf = FFNClassifier((32,), max_iter=15, batch_size=64, learning_rate_init=0.01, random_state=0)
    assert clf.fit(X / 16, y) is clf
    P = clf.predict_proba(X / 16)
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-5)
    assert clf.score(X / 16, y) > 0.95
    assert len(clf.loss_curve_) == 15 and clf.n_iter_ == 15
    c2 = clone(clf)
    assert not hasattr(c2, "model_") and c2.get_params() == clf.get_params()


def test_early_stopping_and_partial_fit():
    X, y = load_digits(return_X_y=True)
    clf = FFNClassifier((16,), max_iter=200, early_stopping=True, n_iter_no_change=3, batch_size=32,
                        learning_rate_init=0.01, random_state=0)
    clf.fit(X / 16, y)
    assert clf.n_iter_ < 200 and len(clf.validation_scores_) == clf.n_iter_
    pf = FFNClassifier((16,), batch_size=32, learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes"):
        pf.partial_fit(X[:10], y[:10])
    for _ in range(3):
        pf.partial_fit(X / 16, y, classes=np.arange(10))
    assert pf.n_iter_ == 3 and pf.score(X / 16, y) > 0.8


def test_convergence_warning_when_not_converged():
    X, y = load_digits(return_X_y=True)
    with pytest.warns(ConvergenceWarning):
        FFNClassifier((8,), max_iter=2, n_iter_no_change=5, random_state=0).fit(X, y)


def test_single_class_is_refused():
    with pytest.raises(ValueError, match="at least 2 classes"):
        FFNClassifier().fit(np.zeros((4, 2)), [1, 1, 1, 1])


def test_fit_and_partial_fit_share_one_body_in_both_classifiers(monkeypatch):
    """FFNClassifier and FFNTextClassifier derive from one base; fit and partial_fit are _fit(incremental)."""
    from ffnlp.tasks.base import FFNClassifierBase
    from ffnlp.tasks.textcat import FFNTextClassifier

    calls = []
    for cls in (FFNClassifier, FFNTextClassifier):
        assert issubclass(cls, FFNClassifierBase)
        real = cls._fit
        monkeypatch.setattr(cls, "_fit", lambda self, *a, _real=real, **k: calls.append(k["incremental"]) or
                            _real(self, *a, **k))
    X = np.random.default_rng(0).standard_normal((20, 3))
    y = np.array([0, 1] * 10)
    FFNClassifier(hidden_layer_sizes=(4,), max_iter=2).fit(X, y).partial_fit(X, y)
    texts = ["good film", "bad film"] * 10
    FFNTextClassifier(max_iter=1).partial_fit(texts, y, classes=[0, 1]).fit(texts, y)
    assert calls == [False, True, True, False]
