"""Ragged pooling layers: gradient checks, a per-sequence reference forward, shapes and edge cases."""
import numpy as np
import pytest

from ffnlp.nn import Adam, Dense, Embedding, MeanPool, Ragged, chain, load_model, save_model
from ffnlp.nn.gradcheck import THRESHOLD, check_layer, check_model
from ffnlp.nn.losses import SoftmaxCrossEntropy
from ffnlp.nn.pooling import ConvPool, EmbeddingBag, Ensemble, MaxPool, PartlyFrozenEmbedding, ScaledBag, WordDropout


def _assert_passes(results):
    assert results, "no gradient was checked"
    for name, err in results.items():
        assert err < THRESHOLD, f"{name}: relative error {err:.3e} >= {THRESHOLD}"


def _ragged(rng, lengths, d):
    lengths = np.asarray(lengths)
    return Ragged(rng.standard_normal((int(lengths.sum()), d)), lengths)


def _segments(X):
    starts = np.concatenate([[0], np.cumsum(X.lengths)[:-1]])
    return [X.data[s:s + n] for s, n in zip(starts, X.lengths)]


def _reference_convpool(layer, X):
    """Loop over sequences and positions: the definition, written out."""
    W, b = layer.params["W"], layer.params["b"]
    k, left = layer.window, (layer.window - 1) // 2
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[layer.activation]
    out = []
    for seq in _segments(X):
        if len(seq) == 0:
            out.append(np.zeros(layer.n_out))
            continue
        padded = np.vstack([np.zeros((left, layer.n_in)), seq, np.zeros((k - 1 - left, layer.n_in))])
        H = np.array([act(padded[t:t + k].reshape(-1) @ W + b) for t in range(len(seq))])
        out.append(H.max(axis=0) if layer.pool == "max" else H.mean(axis=0))
    return np.array(out)


def test_maxpool_forward_matches_loop_and_handles_empty(rng):
    X = _ragged(rng, [3, 0, 1, 4], 5)
    Y = MaxPool().predict(X)
    assert Y.shape == (4, 5)
    expected = [seg.max(axis=0) if len(seg) else np.zeros(5) for seg in _segments(X)]
    np.testing.assert_array_equal(Y, np.array(expected))


def test_maxpool_gradient(rng):
    X = _ragged(rng, [3, 0, 1, 4], 5)
    _assert_passes(check_layer(MaxPool(), X))


def test_maxpool_gradient_goes_to_the_argmax():
    # One sequence [[1, 5], [3, 2]]: max = [3, 5] from rows 1 and 0; dY = [10, 20]
    X = Ragged(np.array([[1.0, 5.0], [3.0, 2.0]]), np.array([2]))
    Y, backprop = MaxPool()(X, is_train=True)
    np.testing.assert_array_equal(Y, [[3.0, 5.0]])
    dX = backprop(np.array([[10.0, 20.0]]))
    np.testing.assert_array_equal(dX.data, [[0.0, 20.0], [10.0, 0.0]])


@pytest.mark.parametrize("pool", ["max", "mean"])
@pytest.mark.parametrize("window", [1, 2, 3])
def test_convpool_matches_reference_and_gradient(rng, pool, window):
    layer = ConvPool(4, 6, window, activation="tanh", pool=pool, rng=rng, dtype=np.float64)
    layer.params["b"][...] = rng.standard_normal(6) * 0.1
    X = _ragged(rng, [3, 1, 0, 5], 4)
    Y, backprop = layer(X, is_train=True)
    assert Y.shape == (4, 6)
    np.testing.assert_allclose(Y, _reference_convpool(layer, X), rtol=1e-12, atol=1e-12)
    dX = backprop(np.ones_like(Y))
    assert isinstance(dX, Ragged) and dX.data.shape == X.data.shape
    assert all(layer.grads[k].shape == layer.params[k].shape for k in layer.params)
    layer.zero_grads()
    _assert_passes(check_layer(layer, X))


def test_convpool_relu_off_kinks(rng):
    layer = ConvPool(3, 4, 3, activation="relu", pool="max", rng=rng, dtype=np.float64)
    X = _ragged(rng, [4, 2], 3)
    Z = layer.predict(X)
    assert Z.shape == (2, 4)
    np.testing.assert_allclose(Z, _reference_convpool(layer, X), rtol=1e-12)
    _assert_passes(check_layer(layer, X))


