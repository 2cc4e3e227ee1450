"""The core on a device backend, without a device: every layer, loss and optimizer, the gradient checks, fit,
and model files, run on :class:`tests.fake_device.FakeOps` (arrays that are not NumPy arrays and refuse
implicit conversion, as CuPy's do) and agree with the CPU backend."""
import numpy as np
import pytest

from ffnlp.nn import (SGD, Adam, Dense, Dropout, Embedding, LeakyReLU, Maxout, MeanPool, Ragged, ReLU, Sigmoid,
                      SigmoidBinaryCrossEntropy, Softplus, SoftmaxCrossEntropy, Tanh, Window, build_mlp, chain, fit,
                      load_model, save_model)
from ffnlp.nn.backends import NUMPY_OPS, get_ops
from ffnlp.nn.combinators import concatenate
from ffnlp.nn.factored import ClassFactoredSoftmax, SoftmaxOutput, check_output, frequency_classes
from ffnlp.nn.gradcheck import THRESHOLD, check_layer, check_loss
from ffnlp.nn.layers import Identity
from ffnlp.nn.losses import MeanSquaredError
from ffnlp.nn.pooling import ConvPool, EmbeddingBag, Ensemble, MaxPool, PartlyFrozenEmbedding, ScaledBag, WordDropout
from tests.fake_device import COUNTS, FakeArray, FakeOps

FAKE = FakeOps()


def host(x):
    return x.a if isinstance(x, FakeArray) else np.asarray(x)


def _ragged_ids(rng, vocab=12, lengths=(3, 0, 5, 2)):
    lengths = np.array(lengths)
    return Ragged(rng.integers(0, vocab, lengths.sum()), lengths)


def _ragged_vectors(rng, d=4, lengths=(3, 0, 5, 2)):
    lengths = np.array(lengths)
    return Ragged(rng.standard_normal((lengths.sum(), d)), lengths)


LAYERS = {
    "dense": (lambda r: Dense(5, 3, rng=r, dtype=np.float64), lambda r: r.standard_normal((6, 5))),
    "tanh": (lambda r: Tanh(), lambda r: r.standard_normal((6, 5))),
    "relu": (lambda r: ReLU(), lambda r: r.standard_normal((6, 5)) + 0.05),
    "sigmoid": (lambda r: Sigmoid(), lambda r: r.standard_normal((6, 5))),
    "leaky": (lambda r: LeakyReLU(0.1), lambda r: r.standard_normal((6, 5)) + 0.05),
    "softplus": (lambda r: Softplus(), lambda r: r.standard_normal((6, 5))),
    "maxout": (lambda r: Maxout(5, 3, 3, rng=r, dtype=np.float64), lambda r: r.standard_normal((6, 5))),
    "embedding": (lambda r: Embedding(12, 4, rng=r, dtype=np.float64), lambda r: r.integers(0, 12, (6, 3))),
    "window": (lambda r: Window(12, 4, 3, rng=r, dtype=np.float64), lambda r: r.integers(0, 12, (6, 3))),
    "meanpool": (lambda r: MeanPool(), _ragged_vectors),
    "maxpool": (lambda r: MaxPool(), _ragged_vectors),
    "bag": (lambda r: EmbeddingBag(12, 4, rng=r, dtype=np.float64), _ragged_ids),
    "bag_frozen": (lambda r: EmbeddingBag(12, 4, n_frozen=5, rng=r, dtype=np.float64), _ragged_ids),
    "bag_tfidf": (lambda r: EmbeddingBag(12, 4, weighting="tfidf", idf=r.uniform(1, 3, 12), rng=r,
                                         dtype=np.float64), _ragged_ids),
    "convpool": (lambda r: ConvPool(4, 3, 3, activation="tanh", rng=r, dtype=np.float64), _ragged_vectors),
    "frozen_emb": (lambda r: PartlyFrozenEmbedding(12, 4, 5, rng=r, dtype=np.float64),
                   lambda r: r.integers(0, 12, (6, 3))),
    "scaledbag": (lambda r: ScaledBag(12, 3, scale=r.uniform(0.5, 2, (12, 3)), dtype=np.float64), _ragged_ids),
    "scaledbag_presence": (lambda r: ScaledBag(12, 3, pooling="presence", residual=True, dtype=np.float64),
                           _ragged_ids),
    "concat": (lambda r: concatenate(chain(Dense(5, 3, rng=r, dtype=np.float64), Tanh()), Identity()),
               lambda r: r.standard_normal((6, 5))),
    "ensemble": (lambda r: Ensemble(Dense(5, 3, rng=r, dtype=np.float64), Dense(5, 3, rng=r, dtype=np.float64)),
                 lambda r: r.standard_normal((6, 5))),
}


