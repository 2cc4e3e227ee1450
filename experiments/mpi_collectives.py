"""The collectives of one data-parallel training step of the PTB window LM, timed alone (no compute).

With the output split by classes (``ffnlp.distributed.OutputShard``) one step of the PTB recipe (global batch
256, two hidden layers of 400, a class-factored output) sends, per process: the share's features and targets
to every process in one message (``Allgatherv`` of rows of ``H + 2`` floats: the features and the target's
bits), the input gradients back with one more row for the loss (``Reduce_scatter``), the dense gradients
(``Reduce_scatter``) and the updated dense parameters (``Allgatherv``), the touched embedding rows
(``Allgather`` of counts, ``Allgatherv`` of ids and of rows) and the stop flag with each process's compute
seconds (``Allreduce`` of ``1 + N`` floats): 8 collectives (``--layout before`` times the 10 of the layout
before 2026-12-01 17:00 UTC: features and targets apart, and the loss's own ``Allreduce``). This script runs exactly that sequence with buffers of the recipe's sizes, every process
arriving at once, so that its time per step is the exchange's own cost, without the waiting for a slower
process that a training run adds (``mpi_scaling.py`` measures the whole run).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE mpiexec -n 2 python experiments/mpi_collectives.py

The first process writes ``experiments/results/mpi_collectives.json``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def recipe_sizes():
    """(dense floats, embedding width, features per example) of the PTB recipe's network."""
    from ffnlp.config import LMConfig
    from ffnlp.nn.factored import frequency_classes
    from ffnlp.tasks.lm import build_network

    config = LMConfig.preset("ptb")
    V = 10002                                                    # PTB's vocabulary with <unk> and </s>
    starts = frequency_classes(1.0 / np.arange(1, V + 1), int(np.sqrt(V)))
    net = build_network(config, V, class_starts=starts)
    dense = sum(layer.params[k].size for _, layer, k in net.named_params()
                if k not in layer.sparse_params and k not in ("Wt", "b"))   # the shard's own rows stay home
    return int(dense), config.embedding_dim, int(net[1].n_in), config


def main(argv=None):
    from mpi4py import MPI

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--rows", type=int, default=288, help="touched embedding rows per process (PTB, 2 processes)")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--blocks", type=int, default=5)
    p.add_argument("--layout", choices=("now", "before"), default="now")
    args = p.parse_args(argv)
    comm = MPI.COMM_WORLD
    rank, N = comm.Get_rank(), comm.Get_size()
    dense_n, m, H, _ = recipe_sizes()
    B = args.batch_size
    counts = np.array([B * (r + 1) // N - B * r // N for r in range(N)], np.int64)
    n = int(counts[rank])
    rng = np.random.default_rng(rank)
    X, y = rng.random((n, H), dtype=np.float32), np.arange(n, dtype=np.int64)
    Xall, yall, dX = np.empty((B, H), np.float32), np.empty(B, np.int64), np.empty((n, H), np.float32)
    packed, pall = rng.random((n, H + 2), dtype=np.float32), np.empty((B, H + 2), np.float32)
    out_rows, back = np.zeros((B + N, H), np.float32), np.empty((n + 1, H), np.float32)
    dense = rng.random(dense_n, dtype=np.float32)
    d_counts = np.array([dense_n * (r + 1) // N - dense_n * r // N for r in range(N)], np.int64)
    d_displs = np.concatenate([[0], np.cumsum(d_counts)[:-1]])
    mine = np.empty(int(d_counts[rank]), np.float32)
    ids, vals = np.arange(args.rows, dtype=np.int64), rng.random((args.rows, m), dtype=np.float32)
    all_ids, all_vals = np.empty(args.rows * N, np.int64), np.empty(args.rows * N * m, np.float32)
    seconds = {}

    def timed(name, fn):
        t = time.perf_counter()
        fn()
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t

    def step():
        if args.layout == "before":
            timed("allgatherv features", lambda: comm.Allgatherv(X, [Xall, counts * H]))
            timed("allgatherv targets", lambda: comm.Allgatherv(y, [yall, counts]))
            timed("reduce_scatter input gradients",
                  lambda: comm.Reduce_scatter(Xall, dX, recvcounts=counts * H, op=MPI.SUM))
            timed("allreduce loss", lambda: comm.Allreduce(MPI.IN_PLACE, np.array([1.0]), op=MPI.SUM))
        else:
            timed("allgatherv features and targets", lambda: comm.Allgatherv(packed, [pall, counts * (H + 2)]))
            timed("reduce_scatter input gradients and loss",
                  lambda: comm.Reduce_scatter(out_rows, back, recvcounts=(counts + 1) * H, op=MPI.SUM))
        timed("reduce_scatter dense gradients",
              lambda: comm.Reduce_scatter(dense, mine, recvcounts=d_counts, op=MPI.SUM))
        c = np.empty(N, np.int64)
        timed("allgather row counts", lambda: comm.Allgather(np.array([args.rows], np.int64), c))
        timed("allgatherv row ids", lambda: comm.Allgatherv(ids, (all_ids, c)))
        timed("allgatherv rows", lambda: comm.Allgatherv(vals.reshape(-1), (all_vals, c * m)))
        timed("allgatherv dense parameters",
              lambda: comm.Allgatherv(MPI.IN_PLACE, [dense, (d_counts, d_displs)]))
        flag = np.zeros(1, np.int32) if args.layout == "before" else np.zeros(1 + N)
        timed("allreduce stop flag", lambda: comm.Allreduce(MPI.IN_PLACE, flag, op=MPI.SUM))

    for _ in range(20):
        step()
    seconds.clear()
    per_block = []
    for _ in range(args.blocks):
        comm.Barrier()
        t = time.perf_counter()
        for _ in range(args.steps):
            step()
        comm.Barrier()
        per_block.append((time.perf_counter() - t) / args.steps)
    if rank:
        return 0
    total_steps = args.steps * args.blocks
    out = {"name": "mpi_collectives", "layout": args.layout, "world_size": N, "global_batch": B, "dense_floats": dense_n,
           "features": H, "embedding_dim": m, "rows_per_process": args.rows,
           "ms_per_step_median": 1e3 * float(np.median(per_block)), "ms_per_step_blocks": [1e3 * s for s in per_block],
           "ms_per_step_by_collective": {k: 1e3 * v / total_steps for k, v in seconds.items()},
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "command": f"mpiexec -n {N} python experiments/mpi_collectives.py --layout {args.layout}",
           "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load_average": os.getloadavg(),
                       "mpi": MPI.Get_library_version().splitlines()[0]}}
    path = RESULTS / ("mpi_collectives.json" if args.layout == "now" else "mpi_collectives_before.json")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=1) + "\n")
    tmp.replace(path)
    print(f"{N} processes: {out['ms_per_step_median']:.2f} ms per step in collectives (median of {args.blocks} "
          f"blocks of {args.steps} steps)")
    for k, v in out["ms_per_step_by_collective"].items():
        print(f"  {k:32s} {v:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
