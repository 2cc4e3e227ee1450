"""One gradient-check harness for every layer, loss and model (Chainer's ``gradient_check`` idea).

Checks compare the analytic gradient of a scalar function against float64 central differences,
``(f(x + eps) - f(x - eps)) / (2 eps)``, by the relative error ``||g - g_hat|| / (||g|| + ||g_hat||)``;
the course's threshold is 2e-7. For a layer, the scalar is ``sum(Y * G)`` with a fixed random ``G``, so
``backprop(G)`` gives its gradient. Tables too big to perturb element by element get a random-direction
check: the directional derivative along a random unit vector ``d`` against ``<g, d>``.
"""
from __future__ import annotations

import numpy as np

from ffnlp.nn.backends import NUMPY_OPS, new_generator, to_host
from ffnlp.nn.layer import Layer
from ffnlp.nn.layers import Ragged

_HOST = NUMPY_OPS

THRESHOLD = 2e-7


def relative_error(g, g_hat) -> float:
    """``||g - g_hat|| / (||g|| + ||g_hat||)`` (0 when both are zero)."""
    g, g_hat = _HOST.asarray(to_host(g), np.float64).ravel(), _HOST.asarray(to_host(g_hat), np.float64).ravel()
    denom = np.linalg.norm(g) + np.linalg.norm(g_hat)
    return 0.0 if denom == 0 else float(np.linalg.norm(g - g_hat) / denom)


def numeric_gradient(f, x: np.ndarray, *, eps=1e-6, max_elements=None, rng=None):
    """Central-difference gradient of scalar ``f()`` w.r.t. ``x`` (perturbed in place and restored).

    With ``max_elements``, only a random subset of that many entries is perturbed; returns
    ``(indices, numeric values)`` as flat arrays.
    """
    flat = x.reshape(-1)
    idx = _HOST.arange(flat.size)
    if max_elements is not None and flat.size > max_elements:
        idx = (rng or new_generator(0)).choice(flat.size, max_elements, replace=False)
        idx.sort()
    out = _HOST.empty(idx.size, np.float64)
    for j, i in enumerate(idx.tolist()):
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        out[j] = (fp - fm) / (2 * eps)
    return idx, out


def directional_check(f, x, g, *, eps=1e-6, rng=None, ops=NUMPY_OPS) -> float:
    """Relative error between ``<g, d>`` and the central difference of ``f`` along a random unit ``d``
    (``x`` and ``g`` arrays of backend ``ops``)."""
    rng = rng or new_generator(0)
    d_host = rng.standard_normal(x.shape)
    d_host /= np.linalg.norm(d_host)
    d = ops.asarray(d_host, x.dtype)
    x += eps * d
    fp = f()
    x -= 2 * eps * d
    fm = f()
    x += eps * d
    return relative_error(float((to_host(g) * d_host).sum()), (fp - fm) / (2 * eps))


def _float_part(X):
    if isinstance(X, Ragged):
        X = X.data
    return X if getattr(X, "dtype", None) is not None and X.dtype.kind == "f" else None


def _at(a, idx):
    return to_host(a).reshape(-1)[idx]


def check_layer(layer: Layer, X, *, rng=None, eps=1e-6, max_elements=400, wrt_input=True, reset=None) -> dict:
    """Gradient-check ``layer`` at input ``X`` (float64), on the layer's own backend. Returns
    ``{name: relative error}`` for the input (``"input"``) and every parameter; shapes of ``Y``, ``dX`` and
    every grad are asserted.

    ``reset`` is called before every forward pass (e.g. to re-seed a dropout layer's generator).
    """
    rng = rng or new_generator(0)
    ops = layer.ops

    def forward():
        if reset is not None:
            reset()
        return layer(X, is_train=True)

    Y, backprop = forward()
    Yd = Y.data if isinstance(Y, Ragged) else Y
    G = ops.asarray(rng.standard_normal(Yd.shape), Yd.dtype)

    def f():
        out, _ = forward()
        return float(((out.data if isinstance(out, Ragged) else out) * G).sum())

    layer.zero_grads()
    dX = backprop(Ragged(G, Y.lengths) if isinstance(Y, Ragged) else G)
    for owner in layer.walk():
        owner.fold_row_grads()
    results = {}
    Xf = _float_part(X)
    if wrt_input and Xf is not None:
        dXd = dX.data if isinstance(dX, Ragged) else dX
        assert dXd.shape == Xf.shape, f"dX shape {dXd.shape} != X shape {Xf.shape}"
        idx, num = numeric_gradient(f, Xf, eps=eps, max_elements=max_elements, rng=rng)
        results["input"] = relative_error(_at(dXd, idx), num)
    for path, owner, key in layer.named_params():
        P, grad = owner.params[key], owner.grads[key].copy()
        assert grad.shape == P.shape, f"grad {path} shape {grad.shape} != param shape {P.shape}"
        idx, num = numeric_gradient(f, P, eps=eps, max_elements=max_elements, rng=rng)
        results[path] = relative_error(_at(grad, idx), num)
        if P.size > max_elements:
            results[path + "(direction)"] = directional_check(f, P, grad, eps=eps, rng=rng, ops=ops)
    return results


def check_loss(loss, Z, y, *, eps=1e-6, sample_weight=None) -> float:
    """Gradient-check a loss w.r.t. its logits ``Z`` (float64); returns the relative error."""
    value, dZ = loss(Z, y, sample_weight)
    assert dZ.shape == Z.shape, f"dZ shape {dZ.shape} != Z shape {Z.shape}"
    _, num = numeric_gradient(lambda: float(loss(Z, y, sample_weight)[0]), Z, eps=eps)
    return relative_error(dZ, num)


def check_model(model: Layer, loss, X, y, *, eps=1e-6, max_elements=200, rng=None) -> dict:
    """End-to-end check of ``loss(model(X), y)`` w.r.t. every parameter of ``model``."""
    rng = rng or new_generator(0)
    from ffnlp.nn.training import on_backend

    loss = on_backend(loss, model.ops)

    def f():
        return float(loss(model(X, is_train=True)[0], y)[0])

    model.zero_grads()
    Z, backprop = model(X, is_train=True)
    backprop(loss(Z, y)[1])
    for owner in model.walk():
        owner.fold_row_grads()
    results = {}
    for path, owner, key in model.named_params():
        grad = owner.grads[key].copy()
        idx, num = numeric_gradient(f, owner.params[key], eps=eps, max_elements=max_elements, rng=rng)
        results[path] = relative_error(_at(grad, idx), num)
    return results
