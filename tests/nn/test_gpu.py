"""The CuPy backend on a real GPU. Skipped where CuPy is not installed (every name the backend uses is still
checked wherever CuPy imports) and, for the device runs, where no CUDA device is visible."""
import numpy as np
import pytest

from ffnlp.nn.backends import NUMPY_OPS, gpu_available

cupy = pytest.importorskip("cupy", reason="CuPy is not installed (pip install 'ffnlp[gpu]'); GPU tests skipped")


def _resolve(module, dotted):
    obj = module
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def test_every_cupy_name_the_backend_uses_exists():
    import cupyx

    from ffnlp.nn.backends import _cupy

    for name in _cupy.CUPY_NAMES:
        assert _resolve(cupy, name) is not None, name
    for name in _cupy.CUPYX_NAMES:
        assert _resolve(cupyx, name) is not None, name
    assert hasattr(cupy.add, "reduceat")


def test_every_array_function_the_core_calls_through_xp_exists_in_cupy():
    import re
    from pathlib import Path

    import ffnlp.nn

    names = set()
    for path in Path(ffnlp.nn.__file__).parent.rglob("*.py"):
        names |= set(re.findall(r"\bxp\.([A-Za-z_][A-Za-z0-9_]*)", path.read_text()))
    assert {"zeros", "take_along_axis", "searchsorted"} <= names
    missing = sorted(n for n in names if not hasattr(cupy, n))
    assert not missing, missing


gpu = pytest.mark.skipif(not gpu_available(), reason="no CUDA device visible to CuPy")


@gpu
@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(__import__("tests.nn.test_fake_device", fromlist=["LAYERS"]).LAYERS))
def test_layer_on_the_gpu_agrees_with_the_cpu_and_passes_the_gradient_check(name):
    from ffnlp.nn.backends import get_ops
    from ffnlp.nn.gradcheck import THRESHOLD, check_layer
    from ffnlp.nn.layers import Ragged
    from tests.nn.test_fake_device import LAYERS, _run

    ops = get_ops("gpu")
    make, data = LAYERS[name]
    cpu, dev = make(np.random.default_rng(0)), make(np.random.default_rng(0)).to_ops(ops)
    X = data(np.random.default_rng(1))
    Xd = Ragged(ops.asarray(X.data), X.lengths) if isinstance(X, Ragged) else ops.asarray(X)
    Yc, dXc, gc = _run(cpu, X, 2)
    Yd, dXd, gd = _run(dev, Xd, 2)
    np.testing.assert_allclose(cupy.asnumpy(Yd) if hasattr(Yd, "get") else Yd, Yc, rtol=1e-9, atol=1e-11)
    for k in gc:
        np.testing.assert_allclose(gd[k], gc[k], rtol=1e-9, atol=1e-11, err_msg=k)
    skip = (".idf", ".R", ".E") if "frozen" in name else (".idf", ".R")
    errors = check_layer(dev, Xd, max_elements=40)
    assert not {k: v for k, v in errors.items() if v >= THRESHOLD and not k.endswith(skip)}


@gpu
@pytest.mark.gpu
@pytest.mark.parametrize("output", ["full", "factored"])
def test_fused_outputs_on_the_gpu(output):
    from ffnlp.nn.backends import get_ops
    from ffnlp.nn.factored import ClassFactoredSoftmax, SoftmaxOutput, check_output, frequency_classes
    from ffnlp.nn.gradcheck import THRESHOLD

    ops = get_ops("gpu")
    rng = np.random.default_rng(0)
    make = (lambda r: SoftmaxOutput(5, 23, rng=r, dtype=np.float64)) if output == "full" else \
        (lambda r: ClassFactoredSoftmax(5, frequency_classes(np.arange(23, 0, -1), 5), rng=r, dtype=np.float64))
    cpu, dev = make(np.random.default_rng(1)), make(np.random.default_rng(1)).to_ops(ops)
    X, y = rng.standard_normal((9, 5)), rng.integers(0, 23, 9)
    lc, dXc = cpu.loss(X, y)
    ld, dXd = dev.loss(ops.asarray(X), y)
    np.testing.assert_allclose(float(ld), float(lc), rtol=1e-10)
    np.testing.assert_allclose(ops.to_host(dXd), dXc, rtol=1e-9)
    for k, err in check_output(dev, ops.asarray(X), y, max_elements=40).items():
        assert err < THRESHOLD, (k, err)


@gpu
@pytest.mark.gpu
def test_a_model_trained_on_the_gpu_loads_on_the_cpu(tmp_path):
    from ffnlp.nn import Adam, SoftmaxCrossEntropy, build_mlp, fit, load_model, save_model

    rng = np.random.default_rng(3)
    X = rng.standard_normal((64, 4)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    m = build_mlp([4, 8, 2], rng=rng).to_ops("gpu")
    fit(m, SoftmaxCrossEntropy(), Adam(0.01), X, y, epochs=3, batch_size=16, rng=rng, verbose=False)
    loaded, _, _ = load_model(save_model(tmp_path / "gpu.npz", m, kind="test"), kind="test")
    assert loaded.ops is NUMPY_OPS
    np.testing.assert_allclose(loaded.predict(X), m.ops.to_host(m.predict(m.ops.asarray(X))), rtol=1e-5)