def _to_fake_input(X):
    if isinstance(X, Ragged):
        return Ragged(FAKE.asarray(X.data), X.lengths)   # lengths are host metadata
    return FAKE.asarray(X)


def _run(layer, X, seed):
    Y, bp = layer(X, is_train=True)
    Yd = Y.data if isinstance(Y, Ragged) else Y
    G = layer.ops.asarray(np.random.default_rng(seed).standard_normal(Yd.shape), Yd.dtype)
    dX = bp(Ragged(G, Y.lengths) if isinstance(Y, Ragged) else G)
    dXd = dX.data if isinstance(dX, Ragged) else dX
    grads = {p: host(layer_.grads[k]).copy() for p, layer_, k in layer.named_params()}
    return host(Yd), None if dXd is None else host(dXd), grads


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_agrees_with_the_cpu_and_passes_the_gradient_check_on_the_fake_device(name):
    make, data = LAYERS[name]
    cpu = make(np.random.default_rng(0))
    X = data(np.random.default_rng(1))
    dev = make(np.random.default_rng(0)).to_ops(FAKE)
    assert all(isinstance(layer.params[k], FakeArray) for _, layer, k in dev.named_params())
    Yc, dXc, gc = _run(cpu, X, 2)
    Yd, dXd, gd = _run(dev, _to_fake_input(X), 2)
    np.testing.assert_allclose(Yd, Yc, rtol=1e-10, atol=1e-12)
    if dXc is not None:
        np.testing.assert_allclose(dXd, dXc, rtol=1e-10, atol=1e-12)
    for k in gc:
        np.testing.assert_allclose(gd[k], gc[k], rtol=1e-10, atol=1e-12, err_msg=k)
    errors = check_layer(dev, _to_fake_input(X), max_elements=60)
    # constants (idf, NB ratios) and frozen rows get no gradient by design: their parity is checked above
    skip = (".idf", ".R", ".E") if "frozen" in name else (".idf", ".R")
    bad = {k: v for k, v in errors.items() if v >= THRESHOLD and not k.endswith(skip)}
    assert not bad, bad


def test_dropout_masks_come_from_the_layer_generator_on_every_backend():
    X = np.random.default_rng(0).standard_normal((50, 8))
    a, b = Dropout(0.3, seed=4), Dropout(0.3, seed=4).to_ops(FAKE)
    np.testing.assert_array_equal(host(b(FAKE.asarray(X), is_train=True)[0]), a(X, is_train=True)[0])
    wd_a, wd_b = WordDropout(0.4, seed=2), WordDropout(0.4, seed=2).to_ops(FAKE)
    R = _ragged_ids(np.random.default_rng(3))
    ya, yb = wd_a(R, is_train=True)[0], wd_b(_to_fake_input(R), is_train=True)[0]
    np.testing.assert_array_equal(host(yb.data), ya.data)
    np.testing.assert_array_equal(yb.lengths, ya.lengths)


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), SigmoidBinaryCrossEntropy(), MeanSquaredError()])
def test_losses_on_the_fake_device(loss):
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((7, 4))
    y = {SoftmaxCrossEntropy: rng.integers(0, 4, 7), SigmoidBinaryCrossEntropy: rng.integers(0, 2, (7, 4)),
         MeanSquaredError: rng.standard_normal((7, 4))}[type(loss)]
    loss.ops = NUMPY_OPS
    vc, dc = loss(Z, y)
    loss.ops = FAKE
    vd, dd = loss(FAKE.asarray(Z), FAKE.asarray(y))
    assert isinstance(dd, FakeArray)
    np.testing.assert_allclose(float(vd), vc, rtol=1e-12)
    np.testing.assert_allclose(host(dd), dc, rtol=1e-12)
    assert check_loss(loss, FAKE.asarray(Z), FAKE.asarray(y)) < THRESHOLD
    loss.ops = NUMPY_OPS