def test_convpool_batch_equals_one_by_one(rng):
    layer = ConvPool(4, 5, 3, rng=rng, dtype=np.float64)
    X = _ragged(rng, [2, 6, 3], 4)
    rows = [layer.predict(Ragged(seg, np.array([len(seg)])))[0] for seg in _segments(X)]
    np.testing.assert_allclose(layer.predict(X), np.array(rows), rtol=1e-12)


def test_convpool_rejects_bad_input(rng):
    layer = ConvPool(4, 5, 3, rng=rng)
    with pytest.raises(ValueError, match="Ragged"):
        layer(np.zeros((3, 4)), is_train=False)
    with pytest.raises(ValueError, match=r"\(n_total, 4\)"):
        layer(Ragged(np.zeros((3, 5)), np.array([3])), is_train=False)
    with pytest.raises(ValueError, match="lengths"):
        layer(Ragged(np.zeros((3, 4)), np.array([2])), is_train=False)
    with pytest.raises(ValueError, match="pool"):
        ConvPool(4, 5, pool="median")


def test_embedding_convpool_model_end_to_end(rng):
    """Embedding -> ConvPool -> Dense -> softmax, checked w.r.t. every parameter (repeated ids included)."""
    model = chain(Embedding(12, 3, rng=rng, dtype=np.float64),
                  ConvPool(3, 4, 3, activation="tanh", rng=rng, dtype=np.float64),
                  Dense(4, 3, rng=rng, dtype=np.float64))
    ids = Ragged(np.array([1, 2, 2, 5, 7, 1, 1, 11, 3]), np.array([4, 0, 5]))
    _assert_passes(check_model(model, SoftmaxCrossEntropy(), ids, np.array([0, 2, 1])))


def test_worddropout_drops_items_in_training_only():
    ids = Ragged(np.arange(1000), np.array([500, 0, 500]))
    layer = WordDropout(0.3, seed=1)
    same = layer.predict(ids)
    assert same.data is ids.data
    out, backprop = layer(ids, is_train=True)
    assert out.lengths.tolist()[1] == 0 and out.lengths.sum() == out.data.shape[0]
    assert 0.6 < out.data.shape[0] / 1000 < 0.8
    assert set(out.data[: out.lengths[0]]) <= set(range(500))  # items stay in their own sequence
    assert backprop(None) is None
    with pytest.raises(ValueError, match="rate"):
        WordDropout(1.0)


def test_worddropout_is_repeatable():
    ids = Ragged(np.arange(100), np.array([60, 40]))
    a, _ = WordDropout(0.5, seed=3)(ids, is_train=True)
    b, _ = WordDropout(0.5, seed=3)(ids, is_train=True)
    np.testing.assert_array_equal(a.data, b.data)


def test_partly_frozen_embedding(rng):
    layer = PartlyFrozenEmbedding(6, 2, n_frozen=3, rng=rng, dtype=np.float64)
    ids = Ragged(np.array([0, 4, 2, 4, 5]), np.array([2, 3]))
    before = layer.params["E"].copy()
    pooled = chain(layer, MeanPool())
    Y, backprop = pooled(ids, is_train=True)
    backprop(np.ones_like(Y))
    assert np.all(layer.grads["E"][:3] == 0) and np.all(layer.grads["E"][4] != 0)
    assert set(layer.sparse["E"].tolist()) == {4, 5}
    Adam(0.1).step(pooled)
    np.testing.assert_array_equal(layer.params["E"][:4], before[:4])
    assert np.all(layer.params["E"][4:] != before[4:])
    # free rows get exactly the gradient of a plain Embedding; with nothing frozen the layer is gradient-checked
    plain = Embedding(6, 2, dtype=np.float64)
    plain.params["E"][...] = layer.params["E"]
    Yp, bp = chain(plain, MeanPool())(ids, is_train=True)
    bp(np.ones_like(Yp))
    layer.zero_grads()
    backprop(np.ones_like(Y))
    np.testing.assert_array_equal(layer.grads["E"][3:], plain.grads["E"][3:])
    free = PartlyFrozenEmbedding(6, 2, n_frozen=0, rng=rng, dtype=np.float64)
    _assert_passes(check_layer(chain(free, MeanPool()), ids))


