"""SST phrase-level training sets from the original PTB-format trees (skipped when the data is absent)."""
from collections import Counter

import pytest

from ffnlp import _datapaths, corpora
from ffnlp.errors import DataError
from ffnlp.text.benchmarks import parse_sst_tree, sst_overlap
from ffnlp.text.labeled import load_textcat_dataset


def test_parse_tree_by_hand():
    nodes = parse_sst_tree("(3 (2 -LRB-) (4 (2 a\xa0b) (3 c\\/d)))")
    # root first, then pre-order; a no-break space stays inside its word; escapes undone
    assert nodes == [("3", ["(", "a\xa0b", "c/d"]), ("2", ["("]), ("4", ["a\xa0b", "c/d"]), ("2", ["a\xa0b"]),
                     ("3", ["c/d"])]
    for bad, msg in (("(3 (2 a)", "unbalanced"), ("(2 a))", "text after"), ("(2 a) (3 b)", "text after"),
                     ("( a)", "without a label")):
        with pytest.raises(DataError, match=msg):
            parse_sst_tree(bad, ("t.txt", 7))


def _need_trees():
    for s in ("train", "dev", "test"):
        if _datapaths.find_data(f"sentclf/SST-1/trees/{s}.txt") is None:
            pytest.skip("SST trees absent")


@pytest.fixture(scope="module")
def sst1_phrases():
    _need_trees()
    return load_textcat_dataset("sst1_phrases")


def test_sst1_phrases_counts(sst1_phrases):
    ds = sst1_phrases
    assert len(ds.train) == 159_274 and len(set(ds.train.texts)) == 159_274  # SOURCE.md's count
    assert Counter(ds.train.labels) == {"0": 7_233, "1": 27_711, "2": 81_658, "3": 33_361, "4": 9_311}
    assert (len(ds.valid), len(ds.test)) == (1_101, 2_210) and ds.n_classes == 5
    assert not any("-LRB-" in t or "-RRB-" in t or "\\/" in t for t in ds.train.texts)
    assert sum("\xa0" in t for t in ds.train.texts) > 0  # words with a no-break space kept whole
    # the roots are the sentences of stsa.fine.* (lower-cased there, escapes kept): same multiset
    sst1 = load_textcat_dataset("sst1")

    def norm(t):
        for esc, ch in (("-lrb-", "("), ("-rrb-", ")"), ("\\/", "/"), ("\\*", "*")):
            t = t.replace(esc, ch)
        return t.lower()

    assert Counter(zip(map(norm, ds.test.texts), ds.test.labels)) == Counter(zip(map(norm, sst1.test.texts),
                                                                                   sst1.test.labels))


def test_sst1_phrases_overlap_is_reported(sst1_phrases):
    overlap = sst_overlap(sst1_phrases.train, {"dev": sst1_phrases.valid, "test": sst1_phrases.test})
    assert sorted((o["split"], o["text"]) for o in overlap) == [
        ("dev", "Hey Arnold !"), ("dev", "Hey Arnold !"), ("dev", "What Time Is It There ?"),
        ("test", "No. ."), ("test", "What 's next ?")]
    assert all(o["same_label"] for o in overlap) and "5 dev/test sentences" in sst1_phrases.description


def test_sst2_tree_phrases():
    _need_trees()
    ds = load_textcat_dataset("sst2_tree_phrases")
    assert len(ds.train) == 77_616 and set(ds.train.labels) == {"0", "1"}
    assert Counter(ds.train.labels) == {"0": 7_233 + 27_711, "1": 33_361 + 9_311}
    assert (len(ds.valid), len(ds.test)) == (872, 1_821)
    assert Counter(ds.test.labels) == {"0": 912, "1": 909}  # stsa.binary.test's


def test_registered():
    for name in ("sst1_phrases", "sst2_tree_phrases"):
        spec = corpora.get(name)
        assert spec.task == "textcat" and spec.loader.startswith("ffnlp.text.benchmarks:")
        assert all("trees" in s for s in spec.searched())