@pytest.mark.parametrize("output", ["full", "factored"])
def test_fused_outputs_on_the_fake_device(output):
    rng = np.random.default_rng(0)
    counts = rng.integers(1, 50, 23)[np.argsort(-rng.integers(1, 50, 23))]
    make = (lambda r: SoftmaxOutput(5, 23, rng=r, dtype=np.float64)) if output == "full" else \
        (lambda r: ClassFactoredSoftmax(5, frequency_classes(np.sort(counts)[::-1], 5), rng=r, dtype=np.float64))
    cpu, dev = make(np.random.default_rng(1)), make(np.random.default_rng(1)).to_ops(FAKE)
    X, y = rng.standard_normal((9, 5)), rng.integers(0, 23, 9)
    lc, dXc = cpu.loss(X, y)
    ld, dXd = dev.loss(FAKE.asarray(X), y)
    np.testing.assert_allclose(float(ld), float(lc), rtol=1e-12)
    np.testing.assert_allclose(host(dXd), dXc, rtol=1e-10)
    for k in cpu.grads:
        np.testing.assert_allclose(host(dev.grads[k]), cpu.grads[k], rtol=1e-9, atol=1e-14, err_msg=k)
    np.testing.assert_allclose(host(dev.predict(FAKE.asarray(X))), cpu.predict(X), rtol=1e-10)
    np.testing.assert_allclose(dev.logprob(FAKE.asarray(X), y), cpu.logprob(X, y), rtol=1e-12)
    for k, err in check_output(dev, FAKE.asarray(X), y, max_elements=40).items():
        assert err < THRESHOLD, (k, err)


