import numpy as np

from ffnlp.nn import ops


def test_scatter_add_matches_np_add_at(rng):
    table = rng.standard_normal((50, 4))
    ids = rng.integers(0, 50, 300)
    updates = rng.standard_normal((300, 4))
    expected = table.copy()
    np.add.at(expected, ids, updates)
    got = table.copy()
    rows = ops.scatter_add(got, ids, updates)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_array_equal(rows, np.unique(ids))


def test_scatter_add_empty_and_bad_shape(rng):
    table = np.zeros((3, 2))
    assert ops.scatter_add(table, np.array([], int), np.zeros((0, 2))).size == 0
    import pytest
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        ops.scatter_add(table, np.array([0, 1]), np.zeros((2, 3)))


def test_softmax_and_log_softmax_are_stable():
    Z = np.array([[1e4, 0.0, -1e4]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        P = ops.softmax(Z)
        L = ops.log_softmax(Z)
    assert np.isfinite(L).all() and np.isclose(P.sum(), 1)
    np.testing.assert_allclose(ops.logsumexp(np.log(np.array([[1.0, 2.0, 3.0]])), axis=1), [np.log(6.0)])
    Zc = np.random.default_rng(0).standard_normal((4, 6))
    np.testing.assert_allclose(ops.softmax_inplace(Zc.copy()), ops.softmax(Zc))


def test_segment_sum(rng):
    X = rng.standard_normal((6, 2))
    out = ops.segment_sum(X, np.array([2, 0, 4]))
    np.testing.assert_allclose(out, [X[:2].sum(0), [0, 0], X[2:].sum(0)])
