"""Experiment: ffnlp's text classifiers vs the scikit-learn baselines on one benchmark, identical splits.

Runs :func:`ffnlp.tasks.compare.compare` with the package defaults (one set of hyper-parameters for every
dataset, chosen on validation data with ``experiments/textcat_tune.py``) and writes
``experiments/results/textcat_<dataset>.json`` with the rows, the protocol, the targets of issue 4, the
machine, the command and the date. Usage::

    python experiments/textcat_compare.py --dataset mr            # 10-fold CV
    python experiments/textcat_compare.py --dataset sst2_phrases
    python experiments/textcat_compare.py --dataset trec --models ffnlp_dan --seeds 5 --jobs 2
    python experiments/textcat_compare.py --dataset sst1_phrases --models ffnlp_dan_devacc --seeds 5 \
        --params '{"monitor": "accuracy"}' --params-name devacc --merge    # a row with other parameters
    python experiments/textcat_compare.py --dataset mr --scheduler tcp://HOST:8786   # fits on a Dask cluster

The fits (models x folds x seeds) are independent: ``--jobs N`` runs them in N local worker processes
(joblib's loky), ``--scheduler ADDRESS`` on the workers of a Dask cluster (``dask scheduler``, then
``dask worker ADDRESS`` on each machine), with the results of the sequential run.

Expected bands (issue 4; published reference points in brackets): MR >= 80.5 [NBSVM 79.4, DAN 80.3 with
GloVe, CNN-rand 76.1], TREC >= 92.0 [CNN-rand 91.2], SST-2 >= 84.0 [CNN-rand 82.7, phrase-trained],
SST-1 >= 45.0 [CNN-rand 45.0, phrase-trained], 20 Newsgroups >= 85.0, SMS Spam >= 98.5. Whether a run meets
its target is recorded in the JSON as measured, never assumed.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ffnlp.config import TextCatConfig
from ffnlp.tasks.compare import Row, compare, format_rows
from ffnlp.text.labeled import load_textcat_dataset

TARGETS = {"mr": 0.805, "trec": 0.92, "sst2": 0.84, "sst2_phrases": 0.84, "sst1": 0.45, "20ng": 0.85, "sms": 0.985,
           "sst1_phrases": 0.45, "sst2_tree_phrases": 0.85}  # the phrase-trained rows: issue 13
RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    import sklearn
    from threadpoolctl import threadpool_info

    return {"node": platform.node(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "sklearn": sklearn.__version__,
            "blas_threads": [p.get("num_threads") for p in threadpool_info() if p.get("user_api") == "blas"],
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).resolve().parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True, help="mr, trec, sst1, sst2, sst2_phrases, 20ng, sms, mini_newsgroup, polarity")
    p.add_argument("--sst2-phrases", action="store_true",
                   help="SST-2 trained on the phrase-level training set (the same as --dataset sst2_phrases)")
    p.add_argument("--models", default=None, help="comma-separated model names (default: all)")
    p.add_argument("--folds", type=int, default=None, help="only the first N CV folds (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeds", type=int, default=1,
                   help="model seeds per split (SEED, SEED+1, ...): mean and std over the runs")
    p.add_argument("--out", default=None, help="results file (default: experiments/results/textcat_<name>.json)")
    p.add_argument("--merge", action="store_true",
                   help="replace only the rows of the models run now in an existing results file (the other "
                        "rows, e.g. the deterministic baselines, are kept with their own provenance)")
    p.add_argument("--vectors", default=None,
                   help="word2vec-format file (experiments/pretrain_vectors.py): adds ffnlp_dan_vec, ffnlp_conv_vec and ffnlp_ens_vec")
    p.add_argument("--vectors-name", default="vec",
                   help="suffix of those rows' names (ffnlp_dan_NAME, ...), to tell vector files apart")
    p.add_argument("--params", default=None, metavar="JSON",
                   help="FFNTextClassifier parameters (a JSON dict, chosen on validation data): adds the row "
                        "ffnlp_dan_PARAMS_NAME, the model with these parameters over the package defaults "
                        "(ffnlp_window_PARAMS_NAME when they give doc_vector window, ffnlp_conv_... for conv)")
    p.add_argument("--params-name", default="tuned", help="suffix of that row's name (ffnlp_dan_NAME)")
    p.add_argument("--jobs", type=int, default=1,
                   help="fits run at once in local worker processes (joblib; -1: every core); same results")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the fits on a Dask cluster (tcp://HOST:8786); needs pip install 'ffnlp[dask]'")
    p.add_argument("--blas-threads", type=int, default=1,
                   help="BLAS threads for every model (1: on a shared 2-core machine, 2 threads contend and "
                        "small matrix products run ~10x slower)")
    args = p.parse_args(argv)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(args.blas_threads):
        run(args)


def _fail(message: str):
    print(f"ffnlp: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _with_params(models, args):
    """``models`` as a dict of factories with ``ffnlp_dan_NAME`` (``--params``) added (to ``--models`` when it
    is given and names it, else at the end)."""
    import functools

    from ffnlp.tasks.compare import all_models
    from ffnlp.tasks.textcat import FFNTextClassifier

    try:
        params = json.loads(args.params)
        if not isinstance(params, dict):
            raise ValueError("not a JSON object")
        FFNTextClassifier(**params).get_config()
    except (ValueError, TypeError) as exc:
        _fail(f"--params: {exc}")
    if not args.params_name.replace("_", "").isalnum():
        _fail(f"--params-name must be letters, digits and underscores, got {args.params_name!r}")
    name = params_row(params, args.params_name)
    available = all_models(args.vectors, args.vectors_name)
    wanted = models if models is not None else [*available, name]
    unknown = [m for m in wanted if m != name and m not in available]
    if unknown:
        _fail(f"--models: unknown model(s) {unknown}")
    if name not in wanted:
        wanted = [*wanted, name]
    factory = functools.partial(_tuned, params)
    return {m: factory if m == name else available[m] for m in wanted}


def params_row(params: dict, suffix: str) -> str:
    """The ``--params`` row's name: ``ffnlp_dan_SUFFIX`` for the averaging model, ``ffnlp_window_SUFFIX`` or
    ``ffnlp_conv_SUFFIX`` when ``params`` choose another ``doc_vector``."""
    kind = params.get("doc_vector", "mean")
    return f"ffnlp_{'dan' if kind == 'mean' else kind}_{suffix}"


def _tuned(params, random_state=None):
    """The model with ``params`` over the package defaults (picklable for ``--jobs``)."""
    from ffnlp.tasks.textcat import FFNTextClassifier

    return FFNTextClassifier(**{**params, "random_state": random_state})


def run(args):
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    warnings.filterwarnings("ignore", category=Warning, module="sklearn")
    warnings.filterwarnings("ignore", message=".*epochs reached.*")
    started = datetime.now(timezone.utc)
    ds = load_textcat_dataset("sst2_phrases" if args.sst2_phrases else args.dataset)
    models = args.models.split(",") if args.models else None
    if args.params is not None:
        models = _with_params(models, args)

    def progress(row):
        print(f"{ds.name} {row.model}: {100 * row.accuracy:.2f} +- {100 * row.accuracy_std:.2f} "
              f"({row.train_seconds:.1f} s/fit)", file=sys.stderr, flush=True)

    result = compare(ds, models, seed=args.seed, max_folds=args.folds, on_row=progress, vectors=args.vectors,
                     vectors_name=args.vectors_name, seeds=args.seeds, n_jobs=args.jobs, scheduler=args.scheduler)
    out = Path(args.out) if args.out else RESULTS / f"textcat_{result.dataset}.json"
    provenance = {"command": " ".join(["python", *sys.argv]), "date": started.isoformat(timespec="seconds"),
                  "git_commit": git_commit()}
    if args.params is not None:   # the --params row's parameters, beside the command that gave them
        params = json.loads(args.params)
        provenance["params"] = {params_row(params, args.params_name): params}
    rows_from = {r.model: provenance for r in result.rows}
    if args.merge and out.exists():
        old = json.loads(out.read_text())
        if old.get("protocol") != result.protocol or old.get("n_test") != result.n_test:
            raise SystemExit(f"{out}: protocol differs ({old.get('protocol')!r}); cannot merge")
        old_from = old.get("rows_from") or {r["model"]: {k: old[k] for k in ("command", "date", "git_commit")}
                                            for r in old["rows"]}
        new_rows = {r.model: r for r in result.rows}
        merged = []
        for r in old["rows"]:
            if r["model"] in new_rows:
                merged.append(new_rows.pop(r["model"]))
            else:
                merged.append(Row(**r))
                rows_from[r["model"]] = old_from.get(r["model"])
        result.rows = merged + list(new_rows.values())
        rows_from = {r.model: rows_from[r.model] for r in result.rows}
    print(format_rows(result.rows))
    key = result.dataset
    best_ffnlp = result.best("ffnlp")
    best_base = result.best(exclude="ffnlp")
    record = {
        "experiment": "textcat_compare",
        "dataset": result.dataset,
        "command": " ".join(["python", *sys.argv]),
        "date": started.isoformat(timespec="seconds"),
        "seconds": (datetime.now(timezone.utc) - started).total_seconds(),
        "machine": machine(),
        "git_commit": git_commit(),
        "defaults": TextCatConfig().to_dict(),
        "target_accuracy": TARGETS.get(key),
        "best_ffnlp": best_ffnlp.model if best_ffnlp else None,
        "best_baseline": best_base.model if best_base else None,
        "meets_target": (best_ffnlp.accuracy >= TARGETS[key]) if best_ffnlp and key in TARGETS else None,
        "ffnlp_ahead_of_baselines": (best_ffnlp.accuracy > best_base.accuracy) if best_ffnlp and best_base else None,
        **result.to_dict(),
        "rows_from": rows_from,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
