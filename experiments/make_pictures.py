"""One picture of each kind that ``ffnlp.plot`` draws, for the README, into ``experiments/results/pictures/``.

Small runs on the shipped fixtures and ``/work/shared/data`` (``$FFNLP_DATA``), a few minutes on 2 cores in
all; the LM curves and the comparison come from the result files that ``experiments/lm_brown.py`` and
``experiments/textcat_compare.py`` wrote (their full runs take hours), so they show the README's numbers.

======================  =========================================================================
lm_training.png         ``lm_brown.json``'s history: training loss, validation perplexity, halvings
classify_training.png   three DANs on TREC's training questions, each stopping early on its own 10%
confusion_20ng.png      the default classifier on 20 Newsgroups' training split: test confusion matrix
comparison.png          ``textcat_{trec,sst2,mr,sst1,20ng,sms}.json``: ffnlp against the baselines
embedding_map.png       skip-gram vectors trained on Brown (3 epochs), its 120 most frequent words, t-SNE
image_training.png      the course's 4-layer network on cat vs non-cat (2,500 gradient steps)
======================  =========================================================================

Run::

    nice -n 10 python experiments/make_pictures.py            # all of them (about 5 minutes of CPU)
    nice -n 10 python experiments/make_pictures.py --only comparison,lm_training

A picture whose data is missing here is skipped (said on stderr); ``pictures.json`` records the machine,
and for each picture the command, date, seconds and the numbers it shows.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

from ffnlp import plot
from ffnlp.errors import DataError
from ffnlp.report import machine_info

RESULTS = Path(__file__).resolve().parent / "results"
OUT = RESULTS / "pictures"
COMPARED = ("trec", "sst2", "mr", "sst1", "20ng", "sms")
log = logging.getLogger("make_pictures")


def lm_training(out: Path) -> dict:
    run = json.loads((RESULTS / "lm_brown.json").read_text())
    c = run["config"]
    hidden = ",".join(map(str, c["hidden"]))
    plot.plot_lm_history(run["history"], out, best_epoch=run["best_epoch"],
                         title=f"window LM on Brown (experiments/lm_brown.py): n={c['context_size'] + 1}, "
                               f"m={c['embedding_dim']}, h={hidden}, {c['optimizer']}")
    return {"source": "results/lm_brown.json", "epochs": len(run["history"]), "best_epoch": run["best_epoch"],
            "valid_perplexity": run["valid_perplexity"], "test_perplexity": run["test_perplexity"]}


def classify_training(out: Path) -> dict:
    from ffnlp.tasks.textcat import FFNTextClassifier
    from ffnlp.text.labeled import load_textcat_dataset

    ds = load_textcat_dataset("trec")
    clf = FFNTextClassifier(n_models=3, early_stopping=True, max_iter=15, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(ds.train.texts, ds.train.labels)
    plot.plot_classifier_history(clf.histories_, out,
                                 title="TREC: an ensemble of three DANs, each with early stopping on its own 10% "
                                       "of the training questions")
    return {"dataset": "trec", "n_models": 3, "early_stopping": True, "max_iter": 15, "epochs": [len(h.loss) for h in clf.histories_],
            "best_epochs": [h.best_epoch for h in clf.histories_],
            "test_accuracy": float(clf.score(ds.test.texts, ds.test.labels))}


def confusion_20ng(out: Path) -> dict:
    import numpy as np

    from ffnlp.tasks.textcat import FFNTextClassifier
    from ffnlp.text.labeled import load_textcat_dataset

    ds = load_textcat_dataset("20ng")
    clf = FFNTextClassifier(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(ds.train.texts, ds.train.labels)
    pred = np.asarray(clf.predict(ds.test.texts)).astype(str)
    truth = np.asarray(ds.test.labels).astype(str)
    plot.plot_confusion_matrix(truth, pred, out, labels=[str(c) for c in clf.classes_],
                               title="20 Newsgroups test split, the default classifier (FFNTextClassifier())")
    return {"dataset": "20ng", "defaults": True, "epochs": int(clf.n_iter_), "test_accuracy": float(np.mean(pred == truth)),
            "n_test": int(truth.size)}


def comparison(out: Path) -> dict:
    runs = []
    for name in COMPARED:
        path = RESULTS / f"textcat_{name}.json"
        if path.is_file():
            runs.append(json.loads(path.read_text()))
    if not runs:
        raise DataError("no textcat_*.json results", path=RESULTS)
    plot.plot_comparison(runs, out, title="Test accuracy on identical splits: ffnlp's networks (blue) and "
                                          "scikit-learn baselines (grey); experiments/textcat_compare.py")
    return {"sources": [f"results/textcat_{r['dataset']}.json" for r in runs],
            "best": {r["dataset"]: max(r["rows"], key=lambda x: x["accuracy"])["model"] for r in runs}}


def embedding_map(out: Path) -> dict:
    from ffnlp.text.word_vectors import corpus_sentences, train_word2vec

    sents = corpus_sentences("brown")
    kv = train_word2vec(sents, dim=100, epochs=3, min_count=3, workers=2, seed=0)
    plot.plot_embedding_map(kv, out, n_words=120, method="tsne",
                            title="skip-gram vectors (ffnlp vectors train --corpus brown --epochs 3): "
                                  "the 120 most frequent words, t-SNE")
    return {"corpus": "brown", "sentences": len(sents), "words": len(kv), "dim": 100, "epochs": 3,
            "n_words": 120, "method": "tsne"}


def image_training(out: Path) -> dict:
    from ffnlp.config import ImageConfig
    from ffnlp.corpora import find_data
    from ffnlp.tasks.image import load_image_data, train_image

    folder = find_data("catvnoncat")
    if folder is None:
        raise DataError("cat vs non-cat data not found (set FFNLP_DATA)")
    config = ImageConfig.preset("catvnoncat")
    result = train_image(load_image_data(folder), config)
    hidden = ",".join(map(str, config.hidden))
    plot.plot_image_training(result.costs, out, train_accuracy=result.train_accuracy,
                             test_accuracy=result.test_accuracy, xlabel="iteration",
                             title=f"cat vs non-cat: the course's network (layers {hidden}, gradient descent, "
                                   f"learning rate {config.learning_rate})")
    return {"data": "catvnoncat", "iterations": config.iterations, "train_accuracy": result.train_accuracy,
            "test_accuracy": result.test_accuracy}


PICTURES = {"lm_training": lm_training, "classify_training": classify_training, "confusion_20ng": confusion_20ng,
            "comparison": comparison, "embedding_map": embedding_map, "image_training": image_training}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", default=None, help=f"comma-separated, from {', '.join(PICTURES)} (default: all)")
    p.add_argument("--out", type=Path, default=OUT, help="folder to write to (default: experiments/results/pictures)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("gensim").setLevel(logging.WARNING)
    names = [n.strip() for n in args.only.split(",")] if args.only else list(PICTURES)
    unknown = [n for n in names if n not in PICTURES]
    if unknown:
        p.error(f"unknown picture(s) {unknown}; choose from {', '.join(PICTURES)}")
    args.out.mkdir(parents=True, exist_ok=True)
    record_path = args.out / "pictures.json"
    record = json.loads(record_path.read_text()) if record_path.is_file() else {"pictures": {}}
    command = "python experiments/make_pictures.py " + " ".join(argv if argv is not None else sys.argv[1:])
    for name in names:
        t0 = time.perf_counter()
        out = args.out / f"{name}.png"
        try:
            info = PICTURES[name](out)
        except (DataError, FileNotFoundError) as exc:
            log.warning("%s: skipped (%s)", name, exc)
            continue
        info["seconds"] = round(time.perf_counter() - t0, 1)
        info["file"] = f"results/pictures/{out.name}"
        info["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        info["command"] = command
        record["pictures"][name] = info
        log.info("%s: %s (%.1f s)", name, out, info["seconds"])
    record.update({"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine_info(),
                   "command": command})
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True, default=str) + "\n")
    return record


if __name__ == "__main__":
    main()
