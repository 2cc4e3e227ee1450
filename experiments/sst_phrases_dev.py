"""Choose the phrase-trained SST settings on the dev sentences only, with early stopping on the dev sentences.

The comparison (``textcat_compare.py`` on ``sst1_phrases`` / ``sst2_tree_phrases``) passes the dev sentences
to ``FFNTextClassifier.fit(validation_data=...)``: the epoch kept is the one best on them. Scoring a choice
on the same sentences would favour whatever early stopping watches, so here the dev split is cut into two
stratified halves (seed 0): a configuration is fit with early stopping on half A and scored on half B, and
again with the halves swapped; the row's accuracy is over all dev sentences, each scored by a model that did
not stop on it. No test sentence is read. Rows are appended to ``experiments/results/textcat_tune.jsonl``
with ``"split": "dev-halves"``. Usage::

    python experiments/sst_phrases_dev.py --dataset sst1_phrases --seeds 0,1,2 --config '{"monitor": "accuracy"}'

Besides the accuracy a row records the dev sentences' predicted-class distribution (``pred_dist``) against
the true one (``true_dist``), and the epochs kept.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from collections import Counter
from datetime import datetime, timezone

import numpy as np
from sklearn.model_selection import StratifiedKFold

from ffnlp.tasks.textcat import FFNTextClassifier
from ffnlp.text.labeled import load_textcat_dataset


def root_prior_weights(name: str) -> dict:
    """Class weights ``p_root(c) / p_phrase(c)``: the training trees' root (sentence) labels over the training
    phrases' labels, training data only (``{"class_weight": "roots"}`` in a configuration)."""
    from ffnlp._datapaths import find_data
    from ffnlp.text.benchmarks import read_sst_trees

    binary = name == "sst2_tree_phrases"

    def lab(x):
        return x if not binary else (None if x == "2" else ("0" if x in "01" else "1"))

    trees = read_sst_trees(find_data("sentclf/SST-1/trees/train.txt"))
    roots = Counter(lab(t[0][0]) for t in trees)
    phrases: dict = {}
    for t in trees:
        for y, leaves in t:
            phrases.setdefault(" ".join(leaves), y)
    ph = Counter(lab(y) for y in phrases.values())
    roots.pop(None, None), ph.pop(None, None)
    nr, npr = sum(roots.values()), sum(ph.values())
    return {c: (roots[c] / nr) / (ph[c] / npr) for c in sorted(ph)}


def run(name: str, config: dict, seeds) -> dict:
    ds = load_textcat_dataset(name)
    X, y = list(ds.train.texts), np.asarray(ds.train.labels)
    Xv, yv = list(ds.valid.texts), np.asarray(ds.valid.labels)
    cfg = dict(config)
    cw = cfg.get("class_weight")
    if isinstance(cw, str) and cw.startswith("roots"):    # "roots", or "roots:P" for the weights to the power P
        power = float(cw.partition(":")[2] or 1.0)
        cfg["class_weight"] = {c: w ** power for c, w in root_prior_weights(name).items()}
    halves = list(StratifiedKFold(2, shuffle=True, random_state=0).split(Xv, yv))
    accs, secs, epochs, preds = [], [], [], Counter()
    for seed in seeds:
        pred = np.empty(len(yv), dtype=object)
        for stop, score in halves:
            t0 = time.perf_counter()
            clf = FFNTextClassifier(**{**cfg, "random_state": seed})
            clf.fit(X, y, validation_data=([Xv[i] for i in stop], yv[stop]))
            secs.append(time.perf_counter() - t0)
            epochs.append([clf.n_iter_, clf.best_epoch_])
            pred[score] = clf.predict([Xv[i] for i in score])
        accs.append(float(np.mean(pred == yv)))
        preds.update(pred.tolist())
        print(f"  seed {seed}: {accs[-1]:.4f}", flush=True)
    n = sum(preds.values())
    truth = Counter(yv.tolist())
    return {"dataset": name, "split": "dev-halves", "val_accuracy": float(np.mean(accs)),
            "val_accuracy_std": float(np.std(accs)), "val_accuracies_by_seed": accs, "seeds": list(seeds),
            "seconds": float(np.mean(secs)), "epochs": epochs, "n_params": int(clf.n_params()),
            "pred_dist": {str(k): round(v / n, 3) for k, v in sorted(preds.items())},
            "true_dist": {str(k): round(v / len(yv), 3) for k, v in sorted(truth.items())}, "config": config}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True, choices=("sst1_phrases", "sst2_tree_phrases", "sst1", "sst2"))
    p.add_argument("--config", action="append", default=[], help="JSON dict of FFNTextClassifier params (repeat); "
                   "'\"class_weight\": \"roots\"' gives the root-over-phrase prior weights")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--log", default="experiments/results/textcat_tune.jsonl")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    seeds = tuple(int(s) for s in args.seeds.split(","))
    stamp = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": platform.node(),
             "command": " ".join(["python", *sys.argv])}
    for c in args.config or ["{}"]:
        cfg = json.loads(c)
        r = run(args.dataset, cfg, seeds)
        print(f"{args.dataset} dev-halves val {r['val_accuracy']:.4f} +- {r['val_accuracy_std']:.4f} "
              f"{r['seconds']:.1f}s epochs {r['epochs']} pred {r['pred_dist']} {cfg}", flush=True)
        with open(args.log, "a") as log:
            log.write(json.dumps({**r, **stamp}) + "\n")


if __name__ == "__main__":
    main()
