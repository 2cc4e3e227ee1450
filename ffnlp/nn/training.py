"""The one training engine of ffnlp: :func:`fit`, with its callbacks.

Every task trains through :func:`fit`: the course's image network, the window language model and the text
classifiers. A task supplies

* a **model** (a :class:`~ffnlp.nn.layer.Layer`, rows are examples);
* an **objective**: a plain :class:`~ffnlp.nn.losses.Loss` on the model's output, or a fused output
  layer that owns parameters (``SoftmaxOutput``, ``ClassFactoredSoftmax``: anything with
  ``loss(F, y, sample_weight) -> (loss, dF)``, as fastText's ``Loss`` owns its output matrix); the
  optimizer then updates the model and the output layer together;
* **data**: arrays whose rows are examples, or any dataset with ``len()`` and ``take(indices)``
  (ragged token batches, the LM's windows over a token stream); with ``y=None`` the dataset's ``take``
  returns ``(X, y)`` or ``(X, y, sample_weight)``;
* **callbacks** (:class:`Callback`): logging, progress, checkpoint and resume, learning-rate halving on a
  plateau, a time limit, a gradient exchange between processes. Divergence (NaN/inf, or a loss that ends
  far above where it started), early stopping (patience) and restore-best live here, once.

One step is: forward, objective, backprop, the callbacks' ``on_gradients`` (where a distributed run sums the
gradients of every process), the optimizer step. The loss is read on the host once per step (one device
sync). An epoch visits every example once, in a new random order when ``rng`` is given.
"""
from __future__ import annotations

import contextvars
import logging
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ffnlp.errors import DivergenceError
from ffnlp.nn.backends import NUMPY_OPS
from ffnlp.nn.layer import Chain, Layer
from ffnlp.nn.optimizers import Optimizer

logger = logging.getLogger(__name__)


def minibatches(n_samples: int, batch_size: int | None, *, rng: np.random.Generator | None = None):
    """Yield index arrays covering ``range(n_samples)`` once, in batches of ``batch_size``.

    Shuffled when ``rng`` is given; ``batch_size=None`` gives one full batch.
    """
    if n_samples <= 0:
        return
    order = rng.permutation(n_samples) if rng is not None else NUMPY_OPS.arange(n_samples)
    bs = n_samples if not batch_size else int(batch_size)
    for start in range(0, n_samples, bs):
        yield order[start:start + bs]


def _is_array(data) -> bool:
    # NumPy, CuPy and other device arrays have a shape and a dtype; datasets need only len() and take().
    return isinstance(data, np.ndarray) or (hasattr(data, "shape") and hasattr(data, "dtype"))


