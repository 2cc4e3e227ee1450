"""Benchmark: ffnlp's core against PyTorch (CPU) and scikit-learn's MLPClassifier, in one run, as ratios.

1. One training epoch of the same float32 MLP: 20000 x 300 inputs -> 256 -> 256 -> 10 classes, batch 128,
   Adam (lr 1e-3), shuffled; ffnlp, PyTorch, MLPClassifier with its float64 default and with float32 input.
   Test accuracy after that epoch is reported beside the time ("at the same accuracy"); PyTorch starts
   from ffnlp's initial weights and sees the same batches.
2. The course's cat network ([12288, 20, 7, 5, 1], 209 images) for 2500 full-batch gradient-descent
   iterations, float64 and float32, ffnlp vs PyTorch.
Plus the fraction of this machine's float32 GEMM peak that ffnlp's epoch reaches.

Every measurement runs in a fresh subprocess (PyTorch's OpenMP threads keep spinning after its work and
would slow whatever runs next in the same process); runs alternate between libraries and the median of
``--repeats`` runs is reported. Run it with the
OpenBLAS variables unset (they slow current numpy on this machine; tests and CI leave them alone)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python experiments/bench_mlp.py

Requires ``pip install torch==2.13.0`` (benchmark only; torch is never a dependency of ffnlp).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from ffnlp.corpora import find_data
from ffnlp.nn import Adam, GradientDescent, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, build_mlp, fit
from ffnlp.report import format_table, machine_info

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = [300, 256, 256, 10]


def make_data(seed=0):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=25000, n_features=300, n_informative=60, n_classes=10,
                               n_clusters_per_class=2, random_state=seed)
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    return X[:20000], y[:20000].astype(np.int64), X[20000:], y[20000:].astype(np.int64)


def epoch_flops(n):
    pairs = list(zip(SIZES[:-1], SIZES[1:]))
    return 2 * n * (3 * sum(a * b for a, b in pairs) - SIZES[0] * SIZES[1])  # no dX for the data


# -- one epoch ---------------------------------------------------------------------------------------
def initial_model(seed):
    """ffnlp's network as initialized for ``seed``, and the shuffling generator that follows it; PyTorch
    starts from the same weights and sees the same batches, so the two runs reach the same accuracy."""
    rng = np.random.default_rng(seed)
    return build_mlp(SIZES, rng=rng, init="glorot"), rng


def ffnlp_epoch(X, y, Xt, yt, seed):
    model, rng = initial_model(seed)
    t0 = time.perf_counter()
    fit(model, SoftmaxCrossEntropy(), Adam(1e-3), X, y, epochs=1, batch_size=128, rng=rng, verbose=False)
    secs = time.perf_counter() - t0
    return secs, float((model.predict(Xt).argmax(1) == yt).mean())


def torch_epoch(X, y, Xt, yt, seed):
    import torch

    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(300, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                torch.nn.ReLU(), torch.nn.Linear(256, 10))
    ref, rng = initial_model(seed)
    dense = [layer for layer in ref.layers if "W" in layer.params]
    with torch.no_grad():
        for lin, d in zip([m for m in model if isinstance(m, torch.nn.Linear)], dense):
            lin.weight.copy_(torch.from_numpy(d.params["W"].T.copy()))
            lin.bias.copy_(torch.from_numpy(d.params["b"]))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = torch.nn.CrossEntropyLoss()
    Xtr, ytr = torch.from_numpy(X), torch.from_numpy(y)
    t0 = time.perf_counter()
    perm = torch.from_numpy(rng.permutation(len(Xtr)))  # the batches ffnlp's fit draws
    for i in range(0, len(Xtr), 128):
        idx = perm[i:i + 128]
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(Xtr[idx]), ytr[idx])
        loss.backward()
        opt.step()
    secs = time.perf_counter() - t0
    with torch.no_grad():
        acc = float((model(torch.from_numpy(Xt)).argmax(1).numpy() == yt).mean())
    return secs, acc


def sklearn_epoch(X, y, Xt, yt, seed, dtype):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier((256, 256), solver="adam", alpha=0.0, batch_size=128, learning_rate_init=1e-3,
                        max_iter=1, random_state=seed)
    Xd = X.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        clf.fit(Xd, y)
        secs = time.perf_counter() - t0
    return secs, float(clf.score(Xt.astype(dtype), yt))


# -- the cat network ---------------------------------------------------------------------------------
def load_cat():
    import h5py

    d = find_data("catvnoncat")
    if d is None:
        return None
    with h5py.File(d / "train_catvnoncat.h5") as f:
        X, y = f["train_set_x"][:].reshape(209, -1) / 255.0, f["train_set_y"][:].astype(np.float64)
    return X, y


def ffnlp_cat(X, y, dtype, iterations):
    rng = np.random.RandomState(1)
    model = build_mlp([12288, 20, 7, 5, 1], rng=rng, init="course", dtype=dtype)
    Xc, yc = X.astype(dtype), y.astype(dtype)
    t0 = time.perf_counter()
    hist = fit(model, SigmoidBinaryCrossEntropy(), GradientDescent(0.0075), Xc, yc, epochs=iterations,
               batch_size=None, verbose=False)
    return time.perf_counter() - t0, hist.loss[-1]


def torch_cat(X, y, dtype, iterations):
    import torch

    tdt = torch.float64 if dtype == np.float64 else torch.float32
    rng = np.random.RandomState(1)  # the same course initialization, copied into torch
    dims = [12288, 20, 7, 5, 1]
    layers = []
    for a, b in zip(dims[:-1], dims[1:]):
        lin = torch.nn.Linear(a, b).to(tdt)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(rng.standard_normal((b, a)) / np.sqrt(a)))
            lin.bias.zero_()
        layers += [lin, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.SGD(model.parameters(), lr=0.0075)
    lossf = torch.nn.BCEWithLogitsLoss()
    Xt, yt = torch.from_numpy(X.astype(dtype)), torch.from_numpy(y.astype(dtype)).reshape(-1, 1)
    t0 = time.perf_counter()
    for _ in range(iterations):
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(Xt), yt)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0, float(loss.detach())


def gemm_peak(repeats=5, n=2048):
    A = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    B = A.copy()
    A @ B
    best = min(_timed(lambda: A @ B) for _ in range(repeats))
    return 2 * n ** 3 / best


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def median(xs):
    return float(statistics.median(xs))


WORKERS = {
    "ffnlp": lambda a: ffnlp_epoch(*make_data(), a.seed),
    "torch": lambda a: torch_epoch(*make_data(), a.seed),
    "sklearn_f64": lambda a: sklearn_epoch(*make_data(), a.seed, np.float64),
    "sklearn_f32": lambda a: sklearn_epoch(*make_data(), a.seed, np.float32),
    "ffnlp_cat": lambda a: ffnlp_cat(*load_cat(), np.dtype(a.dtype).type, a.iterations),
    "torch_cat": lambda a: torch_cat(*load_cat(), np.dtype(a.dtype).type, a.iterations),
}


def run_worker(name, **kw):
    import subprocess

    cmd = [sys.executable, __file__, "--worker", name] + [f"--{k.replace('_', '-')}={v}" for k, v in kw.items()]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--dtype", default="float32", help=argparse.SUPPRESS)
    ap.add_argument("--repeats", type=int, default=5, help="runs per measurement; the median is reported")
    ap.add_argument("--cat-repeats", type=int, default=3, help="runs of the 2500-iteration cat network")
    ap.add_argument("--iterations", type=int, default=2500, help="cat network iterations")
    ap.add_argument("--no-sklearn", action="store_true", help="skip MLPClassifier")
    ap.add_argument("--output", default=str(RESULTS / "bench_mlp.json"), help="results JSON")
    args = ap.parse_args(argv)
    if args.worker:
        if args.worker.startswith("torch"):
            import torch

            torch.set_num_threads(2)
        print(json.dumps(WORKERS[args.worker](args)))
        return
    X, y, Xt, yt = make_data()
    runs = {k: [] for k in ("ffnlp", "torch", "sklearn_f64", "sklearn_f32")}
    accs = {k: [] for k in runs}
    for r in range(args.repeats):
        for name in runs:
            if args.no_sklearn and name.startswith("sklearn"):
                continue
            s, a = run_worker(name, seed=r)
            runs[name].append(s)
            accs[name].append(a)
            print(f"epoch run {r + 1} {name}: {s:.3f} s, accuracy {a:.4f}", file=sys.stderr)
    peak = gemm_peak()
    f_ffnlp = median(runs["ffnlp"])
    rows = []
    for name, label in (("ffnlp", "ffnlp (float32)"), ("torch", "PyTorch 2.13 CPU (float32)"),
                        ("sklearn_f64", "MLPClassifier (float64 default)"),
                        ("sklearn_f32", "MLPClassifier (float32 input)")):
        if runs[name]:
            t = median(runs[name])
            rows.append({"task": "MLP epoch 20000x300-256-256-10, Adam, batch 128", "implementation": label,
                         "median_s": t, "ffnlp_ratio": f_ffnlp / t, "accuracy": median(accs[name]),
                         "gflops": epoch_flops(len(X)) / t / 1e9})
    cat = load_cat()
    if cat is not None:
        for dtype in (np.float64, np.float32):
            ct = {"ffnlp": [], "torch": []}
            cost = {"ffnlp": [], "torch": []}
            for r in range(args.cat_repeats):
                for name in ("ffnlp", "torch"):
                    s, c = run_worker(f"{name}_cat", dtype=np.dtype(dtype).name, iterations=args.iterations)
                    ct[name].append(s)
                    cost[name].append(c)
                    print(f"cat run {r + 1} {name} {np.dtype(dtype).name}: {s:.2f} s, final cost {c:.6f}",
                          file=sys.stderr)
            for name, label in (("ffnlp", "ffnlp"), ("torch", "PyTorch 2.13 CPU")):
                rows.append({"task": f"cat network, {args.iterations} full-batch GD iterations",
                             "implementation": f"{label} ({np.dtype(dtype).name})", "median_s": median(ct[name]),
                             "ffnlp_ratio": median(ct["ffnlp"]) / median(ct[name]),
                             "accuracy": None, "final_cost": median(cost[name])})
    result = {
        "machine": machine_info(), "command": " ".join(["python", "experiments/bench_mlp.py"] + (argv or sys.argv[1:])),
        "repeats": args.repeats, "cat_repeats": args.cat_repeats, "rows": rows, "runs": runs,
        "sgemm_peak_gflops": peak / 1e9, "ffnlp_epoch_gflops": epoch_flops(len(X)) / f_ffnlp / 1e9,
        "ffnlp_fraction_of_sgemm_peak": epoch_flops(len(X)) / f_ffnlp / peak,
    }
    cols = ["task", "implementation", "median_s", "ffnlp_ratio", "accuracy", "final_cost"]
    print(format_table(rows, cols))
    print(f"float32 GEMM peak {peak / 1e9:.1f} GFLOP/s; ffnlp epoch reaches {result['ffnlp_epoch_gflops']:.1f} "
          f"GFLOP/s = {100 * result['ffnlp_fraction_of_sgemm_peak']:.0f}% of it")
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps({k: result[k] for k in ("sgemm_peak_gflops", "ffnlp_fraction_of_sgemm_peak")}))


if __name__ == "__main__":
    main()
