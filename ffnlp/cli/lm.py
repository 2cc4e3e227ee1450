"""``ffnlp lm train|perplexity|predict|generate``: the window neural LM (Bengio et al. 2003) and the
Kneser-Ney n-gram baseline (``--model kn``) on a registered corpus (``brown``, ``ptb``, ``lee``), a folder
with its own ``train``/``valid``/``test`` files, ``--train/--valid/--test FILE``, or any text file or folder
(split seeded); ``lee`` (shipped with gensim) is the default."""
from __future__ import annotations

import argparse
import logging
import math
import time
from pathlib import Path

from ffnlp.cli import (add_balance_shares, add_blas_threads, add_device, check_outputs, config_error, device_ops,
                       emit_json, emit_metrics, with_blas_threads)
from ffnlp.errors import DataError, FFNLPError

DEFAULT_CORPUS = "lee"
_NAMED = ("brown", "brown_sentences", "ptb", "lee")
#: Reading flags of the user's own text -> their keyword in ffnlp.text.lm_corpora.
_READING = {"tokenizer": "--tokenizer", "unk_token": "--unk-token", "eos_token": "--eos-token",
            "count_blank_lines": "--count-blank-lines"}

#: Output paths of ``lm train``: attribute -> flag.
_OUTPUTS = {"output": "--output", "checkpoint": "--checkpoint", "export_vectors": "--export-vectors"}


def add_parser(sub):
    from ffnlp.config import LM_OPTIONS
    from ffnlp.options import PRESET

    p = sub.add_parser("lm", help="language models: window neural LM (Bengio 2003) and Kneser-Ney n-grams")
    verbs = p.add_subparsers(dest="verb", metavar="{train,perplexity,predict,generate,plot,vectors}")
    verbs.required = True

    t = verbs.add_parser("train", help="train a window LM (or a KN n-gram model) and report perplexities",
                         description="Defaults depend on the corpus (LMConfig.preset, --preset): small (lee) n=4 m=32 h=64, Adam "
                                     "(under a minute); brown (min_count 4) and ptb n=5 m=128 h=400,400 ReLU with input "
                                     "dropout, SGD with momentum, dropout and halving on plateaus. Flags left out "
                                     "keep the preset.")
    t.add_argument("--corpus", default=None,
                   help="registered LM corpus (brown: Bengio et al. 2003's protocol; brown_sentences; ptb; lee), a "
                        "folder with its own train/valid/test files (train.txt, wiki.train.tokens, ptb.train.txt ...), "
                        "or a text file/folder, split 80/10/10 by line (seeded) (default: lee)")
    add_reading_flags(t)
    t.add_argument("--preset", choices=["small", "ptb", "brown"], default=None,
                   help="defaults of the model and training (default: the registered corpus's own; for your own "
                        "text by its size: ptb from 300,000 training words, small below)")
    t.add_argument("--model", choices=["nn", "kn"], default="nn", help="window neural LM or Kneser-Ney n-grams (default: nn)")
    t.add_argument("--order", type=int, default=5, help="n-gram order of --model kn (default: 5)")
    # every option of the model and its training, from the table (ffnlp.config.LM_OPTIONS): left out, the preset's
    LM_OPTIONS.add_arguments(t, defaults=PRESET)
    t.add_argument("--output", default=None, help="write the (best) model here")
    t.add_argument("--checkpoint", default=None, help="write the training state here every epoch")
    t.add_argument("--resume", action="store_true", help="continue from --checkpoint if it exists")
    t.add_argument("--export-vectors", default=None, help="write the embeddings in word2vec text format")
    t.add_argument("--wordsim", action="store_true", help="score the embeddings on WordSim-353 (gensim's copy)")
    t.add_argument("--plot", default=None, metavar="FILE.png",
                   help="draw the training curves (loss, validation perplexity, learning rate) to this PNG file")
    t.add_argument("--no-test", action="store_true", help="do not report the test perplexity")
    t.add_argument("--json", action="store_true", help="print the metrics as one JSON object on the last line")
    add_blas_threads(t, help="BLAS threads (default: 1 with the factored output, whose products are small; "
                              "the library's count with the full softmax)")
    add_device(t)
    add_balance_shares(t)
    t.set_defaults(func=with_blas_threads(cmd_train, default=_train_threads))

    pp = verbs.add_parser("perplexity", help="exact perplexity of a model on a corpus split")
    pp.add_argument("model", help="model file from 'ffnlp lm train --output' (neural or n-gram)")
    pp.add_argument("--corpus", default=None,
                    help="corpus (default: the one the model was trained on, read the same way)")
    pp.add_argument("--encoding", default=None, help="encoding of a text file/folder corpus (default: as trained)")
    pp.add_argument("--split", choices=["train", "valid", "test"], default="test", help="split to score (default: test)")
    pp.add_argument("--mix", default=None,
                    help="n-gram model file to interpolate with (weight tuned on the validation split)")
    pp.add_argument("--json", action="store_true", help="print the metrics as one JSON object on the last line")
    add_blas_threads(pp)
    add_device(pp)
    pp.set_defaults(func=with_blas_threads(cmd_perplexity))

    pr = verbs.add_parser("predict", help="the k most probable next words after a context")
    pr.add_argument("model", help="model file (neural or n-gram)")
    pr.add_argument("context", help="preceding text, tokenized as the training corpus ('-' reads stdin)")
    pr.add_argument("--k", type=int, default=5, help="how many words (default: 5)")
    pr.add_argument("--json", action="store_true", help="print one JSON object")
    add_device(pr)
    pr.set_defaults(func=cmd_predict)

    g = verbs.add_parser("generate", help="sample text from a model")
    g.add_argument("model", help="model file (neural or n-gram)")
    g.add_argument("--prompt", default="", help="text to continue (default: a sentence start)")
    g.add_argument("--tokens", type=int, default=30, help="tokens to generate (default: 30)")
    g.add_argument("--temperature", type=float, default=1.0, help="< 1 conservative, > 1 random (default: 1)")
    g.add_argument("--top-k", type=int, default=None, help="sample among the k most probable only")
    g.add_argument("--seed", type=int, default=None, help="random seed (default: fresh)")
    g.add_argument("--json", action="store_true", help="print one JSON object")
    add_device(g)
    g.set_defaults(func=cmd_generate)

    lp = verbs.add_parser("plot", help="draw a saved model's training curves (or a checkpoint's, during training)")
    lp.add_argument("model", help="model file from 'ffnlp lm train --output', or its --checkpoint file")
    lp.add_argument("--output", "--plot", dest="output", required=True, metavar="FILE.png",
                    help="PNG file to write")
    lp.set_defaults(func=cmd_plot)

    lv = verbs.add_parser("vectors", help="a model's word embeddings: word2vec-format file and/or a 2-D map")
    lv.add_argument("model", help="model file from 'ffnlp lm train --output'")
    lv.add_argument("--output", default=None, help="word2vec-format file to write (binary when it ends in .bin)")
    lv.add_argument("--plot", default=None, metavar="FILE.png",
                    help="draw a 2-D map of the most frequent words' embeddings to this PNG file")
    lv.add_argument("--plot-words", type=int, default=100, help="words on the map (default: 100)")
    lv.add_argument("--plot-method", choices=["pca", "tsne"], default="pca", help="projection (default: pca)")
    lv.set_defaults(func=cmd_vectors)


