"""How steady this machine's cores are: the bound that their speed puts on synchronous data parallelism.

Each core, pinned, repeats one fixed piece of in-cache work (``--chunk-matmuls`` products of two 160 x 160
float32 matrices, about 3 ms, one BLAS thread) for ``--seconds``, first each core alone, then all of them
at once, and records every chunk's wall time. Nothing is read from memory beyond the caches and nothing is
exchanged, so any change in a chunk's time is the core's own speed (clock, the host's scheduling of the
virtual CPU), not ffnlp's.

From the runs at once it computes, on a grid of ``--step-ms`` intervals, each core's rate (chunks per
interval), and the **synchronous bound**: the work a synchronous job with even shares gets done, which
waits every step for the slower core (``N * min(rates)``), over the work the cores did independently
(``sum(rates)``). A data-parallel run on this machine cannot exceed that fraction of the independent
runs' throughput (``mpi_scaling.py``'s ``independent`` variant), before any communication. It also
reports each core's rate per half second and the steal time the kernel counted (``/proc/stat``).

Run (about ``3 * seconds * (cores + 1)`` seconds)::

    python experiments/cpu_jitter.py --seconds 8 --repeats 3

Writes ``experiments/results/cpu_jitter.json``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def worker(core: int, seconds: float, matmuls: int, out: str) -> None:
    """One pinned process: chunk start times and durations (seconds) until ``seconds`` have passed."""
    os.sched_setaffinity(0, {core})
    rng = np.random.default_rng(core)
    a = rng.random((160, 160), dtype=np.float32)
    b, c = a.copy(), np.empty_like(a)
    for _ in range(20):                                     # warm the caches and the BLAS
        np.matmul(a, b, out=c)
    starts, times = [], []
    t_end = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        if t0 >= t_end:
            break
        for _ in range(matmuls):
            np.matmul(a, b, out=c)
        starts.append(t0)
        times.append(time.perf_counter() - t0)
    np.savez(out, starts=np.array(starts), times=np.array(times))


def steal() -> int:
    """Steal time of all CPUs so far, in clock ticks (0 where the kernel does not count it)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
        return int(fields[8]) if len(fields) > 8 else 0
    except OSError:
        return 0


def run(cores, seconds, matmuls, tmp):
    """Start one worker per core at once; their chunk starts and times."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    outs = [str(tmp / f"core{c}.npz") for c in cores]
    s0 = steal()
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", str(c), "--seconds", str(seconds),
                               "--chunk-matmuls", str(matmuls), "--out", o], env=env) for c, o in zip(cores, outs)]
    for p in procs:
        if p.wait():
            raise SystemExit(f"cpu_jitter: error: the worker on core {cores[procs.index(p)]} failed")
    got = []
    for o in outs:
        with np.load(o) as z:
            got.append((z["starts"], z["times"]))
        os.unlink(o)
    return got, steal() - s0


def rates(starts, times, grid):
    """Chunks done per interval of ``grid`` (fractional chunks at the edges), from cumulative progress."""
    ends = starts + times
    done = np.interp(grid, np.concatenate([[starts[0]], ends]), np.arange(len(ends) + 1, dtype=np.float64))
    return np.diff(done)


def summarise(chunks):
    times = np.concatenate([t for _, t in chunks]) * 1e3
    return {"chunks": int(len(times)), "median_ms": float(np.median(times)), "p10_ms": float(np.percentile(times, 10)),
            "p90_ms": float(np.percentile(times, 90)), "p99_ms": float(np.percentile(times, 99)),
            "max_ms": float(times.max())}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--chunk-matmuls", type=int, default=40)
    p.add_argument("--step-ms", type=float, default=15.0, help="the synchronous step of the bound (a PTB step)")
    p.add_argument("--note", default="", help="what else the machine was running (stored with the results)")
    p.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker is not None:
        return worker(args.worker, args.seconds, args.chunk_matmuls, args.out)
    cores = sorted(os.sched_getaffinity(0))
    started = datetime.datetime.now(datetime.timezone.utc)
    tmp = RESULTS / ".cpu_jitter"
    tmp.mkdir(parents=True, exist_ok=True)
    repeats = []
    for r in range(args.repeats):
        alone = {}
        for c in cores:
            (got,), stolen = run([c], args.seconds, args.chunk_matmuls, tmp)
            alone[str(c)] = {**summarise([got]), "steal_ticks": stolen,
                             "chunks_per_half_second": rates(*got, got[0][0] + np.arange(0, args.seconds, 0.5)).round(1).tolist()}
        together, stolen = run(cores, args.seconds, args.chunk_matmuls, tmp)
        t0 = max(s[0] for s, _ in together)
        t1 = min((s + t)[-1] for s, t in together)
        grid = np.arange(t0, t1, args.step_ms / 1e3)
        per = np.array([rates(s, t, grid) for s, t in together])            # (cores, intervals)
        bound = float(len(cores) * per.min(axis=0).sum() / per.sum())
        half = np.arange(t0, t1, 0.5)
        row = {"repeat": r + 1, "alone": alone, "together": {
            "per_core": {str(c): {**summarise([g]), "chunks_per_half_second": rates(*g, half).round(1).tolist()}
                         for c, g in zip(cores, together)},
            "steal_ticks": stolen, "synchronous_bound": bound,
            "rate_together_over_alone": {str(c): float(np.median(alone[str(c)]["median_ms"] / (1e3 * np.median(g[1]))))
                                         for c, g in zip(cores, together)}}}
        repeats.append(row)
        print(f"repeat {r + 1}: chunk alone " + ", ".join(f"core {c} {alone[str(c)]['median_ms']:.2f} ms "
              f"(p10-p90 {alone[str(c)]['p10_ms']:.2f}-{alone[str(c)]['p90_ms']:.2f})" for c in cores)
              + "; together " + ", ".join(f"core {c} {row['together']['per_core'][str(c)]['median_ms']:.2f} ms" for c in cores)
              + f"; synchronous bound at {args.step_ms:g} ms steps {bound:.3f}; steal {stolen} ticks", file=sys.stderr)
    tmp.rmdir()
    bounds = [r["together"]["synchronous_bound"] for r in repeats]
    result = {"name": "cpu_jitter", "date": started.isoformat(timespec="seconds"),
              "command": "python experiments/cpu_jitter.py " + " ".join(argv or sys.argv[1:]),
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                          "note": args.note},
              "config": {"seconds": args.seconds, "repeats": args.repeats, "chunk_matmuls": args.chunk_matmuls,
                         "matrix": [160, 160], "step_ms": args.step_ms, "cores": cores},
              "summary": {"synchronous_bound_median": float(np.median(bounds)), "synchronous_bounds": bounds},
              "repeats": repeats}
    out = RESULTS / "cpu_jitter.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"synchronous bound (median of {len(bounds)}): {np.median(bounds):.3f}; wrote {out}", file=sys.stderr)
    return result


if __name__ == "__main__":
    main()
