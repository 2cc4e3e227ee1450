"""Two forms of one data-parallel step compared inside one run, so that the machine's drift falls on both.

On the 2-core VM the speed of a whole run drifts by 30-50% from one run to the next, which hides any change
of a few percent between runs. Here one 2-process run of the PTB recipe (as ``mpi_scaling.py``: global
batch 256, one epoch over the first ``--train-tokens`` training tokens, one BLAS thread per process)
switches between the two forms every ``--block`` steps, and the first process records every step's wall
time (from one step's start to the next's). The summary is the median step of each form, and their ratio,
per run; ``--runs`` runs.

Toggles (``--toggle``):

- ``deferred-gather``: the dense parameters' allgather after the sharded optimizer step, at once in the
  optimizer's step (``immediate``, the library's layout) or deferred to the step's end, just before the
  stop flag's allreduce (``deferred``, patched in here: the step's sparse updates and callbacks then run
  between the same two waits as the dense update). It made no measurable difference (2026-12-01), so the
  library keeps the immediate form.
- ``row-cost``: the split output's classes cut with a row update costing ``OutputShard.ROW_COST`` (1.86
  units, measured on one process alone) or ``ROW_COST_SHARED`` (3.5, for processes sharing a machine).
  At each switch every process first takes the whole output and its optimizer state from their owners (a
  step that the median leaves out), then the classes are cut again from the first batch's targets. The
  first process also records the seconds it waited in the input gradients' exchange
  (``wait_ms``, per form).
- ``balance``: ``DataParallel(balance=True)`` in both forms, with even shares of each batch (``even``) or
  the shares its controller sets from the processes' measured compute times (``balanced``); the controller
  learns from the balanced steps only and keeps its shares through the even blocks.

Run (about 1.5 minutes per run on the 2-core machine)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python experiments/mpi_paired.py --runs 3

Writes ``experiments/results/mpi_paired_TOGGLE.json``.
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

RESULTS = Path(__file__).resolve().parent / "results"
TOGGLES = {"deferred-gather": ("immediate", "deferred"), "row-cost": ("row-cost-1.86", "row-cost-3.5"),
           "balance": ("even", "balanced")}


def worker(args):
    """One process of a run: patch the toggle, train, and (first process) write the step times."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import ffnlp.distributed as D
    import mpi_scaling

    block = args.block
    steps = {"n": 0, "t": None}
    rec = []

    def second(step):            # the form of step ``step`` (counted from 0): False the first, True the second
        return (step // block) % 2 == 1

    if args.toggle == "deferred-gather":
        from ffnlp.nn.optimizers import Optimizer

        gather, step, on_sync = D.DataParallel.gather, Optimizer.step, D.DataParallel.on_sync
        pending, deferring = [], [False]

        def deferring_step(self, model):        # the parameters' gathers of this step wait for on_sync
            deferring[0] = second(steps["n"] - 1)
            try:
                return step(self, model)
            finally:
                deferring[0] = False

        def maybe_deferred_gather(self, i, arr):
            if deferring[0]:
                pending.append((self, i, arr))
            else:
                gather(self, i, arr)

        def flushing_on_sync(self, state):
            while pending:
                gather(*pending.pop(0))
            return on_sync(self, state)
        Optimizer.step, D.DataParallel.gather, D.DataParallel.on_sync = \
            deferring_step, maybe_deferred_gather, flushing_on_sync

    waits = {False: [], True: []}
    if args.toggle == "row-cost":
        costs = {False: D.OutputShard.ROW_COST, True: D.OutputShard.ROW_COST_SHARED}
        cut = D.OutputShard._cut

        def first_cut(self, targets):
            self.first_targets, self.row_cost = targets, costs[False]
            return cut(self, targets)
        D.OutputShard._cut = first_cut
        loss = D.OutputShard.loss

        def switching_loss(self, X, y, sample_weight=None):
            form = second(steps["n"] - 1)
            if self.classes is not None and self.row_cost != costs[form]:
                self.gather()                   # the whole output and its optimizer state, everywhere
                opt = self.optimizer
                for idx, (layer, key) in enumerate(getattr(opt, "_sparse", ())):
                    if layer is self.layer and key in self.keys:
                        for arr in opt._sparse_state.get((idx, key), {}).values():
                            self.gather_array(arr)
                self.row_cost = costs[form]
                cut(self, self.first_targets)
            comm = self.dp.comm
            reduce_scatter = comm.Reduce_scatter
            spent = []

            def timed(*a, **k):
                t0 = time.perf_counter()
                try:
                    return reduce_scatter(*a, **k)
                finally:
                    spent.append(time.perf_counter() - t0)
            self.dp.comm = _Proxy(comm, Reduce_scatter=timed)
            try:
                return loss(self, X, y, sample_weight)
            finally:
                self.dp.comm = comm
                waits[form].append(sum(spent))
        D.OutputShard.loss = switching_loss

    if args.toggle == "balance":
        share_counts, rebalance = D.DataParallel.share_counts, D.DataParallel._rebalance

        def switching_counts(self, n):          # even shares in the first form's steps
            if not second(steps["n"] - 1):
                return D.even_counts(n, self.world_size)
            return share_counts(self, n)

        def second_form_rebalance(self, times):   # the controller learns from the balanced steps only
            if second(steps["n"] - 1):
                rebalance(self, times)
        D.DataParallel.share_counts, D.DataParallel._rebalance = switching_counts, second_form_rebalance

    shard = D.DataParallel.shard

    def timed_shard(self, state, idx):
        now = time.perf_counter()
        if steps["t"] is not None:
            rec.append((bool(second(steps["n"] - 1)), now - steps["t"]))
        steps["t"] = now
        steps["n"] += 1
        return shard(self, state, idx)
    D.DataParallel.shard = timed_shard

    margs = argparse.Namespace(train_tokens=args.train_tokens, batch_size=256, lazy_output=False, no_shard=False,
                               no_output_parallel=False, balance=args.toggle == "balance",
                               out=args.out + ".scaling")
    mpi_scaling.worker(margs)
    if D.world_rank() == 0:
        Path(args.out).write_text(json.dumps({"steps": rec, "waits": {str(k): v for k, v in waits.items()}}))


class _Proxy:
    """A communicator with some methods replaced."""

    def __init__(self, comm, **methods):
        self._comm, self._methods = comm, methods

    def __getattr__(self, name):
        return self._methods.get(name) or getattr(self._comm, name)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--toggle", choices=sorted(TOGGLES), default="deferred-gather")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--block", type=int, default=20, help="steps of one form before switching")
    p.add_argument("--train-tokens", type=int, default=240_000)
    p.add_argument("--skip", type=int, default=5, help="first steps left out (binding, warm caches)")
    p.add_argument("--note", default="", help="what else the machine was running (stored with the results)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    first, second = TOGGLES[args.toggle]
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    started = datetime.datetime.now(datetime.timezone.utc)
    tmp = RESULTS / ".mpi_paired.run.json"
    runs = []
    for r in range(args.runs):
        subprocess.run([mpiexec, "-n", "2", sys.executable, __file__, "--worker", "--toggle", args.toggle,
                        "--block", str(args.block), "--train-tokens", str(args.train_tokens), "--out", str(tmp)],
                       check=True, env=env)
        got = json.loads(tmp.read_text())
        rec = got["steps"][args.skip:]
        tmp.unlink()
        Path(str(tmp) + ".scaling").unlink(missing_ok=True)
        a = [t for s, t in rec if not s]
        b = [t for s, t in rec if s]
        row = {"run": r + 1, f"{first}_ms": 1e3 * statistics.median(a), f"{second}_ms": 1e3 * statistics.median(b),
               "steps": [len(a), len(b)]}
        row["ratio"] = row[f"{first}_ms"] / row[f"{second}_ms"]
        for form, key in ((first, "False"), (second, "True")):
            if got["waits"][key]:
                row[f"{form}_wait_ms"] = 1e3 * statistics.median(got["waits"][key][args.skip:] or got["waits"][key])
        runs.append(row)
        waited = (f"; first process's wait in the input gradients' exchange {row[f'{first}_wait_ms']:.2f} and "
                  f"{row[f'{second}_wait_ms']:.2f} ms") if f"{first}_wait_ms" in row else ""
        print(f"run {r + 1}: {first} {row[f'{first}_ms']:.2f} ms, {second} {row[f'{second}_ms']:.2f} ms per step "
              f"(median of {len(a)} and {len(b)} steps): {first} / {second} = {row['ratio']:.3f}{waited}",
              file=sys.stderr)
    result = {"name": "mpi_paired", "toggle": args.toggle, "forms": [first, second],
              "date": started.isoformat(timespec="seconds"),
              "command": "python experiments/mpi_paired.py " + " ".join(argv or sys.argv[1:]),
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                          "note": args.note},
              "config": {"preset": "ptb", "batch_size": 256, "train_tokens": args.train_tokens, "block": args.block,
                         "processes": 2, "blas_threads_per_process": 1},
              "runs": runs, "median_ratio": statistics.median(r["ratio"] for r in runs)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"mpi_paired_{args.toggle}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"{first} / {second}: median ratio {result['median_ratio']:.3f} over {len(runs)} runs")
    return result


if __name__ == "__main__":
    main()
