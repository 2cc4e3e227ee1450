"""Choose the phrase-trained SST settings on the dev sentences only, with early stopping on the dev sentences.

The comparison (``textcat_compare.py`` on ``sst1_phrases`` / ``sst2_tree_phrases``) passes the dev sentences
to ``FFNTextClassifier.fit(validation_data=...)``: the epoch kept is the one best on them. Scoring a choice
on the same sentences would favour whatever early stopping watches, so here the dev split is cut into two
stratified halves (seed 0): a configuration is fit with early stopping on half A and scored on half B, and
again with the halves swapped; the row's accuracy is over all dev sentences, each scored by a model that did
not stop on it. No test sentence is read. Rows are appended to ``experiments/results/textcat_tune.jsonl``
with ``"split": "dev-halves"``. Usage::

    python experiments/sst_phrases_dev.py --dataset sst1_phrases --seeds 0,1,2 --config '{"monitor": "accuracy"}'
    python experiments/sst_phrases_dev.py --dataset sst2_tree_phrases --config '{"boundaries": true}' --save-proba /tmp/p/dan
    python experiments/sst_phrases_dev.py --dataset sst2_tree_phrases --combine /tmp/p/dan,/tmp/p/conv
    python experiments/sst_phrases_dev.py --dataset sst2_tree_phrases --errors /tmp/p/dan --seeds 0

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
from pathlib import Path
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


def run(name: str, config: dict, seeds, save_proba: str | None = None) -> dict:
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
        proba = None
        for stop, score in halves:
            t0 = time.perf_counter()
            clf = FFNTextClassifier(**{**cfg, "random_state": seed})
            clf.fit(X, y, validation_data=([Xv[i] for i in stop], yv[stop]))
            secs.append(time.perf_counter() - t0)
            epochs.append([clf.n_iter_, clf.best_epoch_])
            p = clf.predict_proba([Xv[i] for i in score])
            if proba is None:
                proba = np.zeros((len(yv), p.shape[1]))
            proba[score] = p
            pred[score] = clf.classes_[np.argmax(p, axis=1)]
        accs.append(float(np.mean(pred == yv)))
        if save_proba:
            Path(save_proba).parent.mkdir(parents=True, exist_ok=True)
            np.savez(f"{save_proba}_seed{seed}.npz", proba=proba, classes=np.asarray(clf.classes_, dtype=str),
                     labels=np.asarray(yv, dtype=str), config=json.dumps(config))
        preds.update(pred.tolist())
        print(f"  seed {seed}: {accs[-1]:.4f}", flush=True)
    n = sum(preds.values())
    truth = Counter(yv.tolist())
    return {"dataset": name, "split": "dev-halves", "val_accuracy": float(np.mean(accs)),
            "val_accuracy_std": float(np.std(accs)), "val_accuracies_by_seed": accs, "seeds": list(seeds),
            "seconds": float(np.mean(secs)), "epochs": epochs, "n_params": int(clf.n_params()),
            "pred_dist": {str(k): round(v / n, 3) for k, v in sorted(preds.items())},
            "true_dist": {str(k): round(v / len(yv), 3) for k, v in sorted(truth.items())}, "config": config}


def combine(name: str, prefixes, seeds) -> dict:
    """Average the dev probabilities that ``run(..., save_proba=PREFIX)`` saved for each prefix, seed by
    seed (soft voting, as ``ffnlp_ens_*``); every sentence is still scored by models that did not stop on it."""
    accs, configs = [], []
    for seed in seeds:
        parts = [np.load(f"{p}_seed{seed}.npz") for p in prefixes]
        labels, classes = parts[0]["labels"], parts[0]["classes"]
        for q in parts[1:]:
            if not (np.array_equal(q["labels"], labels) and np.array_equal(q["classes"], classes)):
                raise SystemExit(f"sst_phrases_dev: error: {prefixes} were not saved on the same dev sentences")
        proba = np.mean([q["proba"] for q in parts], axis=0)
        accs.append(float(np.mean(classes[np.argmax(proba, axis=1)] == labels)))
        configs = [json.loads(str(q["config"])) for q in parts]
        print(f"  seed {seed}: {accs[-1]:.4f}", flush=True)
    return {"dataset": name, "split": "dev-halves", "val_accuracy": float(np.mean(accs)),
            "val_accuracy_std": float(np.std(accs)), "val_accuracies_by_seed": accs, "seeds": list(seeds),
            "config": {"ensemble": configs}}


def errors_by_word(name: str, prefix: str, seed: int, words) -> dict:
    """Error rate of the model saved at ``PREFIX_seedS.npz`` on all dev sentences and on those holding each
    word (as a whole token, case-folded), with their counts."""
    q = np.load(f"{prefix}_seed{seed}.npz")
    ds = load_textcat_dataset(name)
    toks = [set(t.lower().split()) for t in ds.valid.texts]
    if not np.array_equal(np.asarray(ds.valid.labels, dtype=str), q["labels"]):
        raise SystemExit(f"sst_phrases_dev: error: {prefix}_seed{seed}.npz was not saved on {name}'s dev split")
    wrong = q["classes"][np.argmax(q["proba"], axis=1)] != q["labels"]
    out = {"all": {"n": int(len(wrong)), "error": round(float(wrong.mean()), 4)}}
    for w in words:
        m = np.array([w in t for t in toks])
        out[w] = {"n": int(m.sum()), "error": round(float(wrong[m].mean()), 4) if m.any() else None}
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True, choices=("sst1_phrases", "sst2_tree_phrases", "sst1", "sst2"))
    p.add_argument("--config", action="append", default=[], help="JSON dict of FFNTextClassifier params (repeat); "
                   "'\"class_weight\": \"roots\"' gives the root-over-phrase prior weights")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--log", default="experiments/results/textcat_tune.jsonl")
    p.add_argument("--save-proba", default=None, metavar="PREFIX",
                   help="write each seed's dev probabilities to PREFIX_seedS.npz (one --config only), for --combine")
    p.add_argument("--combine", default=None, metavar="PREFIX,PREFIX[,...]",
                   help="fit nothing: score the average of these saved models' dev probabilities, seed by seed")
    p.add_argument("--errors", default=None, metavar="PREFIX",
                   help="fit nothing: the error rate of a saved model on the dev sentences holding each of --words")
    p.add_argument("--words", default="but,not,n't,no,though,yet")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    seeds = tuple(int(s) for s in args.seeds.split(","))
    stamp = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": platform.node(),
             "command": " ".join(["python", *sys.argv])}
    if args.errors:
        for seed in seeds:
            print(json.dumps({"seed": seed, **errors_by_word(args.dataset, args.errors, seed, args.words.split(","))}))
        return
    if args.combine:
        r = combine(args.dataset, args.combine.split(","), seeds)
        print(f"{args.dataset} dev-halves ensemble val {r['val_accuracy']:.4f} +- {r['val_accuracy_std']:.4f} "
              f"{r['val_accuracies_by_seed']} {r['config']}", flush=True)
        with open(args.log, "a") as log:
            log.write(json.dumps({**r, **stamp}) + "\n")
        return
    if args.save_proba and len(args.config) > 1:
        p.error("--save-proba takes one --config")
    for c in args.config or ["{}"]:
        cfg = json.loads(c)
        r = run(args.dataset, cfg, seeds, save_proba=args.save_proba)
        print(f"{args.dataset} dev-halves val {r['val_accuracy']:.4f} +- {r['val_accuracy_std']:.4f} "
              f"{r['seconds']:.1f}s epochs {r['epochs']} pred {r['pred_dist']} {cfg}", flush=True)
        with open(args.log, "a") as log:
            log.write(json.dumps({**r, **stamp}) + "\n")


if __name__ == "__main__":
    main()
