"""The comparison harness: ffnlp's text classifiers and the scikit-learn baselines on identical splits.

Every model is a factory ``random_state -> estimator`` on raw strings; all of them see the same
training and test documents:

* a dataset with a fixed test split (TREC, SST-1, SST-2, 20 Newsgroups, and SMS Spam, whose loader makes
  a seeded stratified 80/20 split) is trained on ``train`` and scored on ``test``; where the dataset has a
  dev split (SST), ffnlp's models use it for early stopping instead of holding out part of ``train``, and
  the baselines (fixed hyper-parameters, no model selection) ignore it;
* a dataset without one (MR, the gensim sets) is cross-validated with a seeded ``StratifiedKFold`` of
  ``cv_folds`` folds (10 for MR), and the rows give the mean and standard deviation over folds.

Rows hold: model, accuracy, accuracy_std, macro_f1, train_seconds and predict_seconds (mean per fold),
n_params (of the last fold's model). :func:`format_rows` prints them as aligned text, Markdown or CSV.

Examples
--------
>>> from ffnlp.tasks.compare import compare, format_rows
>>> result = compare("polarity", models=["ffnlp_dan", "nbsvm"], max_folds=1)   # doctest: +SKIP
>>> print(format_rows(result.rows))                                             # doctest: +SKIP
"""
from __future__ import annotations

import csv
import functools
import io
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from ffnlp.baselines.textcat import BASELINES
from ffnlp.tasks.textcat import EARLIER_DEFAULTS, FFNTextClassifier
from ffnlp.text.labeled import TextCatDataset, load_textcat_dataset

logger = logging.getLogger(__name__)


def ffnlp_dan(random_state=None) -> FFNTextClassifier:
    """The averaging model (DAN / fastText): TF-IDF-weighted mean of word and bigram embeddings, package
    defaults."""
    return FFNTextClassifier(random_state=random_state)


def ffnlp_conv(random_state=None) -> FFNTextClassifier:
    """The windowed model (Collobert et al. 2011): window-3 layer max-pooled over positions, with the settings
    it was tuned with (:data:`ffnlp.tasks.textcat.EARLIER_DEFAULTS`)."""
    return FFNTextClassifier(doc_vector="conv", **EARLIER_DEFAULTS, random_state=random_state)


#: ffnlp's classifiers in the comparison, name -> factory(random_state).
FFNLP_MODELS: dict[str, Callable] = {"ffnlp_dan": ffnlp_dan, "ffnlp_conv": ffnlp_conv}


def pretrained_models(vectors, name: str = "vec") -> dict[str, Callable]:
    """ffnlp's two models with their embeddings started from a word2vec-format file (e.g. from
    ``experiments/pretrain_vectors.py``): ``ffnlp_dan_vec`` and ``ffnlp_conv_vec``, otherwise the
    package defaults (the vectors' dimension replaces ``embedding_dim``; vectors are fine-tuned), and
    ``ffnlp_ens_vec``, the average of those two networks' class probabilities (scikit-learn's soft
    ``VotingClassifier``). ``name`` replaces the ``vec`` suffix, to tell several vector files apart."""
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"vectors name must be letters, digits and underscores, got {name!r}")
    path = str(vectors)

    def dan(random_state=None):
        return FFNTextClassifier(embeddings=path, random_state=random_state)

    def conv(random_state=None):
        return FFNTextClassifier(doc_vector="conv", embeddings=path, **EARLIER_DEFAULTS, random_state=random_state)

    def both(random_state=None):
        from sklearn.ensemble import VotingClassifier

        return VotingClassifier([("dan", dan(random_state)), ("conv", conv(random_state))], voting="soft")

    return {f"ffnlp_dan_{name}": dan, f"ffnlp_conv_{name}": conv, f"ffnlp_ens_{name}": both}


def all_models(vectors=None, vectors_name: str = "vec") -> dict[str, Callable]:
    """ffnlp's models (with :func:`pretrained_models` when ``vectors`` names a word2vec-format file), then
    the baselines of :data:`ffnlp.baselines.textcat.BASELINES`."""
    extra = pretrained_models(vectors, vectors_name) if vectors else {}
    return {**FFNLP_MODELS, **extra, **BASELINES}


