"""Sentiment word vectors from the labeled phrases of the SST training split, for the 5-class SST-1.

Kim (2014) reaches SST-1's 45.0 by training on every labeled phrase of the training trees with its
5-class label. Those phrase files are not on this machine; SentEval's phrase-level SST-2 training set is
(67,349 phrases of the same training trees, neutral phrases left out, labels binarized). This script
fits :class:`~ffnlp.tasks.textcat.FFNTextClassifier` on those phrases (embeddings started from a
word2vec-format file, e.g. from ``experiments/pretrain_vectors.py``; the windowed network; no NB
connections, so that the polarity is learned in the word vectors) and exports its trained word vectors with
:meth:`~ffnlp.tasks.textcat.FFNTextClassifier.save_word2vec_format`. SST-1's models then start from them::

    python experiments/pretrain_vectors.py --out /tmp/vec/w2v100e15.txt
    python experiments/phrase_vectors.py --init /tmp/vec/w2v100e15.txt --out /tmp/vec/sst_phraseconv.txt
    python experiments/textcat_compare.py --dataset sst1 --vectors /tmp/vec/sst_phraseconv.txt \\
        --vectors-name phraseconv --models ffnlp_dan_phraseconv,ffnlp_conv_phraseconv,ffnlp_ens_phraseconv --merge

No SST-1 (or SST-2) validation or test sentence is used: the phrases come from the training trees only, and
the script checks that none of them is a whole validation or test sentence of SST-1 (one 3-word test
sentence, "what 's next ?", is also a training phrase and is reported). The configuration was chosen on
SST-1's validation split (``experiments/textcat_tune.py``, log in ``results/textcat_tune.jsonl``).
The same vectors must not be used for MR: SST's sentences are taken from MR's reviews.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ffnlp.report import machine_info
from ffnlp.tasks.textcat import FFNTextClassifier
from ffnlp.text.labeled import load_textcat_dataset

RESULTS = Path(__file__).resolve().parent / "results"
# chosen on SST-1's validation split among a DAN with one hidden layer of 100, one with two of 300 and word
# dropout, and the windowed network (these vectors' DAN + windowed ensemble: 42.1, 42.5 and 43.4)
CONFIG = {"doc_vector": "conv", "nb_direct": False, "n_models": 1}


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--init", required=True, help="word2vec-format file the embeddings start from")
    p.add_argument("--out", type=Path, required=True, help="word2vec-format file to write (.bin: binary)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--config", default="{}", help=f"JSON dict of FFNTextClassifier params over {CONFIG}")
    p.add_argument("--log", type=Path, default=RESULTS / "phrase_vectors.json")
    args = p.parse_args(argv)
    started = datetime.now(timezone.utc)
    phrases = load_textcat_dataset("sst2_phrases")
    sst1 = load_textcat_dataset("sst1")
    train = {_norm(t) for t in phrases.train.texts}
    overlap = {part: sorted(t for t in map(_norm, getattr(sst1, part).texts) if t in train)
               for part in ("valid", "test")}
    config = {**CONFIG, **json.loads(args.config)}
    t0 = time.perf_counter()
    clf = FFNTextClassifier(embeddings=args.init, random_state=args.seed, **config)
    clf.fit(phrases.train.texts, phrases.train.labels)
    seconds = time.perf_counter() - t0
    clf.save_word2vec_format(args.out, binary=args.out.suffix == ".bin")
    record = {
        "experiment": "phrase_vectors", "command": " ".join(["python", *sys.argv]),
        "date": started.isoformat(timespec="seconds"), "machine": machine_info(),
        "init": args.init, "out": str(args.out), "config": {**config, "seed": args.seed},
        "n_phrases": len(phrases.train.texts), "vocab": len(clf.vocab_), "epochs": clf.n_iter_,
        "fit_seconds": round(seconds, 1),
        "sst2_valid_accuracy": float(clf.score(phrases.valid.texts, phrases.valid.labels)),
        "sst1_sentences_among_training_phrases": overlap,
    }
    args.log.parent.mkdir(parents=True, exist_ok=True)
    args.log.write_text(json.dumps(record, indent=2, default=lambda o: o.tolist() if isinstance(o, np.ndarray)
                                   else str(o)) + "\n")
    print(json.dumps({k: record[k] for k in ("out", "vocab", "epochs", "fit_seconds", "sst2_valid_accuracy")}))
    print(f"SST-1 validation/test sentences that are training phrases: "
          f"{ {k: len(v) for k, v in overlap.items()} }", file=sys.stderr)
    return record


if __name__ == "__main__":
    main()
