"""Data-parallel training (ffnlp.distributed): 2 MPI processes give the parameters of 1 process.

Each case trains the same model twice on the same global batches and seed, once as one process and once
under ``mpiexec -n 2`` (this file run as a module: ``python -m tests.test_distributed CASE OUT``), and
compares every parameter after several steps at float32 tolerance. Skipped, saying so, where mpi4py or
mpiexec is absent (``pip install 'ffnlp[mpi]'``).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CASES = ("lm_factored_adam", "lm_factored_adam_unsharded", "lm_factored_sgd_data_parallel_output",
         "lm_factored_sgd_tiny_last", "lm_full_sgd",
         "lm_factored_sgd_sparse_rows", "lm_factored_adam_lazy",
         "textcat_adam", "image_sgd",
         "image_sgd_stop",
         # balanced shares (the default: uneven, moving): float64, where only float rounding may differ
         "lm_factored_adam_f64", "lm_factored_adam_lazy_f64", "lm_factored_sgd_data_parallel_output_f64",
         "lm_factored_sgd_tiny_last_f64", "textcat_adam_slow_balance")
# The float32 cases split every batch evenly (``balance=False``): with shares that move, Adam's division
# by the root of tiny second moments turns float32 rounding into differences beyond float32 tolerance.


def _mpiexec():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return None
    exe = shutil.which("mpiexec", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    return exe


MPIEXEC = _mpiexec()
needs_mpi = pytest.mark.skipif(MPIEXEC is None, reason="mpi4py/mpiexec not installed: pip install 'ffnlp[mpi]' "
                                                       "to run the data-parallel tests")


# ------------------------------------------------------------------------------------------ worker side
def _lm_case(name):
    from ffnlp.config import LMConfig
    from ffnlp.tasks.lm import train_lm
    from ffnlp.text.vocab import Vocab

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(60)]
    # a Zipf-ish stream: 1,203 tokens -> 1,199 windows; batch 64 -> 19 global steps with a short last batch
    # ("tiny_last": 1,157 tokens -> 1,153 windows, a last batch of 1: one process has no share of it)
    stream = [words[min(int(k), 59)] for k in rng.zipf(1.3, size=1157 if "tiny_last" in name else 1203)]
    valid = [words[min(int(k), 59)] for k in rng.zipf(1.3, size=200)]
    vocab = Vocab.build([stream], min_count=1)
    enc = {"train": vocab.encode(stream), "valid": vocab.encode(valid)}
    out = "full" if "full" in name else "factored"
    opt = "sgd" if "sgd" in name else "adam"
    cfg = LMConfig(context_size=3, embedding_dim=8, hidden=(16,), output=out, optimizer=opt,
                   learning_rate=0.05 if opt == "sgd" else 0.01, momentum=0.5 if opt == "sgd" else 0.0,
                   batch_size=64, epochs=1 if name.endswith("_e1") else 2, n_iter_no_change=None, log_every=0,
                   seed=3, weight_decay=1e-4, dtype="float64" if "f64" in name else "float32",
                   **({"lazy_output": True} if "lazy" in name else {}))
    ckpt = os.environ.get("FFNLP_TEST_CHECKPOINT") if "resume" in name else None
    res = train_lm(cfg, enc, vocab=vocab, verbose=False, checkpoint=ckpt, resume=ckpt is not None)
    return {k: v for k, v in res.model.net.host_params().items()}, [r["train_loss"] for r in res.history]


def _textcat_case(name):
    from ffnlp.tasks.textcat import FFNTextClassifier

    rng = np.random.default_rng(1)
    vocab = [f"t{i}" for i in range(40)]
    docs, labels = [], []
    for i in range(150):
        y = i % 3
        n = int(rng.integers(3, 12))
        toks = [vocab[int(rng.integers(0, 40))] for _ in range(n)] + [vocab[y]] * 2
        docs.append(" ".join(toks))
        labels.append(f"c{y}")
    clf = FFNTextClassifier(hidden_layer_sizes=(12,), embedding_dim=10, batch_size=32, max_iter=3,
                            random_state=5, verbose=False)
    clf.fit(docs, labels)
    params = {}
    for i, (_, layer, key) in enumerate(clf.model_.named_params()):
        params[f"{i}.{key}"] = np.asarray(layer.params[key])
    return params, list(clf.loss_curve_)


def _image_case(name):
    from ffnlp.tasks.dense import FFNClassifier

    rng = np.random.default_rng(2)
    X = rng.normal(size=(90, 12)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    clf = FFNClassifier(hidden_layer_sizes=(7, 5), batch_size=20, max_iter=4, random_state=0, solver="sgd",
                        learning_rate_init=0.1, momentum=0.5, early_stopping=True, n_iter_no_change=2)
    clf.fit(X, y)
    params = {f"{i}.{key}": np.asarray(layer.params[key])
              for i, (_, layer, key) in enumerate(clf.model_.named_params())}
    return params, list(clf.loss_curve_)


class _SlowLastRank:
    """Sleeps 20 ms in every step of the last process: balancing must shrink its share."""

    def __new__(cls, rank, size):
        from ffnlp.nn.training import Callback

        class Slow(Callback):
            def on_batch_end(self, state):
                if rank == size - 1:
                    time.sleep(0.02)
        return Slow()


class _StopOnLastRank:
    """Sets ``state.stop`` on the last process only, after its 3rd batch: every process must stop there."""

    def __new__(cls, rank, size):
        from ffnlp.nn.training import Callback

        class Stop(Callback):
            def on_batch_end(self, state):
                if rank == size - 1 and state.batch == 3:
                    state.stop, state.stop_reason = True, "asked by the last process"
        return Stop()


def run_case(name, out):
    from ffnlp.distributed import data_parallel, world_rank, world_size
    from ffnlp.nn.training import fit_callbacks

    stop = _StopOnLastRank(world_rank(), world_size()) if "stop" in name else None
    if "slow" in name:
        stop = _SlowLastRank(world_rank(), world_size())
    with data_parallel(sparse="rows" if "sparse_rows" in name else "auto",
                       shard_optimizer="unsharded" not in name,
                       output_parallel="data_parallel_output" not in name,
                       balance="f64" in name or "balance" in name) as dp, \
            fit_callbacks(*([stop] if stop else [])):
        if name.startswith("lm"):
            params, losses = _lm_case(name)
        elif name.startswith("textcat"):
            params, losses = _textcat_case(name)
        else:
            params, losses = _image_case(name)
        rank = 0 if dp is None else dp.rank
        size = 1 if dp is None else dp.world_size
        stats = {} if dp is None else dp.stats
        per_machine = 1 if dp is None else dp.processes_per_machine
    np.savez(f"{out}.rank{rank}.npz", **params, _losses=np.asarray(losses), _size=np.asarray(size),
             _steps=np.asarray(stats.get("steps", 0)), _sharded=np.asarray(stats.get("sharded_steps", 0)),
             _output_parallel=np.asarray(stats.get("output_parallel", 0)),
             _shares=np.asarray(stats.get("shares", [1.0])), _per_machine=np.asarray(per_machine))


# ------------------------------------------------------------------------------------------ test side
def _run(cmd, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"


@needs_mpi
@pytest.mark.parametrize("case,n", [(c, 2) for c in CASES] + [("lm_factored_sgd_sparse_rows", 3)])
def test_two_processes_match_one(case, n, tmp_path):
    """n processes == 1 process; 3 processes take the row exchange's general path (shares of 21-22 of 64)."""
    one, two = tmp_path / "one", tmp_path / "two"
    _run([sys.executable, "-m", "tests.test_distributed", case, str(one)], tmp_path)
    _run([MPIEXEC, "-n", str(n), sys.executable, "-m", "tests.test_distributed", case, str(two)], tmp_path)
    a = np.load(f"{one}.rank0.npz")
    b0, b1 = np.load(f"{two}.rank0.npz"), np.load(f"{two}.rank{n - 1}.npz")
    assert int(a["_size"]) == 1 and int(b0["_size"]) == n
    assert int(b0["_per_machine"]) == n        # all on this machine: the split output's shared-memory row cost
    assert int(b0["_steps"]) == int(b1["_steps"])          # every process ran every step
    # the dense optimizer step is split across the processes unless the case turns it off
    assert int(b0["_sharded"]) == (0 if "unsharded" in case else int(b0["_steps"]))
    # a factored output is split by classes across the processes unless the case turns it off (or lazy rows)
    split = "factored" in case and "lazy" not in case and "data_parallel_output" not in case
    assert int(b0["_output_parallel"]) == int(split)
    if "stop" in case:
        assert int(b0["_steps"]) == 3                         # rank 1 alone asked to stop: both stopped there
    else:
        assert int(b0["_steps"]) > 5
    tol = dict(rtol=1e-9, atol=1e-11) if "f64" in case else dict(rtol=2e-4, atol=2e-5)
    keys = [k for k in a.files if not k.startswith("_")]
    assert keys and sorted(keys) == sorted(k for k in b0.files if not k.startswith("_"))
    for k in keys:
        # the two processes hold bit-identical parameters: the same sums in the same order everywhere
        np.testing.assert_array_equal(b0[k], b1[k], err_msg=f"{case}: ranks differ in {k}")
        np.testing.assert_allclose(b0[k], a[k], **tol, err_msg=f"{case}: 2 ranks != 1 rank in {k}")
    np.testing.assert_allclose(b0["_losses"], a["_losses"], rtol=1e-5 if "f64" not in case else 1e-10)
    # the parameters moved: a comparison of untrained models would pass trivially
    assert any(not np.allclose(a[k], 0) for k in keys)


