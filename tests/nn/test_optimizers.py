import numpy as np
import pytest

from ffnlp.nn import SGD, Adam, Dense, Embedding, GradientDescent, chain



def _model(rng, dtype=np.float64):
    return chain(Dense(3, 2, rng=rng, dtype=dtype))


def _set_grads(model, value):
    for _, layer, k in model.named_params():
        layer.grads[k][...] = value


def test_gradient_descent_is_the_article_rule(rng):
    m = _model(rng)
    W0, b0 = m[0].params["W"].copy(), m[0].params["b"].copy()
    _set_grads(m, 0.5)
    GradientDescent(0.1).step(m)
    np.testing.assert_allclose(m[0].params["W"], W0 - 0.05)
    np.testing.assert_allclose(m[0].params["b"], b0 - 0.05)
    assert not m[0].grads["W"].any(), "the step zeroes the gradients"


def test_weight_decay_spares_biases(rng):
    m = _model(rng)
    W0, b0 = m[0].params["W"].copy(), m[0].params["b"].copy()
    _set_grads(m, 0.0)
    SGD(0.1, weight_decay=0.5).step(m)
    np.testing.assert_allclose(m[0].params["W"], W0 * (1 - 0.05))
    np.testing.assert_allclose(m[0].params["b"], b0)


def test_bengio_lr_schedule(rng):
    opt = SGD(1.0, lr_decay=0.5)
    m = _model(rng)
    lrs = []
    for _ in range(3):
        lrs.append(opt.current_lr)
        _set_grads(m, 0.0)
        opt.step(m)
    np.testing.assert_allclose(lrs, [1.0, 1 / 1.5, 1 / 2.0])


def test_momentum(rng):
    m = _model(rng)
    W0 = m[0].params["W"].copy()
    opt = SGD(0.1, momentum=0.9)
    for _ in range(2):
        _set_grads(m, 1.0)
        opt.step(m)
    # v1 = -0.1, v2 = 0.9 * -0.1 - 0.1 = -0.19; W = W0 - 0.29
    np.testing.assert_allclose(m[0].params["W"], W0 - 0.29)


def test_adam_matches_reference(rng):
    m = _model(rng)
    p = m[0].params["W"].copy()
    mom, vel = np.zeros_like(p), np.zeros_like(p)
    opt = Adam(0.01)
    for t in range(1, 4):
        g = rng.standard_normal(p.shape)
        m[0].grads["W"][...] = g
        m[0].grads["b"][...] = 0
        opt.step(m)
        mom = 0.9 * mom + 0.1 * g
        vel = 0.999 * vel + 0.001 * g * g
        p = p - 0.01 * (mom / (1 - 0.9 ** t)) / (np.sqrt(vel / (1 - 0.999 ** t)) + 1e-8 * np.sqrt(1 - 0.999 ** t)
                                                    / np.sqrt(1 - 0.999 ** t))
        np.testing.assert_allclose(m[0].params["W"], p, rtol=1e-6, atol=1e-9)


def test_sparse_embedding_update_touches_only_used_rows(rng):
    for opt in (SGD(0.5, weight_decay=0.1), SGD(0.5, momentum=0.9), Adam(0.1)):
        emb = Embedding(10, 2, rng=rng, dtype=np.float64)
        m = chain(emb)
        E0 = emb.params["E"].copy()
        _, bp = m(np.array([2, 2, 7]), is_train=True)
        bp(np.ones((3, 2)))
        opt.step(m)
        changed = np.flatnonzero((emb.params["E"] != E0).any(axis=1))
        np.testing.assert_array_equal(changed, [2, 7])
        assert not emb.grads["E"].any()


def test_frozen_embedding_is_not_updated(rng):
    emb = Embedding(5, 2, rng=rng, trainable=False)
    m = chain(emb)
    E0 = emb.params["E"].copy()
    _, bp = m(np.array([1, 2]), is_train=True)
    bp(np.ones((2, 2), np.float32))
    Adam(0.1).step(m)
    np.testing.assert_array_equal(emb.params["E"], E0)