def test_segmented_factored_softmax_equals_the_blocked_one_on_the_cpu():
    rng = np.random.default_rng(0)
    starts = frequency_classes(np.sort(rng.integers(1, 100, 40))[::-1], 6)
    a = ClassFactoredSoftmax(7, starts, rng=np.random.default_rng(2), dtype=np.float64)
    b = ClassFactoredSoftmax(7, starts, rng=np.random.default_rng(2), dtype=np.float64)
    b.mode = "segmented"
    X, y, w = rng.standard_normal((30, 7)), rng.integers(0, 40, 30), rng.uniform(0.5, 2, 30)
    la, da = a.loss(X, y, w)
    lb, db = b.loss(X, y, w)
    np.testing.assert_allclose(lb, la, rtol=1e-12)
    np.testing.assert_allclose(db, da, rtol=1e-10)
    for k in a.grads:
        np.testing.assert_allclose(b.grads[k], a.grads[k], rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("opt", [lambda: Adam(0.01, weight_decay=1e-3), lambda: SGD(0.1, momentum=0.9),
                                 lambda: SGD(0.1), lambda: Adam(0.01, lazy=True)])
def test_optimizers_agree_across_backends_including_lazy_rows(opt):
    def model(r):
        starts = frequency_classes(np.arange(30, 0, -1), 5)
        return chain(Window(20, 3, 2, rng=r, dtype=np.float64), Dense(6, 4, rng=r, dtype=np.float64), Tanh(),
                     ClassFactoredSoftmax(4, starts, rng=r, dtype=np.float64))

    results = []
    for ops in (NUMPY_OPS, FAKE):
        m = model(np.random.default_rng(0)).to_ops(ops)
        body, out = chain(*m.layers[:-1]), m.layers[-1]
        o = opt()
        data = np.random.default_rng(1)
        for _ in range(4):
            X, y = data.integers(0, 20, (8, 2)), data.integers(0, 30, 8)
            F, bp = body(ops.asarray(X), is_train=True)
            _, dF = out.loss(F, y)
            bp(dF)
            o.step(m)
        results.append(m.host_params())
    for k in results[0]:
        np.testing.assert_allclose(results[1][k], results[0][k], rtol=1e-10, atol=1e-13, err_msg=k)


def test_fit_on_the_fake_device_matches_the_cpu_and_saves_a_file_the_cpu_loads(tmp_path):
    def run(ops):
        rng = np.random.default_rng(3)
        X = rng.standard_normal((64, 4))
        y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
        m = build_mlp([4, 8, 2], rng=rng, dropout=0.2, seed=5, dtype=np.float64).to_ops(ops)
        hist = fit(m, SoftmaxCrossEntropy(), Adam(0.01), X, y, epochs=3, batch_size=16, rng=rng, verbose=False)
        return m, hist

    cpu, hc = run(NUMPY_OPS)
    dev, hd = run(FAKE)
    np.testing.assert_allclose(hd.loss, hc.loss, rtol=1e-10)
    path = save_model(tmp_path / "dev.npz", dev, kind="test")
    loaded, _, _ = load_model(path, kind="test")
    assert loaded.ops is NUMPY_OPS
    for k, v in cpu.host_params().items():
        np.testing.assert_allclose(loaded.host_params()[k], v, rtol=1e-10)
    back = loaded.to_ops(FAKE).to_ops("cpu")
    assert back.ops is NUMPY_OPS


def _sync_count_of_a_step(model, objective, X, y, opt):
    from ffnlp.nn.training import train_step

    train_step(model, objective, opt, X, y)           # warm-up: binds the optimizer, allocates buffers
    COUNTS.reset()
    train_step(model, objective, opt, X, y)
    return COUNTS.syncs, COUNTS.where


@pytest.mark.parametrize("output", ["full", "factored"])
def test_one_lm_training_step_syncs_with_the_host_once(output):
    r = np.random.default_rng(0)
    V = 50
    body = chain(Window(V, 6, 3, rng=r), Dense(18, 10, rng=r), Tanh(), Dropout(0.1, seed=1)).to_ops(FAKE)
    out = (SoftmaxOutput(10, V, rng=r) if output == "full" else
           ClassFactoredSoftmax(10, frequency_classes(np.arange(V, 0, -1)), rng=r)).to_ops(FAKE)
    X, y = r.integers(0, V, (32, 3)), r.integers(0, V, 32)
    for opt in (Adam(0.01), Adam(0.01, lazy=True), SGD(0.1, momentum=0.9)):
        syncs, where = _sync_count_of_a_step(body, out, X, y, opt)
        assert syncs == 1, where             # the loss, read once


def test_one_classifier_training_step_syncs_with_the_host_once():
    r = np.random.default_rng(0)
    model = chain(WordDropout(0.2, seed=1), EmbeddingBag(40, 8, rng=r), Dense(8, 6, rng=r), ReLU(),
                  Dense(6, 3, rng=r)).to_ops(FAKE)
    R = _ragged_ids(r, vocab=40, lengths=(5, 1, 7, 3, 4))
    y = r.integers(0, 3, 5)
    syncs, where = _sync_count_of_a_step(model, SoftmaxCrossEntropy(), R, y, Adam(0.01))
    assert syncs == 1, where


def test_fake_arrays_refuse_implicit_conversion_and_count_syncs():
    x = FAKE.asarray(np.arange(4.0))
    with pytest.raises(TypeError):
        np.asarray(x)
    with pytest.raises(TypeError):
        x + np.ones(4)
    with pytest.raises(TypeError):
        np.exp(x)
    COUNTS.reset()
    float(x.sum())
    bool((x > 1).any())
    assert COUNTS.syncs == 2


def test_device_names():
    assert get_ops("cpu") is NUMPY_OPS and get_ops("numpy") is NUMPY_OPS
    with pytest.raises(ValueError, match="unknown device"):
        get_ops("tpu")