def add_reading_flags(t):
    """Where the corpus is and how its text is read: ``--train/--valid/--test``, ``--encoding``, ``--tokenizer``,
    ``--lowercase``, ``--unk-token``, ``--eos-token``, ``--count-blank-lines``."""
    t.add_argument("--train", default=None, metavar="FILE",
                   help="training file of a corpus with its own split (with --valid; instead of --corpus)")
    t.add_argument("--valid", default=None, metavar="FILE", help="validation file (with --train)")
    t.add_argument("--test", default=None, metavar="FILE", help="test file (with --train; optional)")
    t.add_argument("--encoding", default=None,
                   help="encoding of your text (default: utf-8, with or without a byte-order mark)")
    t.add_argument("--tokenizer", choices=["default", "whitespace"], default=None,
                   help="default: ffnlp's Treebank-like tokenizer; whitespace: the text is already tokenized "
                        "(keeps <unk>, @-@ ...) (default: default)")
    t.add_argument("--lowercase", action=argparse.BooleanOptionalAction, default=None,
                   help="lower-case the text (default: yes with the default tokenizer, no with whitespace; brown: no)")
    t.add_argument("--unk-token", default=None, metavar="TOKEN",
                   help="this word in the text is the model's <unk> (e.g. '<UNK>'; '<unk>' already is)")
    t.add_argument("--eos-token", default=None, metavar="TOKEN",
                   help="this word in the text ends a sentence, as the model's </s> (e.g. '<eos>')")
    t.add_argument("--count-blank-lines", action="store_true",
                   help="one </s> per line, blank lines included (the common protocol of line-based LM corpora); "
                        "default: blank lines are skipped")