@needs_mpi
def test_balancing_shrinks_a_slow_process_share(tmp_path):
    """The last process sleeps 20 ms per step: balancing gives it a smaller share of every batch, and the
    result is still that of one process (float64)."""
    one, two = tmp_path / "one", tmp_path / "two"
    case = "lm_factored_sgd_slow_balance_f64"
    _run([sys.executable, "-m", "tests.test_distributed", case, str(one)], tmp_path)
    _run([MPIEXEC, "-n", "2", sys.executable, "-m", "tests.test_distributed", case, str(two)], tmp_path)
    a, b0, b1 = np.load(f"{one}.rank0.npz"), np.load(f"{two}.rank0.npz"), np.load(f"{two}.rank1.npz")
    shares = b0["_shares"]
    assert shares.shape == (2,) and abs(shares.sum() - 1) < 1e-9
    assert shares[1] < 0.4 < shares[0], shares                 # from 0.5 each
    np.testing.assert_array_equal(shares, b1["_shares"])        # every process computed the same shares
    for k in (k for k in a.files if not k.startswith("_")):
        np.testing.assert_array_equal(b0[k], b1[k])
        np.testing.assert_allclose(b0[k], a[k], rtol=1e-9, atol=1e-11, err_msg=k)


@needs_mpi
def test_checkpoint_resumes_under_another_number_of_processes(tmp_path, monkeypatch):
    """Epoch 1 on 2 processes (checkpoint written by rank 0), epoch 2 resumed on 1: the parameters of
    2 epochs on 1 process."""
    monkeypatch.setenv("FFNLP_TEST_CHECKPOINT", str(tmp_path / "ck.npz"))
    ref, mixed = tmp_path / "ref", tmp_path / "mixed"
    _run([sys.executable, "-m", "tests.test_distributed", "lm_factored_adam", str(ref)], tmp_path)
    _run([MPIEXEC, "-n", "2", sys.executable, "-m", "tests.test_distributed", "lm_factored_adam_resume_e1",
          str(tmp_path / "first")], tmp_path)
    assert (tmp_path / "ck.npz").is_file()
    _run([sys.executable, "-m", "tests.test_distributed", "lm_factored_adam_resume_e2", str(mixed)], tmp_path)
    a, b = np.load(f"{ref}.rank0.npz"), np.load(f"{mixed}.rank0.npz")
    for k in (k for k in a.files if not k.startswith("_")):
        np.testing.assert_allclose(b[k], a[k], rtol=2e-4, atol=2e-5, err_msg=f"resumed run differs in {k}")
    np.testing.assert_allclose(b["_losses"], a["_losses"], rtol=1e-5)


