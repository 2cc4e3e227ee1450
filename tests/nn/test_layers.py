"""Every layer passes a float64 central-difference gradient check; shapes are asserted."""
import numpy as np
import pytest

from ffnlp.nn import (Dense, Dropout, Embedding, Identity, LeakyReLU, Maxout, MeanPool, Ragged, ReLU, Sigmoid,
                      Softplus, Tanh, Window, chain)
from ffnlp.nn.gradcheck import THRESHOLD, check_layer


def _assert_passes(results):
    assert results, "no gradient was checked"
    for name, err in results.items():
        assert err < THRESHOLD, f"{name}: relative error {err:.3e} >= {THRESHOLD}"


def off_kinks(rng, shape, margin=0.05):
    """Inputs at least ``margin`` away from 0, where ReLU-like units have a kink."""
    X = rng.standard_normal(shape)
    return np.where(np.abs(X) < margin, np.sign(X + 1e-12) * margin + X, X)


def test_dense_gradients_and_shapes(rng):
    layer = Dense(5, 3, rng=rng, dtype=np.float64)
    X = rng.standard_normal((7, 5))
    Y, backprop = layer(X, is_train=True)
    assert Y.shape == (7, 3)
    dX = backprop(np.ones_like(Y))
    assert dX.shape == X.shape
    assert all(layer.grads[k].shape == layer.params[k].shape for k in layer.params)
    layer.zero_grads()
    _assert_passes(check_layer(layer, X))


def test_dense_worked_example():
    # W = [[1, 2], [3, 4]], b = [0.5, -1], x = [1, 1]  ->  y = [1 + 3 + 0.5, 2 + 4 - 1] = [4.5, 5]
    layer = Dense(2, 2, dtype=np.float64)
    layer.params["W"][...] = [[1, 2], [3, 4]]
    layer.params["b"][...] = [0.5, -1]
    Y, backprop = layer(np.array([[1.0, 1.0]]), is_train=True)
    np.testing.assert_array_equal(Y, [[4.5, 5.0]])
    # dY = [1, 0]: dW = x^T dY = [[1, 0], [1, 0]], db = [1, 0], dX = dY W^T = [1, 3]
    dX = backprop(np.array([[1.0, 0.0]]))
    np.testing.assert_array_equal(layer.grads["W"], [[1, 0], [1, 0]])
    np.testing.assert_array_equal(layer.grads["b"], [1, 0])
    np.testing.assert_array_equal(dX, [[1, 3]])


def test_dense_rejects_wrong_shape(rng):
    with pytest.raises(ValueError, match=r"\(n_samples, 5\).*\(7, 4\)"):
        Dense(5, 3, rng=rng)(np.zeros((7, 4)), is_train=False)


def test_grads_accumulate_until_zeroed(rng):
    layer = Dense(3, 2, rng=rng, dtype=np.float64)
    X = rng.standard_normal((4, 3))
    for _ in range(2):
        _, bp = layer(X, is_train=True)
        bp(np.ones((4, 2)))
    np.testing.assert_allclose(layer.grads["b"], [8.0, 8.0])
    layer.zero_grads()
    assert not layer.grads["W"].any()


@pytest.mark.parametrize("act", [Identity(), Sigmoid(), Tanh(), ReLU(), LeakyReLU(0.1), Softplus()],
                         ids=lambda a: type(a).__name__)
def test_activation_gradients(act, rng):
    X = off_kinks(rng, (6, 4))
    Y, backprop = act(X, is_train=True)
    assert Y.shape == X.shape and backprop(np.ones_like(Y)).shape == X.shape
    _assert_passes(check_layer(act, X))


