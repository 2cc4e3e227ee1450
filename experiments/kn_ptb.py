"""Modified Kneser-Ney n-gram baselines (orders 2..5) on Mikolov's Penn Treebank.

Reference: Mikolov et al. (2011), "Empirical evaluation and combination of advanced language
modeling techniques" (Interspeech), Table 1: SRILM's interpolated modified KN5 (``ngram-count
-order 5 -kndiscount -interpolate``, no count cut-offs), vocabulary 10k words + ``</s>``, one
sentence per line: test perplexity 141.2. ``KneserNeyLM`` follows SRILM's conventions (histories
reset at ``</s>``, ``<s>``-initial n-grams keep raw counts), so KN5 should land within 3%.

Run::

    .venv/bin/python experiments/kn_ptb.py            # prints one JSON line, writes results/kn_ptb.json
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from ffnlp.baselines.lm import KneserNeyLM
from ffnlp.text import Vocab, load_lm_corpus

NAME = "kn_ptb"
RESULTS = Path(__file__).resolve().parent / "results"
#: Expected band: KN5 test perplexity within 3% of Mikolov et al.'s 141.2.
REFERENCE_KN5_TEST = 141.2
BAND = (REFERENCE_KN5_TEST * 0.97, REFERENCE_KN5_TEST * 1.03)


def run(orders=(2, 3, 4, 5), *, resets=(True, False)) -> dict:
    """Fit and score one model per (order, reset) pair; return the results dict."""
    t0 = time.perf_counter()
    splits = load_lm_corpus("ptb")
    vocab = Vocab.build(splits.train)                         # all 10k PTB words: no cut-off
    ids = {s: vocab.encode_sentences(splits.split(s)) for s in ("train", "valid", "test")}
    load_s = time.perf_counter() - t0
    runs = []
    for reset in resets:
        for order in orders:
            t = time.perf_counter()
            lm = KneserNeyLM(order).fit(ids["train"], len(vocab), bos_id=vocab.bos_id,
                                        eos_id=vocab.eos_id if reset else None,
                                        unk_id=vocab.unk_id, pad_id=vocab.pad_id)
            fit_s = time.perf_counter() - t
            t = time.perf_counter()
            valid_ppl = lm.perplexity(ids["valid"])
            test_ppl = lm.perplexity(ids["test"])
            score_s = time.perf_counter() - t
            runs.append({"order": order, "eos_reset": reset, "valid_ppl": round(valid_ppl, 3),
                         "test_ppl": round(test_ppl, 3), "fit_s": round(fit_s, 3),
                         "score_s": round(score_s, 3), "n_ngrams": lm.n_ngrams_.tolist(),
                         "discounts": lm.discounts_.round(4).tolist()})
    kn5 = next((r for r in runs if r["order"] == 5 and r["eos_reset"]), None)
    return {
        "name": NAME,
        "corpus": splits.description,
        "vocab_size": len(vocab),
        "n_predictable": len(vocab) - 2,
        "tokens": {s: int(a.shape[0]) for s, a in ids.items()},
        "load_s": round(load_s, 3),
        "runs": runs,
        "reference": {"kn5_test_ppl": REFERENCE_KN5_TEST, "source": "Mikolov et al. 2011, SRILM KN5"},
        "expected_band_kn5_test": [round(b, 2) for b in BAND],
        "kn5_in_band": None if kn5 is None else BAND[0] <= kn5["test_ppl"] <= BAND[1],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[2, 3, 4, 5], help="n-gram orders (default: 2 3 4 5)")
    parser.add_argument("--no-stream", action="store_true",
                        help="skip the variant without sentence resets (default: run both)")
    parser.add_argument("--out", type=Path, default=RESULTS / f"{NAME}.json", help="results file (default: %(default)s)")
    args = parser.parse_args(argv)
    result = run(tuple(args.orders), resets=(True,) if args.no_stream else (True, False))
    line = json.dumps(result)
    print(line)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(line + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
