"""Progress of long work (training epochs, scoring a large split, comparisons), one reporter for all.

On a terminal (``sys.stderr.isatty()``) a tqdm bar is drawn within each epoch: items per second, the
running mean loss, the time left in the epoch and in the run. Elsewhere (a log file, a pipe, CI) a line is
logged to ``logging.getLogger("ffnlp.progress")`` at INFO at most every ``log_every_seconds``, and one
at the end of each epoch. ``enabled=False`` (the CLI's ``-q``) silences both.

:class:`Progress` itself needs nothing of ffnlp (word2vec training and ``classify compare`` drive it);
:class:`FitProgress` adapts it to the callbacks of the training engine (:mod:`ffnlp.nn.training`).

Examples
--------
>>> from ffnlp.progress import Progress
>>> progress = Progress(2, unit="examples", desc="fit")
>>> for epoch in (1, 2):
...     progress.epoch_begin(epoch, 100)
...     for batch in range(4):
...         progress.update(25, loss=1.0 / epoch)
...     progress.epoch_end(epoch, {"valid_accuracy": 0.5})
>>> progress.close()
"""
from __future__ import annotations

import logging
import math
import sys
import time

logger = logging.getLogger("ffnlp.progress")

#: The clock (seconds); tests replace it.
_clock = time.monotonic
#: Reporters whose bar is open, outermost first: a bar opened inside another (the fits of a comparison, the
#: epochs of a fit) is drawn below it and cleared when done, so that only the outermost lines stay.
_OPEN: list = []


