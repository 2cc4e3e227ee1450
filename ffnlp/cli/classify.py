"""``ffnlp classify train|test|predict|vectors|compare``: text classification in fastText's shape.

::

    ffnlp classify train --input train.txt --output model.npz
    ffnlp classify test model.npz test.txt --k 1 --json      # accuracy, macro_f1, n (P@k, R@k)
    ffnlp classify predict model.npz - --k 2 --prob           # documents from stdin, one per line
    ffnlp classify compare --dataset trec --markdown          # ffnlp vs scikit-learn, same splits

Labeled input: fastText lines (``__label__pos great film``), ``label<TAB>text`` TSV, ``label,text``
CSV, or a folder with one subfolder per class (see :func:`ffnlp.text.labeled.read_labeled`).
"""
from __future__ import annotations

import argparse
import logging
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from ffnlp.cli import (DefaultsHelpFormatter, add_balance_shares, add_blas_threads, add_device, check_outputs,
                       config_error, device_ops, emit_json, emit_metrics, positive_int, with_blas_threads)
from ffnlp.errors import DataError, FFNLPError

logger = logging.getLogger("ffnlp.cli")
from ffnlp.text.vocab import SPECIALS

#: Datasets compared when none is named: both ship with gensim's test data.
DEFAULT_DATASETS = ("mini_newsgroup", "polarity")
_FORMATS = ("auto", "fasttext", "tsv", "tsv-label-last", "csv", "csv-header", "folder")
_FORMAT_HELP = ("input format: auto (by folder, suffix and content), fasttext (__label__X text), tsv (label<TAB>text), "
                "tsv-label-last (text<TAB>label, SentEval's), csv (label,text), csv-header (the same after a header "
                "row), folder (one subfolder per class)")
#: A document longer than this many tokens is cut there when --max-length is not given (fastText-style cap).
LONG_DOCUMENT_TOKENS = 10_000
#: First-row values that mark a header (``label,text``), not a document.
_HEADER_LABELS = {"label", "labels", "class", "category", "categories", "target", "sentiment", "y", "tag", "polarity"}
_HEADER_TEXTS = {"text", "sentence", "sentences", "document", "doc", "review", "message", "content", "body",
                 "title", "tweet", "x"}
