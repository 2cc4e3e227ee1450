"""``classify compare --jobs 2`` against ``--jobs 1``: wall time and the table (which must be the same).

Runs ``ffnlp classify compare --dataset DATASET --models MODELS --folds F --json -q`` with ``--jobs 1`` and
``--jobs 2``, alternating, ``--repeats`` times each (medians), checks that the accuracies of every fold
agree, and writes ``experiments/results/compare_jobs.json``.

Run::

    nice -n 10 /work/venv/bin/python experiments/compare_jobs.py
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

NAME = "compare_jobs"
RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="mr")
    p.add_argument("--models", default="ffnlp_dan,nbsvm,tfidf_logreg,tfidf_svm")
    p.add_argument("--folds", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--note", default="", help="what else the machine was running (stored with the results)")
    args = p.parse_args(argv)
    exe = str(Path(sys.executable).parent / "ffnlp")
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    runs = []
    tables = {}
    for rep in range(args.repeats):
        for jobs in (1, 2):
            cmd = [exe, "classify", "compare", "--dataset", args.dataset, "--models", args.models, "--folds",
                   str(args.folds), "--jobs", str(jobs), "--json", "-q"]
            t0 = time.perf_counter()
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            wall = time.perf_counter() - t0
            res = json.loads(out.strip().splitlines()[-1])
            table = [(r["model"], r["fold_accuracies"]) for r in res["rows"]]
            tables.setdefault(jobs, table)
            runs.append({"jobs": jobs, "repeat": rep, "wall_seconds": wall, "table": table})
            print(f"--jobs {jobs}, repeat {rep + 1}: {wall:.1f} s", file=sys.stderr)
    med = {j: statistics.median(r["wall_seconds"] for r in runs if r["jobs"] == j) for j in (1, 2)}
    same = all(r["table"] == tables[1] for r in runs)
    result = {"name": NAME, "date": started.isoformat(timespec="seconds"),
              "command": "nice -n 10 /work/venv/bin/python experiments/compare_jobs.py " + " ".join(argv or sys.argv[1:]),
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load_average_before": load_before,
                          "note": args.note},
              "dataset": args.dataset, "models": args.models, "folds": args.folds,
              "median_wall_seconds": {str(k): v for k, v in med.items()}, "speedup": med[1] / med[2],
              "same_table": same, "table": tables[1], "runs": runs}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{NAME}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({"speedup": result["speedup"], "same_table": same, "median_wall_seconds": med}))
    return result


if __name__ == "__main__":
    main()
