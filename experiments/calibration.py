"""Probability calibration of the default text classifier, plain and wrapped in scikit-learn's
``CalibratedClassifierCV``, on validation data only.

The interpolated two-class default (``nb_style="interpolated"``) adds naive Bayes back into the direct weights
at the end of the fit, which makes its probabilities confident beyond its accuracy. The estimator follows
scikit-learn's contract, so ``CalibratedClassifierCV(FFNTextClassifier(), method="sigmoid", cv=3)`` refits
it on three folds and maps its scores through a sigmoid fit on the held-out folds. The data are the tuning
splits of ``experiments/textcat_tune.py`` (MR: a seeded stratified 20% of the comparison's folds 1-9, never
its fold 0; SST: the dev split); no test split is read. Usage::

    python experiments/calibration.py --datasets mr,sst2

Writes ``experiments/results/calibration.json``.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss

sys.path.insert(0, str(Path(__file__).resolve().parent))
from textcat_tune import tuning_split  # noqa: E402

from ffnlp.tasks.textcat import FFNTextClassifier  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def scores(classes, proba, y) -> dict:
    pos = (np.asarray(y) == classes[1]).astype(float) if len(classes) == 2 else None
    out = {"accuracy": float(accuracy_score(y, classes[proba.argmax(axis=1)])),
           "log_loss": float(log_loss(y, proba, labels=classes))}
    if pos is not None:
        out["brier"] = float(brier_score_loss(pos, proba[:, 1]))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default="mr,sst2")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=RESULTS / "calibration.json")
    args = p.parse_args(argv)
    rows = []
    for name in args.datasets.split(","):
        Xtr, ytr, Xva, yva = tuning_split(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            plain = FFNTextClassifier(random_state=args.seed, verbose=False).fit(Xtr, ytr)
            t1 = time.perf_counter()
            cal = CalibratedClassifierCV(FFNTextClassifier(random_state=args.seed, verbose=False), method="sigmoid",
                                         cv=3).fit(Xtr, ytr)
            t2 = time.perf_counter()
        for model, clf, secs in (("default", plain, t1 - t0), ("default + CalibratedClassifierCV(sigmoid, cv=3)", cal,
                                                               t2 - t1)):
            row = {"dataset": name, "model": model, **scores(clf.classes_, clf.predict_proba(Xva), yva),
                   "fit_seconds": secs, "n_train": len(Xtr), "n_validation": len(Xva)}
            rows.append(row)
            print(f"{name:6s} {model:50s} accuracy {100 * row['accuracy']:.2f}  log-loss {row['log_loss']:.3f}"
                  + (f"  Brier {row['brier']:.3f}" if "brier" in row else ""))
    out = {"name": "calibration", "rows": rows, "command": "python experiments/calibration.py " + " ".join(argv or sys.argv[1:]),
           "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "machine": {"node": platform.node(), "python": platform.python_version()}}
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=1) + "\n")
    tmp.replace(args.out)


if __name__ == "__main__":
    main()
