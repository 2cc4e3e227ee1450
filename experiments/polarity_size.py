"""Why the shipped-default comparison's ``polarity`` rows are at chance: too few documents, not a bug.

gensim's ``pang_lee_polarity.cor`` holds the first 100 ``neg`` and the first 100 ``pos`` snippets of MR
(Pang & Lee 2005). This script runs the same 5-fold protocol as ``ffnlp classify compare --dataset polarity``
on (a) that file, (b) the same 200 snippets taken from the full MR files, (c) random stratified MR subsets
of 200, 1,000 and 4,000 snippets (``--draws`` seeds each), and (d) the 200 snippets with shuffled labels
(what chance looks like). Models: the TF-IDF logistic regression and NBSVM baselines, and ffnlp's DAN
(``--models``). Needs the MR files (``$FFNLP_DATA`` or ../shared/data); prints one JSON line per setting.

    python experiments/polarity_size.py --draws 3 --models tfidf_logreg,nbsvm,ffnlp_dan
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ffnlp.tasks.compare import compare
from ffnlp.text.labeled import load_textcat_dataset


def _write(path, texts, labels):
    with open(path, "w", encoding="utf-8") as f:
        for t, y in zip(texts, labels):
            f.write(f"__label__{y} {' '.join(t.split())}\n")
    return path


def _run(name, path, models, seed):
    t0 = time.perf_counter()
    res = compare(str(path), models, seed=seed)
    return {"setting": name, "n": res.n_train + res.n_test, "seed": seed, "seconds": round(time.perf_counter() - t0, 1),
            **{r.model: [round(100 * r.accuracy, 2), round(100 * r.accuracy_std, 2)] for r in res.rows}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=3, help="random subsets per size")
    ap.add_argument("--sizes", default="200,1000,4000")
    ap.add_argument("--models", default="tfidf_logreg,nbsvm,ffnlp_dan")
    args = ap.parse_args(argv)
    models = args.models.split(",")
    print(json.dumps({"command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), "machine": platform.node(),
                      "processor": platform.processor() or platform.machine(), "date": time.strftime("%Y-%m-%d")}))
    mr = load_textcat_dataset("mr").train
    texts, labels = np.asarray(mr.texts, dtype=object), np.asarray(mr.labels)
    polarity = load_textcat_dataset("polarity").train
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(json.dumps(_run("gensim polarity file", _write(tmp / "pol.txt", polarity.texts, polarity.labels),
                              models, 0)), flush=True)
        first = np.r_[np.flatnonzero(labels == "neg")[:100], np.flatnonzero(labels == "pos")[:100]]
        same = [" ".join(t.split()) for t in texts[first]] == [" ".join(t.split()) for t in polarity.texts]
        print(json.dumps({"setting": "polarity == first 100 neg + first 100 pos of MR", "same_texts": same}))
        print(json.dumps(_run("MR first 100+100", _write(tmp / "first.txt", texts[first], labels[first]), models, 0)),
              flush=True)
        rng = np.random.default_rng(0)
        shuffled = rng.permutation(labels[first])
        print(json.dumps(_run("MR first 100+100, labels shuffled",
                              _write(tmp / "shuf.txt", texts[first], shuffled), models, 0)), flush=True)
        for size in (int(s) for s in args.sizes.split(",")):
            for draw in range(args.draws):
                r = np.random.default_rng(100 + draw)
                idx = np.r_[r.choice(np.flatnonzero(labels == "neg"), size // 2, replace=False),
                            r.choice(np.flatnonzero(labels == "pos"), size // 2, replace=False)]
                print(json.dumps(_run(f"MR random {size}", _write(tmp / f"r{size}.txt", texts[idx], labels[idx]),
                                      models, draw)), flush=True)


if __name__ == "__main__":
    main()