def _reading(args) -> dict:
    """The corpus and how to read it, from the flags: JSON-able, stored in model files."""
    corpus = getattr(args, "corpus", None)
    train, valid, test = (getattr(args, k, None) for k in ("train", "valid", "test"))
    if train or valid or test:
        if corpus:
            raise FFNLPError("--corpus and --train/--valid/--test are two ways of naming the corpus: give one")
        if not (train and valid):
            raise FFNLPError("--train and --valid name a corpus with its own split together (--test is optional)")
    reading = {"corpus": corpus or (None if train else DEFAULT_CORPUS), "train": train, "valid": valid,
               "test": test, "encoding": getattr(args, "encoding", None)}
    for k in ("tokenizer", "lowercase", "unk_token", "eos_token"):
        reading[k] = getattr(args, k, None)
    reading["count_blank_lines"] = bool(getattr(args, "count_blank_lines", False))
    return reading


def _loader_kwargs(reading) -> dict:
    """Keyword arguments of the loader for ``reading``; bad combinations are reported with their flag."""
    corpus = reading["corpus"]
    given = {k: reading[k] for k in _READING if reading.get(k)}
    if corpus in _NAMED:
        if given:
            raise FFNLPError(f"{', '.join(_READING[k] for k in given)}: for your own text; the registered corpus "
                             f"{corpus} is read as the registry says ('ffnlp corpora show {corpus}')")
        kw = {}
        if reading.get("lowercase") is not None:
            if not corpus.startswith("brown"):
                raise FFNLPError(f"--lowercase/--no-lowercase: {corpus} is read as it is (only brown has a choice)")
            kw["lower"] = reading["lowercase"]
        if reading.get("encoding") not in (None, "utf-8", "utf-8-sig"):
            if corpus != "ptb":
                raise FFNLPError(f"--encoding: the registered corpus {corpus} has its own encoding "
                                 "(brown is ASCII, lee UTF-8)")
            kw["encoding"] = reading["encoding"]
        return kw
    kw = {k: v for k, v in given.items()}
    if reading.get("lowercase") is not None:
        kw["lower"] = reading["lowercase"]
    if reading.get("encoding") is not None:
        kw["encoding"] = reading["encoding"]
    return kw


# ---------------------------------------------------------------------------------------------- train
def build_config(args, splits=None):
    """The LMConfig of ``lm train``: the preset (``--preset``, the corpus's own, or by the size of ``splits``)
    with the corpus's protocol, then the flags given."""
    from ffnlp.config import LM_OPTIONS, LMConfig
    from ffnlp.tasks.lm import corpus_config

    changes = LM_OPTIONS.values_from_args(args)
    preset = getattr(args, "preset", None)
    try:
        if splits is None:  # before the corpus is read (the thread count): the preset by name only
            corpus = getattr(args, "corpus", None) or DEFAULT_CORPUS
            name = preset or {"brown": "brown", "brown_sentences": "brown", "ptb": "ptb"}.get(corpus, "lee")
            return LMConfig.preset("lee" if name == "small" else name).replace(**changes)
        config, name, reason = corpus_config(splits, preset, **changes)
        args.preset_used, args.preset_reason = name, reason
        return config
    except ValueError as exc:
        raise config_error(exc, LM_OPTIONS.flags(args)) from None


def _check_encoding(encoding):
    import codecs

    if encoding is None:
        return
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise FFNLPError(f"--encoding {encoding}: unknown encoding (e.g. utf-8, latin-1)") from None


def _load_corpus(reading):
    from ffnlp.text.lm_corpora import load_lm_corpus, load_split_files

    _check_encoding(reading.get("encoding"))
    kw = _loader_kwargs(reading)
    name = reading["corpus"] or reading["train"]
    try:
        if reading["corpus"] is None:
            return load_split_files(reading["train"], reading["valid"], reading.get("test"), **kw)
        return load_lm_corpus(reading["corpus"], **kw)
    except PermissionError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", path=exc.filename or name) from None
    except IsADirectoryError as exc:
        raise DataError("is a folder where a file was expected", path=exc.filename or name) from None
    except OSError as exc:
        if isinstance(exc, FFNLPError):
            raise
        raise DataError(f"cannot read: {exc.strerror or exc}", path=exc.filename or name) from None


