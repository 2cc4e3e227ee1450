import numpy as np
import pytest

from ffnlp.errors import DivergenceError
from ffnlp.nn import SGD, Adam, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, build_mlp, fit, minibatches
from ffnlp.nn.gradcheck import THRESHOLD, check_model


def _blobs(rng, n=200):
    X = rng.standard_normal((n, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)  # XOR-like: needs a hidden layer
    return X, y


def test_minibatches_cover_every_index_once(rng):
    batches = list(minibatches(10, 3, rng=rng))
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(10))
    assert len(list(minibatches(10, None))) == 1


def test_two_hidden_layer_model_gradient_check(rng):
    model = build_mlp([3, 5, 4, 3], activation="tanh", rng=rng, dtype=np.float64, input_grad=True)
    X = rng.standard_normal((6, 3))
    y = np.array([0, 1, 2, 2, 1, 0])
    for name, err in check_model(model, SoftmaxCrossEntropy(), X, y).items():
        assert err < THRESHOLD, f"{name}: {err:.2e}"


def test_loss_falls_and_tiny_batch_is_overfit(rng):
    X, y = _blobs(rng)
    model = build_mlp([2, 16, 16, 2], rng=rng)
    hist = fit(model, SoftmaxCrossEntropy(), Adam(0.01), X, y, epochs=60, batch_size=32, rng=rng, verbose=False)
    assert hist.loss[-1] < 0.5 * hist.loss[0]
    acc = (model.predict(X).argmax(1) == y).mean()
    assert acc > 0.9
    small = build_mlp([2, 32, 2], rng=rng)
    fit(small, SoftmaxCrossEntropy(), Adam(0.05), X[:8], y[:8], epochs=200, batch_size=None, verbose=False)
    assert (small.predict(X[:8]).argmax(1) == y[:8]).all()


def test_seed_makes_runs_bit_identical():
    def run():
        rng = np.random.default_rng(3)
        X, y = _blobs(rng)
        model = build_mlp([2, 8, 2], rng=rng, dropout=0.2, seed=5)
        fit(model, SoftmaxCrossEntropy(), Adam(0.01), X, y, epochs=5, batch_size=16, rng=rng, verbose=False)
        return model.copy_params()

    a, b = run(), run()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_early_stopping_restores_best_weights(rng):
    X, y = _blobs(rng)
    model = build_mlp([2, 8, 2], rng=rng)
    scores = iter([0.5, 0.4, 0.45, 0.46, 0.47, 0.48])
    snapshots = {}

    def validate(m):
        return {"loss": next(scores)}

    def on_epoch_end(epoch, hist, improved):
        snapshots[epoch] = m_params() if improved else None

    m_params = model.copy_params
    hist = fit(model, SoftmaxCrossEntropy(), SGD(0.1), X, y, epochs=6, batch_size=50, validate=validate,
               n_iter_no_change=2, on_epoch_end=on_epoch_end, verbose=False)
    assert hist.stopped_early and hist.epochs == 4 and hist.best_epoch == 2
    for k, v in model.copy_params().items():
        np.testing.assert_array_equal(v, snapshots[2][k])


def test_divergence_stops_with_a_message(rng):
    X, y = _blobs(rng)
    X = X * 1e30
    model = build_mlp([2, 8, 1], rng=rng)
    with pytest.raises(DivergenceError, match="diverged"):
        fit(model, SigmoidBinaryCrossEntropy(), SGD(1e10), X, y.astype(np.float32), epochs=5, batch_size=50,
            verbose=False)


def test_progress_is_logged_and_can_be_silenced(rng, caplog):
    X, y = _blobs(rng, 40)
    model = build_mlp([2, 4, 2], rng=rng)
    with caplog.at_level("INFO", logger="ffnlp.nn.training"):
        fit(model, SoftmaxCrossEntropy(), SGD(0.1), X, y, epochs=2, batch_size=10, verbose=True)
    assert any("ex/s" in r.message and "epoch 2/2" in r.message for r in caplog.records)
    caplog.clear()
    with caplog.at_level("INFO", logger="ffnlp.nn.training"):
        fit(model, SoftmaxCrossEntropy(), SGD(0.1), X, y, epochs=2, batch_size=10, verbose=False)
    assert not caplog.records


def test_build_mlp_rejects_impossible_layer_lists(rng):
    with pytest.raises(ValueError, match="positive"):
        build_mlp([4, 0, 2], rng=rng)
    with pytest.raises(ValueError, match="at least two"):
        build_mlp([4], rng=rng)
    with pytest.raises(ValueError, match="unknown activation"):
        build_mlp([4, 2], activation="cosine", rng=rng)


def test_a_loss_that_ends_far_above_its_start_stops_the_run(rng):
    X, y = _blobs(rng)
    model = build_mlp([2, 2], rng=rng)                 # a linear softmax: the loss grows huge but stays finite
    with pytest.raises(DivergenceError, match="times the loss it started from"):
        fit(model, SoftmaxCrossEntropy(), SGD(10.0), X * 100, y, epochs=3, batch_size=20, rng=rng, verbose=False)


def test_the_divergence_check_leaves_ordinary_runs_alone(rng):
    X, y = _blobs(rng)
    model = build_mlp([2, 16, 2], rng=rng)
    hist = fit(model, SoftmaxCrossEntropy(), Adam(0.01), X, y, epochs=5, batch_size=16, rng=rng, verbose=False)
    assert hist.epochs == 5 and hist.loss[-1] < hist.loss[0]
