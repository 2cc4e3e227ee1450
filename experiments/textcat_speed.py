"""Training throughput of the default text classifier on one core, in tokens per second (issue 11's target:
>= 1M tokens/s, fastText's 1-3M words/s per thread).

Each run is one process that fits ``FFNTextClassifier()`` (the defaults) on all of a dataset's training
documents with one BLAS thread, and reads ``tokens_per_second_``: the tokens of the training epochs over
their seconds (featurization, the vocabulary and the statistics are not in it; ``classify train --json``
reports the same figure). ``--baseline DIR`` also runs a checkout of another commit (``git worktree add DIR
COMMIT``) in the same loop, alternating with this one, so that the two are timed under the same load; the
ratio is of the medians. Checking that both give the same predictions is the job of the tests, not of this
script.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python experiments/textcat_speed.py --repeats 8
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python experiments/textcat_speed.py --baseline /tmp/base

The results go to ``experiments/results/textcat_speed.json``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent


def one_run(dataset: str, seed: int) -> dict:
    from ffnlp.tasks.textcat import FFNTextClassifier
    from ffnlp.text.labeled import load_textcat_dataset

    ds = load_textcat_dataset(dataset)
    clf = FFNTextClassifier(random_state=seed).fit(ds.train.texts, ds.train.labels)
    return {"tokens_per_second": clf.tokens_per_second_, "n_tokens": clf.n_tokens_, "epochs": clf.n_iter_,
            "n_params": clf.model_.n_params()}


def run_in(checkout: Path, dataset: str, seed: int) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONPATH": str(checkout), "FFNLP_DATA": os.environ.get("FFNLP_DATA", str(ROOT.parent / "shared" / "data"))}
    out = subprocess.run([sys.executable, __file__, "--one", dataset, "--seed", str(seed)], env=env, cwd=checkout,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def commit_of(checkout: Path) -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="mr")
    p.add_argument("--repeats", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--baseline", type=Path, default=None, help="a checkout of another commit, timed alternately")
    p.add_argument("--note", default="", help="what else the machine was running (stored with the results)")
    p.add_argument("--out", type=Path, default=RESULTS / "textcat_speed.json")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(one_run(args.one, args.seed)))
        return 0
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    checkouts = {"this": ROOT} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    runs = {name: [] for name in checkouts}
    for rep in range(args.repeats):
        for name, path in checkouts.items():
            r = run_in(path, args.dataset, args.seed)
            runs[name].append(r)
            print(f"{name} run {rep + 1}: {r['tokens_per_second']:,.0f} tokens/s", file=sys.stderr)
    summary = {}
    for name, rs in runs.items():
        tps = [r["tokens_per_second"] for r in rs]
        summary[name] = {"commit": commit_of(checkouts[name]), "median_tokens_per_second": float(np.median(tps)),
                         "min": float(min(tps)), "max": float(max(tps)), "n_params": rs[0]["n_params"],
                         "epochs": rs[0]["epochs"], "tokens": rs[0]["n_tokens"]}
    if "baseline" in summary:
        summary["ratio_this_to_baseline"] = (summary["this"]["median_tokens_per_second"]
                                             / summary["baseline"]["median_tokens_per_second"])
    out = {"dataset": args.dataset, "repeats": args.repeats, "summary": summary, "runs": runs,
           "date": started.isoformat(timespec="seconds"), "note": args.note,
           "command": "python experiments/textcat_speed.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "machine": {"node": platform.node(), "processor": platform.processor() or platform.machine(),
                       "cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
                       "load_average_before": load_before, "load_average_after": os.getloadavg()}}
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=1) + "\n")
    tmp.replace(args.out)
    for name, s in summary.items():
        if isinstance(s, dict):
            print(f"{name} ({s['commit']}): median {s['median_tokens_per_second']:,.0f} tokens/s "
                  f"(min {s['min']:,.0f}, max {s['max']:,.0f}) over {args.repeats} runs")
    if "ratio_this_to_baseline" in summary:
        print(f"ratio {summary['ratio_this_to_baseline']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
