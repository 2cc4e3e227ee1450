"""``ffnlp lm train|perplexity|predict|generate`` for both model kinds, and its bad-input messages."""
import json

import numpy as np
import pytest

from ffnlp.cli import main


def _toy_lines(n, seed=0):
    rng = np.random.default_rng(seed)
    subj, verb, obj = ["The cat", "The dog", "A bird", "My friend"], ["sees", "likes", "chases"], \
        ["the ball.", "a fish.", "the red house.", "her book."]
    return [f"{subj[rng.integers(4)]} {verb[rng.integers(3)]} {obj[rng.integers(4)]}" for _ in range(n)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "toy.txt"
    path.write_text("\n".join(_toy_lines(400)) + "\n", encoding="utf-8")
    return path


FAST = ["--context", "2", "--embedding-dim", "8", "--hidden", "16", "--epochs", "4", "--batch-size", "32",
        "--learning-rate", "0.01"]


def _run(capsys, argv):
    code = main(["-q", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _json(out):
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def models(corpus, tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    nn, kn = folder / "nn.npz", folder / "kn.npz"
    assert main(["-q", "lm", "train", "--corpus", str(corpus), *FAST, "--output", str(nn)]) == 0
    assert main(["-q", "lm", "train", "--corpus", str(corpus), "--model", "kn", "--order", "3",
                 "--output", str(kn)]) == 0
    return nn, kn


def test_train_nn_json(corpus, tmp_path, capsys):
    out_file = tmp_path / "m.npz"
    vec = tmp_path / "c.vec"
    code, out, _ = _run(capsys, ["lm", "train", "--corpus", str(corpus), *FAST, "--output", str(out_file),
                                 "--export-vectors", str(vec), "--wordsim", "--json"])
    assert code == 0
    m = _json(out)
    for key in ("valid_perplexity", "test_perplexity", "tokens", "vocab_size", "seconds", "wordsim353_oov_ratio"):
        assert key in m
    assert m["valid_perplexity"] < 10 and m["model"] == "nn"
    assert set(m["tokens"]) == {"train", "valid", "test"}
    assert out_file.exists() and vec.read_text().split()[1] == "8"


def test_train_kn_json(corpus, capsys):
    code, out, _ = _run(capsys, ["lm", "train", "--corpus", str(corpus), "--model", "kn", "--order", "3", "--json"])
    m = _json(out)
    assert code == 0 and m["model"] == "kn" and m["valid_perplexity"] < 10
    assert {"test_perplexity", "tokens", "vocab_size", "seconds"} <= set(m)


def test_perplexity_and_mix(models, capsys):
    nn, kn = models
    code, out, _ = _run(capsys, ["lm", "perplexity", str(nn), "--split", "test", "--json"])
    m = _json(out)
    assert code == 0 and m["split"] == "test" and m["tokens"] > 0 and m["test_perplexity"] == m["perplexity"]
    code, out, _ = _run(capsys, ["lm", "perplexity", str(nn), "--mix", str(kn), "--json"])
    mix = _json(out)
    assert code == 0 and 0 <= mix["mix_lambda"] <= 1
    assert mix["nn_perplexity"] == pytest.approx(m["perplexity"])
    assert mix["tokens"] == m["tokens"] and mix["vocab_size"] == m["vocab_size"]
    code, out, _ = _run(capsys, ["lm", "perplexity", str(kn), "--split", "valid"])
    assert code == 0 and "valid_perplexity\t" in out


@pytest.mark.parametrize("which", [0, 1], ids=["nn", "kn"])
def test_predict_and_generate(models, capsys, which):
    model = str(models[which])
    code, out, _ = _run(capsys, ["lm", "predict", model, "the cat", "--k", "3"])
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 3 and lines[0].split("\t")[0] in ("sees", "likes", "chases")
    code, out, _ = _run(capsys, ["lm", "predict", model, "the cat", "--json"])
    assert len(_json(out)["predictions"]) == 5
    args = ["lm", "generate", model, "--prompt", "the", "--tokens", "10", "--temperature", "0.8", "--seed", "0",
            "--json"]
    code, out, _ = _run(capsys, args)
    first = _json(out)
    assert code == 0 and len(first["tokens"]) == 10
    assert _json(_run(capsys, args)[1]) == first


def test_default_trains_on_lee(tmp_path, capsys):
    # The shipped default (gensim's Lee corpus). How long it takes is measured by experiments, never
    # asserted in a test.
    code, out, _ = _run(capsys, ["lm", "train", "--output", str(tmp_path / "lee.npz"), "--json"])
    m = _json(out)
    assert code == 0 and m["seconds"] > 0
    assert m["vocab_size"] > 1000 and m["test_perplexity"] < 300


# -- bad input ------------------------------------------------------------------------------------
def test_non_utf8_corpus(tmp_path, capsys):
    path = tmp_path / "latin.txt"
    path.write_bytes("\n".join(_toy_lines(50)).encode() + "\ncaf\xe9 au lait\n".encode("latin-1"))
    code, _, err = _run(capsys, ["lm", "train", "--corpus", str(path), *FAST, "--output", str(tmp_path / "x.npz")])
    assert code == 2 and "latin.txt" in err and "byte" in err
    assert not (tmp_path / "x.npz").exists()
    code, out, _ = _run(capsys, ["lm", "train", "--corpus", str(path), "--encoding", "latin-1", *FAST,
                                 "--epochs", "1", "--json"])
    assert code == 0 and _json(out)["vocab_size"] > 4


def test_empty_and_too_short_corpora(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    code, _, err = _run(capsys, ["lm", "train", "--corpus", str(empty), *FAST])
    assert code == 2 and "empty" in err
    short = tmp_path / "short.txt"
    short.write_text("word\n" * 10, encoding="utf-8")
    code, _, err = _run(capsys, ["lm", "train", "--corpus", str(short), *FAST, "--context", "40", "--min-count", "1"])
    assert code == 2 and "context" in err


def test_unknown_context_and_foreign_models(models, corpus, tmp_path, capsys):
    nn, kn = models
    code, _, err = _run(capsys, ["lm", "predict", str(nn), "zebra quux"])
    assert code == 2 and "vocabulary" in err
    other = tmp_path / "other.txt"
    other.write_text("\n".join(_toy_lines(100, seed=5) + ["zebra quux flies"] * 30) + "\n", encoding="utf-8")
    other_kn = tmp_path / "other-kn.npz"
    assert main(["-q", "lm", "train", "--corpus", str(other), "--model", "kn", "--order", "2", "--output",
                 str(other_kn)]) == 0
    capsys.readouterr()
    code, _, err = _run(capsys, ["lm", "perplexity", str(nn), "--corpus", str(corpus), "--mix", str(other_kn)])
    assert code == 2 and "vocabular" in err
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 broken")
    code, _, err = _run(capsys, ["lm", "perplexity", str(broken)])
    assert code == 2 and "broken.npz" in err
    code, _, err = _run(capsys, ["lm", "generate", str(nn), "--temperature", "0"])
    assert code == 2 and "temperature" in err


def test_blas_threads_option(corpus, tmp_path, capsys):
    from threadpoolctl import threadpool_info

    import ffnlp.cli.lm as cli

    seen, real = [], cli.cmd_train

    def spy(args):
        seen.append([p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"])
        return real(args)

    import unittest.mock as mock
    with mock.patch.object(cli, "cmd_train", spy):           # the parser wraps it in the thread limit
        code, _, _ = _run(capsys, ["lm", "train", "--corpus", str(corpus), *FAST, "--blas-threads", "1",
                                   "--output", str(tmp_path / "m.npz")])
    assert code == 0 and (tmp_path / "m.npz").exists()
    assert seen and all(n == 1 for n in seen[0])
    # without the flag: 1 thread for the factored output (the default), the library's count for the full one
    from ffnlp.cli.lm import _train_threads
    from ffnlp.cli import build_parser
    args = build_parser().parse_args(["lm", "train", "--corpus", str(corpus)])
    assert _train_threads(args) == 1
    args = build_parser().parse_args(["lm", "train", "--corpus", str(corpus), "--output-layer", "full"])
    assert _train_threads(args) is None
    with pytest.raises(SystemExit) as exc:
        main(["lm", "train", "--corpus", str(corpus), "--blas-threads", "0"])
    assert exc.value.code != 0
