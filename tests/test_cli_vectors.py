"""``ffnlp vectors train|evaluate|neighbors`` and ffnlp.text.word_vectors, on a tiny corpus (seconds)."""
import json

import numpy as np
import pytest

from ffnlp.cli import main
from ffnlp.errors import DataError
from ffnlp.text.word_vectors import (corpus_sentences, evaluate_vectors, load_vectors, nearest_words, save_vectors,
                                     train_word2vec)

ANIMALS, COLOURS = ["cat", "dog", "horse", "bird"], ["red", "blue", "green", "yellow"]


def _toy_lines(n, seed=0):
    """Animals and colours never share a context: 'the <animal> eats' and 'a <colour> paint dries'."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n):
        if rng.random() < 0.5:
            lines.append(f"The {ANIMALS[rng.integers(4)]} eats and sleeps .")
        else:
            lines.append(f"A {COLOURS[rng.integers(4)]} paint dries slowly .")
    return lines


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "toy.txt"
    path.write_text("\n".join(_toy_lines(600)) + "\n", encoding="utf-8")
    return path


FAST = ["--dim", "16", "--epochs", "10", "--min-count", "1", "--workers", "1", "--window", "2", "--sample", "0"]


@pytest.fixture(scope="module")
def vectors(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("vec") / "toy.txt"
    assert main(["-q", "vectors", "train", "--corpus", str(corpus), *FAST, "--output", str(out)]) == 0
    return out


def _run(capsys, argv):
    code = main(["-q", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_corpus_sentences_file_is_lowercased_tokens(corpus):
    sents = corpus_sentences(corpus)
    assert len(sents) == 600
    assert all(s[0] in ("the", "a") and s[-1] == "." for s in sents)


def test_corpus_sentences_errors(tmp_path):
    with pytest.raises(DataError, match="missing.txt"):
        corpus_sentences(tmp_path / "missing.txt")
    empty = tmp_path / "blank.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="blank.txt"):
        corpus_sentences(empty)


def test_train_word2vec_shapes_and_generator_refused(corpus):
    sents = corpus_sentences(corpus)
    kv = train_word2vec(sents, dim=12, epochs=2, min_count=1, workers=1, window=2)
    assert kv.vectors.shape == (len(kv), 12) and kv.vectors.dtype == np.float32
    assert set(ANIMALS + COLOURS) <= set(kv.key_to_index)
    with pytest.raises(TypeError, match="only once"):
        train_word2vec((s for s in sents), dim=4, epochs=1, min_count=1)
    with pytest.raises(ValueError, match="no word occurs 10000 times"):
        train_word2vec(sents, dim=4, epochs=1, min_count=10000)
    with pytest.raises(ValueError, match="dim"):
        train_word2vec(sents, dim=0)


def test_train_word2vec_reports_progress_per_epoch(corpus):
    calls = []

    class Recorder:
        def epoch_begin(self, epoch, n_items):
            calls.append(("begin", epoch, n_items))

        def update(self, n_items, loss=None):
            calls.append(("update", n_items))

        def epoch_end(self, epoch, metrics):
            calls.append(("end", epoch))

    sents = corpus_sentences(corpus)
    n_words = sum(map(len, sents))
    train_word2vec(sents, dim=4, epochs=3, min_count=1, workers=1, progress=Recorder())
    assert [c for c in calls if c[0] == "begin"] == [("begin", e, n_words) for e in (1, 2, 3)]
    assert [c[1] for c in calls if c[0] == "end"] == [1, 2, 3]


def test_neighbors_learn_the_two_kinds_of_words(vectors, capsys):
    kv = load_vectors(vectors)
    for group, other in ((ANIMALS, COLOURS), (COLOURS, ANIMALS)):
        for w in group:
            same = min(kv.similarity(w, x) for x in group if x != w)
            assert same > max(kv.similarity(w, x) for x in other), w
    near = nearest_words(kv, "cat", k=16)
    assert len(near) == 16 and [s for _, s in near] == sorted((s for _, s in near), reverse=True)
    assert {x for x, _ in near[:3]} & {"dog", "horse", "bird"}
    code, out, _ = _run(capsys, ["vectors", "neighbors", str(vectors), "Cat", "--k", "3", "--json"])
    assert code == 0
    got = json.loads(out)["neighbors"]["Cat"]          # looked up lowercased
    assert [g["word"] for g in got] == [x for x, _ in near[:3]]
    assert all(-1 <= g["similarity"] <= 1 for g in got)
    code, out, _ = _run(capsys, ["vectors", "neighbors", str(vectors), "red", "dog", "--k", "2"])
    rows = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and len(rows) == 4 and {r[0] for r in rows} == {"red", "dog"}


def test_neighbors_unknown_word_is_one_error_line(vectors, capsys):
    code, out, err = _run(capsys, ["vectors", "neighbors", str(vectors), "zebra"])
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"ffnlp: error: {vectors}: the word 'zebra' is not in the vectors (17 words)"]


def test_train_json_summary_and_evaluate(corpus, tmp_path, capsys):
    out_file = tmp_path / "v.bin"
    code, out, _ = _run(capsys, ["vectors", "train", "--corpus", str(corpus), "--corpus", str(corpus), *FAST,
                                 "--output", str(out_file), "--evaluate", "--json"])
    assert code == 0
    m = json.loads(out.strip().splitlines()[-1])
    assert m["sentences"] == 1200 and m["words"] == 17 and m["dim"] == 16
    assert m["wordsim353_oov_ratio"] == 1.0 and np.isnan(m["wordsim353_spearman"])
    assert m["analogy_questions"] == 0 and m["analogy_oov_ratio"] == 1.0
    assert load_vectors(out_file).vector_size == 16          # .bin: binary format


def _gender_vectors(dim=40, seed=0):
    """Hand-made vectors where female = male + g for the family section's pairs."""
    from gensim.models import KeyedVectors

    pairs = [("king", "queen"), ("man", "woman"), ("boy", "girl"), ("father", "mother"), ("son", "daughter"),
             ("brother", "sister"), ("he", "she"), ("his", "her"), ("husband", "wife"), ("uncle", "aunt")]
    rng = np.random.default_rng(seed)
    g = rng.normal(size=dim)
    words, rows = [], []
    for m, f in pairs:
        b = rng.normal(size=dim) * 3
        words += [m, f]
        rows += [b, b + g]
    words += ["tiger", "cat", "computer", "keyboard"]
    t = rng.normal(size=dim)
    c = rng.normal(size=dim)
    rows += [t, t + 0.3 * rng.normal(size=dim), c, c + 0.3 * rng.normal(size=dim)]
    kv = KeyedVectors(dim)
    kv.add_vectors(words, np.asarray(rows, dtype=np.float32))
    return kv


