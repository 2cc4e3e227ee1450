"""Training speed of the window LM: ffnlp's full softmax against the same model in PyTorch (CPU), against the
bound set by its matrix products alone, and the speed-up of the exact class-factored output.

Model (issue 3): context 4, |V| = 16,383, m = 60, h = 100, batch 256, float32, no direct connections;
one training step = forward, backward and a plain SGD update (``lr = 0.1``, no momentum, no weight decay),
on window ids and targets drawn from a Zipf(1) unigram distribution over the vocabulary (the class-factored
output's classes come from the same counts, so the classes present in a batch are realistic).

* ffnlp: ``Window -> Dense -> Tanh -> SoftmaxOutput`` (or ``ClassFactoredSoftmax``), :class:`ffnlp.nn.SGD`.
* PyTorch: ``nn.Embedding(sparse=True) -> Linear -> tanh -> Linear -> F.cross_entropy``, ``torch.optim.SGD``,
  ``zero_grad(set_to_none=True)``, the same number of threads. PyTorch is used here only, never by ffnlp.
* Bound: the time of the step's matrix products alone (forward X@H, h@U; backward h^T dZ, dZ U^T, x^T dA)
  with preallocated outputs, in NumPy/OpenBLAS; ``examples/s <= batch / t_gemm``.

Timing: every step is timed, the models interleaved step by step (the machine is shared with other jobs);
examples/s come from the mean of the fastest quarter of the steps (the least disturbed) and from the median
step; the ``paired_*`` ratios are the median over iterations of the ratio of two steps timed back to back (the
most robust to the load of other jobs, and the ones checked against the targets). The factored output's
speed-up is measured against a second full-softmax model timed in the same loop.
Run::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 .venv/bin/python experiments/lm_speed.py --threads 1

(``pip install torch`` into the venv first; the script says so if it is missing.)
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from ffnlp.nn import SGD, Adam, Dense, Tanh, Window, chain
from ffnlp.nn.training import train_step
from ffnlp.nn.factored import ClassFactoredSoftmax, SoftmaxOutput, frequency_classes

NAME = "lm_speed"
RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {"full_vs_torch_min": 2.0, "full_vs_gemm_bound_min": 0.9, "factored_vs_full_min": 4.0,
           "optimizer_share_max": 0.35}


def zipf_data(V, k, batch, n_batches, seed=0):
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, V + 1)
    p /= p.sum()
    counts = p * 1e6
    batches = [(rng.choice(V, (batch, k), p=p).astype(np.int32), rng.choice(V, batch, p=p).astype(np.int32))
               for _ in range(n_batches)]
    return counts, batches


class FFNLPStep:
    def __init__(self, V, k, m, h, *, output="full", counts=None, optimizer="sgd", seed=0, n_classes=None,
                 class_power=0.5):
        rng = np.random.default_rng(seed)
        self.body = chain(Window(V, m, k, rng=rng), Dense(k * m, h, rng=rng), Tanh())
        if output == "full":
            self.out = SoftmaxOutput(h, V, rng=rng)
        else:
            self.out = ClassFactoredSoftmax(h, frequency_classes(counts, n_classes, power=class_power), rng=rng)
        self.net = chain(self.body, self.out)
        self.opt = SGD(0.1) if optimizer == "sgd" else Adam(1e-3)

    def __call__(self, X, y):
        # the training engine's own step (forward, fused loss, backprop, optimizer), as fit runs it
        return train_step(self.body, self.out, self.opt, X, y, root=self.net)


class TimedOptimizer:
    """Wraps an optimizer and accumulates the seconds spent in its ``step`` (for the optimizer's share)."""

    def __init__(self, opt):
        self.opt, self.seconds = opt, 0.0

    def __getattr__(self, name):
        return getattr(self.opt, name)

    def step(self, model):
        t0 = time.perf_counter()
        self.opt.step(model)
        self.seconds += time.perf_counter() - t0


def optimizer_share(V=11225, steps=40, seed=0):
    """The default LM configuration (LMConfig(): n = 5, m = 60, h = 50, direct connections, factored output,
    Adam, batch 256) on a Zipf vocabulary of ``V`` words: the time of one training step and the share of it
    spent in the optimizer, with dense Adam on the output table and with lazy (row-sparse) Adam."""
    from ffnlp.config import LMConfig
    from ffnlp.tasks.lm import WindowLM, make_optimizer
    from ffnlp.text import Vocab

    cfg = LMConfig()
    counts, batches = zipf_data(V - 4, cfg.context_size, cfg.batch_size, 23, seed=seed)
    words = [f"w{i}" for i in range(V - 4)]
    vocab = Vocab.build([words], min_count=1)                # ids past the specials; classes come from counts
    out = {}
    for lazy in (False, True):
        lm = WindowLM(vocab, cfg, counts=np.concatenate([[0, 0, 0, 0], counts]))
        opt = TimedOptimizer(make_optimizer(cfg, lazy=lazy))
        total = 0.0
        for i in range(steps + 3):
            X, y = batches[i % len(batches)]
            X, y = X + 4, y + 4                                   # past the specials
            if i == 3:
                opt.seconds, total = 0.0, 0.0
            t0 = time.perf_counter()
            train_step(lm.body, lm.output, opt, X, y, root=lm.net)
            total += time.perf_counter() - t0
        out["lazy_adam" if lazy else "dense_adam"] = {
            "step_ms": round(1000 * total / steps, 3), "optimizer_ms": round(1000 * opt.seconds / steps, 3),
            "optimizer_share": round(opt.seconds / total, 3)}
    out["vocab"] = len(vocab)
    out["config"] = "LMConfig() defaults: n=5, m=60, h=50, direct, factored output, Adam lr 1e-3, batch 256"
    return out


class TorchStep:
    def __init__(self, V, k, m, h, threads, seed=0):
        import torch

        torch.manual_seed(seed)
        torch.set_num_threads(threads)
        self.torch = torch
        self.emb = torch.nn.Embedding(V, m, sparse=True)
        self.hid = torch.nn.Linear(k * m, h)
        self.out = torch.nn.Linear(h, V)
        params = list(self.emb.parameters()) + list(self.hid.parameters()) + list(self.out.parameters())
        self.opt = torch.optim.SGD(params, lr=0.1)
        self.k, self.m = k, m

    def __call__(self, X, y):
        torch = self.torch
        X, y = torch.from_numpy(X.astype(np.int64)), torch.from_numpy(y.astype(np.int64))
        self.opt.zero_grad(set_to_none=True)
        x = self.emb(X).reshape(X.shape[0], self.k * self.m)
        logits = self.out(torch.tanh(self.hid(x)))
        loss = torch.nn.functional.cross_entropy(logits, y)
        loss.backward()
        self.opt.step()
        return float(loss)


class GemmBound:
    """Only the matrix products of one step, preallocated, float32."""

    def __init__(self, V, k, m, h, batch, seed=0):
        rng = np.random.default_rng(seed)
        f = np.float32
        self.x = (rng.standard_normal((batch, k * m)) * 0.1).astype(f)
        self.H = (rng.standard_normal((k * m, h)) * 0.1).astype(f)
        self.U = (rng.standard_normal((h, V)) * 0.1).astype(f)
        self.a = np.empty((batch, h), f)
        self.z = np.empty((batch, V), f)
        self.dU = np.empty((h, V), f)
        self.da = np.empty((batch, h), f)
        self.dH = np.empty((k * m, h), f)
        self.dx = np.empty((batch, k * m), f)

    def __call__(self, X=None, y=None):
        np.matmul(self.x, self.H, out=self.a)          # forward hidden
        np.matmul(self.a, self.U, out=self.z)          # forward output
        np.matmul(self.a.T, self.z, out=self.dU)       # dU = h^T dZ
        np.matmul(self.z, self.U.T, out=self.da)       # dh = dZ U^T
        np.matmul(self.x.T, self.da, out=self.dH)      # dH = x^T dA
        np.matmul(self.da, self.H.T, out=self.dx)      # dx (to the embeddings)
        return 0.0


def time_steps(runners: dict, batches, steps):
    """Time every step of every runner, the runners interleaved step by step (the machine is shared, so
    a burst of load hits them alike); returns the seconds of each step, per runner."""
    out = {name: [] for name in runners}
    for name, run in runners.items():  # warm-up (buffers, thread pools)
        for X, y in batches[:3]:
            run(X, y)
    for i in range(steps):
        X, y = batches[3 + i % (len(batches) - 3)]
        for name, run in runners.items():
            t0 = time.perf_counter()
            run(X, y)
            out[name].append(time.perf_counter() - t0)
    return out


def summarize(step_seconds, batch):
    """examples/s from the mean of the fastest quarter of the steps (the least disturbed by other jobs)
    and from the median step."""
    t = np.sort(np.asarray(step_seconds))
    fast = t[: max(1, t.size // 4)].mean()
    return {"fastest_quarter": batch / fast, "median": batch / float(np.median(t)), "steps": int(t.size)}


def perplexity_cost(corpus):
    """Train the same window LM with the full and the factored output (the corpus preset of ``ffnlp lm
    train``, same seed) and compare test perplexities and wall time."""
    from ffnlp.config import LMConfig
    from ffnlp.tasks.lm import train_lm
    from ffnlp.text import load_lm_corpus

    splits = load_lm_corpus(corpus)
    out = {"corpus": corpus}
    for kind in ("full", "factored"):
        cfg = LMConfig.preset(corpus).replace(output=kind)
        r = train_lm(cfg, splits, evaluate_test=True, verbose=False)
        out[kind] = {"valid_perplexity": round(r.valid_perplexity, 2), "test_perplexity": round(r.test.perplexity, 2),
                     "best_epoch": r.best_epoch, "seconds": round(r.seconds, 1),
                     "tokens_per_second": round(r.tokens_per_second, 1)}
    out["config"] = LMConfig.preset(corpus).to_dict()
    out["test_perplexity_ratio_factored_over_full"] = round(out["factored"]["test_perplexity"]
                                                            / out["full"]["test_perplexity"], 4)
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vocab", type=int, default=16383)
    p.add_argument("--context", type=int, default=4)
    p.add_argument("--embedding-dim", type=int, default=60)
    p.add_argument("--hidden", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--threads", type=int, default=1, help="BLAS/PyTorch threads (set OPENBLAS_NUM_THREADS to match)")
    p.add_argument("--steps", type=int, default=60, help="timed steps per model")
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--no-quality", action="store_true", help="skip the full-vs-factored perplexity comparison")
    p.add_argument("--quality-corpus", default="lee", help="corpus of that comparison (default: lee)")
    p.add_argument("--brown-results", type=Path, default=RESULTS / "lm_brown.json",
                   help="where to read the Brown run's peak RSS from")
    p.add_argument("--no-share", action="store_true", help="skip the optimizer's share of the default LM's step")
    p.add_argument("--out", type=Path, default=RESULTS / f"{NAME}.json")
    args = p.parse_args(argv)
    V, k, m, h, B = args.vocab, args.context, args.embedding_dim, args.hidden, args.batch_size
    counts, batches = zipf_data(V, k, B, min(args.steps, 50) + 3)
    runners = {"ffnlp_full": FFNLPStep(V, k, m, h), "gemm_bound": GemmBound(V, k, m, h, B)}
    torch_version = None
    if not args.no_torch:
        try:
            runners["torch_full"] = TorchStep(V, k, m, h, args.threads)
            import torch

            torch_version = torch.__version__
        except ImportError:
            print("PyTorch is not installed: pip install torch (benchmark only), or pass --no-torch", file=sys.stderr)
            raise
    full = time_steps(runners, batches, args.steps)
    fac_runners = {
        "ffnlp_factored_sgd": FFNLPStep(V, k, m, h, output="factored", counts=counts),
        "ffnlp_factored_adam": FFNLPStep(V, k, m, h, output="factored", counts=counts, optimizer="adam"),
        "ffnlp_full_adam": FFNLPStep(V, k, m, h, optimizer="adam"),
        "ffnlp_full_2": FFNLPStep(V, k, m, h),
    }
    fac = time_steps(fac_runners, batches, args.steps)
    speeds = {**full, **fac}
    summary = {name: summarize(v, B) for name, v in speeds.items()}
    best = {name: float(v["fastest_quarter"]) for name, v in summary.items()}
    median = {name: float(v["median"]) for name, v in summary.items()}
    out_layer = fac_runners["ffnlp_factored_sgd"].out
    sizes = np.diff(out_layer.class_starts)
    ratios = {
        "full_vs_torch": best["ffnlp_full"] / best["torch_full"] if "torch_full" in best else None,
        "full_vs_torch_median": median["ffnlp_full"] / median["torch_full"] if "torch_full" in median else None,
        "full_vs_gemm_bound": best["ffnlp_full"] / best["gemm_bound"],
        "factored_vs_full_sgd": best["ffnlp_factored_sgd"] / best["ffnlp_full_2"],
        "factored_vs_full_adam": best["ffnlp_factored_adam"] / best["ffnlp_full_adam"],
    }
    quality = None if args.no_quality else perplexity_cost(args.quality_corpus)
    share = None if args.no_share else optimizer_share()
    def paired(a, b):  # median over iterations of t_b / t_a: steps timed back to back see the same load
        return float(np.median(np.asarray(speeds[b]) / np.asarray(speeds[a])))

    ratios["paired_full_vs_torch"] = paired("ffnlp_full", "torch_full") if "torch_full" in speeds else None
    ratios["paired_full_vs_gemm_bound"] = paired("ffnlp_full", "gemm_bound")
    ratios["paired_factored_vs_full_sgd"] = paired("ffnlp_factored_sgd", "ffnlp_full_2")
    ratios["paired_factored_vs_full_adam"] = paired("ffnlp_factored_adam", "ffnlp_full_adam")
    brown = None
    if args.brown_results.exists():
        b = json.loads(args.brown_results.read_text())
        brown = {"peak_rss_mb": b.get("peak_rss_mb"), "command": b.get("command"), "date": b.get("date")}
    result = {
        "name": NAME,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores shared with other jobs",
        "command": "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="
                   f"{os.environ.get('OPENBLAS_NUM_THREADS', '?')} .venv/bin/python experiments/lm_speed.py "
                   + " ".join(argv if argv is not None else sys.argv[1:]),
        "model": {"context": k, "vocab": V, "embedding_dim": m, "hidden": h, "batch": B, "dtype": "float32",
                  "direct": False},
        "threads": args.threads,
        "torch_version": torch_version,
        "numpy_version": np.__version__,
        "factored_classes": {"n_classes": int(sizes.size), "max_size": int(sizes.max()),
                             "power": 0.5},
        "examples_per_second_fastest_quarter": {k_: round(v, 1) for k_, v in best.items()},
        "examples_per_second_median": {k_: round(v, 1) for k_, v in median.items()},
        "ratios": {k_: (None if v is None else round(v, 3)) for k_, v in ratios.items()},
        "targets": TARGETS,
        "meets_targets (paired ratios)": {
            "full_vs_torch": None if ratios["paired_full_vs_torch"] is None
            else ratios["paired_full_vs_torch"] >= TARGETS["full_vs_torch_min"],
            "full_vs_gemm_bound": ratios["paired_full_vs_gemm_bound"] >= TARGETS["full_vs_gemm_bound_min"],
            "factored_vs_full": ratios["paired_factored_vs_full_sgd"] >= TARGETS["factored_vs_full_min"],
            "optimizer_share": None if share is None
            else share["dense_adam"]["optimizer_share"] <= TARGETS["optimizer_share_max"],
        },
        "perplexity_cost_of_factoring": quality,
        "optimizer_share_default_lm": share,
        "brown_training_memory": brown,
    }
    line = json.dumps(result)
    print(line)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(line + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
