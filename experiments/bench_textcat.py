"""Benchmark: ffnlp's default text classifier against NBSVM, TF-IDF + LinearSVC and fastText (issue 11).

For each dataset and each model, in one run on one BLAS thread: test accuracy, training time, prediction
time and model size (file bytes; parameters where the model has them), with the times and sizes also as
ratios to NBSVM's in the same run. MR is 10-fold cross-validation (the comparison's seeded stratified
folds; ``--folds K`` runs the first K); SST-2 and 20 Newsgroups use their fixed train/test splits. Every
fit is repeated ``--runs`` times (model seeds SEED..SEED+runs-1); times are medians over the runs (and,
for MR, over the folds), accuracies means.

fastText (``pip install fasttext-wheel``; a benchmark peer only, never a dependency of ffnlp) reads a
training file that this script writes in a random order (fastText does not shuffle, and MR's and 20NG's
files are sorted by class), with ffnlp's tokens joined by spaces, and trains on one thread with its
library defaults (``fasttext``: lr 0.1, 5 epochs, unigrams, which underfit long documents: 20NG at chance)
and with the settings of fastText's own text-classification tutorial (``fasttext_tutorial``: lr 1.0,
25 epochs, ``wordNgrams=2``, 2M buckets).

Usage (one BLAS thread is set here with threadpoolctl)::

    nice -n 10 env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python experiments/bench_textcat.py \\
        --datasets mr,sst2,20ng --runs 3 --tag after

Results go to ``experiments/results/textcat_bench_<tag>.json`` (with the machine, command and date);
``--markdown`` prints the table.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from ffnlp.baselines.textcat import make_baseline
from ffnlp.tasks.textcat import FFNTextClassifier
from ffnlp.text import tokenize
from ffnlp.text.labeled import load_textcat_dataset

RESULTS = Path(__file__).resolve().parent / "results"
MODELS = ("ffnlp", "nbsvm", "tfidf_svm", "fasttext", "fasttext_tutorial")


# ----------------------------------------------------------------------------- peers


class _FastText:
    """fastText's supervised classifier behind fit/predict/size (benchmarks only)."""

    def __init__(self, seed, word_ngrams=1, lr=0.1, epoch=5):
        self.seed, self.word_ngrams, self.lr, self.epoch = seed, word_ngrams, lr, epoch

    @staticmethod
    def _line(text):
        return " ".join(tokenize(text, lower=True)).replace("\n", " ")

    def fit(self, X, y):
        import fasttext

        rng = np.random.default_rng(self.seed)
        order = rng.permutation(len(X))  # fastText reads its file in order: shuffle it
        self._dir = tempfile.TemporaryDirectory()
        path = Path(self._dir.name) / "train.txt"
        labels = [str(v).replace(" ", "_") for v in y]
        with open(path, "w", encoding="utf-8") as f:
            for i in order:
                f.write(f"__label__{labels[i]} {self._line(X[i])}\n")
        self.classes_ = sorted(set(labels))
        self.model = fasttext.train_supervised(str(path), wordNgrams=self.word_ngrams, lr=self.lr, epoch=self.epoch,
                                               thread=1, seed=self.seed, verbose=0)
        return self

    def predict(self, X):
        labels, _ = self.model.predict([self._line(t) for t in X], k=1)
        return np.array([lab[0][len("__label__"):] for lab in labels])

    def size(self):
        path = Path(self._dir.name) / "model.bin"
        self.model.save_model(str(path))
        return path.stat().st_size, None


def _ffnlp(seed, config):
    return FFNTextClassifier(**{**config, "random_state": seed})


def make_model(name, seed, config):
    if name == "ffnlp":
        return _ffnlp(seed, config)
    if name == "fasttext":
        return _FastText(seed)
    if name == "fasttext_tutorial":
        return _FastText(seed, word_ngrams=2, lr=1.0, epoch=25)
    return make_baseline(name, seed)


def model_size(name, model):
    """(file bytes, parameters or None)."""
    if name.startswith("fasttext"):
        return model.size()
    with tempfile.TemporaryDirectory() as d:
        if name == "ffnlp":
            path = model.save(Path(d) / "m.npz")
            return path.stat().st_size, int(model.n_params())
        path = Path(d) / "m.pkl"
        with open(path, "wb") as f:
            pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
        return path.stat().st_size, None


def n_tokens(texts):
    return sum(len(tokenize(t, lower=True)) for t in texts)


# ----------------------------------------------------------------------------- protocol


def splits(name, seed, n_folds):
    """[(train texts, train labels, test texts, test labels)] of a dataset."""
    ds = load_textcat_dataset(name)
    if ds.cv_folds:
        X, y = list(ds.train.texts), np.asarray(ds.train.labels)
        folds = list(StratifiedKFold(ds.cv_folds, shuffle=True, random_state=seed).split(X, y))
        folds = folds[:n_folds] if n_folds else folds
        return [([X[i] for i in tr], y[tr], [X[i] for i in te], y[te]) for tr, te in folds]
    return [(list(ds.train.texts), np.asarray(ds.train.labels), list(ds.test.texts), np.asarray(ds.test.labels))]


