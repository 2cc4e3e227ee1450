"""Issue 12: bad input never costs a user their work.

Every case runs the CLI through ``ffnlp.cli.main(argv)`` and checks the exit status (2), the one
``ffnlp: error:`` line and that nothing was written or overwritten. The table of cases is in
``tests/README.md``.
"""
import builtins
import io
import logging
import os
import pathlib
import signal
import time
import warnings

import numpy as np
import pytest

from ffnlp import _files
from ffnlp.cli import main

# ---------------------------------------------------------------------------------------------- helpers


def run(argv, capsys):
    """(exit status, stdout, stderr) of ``ffnlp -q ARGV``; argparse's exits count as statuses."""
    try:
        code = main(["-q", *map(str, argv)])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def fails(argv, capsys, *needles):
    """The command exits 2 with one ``ffnlp: error:`` line holding every needle, and prints nothing."""
    code, out, err = run(argv, capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, err)
    assert lines and lines[-1].startswith("ffnlp: error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[-1], (needle, lines[-1])
    return lines[-1]


def _labeled_lines(n=40, seed=0):
    rng = np.random.default_rng(seed)
    pos, neg = ["good", "great", "fine", "superb"], ["bad", "awful", "poor", "dull"]
    out = []
    for i in range(n):
        label, words = ("pos", pos) if i % 2 else ("neg", neg)
        out.append((label, " ".join(rng.choice(words, 4)) + " film"))
    return out


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    rows = _labeled_lines()
    (d / "train.txt").write_text("".join(f"__label__{lab} {text}\n" for lab, text in rows))
    (d / "senteval.txt").write_text("".join(f"{text} \t{int(lab == 'pos')}\n" for lab, text in rows))
    (d / "header.csv").write_text("label,text\n" + "".join(f"{lab},{text}\n" for lab, text in rows))
    (d / "unique.txt").write_text("".join(f"label{i}\ttext {i}\tmore {i}\n" for i in range(20)))
    rng = np.random.default_rng(0)
    words = ["the", "cat", "dog", "sees", "likes", "a", "ball", "house"]
    (d / "corpus.txt").write_text("".join(" ".join(rng.choice(words, 6)) + " .\n" for _ in range(300)))
    (d / "folder").mkdir()
    (d / "random.npz").write_bytes(bytes(rng.integers(0, 256, 2000, dtype=np.uint8)))
    return d


@pytest.fixture(scope="module")
def image_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("image") / "digits.npz"
    assert main(["-q", "image", "train", "--iterations", "2", "--output", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def text_model(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("textcat") / "m.npz"
    assert main(["-q", "classify", "train", "--input", str(data / "train.txt"), "--output", str(path),
                 "--n-models", "1", "--epochs", "2", "--dim", "8"]) == 0
    return path


LM_FAST = ["--context", "2", "--embedding-dim", "8", "--hidden", "8", "--epochs", "1", "--batch-size", "64"]


def _deny(monkeypatch, target):
    """Reading ``target`` raises PermissionError, as for a normal user on a file of mode 000 (root reads it)."""
    target = os.path.realpath(target)
    real_open, real_read = builtins.open, pathlib.Path.read_bytes

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and os.path.realpath(file) == target:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    def guarded_read(self):
        if os.path.realpath(self) == target:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(pathlib.Path, "read_bytes", guarded_read)


def _read_only(monkeypatch, folder):
    """``os.access`` says ``folder`` is not writable (root may write anywhere, a normal user may not)."""
    folder = os.path.realpath(folder)
    real = os.access

    def access(path, mode, *args, **kwargs):
        if os.path.realpath(path) == folder and mode & os.W_OK:
            return False
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


# ---------------------------------------------------------------------------------------------- junk saved


def test_classify_diverging_lr_keeps_the_old_model(data, text_model, tmp_path, capsys):
    out = tmp_path / "m.npz"
    out.write_bytes(text_model.read_bytes())
    before = out.read_bytes()
    fails(["classify", "train", "--input", data / "train.txt", "--output", out, "--lr", "1e6", "--n-models", "1",
           "--epochs", "3", "--dim", "8"], capsys, "diverged", "lower the learning rate (--lr)")
    assert out.read_bytes() == before


def test_image_diverging_learning_rate_keeps_the_old_model(image_model, tmp_path, capsys):
    out = tmp_path / "cat.npz"
    out.write_bytes(image_model.read_bytes())
    before = out.read_bytes()
    fails(["image", "train", "--learning-rate", "1e6", "--iterations", "5", "--output", out], capsys,
          "diverged", "lower the learning rate (--learning-rate)")
    assert out.read_bytes() == before


def test_text_tab_label_is_detected(data, tmp_path, capsys, caplog):
    out = tmp_path / "s.npz"
    with caplog.at_level(logging.WARNING):
        code, stdout, _ = run(["classify", "train", "--input", data / "senteval.txt", "--output", out, "--json",
                               "--n-models", "1", "--epochs", "1", "--dim", "8"], capsys)
    assert code == 0 and '"classes": 2' in stdout
    assert "tsv-label-last" in caplog.text


def test_format_tsv_label_last(data, tmp_path, capsys):
    from ffnlp.cli.classify import _read_input

    got = _read_input(data / "senteval.txt", "utf-8", "tsv-label-last")
    assert sorted(set(got.labels)) == ["0", "1"] and len(got) == 40


def test_one_class_per_document_is_refused_naming_format(data, tmp_path, capsys):
    fails(["classify", "train", "--input", data / "unique.txt", "--output", tmp_path / "m.npz"], capsys,
          "20 classes for 20 documents", "--format")
    assert not (tmp_path / "m.npz").exists()


def test_csv_header_row(data, tmp_path, capsys, caplog):
    from ffnlp.cli.classify import _read_input

    with caplog.at_level(logging.WARNING):
        got = _read_input(data / "header.csv", "utf-8", "auto")
    assert sorted(set(got.labels)) == ["neg", "pos"] and len(got) == 40 and "header" in caplog.text
    assert len(_read_input(data / "header.csv", "utf-8", "csv-header")) == 40
    fails(["classify", "train", "--input", data / "header.csv", "--format", "csv", "--output", tmp_path / "m.npz"],
          capsys, "header", "--format csv-header")


def test_output_equal_to_input_is_refused(data, tmp_path, capsys):
    train = tmp_path / "data.txt"
    train.write_bytes((data / "train.txt").read_bytes())
    before = train.read_bytes()
    fails(["classify", "train", "--input", train, "--output", train], capsys, "--output", "is also the input")
    assert train.read_bytes() == before
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes((data / "corpus.txt").read_bytes())
    fails(["lm", "train", "--corpus", corpus, "--output", corpus], capsys, "is also the input")
    assert corpus.read_bytes() == (data / "corpus.txt").read_bytes()


# ---------------------------------------------------------------------------------------------- outputs checked first


@pytest.mark.parametrize("flag", ["--output", "--checkpoint", "--export-vectors"])
def test_lm_output_folder(data, flag, capsys):
    fails(["lm", "train", "--corpus", data / "corpus.txt", *LM_FAST, flag, data / "folder"], capsys,
          flag, "is a folder")


def test_classify_and_image_output_folder(data, text_model, capsys):
    fails(["classify", "train", "--input", data / "train.txt", "--output", data / "folder"], capsys,
          "--output", "is a folder")
    fails(["image", "train", "--output", data / "folder"], capsys, "--output", "is a folder")
    fails(["classify", "vectors", text_model, "--output", data / "folder"], capsys, "--output", "is a folder")


def test_output_in_read_only_folder(data, tmp_path, capsys, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    _read_only(monkeypatch, locked)
    fails(["classify", "train", "--input", data / "train.txt", "--output", locked / "m.npz"], capsys,
          "permission denied")
    fails(["lm", "train", "--corpus", data / "corpus.txt", "--checkpoint", locked / "c.npz"], capsys,
          "--checkpoint", "permission denied")
    fails(["image", "train", "--plot", locked / "c.png"], capsys, "--plot", "permission denied")
    fails(["image", "train", "--output", locked / "sub" / "m.npz"], capsys, "permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only folders")
def test_output_in_read_only_folder_for_real(data, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        fails(["classify", "train", "--input", data / "train.txt", "--output", locked / "m.npz"], capsys,
              "permission denied")
    finally:
        locked.chmod(0o755)


def test_plot_without_a_format_suffix(capsys):
    fails(["image", "train", "--plot", "curve"], capsys, "--plot curve", ".png")


def test_plot_in_a_new_folder(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "newdir" / "c.png"
    code, _, err = run(["image", "train", "--iterations", "2", "--plot", plot], capsys)
    assert code == 0, err
    assert plot.read_bytes()[:4] == b"\x89PNG"


# ---------------------------------------------------------------------------------------------- refused at once


def test_unknown_encoding(data, capsys):
    fails(["lm", "train", "--corpus", data / "corpus.txt", "--encoding", "nosuch"], capsys, "--encoding nosuch")
    fails(["lm", "perplexity", data / "no-model.npz", "--encoding", "nosuch"], capsys, "--encoding nosuch")
    fails(["classify", "train", "--input", data / "train.txt", "--output", data / "m.npz", "--encoding", "nosuch"],
          capsys, "nosuch")


def test_max_vocab_zero(data, capsys):
    fails(["lm", "train", "--corpus", data / "corpus.txt", "--max-vocab", "0"], capsys, "--max-vocab")
    fails(["lm", "train", "--corpus", data / "corpus.txt", "--model", "kn", "--max-vocab", "0"], capsys,
          "--max-vocab")


def test_image_init_choices(capsys):
    code, _, err = run(["image", "train", "--init", "bogus"], capsys)
    assert code == 2 and "invalid choice: 'bogus'" in err and "he" in err and "Traceback" not in err
    code, out, _ = run(["image", "train", "--help"], capsys)
    assert "course_scaled" in out


@pytest.mark.parametrize("value", ["1", "1.5", "-0.1"])
def test_image_dropout_out_of_range(value, capsys):
    fails(["image", "train", "--dropout", value], capsys, "--dropout: must be in [0, 1)")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0"])
def test_generate_temperature(data, value, capsys):
    fails(["lm", "generate", data / "no-model.npz", f"--temperature={value}"], capsys, "--temperature")


def test_image_predict_empty_and_string_arrays(image_model, tmp_path, capsys):
    empty, strings, archive = tmp_path / "empty.npy", tmp_path / "strings.npy", tmp_path / "x.npz"
    np.save(empty, np.zeros((0, 64)))
    np.save(strings, np.array([["a"] * 64]))
    np.savez(archive, x=np.zeros((1, 64)))
    fails(["image", "predict", image_model, empty], capsys, str(empty), "(0, 64)", "no images")
    fails(["image", "predict", image_model, strings], capsys, str(strings), "dtype")
    fails(["image", "predict", image_model, archive], capsys, ".npz archive")
    fails(["image", "predict", image_model, tmp_path], capsys, "is a folder")


def test_unreadable_corpus(data, capsys, monkeypatch):
    corpus = data / "corpus.txt"
    _deny(monkeypatch, corpus)
    fails(["lm", "train", "--corpus", corpus, *LM_FAST], capsys, str(corpus), "Permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files of mode 000")
def test_unreadable_corpus_for_real(data, tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_bytes((data / "corpus.txt").read_bytes())
    corpus.chmod(0)
    fails(["lm", "train", "--corpus", corpus, *LM_FAST], capsys, str(corpus))


# ---------------------------------------------------------------------------------------------- weak answers


def test_predict_skips_blank_lines_and_keeps_alignment(text_model, tmp_path, capsys):
    docs = tmp_path / "docs.txt"
    docs.write_text("a great film\n\nawful bad film\n   \n\n")
    code, out, err = run(["classify", "predict", text_model, docs], capsys)
    assert code == 0, err
    lines = out.split("\n")[:-1]
    assert len(lines) == 5 and lines[1] == lines[3] == lines[4] == "" and lines[0] and lines[2]
    docs.write_text("\n\n")
    fails(["classify", "predict", text_model, docs], capsys, "blank")


def test_resume_needs_checkpoint(data, capsys):
    fails(["lm", "train", "--corpus", data / "corpus.txt", "--resume"], capsys, "--resume", "--checkpoint")


def test_interrupt_says_how_to_resume(data, tmp_path, capsys, monkeypatch):
    import ffnlp.tasks.lm

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ffnlp.tasks.lm, "train_lm", interrupted)
    ckpt = tmp_path / "run.ckpt.npz"
    code, _, err = run(["lm", "train", "--corpus", data / "corpus.txt", "--checkpoint", ckpt], capsys)
    assert code == 130 and "before the first epoch ended" in err and str(ckpt) in err
    ckpt.write_bytes(b"a finished epoch")
    code, _, err = run(["lm", "train", "--corpus", data / "corpus.txt", "--checkpoint", ckpt], capsys)
    assert code == 130 and "--resume" in err and str(ckpt) in err
    code, _, err = run(["lm", "train", "--corpus", data / "corpus.txt"], capsys)
    assert code == 130 and "--checkpoint" in err and "nothing was saved" in err


def test_stale_temporaries_are_cleaned(tmp_path):
    target = tmp_path / "m.npz"
    dead = tmp_path / ".m.npz.999999999-abc123.tmp"             # no such process
    old = tmp_path / ".m.npz.k3j4h5.tmp"                         # untagged, from an older ffnlp
    live = tmp_path / f".m.npz.{os.getppid()}-xyz.tmp"           # another process still writing
    other = tmp_path / ".n.npz.999999999-abc123.tmp"             # another target
    for p in (dead, old, live, other):
        p.write_bytes(b"x" * 10)
    os.utime(old, (time.time() - 2 * _files.STALE_SECONDS,) * 2)
    with _files.atomic_path(target) as tmp:
        pathlib.Path(tmp).write_bytes(b"model")
    assert target.read_bytes() == b"model"
    assert not dead.exists() and not old.exists() and live.exists() and other.exists()


def test_sigterm_removes_the_temporary(tmp_path, capsys, monkeypatch):
    import ffnlp.cli.lm

    target = tmp_path / "m.npz"
    target.write_bytes(b"good model")

    def killed_while_writing(args):
        with _files.atomic_path(target) as tmp:
            pathlib.Path(tmp).write_bytes(b"half")
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)                                        # the handler raises before this ends

    monkeypatch.setattr(ffnlp.cli.lm, "cmd_predict", killed_while_writing)
    code, _, err = run(["lm", "predict", "x.npz", "ctx"], capsys)
    assert code == 143 and "terminated" in err
    assert target.read_bytes() == b"good model"
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]
    assert signal.getsignal(signal.SIGTERM) is not None


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_keep_the_umask_mode(tmp_path, umask, mode):
    from ffnlp.nn.serialize import save_npz

    old = os.umask(umask)
    try:
        path = save_npz(tmp_path / "m.npz", {"W": np.zeros(2)}, {}, kind="test")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode


def test_random_bytes_model(data, capsys):
    line = fails(["classify", "predict", data / "random.npz", data / "train.txt"], capsys, "not an ffnlp model")
    assert "pickle" not in line.lower()
    line = fails(["image", "predict", data / "random.npz", data / "train.txt"], capsys, "not an ffnlp model")
    assert "pickle" not in line.lower()
    line = fails(["lm", "generate", data / "random.npz"], capsys, "not an ffnlp model")
    assert "pickle" not in line.lower()


def test_npz_with_object_arrays_never_suggests_unpickling(tmp_path, capsys):
    path = tmp_path / "obj.npz"
    np.savez(path, __meta__=np.array({"kind": "image"}, dtype=object))
    line = fails(["image", "predict", path, path], capsys, str(path))
    assert "unsafe" not in line and "pickle.load" not in line


def test_folder_or_unreadable_model(data, capsys, monkeypatch):
    fails(["classify", "predict", data / "folder", data / "train.txt"], capsys, "is a folder")
    fails(["lm", "generate", data / "folder"], capsys, "is a folder")
    model = data / "unreadable.npz"
    model.write_bytes(b"PK")
    _deny(monkeypatch, model)
    fails(["image", "predict", model, model], capsys, "cannot read", "Permission denied")


@pytest.mark.parametrize("argv,flag", [
    (["lm", "train", "--batch-size", "0"], "--batch-size"),
    (["lm", "train", "--epochs", "0"], "--epochs"),
    (["lm", "train", "--patience", "0"], "--patience"),
    (["lm", "train", "--momentum", "1"], "--momentum"),
    (["lm", "train", "--context", "0"], "--context"),
    (["image", "train", "--batch-size", "0"], "--batch-size"),
    (["image", "train", "--learning-rate", "-1"], "--learning-rate"),
    (["image", "train", "--momentum", "2"], "--momentum"),
    (["classify", "train", "--input", "x", "--output", "y", "--validation-fraction", "1.5"], "--validation-fraction"),
    (["classify", "train", "--input", "x", "--output", "y", "--dropout", "1"], "--dropout"),
    (["classify", "train", "--input", "x", "--output", "y", "--lr", "0"], "--lr"),
])
def test_errors_name_the_flag(argv, flag, capsys):
    line = fails(argv, capsys, flag)
    for field in ("batch_size", "n_iter_no_change", "validation_fraction", "learning_rate", "context_size"):
        assert field not in line


def test_python_api_errors_name_the_keyword():
    from ffnlp.config import ImageConfig, LMConfig, TextCatConfig

    with pytest.raises(ValueError, match="batch_size must be positive"):
        LMConfig(batch_size=0)
    with pytest.raises(ValueError, match="n_iter_no_change"):
        LMConfig(n_iter_no_change=0)
    with pytest.raises(ValueError, match="max_iter"):
        TextCatConfig(max_iter=0)
    with pytest.raises(ValueError, match="dropout"):
        ImageConfig(dropout=1.0)
    with pytest.raises(ValueError, match="init must be one of"):
        ImageConfig(init="bogus")


def test_long_documents_are_cut_with_a_warning(caplog):
    from ffnlp.cli.classify import LONG_DOCUMENT_TOKENS, _cap_long_documents

    texts = ["short text", " ".join(["word"] * (LONG_DOCUMENT_TOKENS + 500))]
    with caplog.at_level(logging.WARNING):
        out, max_length = _cap_long_documents(texts, None, "big.txt")
    assert max_length == LONG_DOCUMENT_TOKENS and out[0] == "short text"
    assert len(out[1].split()) == LONG_DOCUMENT_TOKENS and "big.txt" in caplog.text and "--max-length" in caplog.text
    assert _cap_long_documents(texts, 50, "big.txt") == (texts, 50)       # the user's --max-length wins
    assert _cap_long_documents(["a b", "c"], None, "x") == (["a b", "c"], None)


def test_long_document_cli(data, tmp_path, capsys, caplog):
    from ffnlp.cli.classify import LONG_DOCUMENT_TOKENS

    big = tmp_path / "big.txt"
    big.write_text((data / "train.txt").read_text() + "__label__pos " + "good " * (LONG_DOCUMENT_TOKENS * 3) + "\n")
    with caplog.at_level(logging.WARNING):
        code, _, err = run(["classify", "train", "--input", big, "--output", tmp_path / "m.npz", "--n-models", "1",
                            "--epochs", "1", "--dim", "8"], capsys)
    assert code == 0, err
    assert "cut" in caplog.text


def test_quiet_anywhere(data, capsys):
    fails(["lm", "train", "-q", "--corpus", data / "corpus.txt", "--max-vocab", "0"], capsys, "--max-vocab")
    code = main(["image", "-q", "train", "--dropout", "1"])
    assert code == 2


def test_quiet_silences_library_warnings(caplog):
    from ffnlp.cli import _quiet_libraries

    with caplog.at_level(logging.INFO):
        logging.getLogger("gensim.test").warning("a gensim warning")
        with _quiet_libraries(True):
            logging.getLogger("gensim.models.word2vec").warning("hidden gensim warning")
            with warnings.catch_warnings(record=True) as caught:
                warnings.warn("hidden warning")
            assert caught == []
    assert "a gensim warning" in caplog.text and "hidden" not in caplog.text
    assert logging.getLogger("gensim").level != logging.ERROR


def test_output_and_checkpoint_differ(data, tmp_path, capsys):
    same = tmp_path / "m.npz"
    fails(["lm", "train", "--corpus", data / "corpus.txt", "--output", same, "--checkpoint", same], capsys,
          "--output and --checkpoint")
    assert not same.exists()


def test_class_folders_are_never_taken_for_a_wrong_layout(tmp_path):
    from ffnlp.cli.classify import _read_input

    for i in range(12):                                          # 12 classes of one document each
        (tmp_path / f"c{i}").mkdir()
        (tmp_path / f"c{i}" / "doc.txt").write_text(f"document number {i}")
    assert len(set(_read_input(tmp_path, "utf-8", "auto").labels)) == 12
