"""ffnlp classify tune: a seeded search on validation data within a budget; the best model and the trials."""
import json

import numpy as np
import pytest

from ffnlp.cli import main

POS = ["a good film", "great acting and a fine plot", "good fun , well made", "a great and moving story"]
NEG = ["a bad film", "dull acting and a weak plot", "bad , boring and slow", "a dull and tired story"]


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)

    def write(name, n):
        lines = []
        for i in range(n):
            lab = int(rng.integers(2))
            text = (POS if lab else NEG)[int(rng.integers(4))]
            lines.append(f"__label__{'pos' if lab else 'neg'} {text} {'x' * int(rng.integers(1, 4))}")
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n")
        return path

    return write("train.txt", 160), write("valid.txt", 60)


def test_tune_writes_the_best_model_and_the_trials(files, tmp_path, capsys):
    train, valid = files
    out, table = tmp_path / "best.npz", tmp_path / "trials.json"
    code = main(["-q", "classify", "tune", "--input", str(train), "--validation", str(valid), "--output", str(out),
                 "--budget", "120", "--max-trials", "3", "--trials", str(table), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    rows = json.loads(table.read_text())
    assert summary["trials"] == 3 and len(rows) == 3 and {r["trial"] for r in rows} == {0, 1, 2}
    assert rows[0]["accuracy"] == max(r["accuracy"] for r in rows) == pytest.approx(summary["best_validation_accuracy"], abs=1e-4)
    assert out.exists()
    assert main(["-q", "classify", "test", str(out), str(valid)]) == 0


def test_tune_in_parallel_gives_the_same_trials(files, tmp_path):
    from ffnlp.tasks.tune import tune

    texts = [line.split(" ", 1)[1] for line in files[0].read_text().splitlines()]
    labels = [line.split(" ", 1)[0] for line in files[0].read_text().splitlines()]
    vt = [line.split(" ", 1)[1] for line in files[1].read_text().splitlines()]
    vl = [line.split(" ", 1)[0] for line in files[1].read_text().splitlines()]
    a = tune(texts, labels, vt, vl, budget=120, max_trials=3, seed=1)
    b = tune(texts, labels, vt, vl, budget=120, max_trials=3, seed=1, n_jobs=2)
    key = [(t.index, t.params, t.accuracy) for t in sorted(a.trials, key=lambda t: t.index)]
    assert key == [(t.index, t.params, t.accuracy) for t in sorted(b.trials, key=lambda t: t.index)]


@pytest.mark.parametrize("extra, needle", [(["--budget", "0"], "--budget"), (["--jobs", "0"], "--jobs")])
def test_tune_refuses_bad_settings(files, tmp_path, capsys, extra, needle):
    train, valid = files
    code = main(["classify", "tune", "--input", str(train), "--validation", str(valid), "--output",
                 str(tmp_path / "m.npz"), *extra])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("ffnlp: error:") and needle in err[-1]


def test_tune_refuses_a_validation_label_not_in_training(files, tmp_path, capsys):
    train, _ = files
    bad = tmp_path / "bad.txt"
    bad.write_text("__label__other a film\n__label__pos a good film\n")
    assert main(["classify", "tune", "--input", str(train), "--validation", str(bad), "--output",
                 str(tmp_path / "m.npz")]) == 2
    assert "not in the training data" in capsys.readouterr().err
