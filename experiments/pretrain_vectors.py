"""Word vectors for the text classifiers, from unlabeled text that is on this machine.

The published sentence-classification numbers (Kim 2014, Iyyer et al. 2015) start from word2vec or GloVe
vectors trained on billions of words. None can be downloaded here, so this script trains skip-gram
Word2Vec (gensim) on every corpus at hand that is not a test split of the classification benchmarks:
the Brown corpus, the Penn Treebank training file and the 20 Newsgroups training split, tokenized and
lowercased as :class:`ffnlp.tasks.textcat.FFNTextClassifier` does. It writes a word2vec-format text file
for ``FFNTextClassifier(embeddings=PATH)``, ``ffnlp classify train --embeddings PATH`` and
``experiments/textcat_compare.py --embeddings PATH``.

    python experiments/pretrain_vectors.py --out /tmp/vectors.txt      # about 4 minutes on 2 cores
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from ffnlp.report import machine_info
from ffnlp.text import tokenize
from ffnlp.text.labeled import load_20newsgroups, strip_newsgroup_header
from ffnlp.text.lm_corpora import load_lm_corpus

SOURCES = ("brown", "ptb", "20ng")


def sentences(source: str):
    """Token lists of one unlabeled source (training text only)."""
    if source in ("brown", "ptb"):
        splits = load_lm_corpus(source)
        parts = ("train", "valid", "test") if source == "brown" else ("train",)
        for part in parts:  # Brown is not a classification benchmark: all of it is fair game
            for sent in splits.split(part):
                yield [w.lower() for w in sent if w != "<unk>"]
    elif source == "20ng":
        for text in load_20newsgroups().train.texts:
            toks = tokenize(strip_newsgroup_header(text), lower=True)
            if toks:
                yield toks
    else:
        raise ValueError(f"unknown source {source!r}; choose from {SOURCES}")


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sources", default=",".join(SOURCES), help=f"comma-separated, from {SOURCES}")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--min-count", type=int, default=3)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    from gensim.models import Word2Vec

    t0 = time.perf_counter()
    corpus = [s for src in args.sources.split(",") for s in sentences(src.strip())]
    n_tokens = sum(len(s) for s in corpus)
    logging.info("%d sentences, %d tokens", len(corpus), n_tokens)
    model = Word2Vec(sentences=corpus, vector_size=args.dim, window=args.window, min_count=args.min_count, sg=1,
                     negative=5, sample=1e-4, epochs=args.epochs, seed=args.seed, workers=args.workers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".part")
    model.wv.save_word2vec_format(str(tmp), binary=False)
    tmp.replace(args.out)
    info = {"sources": args.sources, "sentences": len(corpus), "tokens": n_tokens, "words": len(model.wv),
            "dim": args.dim, "window": args.window, "min_count": args.min_count, "epochs": args.epochs,
            "seconds": round(time.perf_counter() - t0, 1), "out": str(args.out), "machine": machine_info(),
            "command": "python experiments/pretrain_vectors.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    print(json.dumps(info, indent=1))
    return info


if __name__ == "__main__":
    main()