def _probability(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return v


def add_parser(sub):
    from ffnlp.config import TEXTCAT_OPTIONS

    p = sub.add_parser("classify", help="feedforward text classifiers and the comparison with scikit-learn",
                       description=__doc__.splitlines()[0].replace("``", ""))
    verbs = p.add_subparsers(dest="verb", metavar="{train,test,predict,vectors,compare}")
    verbs.required = True
    fmt = DefaultsHelpFormatter

    t = verbs.add_parser("train", help="train a classifier on labeled text and save it", formatter_class=fmt)
    t.add_argument("--input", required=True,
                   help="labeled training data: file, folder (one subfolder or one NAME.CLASS file per class), a "
                        "folder with its own train/dev/test files (its train split is used), or - for stdin")
    t.add_argument("--output", required=True, help="model file to write (.npz); written only on success")
    t.add_argument("--encoding", default="utf-8", help="text encoding of the input (e.g. latin-1)")
    t.add_argument("--format", choices=_FORMATS, default="auto", help=_FORMAT_HELP)
    t.add_argument("--empty-docs", choices=["error", "drop", "keep"], default="error",
                   help="a document with a label but no text: stop naming its line, drop it, or keep it as ''")
    # every option of the classifier, from its table (ffnlp.config.TEXTCAT_OPTIONS); the CLI seeds with 0
    TEXTCAT_OPTIONS.add_arguments(t, defaults={"random_state": 0})
    t.add_argument("--plot", default=None, metavar="FILE.png",
                   help="draw training loss and validation accuracy per epoch (each ensemble member) to this PNG")
    t.add_argument("--json", action="store_true", help="print the training summary as one JSON line")
    add_blas_threads(t)
    add_device(t)
    add_balance_shares(t)
    t.set_defaults(func=with_blas_threads(cmd_train))

    e = verbs.add_parser("test", help="evaluate a model on labeled text", formatter_class=fmt)
    e.add_argument("model", help="model file from 'ffnlp classify train'")
    e.add_argument("input", help="labeled test data: file, folder, or - for stdin (of a folder with its own "
                                 "train/dev/test files, the test split)")
    e.add_argument("--k", type=positive_int, default=1, help="P@k and R@k over the k best labels")
    e.add_argument("--threshold", type=_probability, default=0.0, help="ignore labels below this probability")
    e.add_argument("--encoding", default="utf-8", help="text encoding of the input")
    e.add_argument("--format", choices=_FORMATS, default="auto", help=_FORMAT_HELP)
    e.add_argument("--empty-docs", choices=["error", "drop", "keep"], default="error",
                   help="a document with a label but no text: stop naming its line, drop it, or keep it as ''")
    e.add_argument("--plot", default=None, metavar="FILE.png",
                   help="draw the confusion matrix (counts and row-normalized) to this PNG file")
    e.add_argument("--json", action="store_true", help="print the metrics as one JSON line")
    add_blas_threads(e)
    add_device(e)
    e.set_defaults(func=with_blas_threads(cmd_test))

    pr = verbs.add_parser("predict", help="predict labels of documents, one per line", formatter_class=fmt)
    pr.add_argument("model", help="model file from 'ffnlp classify train'")
    pr.add_argument("input", help="text file with one document per line, or - for stdin "
                                  "(leading __label__ tokens are ignored)")
    pr.add_argument("--k", type=positive_int, default=1, help="print the k most probable labels")
    pr.add_argument("--prob", action="store_true", help="print each label's probability after it")
    pr.add_argument("--threshold", type=_probability, default=0.0, help="leave out labels below this probability")
    pr.add_argument("--encoding", default="utf-8", help="text encoding of the input")
    add_blas_threads(pr)
    add_device(pr)
    pr.set_defaults(func=with_blas_threads(cmd_predict))

    v = verbs.add_parser("vectors", help="write a model's trained word vectors as a word2vec-format file",
                         formatter_class=fmt)
    v.add_argument("model", help="model file from 'ffnlp classify train'")
    v.add_argument("--output", default=None,
                   help="word2vec-format file to write (binary when it ends in .bin), for --embeddings")
    v.add_argument("--member", type=int, default=0, help="which member of an ensemble (--n-models) to export")
    v.add_argument("--plot", default=None, metavar="FILE.png",
                   help="draw a 2-D map of the most frequent words' vectors to this PNG file")
    v.add_argument("--plot-words", type=int, default=100, help="words on the map")
    v.add_argument("--plot-method", choices=["pca", "tsne"], default="pca", help="projection of the map")
    v.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    v.set_defaults(func=cmd_vectors)

    tu = verbs.add_parser("tune", help="search the classifier's options on validation data within a time budget "
                                       "(fastText's -autotune-validation) and save the best model", formatter_class=fmt)
    tu.add_argument("--input", required=True, help="labeled training data (file, folder, or - for stdin)")
    tu.add_argument("--validation", required=True, help="labeled validation data: every trial is scored on it only")
    tu.add_argument("--output", required=True, help="the best model, trained on --input (.npz)")
    tu.add_argument("--budget", type=float, default=300.0, help="seconds of search")
    tu.add_argument("--max-trials", type=positive_int, default=None, help="stop after this many trials")
    tu.add_argument("--jobs", type=int, default=1, help="trials run at once in worker processes (joblib; -1: every core)")
    tu.add_argument("--seed", type=int, default=0, help="seeds the search and every trial's model")
    tu.add_argument("--trials", default=None, metavar="FILE",
                    help="write the table of trials here (.csv, .json or .md by suffix; else aligned text)")
    tu.add_argument("--encoding", default="utf-8", help="text encoding of the inputs")
    tu.add_argument("--format", choices=_FORMATS, default="auto", help=_FORMAT_HELP)
    tu.add_argument("--json", action="store_true", help="print the best trial and the search's summary as one JSON line")
    add_device(tu)
    tu.set_defaults(func=cmd_tune)

    c = verbs.add_parser("compare", help="ffnlp's classifiers vs scikit-learn baselines on identical splits",
                         formatter_class=fmt)
    c.add_argument("--dataset", action="append", default=None,
                   help="registered dataset (mr, trec, sst1, sst2, sst2_phrases, 20ng, sms, mini_newsgroup, polarity) or a "
                        f"labeled file/folder; repeatable (default: {', '.join(DEFAULT_DATASETS)})")
    c.add_argument("--models", default=None, help="comma-separated model names (default: all)")
    c.add_argument("--folds", type=positive_int, default=None,
                   help="run only the first N cross-validation folds (default: the dataset's protocol)")
    c.add_argument("--seed", type=int, default=0, help="seed of the folds and the models")
    c.add_argument("--seeds", type=positive_int, default=1,
                   help="fit every model this many times per split (model seeds SEED, SEED+1, ...); rows are "
                        "the mean and standard deviation over the runs")
    c.add_argument("--encoding", default="utf-8", help="encoding of a user file")
    c.add_argument("--empty-docs", choices=["error", "drop", "keep"], default="error",
                   help="a document of a user file with a label but no text: stop naming its line, drop it, or keep "
                        "it as ''")
    c.add_argument("--jobs", type=int, default=1,
                   help="fits run at once in worker processes (joblib; -1: every core); the same table as --jobs 1")
    c.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the fits on a Dask cluster (tcp://HOST:8786 from 'dask scheduler', with 'dask worker "
                        "ADDRESS' on each machine; pip install 'ffnlp[dask]'); --jobs is then ignored")
    c.add_argument("--vectors", default=None,
                   help="word2vec-format file: adds ffnlp_dan_vec and ffnlp_conv_vec, whose embeddings start from it, "
                        "and ffnlp_ens_vec, the two averaged")
    c.add_argument("--vectors-name", default="vec",
                   help="suffix of those rows' names (ffnlp_dan_NAME, ...), to tell vector files apart")
    add_blas_threads(c, help="BLAS threads for every model (default: 1; the models' products are small: more "
                             "threads mostly contend, ~10x slower on a busy 2-core machine)")
    c.add_argument("--plot", default=None, metavar="FILE.png",
                   help="draw accuracy per model with error bars, one panel per dataset, to this PNG file")
    out = c.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the results as one JSON line")
    out.add_argument("--markdown", action="store_true", help="print Markdown tables")
    out.add_argument("--csv", action="store_true", help="print CSV")
    add_device(c)
    c.set_defaults(func=with_blas_threads(cmd_compare, default=lambda args: 1))


# ----------------------------------------------------------------------------- helpers


def _read_labeled(path, encoding, fmt, empty="error", split=None):
    """Labeled data from a file, a folder or stdin; from a folder holding its own ``train``/``dev``/``test``
    files (or subfolders), the ``split`` asked for."""
    from ffnlp.text.readers import read_labeled, read_labeled_splits

    try:
        if split is not None and str(path) != "-" and Path(path).is_dir():
            splits = read_labeled_splits(path, encoding=encoding, format=fmt, empty=empty)
            if splits is not None:
                if split not in splits:
                    raise DataError(f"the folder has its own split ({', '.join(sorted(splits))}) but no {split} "
                                    "file", path=path)
                logger.info("%s: its own split, %s: %s (%d documents)", path, split, splits[split].source,
                            len(splits[split]))
                return splits[split]
        return read_labeled(path, encoding=encoding, format=fmt, empty=empty)
    except LookupError as exc:
        raise FFNLPError(str(exc)) from None
    except ValueError as exc:
        if isinstance(exc, FFNLPError):
            raise
        raise FFNLPError(str(exc)) from None


def _read_documents(path, encoding, empty="error"):
    from ffnlp.text.readers import read_documents

    try:
        return read_documents(path, encoding, empty=empty)
    except ValueError as exc:  # an unknown encoding
        if isinstance(exc, FFNLPError):
            raise
        raise FFNLPError(str(exc)) from None


def read_documents(path, encoding="utf-8-sig") -> list[str]:
    """One document per line (``-``: stdin), leading ``__label__`` tokens dropped: see
    :func:`ffnlp.text.readers.read_documents`."""
    return _read_documents(path, encoding)


def _read_input(path, encoding, fmt, empty="error", split=None):
    """Labeled data in ``fmt`` (one of :data:`_FORMATS`), its layout checked by :func:`_check_layout`."""
    if str(path) != "-" and not Path(path).exists():
        raise DataError("no such file or folder", path=path)
    if fmt in ("tsv-label-last", "csv-header"):
        from ffnlp.text.readers import read_tsv

        try:
            if fmt == "tsv-label-last":
                data = read_tsv(path, encoding=encoding, delimiter="\t", label_column=-1, empty=empty)
            else:
                data = read_tsv(path, encoding=encoding, delimiter=",", header=True, empty=empty)
        except ValueError as exc:
            if isinstance(exc, FFNLPError):
                raise
            raise FFNLPError(f"--encoding {encoding}: {exc}" if "encoding" in str(exc) else str(exc)) from None
    else:
        try:
            data = _read_labeled(path, encoding, fmt, empty, split)
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror or exc}", path=exc.filename or path) from None
    return _check_layout(data, path, fmt)


