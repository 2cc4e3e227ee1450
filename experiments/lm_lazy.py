"""The perplexity cost of lazy (row-sparse) optimizer updates of the class-factored output.

The same window LM (a corpus's preset, same seed) trained twice: with the output's word rows updated densely
every step (the default) and lazily, only the rows of the classes a batch used (``--lazy-output``: their Adam
moments and momentum wait until the class is used again, as the embeddings' always do). Reports validation and
test perplexity and tokens/s of both; ``--max-epochs`` caps the runs (both get the same cap).

    python experiments/lm_lazy.py --corpus lee              # about a minute on an idle 2-core machine
    python experiments/lm_lazy.py --corpus ptb --max-epochs 2

Results: ``experiments/results/lm_lazy_<corpus>.json`` with the machine, the command and the date.
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
from pathlib import Path

from ffnlp.tasks.lm import corpus_config, train_lm
from ffnlp.text import load_lm_corpus

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="lee")
    ap.add_argument("--max-epochs", type=int, default=None)
    args = ap.parse_args(argv)
    splits = load_lm_corpus(args.corpus)
    base, preset, _ = corpus_config(splits)            # the preset and protocol 'ffnlp lm train' uses
    if args.max_epochs:
        base = base.replace(epochs=min(base.epochs, args.max_epochs))
    out = {"name": "lm_lazy", "corpus": args.corpus, "date": datetime.datetime.now().isoformat(timespec="seconds"),
           "machine": f"{platform.node()} {platform.machine()}, shared with other jobs",
           "command": "python experiments/lm_lazy.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "preset": preset, "config": base.to_dict()}
    for lazy in (False, True):
        r = train_lm(base.replace(lazy_output=lazy), splits, evaluate_test=True, verbose=False)
        out["lazy" if lazy else "dense"] = {
            "valid_perplexity": round(r.valid_perplexity, 2), "test_perplexity": round(r.test.perplexity, 2),
            "best_epoch": r.best_epoch, "epochs": r.epochs, "tokens_per_second": round(r.tokens_per_second, 1)}
        print(json.dumps(out["lazy" if lazy else "dense"]), file=sys.stderr)
    out["test_perplexity_ratio_lazy_over_dense"] = round(out["lazy"]["test_perplexity"] /
                                                         out["dense"]["test_perplexity"], 4)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"lm_lazy_{args.corpus}.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
