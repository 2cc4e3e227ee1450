"""Context windows, checked against a naive per-token reference."""
import numpy as np
import pytest

from ffnlp.text.windows import context_windows, iter_window_batches

BOS, EOS = 2, 3


def naive_windows(ids, context_size, bos_id, eos_id=None):
    """Row t: ids[t - context_size + j], with bos_id before the stream or the sentence start."""
    rows = []
    for t in range(len(ids)):
        start = 0
        if eos_id is not None:
            for p in range(t):
                if ids[p] == eos_id:
                    start = p + 1
        rows.append([ids[p] if p >= start else bos_id for p in range(t - context_size, t)])
    return np.array(rows, dtype=np.int64).reshape(len(ids), context_size)


def random_stream(rng, n, vocab_size=12, p_eos=0.2):
    ids = rng.integers(4, vocab_size, n)
    ids[rng.random(n) < p_eos] = EOS
    return ids


def test_worked_example():
    # "a b </s> c d" with a=5 b=6 c=7 d=8, context 2, reset at </s>:
    #   predict a from <s> <s>; b from <s> a; </s> from a b; c from <s> <s>; d from <s> c
    X = context_windows([5, 6, 3, 7, 8], 2, bos_id=BOS, eos_id=EOS)
    assert X.tolist() == [[2, 2], [2, 5], [5, 6], [2, 2], [2, 7]]
    # without the reset the context runs across </s>
    X = context_windows([5, 6, 3, 7, 8], 2, bos_id=BOS)
    assert X.tolist() == [[2, 2], [2, 5], [5, 6], [6, 3], [3, 7]]


@pytest.mark.parametrize("context_size", [1, 2, 3, 5])
@pytest.mark.parametrize("eos_id", [None, EOS])
def test_matches_naive_reference(context_size, eos_id):
    rng = np.random.default_rng(context_size)
    for n in (0, 1, 7, 60):
        ids = random_stream(rng, n)
        if n > 3:
            ids[:2] = EOS  # empty sentences at the start, too
            ids[-1] = EOS
        X = context_windows(ids, context_size, bos_id=BOS, eos_id=eos_id)
        assert X.shape == (n, context_size)
        assert X.dtype == np.int32 and X.flags.c_contiguous
        np.testing.assert_array_equal(X, naive_windows(ids.tolist(), context_size, BOS, eos_id))


def test_result_is_writable_and_does_not_alias_the_input():
    ids = np.array([5, 6, 7], dtype=np.int32)
    X = context_windows(ids, 2, bos_id=BOS)
    X[:] = 0
    assert ids.tolist() == [5, 6, 7]


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"1-D.*\(2, 2\)"):
        context_windows(np.zeros((2, 2), dtype=int), 2, bos_id=BOS)
    with pytest.raises(ValueError, match="context_size"):
        context_windows([1, 2], 0, bos_id=BOS)
    with pytest.raises(ValueError, match="integers"):
        context_windows([1.5, 2.0], 2, bos_id=BOS)
    with pytest.raises(ValueError, match="batch_size"):
        next(iter_window_batches([1, 2], 2, 0, bos_id=BOS))


@pytest.mark.parametrize("eos_id", [None, EOS])
def test_batches_cover_every_position_once(eos_id):
    rng = np.random.default_rng(0)
    ids = random_stream(rng, 1003)
    full = context_windows(ids, 4, bos_id=BOS, eos_id=eos_id)
    batches = list(iter_window_batches(ids, 4, 100, bos_id=BOS, eos_id=eos_id, rng=np.random.default_rng(1)))
    assert [len(y) for _, y in batches] == [100] * 10 + [3]
    X = np.concatenate([X for X, _ in batches])
    y = np.concatenate([y for _, y in batches])
    assert X.dtype == np.int32 and y.dtype == np.int32
    # Shuffled: not in stream order, but the same (context, target) multiset.
    rows = np.column_stack([X, y])
    expected = np.column_stack([full, ids])
    assert not np.array_equal(rows, expected)
    order = lambda a: a[np.lexsort(a.T[::-1])]  # noqa: E731
    np.testing.assert_array_equal(order(rows), order(expected))


def test_batch_positions_form_a_permutation():
    ids = np.arange(10, 257)  # all distinct, so targets identify positions
    y = np.concatenate([y for _, y in iter_window_batches(ids, 3, 16, bos_id=BOS, rng=np.random.default_rng(5))])
    np.testing.assert_array_equal(np.sort(y), ids)


def test_unshuffled_batches_are_slices_of_the_windows_and_seeded_ones_repeat():
    ids = random_stream(np.random.default_rng(2), 50)
    full = context_windows(ids, 3, bos_id=BOS, eos_id=EOS)
    for i, (X, y) in enumerate(iter_window_batches(ids, 3, 8, bos_id=BOS, eos_id=EOS)):
        np.testing.assert_array_equal(X, full[8 * i : 8 * i + 8])
        np.testing.assert_array_equal(y, ids[8 * i : 8 * i + 8])
    a = list(iter_window_batches(ids, 3, 8, bos_id=BOS, rng=np.random.default_rng(9)))
    b = list(iter_window_batches(ids, 3, 8, bos_id=BOS, rng=np.random.default_rng(9)))
    assert all(np.array_equal(xa, xb) and np.array_equal(ya, yb) for (xa, ya), (xb, yb) in zip(a, b))
    assert list(iter_window_batches(np.array([], dtype=np.int32), 3, 8, bos_id=BOS)) == []