def test_pooling_layers_round_trip_through_model_file(rng, tmp_path):
    model = chain(WordDropout(0.2, seed=4), PartlyFrozenEmbedding(10, 3, n_frozen=4, rng=rng),
                  ConvPool(3, 5, 2, pool="mean", rng=rng), Dense(5, 2, rng=rng))
    path = save_model(tmp_path / "m.npz", model, kind="test")
    again, _, _ = load_model(path, kind="test")
    ids = Ragged(np.array([1, 2, 3, 9, 0]), np.array([3, 2]))
    np.testing.assert_array_equal(model.predict(ids), again.predict(ids))
    assert again[2].get_config() == {"n_in": 3, "n_out": 5, "window": 2, "activation": "relu", "pool": "mean"}
    assert again[1].get_config()["n_frozen"] == 4 and again[0].get_config() == {"rate": 0.2, "seed": 4}
    pooled = chain(Embedding(10, 3, rng=rng), MaxPool())
    again, _, _ = load_model(save_model(tmp_path / "p.npz", pooled, kind="test"), kind="test")
    np.testing.assert_array_equal(pooled.predict(ids), again.predict(ids))


def test_ensemble_averages_members_and_is_gradient_checked(rng):
    a = chain(Dense(3, 4, rng=rng, dtype=np.float64), Dense(4, 2, rng=rng, dtype=np.float64))
    b = Dense(3, 2, rng=rng, dtype=np.float64)
    ens = Ensemble(a, b)
    X = rng.standard_normal((5, 3))
    np.testing.assert_allclose(ens.predict(X), (a.predict(X) + b.predict(X)) / 2)
    _assert_passes(check_layer(ens, X))
    ids = Ragged(np.array([1, 2, 2, 5, 0]), np.array([3, 2]))
    members = [chain(Embedding(6, 3, rng=rng, dtype=np.float64), MeanPool(), Dense(3, 2, rng=rng, dtype=np.float64))
               for _ in range(3)]
    model = Ensemble(*members)
    _assert_passes(check_model(model, SoftmaxCrossEntropy(), ids, np.array([0, 1])))


def test_ensemble_round_trips_through_model_file(rng, tmp_path):
    model = Ensemble(*[chain(Embedding(6, 3, rng=rng), MeanPool(), Dense(3, 2, rng=rng)) for _ in range(2)])
    again, _, _ = load_model(save_model(tmp_path / "e.npz", model, kind="test"), kind="test")
    ids = Ragged(np.array([1, 2, 2, 5, 0]), np.array([3, 2]))
    np.testing.assert_array_equal(model.predict(ids), again.predict(ids))
    assert len(again) == 2


def test_scaled_bag_forward_gradient_and_frozen_scale(rng):
    R = rng.standard_normal((6, 2))
    layer = ScaledBag(6, 2, scale=R, dtype=np.float64)
    layer.params["U"][...] = rng.standard_normal((6, 2))
    ids = Ragged(np.array([1, 2, 2, 5, 0]), np.array([3, 0, 2]))
    Y, backprop = layer(ids, is_train=True)
    U = layer.params["U"]
    expected = np.array([(R[1] * U[1] + 2 * R[2] * U[2]) / 3, np.zeros(2), (R[5] * U[5] + R[0] * U[0]) / 2])
    np.testing.assert_allclose(Y, expected)
    layer.zero_grads()
    results = check_layer(layer, ids)
    # R is a constant: its analytic gradient is zero by design, so only U is checked
    _assert_passes({k: v for k, v in results.items() if not k.startswith("0.R")})
    before, U0 = layer.params["R"].copy(), layer.params["U"].copy()
    _, backprop = layer(ids, is_train=True)
    backprop(np.ones((3, 2)))
    Adam(0.1).step(layer)
    np.testing.assert_array_equal(layer.params["R"], before)
    np.testing.assert_array_equal(layer.params["U"][3], U0[3])  # untouched row
    assert not np.array_equal(layer.params["U"][1], U0[1])


def test_scaled_bag_presence_pooling_and_residual_weights(rng):
    R = rng.standard_normal((6, 2))
    layer = ScaledBag(6, 2, scale=R, pooling="presence", residual=True, dtype=np.float64)
    np.testing.assert_array_equal(layer.params["U"], 0)            # starts at naive Bayes: W = 1 + U = 1
    ids = Ragged(np.array([1, 2, 2, 5, 0]), np.array([3, 0, 2]))
    Y, _ = layer(ids, is_train=False)
    np.testing.assert_allclose(Y, [R[1] + R[2], np.zeros(2), R[5] + R[0]])  # id 2 counts once
    layer.params["U"][...] = rng.standard_normal((6, 2))
    W = 1 + layer.params["U"]
    Y, _ = layer(ids, is_train=False)
    np.testing.assert_allclose(Y[0], R[1] * W[1] + R[2] * W[2])
    _assert_passes({k: v for k, v in check_layer(layer, ids).items() if not k.startswith("0.R")})
    assert layer.get_config() == {"vocab_size": 6, "n_out": 2, "pooling": "presence", "residual": True}
    with pytest.raises(ValueError, match="pooling"):
        ScaledBag(6, 2, pooling="max")
    old = ScaledBag.from_config({"vocab_size": 6, "n_out": 2})    # files written before these options
    assert old.pooling == "mean" and not old.residual and old.params["U"][0, 0] == 1


