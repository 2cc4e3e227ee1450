"""Where a 2-process step's time goes: each process's own compute, and its time inside MPI calls.

``mpi_scaling.py`` compares whole runs, and on the 2-core VM the 1-process run alone drifts by 30% from run
to run. Here each 2-process run of the same job (the PTB recipe, global batch 256, one epoch over the first
``--train-tokens`` training tokens, one BLAS thread per process; runs alternating 1 and 2 processes) also
records, per step and process, the seconds spent outside MPI calls (``DataParallel``'s timed communicator,
with even shares: the balancing controller only measures here). From them:

- ``compute / half``: a process's median compute per step over half the 1-process step of the run before
  it (1.0: splitting the step cost no extra work and the cores ran as fast as the one alone);
- ``busy``: the mean compute over the median step (the rest is the collectives' own cost and waiting);
- ``slower``: the median of the slower process's compute in each step, the step a perfect exchange would
  leave.

Run (about 2 minutes for 3 pairs on the 2-core machine)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python experiments/mpi_busy.py --runs 3

Writes ``experiments/results/mpi_busy.json``.
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

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def worker(args):
    """One process of a run: even shares, the per-step compute seconds and step times recorded."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import ffnlp.distributed as D
    import mpi_scaling

    rec = {"compute": [], "steps": []}
    last = [None]

    def even(self, n):
        return D.even_counts(n, self.world_size)

    def record(self, times):                 # every process's compute seconds of the step that ended
        rec["compute"].append([float(t) for t in times])

    shard = D.DataParallel.shard

    def timed_shard(self, state, idx):
        now = time.perf_counter()
        if last[0] is not None:
            rec["steps"].append(now - last[0])
        last[0] = now
        return shard(self, state, idx)
    D.DataParallel.share_counts, D.DataParallel._rebalance, D.DataParallel.shard = even, record, timed_shard
    margs = argparse.Namespace(train_tokens=args.train_tokens, batch_size=256, lazy_output=False, no_shard=False,
                               no_output_parallel=False, balance=D.launched_under_mpi(), out=args.out + ".scaling")
    mpi_scaling.worker(margs)
    if D.world_rank() == 0:
        run = json.loads(Path(args.out + ".scaling").read_text())
        Path(args.out + ".scaling").unlink()
        Path(args.out).write_text(json.dumps({**rec, "run": run}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=3, help="pairs of a 1-process and a 2-process run")
    p.add_argument("--train-tokens", type=int, default=120_000)
    p.add_argument("--skip", type=int, default=5, help="first steps left out (binding, warm caches)")
    p.add_argument("--note", default="", help="what else the machine was running (stored with the results)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    started = datetime.datetime.now(datetime.timezone.utc)
    tmp = RESULTS / ".mpi_busy.run.json"
    base = [sys.executable, __file__, "--worker", "--train-tokens", str(args.train_tokens), "--out", str(tmp)]
    runs = []
    for r in range(args.runs):
        subprocess.run(base, check=True, env=env)
        one = json.loads(tmp.read_text())["run"]
        subprocess.run([mpiexec, "-n", "2", *base], check=True, env=env)
        got = json.loads(tmp.read_text())
        tmp.unlink()
        step1 = one["train_seconds"] / max(one["steps"], 1)
        compute = np.array(got["compute"][args.skip:])             # (steps, processes)
        step2 = statistics.median(got["steps"][args.skip:])
        row = {"run": r + 1, "one_process_step_ms": 1e3 * step1, "two_process_step_ms": 1e3 * step2,
               "speedup": got["run"]["tokens_per_second"] / one["tokens_per_second"],
               "compute_ms": (1e3 * np.median(compute, axis=0)).tolist(),
               "compute_over_half": float(np.median(compute, axis=0).mean() / (step1 / 2)),
               "busy": float(np.median(compute, axis=0).mean() / step2),
               "slower_compute_ms": float(1e3 * np.median(compute.max(axis=1)))}
        runs.append(row)
        print(f"run {r + 1}: 1 process {row['one_process_step_ms']:.2f} ms a step, 2 processes "
              f"{row['two_process_step_ms']:.2f} ms ({row['speedup']:.2f}x); compute "
              f"{' and '.join(f'{c:.2f}' for c in row['compute_ms'])} ms (over half the 1-process step "
              f"{row['compute_over_half']:.3f}), busy {row['busy']:.3f}, the slower's compute "
              f"{row['slower_compute_ms']:.2f} ms", file=sys.stderr)
    med = {k: statistics.median(r[k] for r in runs) for k in ("speedup", "compute_over_half", "busy")}
    result = {"name": "mpi_busy", "date": started.isoformat(timespec="seconds"),
              "command": "python experiments/mpi_busy.py " + " ".join(argv or sys.argv[1:]),
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                          "note": args.note},
              "config": {"preset": "ptb", "batch_size": 256, "train_tokens": args.train_tokens, "skip": args.skip},
              "summary": med, "runs": runs}
    out = RESULTS / "mpi_busy.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"medians: speed-up {med['speedup']:.2f}x, compute over half {med['compute_over_half']:.3f}, "
          f"busy {med['busy']:.3f}; wrote {out}", file=sys.stderr)
    return result


if __name__ == "__main__":
    main()
