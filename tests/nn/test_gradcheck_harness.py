"""The harness itself: it passes a known-correct gradient and catches a wrong one."""
import numpy as np

from ffnlp.nn.gradcheck import THRESHOLD, check_layer, numeric_gradient, relative_error
from ffnlp.nn.layer import Layer


class Square(Layer):
    """Y = X**2, dX = 2 X dY (correct)."""

    def __call__(self, X, *, is_train):
        return X * X, lambda dY: 2 * X * dY


class WrongSquare(Layer):
    """Y = X**2 with a wrong backward (X dY instead of 2 X dY)."""

    def __call__(self, X, *, is_train):
        return X * X, lambda dY: X * dY


def test_relative_error_basics():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([0.0], [0.0]) == 0.0
    # ||(1,0) - (0,1)|| / (1 + 1) = sqrt(2)/2
    assert np.isclose(relative_error([1.0, 0.0], [0.0, 1.0]), np.sqrt(2) / 2)


def test_numeric_gradient_of_known_function():
    x = np.array([1.0, -2.0, 3.0])
    idx, g = numeric_gradient(lambda: float(np.sum(x ** 3)), x)
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])  # restored


def test_harness_passes_correct_and_fails_wrong_gradient(rng):
    X = rng.standard_normal((4, 3))
    assert check_layer(Square(), X)["input"] < THRESHOLD
    assert check_layer(WrongSquare(), X)["input"] > 0.1
