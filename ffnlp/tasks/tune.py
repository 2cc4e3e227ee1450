"""Automatic tuning of the text classifier on a validation set within a time budget (fastText's
``-autotune-validation``).

A seeded random search over the classifier's main options: the first trial is the default model, the
others draw from :data:`SPACE`. Every trial trains on the training data only and is scored on the validation
data only (accuracy); trials run ``n_jobs`` at a time through joblib (one BLAS thread each), in rounds, until
the budget is spent or ``max_trials`` are done. The best options are then trained once more on the training
data in this process and returned with the table of trials. The same seed and ``max_trials`` give the same
table whatever ``n_jobs`` is (trial ``i``'s options and seed depend on ``i`` only).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["SPACE", "TuneResult", "Trial", "tune"]

#: The options searched and their values (lists: uniform choice; ("log", lo, hi): log-uniform).
SPACE = {
    "embedding_dim": [10, 20, 50, 100],
    "learning_rate_init": ("log", 1e-3, 0.1),
    "max_iter": [2, 4, 8, 16],
    "bigrams": [True, False],
    "nb_direct": [True, False],
    "dropout": [0.0, 0.2, 0.5],
    "alpha": ("log", 1e-6, 1e-3),
    "batch_size": [32, 64, 128, 256],
}


@dataclass
class Trial:
    index: int
    params: dict
    accuracy: float
    fit_seconds: float

    def row(self) -> dict:
        return {"trial": self.index, "accuracy": round(self.accuracy, 4), "fit_seconds": round(self.fit_seconds, 2),
                **self.params}


@dataclass
class TuneResult:
    best: Trial
    trials: list = field(default_factory=list)
    model: object = None
    seconds: float = 0.0

    def table(self) -> list[dict]:
        """One row a trial, best first (ties by trial number)."""
        return [t.row() for t in sorted(self.trials, key=lambda t: (-t.accuracy, t.index))]


def _draw(index: int, seed: int, space: dict) -> dict:
    if index == 0:                                        # the defaults first: the search can only improve on them
        from ffnlp.tasks.textcat import FFNTextClassifier

        defaults = FFNTextClassifier().get_params()
        return {name: defaults[name] for name in space}
    rng = np.random.default_rng([seed, index])
    out = {}
    for name, values in space.items():
        if isinstance(values, tuple) and values[0] == "log":
            lo, hi = math.log(values[1]), math.log(values[2])
            out[name] = float(round(math.exp(rng.uniform(lo, hi)), 6))
        else:
            v = values[int(rng.integers(len(values)))]
            out[name] = v.item() if hasattr(v, "item") else v
    return out


def _trial(index, params, seed, data, base_params) -> Trial:
    from threadpoolctl import threadpool_limits

    from ffnlp.tasks.textcat import FFNTextClassifier

    Xtr, ytr, Xva, yva = data
    with threadpool_limits(1, user_api="blas"):
        clf = FFNTextClassifier(**{**base_params, **params, "random_state": seed + index})
        t0 = time.perf_counter()
        clf.fit(Xtr, ytr)
        secs = time.perf_counter() - t0
        acc = float(np.mean(np.asarray(clf.predict(Xva)).astype(str) == np.asarray(yva).astype(str)))
    return Trial(index, params, acc, secs)


def tune(train_texts, train_labels, valid_texts, valid_labels, *, budget: float = 300.0, n_jobs: int = 1,
         seed: int = 0, max_trials: int | None = None, space: dict | None = None, base_params: dict | None = None,
         on_trial=None) -> TuneResult:
    """Random search of the classifier's options scored on the validation data; see the module docstring.

    Parameters
    ----------
    train_texts, train_labels : sequences
        What every trial trains on.
    valid_texts, valid_labels : sequences
        What every trial is scored on (accuracy); never trained on.
    budget : float
        Seconds of search; a round that starts before the budget ends runs to its end.
    n_jobs : int
        Trials run at once (joblib's process backend); 1 runs them here.
    seed : int
        Seeds the draws and every trial's model (``seed + trial``).
    max_trials : int or None
        Stop after this many trials even with budget left.
    space : dict or None
        Options and values to search (default :data:`SPACE`).
    base_params : dict or None
        Fixed options of every trial (``device`` say).
    on_trial : callable(Trial) or None
        Called as each trial finishes (progress).
    """
    if not budget > 0:
        raise ValueError(f"budget must be a positive number of seconds, got {budget}")
    if max_trials is not None and int(max_trials) < 1:
        raise ValueError(f"max_trials must be at least 1, got {max_trials}")
    space = SPACE if space is None else space
    base = dict(base_params or {})
    data = (list(train_texts), list(train_labels), list(valid_texts), list(valid_labels))
    t_start = time.perf_counter()
    trials: list[Trial] = []
    jobs = max(1, int(n_jobs)) if n_jobs != -1 else -1
    width = 1 if jobs == 1 else (jobs if jobs > 0 else 2)
    index = 0
    while time.perf_counter() - t_start < budget and (max_trials is None or index < int(max_trials)):
        todo = [(i, _draw(i, seed, space)) for i in range(index, index + width)
                if max_trials is None or i < int(max_trials)]
        index += len(todo)
        if jobs == 1:
            done = [_trial(i, p, seed, data, base) for i, p in todo]
        else:
            from joblib import Parallel, delayed

            done = Parallel(n_jobs=jobs, backend="loky")(delayed(_trial)(i, p, seed, data, base) for i, p in todo)
        for t in done:
            trials.append(t)
            if on_trial is not None:
                on_trial(t)
    best = min(trials, key=lambda t: (-t.accuracy, t.index))
    from ffnlp.tasks.textcat import FFNTextClassifier

    model = FFNTextClassifier(**{**base, **best.params, "random_state": seed + best.index}).fit(data[0], data[1])
    return TuneResult(best, trials, model, time.perf_counter() - t_start)
