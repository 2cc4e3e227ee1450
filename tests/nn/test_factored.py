"""The fused softmax outputs (full and exact class-factored) and the Concatenate combinator."""
import numpy as np
import pytest

from ffnlp.nn.combinators import Concatenate, concatenate
from ffnlp.nn.backends._numpy import _gemm_acc
from ffnlp.nn.factored import ClassFactoredSoftmax, SoftmaxOutput, check_output, frequency_classes
from ffnlp.nn.gradcheck import THRESHOLD, check_layer
from ffnlp.nn.layer import build_layer, chain
from ffnlp.nn.layers import Dense, Identity, Tanh
from ffnlp.nn.losses import SoftmaxCrossEntropy

V = 23


def _zipf_counts(n=V, seed=0):
    rng = np.random.default_rng(seed)
    return np.sort(rng.zipf(1.4, n).astype(float))[::-1]


def _layers(dtype=np.float64, n_in=6, seed=0):
    rng = np.random.default_rng(seed)
    starts = frequency_classes(_zipf_counts(), 5)
    layers = [SoftmaxOutput(n_in, V, rng=rng, dtype=dtype), ClassFactoredSoftmax(n_in, starts, rng=rng, dtype=dtype)]
    for layer in layers:  # non-zero biases so every path is exercised
        for k, p in layer.params.items():
            if k.startswith("b"):
                p[...] = rng.standard_normal(p.shape)
    return layers


def _batch(n=17, n_in=6, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_in)), rng.integers(0, V, n)


# -- word classes ---------------------------------------------------------------------------------
def test_frequency_classes_by_hand():
    # shares of the mass 50 20 10 10 5 3 1 1 (total 100) before each id: 0 .5 .7 .8 .9 .95 .98 .99
    # -> bins of width 1/4: 0 2 2 3 3 3 3 3 -> classes {0}, {1, 2}, {3..7}
    assert frequency_classes([50, 20, 10, 10, 5, 3, 1, 1], 4).tolist() == [0, 1, 3, 8]


@pytest.mark.parametrize("power", [1.0, 0.5, 0.0])
def test_frequency_classes_cover_all_ids(power):
    counts = _zipf_counts(400)
    starts = frequency_classes(counts, power=power)
    assert starts[0] == 0 and starts[-1] == 400
    assert np.all(np.diff(starts) > 0)
    assert len(starts) - 1 <= 20  # round(sqrt(400))
    if power == 0.0:
        assert len(starts) - 1 == 20 and set(np.diff(starts).tolist()) == {20}


def test_frequency_classes_rejects_bad_input():
    with pytest.raises(ValueError):
        frequency_classes([], 2)
    with pytest.raises(ValueError):
        frequency_classes([3, 2, 1], 5)
    with pytest.raises(ValueError):
        frequency_classes([3, -2, 1], 2)


# -- gradient checks ------------------------------------------------------------------------------
@pytest.mark.parametrize("which", [0, 1], ids=["full", "factored"])
def test_log_probabilities_gradient_check(which):
    layer = _layers()[which]
    X, _ = _batch()
    errors = check_layer(layer, X)
    assert max(errors.values()) < THRESHOLD, errors


@pytest.mark.parametrize("which", [0, 1], ids=["full", "factored"])
def test_fused_loss_gradient_check(which):
    layer = _layers()[which]
    X, y = _batch(n=31)
    errors = check_output(layer, X, y)
    assert max(errors.values()) < THRESHOLD, errors


def test_factored_gradient_check_with_repeated_targets_and_single_examples():
    layer = _layers()[1]
    X, _ = _batch(n=9)
    y = np.array([0, 0, 0, 22, 22, 5, 11, 3, 0])  # repeated targets, classes with one example
    errors = check_output(layer, X, y)
    assert max(errors.values()) < THRESHOLD, errors


# -- exactness ------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", [0, 1], ids=["full", "factored"])
def test_distribution_is_normalized_and_paths_agree(which):
    layer = _layers()[which]
    X, y = _batch(n=40)
    logP = layer.predict(X)
    assert logP.shape == (40, V)
    np.testing.assert_allclose(np.exp(logP).sum(axis=1), 1.0, rtol=1e-12)
    lp = layer.logprob(X, y)
    np.testing.assert_allclose(lp, logP[np.arange(40), y], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.logprob(X, y, batch_size=7), lp, rtol=1e-12)  # batching changes nothing
    loss, dX = layer.loss(X, y)
    assert dX.shape == X.shape
    assert loss == pytest.approx(-lp.mean(), rel=1e-12)


def test_factored_is_the_product_of_two_softmaxes():
    layer = _layers()[1]
    X, _ = _batch(n=3)
    Wc, bc, Wt, b = (layer.params[k] for k in ("Wc", "bc", "Wt", "b"))
    zc = X @ Wc + bc
    pc = np.exp(zc - zc.max(1, keepdims=True))
    pc /= pc.sum(1, keepdims=True)
    z = X @ Wt.T + b
    P = np.empty_like(z)
    for c, (s, e) in enumerate(zip(layer.class_starts[:-1], layer.class_starts[1:])):
        pw = np.exp(z[:, s:e] - z[:, s:e].max(1, keepdims=True))
        P[:, s:e] = pc[:, [c]] * pw / pw.sum(1, keepdims=True)
    np.testing.assert_allclose(np.exp(layer.predict(X)), P, rtol=1e-12)


