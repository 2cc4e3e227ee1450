"""``ffnlp classify`` and ``ffnlp corpora show`` on data that comes with its own split or one file per class."""
import json

from ffnlp.cli import main

POS = ["a great film", "wonderful and moving", "a fine , warm story", "great acting", "moving and fine"]
NEG = ["a dull film", "boring and flat", "a tedious , cold story", "dull acting", "flat and boring"]


def _layout(root):
    for split, k in (("train", 8), ("dev", 2), ("test", 3)):
        for label, texts in (("pos", POS), ("neg", NEG)):
            (root / f"{split}.{label}").write_text("\n".join((texts * 4)[:k]) + "\n", encoding="utf-8")
    return root


def test_classify_train_and_test_use_the_folders_own_split(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    data = _layout(tmp_path / "data")
    model = tmp_path / "m.npz"
    assert main(["-q", "classify", "train", "--input", str(data), "--output", str(model), "--epochs", "3",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["n"] == 16  # train.pos + train.neg only
    assert main(["-q", "classify", "test", str(model), str(data), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["n"] == 6  # the test split


def test_empty_documents_flag(tmp_path, capsys):
    f = tmp_path / "train.tsv"
    f.write_text("pos\tgreat film\nneg\t \n" + "".join(f"pos\t{p}\nneg\t{n}\n" for p, n in zip(POS, NEG)),
                 encoding="utf-8")
    model = tmp_path / "m.npz"
    argv = ["-q", "classify", "train", "--input", str(f), "--output", str(model), "--epochs", "2", "--json"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "empty document" in err and "--empty-docs" in err
    assert main([*argv, "--empty-docs", "drop"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["n"] == 11
    assert main([*argv, "--empty-docs", "keep"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["n"] == 12


def test_corpora_show_path_says_which_split(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    data = _layout(tmp_path / "data")
    assert main(["corpora", "show", str(data), "--json"]) == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert info["classify_split"].startswith("its own: train ") and "dev.neg" in info["classify_split"]
    assert "unusable for lm train" in info["split"]  # several files per split
    lm = tmp_path / "lm"
    lm.mkdir()
    for s in ("train", "valid", "test"):
        (lm / f"wiki.{s}.tokens").write_text("a b\n", encoding="utf-8")
    assert main(["corpora", "show", str(lm)]) == 0
    out = capsys.readouterr().out
    assert "split\tits own: train wiki.train.tokens, valid wiki.valid.tokens, test wiki.test.tokens" in out
    plain = tmp_path / "plain.txt"
    plain.write_text("x\n", encoding="utf-8")
    assert main(["corpora", "show", str(plain)]) == 0
    assert "none of its own" in capsys.readouterr().out