def test_state_dict_roundtrip_resumes_identically(rng):
    def run(steps, opt, m, seed):
        r = np.random.default_rng(seed)
        for _ in range(steps):
            _set_grads(m, 0.0)
            m[0].grads["W"][...] = r.standard_normal(m[0].params["W"].shape)
            opt.step(m)

    m1 = _model(np.random.default_rng(1))
    o1 = Adam(0.01)
    run(3, o1, m1, 0)
    state, params = o1.state_dict(), m1.copy_params()
    run(2, o1, m1, 1)
    m2 = _model(np.random.default_rng(1))
    m2.set_params_from(params)
    o2 = Adam(0.01)
    o2.load_state_dict(m2, state)
    run(2, o2, m2, 1)
    np.testing.assert_array_equal(m1[0].params["W"], m2[0].params["W"])


def _grad_steps(steps, opt, m, seed):
    r = np.random.default_rng(seed)
    for _ in range(steps):
        _set_grads(m, 0.0)
        for layer in m.walk():
            for k, g in layer.grads.items():
                g[...] = r.standard_normal(g.shape)
        opt.step(m)


def test_state_dict_is_per_parameter_and_survives_a_new_layout():
    """Moments are saved per parameter (``param{j}.{name}``): they load into a layout where a parameter moved
    from the flat buffers to the row-wise tables (a data-parallel output shard) and back, unchanged."""
    r = np.random.default_rng(1)
    m1 = chain(Dense(3, 2, rng=r), Dense(2, 2, rng=r))
    o1 = Adam(0.01)
    _grad_steps(3, o1, m1, 0)
    state = o1.state_dict()
    assert set(state) == {"t"} | {f"param{j}.{n}" for j in range(4) for n in ("m", "v")}
    before = {k: v.copy() for k, v in state.items()}
    m1[1].sparse_params = ("W",)            # the second layer's weights move to the row-wise tables
    o1._bind(m1)
    m1[1].sparse_params = ()
    o1._bind(m1)                            # and back
    after = o1.state_dict()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k], err_msg=k)


def test_earlier_layout_bound_state_keys_still_load():
    """Checkpoints written before the per-parameter keys hold ``dense{i}.{name}`` flat buffers."""
    m1 = _model(np.random.default_rng(1))
    o1 = Adam(0.01)
    _grad_steps(3, o1, m1, 0)
    params = m1.copy_params()
    old = {"t": np.asarray(o1.t)} | {f"dense{i}.{n}": a.copy() for i, g in enumerate(o1._groups)
                                       for n, a in g.state.items()}
    m2 = _model(np.random.default_rng(1))
    m2.set_params_from(params)
    o2 = Adam(0.01)
    o2.load_state_dict(m2, old)
    _grad_steps(2, o1, m1, 5)
    _grad_steps(2, o2, m2, 5)
    np.testing.assert_array_equal(m1[0].params["W"], m2[0].params["W"])


def test_optimizer_rebinds_when_params_are_replaced(rng):
    m = _model(rng)
    opt = SGD(0.1)
    _set_grads(m, 1.0)
    opt.step(m)
    m.astype(np.float32)  # new arrays: the optimizer must notice
    W0 = m[0].params["W"].copy()
    _set_grads(m, 1.0)
    opt.step(m)
    np.testing.assert_allclose(m[0].params["W"], W0 - 0.1, rtol=1e-6)


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="learning rate"):
        SGD(0.0)
    with pytest.raises(ValueError, match="momentum"):
        SGD(0.1, momentum=1.0)





def test_sparse_adam_equals_dense_adam_when_every_row_is_used(rng):
    from ffnlp.nn import Dense

    emb = Embedding(4, 3, rng=np.random.default_rng(1), dtype=np.float64)
    dense = Dense(4, 3, dtype=np.float64)
    dense.params["W"][...] = emb.params["E"]
    m_sparse, m_dense = chain(emb), chain(dense)
    o_sparse, o_dense = Adam(0.1, weight_decay=0.01), Adam(0.1, weight_decay=0.01)
    for _ in range(4):
        G = rng.standard_normal((4, 3))
        _, bp = m_sparse(np.arange(4), is_train=True)
        bp(G)                       # every row used: lazy updates = dense updates
        _, bp = m_dense(np.eye(4), is_train=True)
        bp(G)                       # dW = I^T G = G
        o_sparse.step(m_sparse)
        o_dense.step(m_dense)
        np.testing.assert_allclose(emb.params["E"], dense.params["W"], rtol=1e-12, atol=1e-14)