def _corpus_meta(args, splits=None):
    reading = _reading(args)
    meta = {"corpus": reading["corpus"], "encoding": reading["encoding"], "reading": reading}
    if splits is not None:
        meta.update({"sentence_ends": splits.sentence_ends, "vocab_from": splits.vocab_from})
    return meta


def _protocol_metrics(splits, sentence_ends) -> dict:
    """What the output states of the corpus: its split, tokenizer, counting and token counts per split."""
    p = splits.protocol()
    out = {"corpus": p["corpus"], "split": p["split"], "split_note": p["split_note"],
           "split_files": p["split_files"], "tokenizer": p["tokenizer"], "lowercase": p["lowercase"],
           "vocab_from": p["vocab_from"],
           "counting": f"{p['counting']}; perplexity over every predicted token"
                       f"{', </s> included' if sentence_ends else ''}, <unk> counted"}
    for s, n in splits.n_tokens(eos=sentence_ends).items():
        out[f"{s}_tokens"] = n
    return out


def _train_threads(args):
    """BLAS threads of ``lm train`` when ``--blas-threads`` is not given: 1 for the factored output, whose
    products are small (2 threads measured 2.5-7x slower on this project's 2-core machine, PTB and Lee), else
    the library's own count (2 threads were 1.7x faster for the full softmax on PTB)."""
    try:
        config = build_config(args)
    except (FFNLPError, ValueError):
        return None                       # cmd_train reports the error
    return 1 if args.model == "nn" and config.output == "factored" else None


def cmd_train(args):
    from ffnlp.tasks.lm import NGramLM, build_vocab, train_lm

    t0 = time.perf_counter()
    reading = _reading(args)
    build_config(args)  # flag errors first, before the corpus is read
    _check_encoding(args.encoding)
    device_ops(args)    # a GPU asked for where there is none: an error now, not after reading the corpus
    if args.resume and not args.checkpoint:
        raise FFNLPError("--resume needs --checkpoint FILE (the training state to continue from)")
    if args.plot:
        if args.model == "kn":
            raise FFNLPError("--plot draws the neural model's training curves; --model kn has none")
        from ffnlp.plot import check_plot_path

        check_plot_path(args.plot)
    if args.model == "kn" and (args.checkpoint or args.export_vectors):
        raise FFNLPError(f"{'--checkpoint' if args.checkpoint else '--export-vectors'} is for the neural model; "
                         "--model kn has neither")
    inputs = [p for p in (reading["train"], reading["valid"], reading["test"]) if p]
    if reading["corpus"] and reading["corpus"] not in _NAMED and Path(reading["corpus"]).is_file():
        inputs.append(reading["corpus"])
    check_outputs(args, _OUTPUTS, inputs=inputs)
    if args.output and args.checkpoint and Path(args.output).resolve() == Path(args.checkpoint).resolve():
        raise FFNLPError(f"--output and --checkpoint are both {args.output}: the model and the training state "
                         "need two files")
    splits = _load_corpus(reading)
    config = build_config(args, splits)
    vocab = build_vocab(splits, config)
    protocol = {"preset": args.preset_used, "preset_reason": args.preset_reason,
                **_protocol_metrics(splits, config.sentence_ends)}
    if args.model == "kn":
        if args.order < 2:
            raise FFNLPError(f"--order must be >= 2, got {args.order}")
        if len(vocab) <= 4:
            raise FFNLPError("the vocabulary holds no words: the corpus is empty or --min-count is too high")
        ids = {s: vocab.encode_sentences(splits.split(s), add_eos=config.sentence_ends)
               for s in ("train", "valid", "test")}
        lm = NGramLM.fit(ids["train"], vocab, args.order, lowercase=config.lowercase)
        metrics = {"model": "kn", "order": args.order}
        for s in ("valid",) + (() if args.no_test else ("test",)):
            if ids[s].size:
                rep = lm.perplexity(ids[s])
                metrics[f"{s}_perplexity"] = rep.perplexity
                metrics[f"{s}_unk_tokens"] = rep.unk_tokens
        metrics.update({"vocab_size": len(vocab), "tokens": {s: int(a.size) for s, a in ids.items()},
                        "seconds": round(time.perf_counter() - t0, 3), **protocol})
        if args.output:
            lm.save(args.output, meta={**_corpus_meta(args, splits), "min_count": config.min_count})
    else:
        ops = device_ops(args)
        result = train_lm(config, splits, vocab=vocab, output=None, checkpoint=args.checkpoint,
                          resume=args.resume, verbose=logging.getLogger().isEnabledFor(logging.INFO),
                          evaluate_test=not args.no_test, meta=_corpus_meta(args, splits), device=ops)
        lm = result.model
        protocol["device"] = ops.device
        metrics = {"model": "nn", **result.metrics(), "seconds": round(time.perf_counter() - t0, 3), **protocol}
        if args.output:
            lm.save(args.output, meta={**_corpus_meta(args, splits), "training": {
                "best_epoch": result.best_epoch, "valid_perplexity": result.valid_perplexity,
                "history": result.history}})
        if args.export_vectors:
            lm.save_word2vec_format(args.export_vectors)
        if args.wordsim:
            ws = lm.wordsim353()
            metrics.update({"wordsim353_spearman": ws["spearman"], "wordsim353_oov_ratio": ws["oov_ratio"]})
        if args.plot:
            from ffnlp.plot import plot_lm_history

            plot_lm_history(result.history, args.plot, best_epoch=result.best_epoch, title=_plot_title(args, lm))
    _report(args, metrics)