@dataclass
class Row:
    """One model's results on one dataset: means and standard deviation over its runs (each fold, times
    ``seeds`` model seeds); ``fold_accuracies`` lists every run's accuracy, fold by fold."""

    model: str
    accuracy: float
    accuracy_std: float
    macro_f1: float
    train_seconds: float
    predict_seconds: float
    n_params: int
    folds: int = 1
    fold_accuracies: list = field(default_factory=list)
    seeds: int = 1


@dataclass
class Comparison:
    """All rows for one dataset, with how it was split."""

    dataset: str
    protocol: str
    n_train: int
    n_test: int
    n_classes: int
    rows: list[Row]

    def to_dict(self) -> dict:
        return {**{k: v for k, v in asdict(self).items() if k != "rows"}, "rows": [asdict(r) for r in self.rows]}

    def best(self, prefix: str | None = None, exclude: str | None = None) -> Row | None:
        """The most accurate row whose model name starts with ``prefix`` (and not with ``exclude``)."""
        rows = [r for r in self.rows if (prefix is None or r.model.startswith(prefix))
                and (exclude is None or not r.model.startswith(exclude))]
        return max(rows, key=lambda r: r.accuracy) if rows else None


def count_params(est) -> int:
    """Learned numbers of a fitted estimator: ffnlp models count their arrays; scikit-learn models their
    coefficients, intercepts, log-probabilities and NB ratios (a vectorizer's vocabulary is not counted)."""
    if isinstance(est, FFNTextClassifier):
        return est.n_params()
    total = 0
    for _, step in getattr(est, "steps", []):
        total += count_params(step)
    for sub in getattr(est, "estimators_", []) or []:
        total += count_params(sub)
    for name in ("coef_", "intercept_", "feature_log_prob_", "class_log_prior_", "r_"):
        val = getattr(est, name, None)
        if isinstance(val, np.ndarray):
            total += val.size
    for name in ("coefs_", "intercepts_"):
        for arr in getattr(est, name, None) or []:
            total += np.asarray(arr).size
    return int(total)


def _folds(ds: TextCatDataset, seed: int, max_folds: int | None):
    """(protocol text, list of (train texts, train labels, test texts, test labels, validation or None))."""
    if ds.test is not None:
        valid = (list(ds.valid.texts), list(ds.valid.labels)) if ds.valid is not None else None
        protocol = "fixed split" + (" (dev split for ffnlp's early stopping)" if valid else "")
        return protocol, [(list(ds.train.texts), list(ds.train.labels), list(ds.test.texts),
                           list(ds.test.labels), valid)]
    k = ds.cv_folds or 10
    X, y = list(ds.train.texts), np.asarray(ds.train.labels)
    out = []
    for tr, te in StratifiedKFold(k, shuffle=True, random_state=seed).split(X, y):
        out.append(([X[i] for i in tr], y[tr].tolist(), [X[i] for i in te], y[te].tolist(), None))
        if max_folds and len(out) >= max_folds:
            break
    protocol = f"{k}-fold stratified CV (seed {seed})" + (f", first {len(out)} folds" if len(out) < k else "")
    return protocol, out


