"""ffnlp.progress.Progress: a tqdm bar on a (fake) terminal, throttled log lines elsewhere, silence when off."""
import io
import logging
import sys

import pytest

import ffnlp.progress as progress_mod
from ffnlp.progress import Progress, format_seconds


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(progress_mod, "_clock", c)
    return c


def _records(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "ffnlp.progress"]


def _two_epochs(p, clock=None):
    for epoch in (1, 2):
        p.epoch_begin(epoch, 100)
        for _ in range(4):
            if clock is not None:
                clock.t += 1
            p.update(25, loss=2.0 / epoch)
        p.epoch_end(epoch, {"valid_accuracy": 0.75})
    p.close()


def test_terminal_draws_a_bar_per_epoch_and_logs_nothing(monkeypatch, caplog):
    fake = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    caplog.set_level(logging.INFO, logger="ffnlp.progress")
    _two_epochs(Progress(2, unit="tokens", desc="lm"))
    text = fake.getvalue()
    assert "lm epoch 1/2" in text and "lm epoch 2/2" in text
    assert "100/100" in text and "tokens/s" in text
    assert "loss=2.0000" in text and "loss=1.0000" in text      # each epoch's running mean
    assert "valid_accuracy=0.75" in text
    assert _records(caplog) == []


def test_terminal_bar_shows_run_eta_while_running(monkeypatch, clock):
    fake = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    p = Progress(3, log_every_seconds=0)
    p.epoch_begin(1, 100)
    clock.t = 10.0
    p.update(50, loss=1.0)
    p._bar.refresh()
    assert "run ETA=0:50" in fake.getvalue()        # 10 s left in this epoch + 2 epochs of 20 s
    p.close()


def test_eta_for_the_epoch_and_the_run(clock):
    p = Progress(3, enabled=False)
    assert p.run_eta() is None
    p.epoch_begin(1, 100)
    assert p.epoch_eta() is None                   # nothing done yet
    clock.t = 10.0
    p.update(50)
    assert p.epoch_eta() == pytest.approx(10.0)
    assert p.run_eta() == pytest.approx(10.0 + 2 * 20.0)   # before any epoch ends: this one, projected
    clock.t = 20.0
    p.update(50)
    p.epoch_end(1, {})
    p.epoch_begin(2, 100)
    clock.t = 25.0
    p.update(25)
    assert p.epoch_eta() == pytest.approx(15.0)
    assert p.run_eta() == pytest.approx(15.0 + 1 * 20.0)   # then the mean finished epoch
    assert Progress(None, enabled=False).run_eta() is None


def test_mean_loss_is_weighted_by_items(clock):
    p = Progress(1, enabled=False)
    p.epoch_begin(1, 40)
    p.update(30, loss=1.0)
    p.update(10, loss=5.0)
    p.update(5, loss=float("nan"))                 # a non-finite loss is not averaged in
    assert p.mean_loss == pytest.approx(2.0)
    p.epoch_begin(2, 40)
    assert p.mean_loss is None


def test_not_a_terminal_logs_at_most_every_interval(monkeypatch, clock, caplog):
    fake = io.StringIO()
    monkeypatch.setattr(sys, "stderr", fake)
    caplog.set_level(logging.INFO, logger="ffnlp.progress")
    p = Progress(2, unit="examples", log_every_seconds=30.0, desc="fit")
    p.epoch_begin(1, 1000)
    for _ in range(10):                            # t = 10, 20, ..., 100
        clock.t += 10
        p.update(100, loss=0.5)
    lines = _records(caplog)
    assert len(lines) == 3                         # at t = 30, 60, 90
    assert lines[0] == "fit epoch 1/2: 30% (300/1,000 examples), 10 examples/s, loss 0.5000, epoch ETA 1:10, " \
                       "run ETA 2:50"    # 70 s + one more epoch projected as long as this one (100 s)
    p.epoch_end(1, {"valid_perplexity": 123.456})
    last = _records(caplog)[-1]
    assert last.startswith("fit epoch 1/2: done, 1,000 examples in 1:40, 10 examples/s, loss 0.5")
    assert "valid_perplexity 123.5" in last and "run ETA 1:40" in last
    assert fake.getvalue() == ""                   # no bar drawn


def test_disabled_is_silent(monkeypatch, caplog):
    fake = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    caplog.set_level(logging.INFO, logger="ffnlp.progress")
    _two_epochs(Progress(2, enabled=False, log_every_seconds=0))
    assert fake.getvalue() == ""
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    _two_epochs(Progress(2, enabled=False, log_every_seconds=0))
    assert _records(caplog) == []


def test_update_without_epoch_begin_and_context_manager(monkeypatch, caplog, clock):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    caplog.set_level(logging.INFO, logger="ffnlp.progress")
    with Progress(None, unit="documents", log_every_seconds=0) as p:
        clock.t = 2
        p.update(10)
    assert _records(caplog) == ["epoch 1: 10 documents, 5 documents/s"]


def test_bad_arguments():
    with pytest.raises(ValueError, match="total_epochs"):
        Progress(-1)
    with pytest.raises(ValueError, match="log_every_seconds"):
        Progress(1, log_every_seconds=-1)