def _check_layout(data, path, fmt):
    """Under ``auto``, recognize a header row and SentEval's ``text<TAB>label`` (each with a warning); refuse
    one class per document, or a header under an explicit format, with a message naming ``--format``."""
    import dataclasses

    if data.multilabel or len(data) < 2 or fmt in ("fasttext", "folder", "csv-header"):
        return data
    if str(path) != "-" and Path(path).is_dir():      # class folders, or a folder with its own split
        return data
    is_csv = fmt == "csv" or (fmt == "auto" and str(path).lower().endswith(".csv"))
    first_label, first_text = str(data.labels[0]).strip().lower(), data.texts[0].strip().lower()
    if data.labels.count(data.labels[0]) == 1 and (first_label in _HEADER_LABELS or first_text in _HEADER_TEXTS):
        row = f"{data.labels[0]!r}, {data.texts[0][:30]!r}"
        if fmt != "auto":
            hint = "pass --format csv-header" if is_csv else "remove it"
            raise DataError(f"the first row ({row}) looks like a header, not a document: {hint}", path=data.source)
        logger.warning("%s: the first row (%s) looks like a header: skipped%s", data.source, row,
                       " (--format csv-header says so)" if is_csv else "")
        rest = {name: getattr(data, name)[1:] for name in ("lines", "paths") if getattr(data, name, None) is not None}
        data = dataclasses.replace(data, texts=data.texts[1:], labels=data.labels[1:], **rest)
    n, k = len(data), len(set(data.labels))
    if n < 10 or k <= n / 2:
        return data
    if fmt != "auto":
        logger.warning("%s: %d classes for %d documents under --format %s: is the label elsewhere?", data.source,
                       k, n, fmt)
        return data
    # label<TAB>text read from text<TAB>label gives one "class" per document: try the label last
    if not is_csv and str(path) != "-" and not Path(path).is_dir():
        docs, labels = [], []
        for lab, text in zip(data.labels, data.texts):
            doc, _, last = f"{lab}\t{text}".rpartition("\t")
            docs.append(doc.strip())
            labels.append(last.strip())
        if all(docs) and all(labels) and len(set(labels)) <= max(2, n // 10):
            logger.warning("%s: read as text<TAB>label (label last, SentEval's layout), %d classes; "
                           "--format tsv-label-last says so", data.source, len(set(labels)))
            return dataclasses.replace(data, texts=docs, labels=labels)
    raise DataError(f"{k} classes for {n} documents: the first field does not look like a label; say how the "
                    f"file is laid out with --format ({', '.join(f for f in _FORMATS if f != 'auto')})",
                    path=data.source)


def _cap_long_documents(texts, max_length, where):
    """Cut documents longer than :data:`LONG_DOCUMENT_TOKENS` tokens when ``max_length`` is None (fastText
    caps lines too), with a warning naming the longest. Returns ``(texts, max_length)``."""
    import re

    if max_length is not None:
        return texts, max_length
    cap = LONG_DOCUMENT_TOKENS
    out, cut, longest = list(texts), 0, (0, -1)
    for i, text in enumerate(texts):
        if len(text) <= cap:              # a token is at least one character
            continue
        ends = [m.end() for _, m in zip(range(cap + 1), re.finditer(r"\S+", text))]
        if len(ends) > cap:
            longest = max(longest, (sum(1 for _ in re.finditer(r"\S+", text)), i))   # no list of 8M words
            cut += 1
            out[i] = text[:ends[cap - 1]]
    if not cut:
        return texts, None
    logger.warning("%s: %d document(s) longer than %s tokens (document %d has %s): each is cut to its first "
                   "%s, and the saved model cuts documents there at prediction too; --max-length N chooses "
                   "another limit", where, cut, f"{cap:,}", longest[1] + 1, f"{longest[0]:,}", f"{cap:,}")
    return out, cap


def _label_sets(labels) -> list[set]:
    return [set(lab) if isinstance(lab, list) else {lab} for lab in labels]


# ----------------------------------------------------------------------------- verbs


def build_config(args):
    """The TextCatConfig of ``classify train``: the table's defaults (seed 0), then the flags given; an
    error names the flag typed."""
    from ffnlp.config import TEXTCAT_OPTIONS, TextCatConfig

    values = TEXTCAT_OPTIONS.values_from_args(args)
    try:
        return TextCatConfig(**values, verbose=logging.getLogger().isEnabledFor(logging.INFO))
    except ValueError as exc:
        raise config_error(exc, TEXTCAT_OPTIONS.flags(args)) from None


def cmd_train(args):
    from ffnlp.tasks.textcat import FFNTextClassifier

    config = build_config(args)
    ops = device_ops(args)
    if config.embeddings not in ("random", "word2vec") and not Path(config.embeddings).is_file():
        raise DataError("embeddings file not found (--embeddings)", path=config.embeddings)
    check_outputs(args, {"output": "--output"}, inputs=[args.input])
    _check_plot(args.plot)
    data = _read_input(args.input, args.encoding, args.format, args.empty_docs, split="train")
    classes = sorted({lab for labs in _label_sets(data.labels) for lab in labs})
    if len(classes) < 2:
        raise DataError(f"only one class ({classes[0]!r}) in the training data; a classifier needs at least two",
                        path=data.source)
    texts, max_length = _cap_long_documents(data.texts, config.max_length, data.source)
    if max_length != config.max_length:
        config = config.replace(max_length=max_length)
    clf = FFNTextClassifier.from_config(config).set_params(device=args.device)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*epochs reached.*")
            clf.fit(texts, data.labels)
    except (ValueError, FileNotFoundError) as exc:
        if isinstance(exc, FFNLPError):
            raise
        raise FFNLPError(f"{data.source}: {exc}") from None
    clf.save(args.output)
    if args.plot:
        from ffnlp.plot import plot_classifier_history

        n = len(clf.histories_)
        plot_classifier_history(clf.histories_, args.plot,
                                title=f"{Path(str(args.input)).name}: {config.doc_vector} network"
                                      + (f", ensemble of {n}" if n > 1 else ""))
    summary = {"n": len(data), "classes": len(clf.classes_), "vocab": len(clf.vocab_), "epochs": clf.n_iter_,
               "best_epoch": clf.best_epoch_, "n_params": clf.n_params(), "seconds": round(clf.fit_seconds_, 3),
               "tokens": clf.n_tokens_, "tokens_per_second": round(clf.tokens_per_second_),
               "output": str(args.output), "device": ops.device}
    if args.json:
        emit_json(summary)
    else:
        emit_metrics(summary)


def _load(path, args=None):
    from ffnlp.tasks.textcat import load_textcat_model

    ops = device_ops(args) if args is not None else None
    clf = load_textcat_model(path)
    if ops is not None and ops is not clf.model_.ops:
        clf.model_.to_ops(ops)
        clf.device = args.device
    return clf


def cmd_test(args):
    from sklearn.metrics import f1_score

    clf = _load(args.model, args)
    data = _read_input(args.input, args.encoding, args.format, args.empty_docs, split="test")
    _check_plot(args.plot)
    if args.plot and clf.multilabel_:
        raise FFNLPError("--plot draws a confusion matrix, which needs one label per document; this model is "
                         "multi-label")
    gold = _label_sets(data.labels)
    known = {str(c) for c in clf.classes_}
    for i, labs in enumerate(gold):
        unseen = sorted(lab for lab in labs if lab not in known)
        if unseen:
            raise DataError(f"label {unseen[0]!r} was not seen in training (the model knows "
                            f"{', '.join(sorted(known))})", **data.where(i))
    t0 = time.perf_counter()
    labels, _ = clf.predict_top_k(data.texts, k=args.k, threshold=args.threshold)
    seconds = time.perf_counter() - t0
    labels = [[str(x) for x in row] for row in labels]
    hits = sum(len(set(row) & g) for row, g in zip(labels, gold))
    n_pred = sum(len(row) for row in labels)
    n_gold = sum(len(g) for g in gold)
    metrics = {"n": len(data), f"P@{args.k}": hits / n_pred if n_pred else 0.0, f"R@{args.k}": hits / n_gold}
    n_tokens = clf.count_tokens(data.texts)
    logger.info("predicted %d documents (%d tokens) in %.2f s: %.0f tokens/s", len(data), n_tokens, seconds,
                n_tokens / max(seconds, 1e-9))
    if not clf.multilabel_:
        pred = np.asarray(clf.predict(data.texts)).astype(str)
        truth = np.asarray([next(iter(g)) for g in gold])
        metrics["accuracy"] = float(np.mean(pred == truth))
        metrics["macro_f1"] = float(f1_score(truth, pred, average="macro"))
        if args.plot:
            from ffnlp.plot import plot_confusion_matrix

            plot_confusion_matrix(truth, pred, args.plot, labels=[str(c) for c in clf.classes_],
                                  title=f"{Path(args.model).name} on {Path(str(args.input)).name}")
    else:
        P = clf.predict(data.texts)
        truth = np.array([[str(c) in g for c in clf.classes_] for g in gold])
        metrics["accuracy"] = float(np.mean(np.all(P.astype(bool) == truth, axis=1)))
        metrics["macro_f1"] = float(f1_score(truth, P.astype(bool), average="macro", zero_division=0))
    metrics["tokens"] = n_tokens
    metrics["tokens_per_second"] = round(n_tokens / max(seconds, 1e-9))
    if args.json:
        emit_json(metrics)
    else:
        emit_metrics(metrics)


def cmd_predict(args):
    clf = _load(args.model, args)
    docs = _read_documents(args.input, args.encoding, empty="keep")
    keep = [i for i, d in enumerate(docs) if d]
    if not keep:
        raise DataError("no documents: every line is blank", path="<stdin>" if args.input == "-" else args.input)
    labels, probs = clf.predict_top_k([docs[i] for i in keep], k=args.k, threshold=args.threshold)
    out = [""] * len(docs)                # a blank input line gives a blank output line: lines stay aligned
    for i, row, ps in zip(keep, labels, probs):
        if args.prob:
            out[i] = " ".join(f"{lab} {p:.4f}" for lab, p in zip(row, ps))
        else:
            out[i] = " ".join(str(lab) for lab in row)
    sys.stdout.write("\n".join(out) + "\n")


def cmd_vectors(args):
    if not args.output and not args.plot:
        raise FFNLPError("give --output FILE (word2vec format), --plot FILE.png (a map), or both")
    _check_plot(args.plot)
    if args.output:
        check_outputs(args, {"output": "--output"}, inputs=[args.model])
    if args.plot_words < 3:
        raise FFNLPError(f"--plot-words must be at least 3, got {args.plot_words}")
    clf = _load(args.model)
    summary = {"words": len(clf.vocab_) - len(SPECIALS), "dim": int(clf.embedding_dim_)}
    try:
        if args.output:
            path = clf.save_word2vec_format(args.output, binary=str(args.output).endswith(".bin"), member=args.member)
            summary["output"] = str(path)
        kv = clf.to_keyed_vectors(member=args.member) if args.plot else None
    except ValueError as exc:
        raise FFNLPError(f"{args.model}: {exc}") from None
    if args.plot:
        from ffnlp.plot import plot_embedding_map

        summary["plot"] = str(plot_embedding_map(
            kv, args.plot, n_words=args.plot_words, method=args.plot_method,
            title=f"classifier word vectors ({Path(args.model).name}): the {args.plot_words} most frequent "
                  f"words, {'PCA' if args.plot_method == 'pca' else 't-SNE'}"))
    if args.json:
        emit_json(summary)
    else:
        emit_metrics(summary)


def _check_plot(path) -> None:
    """``--plot FILE.png`` checked before any work (PNG name, writable place, matplotlib installed)."""
    if path is not None:
        from ffnlp.plot import check_plot_path

        check_plot_path(path)


def cmd_tune(args):
    from ffnlp.report import format_table
    from ffnlp.tasks.tune import tune

    ops = device_ops(args)
    if not args.budget > 0 or not math.isfinite(args.budget):
        raise FFNLPError(f"--budget: expected a positive number of seconds, got {args.budget}")
    if args.jobs == 0 or args.jobs < -1:
        raise FFNLPError(f"--jobs: expected a positive number of processes or -1 (every core), got {args.jobs}")
    check_outputs(args, {"output": "--output", "trials": "--trials"}, inputs=[args.input, args.validation])
    train = _read_input(args.input, args.encoding, args.format, split="train")
    valid = _read_input(args.validation, args.encoding, args.format, split="dev")
    known = {str(lab) for lab in train.labels}
    unseen = sorted({str(lab) for lab in valid.labels} - known)
    if unseen:
        raise DataError(f"validation label {unseen[0]!r} is not in the training data", path=valid.source)

    def report(t):
        logger.info("trial %d: accuracy %.4f in %.1f s %s%s", t.index, t.accuracy, t.fit_seconds, t.params,
                    " (the defaults)" if t.index == 0 else "")

    result = tune(train.texts, train.labels, valid.texts, valid.labels, budget=args.budget, n_jobs=args.jobs,
                  seed=args.seed, max_trials=args.max_trials, base_params={"device": args.device}, on_trial=report)
    result.model.save(args.output)
    rows = result.table()
    if args.trials:
        suffix = Path(args.trials).suffix.lower()
        kind = {".csv": "csv", ".json": "json", ".md": "markdown"}.get(suffix, "text")
        from ffnlp._files import atomic_path

        with atomic_path(args.trials) as tmp:
            Path(tmp).write_text(format_table(rows, fmt=kind) + "\n", encoding="utf-8")
    summary = {"best_trial": result.best.index, "best_validation_accuracy": result.best.accuracy,
               "best_params": result.best.params, "trials": len(result.trials), "seconds": round(result.seconds, 2),
               "output": str(args.output), "device": ops.device}
    if args.json:
        emit_json(summary)
    else:
        print(format_table(rows))
        emit_metrics({k: v for k, v in summary.items() if k != "best_params"})


def cmd_compare(args):
    from ffnlp.progress import Progress
    from ffnlp.tasks.compare import all_models, compare, format_rows

    datasets = args.dataset or list(DEFAULT_DATASETS)
    device_ops(args)                          # a GPU asked for where there is none: an error before any fit
    _check_plot(args.plot)
    if args.vectors and not Path(args.vectors).is_file():
        raise DataError("word vectors file not found", path=args.vectors)
    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    if args.jobs == 0 or args.jobs < -1:
        raise FFNLPError(f"--jobs: expected a positive number of processes or -1 (every core), got {args.jobs}")
    results = []
    for name in datasets:
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*epochs reached.*")
                warnings.filterwarnings("ignore", module="sklearn")
                with Progress(len(models or all_models(args.vectors, args.vectors_name)), unit="fits", stage="model",
                              desc=f"compare {name}", enabled=not getattr(args, "quiet", False)) as progress:
                    result = compare(name, models, seed=args.seed, max_folds=args.folds, encoding=args.encoding,
                                     empty=args.empty_docs, vectors=args.vectors, vectors_name=args.vectors_name,
                                     seeds=args.seeds, progress=progress, n_jobs=args.jobs, scheduler=args.scheduler,
                                     device=args.device)
        except ValueError as exc:
            if isinstance(exc, FFNLPError):
                raise
            raise FFNLPError(str(exc)) from None
        results.append(result)
        if args.json:
            continue
        if args.csv:
            print(format_rows(result.rows, "csv", dataset=result.dataset, header=len(results) == 1))
            continue
        title = f"{result.dataset}: {result.protocol}; {result.n_train} train / {result.n_test} test, " \
                f"{result.n_classes} classes"
        print(f"### {title}\n" if args.markdown else title)
        print(format_rows(result.rows, "markdown" if args.markdown else "text"))
        print()
    if args.plot:
        from ffnlp.plot import plot_comparison

        plot_comparison(results, args.plot)
    if args.json:
        emit_json(results[0].to_dict() if len(results) == 1 else {"datasets": [r.to_dict() for r in results]})
