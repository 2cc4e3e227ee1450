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


# -- corpora with their own split, reading flags, the protocol in the output ---------------------
@pytest.fixture
def own_split(tmp_path):
    """A tiny corpus in the layout of PTB-style benchmarks: its own train/valid/test files, a BOM, a blank line."""
    folder = tmp_path / "own"
    folder.mkdir()
    for name, n, seed in (("train.txt", 300, 1), ("valid.txt", 40, 2), ("test.txt", 40, 3)):
        lines = _toy_lines(n, seed=seed)
        (folder / name).write_text("\ufeff" + "\n".join(lines[:5] + [""] + lines[5:]) + "\n", encoding="utf-8")
    return folder


def test_kn_on_a_folder_with_its_own_split_matches_the_python_api(own_split, capsys):
    from ffnlp.tasks.lm import NGramLM
    from ffnlp.text import Vocab
    from ffnlp.text.tokenize import tokenize

    code, out, _ = _run(capsys, ["lm", "train", "--corpus", str(own_split), "--model", "kn", "--order", "3",
                                 "--min-count", "1", "--json"])
    m = _json(out)
    assert code == 0 and m["split"] == "fixed" and set(m["split_files"]) == {"train", "valid", "test"}
    assert m["tokenizer"] == "default" and m["lowercase"] is True and "per non-blank line" in m["counting"]
    # the Python API on the same files: each non-blank line one sentence, one </s> each
    ids, vocab = {}, None
    sents = {s: [tokenize(line, lower=True) for line in (own_split / f"{s}.txt").read_text("utf-8-sig").splitlines()
                 if line.strip()] for s in ("train", "valid", "test")}
    vocab = Vocab.build(sents["train"])
    ids = {s: vocab.encode_sentences(v) for s, v in sents.items()}
    assert m["tokens"] == {s: int(a.size) for s, a in ids.items()}
    assert m["train_tokens"] == ids["train"].size and m["test_tokens"] == ids["test"].size
    lm = NGramLM.fit(ids["train"], vocab, 3)
    assert m["test_perplexity"] == pytest.approx(lm.perplexity(ids["test"]).perplexity, rel=1e-12)
    assert m["valid_perplexity"] == pytest.approx(lm.perplexity(ids["valid"]).perplexity, rel=1e-12)
    # --train/--valid/--test name the same files; --count-blank-lines adds one </s> per blank line
    code, out, _ = _run(capsys, ["lm", "train", *(x for s in ("train", "valid", "test")
                                                  for x in (f"--{s}", str(own_split / f"{s}.txt"))),
                                 "--model", "kn", "--order", "3", "--min-count", "1", "--json"])
    again = _json(out)
    assert code == 0 and again["test_perplexity"] == m["test_perplexity"] and again["tokens"] == m["tokens"]
    code, out, _ = _run(capsys, ["lm", "train", "--corpus", str(own_split), "--model", "kn", "--order", "3",
                                 "--count-blank-lines", "--json"])
    blank = _json(out)
    assert {s: blank["tokens"][s] - m["tokens"][s] for s in m["tokens"]} == {"train": 1, "valid": 1, "test": 1}
    assert "blank lines included" in blank["counting"]


def test_output_states_split_tokenizer_counting_and_preset(corpus, own_split, capsys):
    code, out, _ = _run(capsys, ["lm", "train", "--corpus", str(corpus), "--model", "kn", "--order", "2"])
    lines = dict(line.split("\t", 1) for line in out.strip().splitlines())
    assert code == 0 and lines["split"] == "seeded" and "no train/valid/test files" in lines["split_note"]
    assert lines["preset"] == "small" and "by corpus size" in lines["preset_reason"]
    assert {"tokenizer", "counting", "train_tokens", "valid_tokens", "test_tokens"} <= set(lines)
    code, out, _ = _run(capsys, ["lm", "train", "--corpus", str(own_split), "--model", "kn", "--order", "2",
                                 "--tokenizer", "whitespace", "--preset", "ptb", "--json"])
    m = _json(out)
    assert m["tokenizer"] == "whitespace" and m["lowercase"] is False and m["preset"] == "ptb"
    assert m["vocab_size"] > 20  # case kept: 'The' and 'the' differ


def test_reading_flags_and_bad_combinations(own_split, corpus, tmp_path, capsys):
    code, _, err = _run(capsys, ["lm", "train", "--corpus", "ptb", "--tokenizer", "whitespace", "--model", "kn"])
    assert code == 2 and "--tokenizer" in err and "registered corpus ptb" in err
    code, _, err = _run(capsys, ["lm", "train", "--train", str(own_split / "train.txt"), "--model", "kn"])
    assert code == 2 and "--train and --valid" in err
    code, _, err = _run(capsys, ["lm", "train", "--corpus", str(corpus), "--train", str(corpus), "--model", "kn"])
    assert code == 2 and "give one" in err
    (own_split / "dev.txt").write_text("a b\n", encoding="utf-8")  # now two validation files
    code, _, err = _run(capsys, ["lm", "train", "--corpus", str(own_split), "--model", "kn"])
    assert code == 2 and "several valid files" in err and "--train/--valid/--test" in err


def test_perplexity_reads_the_corpus_as_the_model_was_trained(own_split, tmp_path, capsys):
    kn = tmp_path / "kn.npz"
    code, out, _ = _run(capsys, ["lm", "train", "--corpus", str(own_split), "--model", "kn", "--order", "3",
                                 "--tokenizer", "whitespace", "--count-blank-lines", "--output", str(kn), "--json"])
    trained = _json(out)
    code, out, _ = _run(capsys, ["lm", "perplexity", str(kn), "--json"])
    m = _json(out)
    assert code == 0 and m["tokens"] == trained["tokens"]["test"]
    assert m["perplexity"] == pytest.approx(trained["test_perplexity"])


def test_brown_from_the_cli_is_bengios_protocol(capsys):
    from ffnlp.text.lm_corpora import brown_root

    if brown_root() is None:
        pytest.skip("Brown corpus absent")
    code, out, _ = _run(capsys, ["lm", "train", "--corpus", "brown", "--model", "kn", "--order", "5", "--json"])
    m = _json(out)
    # README / experiments/kn_brown.py: vocabulary from the whole corpus, one stream, no </s>
    assert code == 0 and m["vocab_size"] == 17_908 and m["vocab_from"] == "all"
    assert m["tokens"] == {"train": 800_000, "valid": 200_000, "test": 161_192}
    assert round(m["test_perplexity"], 1) == 329.8 and m["preset"] == "brown"


def test_predict_tokenizes_as_the_corpus_was_read(tmp_path, capsys):
    folder = tmp_path / "tok"
    folder.mkdir()
    for name, n in (("train.txt", 200), ("valid.txt", 20)):
        (folder / name).write_text("The well @-@ known cat sat .\n" * n, encoding="utf-8")
    kn = tmp_path / "kn.npz"
    code, _, _ = _run(capsys, ["lm", "train", "--corpus", str(folder), "--model", "kn", "--order", "3",
                               "--tokenizer", "whitespace", "--output", str(kn)])
    assert code == 0
    code, out, _ = _run(capsys, ["lm", "predict", str(kn), "well @-@", "--k", "1"])
    assert code == 0 and out.split("\t")[0] == "known"  # '@-@' stays one token, case kept