def _report(args, metrics):
    if args.json:
        emit_json(metrics)
    else:
        emit_metrics(metrics)


# ---------------------------------------------------------------------------------------------- score
def cmd_perplexity(args):
    from ffnlp.tasks.lm import MixedLM, NGramLM, WindowLM, load_lm

    t0 = time.perf_counter()
    _check_encoding(args.encoding)
    ops = device_ops(args)
    lm = load_lm(args.model)
    if isinstance(lm, WindowLM):
        lm.net.to_ops(ops)
    meta = getattr(lm, "meta_", {}) or {}
    reading = dict(meta.get("reading") or {"corpus": meta.get("corpus") or DEFAULT_CORPUS, "train": None,
                                           "valid": None, "test": None, "encoding": meta.get("encoding")})
    if args.corpus:  # another corpus, read as the model's was
        reading.update({"corpus": args.corpus, "train": None, "valid": None, "test": None})
    if args.encoding:
        reading["encoding"] = args.encoding
    corpus = reading["corpus"] or reading["train"]
    splits = _load_corpus(reading)
    add_eos = lm.config.sentence_ends if isinstance(lm, WindowLM) else meta.get("sentence_ends", True)
    ids = lm.vocab.encode_sentences(splits.split(args.split), add_eos=add_eos)
    if ids.size == 0:
        raise FFNLPError(f"the {args.split} split of {corpus} is empty")
    metrics = {"model": "nn" if isinstance(lm, WindowLM) else "kn", "corpus": corpus, "split": args.split}
    if args.mix:
        if not isinstance(lm, WindowLM):
            raise FFNLPError("--mix interpolates a neural model with an n-gram model: give the neural model first")
        kn = load_lm(args.mix)
        if not isinstance(kn, NGramLM):
            raise FFNLPError(f"{args.mix}: --mix needs an n-gram model file ('ffnlp lm train --model kn')")
        valid = lm.vocab.encode_sentences(splits.valid, add_eos=add_eos)
        if valid.size == 0:
            raise FFNLPError(f"the validation split of {corpus} is empty: cannot tune the mixing weight")
        mix = MixedLM(lm, kn).tune(valid)
        nn_rep, kn_rep, rep = lm.perplexity(ids), kn.perplexity(ids), mix.perplexity(ids)
        metrics.update({"nn_perplexity": nn_rep.perplexity, "kn_perplexity": kn_rep.perplexity,
                        "mix_lambda": mix.lam, "mix_valid_perplexity": mix.tuned_perplexity_})
    else:
        rep = lm.perplexity(ids)
    metrics.update({f"{args.split}_perplexity": rep.perplexity, "perplexity": rep.perplexity,
                    "mean_nll": rep.mean_nll, "tokens": rep.tokens, "unk_tokens": rep.unk_tokens,
                    "eos_tokens": rep.eos_tokens, "vocab_size": len(lm.vocab),
                    "seconds": round(time.perf_counter() - t0, 3),
                    "counting": "every predicted token" + (", </s> included" if add_eos else "") + ", <unk> counted"})
    _report(args, metrics)