def compare(dataset, models=None, *, seed: int = 0, max_folds: int | None = None, encoding: str = "utf-8",
            empty: str = "error", on_row: Callable[[Row], None] | None = None, vectors=None, vectors_name: str = "vec",
            seeds: int = 1, progress=None, n_jobs: int = 1, scheduler: str | None = None,
            device: str = "cpu") -> Comparison:
    """Run ``models`` on ``dataset`` with identical splits.

    Parameters
    ----------
    dataset : str or TextCatDataset
        A registered name (``mr``, ``trec``, ``sst1``, ``sst2``, ``20ng``, ``sms``, ``mini_newsgroup``,
        ``polarity``), a path to labeled data (cross-validated, 10 folds), or a loaded dataset.
    models : list of str, dict of name -> factory, or None
        Names from :func:`all_models` (default: all of them).
    seed : int
        Seeds the folds and every model's ``random_state``.
    seeds : int
        Fit each model this many times on each split, with ``random_state`` ``seed``, ``seed + 1``, ...:
        a fixed split's single test score depends on the network's random draws, and the row's mean and
        standard deviation are then over those runs (over folds x seeds for a cross-validation).
    encoding, empty : str
        How a user file is read (:func:`ffnlp.text.readers.read_labeled`): its encoding, and what an empty
        document is (``"error"``: stop naming its line; ``"drop"``; ``"keep"`` as ``""``).
    max_folds : int or None
        Run only the first folds of a cross-validation (quick looks; the full protocol otherwise).
    on_row : callable(Row) or None
        Called as each model finishes (progress).
    progress : ffnlp.progress.Progress or None
        Told of each model as an "epoch" whose items are its fits (folds x seeds).
    vectors : path or None
        A word2vec-format file: adds ``ffnlp_dan_vec``, ``ffnlp_conv_vec`` and ``ffnlp_ens_vec``
        (:func:`pretrained_models`).
    vectors_name : str
        The suffix of those rows' names (``vec``).
    n_jobs : int
        Fits run at once (folds x seeds x models are independent) through joblib's process backend
        (``loky``); -1 for every core. Every fit has its own seed and one BLAS thread, so the accuracies
        are those of the sequential run (``n_jobs=1``), whatever the order in which the fits finish.
    scheduler : str or None
        The address of a Dask scheduler (``tcp://HOST:8786``, from ``dask scheduler`` and ``dask worker``
        on each machine): the fits run on its workers through joblib's Dask backend (``pip install
        'ffnlp[dask]'``); ``n_jobs`` is then ignored.
    device : {"cpu", "gpu", "auto"}
        The array backend of ffnlp's models (the baselines are scikit-learn's, on the CPU).

    Returns
    -------
    Comparison
    """
    ds = dataset if isinstance(dataset, TextCatDataset) else \
        load_textcat_dataset(dataset, encoding=encoding, empty=empty)
    if ds.test is None and not ds.cv_folds:
        ds.cv_folds = 10
    available = all_models(vectors, vectors_name)
    if models is None:
        models = available
    elif not isinstance(models, dict):
        unknown = [m for m in models if m not in available]
        if unknown:
            raise ValueError(f"unknown model(s) {unknown}; choose from {', '.join(available)}")
        models = {m: available[m] for m in models}
    if int(seeds) < 1:
        raise ValueError(f"seeds must be at least 1, got {seeds}")
    protocol, folds = _folds(ds, seed, max_folds)
    runs = [(i_fold, seed + k) for i_fold in range(len(folds)) for k in range(int(seeds))]
    if device != "cpu":
        models = {name: functools.partial(_on_device, factory, device) for name, factory in models.items()}
    jobs = [(name, factory, i_fold, model_seed) for name, factory in models.items() for i_fold, model_seed in runs]
    results = _run_fits(jobs, folds, n_jobs=n_jobs, scheduler=scheduler)
    rows = []
    for i, (name, factory) in enumerate(models.items(), start=1):
        if progress is not None:
            progress.epoch_begin(i, len(runs))
        fits = []
        for (i_fold, model_seed), fitted in zip(runs, results):   # the fits in job order, as they finish
            fits.append(fitted)
            logger.info("%s %s %s, model seed %d: accuracy %.4f (%.1f s)", ds.name, name,
                        f"fold {i_fold + 1}/{len(folds)}" if len(folds) > 1 else "fixed split",
                        model_seed, fitted["accuracy"], fitted["fit_seconds"])
            if progress is not None:
                progress.update(1)
        accs = [f["accuracy"] for f in fits]
        row = Row(name, float(np.mean(accs)), float(np.std(accs)), float(np.mean([f["macro_f1"] for f in fits])),
                  float(np.mean([f["fit_seconds"] for f in fits])), float(np.mean([f["predict_seconds"] for f in fits])),
                  fits[-1]["n_params"], len(folds), accs, int(seeds))
        rows.append(row)
        if progress is not None:
            progress.epoch_end(i, {"model": name, "accuracy": row.accuracy})
        if on_row is not None:
            on_row(row)
    n_test = len(folds[0][2])
    return Comparison(ds.name, protocol, len(folds[0][0]), n_test, int(ds.n_classes), rows)


def _on_device(factory, device, random_state):
    """``factory(random_state)``, with ffnlp's estimators set to train on ``device`` (picklable for joblib)."""
    est = factory(random_state)
    if isinstance(est, FFNTextClassifier):
        est.set_params(device=device)
    return est