def test_sum_ensemble_adds_branches(rng):
    a, b = Dense(3, 2, rng=rng, dtype=np.float64), Dense(3, 2, rng=rng, dtype=np.float64)
    X = rng.standard_normal((4, 3))
    added = Ensemble(a, b, reduce="sum")
    np.testing.assert_allclose(added.predict(X), a.predict(X) + b.predict(X))
    _assert_passes(check_layer(added, X))


def test_embedding_bag_equals_embedding_then_meanpool(rng):
    bag = EmbeddingBag(12, 4, rng=rng, dtype=np.float64)
    plain = Embedding(12, 4, dtype=np.float64)
    plain.params["E"][...] = bag.params["E"]
    ids = Ragged(np.array([3, 3, 7, 0, 11, 5, 3, 2]), np.array([3, 0, 1, 4]))
    Y, bp = bag(ids, is_train=True)
    Y2, bp2 = chain(plain, MeanPool())(ids, is_train=True)
    np.testing.assert_allclose(Y, Y2, rtol=1e-12)
    G = rng.standard_normal(Y.shape)
    bp(G)
    bp2(G)
    np.testing.assert_allclose(bag.grads["E"], plain.grads["E"], rtol=1e-12)
    assert bag.sparse["E"].tolist() == [0, 2, 3, 5, 7, 11]
    bag.zero_grads()
    _assert_passes(check_layer(bag, ids))


def test_embedding_bag_frozen_rows(rng):
    bag = EmbeddingBag(6, 2, n_frozen=3, rng=rng, dtype=np.float64)
    ids = Ragged(np.array([0, 4, 2, 4, 5]), np.array([2, 3]))
    Y, bp = bag(ids, is_train=True)
    bp(np.ones_like(Y))
    assert np.all(bag.grads["E"][:3] == 0) and set(bag.sparse["E"].tolist()) == {4, 5}
    with pytest.raises(ValueError, match="ids must lie"):
        bag(Ragged(np.array([6]), np.array([1])), is_train=False)


def test_tfidf_embedding_bag_weights_and_gradient(rng, tmp_path):
    from ffnlp.nn.backends import NUMPY_OPS, Ops

    idf = np.array([1.0, 2.0, 1.5, 3.0])
    ids = Ragged(np.array([1, 1, 2, 3, 0]), np.array([3, 0, 2]))
    # doc 0: tf(1) = 2, tf(2) = 1 -> (1 + log 2) * 2, 1 * 1.5, normalized; doc 1 empty; doc 2: 3.0 and 1.0
    w0 = np.array([0.0, (1 + np.log(2)) * 2, 1.5, 0.0])
    w2 = np.array([1.0, 0.0, 0.0, 3.0])
    expected = np.vstack([w0 / np.linalg.norm(w0), np.zeros(4), w2 / np.linalg.norm(w2)])
    for ops in (NUMPY_OPS, Ops()):           # the CPU's and the generic (device) form
        w = ops.bag_item_weights(ids.data, ids.lengths, "tfidf", idf)
        dense = np.zeros((3, 4))
        np.add.at(dense, (np.repeat(np.arange(3), ids.lengths), ids.data), w)
        np.testing.assert_allclose(dense, expected, rtol=1e-12)
    bag = EmbeddingBag(4, 3, weighting="tfidf", idf=idf, rng=rng, dtype=np.float64)
    np.testing.assert_allclose(bag.predict(ids), expected @ bag.params["E"], rtol=1e-12)
    results = check_layer(bag, ids)
    # idf is a constant (no gradient by design): only E is checked
    _assert_passes({k: v for k, v in results.items() if not k.startswith("0.idf")})
    again, _, _ = load_model(save_model(tmp_path / "tfidf.npz", bag, kind="test"), kind="test")
    np.testing.assert_array_equal(again.predict(ids), bag.predict(ids))



