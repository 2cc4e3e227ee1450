"""GPU speed of the window-LM training step: ffnlp on CuPy against PyTorch on the same GPU, in one run, as ratios.

Model: the Brown-shaped window LM (context 4, |V| = 16,383, m = 60, h = 100, float32, no direct connections),
one training step = forward, backward and a plain SGD update (lr 0.1), on Zipf(1) windows and targets, for the
full softmax and the exact class-factored output, at batch 256, 1024 and 4096. Every step ends with a device
synchronize (ffnlp reads its loss on the host once per step anyway; PyTorch's loss is read with ``float``, as
a training loop logging it would). Steps of the implementations are interleaved; examples/s come from the median
step. Optionally (``--ptb``) a whole ``ffnlp lm train --corpus ptb --device gpu`` run: tokens/s and the test
perplexity, to set beside the CPU recipe's.

Targets (issue 9): ffnlp's full softmax >= 1.0x PyTorch at batch 1024 and 4096; the factored output >= 3x
ffnlp's full softmax.

Run on a machine with an NVIDIA GPU::

    pip install 'ffnlp[gpu]' torch    # torch for the comparison only; never a dependency of ffnlp
    python experiments/gpu_speed.py [--ptb]

Results go to ``experiments/results/gpu_speed.json`` with the machine and the date.
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lm_speed import zipf_data  # noqa: E402

from ffnlp.nn import SGD, Dense, Tanh, Window, chain  # noqa: E402
from ffnlp.nn.backends import get_ops  # noqa: E402
from ffnlp.nn.factored import ClassFactoredSoftmax, SoftmaxOutput, frequency_classes  # noqa: E402
from ffnlp.nn.training import train_step  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {"full_vs_torch_min_at_1024_4096": 1.0, "factored_vs_full_min": 3.0}


class FFNLPGpuStep:
    def __init__(self, V, k, m, h, *, output, counts, ops, seed=0):
        rng = np.random.default_rng(seed)
        self.body = chain(Window(V, m, k, rng=rng), Dense(k * m, h, rng=rng), Tanh())
        self.out = SoftmaxOutput(h, V, rng=rng) if output == "full" else \
            ClassFactoredSoftmax(h, frequency_classes(counts, power=0.5), rng=rng)
        self.net = chain(self.body, self.out).to_ops(ops)
        self.opt = SGD(0.1)
        self.ops = ops

    def __call__(self, X, y):
        # batches arrive from the host, as the training engine hands them to the step
        return train_step(self.body, self.out, self.opt, X, y, root=self.net)


class TorchGpuStep:
    def __init__(self, V, k, m, h, seed=0):
        import torch

        torch.manual_seed(seed)
        self.torch, self.dev = torch, torch.device("cuda")
        self.emb = torch.nn.Embedding(V, m, sparse=True).to(self.dev)
        self.hid = torch.nn.Linear(k * m, h).to(self.dev)
        self.out = torch.nn.Linear(h, V).to(self.dev)
        self.opt = torch.optim.SGD(list(self.emb.parameters()) + list(self.hid.parameters())
                                   + list(self.out.parameters()), lr=0.1)
        self.k, self.m = k, m

    def __call__(self, X, y):
        torch = self.torch
        X = torch.from_numpy(X.astype(np.int64)).to(self.dev, non_blocking=True)
        y = torch.from_numpy(y.astype(np.int64)).to(self.dev, non_blocking=True)
        self.opt.zero_grad(set_to_none=True)
        x = self.emb(X).reshape(X.shape[0], self.k * self.m)
        loss = torch.nn.functional.cross_entropy(self.out(torch.tanh(self.hid(x))), y)
        loss.backward()
        self.opt.step()
        return float(loss.detach())


def time_interleaved(runners, batches, steps, sync):
    out = {name: [] for name in runners}
    for name, run in runners.items():
        for X, y in batches[:3]:
            run(X, y)
        sync()
    for i in range(steps):
        X, y = batches[3 + i % (len(batches) - 3)]
        for name, run in runners.items():
            sync()
            t0 = time.perf_counter()
            run(X, y)
            sync()
            out[name].append(time.perf_counter() - t0)
    return out


def ptb_run(max_seconds):
    cmd = [sys.executable, "-m", "ffnlp", "-q", "lm", "train", "--corpus", "ptb", "--device", "gpu", "--json"]
    if max_seconds:
        cmd += ["--max-seconds", str(max_seconds)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip()[-500:], "command": " ".join(cmd)}
    m = json.loads(out.stdout.strip().splitlines()[-1])
    return {"command": " ".join(cmd[1:]), "wall_seconds": round(time.perf_counter() - t0, 1),
            **{k: m.get(k) for k in ("test_perplexity", "valid_perplexity", "tokens_per_second", "epochs",
                                     "best_epoch")}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batches", default="256,1024,4096")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--ptb", action="store_true", help="also a whole 'ffnlp lm train --corpus ptb --device gpu' run")
    ap.add_argument("--ptb-max-seconds", type=float, default=None)
    ap.add_argument("--out", type=Path, default=RESULTS / "gpu_speed.json")
    args = ap.parse_args(argv)
    import cupy

    ops = get_ops("gpu")
    sync = cupy.cuda.Device().synchronize
    torch_version = None
    if not args.no_torch:
        import torch

        torch_version = torch.__version__
        sync_all = lambda: (cupy.cuda.Device().synchronize(), torch.cuda.synchronize())  # noqa: E731
    else:
        sync_all = sync
    V, k, m, h = 16383, 4, 60, 100
    rows = []
    for B in (int(b) for b in args.batches.split(",")):
        counts, batches = zipf_data(V, k, B, min(args.steps, 20) + 3)
        runners = {"ffnlp_full": FFNLPGpuStep(V, k, m, h, output="full", counts=counts, ops=ops),
                   "ffnlp_factored": FFNLPGpuStep(V, k, m, h, output="factored", counts=counts, ops=ops)}
        if not args.no_torch:
            runners["torch_full"] = TorchGpuStep(V, k, m, h)
        t = time_interleaved(runners, batches, args.steps, sync_all)
        eps = {name: B / statistics.median(v) for name, v in t.items()}
        row = {"batch": B, **{f"{n}_examples_per_s": round(v) for n, v in eps.items()},
               "factored_vs_full": round(eps["ffnlp_factored"] / eps["ffnlp_full"], 3)}
        if "torch_full" in eps:
            row["full_vs_torch"] = round(eps["ffnlp_full"] / eps["torch_full"], 3)
            row["factored_vs_torch_full"] = round(eps["ffnlp_factored"] / eps["torch_full"], 3)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    props = cupy.cuda.runtime.getDeviceProperties(0)
    result = {"name": "gpu_speed", "date": datetime.datetime.now().isoformat(timespec="seconds"),
              "machine": f"{platform.node()}: {props['name'].decode() if isinstance(props['name'], bytes) else props['name']}",
              "command": "python experiments/gpu_speed.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "cupy_version": cupy.__version__, "torch_version": torch_version, "numpy_version": np.__version__,
              "model": {"context": k, "vocab": V, "embedding_dim": m, "hidden": h, "dtype": "float32",
                        "optimizer": "SGD lr 0.1"},
              "rows": rows, "targets": TARGETS,
              "ptb": ptb_run(args.ptb_max_seconds) if args.ptb else None}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