def _fit_score(factory, fold, model_seed, blas_threads=None) -> dict:
    """Fit ``factory(model_seed)`` on one split and score it on the split's test part (one job of
    :func:`compare`; runs in a worker process under ``n_jobs``/``scheduler``)."""
    from contextlib import nullcontext

    Xtr, ytr, Xte, yte, valid = fold
    limit = nullcontext()
    if blas_threads:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(int(blas_threads))
    with limit:
        est = factory(model_seed)
        t0 = time.perf_counter()
        if valid is not None and isinstance(est, FFNTextClassifier):
            est.fit(Xtr, ytr, validation_data=valid)
        else:
            est.fit(Xtr, ytr)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pred = est.predict(Xte)
        pred_s = time.perf_counter() - t0
    pred = np.asarray(pred).astype(str)
    truth = np.asarray(yte).astype(str)
    return {"accuracy": float(accuracy_score(truth, pred)), "macro_f1": float(f1_score(truth, pred, average="macro")),
            "fit_seconds": fit_s, "predict_seconds": pred_s, "n_params": count_params(est)}


def _run_fits(jobs, folds, *, n_jobs=1, scheduler=None):
    """The results of ``jobs`` ((name, factory, fold index, model seed)) in job order, as an iterator:
    one after another here, or through joblib (processes, or a Dask cluster's workers)."""
    if scheduler is None and int(n_jobs) == 1:
        return (_fit_score(factory, folds[i_fold], model_seed) for _, factory, i_fold, model_seed in jobs)
    import warnings

    from joblib import Parallel, delayed, parallel_config

    def quiet(factory, fold, model_seed):         # the sequential CLI run silences these two warnings too
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*epochs reached.*")
            warnings.filterwarnings("ignore", module="sklearn")
            return _fit_score(factory, fold, model_seed, blas_threads=1)

    tasks = (delayed(quiet)(factory, folds[i_fold], model_seed) for _, factory, i_fold, model_seed in jobs)
    if scheduler is not None:
        try:
            from dask.distributed import Client
        except ImportError:
            raise ImportError("--scheduler needs dask.distributed: pip install 'ffnlp[dask]'") from None
        client = Client(scheduler)

        def on_cluster():
            try:
                with parallel_config(backend="dask"):
                    yield from Parallel(n_jobs=-1, return_as="generator")(tasks)
            finally:
                client.close()
        return on_cluster()
    return Parallel(n_jobs=int(n_jobs), return_as="generator", backend="loky")(tasks)


_COLUMNS = ("model", "accuracy", "accuracy_std", "macro_f1", "train_seconds", "predict_seconds", "n_params")


def _cells(row: Row) -> list[str]:
    return [row.model, f"{100 * row.accuracy:.2f}", f"{100 * row.accuracy_std:.2f}", f"{100 * row.macro_f1:.2f}",
            f"{row.train_seconds:.2f}", f"{row.predict_seconds:.3f}", f"{row.n_params:,}"]


def format_rows(rows: list[Row], fmt: str = "text", *, dataset: str | None = None, header: bool = True) -> str:
    """The rows as ``"text"`` (aligned columns), ``"markdown"`` or ``"csv"``; accuracy and F1 in percent
    in text and Markdown, as fractions in CSV (where ``dataset`` adds a first column and ``header=False``
    leaves out the header line)."""
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        lead = [] if dataset is None else [dataset]
        if header:
            w.writerow((["dataset"] if dataset is not None else []) + list(_COLUMNS))
        for r in rows:
            w.writerow(lead + [r.model, f"{r.accuracy:.6f}", f"{r.accuracy_std:.6f}", f"{r.macro_f1:.6f}",
                        f"{r.train_seconds:.4f}", f"{r.predict_seconds:.4f}", r.n_params])
        return buf.getvalue().rstrip("\n")
    header = ["model", "accuracy %", "± std", "macro-F1 %", "train s", "predict s", "params"]
    table = [header] + [_cells(r) for r in rows]
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        lines += ["| " + " | ".join(c) + " |" for c in table[1:]]
        return "\n".join(lines)
    if fmt != "text":
        raise ValueError(f"format must be 'text', 'markdown' or 'csv', got {fmt!r}")
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in table)


__all__ = ["compare", "format_rows", "count_params", "Comparison", "Row", "FFNLP_MODELS", "all_models",
           "ffnlp_dan", "ffnlp_conv"]
