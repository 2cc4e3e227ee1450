"""Paired before/after timing of the optimizer step on the default window LM (issue 9).

Run in two source trees (the before and after commits) alternately, with the same data; prints the median
step time, the optimizer's time and its share. ``root`` is a checkout of ffnlp::

    for r in 1 2 3; do for t in BEFORE AFTER; do
      OPENBLAS_NUM_THREADS=1 env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$t \
        python experiments/optimizer_step.py $t; done; done

The model is LMConfig()'s default (n = 5, m = 60, h = 50, direct connections, factored output, Adam, batch 256)
on a Zipf vocabulary of 11,225 words; the optimizer is the one ``train_lm`` builds.
"""
import sys, time, json
root = sys.argv[1] if len(sys.argv) > 1 else "."
sys.path.insert(0, root)
sys.path.insert(0, root + "/experiments")
import numpy as np, lm_speed
from ffnlp.config import LMConfig
from ffnlp.tasks.lm import WindowLM, make_optimizer
from ffnlp.text import Vocab
cfg = LMConfig(); V = 11225
counts, batches = lm_speed.zipf_data(V - 4, cfg.context_size, cfg.batch_size, 23)
vocab = Vocab.build([[f"w{i}" for i in range(V - 4)]], min_count=1)
lm = WindowLM(vocab, cfg, counts=np.concatenate([[0, 0, 0, 0], counts]))
opt = make_optimizer(cfg)
body, out, net = lm.body, lm.output, lm.net
def step(X, y):
    F, bp = body(X, is_train=True); l, dF = out.loss(F, y); bp(dF)
    t0 = time.perf_counter(); opt.step(net); return time.perf_counter() - t0
ts, tot = [], []
for i in range(43):
    X, y = batches[i % 23]
    t0 = time.perf_counter(); o = step(X + 4, y + 4); t = time.perf_counter() - t0
    if i >= 3: ts.append(o); tot.append(t)
print(json.dumps({"step_ms": 1000 * float(np.median(tot)), "optimizer_ms": 1000 * float(np.median(ts)),
                  "share": float(np.median(ts) / np.median(tot))}))
