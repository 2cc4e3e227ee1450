"""Summarize ``experiments/results/textcat_*.json`` (written by ``textcat_compare.py``) as Markdown.

Usage: ``python experiments/textcat_summary.py > experiments/results/textcat_summary.md``
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ffnlp.tasks.compare import Row, format_rows

RESULTS = Path(__file__).resolve().parent / "results"
ORDER = ["mr", "trec", "sst2", "sst2_phrases", "sst1", "20ng", "sms", "mini_newsgroup", "polarity"]


def main() -> int:
    records = {}
    for path in sorted(RESULTS.glob("textcat_*.json")):
        rec = json.loads(path.read_text())
        if rec.get("experiment") == "textcat_compare":
            records[rec["dataset"]] = rec
    if not records:
        print("no results yet", file=sys.stderr)
        return 1
    names = [n for n in ORDER if n in records] + sorted(set(records) - set(ORDER))
    print("Rows are merged from several runs (each dataset's section names its last command and date); training")
    print("times are those of each row's own run, on a shared machine, so compare times within one run only")
    print("(`experiments/bench_textcat.py` measures the peers together).")
    print()
    print("| dataset | protocol | target | best ffnlp | best scikit-learn | ffnlp ahead | ffnlp_dan s/fit |")
    print("|---|---|---:|---|---|---|---:|")
    for name in names:
        rec = records[name]
        rows = {r["model"]: r for r in rec["rows"]}
        bf, bb = rows.get(rec["best_ffnlp"]), rows.get(rec["best_baseline"])
        target = f"{100 * rec['target_accuracy']:.1f}" if rec.get("target_accuracy") else "-"
        met = "" if rec.get("meets_target") is None else (" (meets)" if rec["meets_target"] else " (below)")
        dan = rows.get("ffnlp_dan")
        print(f"| {name} | {rec['protocol']} | {target} | "
              f"{bf['model']} {100 * bf['accuracy']:.2f}{met} | {bb['model']} {100 * bb['accuracy']:.2f} | "
              f"{'yes' if rec['ffnlp_ahead_of_baselines'] else 'no'} | "
              f"{dan['train_seconds']:.1f} |" if bf and bb and dan else f"| {name} | incomplete |")
    for name in names:
        rec = records[name]
        print(f"\n### {name}\n\n{rec['protocol']}; {rec['n_train']} train / {rec['n_test']} test, "
              f"{rec['n_classes']} classes. Command: `{rec['command']}` ({rec['date']}, {rec['machine']['node']}, "
              f"{rec['machine']['cpus']} CPUs, commit {str(rec.get('git_commit'))[:7]}).\n")
        rows = [Row(**{k: v for k, v in r.items()}) for r in rec["rows"]]
        print(format_rows(rows, "markdown"))
        repeated = [f"{r.model} {r.seeds}" for r in rows if r.seeds > 1]
        if repeated:
            print(f"\nModel seeds per split (mean and std over the runs): {', '.join(repeated)}; "
                  "1 for the other rows.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