def format_seconds(seconds: float | None) -> str:
    """``h:mm:ss`` or ``m:ss``; ``?`` when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "?"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _rate(n: float, seconds: float) -> str:
    r = n / seconds
    return f"{r:.2g}" if r < 10 else f"{r:,.0f}"


def _format_value(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:.4g}"


class Progress:
    """Reports how far a run of epochs has got; see the module docstring.

    Parameters
    ----------
    total_epochs : int or None
        Epochs the run will make at most (early stopping may end it sooner; the run's ETA is then an
        upper bound). None: unknown, no run ETA.
    unit : str
        What ``n_items`` counts: ``"examples"``, ``"tokens"``, ``"words"``, ``"documents"``...
    enabled : bool
        False: draw and log nothing.
    log_every_seconds : float
        Off a terminal, the least time between two progress lines within an epoch.
    desc : str
        Put before each bar or line (``"lm"``, ``"member 2/5"``, ...).
    stage : str
        What one "epoch" is called in the bar and the lines (``"model"`` for a comparison's models).

    Methods are called in the order ``epoch_begin``, ``update`` (once per batch), ``epoch_end``, for each
    epoch, then ``close`` (also a context manager's exit).
    """

    def __init__(self, total_epochs: int | None, *, unit: str = "examples", enabled: bool = True,
                 log_every_seconds: float = 30.0, desc: str = "", stage: str = "epoch", leave: bool = True):
        if total_epochs is not None and int(total_epochs) < 0:
            raise ValueError(f"total_epochs must be >= 0 or None, got {total_epochs!r}")
        if not log_every_seconds >= 0:
            raise ValueError(f"log_every_seconds must be >= 0, got {log_every_seconds!r}")
        self.total_epochs = None if total_epochs is None else int(total_epochs)
        self.unit = unit
        self.enabled = bool(enabled)
        self.log_every_seconds = float(log_every_seconds)
        self.desc = desc
        self.stage = stage
        self.leave = bool(leave)      # an outermost bar stays on the screen when its epoch ends
        self._bar = None
        self._redirect = None         # the logging redirection of the outermost bar
        self._tty = None              # decided at the first epoch, on the stderr of that moment
        self._epoch = None
        self._epoch_times: list[float] = []
        self._reset_epoch(None, None)

    # -- state -------------------------------------------------------------------------------------
    def _reset_epoch(self, epoch, n_items):
        self._epoch, self._n_items = epoch, n_items
        self._seen, self._loss_sum, self._loss_n = 0, 0.0, 0
        self._t0 = self._last_log = _clock()

    @property
    def mean_loss(self) -> float | None:
        """Mean of the losses passed to :meth:`update` this epoch, weighted by their items."""
        return self._loss_sum / self._loss_n if self._loss_n else None

    def epoch_eta(self) -> float | None:
        """Seconds left in this epoch at the current rate (None when unknown)."""
        elapsed = _clock() - self._t0
        if not self._n_items or not self._seen or elapsed <= 0:
            return None
        return max(self._n_items - self._seen, 0) * elapsed / self._seen

    def run_eta(self) -> float | None:
        """Seconds left in the run: this epoch's rest plus the epochs still to come, each as long as the
        mean finished epoch (or this one, projected, before any has finished)."""
        if self.total_epochs is None or self._epoch is None:
            return None
        left_now = self.epoch_eta()
        if left_now is None:
            return None
        per_epoch = (sum(self._epoch_times) / len(self._epoch_times) if self._epoch_times
                     else _clock() - self._t0 + left_now)
        return left_now + max(self.total_epochs - self._epoch, 0) * per_epoch

    def _title(self, epoch) -> str:
        of = f"/{self.total_epochs}" if self.total_epochs else ""
        return " ".join(p for p in (self.desc, f"{self.stage} {epoch}{of}") if p)

    def _use_tty(self) -> bool:
        if self._tty is None:
            try:
                tty = bool(sys.stderr.isatty())
            except (AttributeError, ValueError):
                tty = False
            if tty:
                try:
                    import tqdm  # noqa: F401
                except ImportError:
                    tty = False
            self._tty = tty
        return self._tty

    # -- the interface -----------------------------------------------------------------------------
    def epoch_begin(self, epoch: int, n_items: int) -> None:
        """An epoch of ``n_items`` items (None: unknown) starts."""
        self._close_bar()
        self._reset_epoch(int(epoch), None if n_items is None else int(n_items))
        if not self.enabled or not self._use_tty():
            return
        from tqdm import tqdm

        depth = len(_OPEN)               # bars of enclosing work (a comparison's fits, each with its epochs)
        if depth == 0:                   # log lines are written above the bars, not through them
            from tqdm.contrib.logging import logging_redirect_tqdm

            self._redirect = logging_redirect_tqdm()
            self._redirect.__enter__()
        self._bar = tqdm(total=self._n_items, desc=self._title(epoch), unit=f" {self.unit}",
                         unit_scale=self._n_items is None or self._n_items >= 100_000,
                         file=sys.stderr, dynamic_ncols=True, leave=depth == 0 and self.leave, position=depth, mininterval=0.25)
        _OPEN.append(self)

    def update(self, n_items: int, loss: float | None = None) -> None:
        """``n_items`` more items done (a batch), with their mean ``loss`` if known."""
        if self._epoch is None:         # no epoch_begin: one epoch of unknown size, timed from the last event
            since = self._t0
            self.epoch_begin(len(self._epoch_times) + 1, None)
            self._t0 = self._last_log = since
        n_items = int(n_items)
        self._seen += n_items
        if loss is not None and math.isfinite(loss):
            self._loss_sum += float(loss) * n_items
            self._loss_n += n_items
        if not self.enabled:
            return
        if self._bar is not None:
            post = {}
            if self.mean_loss is not None:
                post["loss"] = f"{self.mean_loss:.4f}"
            eta = self.run_eta()
            if eta is not None:
                post["run ETA"] = format_seconds(eta)
            self._bar.set_postfix(post, refresh=False)
            self._bar.update(n_items)
            return
        now = _clock()
        if now - self._last_log >= self.log_every_seconds:
            self._last_log = now
            logger.info("%s", self._line())

    def _line(self) -> str:
        elapsed = _clock() - self._t0
        parts = []
        if self._n_items:
            parts.append(f"{self._seen / self._n_items:.0%} ({self._seen:,}/{self._n_items:,} {self.unit})")
        else:
            parts.append(f"{self._seen:,} {self.unit}")
        if elapsed > 0:
            parts.append(f"{_rate(self._seen, elapsed)} {self.unit}/s")
        if self.mean_loss is not None:
            parts.append(f"loss {self.mean_loss:.4f}")
        eta, run = self.epoch_eta(), self.run_eta()
        if eta is not None:
            parts.append(f"epoch ETA {format_seconds(eta)}")
        if run is not None:
            parts.append(f"run ETA {format_seconds(run)}")
        return f"{self._title(self._epoch)}: " + ", ".join(parts)

    def epoch_end(self, epoch: int, metrics: dict) -> None:
        """The epoch is over; ``metrics`` (name -> number, e.g. ``valid_perplexity``) are shown with it."""
        elapsed = _clock() - self._t0
        self._epoch_times.append(elapsed)
        shown = {"loss": f"{self.mean_loss:.4f}"} if self.mean_loss is not None else {}
        shown.update(metrics or {})
        if self.enabled:
            if self._bar is not None:
                self._bar.set_postfix({k: _format_value(v) for k, v in shown.items()}, refresh=False)
                self._close_bar()
            else:
                rate = f", {_rate(self._seen, elapsed)} {self.unit}/s" if elapsed > 0 and self._seen else ""
                extra = "".join(f", {k} {_format_value(v)}" for k, v in shown.items())
                run = ""
                if self.total_epochs and int(epoch) < self.total_epochs:
                    per = sum(self._epoch_times) / len(self._epoch_times)
                    run = f", run ETA {format_seconds(per * (self.total_epochs - int(epoch)))}"
                logger.info("%s: done, %s %s in %s%s%s%s", self._title(epoch), f"{self._seen:,}", self.unit,
                            format_seconds(elapsed), rate, extra, run)
        self._epoch = None
        self._t0 = _clock()

    def _close_bar(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            if self in _OPEN:
                _OPEN.remove(self)
            if self._redirect is not None:
                redirect, self._redirect = self._redirect, None
                redirect.__exit__(None, None, None)

    def close(self) -> None:
        """Finish: close a bar still open (an epoch cut short)."""
        self._close_bar()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"Progress(total_epochs={self.total_epochs!r}, unit={self.unit!r}, enabled={self.enabled!r}, "
                f"desc={self.desc!r})")


__all__ = ["Progress", "format_seconds"]


def _callback_base():
    from ffnlp.nn.training import Callback

    return Callback


class FitProgress(_callback_base()):
    """A callback of the training engine (:func:`ffnlp.nn.fit`) that drives a :class:`Progress` bar within
    every epoch of every fit: items (examples, or tokens for a language model) per second, the running
    loss, and the ETA of the epoch and of the run. The CLI installs it on a terminal for every training
    verb (``-q`` leaves it out); off a terminal the engine's own log lines report progress.
    """

    def __init__(self, *, unit: str = "examples", desc: str = "", enabled: bool = True, leave: bool = True):
        self.unit, self.desc, self.enabled, self.leave = unit, desc, enabled, leave
        self.progress = None

    def on_train_begin(self, state):
        self.progress = Progress(state.end_epoch, unit=self.unit, enabled=self.enabled, desc=self.desc,
                                 leave=self.leave)

    def on_epoch_begin(self, state):
        self.progress.epoch_begin(state.epoch + 1, state.n_examples)

    def on_batch_end(self, state):
        self.progress.update(state.batch_size, state.batch_loss)

    def on_epoch_end(self, state):
        self.progress.epoch_end(state.epoch, {k: v for k, v in state.metrics.items() if isinstance(v, float)})

    def on_train_end(self, state):
        self.progress.close()
