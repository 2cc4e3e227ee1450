"""Vocab: ordering, pruning, specials, encoding, files."""
import json
import time

import numpy as np
import pytest

from ffnlp.errors import DataError
from ffnlp.text.vocab import SPECIALS, Vocab

SENTS = [["b", "a", "c"], ["a", "b", "d"], ["b", "a", "c", "e"]]  # a:3 b:3 c:2 d:1 e:1


def test_specials_first_then_count_then_alphabetical():
    v = Vocab.build(SENTS)
    assert v.itos == ["<pad>", "<unk>", "<s>", "</s>", "a", "b", "c", "d", "e"]
    assert (v.pad_id, v.unk_id, v.bos_id, v.eos_id) == (0, 1, 2, 3)
    assert v.counts.dtype == np.int64
    assert v.counts.tolist() == [0, 0, 0, 0, 3, 3, 2, 1, 1]
    assert all(v.stoi[t] == i for i, t in enumerate(v.itos))
    assert len(v) == 9 and "c" in v and "z" not in v


def test_min_count_moves_counts_to_unk():
    v = Vocab.build(SENTS, min_count=2)
    assert v.itos[4:] == ["a", "b", "c"]
    assert v.counts[v.unk_id] == 2  # d and e
    assert v.counts.sum() == sum(map(len, SENTS))


def test_max_size_counts_the_specials_and_breaks_ties_alphabetically():
    v = Vocab.build(SENTS, max_size=7)  # 4 specials + a, b, c
    assert v.itos[4:] == ["a", "b", "c"]
    v = Vocab.build(SENTS, max_size=5)  # a and b tie at 3: a wins
    assert v.itos[4:] == ["a"] and v.counts[v.unk_id] == 3 + 2 + 1 + 1
    assert len(Vocab.build(SENTS, max_size=4)) == 4
    with pytest.raises(ValueError, match="max_size"):
        Vocab.build(SENTS, max_size=3)
    with pytest.raises(ValueError, match="min_count"):
        Vocab.build(SENTS, min_count=0)


def test_tokens_equal_to_specials_are_the_specials():
    # PTB writes <unk> in its text: it must be our <unk>, not a second entry.
    v = Vocab.build([["the", "<unk>", "cat", "<unk>"], ["</s>"]])
    assert v.itos == list(SPECIALS) + ["cat", "the"]
    assert v.counts[v.unk_id] == 2 and v.counts[v.eos_id] == 1
    assert v.encode(["<unk>", "</s>", "<s>", "<pad>"]).tolist() == [1, 3, 2, 0]


def test_build_takes_a_generator_and_rejects_strings():
    assert Vocab.build(s for s in SENTS) == Vocab.build(SENTS)
    with pytest.raises(TypeError, match="tokenize"):
        Vocab.build(["a sentence as a string"])


def test_encode_and_encode_sentences():
    v = Vocab.build(SENTS, min_count=2)
    ids = v.encode(["a", "zzz", "c"])
    assert ids.dtype == np.int32 and ids.tolist() == [4, 1, 6]
    stream = v.encode_sentences([["a", "b"], [], ["c", "q"]])
    assert stream.dtype == np.int32
    assert stream.tolist() == [4, 5, 3, 3, 6, 1, 3]  # </s> after every sentence, even an empty one
    assert v.encode_sentences([["a", "b"], ["c"]], add_eos=False).tolist() == [4, 5, 6]
    assert v.encode([]).shape == (0,)


def test_decode_round_trip_and_range_check():
    v = Vocab.build(SENTS)
    toks = ["e", "a", "<unk>", "</s>"]
    assert v.decode(v.encode(toks)) == toks
    assert v.decode(np.array([[4, 5]])) == ["a", "b"]
    with pytest.raises(ValueError, match="ids must lie"):
        v.decode([0, len(v)])


def test_encoding_a_million_tokens_is_fast():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(20_000)]
    tokens = [words[i] for i in rng.integers(0, len(words), 1_000_000)]
    v = Vocab.build([tokens], max_size=10_000)
    t0 = time.perf_counter()
    ids = v.encode(tokens)  # about 0.15 s
    assert time.perf_counter() - t0 < 3.0
    assert ids.shape == (1_000_000,)


def test_fingerprint():
    v = Vocab.build(SENTS)
    fp = v.fingerprint()
    assert len(fp) == 16 and int(fp, 16) >= 0
    assert Vocab(v.itos).fingerprint() == fp  # counts do not matter
    other = Vocab(list(SPECIALS) + ["b", "a", "c", "d", "e"])  # same tokens, other order
    assert other.fingerprint() != fp


def test_dict_and_file_round_trip(tmp_path):
    v = Vocab.build([["é", "ü", "a", "a"]])
    assert Vocab.from_dict(json.loads(json.dumps(v.to_dict()))) == v
    path = v.save(tmp_path / "vocab.json")
    assert [p.name for p in tmp_path.iterdir()] == ["vocab.json"]  # no temporary left over
    w = Vocab.load(path)
    assert w == v and w.fingerprint() == v.fingerprint()
    assert w.counts.dtype == np.int64


def test_constructor_validates():
    with pytest.raises(ValueError, match="must start with"):
        Vocab(["a", "b"])
    with pytest.raises(ValueError, match="duplicate"):
        Vocab(list(SPECIALS) + ["a", "a"])
    with pytest.raises(ValueError, match="counts has shape"):
        Vocab(list(SPECIALS) + ["a"], counts=[1, 2])


def test_bad_files_raise_data_error_naming_the_file(tmp_path):
    v = Vocab.build(SENTS)
    p = tmp_path / "v.json"
    with pytest.raises(DataError, match="not found"):
        Vocab.load(p)
    p.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match=r"v\.json.*line 1.*invalid JSON"):
        Vocab.load(p)
    p.write_text(json.dumps({"format": "something-else"}), encoding="utf-8")
    with pytest.raises(DataError, match="not an ffnlp vocabulary"):
        Vocab.load(p)
    d = v.to_dict()
    d["itos"][5], d["itos"][6] = d["itos"][6], d["itos"][5]  # edited by hand
    p.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(DataError, match="fingerprint"):
        Vocab.load(p)
    d = v.to_dict()
    d["itos"] = d["itos"][1:]
    del d["fingerprint"]
    p.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(DataError, match="damaged"):
        Vocab.load(p)
    d = v.to_dict()
    d["version"] = 99
    p.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(DataError, match="version"):
        Vocab.load(p)