def cmd_predict(args):
    import sys

    from ffnlp.tasks.lm import load_lm

    lm = _on_device(load_lm(args.model), args)
    context = sys.stdin.read() if args.context == "-" else args.context
    if args.k < 1:
        raise FFNLPError(f"--k must be >= 1, got {args.k}")
    top = lm.predict_next(context, k=args.k)
    if args.json:
        emit_json({"context": context, "predictions": [{"token": w, "probability": p} for w, p in top]})
    else:
        for w, p in top:
            print(f"{w}\t{p:.6f}")


def cmd_generate(args):
    from ffnlp.tasks.lm import load_lm

    if not (math.isfinite(args.temperature) and args.temperature > 0):
        raise FFNLPError(f"--temperature must be a positive finite number, got {args.temperature}")
    if args.top_k is not None and args.top_k < 1:
        raise FFNLPError(f"--top-k must be >= 1, got {args.top_k}")
    if args.tokens < 0:
        raise FFNLPError(f"--tokens must be >= 0, got {args.tokens}")
    lm = _on_device(load_lm(args.model), args)
    tokens = lm.generate(args.prompt, args.tokens, temperature=args.temperature, top_k=args.top_k, seed=args.seed)
    text = " ".join(tokens).replace(" </s> ", "\n").replace("</s>", "").strip()
    if args.json:
        emit_json({"prompt": args.prompt, "tokens": tokens, "text": text, "seed": args.seed})
    else:
        print((args.prompt + " " if args.prompt else "") + text)


# ---------------------------------------------------------------------------------------------- pictures
def _on_device(lm, args):
    """A loaded model on the backend ``--device`` names (n-gram models have no arrays to move)."""
    ops = device_ops(args)
    net = getattr(lm, "net", None)
    if net is not None:
        net.to_ops(ops)
    return lm


def _plot_title(args, lm) -> str:
    corpus = getattr(args, "corpus", None) or getattr(args, "train", None) or \
        (getattr(lm, "meta_", None) or {}).get("corpus") or DEFAULT_CORPUS
    c = lm.config
    hidden = ",".join(map(str, c.hidden_layer_sizes)) or "none"
    return f"window LM on {corpus}: n={c.context_size + 1}, m={c.embedding_dim}, h={hidden}, {c.solver}"


def _load_window_lm(path, what):
    from ffnlp.tasks.lm import WindowLM, load_lm

    lm = load_lm(path)
    if not isinstance(lm, WindowLM):
        raise FFNLPError(f"{path}: an n-gram model has no {what}; give a neural model file")
    return lm


def cmd_plot(args):
    from ffnlp.plot import check_plot_path, plot_lm_history

    check_plot_path(args.output, flag="--output")
    lm = _load_window_lm(args.model, "training history")
    training = (getattr(lm, "meta_", None) or {}).get("training") or {}
    history = training.get("history")
    if not history:
        raise FFNLPError(f"{args.model}: the file keeps no training history (files written during training keep "
                         "only their epoch: plot the final --output or the --checkpoint file)")
    path = plot_lm_history(history, args.output, best_epoch=training.get("best_epoch"), title=_plot_title(args, lm))
    emit_metrics({"epochs": len(history), "best_epoch": training.get("best_epoch") or 0, "output": str(path)})


def cmd_vectors(args):
    if not args.output and not args.plot:
        raise FFNLPError("give --output FILE (word2vec format), --plot FILE.png (a map), or both")
    if args.plot:
        from ffnlp.plot import check_plot_path

        check_plot_path(args.plot)
    if args.output:
        check_outputs(args, {"output": "--output"}, inputs=[args.model])
    if args.plot_words < 3:
        raise FFNLPError(f"--plot-words must be at least 3, got {args.plot_words}")
    lm = _load_window_lm(args.model, "word embeddings")
    summary = {"words": len(lm.vocab), "dim": int(lm.config.embedding_dim)}
    if args.output:
        summary["output"] = str(lm.save_word2vec_format(args.output, binary=str(args.output).endswith(".bin")))
    if args.plot:
        from ffnlp.plot import plot_embedding_map

        corpus = (getattr(lm, "meta_", None) or {}).get("corpus") or "its corpus"
        summary["plot"] = str(plot_embedding_map(
            lm.to_keyed_vectors(), args.plot, n_words=args.plot_words, method=args.plot_method,
            title=f"window LM embeddings ({corpus}): the {args.plot_words} most frequent words, "
                  f"{'PCA' if args.plot_method == 'pca' else 't-SNE'}"))
    emit_metrics(summary)
