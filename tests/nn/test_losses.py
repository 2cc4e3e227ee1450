"""Losses: gradient checks, hand-worked values, numerical stability (never NaN from log(0))."""
import numpy as np
import pytest

from ffnlp.nn import MeanSquaredError, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy
from ffnlp.nn.gradcheck import THRESHOLD, check_loss


def test_softmax_cross_entropy_gradient(rng):
    Z = rng.standard_normal((5, 4))
    y = np.array([0, 3, 1, 1, 2])
    assert check_loss(SoftmaxCrossEntropy(), Z, y) < THRESHOLD
    assert check_loss(SoftmaxCrossEntropy(), Z, y, sample_weight=rng.uniform(0.5, 2, 5)) < THRESHOLD


def test_sigmoid_bce_gradient(rng):
    Z = rng.standard_normal((6,))
    y = np.array([0, 1, 1, 0, 1, 0])
    assert check_loss(SigmoidBinaryCrossEntropy(), Z, y) < THRESHOLD
    Zm = rng.standard_normal((4, 3))  # multi-label
    assert check_loss(SigmoidBinaryCrossEntropy(), Zm, rng.integers(0, 2, (4, 3))) < THRESHOLD


def test_mse_gradient(rng):
    Z = rng.standard_normal((5, 2))
    assert check_loss(MeanSquaredError(), Z, rng.standard_normal((5, 2))) < THRESHOLD


def test_softmax_worked_example():
    # Z = [0, ln 3]: softmax = [1/4, 3/4]; y = 1 -> loss = -ln(3/4) = 0.28768...
    Z = np.array([[0.0, np.log(3.0)]])
    loss, dZ = SoftmaxCrossEntropy()(Z, np.array([1]))
    assert np.isclose(loss, -np.log(0.75))
    np.testing.assert_allclose(dZ, [[0.25, -0.25]])  # (p - onehot) / n


def test_bce_matches_course_formula(rng):
    Z = rng.standard_normal(20)
    y = rng.integers(0, 2, 20)
    A = 1 / (1 + np.exp(-Z))
    course = -np.mean(y * np.log(A) + (1 - y) * np.log(1 - A))
    assert np.isclose(SigmoidBinaryCrossEntropy()(Z, y)[0], course, rtol=1e-12)


def test_mse_worked_example():
    # 0.5 * mean over samples of the squared error: ((1)^2 + (2)^2) / 2 / 2 = 1.25
    loss, dZ = MeanSquaredError()(np.array([[1.0], [2.0]]), np.array([[0.0], [0.0]]))
    assert loss == 1.25
    np.testing.assert_allclose(dZ, [[0.5], [1.0]])


def test_no_nan_from_extreme_logits():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        Z = np.array([[1000.0, -1000.0, 0.0], [-1e4, -1e4, -1e4]])
        loss, dZ = SoftmaxCrossEntropy()(Z, np.array([1, 0]))
        assert np.isfinite(loss) and np.isfinite(dZ).all()
        assert np.isclose(loss, (2000.0 + np.log(3)) / 2)
        loss, dZ = SigmoidBinaryCrossEntropy()(np.array([1000.0, -1000.0]), np.array([0, 1]))
        assert np.isfinite(loss) and np.isclose(loss, 1000.0)


def test_float32_loss_is_float32_gradient():
    Z = np.zeros((3, 4), np.float32)
    _, dZ = SoftmaxCrossEntropy()(Z, np.array([0, 1, 2]))
    assert dZ.dtype == np.float32


def test_bad_targets_name_the_shape():
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        SoftmaxCrossEntropy()(np.zeros((3, 4)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        SoftmaxCrossEntropy()(np.zeros((2, 4)), np.array([0, 4]))
    with pytest.raises(ValueError, match="integer"):
        SoftmaxCrossEntropy()(np.zeros((2, 4)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        SigmoidBinaryCrossEntropy()(np.zeros(2), np.array([0, 2]))


def test_nll_sums_to_mean_loss(rng):
    Z = rng.standard_normal((7, 5))
    y = rng.integers(0, 5, 7)
    loss = SoftmaxCrossEntropy()
    assert np.isclose(loss.nll(Z, y).mean(), loss(Z, y)[0])