def test_format_seconds():
    assert format_seconds(0) == "0:00"
    assert format_seconds(75.4) == "1:15"
    assert format_seconds(3 * 3600 + 5) == "3:00:05"
    assert format_seconds(None) == "?" and format_seconds(float("inf")) == "?"


def test_compare_reports_each_model_and_fit():
    from ffnlp.tasks.compare import compare

    calls = []

    class Recorder:
        def epoch_begin(self, epoch, n_items):
            calls.append(("begin", epoch, n_items))

        def update(self, n_items, loss=None):
            calls.append(("update", n_items))

        def epoch_end(self, epoch, metrics):
            calls.append(("end", epoch, metrics["model"]))

    result = compare("polarity", ["nbsvm", "tfidf_mnb"], max_folds=2, progress=Recorder())
    assert [r.model for r in result.rows] == ["nbsvm", "tfidf_mnb"]
    assert calls == [("begin", 1, 2), ("update", 1), ("update", 1), ("end", 1, "nbsvm"),
                     ("begin", 2, 2), ("update", 1), ("update", 1), ("end", 2, "tfidf_mnb")]


def test_stage_names_the_epochs(monkeypatch, caplog, clock):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    caplog.set_level(logging.INFO, logger="ffnlp.progress")
    p = Progress(3, unit="fits", stage="model", desc="compare trec")
    p.epoch_begin(1, 2)
    p.update(1)
    clock.t = 4
    p.update(1)
    p.epoch_end(1, {"model": "nbsvm", "accuracy": 0.9})
    assert _records(caplog) == ["compare trec model 1/3: done, 2 fits in 0:04, 0.5 fits/s, model nbsvm, accuracy 0.9, "
                                "run ETA 0:08"]


def test_the_training_engine_drives_a_bar_within_every_epoch(monkeypatch):
    import numpy as np

    from ffnlp.nn import Adam, SoftmaxCrossEntropy, build_mlp, fit
    from ffnlp.progress import FitProgress

    fake = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((96, 3)).astype(np.float32), rng.integers(0, 2, 96)
    fit(build_mlp([3, 4, 2], rng=rng), SoftmaxCrossEntropy(), Adam(0.01), X, y, epochs=2, batch_size=32, rng=rng,
        verbose=False, callbacks=[FitProgress(unit="examples", desc="fit")])
    text = fake.getvalue()
    assert "fit epoch 1/2" in text and "fit epoch 2/2" in text and "96/96" in text and "loss=" in text


def test_the_cli_shows_bars_on_a_terminal_only_and_never_under_q(monkeypatch, capsys):
    from ffnlp.cli import main

    fake = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    assert main(["image", "train", "--iterations", "2"]) == 0
    assert "epoch 1/2" in fake.getvalue() and "ex" in fake.getvalue()
    fake2 = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake2)
    assert main(["image", "train", "--iterations", "2", "-q"]) == 0
    assert "epoch 1/2" not in fake2.getvalue()


def test_nested_bars_stack_and_only_the_outer_ones_stay(monkeypatch, caplog):
    fake = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    outer = Progress(2, unit="fits", stage="model", desc="compare")
    outer.epoch_begin(1, 2)
    inner = Progress(3, desc="fit")
    inner.epoch_begin(1, 10)
    assert outer._bar.leave is True and outer._bar.pos == 0
    assert inner._bar.leave is False and abs(inner._bar.pos) == 1
    logging.getLogger("ffnlp.test").warning("a line while the bars are drawn")
    inner.update(10, loss=0.5)
    inner.epoch_end(1, {})
    inner.close()
    outer.update(1)
    outer.epoch_end(1, {"accuracy": 0.5})
    assert progress_mod._OPEN == []
    again = Progress(1)
    again.epoch_begin(1, 5)                          # with nothing open, a new bar is outermost again
    assert again._bar.leave is True
    again.close()
    assert progress_mod._OPEN == []


def test_lm_train_on_a_terminal_shows_each_epoch_once(monkeypatch, tmp_path):
    """The LM's own epoch line stays; its bar leaves the screen when the epoch ends (it said the same)."""
    from ffnlp.cli import main
    from ffnlp.progress import FitProgress

    made = []
    real_init = FitProgress.__init__

    def spy(self, **kw):
        real_init(self, **kw)
        made.append(self)
    monkeypatch.setattr(FitProgress, "__init__", spy)
    fake = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    for name, n in (("tr.txt", 60), ("va.txt", 10)):
        (tmp_path / name).write_text("".join(f"a b c d {i % 7} e\n" for i in range(n)))
    assert main(["lm", "train", "--train", str(tmp_path / "tr.txt"), "--valid", str(tmp_path / "va.txt"),
                 "--epochs", "1", "--no-test", "--output", str(tmp_path / "m.npz")]) == 0
    assert made and made[0].unit == "tokens" and made[0].leave is False
    made.clear()
    assert main(["image", "train", "--iterations", "1"]) == 0
    assert made and made[0].leave is True
    quiet_bar = Progress(1, leave=False)
    quiet_bar.epoch_begin(1, 5)
    assert quiet_bar._bar.leave is False
    quiet_bar.close()
