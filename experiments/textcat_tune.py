"""Tune FFNTextClassifier's defaults on validation data only (never a test split or test fold).

For each dataset the training split (MR: everything outside CV fold 0 of the comparison's 10-fold split) is
cut into a tuning-train part and a tuning-validation part (SST: its dev split; others: a seeded stratified
20%). A configuration is fit on tuning-train (its own early stopping holds out a further 10%) and scored on
tuning-validation. A configuration that is a JSON list of dicts is a soft-voting ensemble: its members'
class probabilities are averaged (each member is fit once per process and reused across ensembles). Usage::

    python experiments/textcat_tune.py --datasets mr,trec --config '{"learning_rate_init": 0.003}'
    python experiments/textcat_tune.py --datasets mr --config '[{}, {"doc_vector": "conv"}]'
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from ffnlp.tasks.textcat import FFNTextClassifier
from ffnlp.text.labeled import load_textcat_dataset

_CACHE: dict = {}


def tuning_split(name: str, seed: int = 0):
    """(train texts, train labels, validation texts, validation labels), without any test data."""
    if name in _CACHE:
        return _CACHE[name]
    ds = load_textcat_dataset(name)
    X, y = list(ds.train.texts), np.asarray(ds.train.labels)
    if ds.cv_folds:  # the comparison's fold 0 is left out entirely
        tr, _ = next(StratifiedKFold(ds.cv_folds, shuffle=True, random_state=seed).split(X, y))
        X, y = [X[i] for i in tr], y[tr]
    if ds.valid is not None:
        out = X, y, list(ds.valid.texts), np.asarray(ds.valid.labels)
    else:
        tr, va = train_test_split(np.arange(len(X)), test_size=0.2, random_state=seed, stratify=y)
        out = [X[i] for i in tr], y[tr], [X[i] for i in va], y[va]
    _CACHE[name] = out
    return out


_FITS: dict = {}


def _member(name: str, config: dict, seed: int):
    """(classes, validation probabilities, fit seconds, epochs) of one configuration, fit once."""
    key = (name, json.dumps(config, sort_keys=True), seed)
    if key not in _FITS:
        Xtr, ytr, Xva, _ = tuning_split(name)
        t0 = time.perf_counter()
        clf = FFNTextClassifier(**{**config, "random_state": seed}).fit(Xtr, ytr)
        _FITS[key] = (clf.classes_, clf.predict_proba(Xva), time.perf_counter() - t0, clf.n_iter_)
    return _FITS[key]


def evaluate(name: str, config, seeds=(0,)) -> dict:
    """Validation accuracy of a configuration (a dict) or of a soft-voting ensemble (a list of dicts)."""
    _, _, _, yva = tuning_split(name)
    members = config if isinstance(config, list) else [config]
    accs, secs, epochs = [], [], []
    for seed in seeds:
        fits = [_member(name, m, seed) for m in members]
        proba = np.mean([f[1] for f in fits], axis=0)
        accs.append(float(np.mean(fits[0][0][proba.argmax(axis=1)] == yva)))
        secs.append(sum(f[2] for f in fits))
        epochs.append(fits[0][3] if len(fits) == 1 else [f[3] for f in fits])
    return {"dataset": name, "val_accuracy": float(np.mean(accs)), "seconds": float(np.mean(secs)),
            "epochs": epochs, "config": config}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default="mr,trec,sst2,sst1,sms", help="comma-separated dataset names")
    p.add_argument("--config", action="append", default=[], help="JSON dict of FFNTextClassifier params (repeat)")
    p.add_argument("--seeds", default="0", help="comma-separated seeds, averaged")
    p.add_argument("--log", default="experiments/results/textcat_tune.jsonl", help="append results here")
    args = p.parse_args(argv)
    seeds = tuple(int(s) for s in args.seeds.split(","))
    configs = [json.loads(c) for c in args.config] or [{}]
    stamp = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": platform.node(),
             "command": " ".join(["python", *sys.argv])}
    with open(args.log, "a") as log:
        for cfg in configs:
            for name in args.datasets.split(","):
                r = evaluate(name, cfg, seeds)
                print(f"{name:8s} val {r['val_accuracy']:.4f} {r['seconds']:6.1f}s epochs {r['epochs']} {cfg}",
                      flush=True)
                log.write(json.dumps({**r, **stamp}) + "\n")


if __name__ == "__main__":
    main()
