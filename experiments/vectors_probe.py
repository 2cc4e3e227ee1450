"""How much a word-vector file knows about a task, before any network: the mean of a document's word
vectors (lowercased tokens the file covers; zeros when none) fed to scikit-learn's LogisticRegression,
fit on the tuning-train part and scored on the tuning-validation part of ``experiments/textcat_tune.py``
(no test data).

    python experiments/vectors_probe.py --dataset mr /tmp/vec/glove6b50d.bin /tmp/vec/w2v100e15.txt
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from ffnlp.report import machine_info
from ffnlp.text import tokenize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from textcat_tune import tuning_split  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def mean_vectors(kv, texts) -> np.ndarray:
    out = np.zeros((len(texts), kv.vector_size), dtype=np.float32)
    for i, text in enumerate(texts):
        rows = [kv.key_to_index[w] for w in tokenize(text, lower=True) if w in kv.key_to_index]
        if rows:
            out[i] = kv.vectors[rows].mean(axis=0)
    return out


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("vectors", nargs="+", help="word2vec-format files (.bin: binary)")
    p.add_argument("--dataset", default="mr")
    p.add_argument("--C", default="0.1,1,10", help="inverse regularization strengths; the best is reported")
    p.add_argument("--out", type=Path, default=RESULTS / "vectors_probe.json")
    args = p.parse_args(argv)
    from gensim.models import KeyedVectors

    Xtr, ytr, Xva, yva = tuning_split(args.dataset)
    rows = []
    for path in args.vectors:
        kv = KeyedVectors.load_word2vec_format(path, binary=path.endswith(".bin"))
        A, B = mean_vectors(kv, Xtr), mean_vectors(kv, Xva)
        scores = {c: float(LogisticRegression(C=float(c), max_iter=3000).fit(A, ytr).score(B, yva))
                  for c in args.C.split(",")}
        best = max(scores, key=scores.get)
        rows.append({"vectors": path, "words": len(kv), "dim": kv.vector_size, "val_accuracy": scores[best],
                     "C": best, "by_C": scores})
        print(f"{args.dataset} {path}: {100 * scores[best]:.2f} (C={best})", flush=True)
    record = {"experiment": "vectors_probe", "dataset": args.dataset, "rows": rows,
              "command": " ".join(["python", *sys.argv]),
              "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine_info()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    main()
