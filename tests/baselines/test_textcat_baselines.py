"""scikit-learn text classification baselines: NB features, NBSVM, and every factory in BASELINES."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from ffnlp.baselines.textcat import (
    BASELINES,
    InterpolatedLinearSVC,
    NBFeatureWeighter,
    make_baseline,
    nbsvm,
)
from ffnlp.text import labeled

# MLPClassifier clips batch_size=256 to the size of these tiny training sets, and says so.
pytestmark = pytest.mark.filterwarnings("ignore:Got `batch_size` less than 1 or larger than sample size")


def tiny_texts(n_per_class=20, n_classes=2, seed=0):
    """Documents from class-specific plus shared words; the class words decide the label."""
    rng = np.random.default_rng(seed)
    shared = ["the", "a", "and", "of", "film", "it", "was", "this"]
    topics = [[f"c{k}w{j}" for j in range(6)] for k in range(n_classes)]
    texts, labels = [], []
    for k in range(n_classes):
        for _ in range(n_per_class):
            words = list(rng.choice(shared, 5)) + list(rng.choice(topics[k], 3))
            rng.shuffle(words)
            texts.append(" ".join(words))
            labels.append(f"class{k}")
    return texts, labels


# ----------------------------------------------------------------------------- NBFeatureWeighter


def test_nb_weighter_by_hand():
    # 3 documents, 3 features; y = [1, 1, 0]; binarized counts (the 2 becomes 1).
    X = np.array([[2.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    y = np.array([1, 1, 0])
    nb = NBFeatureWeighter(alpha=1.0).fit(X, y)
    # p = 1 + [1+1, 0+1, 1+0] = [3, 2, 2], |p| = 7;  q = 1 + [0, 1, 0] = [1, 2, 1], |q| = 4
    # r = log(p/7) - log(q/4) = log([12/7, 8/14, 8/7]) = [0.5390, -0.5596, 0.1335]
    r = np.log([12 / 7, 8 / 14, 8 / 7])
    np.testing.assert_allclose(nb.r_, r[None, :])
    np.testing.assert_allclose(nb.transform(X), (X > 0) * r)
    assert nb.r_.shape == (1, 3) and nb.transform(X).shape == X.shape


def test_nb_weighter_sparse_equals_dense_and_keeps_sparsity():
    rng = np.random.default_rng(1)
    X = rng.poisson(0.3, size=(30, 12)).astype(float)
    y = rng.integers(0, 2, 30)
    Xs = sp.csr_matrix(X)
    dense = NBFeatureWeighter().fit(X, y)
    sparse = NBFeatureWeighter().fit(Xs, y)
    np.testing.assert_allclose(dense.r_, sparse.r_)
    Z = sparse.transform(Xs)
    assert sp.issparse(Z) and Z.nnz <= Xs.nnz
    np.testing.assert_allclose(Z.toarray(), dense.transform(X))


def test_nb_weighter_multiclass_stacks_one_vs_rest_ratios():
    rng = np.random.default_rng(2)
    X = rng.poisson(0.5, size=(40, 5)).astype(float)
    y = np.repeat(["a", "b", "c", "d"], 10)
    nb = NBFeatureWeighter().fit(X, y)
    assert nb.r_.shape == (4, 5) and nb.transform(X).shape == (40, 20)
    binary = NBFeatureWeighter().fit(X, y == "c")  # class "c" against the rest
    np.testing.assert_allclose(nb.r_[2], binary.r_[0])


def test_nb_weighter_rejects_bad_input():
    X = np.ones((4, 3))
    with pytest.raises(ValueError, match="1 class"):
        NBFeatureWeighter().fit(X, [0, 0, 0, 0])
    with pytest.raises(ValueError, match="Negative"):
        NBFeatureWeighter().fit(-X, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="alpha"):
        NBFeatureWeighter(alpha=0).fit(X, [0, 1, 0, 1])
    nb = NBFeatureWeighter().fit(X, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="3 features"):
        nb.transform(np.ones((2, 4)))


# ----------------------------------------------------------------------------- InterpolatedLinearSVC


def test_interpolated_svc_beta_one_is_linear_svc():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    ours = InterpolatedLinearSVC(beta=1.0, random_state=0).fit(X, y)
    ref = LinearSVC(random_state=0, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X))
    assert np.array_equal(ours.predict(X), ref.predict(X))


def test_interpolated_svc_formula():
    rng = np.random.default_rng(4)
    X = np.abs(rng.normal(size=(50, 6)))
    y = rng.integers(0, 2, 50)
    ref = LinearSVC(random_state=0, max_iter=10000).fit(X, y)
    w, b = ref.coef_, ref.intercept_
    ours = InterpolatedLinearSVC(beta=0.25, random_state=0).fit(X, y)
    w_bar = np.abs(w).sum() / w.shape[1]
    np.testing.assert_allclose(ours.coef_, 0.75 * w_bar + 0.25 * w)
    # score = beta * SVM score + (1 - beta) * w_bar * sum(x)
    expected = 0.25 * (X @ w.ravel() + b) + 0.75 * w_bar * X.sum(axis=1)
    np.testing.assert_allclose(ours.decision_function(X), expected)
    with pytest.raises(ValueError, match="beta"):
        InterpolatedLinearSVC(beta=1.5).fit(X, y)


@parametrize_with_checks([NBFeatureWeighter(), InterpolatedLinearSVC(beta=1.0, max_iter=2000)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ----------------------------------------------------------------------------- the factories


def test_registry():
    assert set(BASELINES) == {"tfidf_logreg", "tfidf_svm", "tfidf_mnb", "nb_logreg", "nbsvm", "tfidf_mlp"}
    for name, factory in BASELINES.items():
        model = factory(0)
        assert isinstance(model, Pipeline), name
        clone(model)  # all parameters are settable
    with pytest.raises(KeyError, match="known: tfidf_logreg"):
        make_baseline("bert")


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_fits_tiny_generated_data(name):
    texts, labels = tiny_texts(n_per_class=20, n_classes=3)
    model = BASELINES[name](0).fit(texts, labels)
    pred = model.predict(texts)
    assert set(pred) <= set(labels)
    assert np.mean(pred == np.asarray(labels)) >= 0.9
    test_texts, test_labels = tiny_texts(n_per_class=10, n_classes=3, seed=1)
    assert np.mean(model.predict(test_texts) == np.asarray(test_labels)) >= 0.8
    pickle.loads(pickle.dumps(model)).predict(texts[:2])


def test_random_state_makes_mlp_reproducible():
    texts, labels = tiny_texts(n_per_class=15)
    a = BASELINES["tfidf_mlp"](7).fit(texts, labels)
    b = BASELINES["tfidf_mlp"](7).fit(texts, labels)
    np.testing.assert_array_equal(a.predict_proba(texts), b.predict_proba(texts))


def test_nbsvm_multiclass_is_one_vs_rest():
    texts, labels = tiny_texts(n_per_class=10, n_classes=3)
    model = nbsvm(0).fit(texts, labels)
    per_class = model.named_steps["ovr"].estimators_
    assert len(per_class) == 3
    r = [est.named_steps["nb"].r_ for est in per_class]
    assert not np.allclose(r[0], r[1])


@pytest.fixture(scope="module")
def mini_newsgroup_split():
    if labeled.gensim_test_data("mini_newsgroup") is None:
        pytest.skip("gensim test data absent")
    data = labeled.load_textcat_dataset("mini_newsgroup").train
    train_idx, test_idx = labeled.stratified_split(data.labels, 0.5, seed=0)
    pick = lambda idx: ([data.texts[i] for i in idx], [data.labels[i] for i in idx])  # noqa: E731
    return pick(train_idx), pick(test_idx)


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_beats_chance_on_mini_newsgroup(name, mini_newsgroup_split):
    (train_texts, train_labels), (test_texts, test_labels) = mini_newsgroup_split
    model = BASELINES[name](0).fit(train_texts, train_labels)
    acc = np.mean(model.predict(test_texts) == np.asarray(test_labels))
    assert acc >= 0.75, f"{name}: accuracy {acc:.2f} on 100 held-out posts (chance 0.5)"
