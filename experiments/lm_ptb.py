"""Window neural LM on Mikolov's Penn Treebank (10k vocabulary), against and mixed with KN5.

Reference: Mikolov (2012, thesis, Table 4.1 / Mikolov et al. 2011): KN5 141.2, feedforward NNLM 140.2 test
perplexity. Target of issue 3: WindowLM <= 140. Every line ends in ``</s>`` (PTB's ``<eos>``), which is
predicted and counted; contexts run across line ends (``cross_sentence``), as in Mikolov's stream. The KN5
baseline is ffnlp's (:mod:`ffnlp.baselines.lm`, histories reset at ``</s>`` as SRILM does); the mixing weight
is tuned on the validation split only.

Run (progress on stderr)::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python experiments/lm_ptb.py \\
        --checkpoint /tmp/lm_ptb.ckpt.npz --output /tmp/lm_ptb.npz

The defaults are the reported recipe (``LMConfig.preset("ptb")``): n = 5, m = 128, two ReLU hidden layers
of 400, no direct connections, class-factored output, dropout 0.2 on the context embeddings and 0.4 on the
hidden layers, SGD with momentum 0.9 from lr 0.05, Bengio's decay and halving on plateaus.
"""
from __future__ import annotations

import argparse
import datetime
import json
import logging
import platform
import resource
import sys
import time
from pathlib import Path

from ffnlp.config import LMConfig
from ffnlp.tasks.lm import MixedLM, NGramLM, train_lm
from ffnlp.text import Vocab, load_lm_corpus

NAME = "lm_ptb"
RESULTS = Path(__file__).resolve().parent / "results"
REFERENCE = {"kn5_test": 141.2, "ffnn_test": 140.2, "source": "Mikolov 2012 thesis / Mikolov et al. 2011"}
TARGETS = {"window_lm_test_max": 140.0}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Defaults: the recipe of the reported run (LMConfig.preset("ptb")).
    p.add_argument("--context", type=int, default=4)
    p.add_argument("--embedding-dim", type=int, default=128)
    p.add_argument("--hidden", type=int, nargs="*", default=[400, 400])
    p.add_argument("--direct", action=argparse.BooleanOptionalAction, default=False,
                   help="direct input-to-output connections (Bengio's W)")
    p.add_argument("--output-kind", choices=["full", "factored"], default="factored")
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="sgd")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--lr-decay", type=float, default=1e-5)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--halve-lr", action=argparse.BooleanOptionalAction, default=True,
                   help="halve the learning rate on a plateau (Mikolov)")
    p.add_argument("--adam-eps", type=float, default=1e-5)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--dropout", type=float, default=0.4)
    p.add_argument("--input-dropout", type=float, default=0.2)
    p.add_argument("--activation", default="relu")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--max-minutes", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=1000)
    p.add_argument("--output", type=Path, default=None)
    p.add_argument("--checkpoint", type=Path, default=None)
    p.add_argument("--note", default="", help="free text stored in the results (e.g. how a run was resumed)")
    p.add_argument("--out", type=Path, default=RESULTS / f"{NAME}.json")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    t0 = time.perf_counter()
    splits = load_lm_corpus("ptb")
    config = LMConfig.preset("ptb").replace(
        context_size=args.context, embedding_dim=args.embedding_dim, hidden=tuple(args.hidden),
        direct=args.direct, output=args.output_kind, optimizer=args.optimizer, learning_rate=args.lr,
        lr_decay=args.lr_decay, momentum=args.momentum, adam_eps=args.adam_eps, halve_lr_on_plateau=args.halve_lr, weight_decay=args.weight_decay,
        dropout=args.dropout, input_dropout=args.input_dropout, activation=args.activation, batch_size=args.batch_size, epochs=args.epochs, n_iter_no_change=args.patience,
        max_seconds=args.max_minutes * 60 if args.max_minutes else None, cross_sentence=True, seed=args.seed,
        log_every=args.log_every)
    vocab = Vocab.build(splits.train)
    ids = {s: vocab.encode_sentences(splits.split(s)) for s in ("train", "valid", "test")}
    result = train_lm(config, ids, vocab=vocab, output=args.output, checkpoint=args.checkpoint,
                      resume=args.checkpoint is not None, evaluate_test=True, meta={"corpus": "ptb"})
    lm = result.model
    kn = NGramLM.fit(ids["train"], vocab, 5)
    kn_valid, kn_test = kn.perplexity(ids["valid"]).perplexity, kn.perplexity(ids["test"]).perplexity
    mix = MixedLM(lm, kn).tune(ids["valid"])
    mix_test = mix.perplexity(ids["test"]).perplexity
    out = {
        "name": NAME,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()} (2 cores shared with other jobs)",
        "command": "OPENBLAS_NUM_THREADS=1 .venv/bin/python experiments/lm_ptb.py " + " ".join(argv or sys.argv[1:]),
        "corpus": splits.description,
        "vocab_size": len(vocab),
        "tokens": {s: int(a.size) for s, a in ids.items()},
        "config": config.to_dict(),
        "parameters": lm.net.n_params(),
        "history": result.history,
        "best_epoch": result.best_epoch,
        "epoch_seconds_total": round(sum(h["seconds"] + h.get("valid_seconds", 0.0) for h in result.history), 1),
        "note": args.note,
        "train_seconds": round(result.seconds, 1),
        "valid_perplexity": result.valid_perplexity,
        "test_perplexity": result.test.perplexity,
        "test_tokens": result.test.tokens,
        "kn5": {"valid_perplexity": kn_valid, "test_perplexity": kn_test},
        "mix": {"lambda_nn": mix.lam, "valid_perplexity": mix.tuned_perplexity_, "test_perplexity": mix_test},
        "wordsim353": lm.wordsim353(),
        "reference": REFERENCE,
        "targets": TARGETS,
        "meets_targets": {"window_lm": result.test.perplexity <= TARGETS["window_lm_test_max"]},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "total_seconds": round(time.perf_counter() - t0, 1),
        "counting": "perplexity = exp(mean NLL) over every predicted token, </s> included, <unk> counted",
    }
    line = json.dumps(out)
    print(line)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(line + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