def test_activation_values():
    X = np.array([[-2.0, 0.5]])
    np.testing.assert_allclose(ReLU().predict(X), [[0, 0.5]])
    np.testing.assert_allclose(LeakyReLU(0.1).predict(X), [[-0.2, 0.5]])
    np.testing.assert_allclose(Sigmoid().predict(X), 1 / (1 + np.exp(-X)))
    np.testing.assert_allclose(Softplus().predict(X), np.log1p(np.exp(X)))
    # no overflow for huge inputs
    big = np.array([[-1000.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(Sigmoid().predict(big), [[0, 1]])
        np.testing.assert_allclose(Softplus().predict(big), [[0, 1000]])


def test_maxout_gradients(rng):
    layer = Maxout(4, 3, pieces=3, rng=rng, dtype=np.float64)
    X = rng.standard_normal((5, 4))
    Y, _ = layer(X, is_train=True)
    assert Y.shape == (5, 3)
    _assert_passes(check_layer(layer, X))


def test_dropout_gradients_and_scaling(rng):
    layer = Dropout(0.3, seed=4)
    X = rng.standard_normal((50, 8))
    np.testing.assert_array_equal(layer.predict(X), X)

    def reset():
        layer.rng = np.random.default_rng(4)

    _assert_passes(check_layer(layer, X, reset=reset))
    Y = layer(np.ones((2000, 50)), is_train=True)[0]
    assert abs(Y.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation
    assert set(np.unique(Y)) <= {0.0, 1 / 0.7}


def test_embedding_gradient_with_repeated_ids(rng):
    layer = Embedding(6, 3, rng=rng, dtype=np.float64)
    ids = np.array([[1, 1, 4], [4, 1, 0]])  # repeated ids must add up
    Y, backprop = layer(ids, is_train=True)
    assert Y.shape == (2, 3, 3)
    assert backprop(np.ones_like(Y)) is None
    np.testing.assert_array_equal(layer.grads["E"][1], [3, 3, 3])
    np.testing.assert_array_equal(layer.sparse["E"], [0, 1, 4])
    layer.zero_grads()
    _assert_passes(check_layer(layer, ids))


def test_embedding_rejects_out_of_range_ids(rng):
    with pytest.raises(ValueError, match=r"\[0, 6\).*\[0, 6\]"):
        Embedding(6, 3, rng=rng)(np.array([0, 6]), is_train=False)


def test_window_concatenates_context(rng):
    layer = Window(10, 4, 3, rng=rng, dtype=np.float64)
    ids = np.array([[1, 2, 3], [3, 3, 9]])
    Y, _ = layer(ids, is_train=True)
    assert Y.shape == (2, 12)
    np.testing.assert_array_equal(Y[1, 4:8], layer.params["E"][3])
    _assert_passes(check_layer(layer, ids))
    with pytest.raises(ValueError, match=r"\(n_samples, 3\)"):
        layer(np.array([[1, 2]]), is_train=False)


def test_meanpool_over_ragged(rng):
    emb = Embedding(8, 3, rng=rng, dtype=np.float64)
    ids = Ragged(np.array([1, 2, 2, 5, 7, 1]), np.array([3, 0, 2, 1]))
    model = chain(emb, MeanPool())
    Y = model.predict(ids)
    assert Y.shape == (4, 3)
    np.testing.assert_allclose(Y[0], emb.params["E"][[1, 2, 2]].mean(axis=0))
    np.testing.assert_array_equal(Y[1], 0)  # empty document -> zero vector, no NaN
    _assert_passes(check_layer(model, ids))
    X = Ragged(rng.standard_normal((6, 3)), np.array([3, 0, 2, 1]))
    _assert_passes(check_layer(MeanPool(), X))


def test_chain_end_to_end_gradients(rng):
    model = chain(Dense(4, 5, rng=rng, dtype=np.float64), Tanh(), Dense(5, 3, rng=rng, dtype=np.float64),
                  Softplus(), Dense(3, 2, rng=rng, dtype=np.float64))
    X = rng.standard_normal((6, 4))
    _assert_passes(check_layer(model, X))


def test_batch_predict_equals_row_by_row(rng):
    model = chain(Dense(4, 8, rng=rng), ReLU(), Dense(8, 3, rng=rng))
    X = rng.standard_normal((10, 4)).astype(np.float32)
    full = model.predict(X)
    rows = np.vstack([model.predict(X[i:i + 1]) for i in range(10)])
    np.testing.assert_allclose(full, rows, rtol=1e-5, atol=1e-6)


def test_dtype_is_kept(rng):
    for dtype in (np.float32, np.float64):
        model = chain(Dense(4, 3, rng=rng, dtype=dtype), Tanh())
        Y, bp = model(rng.standard_normal((2, 4)).astype(dtype), is_train=True)
        assert Y.dtype == dtype
        assert bp(np.ones_like(Y)).dtype == dtype
