"""Minibatches and the training loop shared by every task.

:func:`fit` runs epochs of minibatch updates (or full-batch gradient descent), records a
:class:`History`, validates, stops early restoring the best weights, stops with
:class:`~ffnlp.errors.DivergenceError` on a NaN/inf loss, and reports progress through ``logging``
(silence it with ``verbose=False``).

Inputs ``X`` may be an ndarray (rows are examples) or any object with ``__len__`` and a
``take(indices)`` method returning the batch (e.g. ragged token batches); targets ``y`` likewise.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ffnlp.errors import DivergenceError
from ffnlp.nn.layer import Layer
from ffnlp.nn.losses import Loss
from ffnlp.nn.optimizers import Optimizer

logger = logging.getLogger(__name__)


def minibatches(n_samples: int, batch_size: int | None, *, rng: np.random.Generator | None = None):
    """Yield index arrays covering ``range(n_samples)`` once, in batches of ``batch_size``.

    Shuffled when ``rng`` is given; ``batch_size=None`` gives one full batch.
    """
    if n_samples <= 0:
        return
    order = rng.permutation(n_samples) if rng is not None else np.arange(n_samples)
    bs = n_samples if not batch_size else int(batch_size)
    for start in range(0, n_samples, bs):
        yield order[start:start + bs]


def take(data, idx):
    """Rows ``idx`` of ``data`` (an ndarray or an object with ``take(idx)``)."""
    if data is None:
        return None
    if isinstance(data, np.ndarray):
        return data[idx]
    return data.take(idx)


@dataclass
class History:
    """What happened during :func:`fit`, one entry per epoch (or per iteration for full-batch runs)."""

    loss: list[float] = field(default_factory=list)
    val: list[dict] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    examples_per_second: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    best_score: float | None = None
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def to_dict(self) -> dict:
        return {
            "loss": self.loss, "val": self.val, "seconds": self.seconds,
            "examples_per_second": self.examples_per_second, "lr": self.lr, "best_epoch": self.best_epoch,
            "best_score": self.best_score, "stopped_early": self.stopped_early,
        }


def train_step(model: Layer, loss: Loss, optimizer: Optimizer, X, y, sample_weight=None) -> float:
    """One forward/backward pass and one optimizer update; returns the batch loss."""
    Z, backprop = model(X, is_train=True)
    value, dZ = loss(Z, y, sample_weight)
    if not math.isfinite(value):
        return value
    backprop(dZ)
    optimizer.step(model)
    return value


def evaluate_loss(model: Layer, loss: Loss, X, y, *, batch_size: int | None = 4096) -> float:
    """Mean loss over ``X`` in inference mode, accumulated in float64."""
    n = len(X)
    total = 0.0
    for idx in minibatches(n, batch_size):
        Z = model.predict(take(X, idx))
        total += loss(Z, take(y, idx))[0] * len(idx)
    return total / max(n, 1)


def fit(
    model: Layer,
    loss: Loss,
    optimizer: Optimizer,
    X,
    y,
    *,
    epochs: int = 10,
    batch_size: int | None = 32,
    rng: np.random.Generator | None = None,
    sample_weight=None,
    validate: Callable[[Layer], dict] | None = None,
    monitor: str = "loss",
    mode: str = "min",
    n_iter_no_change: int | None = None,
    tol: float = 0.0,
    restore_best: bool = True,
    on_epoch_end: Callable[[int, History, bool], None] | None = None,
    history: History | None = None,
    start_epoch: int = 0,
    verbose: bool = True,
    log_every: int = 1,
    max_seconds: float | None = None,
) -> History:
    """Train ``model`` on ``(X, y)``; returns the :class:`History`.

    Parameters
    ----------
    X, y : ndarray or batchable object
        Training inputs (n_samples, ...) and targets.
    epochs : int
        Passes over the data (with ``batch_size=None``: full-batch gradient-descent iterations).
    batch_size : int or None
        Minibatch size; None = full batch.
    rng : Generator or None
        Shuffles the examples each epoch when given.
    validate : callable(model) -> dict or None
        Called after each epoch; its ``monitor`` entry decides improvement and early stopping.
        Without it, the training loss is monitored.
    n_iter_no_change : int or None
        Stop after this many epochs without an improvement larger than ``tol``.
    restore_best : bool
        On stopping, put back the parameters of the best epoch.
    on_epoch_end : callable(epoch, history, improved) or None
        For checkpointing; called after validation.
    start_epoch : int
        Epoch number to start counting from (resuming from a checkpoint).
    max_seconds : float or None
        Stop (as if early) once this much wall time has passed.

    Raises
    ------
    DivergenceError
        When a batch loss is NaN or infinite; parameters are restored to the best epoch (if any) first.
    """
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X has {n} samples but y has {len(y)}")
    if n == 0:
        raise ValueError("no training examples")
    hist = history if history is not None else History()
    sign = 1.0 if mode == "min" else -1.0
    best_params = None
    no_change = 0
    t_start = time.perf_counter()
    last = start_epoch
    for epoch in range(start_epoch, start_epoch + epochs):
        t0 = time.perf_counter()
        last = epoch + 1
        total, seen = 0.0, 0
        lr = optimizer.current_lr
        for step, idx in enumerate(minibatches(n, batch_size, rng=rng)):
            sw = None if sample_weight is None else sample_weight[idx]
            value = train_step(model, loss, optimizer, take(X, idx), take(y, idx), sw)
            if not math.isfinite(value):
                if best_params is not None:
                    model.set_params_from(best_params)
                raise DivergenceError(
                    f"training diverged: loss is {value} at epoch {epoch + 1}, batch {step + 1}; "
                    f"lower the learning rate (now {optimizer.current_lr:g}). Nothing was saved from the diverged state.")
            total += value * len(idx)
            seen += len(idx)
        secs = time.perf_counter() - t0
        hist.loss.append(total / seen)
        hist.seconds.append(secs)
        hist.examples_per_second.append(seen / secs if secs > 0 else float("inf"))
        hist.lr.append(lr)
        metrics = validate(model) if validate is not None else {}
        hist.val.append(metrics)
        score = metrics[monitor] if monitor in metrics else (hist.loss[-1] if validate is None else None)
        if score is None:
            raise KeyError(f"validate() returned {sorted(metrics)}, which lacks the monitored {monitor!r}")
        if not math.isfinite(score):
            if best_params is not None:
                model.set_params_from(best_params)
            raise DivergenceError(f"training diverged: validation {monitor} is {score} at epoch {epoch + 1}")
        improved = hist.best_score is None or sign * (score - hist.best_score) < -tol
        if improved:
            hist.best_score, hist.best_epoch = float(score), epoch + 1
            no_change = 0
            if restore_best and (n_iter_no_change is not None or validate is not None):
                best_params = model.copy_params()
        else:
            no_change += 1
        if verbose and ((epoch + 1) % log_every == 0 or epoch == start_epoch):
            extra = "".join(f" {k} {v:.4f}" for k, v in metrics.items() if isinstance(v, float))
            logger.info("epoch %d/%d loss %.6f%s %.0f ex/s", epoch + 1, start_epoch + epochs, hist.loss[-1],
                        extra, hist.examples_per_second[-1])
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, hist, improved)
        out_of_time = max_seconds is not None and time.perf_counter() - t_start > max_seconds
        if (n_iter_no_change is not None and no_change >= n_iter_no_change) or out_of_time:
            hist.stopped_early = True
            if verbose:
                logger.info("stopping after epoch %d: best %s %.6f at epoch %d", epoch + 1, monitor,
                            hist.best_score, hist.best_epoch)
            break
    if restore_best and best_params is not None and hist.best_epoch != last:
        model.set_params_from(best_params)
    return hist