def test_one_class_factored_equals_full_softmax():
    rng = np.random.default_rng(3)
    full = SoftmaxOutput(4, V, rng=rng, dtype=np.float64)
    one = ClassFactoredSoftmax(4, [0, V], dtype=np.float64)
    one.params["Wt"][...] = full.params["W"].T
    X, y = _batch(n=12, n_in=4)
    np.testing.assert_allclose(one.predict(X), full.predict(X), rtol=1e-12)
    l1, d1 = one.loss(X, y)
    l2, d2 = full.loss(X, y)
    assert l1 == pytest.approx(l2, rel=1e-12)
    np.testing.assert_allclose(d1, d2, atol=1e-14)
    np.testing.assert_allclose(one.grads["Wt"].T, full.grads["W"], atol=1e-14)


def test_full_softmax_matches_dense_plus_softmax_cross_entropy():
    rng = np.random.default_rng(4)
    out = SoftmaxOutput(5, V, rng=rng, dtype=np.float64)
    dense = Dense(5, V, rng=np.random.default_rng(4), dtype=np.float64)
    dense.params["W"][...] = out.params["W"]
    X, y = _batch(n=10, n_in=5)
    Z, bp = dense(X, is_train=True)
    ref_loss, dZ = SoftmaxCrossEntropy()(Z, y)
    ref_dX = bp(dZ)
    loss, dX = out.loss(X, y)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(dX, ref_dX, atol=1e-14)
    np.testing.assert_allclose(out.grads["W"], dense.grads["W"], atol=1e-14)
    np.testing.assert_allclose(out.grads["b"], dense.grads["b"], atol=1e-14)


@pytest.mark.parametrize("which", [0, 1], ids=["full", "factored"])
def test_grads_accumulate_and_sample_weight_is_duplication(which):
    a, b = _layers()[which], _layers()[which]
    X, y = _batch(n=8)
    w = np.array([2, 1, 1, 1, 1, 1, 1, 1], dtype=float)
    la, dXa = a.loss(X, y, sample_weight=w)
    Xd, yd = np.vstack([X, X[:1]]), np.r_[y, y[:1]]
    lb, dXb = b.loss(Xd, yd)
    assert la * 8 == pytest.approx(lb * 9, rel=1e-12)  # same total NLL, means over 8 and 9
    for k in a.grads:
        np.testing.assert_allclose(a.grads[k] * 8, b.grads[k] * 9, atol=1e-12)
    np.testing.assert_allclose(dXa[1:] * 8, dXb[1:8] * 9, atol=1e-12)
    before = {k: g.copy() for k, g in a.grads.items()}
    a.loss(X, y, sample_weight=w)                    # gradients add up until the optimizer zeroes them
    for k in a.grads:
        np.testing.assert_allclose(a.grads[k], 2 * before[k], rtol=1e-12)


@pytest.mark.parametrize("which", [0, 1], ids=["full", "factored"])
def test_float32_stays_float32(which):
    layer = _layers(dtype=np.float32)[which]
    X, y = _batch()
    loss, dX = layer.loss(X.astype(np.float32), y)
    assert dX.dtype == np.float32 and np.isfinite(loss)
    assert all(g.dtype == np.float32 for g in layer.grads.values())
    assert layer.predict(X.astype(np.float32)).dtype == np.float32


def test_shapes_are_checked():
    layer = _layers()[1]
    X, y = _batch()
    with pytest.raises(ValueError, match="shape"):
        layer.loss(X[:, :3], y)
    with pytest.raises(ValueError, match="targets"):
        layer.loss(X, y[:3])
    with pytest.raises(ValueError, match=r"\[0, 23\)"):
        layer.loss(X, y + 100)
    with pytest.raises(ValueError, match="class_starts"):
        ClassFactoredSoftmax(3, [0, 5, 5, 9])


def test_rebuilt_from_description():
    layer = _layers()[1]
    clone = build_layer(layer.describe(), dtype=np.float64)
    assert isinstance(clone, ClassFactoredSoftmax)
    np.testing.assert_array_equal(clone.class_starts, layer.class_starts)


@pytest.mark.parametrize("order", ["CC", "FC", "view"])
def test_gemm_accumulates_in_place(order):
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((5, 7)), rng.standard_normal((7, 3))
    if order == "FC":
        A = np.asfortranarray(A)
    if order == "view":
        A = rng.standard_normal((5, 14))[:, ::2]
    for dtype in (np.float32, np.float64):
        big = rng.standard_normal((9, 3)).astype(dtype)
        C = big[2:7]
        expected = C + A.astype(dtype) @ B.astype(dtype)
        out = _gemm_acc(A.astype(dtype), B.astype(dtype), C)
        assert np.shares_memory(out, big)
        np.testing.assert_allclose(C, expected, rtol=1e-5)
    big = np.zeros((1100, 1000), np.float32)                     # large: NumPy's matmul, still in place
    A, B = rng.standard_normal((1100, 3)).astype(np.float32), rng.standard_normal((3, 1000)).astype(np.float32)
    assert _gemm_acc(A, B, big) is big
    np.testing.assert_allclose(big, A @ B, rtol=1e-5)


# -- Concatenate ----------------------------------------------------------------------------------
def test_concatenate_gradient_check_and_shapes():
    rng = np.random.default_rng(0)
    layer = concatenate(chain(Dense(4, 3, rng=rng, dtype=np.float64), Tanh()), Identity())
    X = rng.standard_normal((6, 4))
    Y = layer.predict(X)
    assert Y.shape == (6, 7)
    np.testing.assert_array_equal(Y[:, 3:], X)            # the skip connection
    errors = check_layer(layer, X)
    assert max(errors.values()) < THRESHOLD, errors
    assert isinstance(build_layer(layer.describe(), dtype=np.float64), Concatenate)