def bench_one(name, model_name, data, runs, seed, config):
    accs, train_s, pred_s, sizes, params = [], [], [], [], []
    for Xtr, ytr, Xte, yte in data:
        for r in range(runs):
            model = make_model(model_name, seed + r, config)
            t0 = time.perf_counter()
            model.fit(Xtr, ytr)
            t1 = time.perf_counter()
            pred = model.predict(Xte)
            t2 = time.perf_counter()
            accs.append(float(np.mean(np.asarray(pred).astype(str) == np.asarray(yte).astype(str))))
            train_s.append(t1 - t0)
            pred_s.append(t2 - t1)
            if not sizes:
                b, p = model_size(model_name, model)
                sizes.append(b)
                params.append(p)
    return {"dataset": name, "model": model_name, "accuracy": float(np.mean(accs)),
            "accuracy_std": float(np.std(accs)), "n_fits": len(accs),
            "train_seconds": statistics.median(train_s), "predict_seconds": statistics.median(pred_s),
            "train_seconds_all": train_s, "file_bytes": sizes[0], "n_params": params[0]}


def add_ratios(rows):
    ref = {r["dataset"]: r for r in rows if r["model"] == "nbsvm"}
    for r in rows:
        base = ref.get(r["dataset"])
        if base is None:
            continue
        r["train_ratio"] = r["train_seconds"] / base["train_seconds"]
        r["predict_ratio"] = r["predict_seconds"] / base["predict_seconds"]
        r["size_ratio"] = r["file_bytes"] / base["file_bytes"]
        r["accuracy_diff"] = r["accuracy"] - base["accuracy"]


def markdown(rows):
    lines = ["| dataset | model | accuracy | train s (x NBSVM) | predict s (x NBSVM) | file MB (x NBSVM) | params | training-set tokens / train s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        params = "" if r["n_params"] is None else f"{r['n_params'] / 1e6:.2f}M"
        lines.append(f"| {r['dataset']} | {r['model']} | {100 * r['accuracy']:.2f} +- {100 * r['accuracy_std']:.2f} | "
                     f"{r['train_seconds']:.2f} ({r.get('train_ratio', float('nan')):.2f}) | "
                     f"{r['predict_seconds']:.3f} ({r.get('predict_ratio', float('nan')):.2f}) | "
                     f"{r['file_bytes'] / 1e6:.2f} ({r.get('size_ratio', float('nan')):.2f}) | {params} | "
                     f"{r.get('train_tokens_per_second', 0):,.0f} |")
    return "\n".join(lines)


def machine():
    import sklearn
    from threadpoolctl import threadpool_info

    return {"node": platform.node(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "sklearn": sklearn.__version__,
            "blas_threads": [p.get("num_threads") for p in threadpool_info() if p.get("user_api") == "blas"],
            "load_average": os.getloadavg()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default="mr,sst2,20ng", help="comma-separated: mr, sst2, 20ng (any registered name)")
    p.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, from {', '.join(MODELS)}")
    p.add_argument("--runs", type=int, default=3, help="fits per split (model seeds SEED..SEED+runs-1)")
    p.add_argument("--folds", type=int, default=None, help="for cross-validated sets: run the first K folds")
    p.add_argument("--seed", type=int, default=0, help="seed of the folds and first model seed")
    p.add_argument("--ffnlp-config", default="{}", help="JSON overrides of FFNTextClassifier's defaults")
    p.add_argument("--tag", default="run", help="results file: experiments/results/textcat_bench_<tag>.json")
    p.add_argument("--markdown", action="store_true", help="print the Markdown table")
    p.add_argument("--table", nargs="+", default=None, metavar="JSON",
                   help="only print the Markdown table of earlier results files (no benchmark is run)")
    args = p.parse_args(argv)
    if args.table:
        rows = [r for f in args.table for r in json.loads(Path(f).read_text())["rows"]]
        print(markdown(rows))
        return 0
    config = json.loads(args.ffnlp_config)
    rows = []
    with threadpool_limits(limits=1):
        for name in args.datasets.split(","):
            data = splits(name, args.seed, args.folds)
            tokens = float(np.mean([n_tokens(d[0]) for d in data]))
            for m in args.models.split(","):
                row = bench_one(name, m, data, args.runs, args.seed, config)
                row["train_tokens"] = tokens
                row["train_tokens_per_second"] = tokens / row["train_seconds"]
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "train_seconds_all"}), flush=True)
    add_ratios(rows)
    out = {"rows": rows, "ffnlp_config": config, "runs": args.runs, "folds": args.folds, "machine": machine(),
           "command": " ".join([Path(sys.executable).name, *sys.argv]),
           "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"textcat_bench_{args.tag}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    if args.markdown:
        print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