# -- weighted bags (per-item weights carried by the batch) -------------------------------------------------

from typing import NamedTuple  # noqa: E402

from ffnlp.nn.pooling import DirectBag, Select, WeightedEmbeddingBag  # noqa: E402


class _Bag(NamedTuple):
    data: np.ndarray
    lengths: np.ndarray
    weights: np.ndarray


class _Batch(NamedTuple):
    embed: _Bag
    direct: _Bag


def _bag(rng, n_out=None):
    ids, lengths = np.array([1, 2, 4, 5, 0, 2, 5]), np.array([3, 0, 4])    # the last bag repeats no id
    shape = (7,) if n_out is None else (7, n_out)
    return _Bag(ids, lengths, rng.uniform(0.5, 2.0, shape))


def test_weighted_embedding_bag_matches_loop_and_gradient(rng):
    bag = WeightedEmbeddingBag(6, 3, rng=rng, dtype=np.float64)
    X = _bag(rng)
    Y, _ = bag(X, is_train=False)
    E = bag.params["E"]
    expected = [sum(w * E[i] for i, w in zip(X.data[s:s + n], X.weights[s:s + n])) if n else np.zeros(3)
                for s, n in zip([0, 3, 3], X.lengths)]                     # the definition, written out
    np.testing.assert_allclose(Y, expected)
    _assert_passes(check_layer(bag, X))
    assert set(bag.params) == {"E"} and bag.get_config()["n_frozen"] == 0


def test_weighted_embedding_bag_frozen_rows_and_bad_input(rng):
    bag = WeightedEmbeddingBag(6, 3, n_frozen=3, rng=rng, dtype=np.float64)
    X = _bag(rng)
    _, backprop = bag(X, is_train=True)
    backprop(np.ones((3, 3)))
    assert not bag.grads["E"][:3].any() and bag.grads["E"][4].any()
    assert bag.sparse["E"].tolist() == [4, 5]
    with pytest.raises(ValueError, match="weights must have shape"):
        bag(_Bag(X.data, X.lengths, X.weights[:3]), is_train=False)
    with pytest.raises(ValueError, match="lengths"):
        bag(_Bag(X.data, np.array([3, 3]), X.weights), is_train=False)
    with pytest.raises(ValueError, match="ids must lie"):
        bag(_Bag(X.data + 3, X.lengths, X.weights), is_train=False)


def test_direct_bag_forward_gradient_and_naive_bayes_start(rng):
    X = _bag(rng, n_out=2)
    layer = DirectBag(6, 2, dtype=np.float64)
    np.testing.assert_array_equal(layer.params["U"], 0)                  # residual: W = 1 + U = 1
    Y, _ = layer(X, is_train=False)
    np.testing.assert_allclose(Y, [X.weights[:3].sum(0), np.zeros(2), X.weights[3:].sum(0)])
    layer.params["U"][...] = rng.standard_normal((6, 2))
    W = 1 + layer.params["U"]
    Y, _ = layer(X, is_train=False)
    np.testing.assert_allclose(Y[2], (X.weights[3:] * W[X.data[3:]]).sum(0))
    _assert_passes(check_layer(layer, X))
    plain = DirectBag(6, 2, residual=False, dtype=np.float64)
    np.testing.assert_array_equal(plain.params["U"], 1)
    _assert_passes(check_layer(plain, X))
    assert set(layer.params) == {"U"}                                    # no corpus constant inside


def test_select_feeds_two_branches_of_a_sum_ensemble(rng, tmp_path):
    batch = _Batch(_bag(rng), _bag(rng, n_out=2))
    net = chain(Select("embed"), WeightedEmbeddingBag(6, 3, rng=rng, dtype=np.float64),
                Dense(3, 2, rng=rng, dtype=np.float64))
    model = Ensemble(net, chain(Select("direct"), DirectBag(6, 2, dtype=np.float64)), reduce="sum")
    np.testing.assert_allclose(model.predict(batch), net.predict(batch) + model[1].predict(batch))
    _assert_passes(check_model(model, SoftmaxCrossEntropy(), batch, np.array([0, 1, 1])))
    again, _, _ = load_model(save_model(tmp_path / "m.npz", model, kind="test"))
    np.testing.assert_array_equal(again.predict(batch), model.predict(batch))
    with pytest.raises(ValueError, match="no field"):
        Select("words")(batch, is_train=False)
