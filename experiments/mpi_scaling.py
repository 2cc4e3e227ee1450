"""Data-parallel scaling of the window LM on PTB: 1 and 2 MPI processes at the same global batch.

Each run trains the PTB recipe (``LMConfig.preset("ptb")``: n = 5, m = 128, two ReLU layers of 400,
class-factored output, SGD with momentum; global batch 256) for one epoch on the first ``--train-tokens``
tokens of PTB's training split, one BLAS thread per process, and validates on the whole validation split
(rank 0). Runs alternate 1, 2, 1, 2, ... processes (``--repeats`` of each) so that the load of a shared
machine falls on both alike; the summary takes medians. Per step and process it records the bytes sent
(dense buffers; embedding rows), the seconds in the exchange, and the optimizer step's seconds.

Variants: ``output`` (the default of ``mpiexec -n N ffnlp lm train``: the factored output split by classes
across the processes, Bengio et al.'s layout, :class:`ffnlp.distributed.OutputShard`, and the rest of the
dense optimizer step split too: reduce-scatter, 1/N of the update each, allgather), ``data`` (plain data
parallelism, every process holding the whole output, ``output_parallel=False``, the dense step still
split), ``allreduce`` (plain data parallelism with one allreduce and the whole update on every process,
``shard_optimizer=False`` too: the layout before both), ``lazy`` (``lazy_output``: the factored output's touched word
rows exchanged and updated row-sparsely). ``independent`` measures the machine's ceiling: two
one-process runs started at once, with no exchange at all; the sum of their rates over one process's
rate alone bounds what 2 processes can reach on the machine (shared caches, memory bandwidth, clocks).

From these it writes a throughput model for 4 to 64 processes on a 10 Gb/s network:
``t_step(N) = t_fb / N + t_opt / N + t_comm(N)`` (``t_opt`` undivided for ``allreduce``), with ``t_fb``
(forward + backward of the global batch) and ``t_opt`` measured on one process, ``t_comm`` a ring allreduce of the dense gradients
(``2 (N-1)/N D / bw + 2 (N-1) alpha``), an allgather of the touched embedding rows (``(N-1) s_N / bw``, where
``s_N`` are the bytes of one process's touched rows at local batch ``256 / N``, counted on PTB, or the
table's allreduce when that is cheaper), and two scalar allreduces (loss, stop flag).

Run (about 8 minutes on the 2-core machine; the optimizer seconds of the split variants include the allgather)::

    nice -n 10 /work/venv/bin/python experiments/mpi_scaling.py

Writes ``experiments/results/mpi_scaling.json``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

NAME = "mpi_scaling"
RESULTS = Path(__file__).resolve().parent / "results"
BANDWIDTH = 10e9 / 8          # 10 Gb/s in bytes/s
LATENCY = 30e-6               # per message on a TCP network (assumed)
TARGETS = {"speedup_2_ranks_min": 1.6}


def _data(train_tokens):
    from ffnlp.config import LMConfig
    from ffnlp.text import Vocab, load_lm_corpus

    splits = load_lm_corpus("ptb")
    config = LMConfig.preset("ptb").replace(sentence_ends=splits.sentence_ends, cross_sentence=True,
                                            lowercase=splits.lowercase, epochs=1, n_iter_no_change=None,
                                            log_every=0, halve_lr_on_plateau=False)
    vocab = Vocab.build(splits.train)
    ids = {s: vocab.encode_sentences(splits.split(s)) for s in ("train", "valid")}
    ids["train"] = ids["train"][:train_tokens]
    return config, vocab, ids


def worker(args):
    """One process of a run (under mpiexec, or alone)."""
    from ffnlp.distributed import data_parallel
    from ffnlp.nn.training import Callback, fit_callbacks
    from ffnlp.tasks.lm import train_lm

    class OptimizerTime(Callback):
        """Seconds from the end of the gradient exchange to the end of the optimizer step."""

        def __init__(self):
            self.seconds, self.steps = 0.0, 0

        def on_gradients(self, state):
            self._t = time.perf_counter()

        def on_batch_end(self, state):
            self.seconds += time.perf_counter() - self._t
            self.steps += 1

    config, vocab, ids = _data(args.train_tokens)
    config = config.replace(batch_size=args.batch_size, lazy_output=bool(args.lazy_output))
    timer = OptimizerTime()
    with data_parallel(blas_threads=1, shard_optimizer=not args.no_shard,
                       output_parallel=not args.no_output_parallel, balance=args.balance) as dp, \
            fit_callbacks(timer):
        if dp is None:
            from threadpoolctl import threadpool_limits
            limit = threadpool_limits(1)
        res = train_lm(config, ids, vocab=vocab, verbose=False)
        if dp is None:
            limit.restore_original_limits()
    rank = 0 if dp is None else dp.rank
    if rank != 0:
        return
    rec = res.history[-1]
    stats = dict(dp.stats) if dp is not None else {"steps": timer.steps, "dense_bytes": 0, "sparse_bytes": 0,
                                                   "comm_seconds": 0.0}
    steps = max(stats["steps"], 1)
    out = {"world_size": 1 if dp is None else dp.world_size, "global_batch": args.batch_size,
           "lazy_output": bool(args.lazy_output),
           "train_tokens": rec["tokens"], "train_seconds": rec["seconds"],
           "tokens_per_second": rec["tokens_per_second"], "valid_perplexity": rec["valid_perplexity"],
           "train_loss": rec["train_loss"], "steps": stats["steps"], "balance": bool(args.balance),
           "shares": stats.get("shares"),
           "dense_bytes_per_step": stats["dense_bytes"] / steps, "sparse_bytes_per_step": stats["sparse_bytes"] / steps,
           "exchange_seconds_per_step": stats["comm_seconds"] / steps,
           "optimizer_seconds_per_step": timer.seconds / max(timer.steps, 1),
           "parameters": res.model.net.n_params(), "vocab_size": len(vocab)}
    Path(args.out).write_text(json.dumps(out))


def touched_rows(ids, context_size, local_batch, rng, n_batches=40):
    """Mean distinct context ids of a batch of ``local_batch`` random windows (the embedding rows one
    process touches in a step)."""
    n = ids.shape[0]
    counts = []
    for _ in range(n_batches):
        ends = rng.integers(context_size, n, size=local_batch)
        ctx = ids[ends[:, None] - np.arange(1, context_size + 1)[None, :]]
        counts.append(np.unique(ctx).shape[0])
    return float(np.mean(counts))


def model(one, two, ids, config, vocab_size, shard=True):
    """The throughput model for 4-64 processes on 10 Gb/s (see the module docstring)."""
    B = int(one["global_batch"])
    t_step1 = B / one["tokens_per_second"]
    t_opt = one["optimizer_seconds_per_step"]
    t_fb = t_step1 - t_opt
    emb_table = vocab_size * config.embedding_dim * 4
    # every dense gradient buffer once per step, and (lazy output) the output rows measured at 2 processes, taken
    # as fixed: an upper bound, since smaller local batches touch fewer classes
    dense = two["dense_bytes_per_step"] + (two["sparse_bytes_per_step"] if two.get("lazy_output") else 0.0)
    row_bytes = config.embedding_dim * 4 + 8
    rng = np.random.default_rng(0)
    out = []
    for N in (1, 2, 4, 8, 16, 32, 64):
        local = max(B // N, 1)
        rows = touched_rows(ids, config.context_size, local, rng)
        s = rows * row_bytes
        if N == 1:
            t_comm, emb_way, s, dense_sent = 0.0, "none", 0.0, 0.0
        else:
            t_dense = 2 * (N - 1) / N * dense / BANDWIDTH + 2 * (N - 1) * LATENCY
            t_rows = (N - 1) * s / BANDWIDTH + (N - 1) * LATENCY
            t_table = 2 * (N - 1) / N * emb_table / BANDWIDTH + 2 * (N - 1) * LATENCY
            t_scalar = 2 * 2 * math.ceil(math.log2(N)) * LATENCY
            emb_way = "rows" if t_rows <= t_table else "table"
            t_comm = t_dense + min(t_rows, t_table) + t_scalar
            dense_sent = dense
        t = t_fb / N + (t_opt / N if shard else t_opt) + t_comm
        out.append({"world_size": N, "local_batch": local, "touched_rows_per_process": round(rows, 1),
                    "sent_bytes_per_step_per_process": round(dense_sent + (s if emb_way != "table" else emb_table)),
                    "embedding_exchange": emb_way, "comm_seconds": t_comm, "step_seconds": t,
                    "tokens_per_second": B / t, "speedup": t_step1 / t, "efficiency": t_step1 / t / N})
    return {"assumptions": {"bandwidth_bytes_per_s": BANDWIDTH, "latency_s": LATENCY, "t_fb_seconds": t_fb,
                            "t_opt_seconds": t_opt, "dense_bytes": dense, "embedding_table_bytes": emb_table,
                            "note": "t_fb/N assumes the per-token cost does not grow at small local batches; "
                                    + ("each process applies 1/N of the dense optimizer step (t_opt / N; the "
                                       "sparse rows are a small part of it)" if shard else
                                       "every process applies the whole optimizer step (t_opt is not divided)")},
            "rows": out}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train-tokens", type=int, default=120_000)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--variants", default="output,data,allreduce,lazy,independent",
                   help="output: the output split by classes across processes (the default); data: plain data "
                        "parallelism; allreduce: plain data parallelism, one allreduce and the whole optimizer "
                        "step on every process; lazy: lazy_output (row-sparse updates "
                        "and exchange of the factored output's touched word rows); independent: two one-process "
                        "runs at once (the machine's ceiling); balanced: output with balance=True "
                        "(--balance-shares: shares and class-softmax slices by measured speed)")
    p.add_argument("--lazy-output", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--no-shard", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--no-output-parallel", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--balance", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--note", default="", help="what else the machine was running (stored with the results)")
    p.add_argument("--tag", default="", help="write experiments/results/mpi_scaling_TAG.json (default: mpi_scaling.json)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    runs = []
    tmp = RESULTS / f".{NAME}.run.json"
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    def command(variant, out):
        cmd = [sys.executable, __file__, "--worker", "--out", str(out), "--train-tokens", str(args.train_tokens),
               "--batch-size", str(args.batch_size)]
        return cmd + (["--lazy-output"] if variant == "lazy" else []) + \
            (["--no-shard"] if variant == "allreduce" else []) + \
            (["--balance"] if variant == "balanced" else []) + \
            (["--no-output-parallel"] if variant in ("data", "allreduce") else [])

    def record(r, variant, rep, t0):
        r.update(variant=variant, repeat=rep, wall_seconds=time.perf_counter() - t0,
                 load_average_1min_after=os.getloadavg()[0])
        runs.append(r)
        with open(RESULTS / f"{NAME}_runs.jsonl", "a") as fh:     # every run as it ends, kept on a crash
            fh.write(json.dumps({**r, "date": started.isoformat(timespec="seconds")}) + "\n")
        print(f"{variant}, {r['world_size']} process(es), repeat {rep + 1}: {r['tokens_per_second']:.0f} tokens/s, "
              f"valid ppl {r['valid_perplexity']:.2f}, exchange {1e3 * r['exchange_seconds_per_step']:.1f} ms/step, "
              f"optimizer {1e3 * r['optimizer_seconds_per_step']:.1f} ms/step", file=sys.stderr)

    for rep in range(args.repeats):
        for variant in variants:
            for n in (1, 2):
                t0 = time.perf_counter()
                if variant == "independent" and n == 2:   # two one-process runs at once, no exchange
                    outs = [tmp.with_suffix(f".{i}.json") for i in range(2)]
                    procs = [subprocess.Popen(command(variant, o), env=env) for o in outs]
                    if any(q.wait() for q in procs):
                        raise SystemExit("an independent run failed")
                    pair = [json.loads(o.read_text()) for o in outs]
                    for o in outs:
                        o.unlink()
                    r = dict(pair[0])
                    r.update(world_size=2, tokens_per_second=sum(q["tokens_per_second"] for q in pair),
                             per_process_tokens_per_second=[q["tokens_per_second"] for q in pair])
                    record(r, variant, rep, t0)
                    continue
                cmd = command(variant, tmp)
                if n > 1:
                    cmd = [mpiexec, "-n", str(n)] + cmd
                subprocess.run(cmd, check=True, env=env)
                record(json.loads(tmp.read_text()), variant, rep, t0)
    tmp.unlink(missing_ok=True)
    config, vocab, ids = _data(args.train_tokens)
    summary = {}
    for variant in variants:
        med = {}
        for n in (1, 2):
            rs = [r for r in runs if r["world_size"] == n and r["variant"] == variant]
            med[n] = {k: statistics.median(r[k] for r in rs) for k in rs[0]
                      if isinstance(rs[0][k], (int, float)) and not isinstance(rs[0][k], bool)}
            med[n]["lazy_output"] = variant == "lazy"
        speedup = med[2]["tokens_per_second"] / med[1]["tokens_per_second"]
        summary[variant] = {"median": {str(k): v for k, v in med.items()}, "speedup_2_processes": speedup,
                            "efficiency_2_processes": speedup / 2,
                            "meets_target": speedup >= TARGETS["speedup_2_ranks_min"]}
        if variant != "independent":
            summary[variant]["model_10gbps"] = model(med[1], med[2], ids["train"], config, len(vocab),
                                                     shard=variant != "allreduce")
    result = {
        "name": NAME, "date": started.isoformat(timespec="seconds"),
        "command": "python experiments/mpi_scaling.py " + " ".join(argv or sys.argv[1:]),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_before": load_before, "note": args.note},
        "config": {"preset": "ptb", "batch_size": args.batch_size, "train_tokens": args.train_tokens, "epochs": 1,
                   "blas_threads_per_process": 1, "variants": variants},
        "targets": TARGETS, "runs": runs, "summary": summary,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{NAME}{'_' + args.tag if args.tag else ''}.json").write_text(json.dumps(result, indent=1) + "\n")
    for variant, sm in summary.items():
        print(f"{variant}: speedup at 2 processes {sm['speedup_2_processes']:.2f}, valid ppl "
              f"{sm['median']['1']['valid_perplexity']:.2f} (1) / {sm['median']['2']['valid_perplexity']:.2f} (2)")
        for row in sm.get("model_10gbps", {}).get("rows", []):
            print(f"  N={row['world_size']:>2}  {row['tokens_per_second']:>9.0f} tokens/s  speedup {row['speedup']:5.2f}  "
                  f"sent {row['sent_bytes_per_step_per_process'] / 1e6:6.2f} MB/step ({row['embedding_exchange']})")
    return result


if __name__ == "__main__":
    main()