@needs_mpi
def test_cli_under_mpiexec(tmp_path):
    """``mpiexec -n 2 ffnlp classify train|lm train --json``: one JSON line (the first process prints),
    stating world_size and the global batch; the output written once, no temporaries left."""
    rng = np.random.default_rng(0)
    with open(tmp_path / "train.txt", "w") as f:
        for i in range(120):
            toks = [f"w{int(rng.integers(0, 30))}" for _ in range(6)] + [["good", "bad"][i % 2]]
            f.write(f"__label__{['pos', 'neg'][i % 2]} {' '.join(toks)}\n")
    for name, n in (("lm_train.txt", 300), ("lm_valid.txt", 40)):
        with open(tmp_path / name, "w") as f:
            for _ in range(n):
                f.write(" ".join(f"v{min(int(k), 40)}" for k in rng.zipf(1.4, size=8)) + "\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ffnlp = [sys.executable, "-m", "ffnlp"]
    for args in (["classify", "train", "--input", "train.txt", "--output", "c.npz", "--batch-size", "32",
                  "--epochs", "2"],
                 ["lm", "train", "--train", "lm_train.txt", "--valid", "lm_valid.txt", "--epochs", "1",
                  "--batch-size", "64", "--output", "lm.npz", "--checkpoint", "ck.npz", "--no-test",
                  "--balance-shares"]):
        p = subprocess.run([MPIEXEC, "-n", "2", *ffnlp, *args, "--json"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
        assert len(lines) == 1, p.stdout
        out = json.loads(lines[0])
        assert out["world_size"] == 2 and out["global_batch"] == int(args[args.index("--batch-size") + 1])
        assert out["balance_shares"] == ("--balance-shares" in args)
        if out["balance_shares"]:
            assert len(out["shares"]) == 2 and abs(sum(out["shares"]) - 1) < 1e-3
        assert "data-parallel: 2 processes" in p.stderr, p.stderr   # once per fit (ensemble members: more)
    assert {"c.npz", "lm.npz", "ck.npz"} <= {q.name for q in tmp_path.iterdir()}
    assert not [q.name for q in tmp_path.iterdir() if q.name.endswith(".tmp")]


def test_one_process_without_launcher():
    from ffnlp.distributed import data_parallel, launched_under_mpi, share, world_size

    if launched_under_mpi():
        pytest.skip("running under an MPI launcher")
    assert world_size() == 1
    with data_parallel() as dp:
        assert dp is None
    # shares cover a batch once, contiguous, sizes within one of each other (also when n < size)
    for n, size in [(10, 3), (1, 2), (64, 4), (0, 2)]:
        parts = [share(n, r, size) for r in range(size)]
        assert parts[0][0] == 0 and parts[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
        assert max(h - lo for lo, h in parts) - min(h - lo for lo, h in parts) <= 1


def _small_dataset():
    from ffnlp.text.datasets import LabeledData, TextCatDataset

    rng = np.random.default_rng(4)
    texts, labels = [], []
    for i in range(90):
        y = i % 3
        toks = [f"u{int(rng.integers(0, 25))}" for _ in range(int(rng.integers(4, 9)))] + [f"k{y}"]
        texts.append(" ".join(toks))
        labels.append(f"c{y}")
    return TextCatDataset("small", LabeledData(texts, labels), cv_folds=3)


def _accuracies(result):
    return [(r.model, r.fold_accuracies, r.macro_f1, r.n_params) for r in result.rows]


def test_compare_jobs_same_table():
    """``compare(n_jobs=2)`` (joblib's process backend): the table of the sequential run, fold by fold."""
    from threadpoolctl import threadpool_limits

    from ffnlp.tasks.compare import compare

    models = ["ffnlp_dan", "nbsvm"]
    with threadpool_limits(1):
        one = compare(_small_dataset(), models, seeds=2, max_folds=2)
    two = compare(_small_dataset(), models, seeds=2, max_folds=2, n_jobs=2)
    assert _accuracies(two) == _accuracies(one)
    assert [r.folds for r in two.rows] == [2, 2] and len(two.rows[0].fold_accuracies) == 4


def test_compare_on_a_dask_cluster():
    """``compare(scheduler=ADDRESS)``: the fits run on a local Dask cluster of two worker processes."""
    distributed = pytest.importorskip("distributed", reason="dask.distributed not installed: pip install "
                                                            "'ffnlp[dask]' to test --scheduler")
    from threadpoolctl import threadpool_limits

    from ffnlp.tasks.compare import compare

    models = ["ffnlp_dan", "nbsvm"]
    with threadpool_limits(1):
        one = compare(_small_dataset(), models, max_folds=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        on_cluster = compare(_small_dataset(), models, max_folds=2, scheduler=cl.scheduler_address)
        assert len(cl.workers) == 2
    assert _accuracies(on_cluster) == _accuracies(one)


def test_discard_writes(tmp_path):
    from ffnlp._files import atomic_path, discard_writes

    target = tmp_path / "out.txt"
    target.write_text("old")
    with discard_writes():
        with atomic_path(target) as tmp:
            Path(tmp).write_text("new")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    with atomic_path(target) as tmp:
        Path(tmp).write_text("new")
    assert target.read_text() == "new"


if __name__ == "__main__":
    run_case(sys.argv[1], sys.argv[2])
