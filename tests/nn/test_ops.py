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


def test_row_gather_and_scatter_match_fancy_indexing(rng):
    from ffnlp.nn.backends import NUMPY_OPS as cpu

    for table in (rng.standard_normal((40, 5)).astype(np.float32),      # through the whole-row view
                  rng.standard_normal((40, 1)),                          # one column: the 1-d view
                  rng.standard_normal((40, 6))[:, ::2],                  # not contiguous: plain indexing
                  rng.standard_normal((40, 2, 3))):
        ids = np.array([3, 0, 39, -1, 7])
        np.testing.assert_array_equal(cpu.take_rows(table, ids), table[ids])
        np.testing.assert_array_equal(cpu.take_rows(table, ids.reshape(1, 5)), table[ids.reshape(1, 5)])
        values = rng.standard_normal((5,) + table.shape[1:])
        want, got = table.copy(), table.copy()
        want[ids] = values
        cpu.put_rows(got, ids, values)
        np.testing.assert_array_equal(got, want)


def test_sort_order_is_a_stable_argsort_and_unique_inverse_is_np_unique(rng):
    from ffnlp.nn.backends._numpy import _sort_order, _unique_inverse

    for ids in (rng.integers(0, 30, 500), rng.integers(0, 2**40, 50), np.array([5]), np.array([], np.int64),
                rng.integers(-5, 5, 40),                                   # negative: the argsort
                np.array([2**62, 0, 2**62]), rng.integers(0, 3, 300).astype(np.int32)):
        order, sids = _sort_order(ids)
        np.testing.assert_array_equal(order, np.argsort(ids, kind="stable"))
        np.testing.assert_array_equal(sids, np.sort(ids))
        assert sids.dtype == ids.dtype
        rows, inv = _unique_inverse(ids)
        want_rows, want_inv = np.unique(ids, return_inverse=True)
        np.testing.assert_array_equal(rows, want_rows)
        np.testing.assert_array_equal(inv, want_inv.reshape(-1))