def _bag_net(seed, n_frozen=0):
    from ffnlp.nn.pooling import DirectBag, Select, WeightedEmbeddingBag
    from ffnlp.nn.pooling import Ensemble as Sum

    r = np.random.default_rng(seed)
    emb = chain(Select("embed"), WeightedEmbeddingBag(30, 4, n_frozen=n_frozen, rng=r), Dense(4, 2, rng=r))
    return Sum(emb, chain(Select("direct"), DirectBag(30, 2)), reduce="sum")


def _bag_batch(r, n=6):
    from ffnlp.text.features import Bag, FeatureBatch

    lengths = r.integers(0, 6, n)
    ids = r.integers(0, 30, lengths.sum())
    w = r.random(ids.shape[0]).astype(np.float32)
    return FeatureBatch(Bag(ids, lengths, w), Bag(ids, lengths, r.standard_normal((ids.shape[0], 2)).astype(np.float32)))


@pytest.mark.parametrize("make_opt", [lambda: Adam(0.05, weight_decay=0.01), lambda: SGD(0.2, momentum=0.9)])
@pytest.mark.parametrize("passes", [1, 2])
def test_compact_row_gradients_give_the_dense_tables_updates(make_opt, passes):
    """The CPU keeps the bags' row gradients compact (``row_grads``) once an optimizer is bound: the updates
    equal those through the gradient tables (``compact_grads`` off), with one or two backward passes a step,
    frozen rows included; and the tables stay zero."""
    finals = []
    for compact in (True, False):
        m, opt, r = _bag_net(0, n_frozen=5), make_opt(), np.random.default_rng(1)
        for step in range(4):
            for _ in range(passes):
                Y, bp = m(_bag_batch(r), is_train=True)
                bp(np.ones_like(Y))
            if step:      # bound at the first step: from the second on the bags' gradients are compact
                assert all(layer.compact_grads == compact for layer in m.walk() if layer.sparse_params)
                kept = [k for layer in m.walk() for k in layer.row_grads]
                assert bool(kept) == (compact and passes == 1)     # a second pass folds them into the tables
            opt.step(m)
            if not compact:
                for layer in m.walk():
                    layer.compact_grads = False
            for layer in m.walk():
                assert not layer.row_grads and all(not g.any() for g in layer.grads.values())
        finals.append([p.copy() for _, layer, k in m.named_params() for p in [layer.params[k]]])
    for a, b in zip(*finals):
        np.testing.assert_array_equal(a, b)


def test_gradient_check_reads_compact_row_gradients():
    """A model that an optimizer has trained (its bags keep compact gradients) still passes the check."""
    from ffnlp.nn.gradcheck import check_model
    from ffnlp.nn.losses import SoftmaxCrossEntropy

    m, r = _bag_net(2).astype(np.float64), np.random.default_rng(3)
    opt = Adam(0.01)
    for _ in range(2):
        Y, bp = m(_bag_batch(r), is_train=True)
        bp(np.ones_like(Y))
        opt.step(m)
    assert any(layer.compact_grads for layer in m.walk())
    errs = check_model(m, SoftmaxCrossEntropy(), _bag_batch(r), np.array([0, 1, 1, 0, 1, 0]))
    assert max(errs.values()) < 1e-6, errs


@pytest.mark.parametrize("make_opt", [lambda: Adam(0.05), lambda: SGD(0.2, momentum=0.9, weight_decay=0.01)])
def test_update_rows_ahead_of_the_step_equals_the_step(make_opt):
    """``update_rows`` applies a row-wise parameter's update early (the output shard's own rows); the step
    then leaves those rows alone, and the result is the plain step's."""
    finals = []
    for early in (False, True):
        r = np.random.default_rng(0)
        emb = Embedding(12, 3, rng=r)
        m, opt = chain(emb, Dense(3, 2, rng=r)), make_opt()
        for step in range(3):
            Y, bp = m(np.array([1, 4, 4, 9]), is_train=True)
            bp(np.ones_like(Y))
            if early and step:             # bound by the first step
                rows = emb.sparse.pop("E")
                opt.update_rows(emb, "E", rows)
            opt.step(m)
        finals.append([layer.params[k].copy() for _, layer, k in m.named_params()])
    for a, b in zip(*finals):
        np.testing.assert_array_equal(a, b)
