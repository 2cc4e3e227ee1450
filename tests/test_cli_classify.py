"""``ffnlp classify``: train/test/predict/compare on tiny generated files, and every bad-input case."""
import argparse
import io
import json
import sys

import numpy as np
import pytest

from ffnlp.cli import main
from ffnlp.nn.serialize import save_npz

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

POS = "great wonderful superb moving funny".split()
NEG = "dull boring awful tedious bad".split()
FILLER = "the a film movie story plot it was and of this".split()
TRAIN_ARGS = ["--dim", "16", "--epochs", "12", "--lr", "0.02", "--n-models", "1"]


def _docs(n, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        label, cues = ("pos", POS) if i % 2 == 0 else ("neg", NEG)
        words = list(rng.choice(FILLER, size=5)) + list(rng.choice(cues, size=2))
        rng.shuffle(words)
        out.append((label, " ".join(words)))
    return out


def _write_fasttext(path, docs, encoding="utf-8"):
    path.write_bytes("".join(f"__label__{lab} {text}\n" for lab, text in docs).encode(encoding))
    return path


def run(argv, capsys, stdin: bytes | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    rc = main(["-q", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    d = tmp_path_factory.mktemp("cls")
    train = _write_fasttext(d / "train.txt", _docs(160))
    assert main(["-q", "classify", "train", "--input", str(train), "--output", str(d / "m.npz"), *TRAIN_ARGS]) == 0
    return d / "m.npz"


def test_train_test_predict_round_trip(tmp_path, capsys, monkeypatch, model_path):
    test = _write_fasttext(tmp_path / "test.txt", _docs(40, seed=1))
    rc, out, _ = run(["classify", "test", str(model_path), str(test), "--json"], capsys)
    assert rc == 0
    m = json.loads(out.strip().splitlines()[-1])
    assert m["n"] == 40 and m["accuracy"] > 0.9 and m["macro_f1"] > 0.9 and m["P@1"] == m["accuracy"]
    assert m["tokens"] == 40 * 7 and m["tokens_per_second"] > 0        # prediction throughput
    rc, out, _ = run(["classify", "test", str(model_path), str(test), "--k", "2"], capsys)
    lines = dict(line.split("\t") for line in out.strip().splitlines())
    assert float(lines["P@2"]) == pytest.approx(0.5) and float(lines["R@2"]) == pytest.approx(1.0)
    rc, out, _ = run(["classify", "predict", str(model_path), "-", "--k", "2", "--prob"], capsys,
                     stdin=b"a great and wonderful film\n__label__neg dull boring plot\n", monkeypatch=monkeypatch)
    assert rc == 0
    first, second = out.splitlines()
    assert first.split()[0] == "pos" and second.split()[0] == "neg"
    probs = [float(x) for x in first.split()[1::2]]
    assert len(probs) == 2 and sum(probs) == pytest.approx(1.0, abs=1e-3)
    rc, out, _ = run(["classify", "predict", str(model_path), str(test), "--threshold", "0.99999"], capsys)
    assert rc == 0 and len(out.splitlines()) == 40


def test_train_json_summary_and_tsv_latin1(tmp_path, capsys):
    tsv = tmp_path / "train.tsv"
    tsv.write_bytes("".join(f"{lab}\t{text} caf\xe9\n" for lab, text in _docs(80)).encode("latin-1"))
    out_model = tmp_path / "m.npz"
    rc, out, _ = run(["classify", "train", "--input", str(tsv), "--output", str(out_model), "--encoding", "latin-1",
                      "--json", *TRAIN_ARGS], capsys)
    assert rc == 0 and out_model.exists()
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["classes"] == 2 and summary["n"] == 80
    assert summary["tokens"] > 80 * 7 * 0.8 and summary["tokens_per_second"] > 0    # training throughput
    assert summary["best_epoch"] is None                    # the default trains all epochs on all the data
    rc, out, _ = run(["classify", "train", "--input", str(tsv), "--output", str(out_model), "--encoding", "latin-1",
                      "--json", "--early-stopping", *TRAIN_ARGS], capsys)
    assert rc == 0 and 1 <= json.loads(out.strip().splitlines()[-1])["best_epoch"] <= 12


def test_train_from_folder(tmp_path, capsys):
    for i, (lab, text) in enumerate(_docs(40)):
        (tmp_path / "data" / lab).mkdir(parents=True, exist_ok=True)
        (tmp_path / "data" / lab / f"{i}.txt").write_text(text)
    rc, _, err = run(["classify", "train", "--input", str(tmp_path / "data"), "--output", str(tmp_path / "m.npz"),
                      *TRAIN_ARGS, "--doc-vector", "conv", "--conv-units", "8", "--no-nb-direct",
                      "--max-length", "5"], capsys)
    assert rc == 0, err


def test_train_and_test_the_window_model(tmp_path, capsys):
    train, test = tmp_path / "train.txt", tmp_path / "test.txt"
    _write_fasttext(train, _docs(80))
    _write_fasttext(test, _docs(30, seed=1))
    model = tmp_path / "w.npz"
    rc, _, err = run(["classify", "train", "--input", str(train), "--output", str(model), *TRAIN_ARGS,
                      "--doc-vector", "window", "--conv-units", "8", "--window", "2", "--trigrams", "--boundaries"],
                     capsys)
    assert rc == 0, err
    rc, out, err = run(["classify", "test", str(model), str(test), "--json"], capsys)
    assert rc == 0, err
    assert json.loads(out.strip().splitlines()[-1])["accuracy"] > 0.8


# -- bad input: message names the file (and line), exit status non-zero, nothing written ----------------


def _train_fails(tmp_path, capsys, content: bytes, *extra):
    src = tmp_path / "bad.txt"
    src.write_bytes(content)
    out_model = tmp_path / "never.npz"
    rc, out, err = run(["classify", "train", "--input", str(src), "--output", str(out_model), *extra], capsys)
    assert rc != 0
    assert str(src) in err
    assert not out_model.exists() and not list(tmp_path.glob(".never.npz*"))
    return err


def test_empty_file(tmp_path, capsys):
    assert "empty" in _train_fails(tmp_path, capsys, b"")


def test_line_without_label(tmp_path, capsys):
    err = _train_fails(tmp_path, capsys, b"__label__pos good film\njust text here\n")
    assert "line 2" in err and "label" in err


def test_single_class(tmp_path, capsys):
    err = _train_fails(tmp_path, capsys, b"__label__pos good film\n__label__pos nice film\n")
    assert "one class" in err


def test_undecodable_bytes(tmp_path, capsys):
    err = _train_fails(tmp_path, capsys, b"__label__pos good film\n__label__neg caf\xe9 bad\n")
    assert "line 2" in err and "decode" in err


def test_empty_document(tmp_path, capsys):
    err = _train_fails(tmp_path, capsys, b"__label__pos good film\n__label__neg\n")
    assert "line 2" in err and "empty document" in err


def test_unseen_label_at_test_time(tmp_path, capsys, model_path):
    test = tmp_path / "test.txt"
    test.write_bytes(b"__label__pos great film\n\n__label__meh so so film\n")
    rc, out, err = run(["classify", "test", str(model_path), str(test)], capsys)
    assert rc != 0 and str(test) in err and "line 3" in err and "'meh'" in err and out == ""


def test_predict_bad_input(tmp_path, capsys, model_path):
    bad = tmp_path / "docs.txt"
    bad.write_bytes(b"a great film\n\nanother one\n")   # a blank line gives a blank output line (issue 12)
    rc, out, err = run(["classify", "predict", str(model_path), str(bad)], capsys)
    assert rc == 0 and out.split("\n")[1] == "" and len(out.splitlines()) == 3
    bad.write_bytes(b"a great film\nbad \xff bytes\n")
    rc, out, err = run(["classify", "predict", str(model_path), str(bad)], capsys)
    assert rc != 0 and "line 2" in err and out == ""
    rc, out, err = run(["classify", "predict", str(model_path), str(bad), "--encoding", "latin-1"], capsys)
    assert rc == 0 and len(out.splitlines()) == 2


def test_model_from_another_task(tmp_path, capsys):
    other = save_npz(tmp_path / "image.npz", {"w": np.zeros(3)}, {}, kind="image")
    test = _write_fasttext(tmp_path / "t.txt", _docs(4))
    for argv in (["classify", "test", str(other), str(test)], ["classify", "predict", str(other), str(test)]):
        rc, out, err = run(argv, capsys)
        assert rc != 0 and str(other) in err and "'image'" in err and out == ""
    rc, _, err = run(["classify", "test", str(tmp_path / "missing.npz"), str(test)], capsys)
    assert rc != 0 and "missing.npz" in err


def test_bad_arguments_exit_nonzero(tmp_path, capsys):
    src = _write_fasttext(tmp_path / "t.txt", _docs(10))
    rc, _, err = run(["classify", "train", "--input", str(src), "--output", str(tmp_path / "m.npz"), "--dim", "0"],
                     capsys)
    assert rc == 2 and "ffnlp: error: --dim: must be positive or 'auto', got 0" in err       # the flag typed (an old one)
    rc, _, err = run(["classify", "train", "--input", str(src), "--output", str(tmp_path / "m.npz"),
                      "--dropout", "1.5"], capsys)
    assert rc != 0 and "dropout" in err and not (tmp_path / "m.npz").exists()


def test_blas_threads_option(tmp_path, capsys):
    from threadpoolctl import threadpool_info

    import ffnlp.cli.classify as cli

    seen = []
    real = cli.cmd_train

    def spy(args):
        seen.append([p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"])
        return real(args)

    src = _write_fasttext(tmp_path / "t.txt", _docs(40))
    argv = ["classify", "train", "--input", str(src), "--output", str(tmp_path / "m.npz"), "--epochs", "2"]
    import unittest.mock as mock
    with mock.patch.object(cli, "cmd_train", spy):          # the parser wraps it in the thread limit
        rc, _, _ = run([*argv, "--blas-threads", "1"], capsys)
    assert rc == 0 and (tmp_path / "m.npz").exists()
    assert seen and all(n == 1 for n in seen[0])
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--blas-threads", "0"])
    assert exc.value.code != 0


# -- compare ------------------------------------------------------------------------------------------


def test_compare_on_a_user_file(tmp_path, capsys):
    src = _write_fasttext(tmp_path / "data.txt", _docs(120))
    argv = ["classify", "compare", "--dataset", str(src), "--models", "nbsvm,tfidf_mnb", "--folds", "2"]
    rc, out, _ = run([*argv, "--json"], capsys)
    assert rc == 0
    result = json.loads(out.strip().splitlines()[-1])
    assert [r["model"] for r in result["rows"]] == ["nbsvm", "tfidf_mnb"]
    assert set(result["rows"][0]) >= {"model", "accuracy", "accuracy_std", "macro_f1", "train_seconds",
                                      "predict_seconds", "n_params"}
    assert "10-fold" in result["protocol"]
    rc, out, _ = run([*argv, "--markdown"], capsys)
    assert rc == 0 and "| model |" in out
    rc, out, _ = run([*argv, "--csv"], capsys)
    assert rc == 0 and out.splitlines()[0].startswith("dataset,model,accuracy")
    rc, out, _ = run(argv, capsys)
    assert rc == 0 and "accuracy %" in out


def test_compare_empty_docs(tmp_path, capsys):
    """``compare --empty-docs error|drop|keep``, as ``train`` and ``test`` take it (issue 13)."""
    docs = _docs(60)
    src = tmp_path / "data.txt"
    src.write_text("".join(f"__label__{lab} {text}\n" for lab, text in docs[:30]) + "__label__pos\n"
                   + "".join(f"__label__{lab} {text}\n" for lab, text in docs[30:]), encoding="utf-8")
    argv = ["classify", "compare", "--dataset", str(src), "--models", "tfidf_mnb", "--folds", "1", "--json"]
    rc, out, err = run(argv, capsys)
    assert rc == 2 and "line 31" in err and "--empty-docs" in err and out == ""
    rc, out, _ = run([*argv, "--empty-docs", "drop"], capsys)
    assert rc == 0 and json.loads(out.strip().splitlines()[-1])["n_train"] + \
        json.loads(out.strip().splitlines()[-1])["n_test"] == 60
    rc, out, _ = run([*argv, "--empty-docs", "keep"], capsys)
    result = json.loads(out.strip().splitlines()[-1])
    assert rc == 0 and result["n_train"] + result["n_test"] == 61


def test_compare_with_word_vectors(tmp_path, capsys):
    src = _write_fasttext(tmp_path / "data.txt", _docs(120))
    words = sorted({w for line in src.read_text().splitlines() for w in line.split()[1:]})
    vec = tmp_path / "vec.txt"
    vec.write_text(f"{len(words)} 4\n" + "".join(f"{w} 0.1 -0.2 0.3 0.05\n" for w in words))
    argv = ["classify", "compare", "--dataset", str(src), "--models", "ffnlp_dan_vec", "--folds", "1"]
    rc, out, _ = run([*argv, "--vectors", str(vec), "--json"], capsys)
    assert rc == 0 and json.loads(out.strip().splitlines()[-1])["rows"][0]["model"] == "ffnlp_dan_vec"
    rc, _, err = run([*argv, "--vectors", str(tmp_path / "missing.txt")], capsys)
    assert rc != 0 and "missing.txt" in err
    rc, _, err = run(argv, capsys)                       # no vectors: no such model
    assert rc != 0 and "ffnlp_dan_vec" in err
    argv[argv.index("ffnlp_dan_vec")] = "ffnlp_ens_mine"
    rc, out, _ = run([*argv, "--vectors", str(vec), "--vectors-name", "mine", "--json"], capsys)
    assert rc == 0 and json.loads(out.strip().splitlines()[-1])["rows"][0]["model"] == "ffnlp_ens_mine"


def test_vectors_exports_the_word_vectors(tmp_path, capsys, model_path):
    from gensim.models import KeyedVectors

    from ffnlp.tasks.textcat import load_textcat_model

    out_vec = tmp_path / "sub" / "v.txt"
    rc, out, _ = run(["classify", "vectors", str(model_path), "--output", str(out_vec), "--json"], capsys)
    assert rc == 0
    summary = json.loads(out.strip().splitlines()[-1])
    kv = KeyedVectors.load_word2vec_format(str(out_vec))
    clf = load_textcat_model(model_path)
    assert summary["words"] == len(kv) == len(clf.vocab_) - 4 and summary["dim"] == kv.vector_size
    np.testing.assert_allclose(kv.vectors, clf.to_keyed_vectors().vectors, atol=1e-6)
    # they start a new model: ffnlp classify train --embeddings FILE
    train = _write_fasttext(tmp_path / "train.txt", _docs(60))
    rc, _, _ = run(["classify", "train", "--input", str(train), "--output", str(tmp_path / "m2.npz"),
                    "--embeddings", str(out_vec), "--epochs", "1"], capsys)
    assert rc == 0
    rc, _, err = run(["classify", "vectors", str(model_path), "--output", str(tmp_path / "x.txt"),
                      "--member", "5"], capsys)
    assert rc != 0 and "member" in err and not (tmp_path / "x.txt").exists()
    other = save_npz(tmp_path / "image.npz", {"w": np.zeros(3)}, {}, kind="image")
    rc, out, err = run(["classify", "vectors", str(other), "--output", str(tmp_path / "y.txt")], capsys)
    assert rc != 0 and "'image'" in err and not (tmp_path / "y.txt").exists()


def test_compare_unknown_model_or_dataset(capsys):
    rc, _, err = run(["classify", "compare", "--dataset", "polarity", "--models", "nope"], capsys)
    assert rc != 0 and "nope" in err
    rc, _, err = run(["classify", "compare", "--dataset", "no_such_dataset"], capsys)
    assert rc != 0 and "no_such_dataset" in err


def test_help_shows_defaults_only_where_they_say_something():
    from ffnlp.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    verbs = next(a for a in sub.choices["classify"]._actions if isinstance(a, argparse._SubParsersAction))
    for name in ("train", "vectors", "compare"):
        text = verbs.choices[name].format_help()
        assert "(default: None)" not in text and "(default: False)" not in text, name
    assert "(default: 0)" in verbs.choices["vectors"].format_help()          # a zero default is still shown
    assert "(default: vec)" in verbs.choices["compare"].format_help()


def test_compare_seeds_option(tmp_path, capsys):
    src = _write_fasttext(tmp_path / "data.txt", _docs(120))
    argv = ["classify", "compare", "--dataset", str(src), "--models", "ffnlp_dan", "--folds", "1", "--json"]
    rc, out, _ = run([*argv, "--seeds", "2"], capsys)
    row = json.loads(out.strip().splitlines()[-1])["rows"][0]
    assert rc == 0 and row["seeds"] == 2 and len(row["fold_accuracies"]) == 2
    with pytest.raises(SystemExit) as exc:              # argparse refuses it
        main([*argv, "--seeds", "0"])
    assert exc.value.code != 0 and "--seeds" in capsys.readouterr().err
