"""``ffnlp vectors train|evaluate|neighbors``: skip-gram word vectors (gensim) for ``--embeddings``.

::

    ffnlp vectors train --output vectors.txt                  # brown + ptb + 20ng, the README's recipe
    ffnlp vectors train --corpus my_text/ --dim 50 --epochs 5 --output vectors.txt
    ffnlp vectors evaluate vectors.txt                        # WordSim-353 and the analogies gensim ships
    ffnlp vectors neighbors vectors.txt king film --k 5
"""
from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from ffnlp.cli import DefaultsHelpFormatter, emit_json, emit_metrics, positive_int
from ffnlp.errors import FFNLPError


def _sample(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
    if not 0 <= v < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return v


def add_parser(sub):
    from ffnlp.text.word_vectors import DEFAULT_SOURCES, NAMED_SOURCES

    fmt = DefaultsHelpFormatter
    p = sub.add_parser("vectors", help="skip-gram word vectors (gensim): train, evaluate, nearest neighbours",
                       description=__doc__.splitlines()[0])
    verbs = p.add_subparsers(dest="verb", metavar="{train,evaluate,neighbors}")
    verbs.required = True

    t = verbs.add_parser("train", help="train skip-gram Word2Vec on unlabeled text and write word2vec format",
                         formatter_class=fmt,
                         description="Skip-gram with negative sampling (gensim). The defaults are the recipe of "
                                     "experiments/pretrain_vectors.py, whose vectors the README's '+ vectors' rows "
                                     "start from (about 4 minutes on 2 cores).")
    t.add_argument("--corpus", action="append", default=None, metavar="NAME|FILE|FOLDER",
                   help=f"text to train on, repeatable: {', '.join(NAMED_SOURCES)} (training text only), or a "
                        f"text file or folder, one sentence per line (default: {' '.join(DEFAULT_SOURCES)})")
    t.add_argument("--output", required=True, help="word2vec-format file to write (binary when it ends in .bin)")
    t.add_argument("--encoding", default="utf-8", help="encoding of text files")
    t.add_argument("--dim", type=positive_int, default=100, help="vector size")
    t.add_argument("--window", type=positive_int, default=5, help="context window (words each side)")
    t.add_argument("--min-count", type=positive_int, default=3, help="keep words seen at least this often")
    t.add_argument("--epochs", type=positive_int, default=15, help="passes over the text")
    t.add_argument("--negative", type=positive_int, default=5, help="noise words per positive (negative sampling)")
    t.add_argument("--sample", type=_sample, default=1e-4, help="down-sampling threshold of frequent words")
    t.add_argument("--workers", type=positive_int, default=2,
                   help="training threads (more than 1: runs are not repeatable bit for bit)")
    t.add_argument("--seed", type=int, default=0, help="random seed")
    t.add_argument("--evaluate", action="store_true", help="score the vectors afterwards, as 'vectors evaluate'")
    t.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    t.set_defaults(func=cmd_train)

    e = verbs.add_parser("evaluate", help="WordSim-353 correlation and word-analogy accuracy (gensim's test data)",
                         formatter_class=fmt)
    e.add_argument("vectors", help="word2vec-format file (binary when it ends in .bin)")
    e.add_argument("--restrict-vocab", type=positive_int, default=30000,
                   help="analogies: search answers among this many most frequent words (questions outside skipped)")
    e.add_argument("--json", action="store_true", help="print the scores as one JSON line")
    e.set_defaults(func=cmd_evaluate)

    n = verbs.add_parser("neighbors", help="the nearest words by cosine similarity", formatter_class=fmt)
    n.add_argument("vectors", help="word2vec-format file (binary when it ends in .bin)")
    n.add_argument("word", nargs="+", help="word(s) to look up (tried as given, then lowercased)")
    n.add_argument("--k", type=positive_int, default=10, help="neighbours per word")
    n.add_argument("--json", action="store_true", help="print one JSON object")
    n.set_defaults(func=cmd_neighbors)


def _check_output(path) -> None:
    p = Path(path)
    if p.is_dir():
        raise FFNLPError(f"--output {path}: is a folder; give a file name")


def _report(args, metrics):
    if args.json:
        emit_json(metrics)
    else:
        emit_metrics(metrics)


def cmd_train(args):
    from ffnlp.text.word_vectors import (DEFAULT_SOURCES, corpus_sentences, evaluate_vectors, save_vectors,
                                         train_word2vec)

    _check_output(args.output)
    t0 = time.perf_counter()
    sources = args.corpus or list(DEFAULT_SOURCES)
    sentences = []
    for source in sources:
        part = corpus_sentences(source, encoding=args.encoding)
        logging.getLogger(__name__).info("%s: %d sentences, %d tokens", source, len(part), sum(map(len, part)))
        sentences += part
    from ffnlp.progress import Progress

    gensim_log = logging.getLogger("gensim")
    level = gensim_log.level
    gensim_log.setLevel(max(level, logging.WARNING))        # its per-epoch lines: the progress says it
    try:
        with Progress(args.epochs, unit="words", enabled=not getattr(args, "quiet", False),
                      desc="word2vec") as progress:
            kv = train_word2vec(sentences, dim=args.dim, window=args.window, min_count=args.min_count,
                                epochs=args.epochs, negative=args.negative, sample=args.sample, seed=args.seed,
                                workers=args.workers, progress=progress)
    except ValueError as exc:
        if isinstance(exc, FFNLPError):
            raise
        raise FFNLPError(f"--corpus {' '.join(map(str, sources))}: {exc}") from None
    else:
        path = save_vectors(kv, args.output)
    finally:
        gensim_log.setLevel(level)
    summary = {"sentences": len(sentences), "tokens": sum(map(len, sentences)), "words": len(kv), "dim": args.dim,
               "epochs": args.epochs, "seconds": round(time.perf_counter() - t0, 3), "output": str(path)}
    if args.evaluate:
        summary.update(evaluate_vectors(kv))
    _report(args, summary)


def _load(path):
    from ffnlp.text.word_vectors import load_vectors

    return load_vectors(path)


def cmd_evaluate(args):
    from ffnlp.text.word_vectors import evaluate_vectors

    kv = _load(args.vectors)
    t0 = time.perf_counter()
    metrics = {"words": len(kv), "dim": int(kv.vector_size), **evaluate_vectors(kv, restrict_vocab=args.restrict_vocab),
               "seconds": round(time.perf_counter() - t0, 3)}
    _report(args, metrics)


def cmd_neighbors(args):
    from ffnlp.text.word_vectors import nearest_words

    kv = _load(args.vectors)
    found = {}
    for word in args.word:
        try:
            found[word] = nearest_words(kv, word, k=args.k)
        except KeyError:
            raise FFNLPError(f"{args.vectors}: the word {word!r} is not in the vectors ({len(kv)} words)") from None
    if args.json:
        emit_json({"neighbors": {w: [{"word": x, "similarity": s} for x, s in near] for w, near in found.items()}})
        return
    for word, near in found.items():
        for x, s in near:
            print(f"{word}\t{x}\t{s:.4f}" if len(found) > 1 else f"{x}\t{s:.4f}")