def take(data, idx):
    """Rows ``idx`` of ``data``: an array of any backend (fancy indexing) or a dataset (``data.take(idx)``)."""
    if data is None:
        return None
    if _is_array(data):
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
    examples: list[int] = field(default_factory=list)
    best_epoch: int | None = None
    best_score: float | None = None
    stopped_early: bool = False
    stop_reason: str | None = None

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def to_dict(self) -> dict:
        return {
            "loss": self.loss, "val": self.val, "seconds": self.seconds,
            "examples_per_second": self.examples_per_second, "lr": self.lr, "examples": self.examples,
            "best_epoch": self.best_epoch, "best_score": self.best_score, "stopped_early": self.stopped_early,
            "stop_reason": self.stop_reason,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        h = cls()
        for k in ("loss", "val", "seconds", "examples_per_second", "lr", "examples"):
            setattr(h, k, list(d.get(k, [])))
        for k in ("best_epoch", "best_score", "stopped_early", "stop_reason"):
            if k in d:
                setattr(h, k, d[k])
        return h


@dataclass
class TrainState:
    """The running state of :func:`fit`, handed to every callback (callbacks may change it).

    ``epoch`` counts finished epochs (1-based after the first); ``batch`` counts the batches of the
    current epoch; ``stop`` set by a callback ends the run after the current batch (or epoch).
    """

    model: Layer
    objective: object
    optimizer: Optimizer
    history: History
    rng: np.random.Generator | None
    epoch: int = 0
    end_epoch: int = 0
    batch: int = 0
    n_batches: int = 0
    batch_loss: float = float("nan")
    batch_size: int = 0
    epoch_loss_sum: float = 0.0
    epoch_seen: int = 0
    n_examples: int = 0
    best_params: dict | None = None
    no_change: int = 0
    improved: bool = False
    metrics: dict = field(default_factory=dict)
    stop: bool = False
    stop_reason: str | None = None
    partial_epoch: bool = False
    initial_loss: float | None = None
    extra: dict = field(default_factory=dict)
    t_start: float = 0.0

    @property
    def params_model(self) -> Layer:
        """The layer tree holding every trained parameter (the model, plus a fused output layer)."""
        return self.extra["root"]


class Callback:
    """Hooks of :func:`fit`; every method gets the :class:`TrainState` and may change it."""

    def on_train_begin(self, state: TrainState) -> None: ...

    def on_epoch_begin(self, state: TrainState) -> None: ...

    def on_gradients(self, state: TrainState) -> None:
        """After backprop, before the optimizer step (a distributed run sums gradients here)."""

    # Hooks of a data-parallel run (:class:`ffnlp.distributed.DataParallel`); the defaults change nothing.
    def shard(self, state: TrainState, idx):
        """The indices of the global batch ``idx`` that this process trains on (every one of them here;
        a data-parallel run's process takes its share). An empty share skips the forward pass."""
        return idx

    def on_loss(self, state: TrainState, value: float) -> float:
        """The batch loss as the engine records and checks it (before backprop; a data-parallel run puts
        the global batch's mean here, so a NaN on any process stops every process)."""
        return value

    def wrap_validate(self, validate):
        """The validation function that :func:`fit` calls (a data-parallel run validates on its first
        process and sends the metrics to the others)."""
        return validate

    def on_sync(self, state: TrainState) -> None:
        """After every batch's and every epoch's callbacks, before ``state.stop`` is read (processes agree
        to stop together here)."""

    def on_batch_end(self, state: TrainState) -> None: ...

    def on_epoch_end(self, state: TrainState) -> None:
        """After validation and the improvement check (``state.improved``)."""

    def on_train_end(self, state: TrainState) -> None: ...


class LogProgress(Callback):
    """Log lines through ``logging`` (INFO): every ``every`` batches within an epoch and after every
    ``log_every``-th epoch (and the first), with the loss, validation metrics and examples/s."""

    def __init__(self, *, every: int = 0, log_every: int = 1, unit: str = "ex"):
        self.every, self.log_every, self.unit = int(every or 0), max(int(log_every), 1), unit

    def on_epoch_begin(self, state):
        self._t0 = time.perf_counter()

    def on_batch_end(self, state):
        if self.every and state.batch % self.every == 0:
            el = time.perf_counter() - self._t0
            mean = state.epoch_loss_sum / max(state.epoch_seen, 1)
            logger.info("epoch %d batch %d/%d loss %.4f %.0f %s/s", state.epoch + 1, state.batch, state.n_batches,
                        mean, state.epoch_seen / el if el > 0 else float("inf"), self.unit)

    def on_epoch_end(self, state):
        h = state.history
        if state.epoch % self.log_every == 0 or state.epoch == state.extra.get("start_epoch", 0) + 1:
            extra = "".join(f" {k} {v:.4f}" for k, v in state.metrics.items() if isinstance(v, float))
            logger.info("epoch %d/%d loss %.6f%s%s %.0f %s/s", state.epoch, state.end_epoch, h.loss[-1], extra,
                        " *" if state.improved else "", h.examples_per_second[-1], self.unit)

    def on_train_end(self, state):
        h = state.history
        if h.stopped_early and h.best_epoch is not None:
            logger.info("stopped after epoch %d (%s): best %s %.6f at epoch %d", state.epoch, h.stop_reason,
                        state.extra.get("monitor", "loss"), h.best_score, h.best_epoch)


class TimeLimit(Callback):
    """Stop once ``max_seconds`` of wall time have passed since the run began (checked after every batch,
    so an epoch may end part-way; its history entry then covers the batches that ran)."""

    def __init__(self, max_seconds: float):
        self.max_seconds = float(max_seconds)

    def on_batch_end(self, state):
        if time.perf_counter() - state.t_start > self.max_seconds:
            state.stop, state.stop_reason = True, f"time limit of {self.max_seconds:g} s"


class HalveLROnPlateau(Callback):
    """Mikolov's schedule: after an epoch without improvement, go back to the best epoch's parameters and
    halve the learning rate (a fresh optimizer state with ``lr * 0.5 ** halvings``).

    ``make_optimizer(scale) -> Optimizer`` builds the optimizer for a learning-rate scale.
    """

    def __init__(self, make_optimizer: Callable[[float], Optimizer], halvings: int = 0):
        self.make_optimizer, self.halvings = make_optimizer, int(halvings)

    def on_train_begin(self, state):
        state.extra["halvings"] = state.extra.get("halvings", self.halvings)

    def on_epoch_end(self, state):
        if state.improved or state.best_params is None:
            return
        state.params_model.set_params_from(state.best_params)
        state.extra["halvings"] = state.extra.get("halvings", 0) + 1
        state.optimizer = self.make_optimizer(0.5 ** state.extra["halvings"])
        logger.info("no improvement: back to epoch %d, learning rate halved to %g", state.history.best_epoch,
                    state.optimizer.lr)


_FIT_CALLBACKS: contextvars.ContextVar = contextvars.ContextVar("ffnlp_fit_callbacks", default=())


@contextmanager
def fit_callbacks(*callbacks: Callback):
    """Within the block, every :func:`fit` runs ``callbacks`` after its own (as scikit-learn's
    ``config_context``): a data-parallel exchange around a whole command, or for an estimator whose
    ``fit`` takes no callbacks. Nested blocks add up."""
    token = _FIT_CALLBACKS.set(tuple(_FIT_CALLBACKS.get()) + tuple(callbacks))
    try:
        yield
    finally:
        _FIT_CALLBACKS.reset(token)


def on_backend(loss, ops):
    """``loss`` computing on backend ``ops``: the loss itself when it already does (or is a fused output
    layer, which lives on its own backend), else a shallow copy (the caller's object is left as it is)."""
    if isinstance(loss, Layer) or getattr(loss, "ops", None) is ops:
        return loss
    import copy

    loss = copy.copy(loss)
    loss.ops = ops
    return loss


def _objective_fn(objective):
    """``(F, y, sample_weight) -> (loss, dF)`` for a plain loss or a fused output layer."""
    if isinstance(objective, Layer):
        return objective.loss
    return objective


def _root(model: Layer, objective) -> Layer:
    """The layer tree the optimizer updates: the model, with a fused output layer appended."""
    if not isinstance(objective, Layer):
        return model
    return Chain(model, objective)          # for the optimizer and parameter copies only; never called



def train_step(model: Layer, loss, optimizer: Optimizer, X, y, sample_weight=None, *, root=None,
               callbacks=(), state=None):
    """One forward/backward pass and one optimizer update; returns the batch loss (a host float).

    ``loss`` is a :class:`Loss` or a fused output layer. The loss is read on the host once (one sync);
    a NaN/inf loss skips the update and is returned as is.
    """
    if not isinstance(loss, Layer):
        loss.ops = model.ops
    empty = len(y) == 0 if y is not None else False   # a data-parallel process without a share of the batch
    if not empty:
        Z, backprop = model(X, is_train=True)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a diverging run is caught below
            value, dZ = _objective_fn(loss)(Z, y, sample_weight)
        value = model.ops.item(value)
    else:
        value = 0.0
    if state is not None:
        for cb in callbacks:
            value = cb.on_loss(state, value)
    if not math.isfinite(value):
        return value
    if not empty:
        backprop(dZ)
    if state is not None:
        for cb in callbacks:
            cb.on_gradients(state)
        optimizer = state.optimizer
    optimizer.step(root if root is not None else _root(model, loss))
    return value


def evaluate_loss(model: Layer, loss, X, y=None, *, batch_size: int | None = 4096) -> float:
    """Mean loss over ``X`` in inference mode, accumulated in float64 (no parameter gradient is kept)."""
    n = len(X)
    total = 0.0
    fn = loss.logprob if isinstance(loss, Layer) else None
    loss = on_backend(loss, model.ops)
    for idx in minibatches(n, batch_size):
        Xb, yb, _ = _batch(X, y, idx)
        F = model.predict(Xb)
        if fn is not None:
            total += -float(model.ops.to_host(fn(F, yb)).sum())
        else:
            total += model.ops.item(loss(F, yb)[0]) * len(idx)
    return total / max(n, 1)


def _batch(X, y, idx, sample_weight=None, *, in_order=False):
    if y is None:
        b = X.take(idx)
        if len(b) == 3:
            return b
        return b[0], b[1], None
    if (in_order and len(idx) and _is_array(X) and _is_array(y)
            and int(idx[-1]) - int(idx[0]) + 1 == len(idx)):
        # an unshuffled batch is a contiguous range: a view, not a copy (full-batch gradient descent would
        # otherwise copy the whole data set every iteration)
        sl = slice(int(idx[0]), int(idx[-1]) + 1)
        return X[sl], y[sl], None if sample_weight is None else sample_weight[sl]
    sw = None if sample_weight is None else sample_weight[idx]
    return take(X, idx), take(y, idx), sw


def fit(
    model: Layer,
    loss,
    optimizer: Optimizer,
    X,
    y=None,
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
    log_every_batches: int = 0,
    max_seconds: float | None = None,
    callbacks=(),
    divergence_factor: float | None = 10.0,
    state: dict | None = None,
    trained: Layer | None = None,
) -> History:
    """Train ``model`` on ``(X, y)`` through ``loss``; returns the :class:`History`.

    Parameters
    ----------
    model : Layer
    loss : Loss or fused output layer
        The objective (see the module docstring).
    optimizer : Optimizer
    X, y : array or dataset
        Training inputs (n_samples, ...) and targets; ``y=None`` when ``X.take`` returns the targets too.
    epochs : int
        Passes over the data to run, counted from ``start_epoch`` (with ``batch_size=None``: full-batch
        gradient-descent iterations).
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
        Called after validation (kept for simple uses; see ``callbacks``).
    start_epoch : int
        Epochs already done (resuming from a checkpoint; ``history`` then holds theirs).
    verbose : bool
        Log progress lines (see :class:`LogProgress`); ``log_every`` epochs, ``log_every_batches`` batches.
    max_seconds : float or None
        Stop once this much wall time has passed (see :class:`TimeLimit`).
    callbacks : sequence of Callback
    divergence_factor : float or None
        Stop with :class:`DivergenceError` when an epoch's mean training loss exceeds this many times the
        loss of the run's first batch, or of 1 if that is smaller (a run whose loss ends far above where it
        started; the floor keeps a lucky small first batch of a late ``partial_fit`` from tripping it);
        None disables it.
        NaN or infinite losses always stop the run.
    state : dict or None
        Resumed state of a checkpoint: ``best_params``, ``no_change``, ``initial_loss`` and extra entries
        (``halvings``) that callbacks read.
    trained : Layer or None
        The layer tree that holds every trained parameter, when the caller has one (a language model's
        ``chain(body, output)``); default: ``model``, with a fused output layer appended.

    Raises
    ------
    DivergenceError
        On a NaN/inf loss or validation score, or a loss far above its start; the parameters are restored
        to the best epoch (if any) first, and nothing from the diverged state is kept.
    """
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    n = len(X)
    if y is not None and len(y) != n:
        raise ValueError(f"X has {n} samples but y has {len(y)}")
    if n == 0:
        raise ValueError("no training examples")
    hist = history if history is not None else History()
    sign = 1.0 if mode == "min" else -1.0
    loss = on_backend(loss, model.ops)
    root = trained if trained is not None else _root(model, loss)
    cbs = list(callbacks) + list(_FIT_CALLBACKS.get())
    if verbose:
        cbs.insert(0, LogProgress(every=log_every_batches, log_every=log_every))
    if max_seconds is not None:
        cbs.append(TimeLimit(max_seconds))
    resumed = dict(state or {})
    st = TrainState(model=model, objective=loss, optimizer=optimizer, history=hist, rng=rng, epoch=start_epoch,
                    end_epoch=start_epoch + epochs, n_examples=n, best_params=resumed.pop("best_params", None),
                    no_change=int(resumed.pop("no_change", 0)), initial_loss=resumed.pop("initial_loss", None),
                    extra={"root": root, "monitor": monitor, "start_epoch": start_epoch, **resumed},
                    t_start=time.perf_counter())
    bs = n if not batch_size else int(batch_size)
    st.n_batches = -(-n // bs)
    track_best = restore_best and (n_iter_no_change is not None or validate is not None)
    for cb in cbs:
        validate = cb.wrap_validate(validate)
    for cb in cbs:
        cb.on_train_begin(st)

    def diverged(message):
        if st.best_params is not None:
            root.set_params_from(st.best_params)
        raise DivergenceError(message)

    for epoch in range(start_epoch, start_epoch + epochs):
        if st.stop:
            break
        t0 = time.perf_counter()
        st.batch, st.epoch_loss_sum, st.epoch_seen, st.partial_epoch = 0, 0.0, 0, False
        lr = st.optimizer.current_lr
        for cb in cbs:
            cb.on_epoch_begin(st)
        for idx in minibatches(n, batch_size, rng=rng):
            part = idx
            for cb in cbs:
                part = cb.shard(st, part)
            Xb, yb, sw = _batch(X, y, part, sample_weight, in_order=rng is None)
            value = train_step(model, loss, st.optimizer, Xb, yb, sw, root=root, callbacks=cbs, state=st)
            st.batch += 1
            if not math.isfinite(value):
                diverged(f"training diverged: loss is {value} at epoch {epoch + 1}, batch {st.batch}; lower the "
                         f"learning rate (now {st.optimizer.current_lr:g}). Nothing was saved from the diverged "
                         "state.")
            if st.initial_loss is None:
                st.initial_loss = value
            st.batch_loss, st.batch_size = value, len(idx)
            st.epoch_loss_sum += value * len(idx)
            st.epoch_seen += len(idx)
            for cb in cbs:
                cb.on_batch_end(st)
            for cb in cbs:
                cb.on_sync(st)
            if st.stop:
                st.partial_epoch = st.epoch_seen < n
                break
        secs = time.perf_counter() - t0
        st.epoch = epoch + 1
        mean_loss = st.epoch_loss_sum / max(st.epoch_seen, 1)
        hist.loss.append(mean_loss)
        hist.seconds.append(secs)
        hist.examples_per_second.append(st.epoch_seen / secs if secs > 0 else float("inf"))
        hist.lr.append(lr)
        hist.examples.append(st.epoch_seen)
        if (divergence_factor is not None and st.initial_loss is not None
                and mean_loss > divergence_factor * max(st.initial_loss, 1.0)):
            diverged(f"training diverged: the mean loss of epoch {epoch + 1} ({mean_loss:.4g}) is more than "
                     f"{divergence_factor:g} times the loss it started from ({st.initial_loss:.4g}, or 1); lower the "
                     f"learning rate (now {st.optimizer.current_lr:g}). Nothing was saved from the diverged "
                     "state.")
        metrics = validate(model) if validate is not None else {}
        st.metrics = metrics
        hist.val.append(metrics)
        score = metrics[monitor] if monitor in metrics else (mean_loss if validate is None else None)
        if score is None:
            raise KeyError(f"validate() returned {sorted(metrics)}, which lacks the monitored {monitor!r}")
        if not math.isfinite(score):
            diverged(f"training diverged: validation {monitor} is {score} at epoch {epoch + 1}")
        st.improved = hist.best_score is None or sign * (score - hist.best_score) < -tol
        if st.improved:
            hist.best_score, hist.best_epoch = float(score), epoch + 1
            st.no_change = 0
            if track_best:
                st.best_params = root.copy_params()
        else:
            st.no_change += 1
        for cb in cbs:
            cb.on_epoch_end(st)
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, hist, st.improved)
        if n_iter_no_change is not None and st.no_change >= n_iter_no_change and not st.stop:
            st.stop, st.stop_reason = True, f"no improvement of {monitor} for {st.no_change} epochs"
        for cb in cbs:
            cb.on_sync(st)
        if st.stop:
            hist.stopped_early, hist.stop_reason = True, st.stop_reason
            break
    if restore_best and st.best_params is not None and hist.best_epoch != st.epoch:
        root.set_params_from(st.best_params)
    for cb in cbs:
        cb.on_train_end(st)
    return hist