def test_evaluate_vectors_scores_known_structure(tmp_path, capsys):
    kv = _gender_vectors()
    m = evaluate_vectors(kv)
    assert m["analogy_questions"] > 50 and m["analogy_accuracy"] > 0.8
    assert m["analogy_semantic"] == m["analogy_accuracy"] and np.isnan(m["analogy_syntactic"])
    assert 0 < m["analogy_oov_ratio"] < 1
    assert 0 <= m["wordsim353_oov_ratio"] < 1 and -1 <= m["wordsim353_spearman"] <= 1
    path = save_vectors(kv, tmp_path / "g.txt")
    code, out, _ = _run(capsys, ["vectors", "evaluate", str(path), "--json"])
    assert code == 0
    cli = json.loads(out)
    assert cli["analogy_accuracy"] == pytest.approx(m["analogy_accuracy"]) and cli["words"] == 24
    code, out, _ = _run(capsys, ["vectors", "evaluate", str(path)])
    assert code == 0 and any(line.startswith("analogy_accuracy\t") for line in out.splitlines())


def test_bad_inputs_are_one_error_line(tmp_path, capsys):
    code, _, err = _run(capsys, ["vectors", "evaluate", str(tmp_path / "none.txt")])
    assert code == 2 and err.startswith("ffnlp: error: ") and "none.txt" in err and "not found" in err
    bad = tmp_path / "bad.txt"
    bad.write_text("this is not\na vectors file\n", encoding="utf-8")
    code, _, err = _run(capsys, ["vectors", "neighbors", str(bad), "this"])
    assert code == 2 and "bad.txt" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, ["vectors", "train", "--corpus", str(tmp_path / "nowhere"), "--output",
                                 str(tmp_path / "o.txt")])
    assert code == 2 and "nowhere" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, ["vectors", "train", "--corpus", str(bad), "--output", str(tmp_path)])
    assert code == 2 and "--output" in err and "folder" in err
