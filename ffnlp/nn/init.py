"""Weight initializers: ``init(rng, shape, dtype) -> ndarray``.

``shape`` is ``(n_in, n_out)`` for a weight matrix (rows are inputs, as in scikit-learn's ``coefs_``).
``rng`` is a :class:`numpy.random.Generator` or a legacy :class:`numpy.random.RandomState` (the latter
only to reproduce the deeplearning.ai course, which draws with ``np.random.randn`` after
``np.random.seed(1)``; pass ``np.random.RandomState(1)``, never seed the global state).
"""
from __future__ import annotations

import math

import numpy as np

from ffnlp.nn.backends import NUMPY_OPS


def _normal(rng, shape):
    # Draw in the course's (n_out, n_in) order and transpose, so a RandomState(1) reproduces its numbers.
    if len(shape) == 2:
        return rng.standard_normal((shape[1], shape[0])).T
    return rng.standard_normal(shape)


def zeros(rng, shape, dtype=np.float32):
    return NUMPY_OPS.alloc(shape, dtype)


def course_small(rng, shape, dtype=np.float32):
    """The course's two-layer initialization: ``randn(n_out, n_in) * 0.01``."""
    return (_normal(rng, shape) * 0.01).astype(dtype, order="C")


def course_scaled(rng, shape, dtype=np.float32):
    """The course's L-layer initialization: ``randn(n_out, n_in) / sqrt(n_in)``."""
    return (_normal(rng, shape) / math.sqrt(shape[0])).astype(dtype, order="C")


def glorot_uniform(rng, shape, dtype=np.float32):
    """Glorot & Bengio (2010): ``U(-a, a)``, ``a = sqrt(6 / (n_in + n_out))``."""
    a = math.sqrt(6.0 / (shape[0] + shape[-1]))
    return rng.uniform(-a, a, size=shape).astype(dtype)


def glorot_normal(rng, shape, dtype=np.float32):
    return (_normal(rng, shape) * math.sqrt(2.0 / (shape[0] + shape[-1]))).astype(dtype, order="C")


def he_normal(rng, shape, dtype=np.float32):
    """He et al. (2015) for ReLU: ``N(0, 2 / n_in)``."""
    return (_normal(rng, shape) * math.sqrt(2.0 / shape[0])).astype(dtype, order="C")


def he_uniform(rng, shape, dtype=np.float32):
    a = math.sqrt(6.0 / shape[0])
    return rng.uniform(-a, a, size=shape).astype(dtype)


def scaled_uniform(scale):
    """``U(-scale, scale)`` (Bengio et al. 2003 initialize embeddings and weights this way)."""

    def init(rng, shape, dtype=np.float32):
        return rng.uniform(-scale, scale, size=shape).astype(dtype)

    init.__name__ = f"scaled_uniform({scale})"
    return init


def scaled_normal(std):
    def init(rng, shape, dtype=np.float32):
        return (_normal(rng, shape) * std).astype(dtype, order="C")

    init.__name__ = f"scaled_normal({std})"
    return init


#: Names accepted by the CLI and configs.
INITIALIZERS = {
    "glorot": glorot_uniform,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "course": course_scaled,
    "course_scaled": course_scaled,
    "course_small": course_small,
    "zeros": zeros,
}


def get_initializer(name_or_fn):
    if callable(name_or_fn):
        return name_or_fn
    try:
        return INITIALIZERS[name_or_fn]
    except KeyError:
        raise ValueError(f"unknown initializer {name_or_fn!r}; choose from {sorted(INITIALIZERS)}") from None
