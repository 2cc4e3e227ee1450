"""Synchronous data-parallel training over MPI processes (``mpiexec -n N ...``), on the one engine.

A data-parallel run is :func:`ffnlp.nn.training.fit` with a gradient exchange between backprop and the
optimizer step (the shape of Horovod's ``DistributedOptimizer``). Every process holds the whole model and
draws the same shuffled global batches (the same seed); :class:`DataParallel`, a
:class:`~ffnlp.nn.training.Callback`,

* gives each process its contiguous share of every global batch (``shard``);
* replaces each process's batch loss by the global batch's mean (``on_loss``: ``sum_r n_r loss_r / B``),
  so the history is the same everywhere and a NaN on one process stops all of them;
* (``balance``, off by default) sizes the shares by the processes' measured speeds;
* scales each process's gradients by ``n_r / B`` (every loss divides by its own batch size ``n_r``; a
  split output, below, takes them at ``1 / B`` already) and
  sums them (``on_gradients``): the optimizer's flat dense buffers with one buffer ``Allreduce``
  (``IN_PLACE``) per dtype; a table with touched rows (embeddings; lazy output rows) by exchanging only
  those rows (``Allgather`` of the counts, ``Allgatherv`` of the ids and the rows, a local scatter-add in
  rank order) when that sends fewer bytes than the table, else a dense ``Allreduce`` of the table and the
  union of the ids. Every process then applies the same rows, so lazy (row-sparse) Adam and SGD stay
  identical everywhere, and the update is that of one process on the global batch, up to float rounding;
* with ``shard_optimizer`` (the default on the CPU), splits the dense update instead of repeating it: each
  process sums the dense gradients only over its own contiguous 1/N of every flat buffer
  (``Reduce_scatter``), updates that slice, and the slices are gathered back (``Allgatherv`` in place), so
  every process ends the step with all the parameters. The bytes sent are an allreduce's (whose two halves
  these are) and each process does 1/N of the dense optimizer step (ZeRO's first stage, Rajbhandari et al.
  2020); the moments are gathered when a checkpoint asks for them (:meth:`Optimizer.state_dict`, which
  every process calls) and when training ends;
* with ``output_parallel`` (the default), lays a class-factored output out as Bengio et al. (2003, section
  3.2) did on 64 CPUs: each process owns the word rows of a contiguous block of classes
  (:class:`OutputShard`), the features and targets of the global batch are gathered, each process computes
  the within-class softmax of the examples whose target class it owns, and the input gradients go back to
  their processes; the word rows' gradients, the largest part of the model, are never sent, and each
  process updates only its own rows. The other rows are gathered at the end of every epoch (so validation,
  checkpoints and the best epoch see the whole model) and when training ends;
* validates on the first process only and broadcasts the metrics (``wrap_validate``), so improvement,
  early stopping, restore-best and learning-rate halving decide the same everywhere;
* stops every process when any one stops (``on_sync``: time limits, callbacks).

The first process alone logs and writes files: :func:`data_parallel` (used by the CLI) silences the
others' logging and turns their :func:`ffnlp._files.atomic_path` writes into no-ops, and pins every
process's BLAS to one thread (``blas_threads``), since N processes already use N cores.

A checkpoint holds no trace of the number of processes (the global batch, the shuffling generator and the
parameters are the same everywhere), so a run resumes under another number of processes.

``mpi4py`` is imported here only, and only when a run is launched under an MPI launcher (``pip install
'ffnlp[mpi]'`` brings it and the MPICH wheel; a system MPI works too).

Examples
--------
>>> from ffnlp.distributed import DataParallel, world_size
>>> world_size()                                       # not under mpiexec: one process
1
"""
from __future__ import annotations

import logging
import os
import time
from contextlib import ExitStack, contextmanager

import numpy as np

from ffnlp.nn.training import Callback, fit_callbacks

logger = logging.getLogger(__name__)

#: Environment variables that MPI launchers set in every process they start (MPICH/Hydra and PMI,
#: Open MPI, PMIx, Slurm's srun with PMI).
LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS")


def launched_under_mpi() -> bool:
    """Whether this process was started by an MPI launcher (``mpiexec``, ``mpirun``, ``srun``)."""
    return any(v in os.environ for v in LAUNCHER_VARIABLES)


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("data-parallel training needs mpi4py: pip install 'ffnlp[mpi]'") from exc
    return MPI


def world():
    """``MPI.COMM_WORLD`` when launched under an MPI launcher, else None (one process, mpi4py not imported)."""
    if not launched_under_mpi():
        return None
    return _mpi().COMM_WORLD


def world_size() -> int:
    """The number of processes of this run (1 without an MPI launcher)."""
    comm = world()
    return 1 if comm is None else comm.Get_size()


def world_rank() -> int:
    """This process's rank, 0 to ``world_size() - 1`` (0 without an MPI launcher)."""
    comm = world()
    return 0 if comm is None else comm.Get_rank()


def share(n: int, rank: int, size: int) -> tuple[int, int]:
    """The slice ``[lo, hi)`` of a batch of ``n`` that process ``rank`` of ``size`` trains on (contiguous,
    sizes differing by at most one)."""
    return n * rank // size, n * (rank + 1) // size


def even_counts(n: int, size: int) -> np.ndarray:
    """Every process's share of a batch of ``n`` under :func:`share`: (size,) int64."""
    return np.array([hi - lo for lo, hi in (share(n, r, size) for r in range(size))], np.int64)


class _TimedComm:
    """A communicator that adds the seconds spent in its calls to ``seconds`` (the waits and transfers of a
    process, which :class:`DataParallel`'s balancing subtracts from a step's time)."""

    def __init__(self, comm):
        self._comm, self.seconds = comm, 0.0

    def __getattr__(self, name):
        attr = getattr(self._comm, name)
        if not callable(attr) or name.startswith("Get"):
            return attr

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
        return timed


class DataParallel(Callback):
    """The gradient exchange of a synchronous data-parallel run of :func:`~ffnlp.nn.training.fit`.

    Parameters
    ----------
    comm : mpi4py communicator, optional
        Default ``MPI.COMM_WORLD``.
    sparse : {"auto", "rows", "dense"}
        How tables with touched rows are summed: the cheaper of the two by bytes sent (``"auto"``), always
        the touched rows, or always a dense ``Allreduce``.
    output_parallel : bool, default=True
        Split a class-factored output (:class:`~ffnlp.nn.factored.ClassFactoredSoftmax`) by classes across the
        processes (:class:`OutputShard`), on the CPU and without ``lazy`` output rows; else every process
        holds and updates the whole output and its gradient is summed as the others are.
    shard_optimizer : bool, default=True
        Split the dense optimizer step across the processes (reduce-scatter, update, allgather) instead of
        an allreduce and the whole step on every process, where the buffers are host (NumPy) arrays (a
        device's go through one allreduce, as with False).
    balance : bool, default=False
        Size each process's share of a batch by its measured speed instead of evenly: after every step the
        processes exchange their compute seconds (the step's time less the time spent in communication,
        in the stop flag's allreduce, so no message is added), and each share moves towards equal times
        (``share_r *= 1 - GAIN * (T_r - mean T) / mean T`` on a moving average ``T`` of the times, at least
        ``MIN_SHARE`` of an even share). Every process computes the same shares from the same numbers. On
        a machine whose cores run at different speeds (a shared VM; a mixed cluster), an even split makes
        every step wait for the slowest process. The shares change the order of float sums, not the
        result beyond float rounding, but a run no longer repeats bit for bit (the shares follow the
        timings); with False it does, given the same number of processes. On the 2-core VM, whose two
        cores' speeds drift apart and back within seconds, it made no measurable difference (PTB at 2
        processes, balancing switched on and off every 25 steps within one run: median steps of 16.1 and
        16.2 ms, 2026-12-01), so it is off by default; it is for a lasting difference (a mixed cluster,
        a loaded node: a process slowed by 20 ms a step gets a smaller share, as the tests check).

    Attributes
    ----------
    rank, world_size : int
    stats : dict
        Per run: ``steps``, ``sharded_steps`` (those whose dense update was split), ``dense_bytes`` and
        ``sparse_bytes`` (payload this process sent, summed over steps; an allreduce, or a reduce-scatter
        and its allgather, counts its buffer once), ``comm_seconds``.
    """

    #: Balancing (``balance``): the step's weight of the newest compute times in their moving average, the
    #: correction's gain, and the smallest share as a fraction of an even one.
    EMA, GAIN, MIN_SHARE = 0.1, 0.1, 0.25
    #: Steps of each run that balancing ignores.
    WARMUP = 2

    def __init__(self, comm=None, *, sparse: str = "auto", shard_optimizer: bool = True,
                 output_parallel: bool = True, balance: bool = False):
        if sparse not in ("auto", "rows", "dense"):
            raise ValueError(f"sparse must be 'auto', 'rows' or 'dense', got {sparse!r}")
        self.shard_optimizer = bool(shard_optimizer)
        self.output_parallel = bool(output_parallel)
        self.output_shard = None
        self.MPI = _mpi()
        comm = comm if comm is not None else self.MPI.COMM_WORLD
        self.balance = bool(balance)
        self.comm = _TimedComm(comm) if self.balance else comm    # balancing subtracts the time spent in it
        self.rank, self.world_size = self.comm.Get_rank(), self.comm.Get_size()
        # how many processes of the run share this machine (its memory bandwidth), the most over machines
        local = comm.Split_type(self.MPI.COMM_TYPE_SHARED)
        self.processes_per_machine = int(comm.allreduce(local.Get_size(), op=self.MPI.MAX))
        local.Free()
        self.weights = np.full(self.world_size, 1.0 / self.world_size)   # each process's fraction of a batch
        self._times = None                    # moving average of the processes' compute seconds per step
        self._measured = 0
        self._step_start = None
        self._counts = None                   # this batch's shares
        self.sparse = sparse
        self._shard_dense = False
        self._n_local, self._n_global = 0, 0
        self.global_batch = None
        self.stats = {}

    def __repr__(self):
        return f"DataParallel(rank={self.rank}, world_size={self.world_size})"

    # -- fit hooks -----------------------------------------------------------------------------------
    def on_train_begin(self, state):
        self.stats = {"steps": 0, "sharded_steps": 0, "dense_bytes": 0, "sparse_bytes": 0, "comm_seconds": 0.0}
        self.weights = np.full(self.world_size, 1.0 / self.world_size)
        self._times, self._measured, self._step_start, self._counts = None, 0, None, None
        state.extra["world_size"] = self.world_size
        state.extra["rank"] = self.rank
        self.output_shard = None
        if self.output_parallel and self.world_size > 1 and not getattr(state.optimizer, "lazy", False):
            from ffnlp.nn.factored import ClassFactoredSoftmax

            for layer in state.params_model.walk():
                if isinstance(layer, ClassFactoredSoftmax) and layer.ops.blocked_gemm and layer.mode != "segmented" \
                        and isinstance(layer.params["Wt"], np.ndarray):
                    self.output_shard = OutputShard(self, layer)
                    self.stats["output_parallel"] = 1
                    state.optimizer._model = None     # bind again: the shard's tables are updated row-wise
                    break
        if self.rank:
            # Dropout: every process starts from the same generator state (the seed, or a checkpoint's); each
            # process other than the first jumps its own ahead, so that the shares of a batch get independent
            # masks (rank 0 keeps the stream that checkpoints record).
            for layer in state.params_model.walk():
                rng = getattr(layer, "rng", None)
                if isinstance(rng, np.random.Generator) and hasattr(rng.bit_generator, "jumped"):
                    rng.bit_generator.state = rng.bit_generator.jumped(self.rank).state

    def shard(self, state, idx):
        self._counts = self.share_counts(len(idx))
        if state.batch == 0 and self.stats.get("steps", 0) == 0:   # the first batch of a run: a full one
            self.global_batch = len(idx)
            logger.info("data-parallel: %d processes, global batch %d (%s per process)", self.world_size, len(idx),
                        "-".join(sorted({str(int(c)) for c in self._counts})))
        lo = int(self._counts[:self.rank].sum())
        hi = lo + int(self._counts[self.rank])
        self._n_local, self._n_global = hi - lo, len(idx)
        if self.balance:
            self._step_start = (time.perf_counter(), self.comm.seconds)
        return idx[lo:hi]

    def share_counts(self, n: int) -> np.ndarray:
        """Each process's share of a batch of ``n`` (contiguous, in rank order): even (:func:`share`) without
        ``balance``, else in proportion to :attr:`weights`, every process getting one where ``n`` allows."""
        N = self.world_size
        if not self.balance or n < N:
            return even_counts(n, N)
        cuts = np.rint(np.cumsum(self.weights) * (n - N)).astype(np.int64)
        cuts[-1] = n - N
        return np.diff(np.concatenate([[0], cuts])) + 1

    def on_loss(self, state, value):
        op = self.output_shard
        if op is not None:       # the shard's exchange summed the loss already
            if not self._n_local:      # no share of this batch: still take part, for the rows it owns
                op.loss(np.zeros((0, op.layer.n_in), op.layer.params["Wt"].dtype), np.zeros(0, np.int64))
            return op.last_sum / max(self._n_global, 1)
        buf = np.array([value * self._n_local if self._n_local else 0.0], dtype=np.float64)
        self.comm.Allreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM)
        return float(buf[0]) / max(self._n_global, 1)

    def on_gradients(self, state):
        import time

        t0 = time.perf_counter()
        opt, root = state.optimizer, state.params_model
        # The optimizer flattens its dense parameters on first use; bind it now so the flat buffers exist.
        if opt._model is not root or not all(g.intact() for g in opt._groups):
            opt._bind(root)
        op = self.output_shard
        # every gradient is at the global batch's mean already when the output is split (its input gradients
        # are); else each process's loss divided by its own share
        scale = 1.0 if op is not None else self._n_local / max(self._n_global, 1)
        shard = self.shard_optimizer and self.world_size > 1 and all(isinstance(g.grad, np.ndarray)
                                                                     for g in opt._groups)
        self._shard_dense = shard
        opt.partition = self if shard or self.output_shard is not None else None
        for g in opt._groups:
            if scale != 1.0:
                g.grad *= g.grad.dtype.type(scale)
            if shard:
                self._reduce_scatter(root.ops, g.grad)
            else:
                self._allreduce(root.ops, g.grad)
            self.stats["dense_bytes"] += int(g.grad.nbytes)
        if op is not None:
            op.optimizer = opt
        for layer, key in opt._sparse:
            if op is not None and layer is op.layer and key in op.keys:
                if not op.updated:             # (the first step: the output's loss came before the binding)
                    layer.sparse[key] = op.rows    # its own rows, whole: their gradients are complete here
                continue
            self._exchange_rows(root.ops, layer, key, scale)
        self.stats["steps"] += 1
        self.stats["sharded_steps"] += int(shard)
        self.stats["comm_seconds"] += time.perf_counter() - t0

    def on_train_end(self, state):
        self.stats["shares"] = [round(float(w), 4) for w in self.weights]
        opt = state.optimizer
        if getattr(opt, "partition", None) is self:   # every process leaves with the whole optimizer state
            for i, g in enumerate(opt._groups):
                for arr in g.state.values():
                    self.gather(i, arr)
            for idx, (layer, key) in enumerate(opt._sparse):
                for arr in opt._sparse_state.get((idx, key), {}).values():
                    self.gather_rows(layer, key, arr)
            opt.partition = None
        if self.output_shard is not None:
            self.output_shard.gather()
            layer = self.output_shard.layer
            layer.shard = None
            layer.__dict__.pop("sparse_params", None)     # the class's own again
            self.output_shard = None
            opt._model = None                           # the next use binds the plain layout again

    # -- the optimizer's partition (shard_optimizer) -------------------------------------------------
    def _layout(self, n):
        bounds = [share(n, r, self.world_size) for r in range(self.world_size)]
        return [hi - lo for lo, hi in bounds], [lo for lo, _ in bounds]

    def bounds(self, i, group):
        """The slice of dense buffer ``i`` (``group``) that this process sums and updates."""
        if not self._shard_dense:
            return 0, int(group.param.shape[0])
        return share(int(group.param.shape[0]), self.rank, self.world_size)

    def gather(self, i, arr):
        """Fill ``arr`` (a flat dense buffer, or optimizer state shaped like one) from every process's slice."""
        if not self._shard_dense:
            return
        counts, displs = self._layout(int(arr.shape[0]))
        self.comm.Allgatherv(self.MPI.IN_PLACE, [arr, (counts, displs)])

    def gather_rows(self, layer, key, arr):
        """Fill the rows of a row-wise table's ``arr`` (a parameter's optimizer state) that other processes own."""
        op = self.output_shard
        if op is not None and layer is op.layer and key in op.keys:
            op.gather_array(arr)

    def _reduce_scatter(self, ops, buf):
        """Sum host buffer ``buf`` over the processes into this process's slice of it (the rest is left as is)."""
        counts, displs = self._layout(int(buf.shape[0]))
        lo = displs[self.rank]
        mine = np.empty(counts[self.rank], dtype=buf.dtype)
        self.comm.Reduce_scatter(buf, mine, recvcounts=counts, op=self.MPI.SUM)
        buf[lo:lo + counts[self.rank]] = mine

    def wrap_validate(self, validate):
        if validate is None:
            return None

        def first_validates(model):
            metrics = validate(model) if self.rank == 0 else None
            return self.comm.bcast(metrics, root=0)
        return first_validates

    def on_sync(self, state):
        # the stop flag; with balance, each process's compute seconds in the step that ended too (none after
        # an epoch's end)
        flag = np.zeros(1 + (self.world_size if self.balance else 0), dtype=np.float64)
        flag[0] = 1.0 if state.stop else 0.0
        measured = self._step_start is not None
        if measured:
            t0, waited = self._step_start
            flag[1 + self.rank] = max(time.perf_counter() - t0 - (self.comm.seconds - waited), 1e-9)
            self._step_start = None
        self.comm.Allreduce(self.MPI.IN_PLACE, flag, op=self.MPI.SUM)
        if measured and (flag[1:] > 0).all():
            self._rebalance(flag[1:])
        if flag[0]:
            reasons = self.comm.allgather(state.stop_reason if state.stop else None)
            state.stop = True
            state.stop_reason = next((r for r in reasons if r), state.stop_reason or "stopped by another process")
        if self.output_shard is not None and (state.stop or state.batch >= state.n_batches):
            self.output_shard.gather()      # the epoch ends: validation, the best epoch and checkpoints see it all

    def _rebalance(self, times):
        """Move the shares towards equal compute times (the same numbers, so the same shares, everywhere)."""
        self._measured += 1
        if self._measured <= self.WARMUP:         # the first steps bind the optimizer and warm the caches
            return
        self._times = times if self._times is None else (1 - self.EMA) * self._times + self.EMA * times
        mean = self._times.mean()
        w = self.weights * (1.0 - self.GAIN * (self._times - mean) / mean)
        w = np.maximum(w, self.MIN_SHARE / self.world_size)
        self.weights = w / w.sum()

    # -- exchanges ---------------------------------------------------------------------------------
    def _allreduce(self, ops, buf):
        if isinstance(buf, np.ndarray):
            self.comm.Allreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM)
            return
        host = np.ascontiguousarray(ops.to_host(buf))   # a device buffer: through the host (no CUDA-aware MPI)
        self.comm.Allreduce(self.MPI.IN_PLACE, host, op=self.MPI.SUM)
        buf[...] = ops.asarray(host)

    def _exchange_rows(self, ops, layer, key, scale):
        layer.fold_row_grads(key)                             # compact row gradients into the table
        G = layer.grads[key]                                  # (n_rows, ...) on the host
        rows = layer.sparse.get(key)
        if rows is not None and rows.dtype == bool:           # a device's touched-row mask: dense sum, OR of masks
            if scale != 1.0:
                G *= G.dtype.type(scale)
            self._allreduce(ops, G)
            mask = np.ascontiguousarray(ops.to_host(rows)).astype(np.uint8)
            self.comm.Allreduce(self.MPI.IN_PLACE, mask, op=self.MPI.MAX)
            layer.sparse[key] = ops.asarray(mask.astype(bool))
            self.stats["dense_bytes"] += int(G.nbytes + mask.nbytes)
            return
        ids = np.empty(0, np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        counts = np.empty(self.world_size, np.int64)
        self.comm.Allgather(np.array([ids.shape[0]], np.int64), counts)
        total = int(counts.sum())
        if total == 0:
            return
        row_elems = int(np.prod(G.shape[1:], dtype=np.int64))
        row_bytes = row_elems * G.dtype.itemsize
        # bytes received by each process: the gathered rows and ids, against a ring allreduce (~2x the table)
        rows_cost = total * (row_bytes + 8)
        dense_cost = 2 * G.nbytes + total * 8
        use_rows = self.sparse == "rows" or (self.sparse == "auto" and rows_cost < dense_cost)
        all_ids = np.empty(total, np.int64)
        self.comm.Allgatherv(ids, (all_ids, counts))
        if use_rows:
            vals = G[ids].reshape(-1)                        # a copy (fancy indexing), contiguous
            if scale != 1.0:
                vals *= G.dtype.type(scale)
            all_vals = np.empty(total * row_elems, G.dtype)
            self.comm.Allgatherv(vals, (all_vals, counts * row_elems))
            all_vals = all_vals.reshape((total,) + G.shape[1:])
            starts = np.concatenate([[0], np.cumsum(counts)])
            if self.world_size == 2:
                # own rows plus the other's: a + b == b + a exactly, so both processes hold the same sums
                G[ids] = vals.reshape((-1,) + G.shape[1:])
                o = 1 - self.rank
                if counts[o]:
                    G[all_ids[starts[o]:starts[o + 1]]] += all_vals[starts[o]:starts[o + 1]]
            else:
                G[ids] = 0
                for r in range(self.world_size):    # rank by rank: the same sums, in the same order, everywhere
                    if counts[r]:                   # ids are unique within a process
                        G[all_ids[starts[r]:starts[r + 1]]] += all_vals[starts[r]:starts[r + 1]]
            self.stats["sparse_bytes"] += int(vals.nbytes + ids.nbytes + 8)
        else:
            if scale != 1.0 and ids.shape[0]:
                G[ids] *= G.dtype.type(scale)
            self._allreduce(ops, G)
            self.stats["dense_bytes"] += int(G.nbytes)
            self.stats["sparse_bytes"] += int(ids.nbytes + 8)
        touched = np.zeros(G.shape[0], dtype=bool)            # the union of the ids, sorted, in O(n_rows)
        touched[all_ids] = True
        layer.sparse[key] = np.flatnonzero(touched).astype(rows.dtype if rows is not None else np.int64)


class OutputShard:
    """The word rows of a class-factored output that one process of a data-parallel run owns, and the loss
    of its share of a batch in that layout (Bengio et al. 2003, section 3.2).

    Process ``r`` owns a contiguous block of whole classes (so the within-class softmax of an example needs
    one process), cut at the first batch so that each process has the same expected work per step: a
    class costs ``size * (examples of it in the batch + ROW_COST) + PRESENT_COST`` (if present; ``ROW_COST_SHARED``
    in place of ``ROW_COST`` where processes share a machine), its
    within-class products for the examples that need them, the optimizer's update of its rows and the
    fixed cost of one product per class present, in units of one within-class entry (measured on PTB's
    output on the 2-core VM, one BLAS thread, 2026-12-01: an entry 241 ns, a class present 12.8 us, the
    update of a row of 400 449 ns, a class-softmax entry 31 ns). An even cut by rows gave the first of
    two processes 75% of PTB's within-class work. Dealing the classes out one by one instead (snake order
    by work) balanced both parts but fragmented the own rows into about K / N runs, and its optimizer step
    cost as much more as the word part saved (profiled on PTB at 2 processes). The parameters are the same
    on every process at the start, so the cut moves nothing. :meth:`loss`, called by the layer in place of
    its own, takes the process's share ``(X, y)``:

    1. ``Allgatherv`` of the global batch: one message of rows holding the features, the target's bits and
       the weight (the shares are known everywhere, so no counts are exchanged);
    2. the class softmax of this process's slice of the global batch, sized per batch so that the
       processes with less word work in this batch take more of it (:meth:`_class_slices`); its
       gradients are summed with the other dense ones;
    3. the within-class softmax of the examples whose target class this process owns, with its own rows;
    4. from the second step on (once the optimizer is bound), the optimizer's update of the own rows, whose
       gradients are complete here (:meth:`~ffnlp.nn.optimizers.Optimizer.update_rows`): the within-class
       work and the row updates, the two parts that differ between processes, then fall between the same two
       waits, so the cut balances their sum. (Updated in the optimizer's step, after the dense exchange,
       the process with more rows made the other wait about 1 ms at the end of every step, on top of its
       own wait here; profiled under cProfile on PTB at 2 processes, 2026-12-01.)
    5. ``Reduce_scatter`` of the input gradients back to the processes the examples came from, with one
       more row per process that sums the loss (so no allreduce of the loss follows).

    Every gradient is taken at the global batch's mean (``1 / B``): the input gradients that go home are
    the global batch's, so :class:`DataParallel` scales nothing afterwards. Each example's input gradient
    is the sum of its class part and its word part, each computed by one process, so it is the same sum
    as on one process whichever process computes which.

    Per step a process sends its share's features and targets and receives its share's input gradients,
    about ``2 B H / N`` floats, instead of the output's gradient (``V H`` floats) in plain data parallelism.
    """

    keys = ("Wt", "b")
    ROW_COST = 1.86
    #: ``ROW_COST`` where processes share a machine (and its memory bandwidth): the row updates, memory-bound,
    #: slow down while the other processes do theirs, and the products do not (PTB at 2 processes on the
    #: 2-core VM: about 800 ns a row against 449 ns alone). Chosen by the waits it leaves, in
    #: ``experiments/mpi_paired.py --toggle row-cost`` (the two cuts alternating every 20 steps of a run,
    #: 2026-12-01): the process owning the frequent words waited a median 0.76-1.05 ms a step at the input
    #: gradients' exchange with 1.86, and 0.24-0.25 ms with 3.5; the median step moved by 1.3% (-1.7% to
    #: +2.2% in three runs), since the other waits of the step take up part of what it saves.
    ROW_COST_SHARED = 3.5
    PRESENT_COST = 53.0
    CLASS_COST = 0.13

    def __init__(self, dp: DataParallel, layer):
        self.dp, self.layer = dp, layer
        self.class_cut = self.row_cut = self.classes = self.rows = None
        self.last_sum = 0.0
        self.optimizer, self.updated = None, False    # set by DataParallel once the optimizer is bound
        self.row_cost = self.ROW_COST_SHARED if dp.processes_per_machine > 1 else self.ROW_COST
        layer.shard = self
        # the own rows are updated row-wise (the rows set by DataParallel each step), never summed
        layer.sparse_params = tuple(type(layer).sparse_params) + self.keys

    def __repr__(self):
        return f"OutputShard(rank={self.dp.rank}, classes={self.classes})"

    def _cut(self, targets):
        """Own classes from the first global batch's targets (the same on every process)."""
        layer, N, r = self.layer, self.dp.world_size, self.dp.rank
        n_c = np.bincount(layer.class_of[targets], minlength=layer.n_classes)
        cum = np.cumsum(layer.class_sizes * (n_c + self.row_cost) + self.PRESENT_COST * (n_c > 0))
        cut = [0] + [int(np.searchsorted(cum, cum[-1] * q / N)) + 1 for q in range(1, N)] + [layer.n_classes]
        self.class_cut = [min(max(c, lo), layer.n_classes) for c, lo in zip(cut, [0] + cut[:-1])]
        self.row_cut = [int(layer.class_starts[c]) for c in self.class_cut]
        self.classes = (self.class_cut[r], self.class_cut[r + 1])
        self.rows = np.arange(self.row_cut[r], self.row_cut[r + 1], dtype=np.int64)
        self.class_owner = np.repeat(np.arange(N), np.diff(self.class_cut))
        self.row_work = self.row_cost * np.diff(self.row_cut).astype(np.float64)
        logger.info("output-parallel: process %d owns classes %d-%d (rows %d-%d of %d)", r, self.classes[0],
                    self.classes[1] - 1, self.row_cut[r], self.row_cut[r + 1] - 1, layer.n_out)

    def gather_array(self, arr):
        """Fill the rows of ``arr`` (shaped like ``Wt`` or ``b``) that other processes own, from them."""
        if self.row_cut is None:          # no step yet: every process holds the same rows
            return
        row = int(np.prod(arr.shape[1:], dtype=np.int64))
        counts = [(e - s) * row for s, e in zip(self.row_cut[:-1], self.row_cut[1:])]
        self.dp.comm.Allgatherv(self.dp.MPI.IN_PLACE, [arr.reshape(-1), (counts, [s * row for s in self.row_cut[:-1]])])

    def gather(self):
        """Every process's own rows of the layer's parameters, to every process."""
        for key in self.keys:
            self.gather_array(self.layer.params[key])

    def _layout(self, counts):
        """(counts, positions, loss rows) for the shares ``counts`` of a global batch: the row of the exchange
        buffer of every example, where process ``s``'s block holds its share's rows and then one row for the
        loss (so example ``i`` of process ``s`` sits at row ``i + s``)."""
        N = self.dp.world_size
        counts = np.asarray(counts, np.int64)
        pos = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(np.arange(N, dtype=np.int64), counts)
        return counts, pos, np.cumsum(counts) + np.arange(N)

    def _class_slices(self, call) -> np.ndarray:
        """Boundaries (N + 1,) of the contiguous slices of the global batch whose class softmax each process
        computes, so that every process has the same expected work in the step: its within-class entries and
        own rows' update (which differ between processes and from batch to batch) plus ``CLASS_COST *
        n_classes`` per class-softmax example (water-filling: the processes with less word work take more
        examples). A function of the batch's targets only, so every process computes the same slices."""
        layer, N, B = self.layer, self.dp.world_size, call.shape[0]
        present = np.bincount(call, minlength=layer.n_classes) > 0
        work = (np.bincount(self.class_owner[call], weights=layer.class_sizes[call], minlength=N)
                + self.PRESENT_COST * np.bincount(self.class_owner, weights=present, minlength=N) + self.row_work)
        per = self.CLASS_COST * layer.n_classes
        total = B * per
        w = np.sort(work)
        for k in range(1, N + 1):                 # the level L with sum_r max(0, L - work_r) = total
            level = (total + w[:k].sum()) / k
            if k == N or level <= w[k]:
                break
        take = np.maximum(level - work, 0.0) / per
        bounds = np.zeros(N + 1, np.int64)
        bounds[1:] = np.rint(np.cumsum(take) * (B / max(take.sum(), 1e-300)))
        bounds[-1] = B
        return np.maximum.accumulate(bounds)

    def loss(self, X, y, sample_weight=None):
        from ffnlp.nn.factored import _check_X, _check_y

        layer, comm, MPI, N = self.layer, self.dp.comm, self.dp.MPI, self.dp.world_size
        ops = layer.ops
        Wt = layer.params["Wt"]
        X = np.ascontiguousarray(ops.asarray(X, Wt.dtype))
        _check_X(X, layer.n_in, "ClassFactoredSoftmax")
        n, H = X.shape
        y = np.ascontiguousarray(_check_y(ops, y, n, layer.n_out, "ClassFactoredSoftmax"), dtype=np.int64)
        w = None if sample_weight is None else np.ascontiguousarray(ops.asarray(sample_weight, Wt.dtype).reshape(n))
        counts = self.dp._counts
        if counts is None or counts[self.dp.rank] != n:   # called outside the engine's sharding: ask everyone
            counts = np.empty(N, np.int64)
            comm.Allgather(np.array([n], np.int64), counts)
        counts, pos, slots = self._layout(counts)
        B = int(counts.sum())
        # 1. the global batch everywhere, in one message: each row holds the features, the target's bits (and
        #    the weight)
        k = -(-8 // Wt.dtype.itemsize) + (w is not None)
        packed = np.empty((n, H + k), Wt.dtype)
        packed[:, :H] = X
        packed[:, H:H + 8 // Wt.dtype.itemsize].view(np.int64)[:, 0] = y
        if w is not None:
            packed[:, -1] = w
        allp = np.empty((B, H + k), Wt.dtype)
        comm.Allgatherv(packed, [allp, counts * (H + k)])
        Xall = allp[:, :H]
        yall = np.ascontiguousarray(allp[:, H:H + 8 // Wt.dtype.itemsize]).view(np.int64)[:, 0]
        wall = np.ascontiguousarray(allp[:, -1]) if w is not None else None
        if self.classes is None:
            self._cut(yall)
        call = layer.class_of[yall]
        out = np.zeros((B + N, H), Wt.dtype)     # the input gradients by origin, and a loss row per origin
        total = 0.0
        # 2. the class softmax of this process's slice of the batch (balancing the word work of step 3)
        cb = self._class_slices(call)
        lo, hi = int(cb[self.dp.rank]), int(cb[self.dp.rank + 1])
        if hi > lo:
            dXc, logpc = layer._class_backward(Xall[lo:hi], call[lo:hi], None if wall is None else wall[lo:hi],
                                               1.0 / B)
            out[pos[lo:hi]] = dXc
            total -= float((logpc if wall is None else logpc * wall[lo:hi]).sum())
        c_lo, c_hi = self.classes
        mine = np.flatnonzero((call >= c_lo) & (call < c_hi))
        if mine.size:                     # 3. the own classes' within-class softmax, every gradient at 1 / B
            order, dXs, logpw = layer._word_backward(Xall[mine], yall[mine], call[mine],
                                                     None if wall is None else wall[mine], 1.0 / B)
            at = mine[order]                                       # global positions, in the blocks' order
            out[pos[at]] += dXs
            total -= float((logpw if wall is None else logpw * wall[at]).sum())
        opt = self.optimizer
        self.updated = opt is not None and opt._model is not None
        if self.updated:       # 4. the own rows' gradients are complete: update them before the wait
            for key in self.keys:
                opt.update_rows(layer, key, self.rows)
        out[slots, 0] = total
        back = np.empty((n + 1, H), Wt.dtype)                     # 5. the input gradients home, the loss summed
        comm.Reduce_scatter(out, back, recvcounts=(counts + 1) * H, op=MPI.SUM)
        self.last_sum = float(back[n, 0])
        self.dp.stats["dense_bytes"] += int(packed.nbytes + back.nbytes)
        return self.last_sum / max(B, 1), back[:n]


def pin_blas(threads: int = 1):
    """Limit BLAS/OpenMP to ``threads`` per process (threadpoolctl); returns the limiter (``restore_original_limits``)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=int(threads))


@contextmanager
def data_parallel(*, blas_threads: int | None = 1, quiet_workers: bool = True, sparse: str = "auto",
                  shard_optimizer: bool = True, output_parallel: bool = True, balance: bool = False):
    """Run the block as one process of a data-parallel job: every :func:`~ffnlp.nn.training.fit` inside
    exchanges gradients (:class:`DataParallel`), the other processes than the first write no files and
    (``quiet_workers``) log only warnings, and BLAS is pinned to ``blas_threads`` per process.

    Without an MPI launcher (one process) the block runs as it is. Yields the :class:`DataParallel`,
    or None for one process.
    """
    comm = world()
    if comm is None or comm.Get_size() == 1:
        yield None
        return
    from ffnlp._files import discard_writes

    dp = DataParallel(comm, sparse=sparse, shard_optimizer=shard_optimizer, output_parallel=output_parallel,
                      balance=balance)
    with ExitStack() as stack:
        if blas_threads:
            limiter = pin_blas(blas_threads)
            stack.callback(limiter.restore_original_limits)
        stack.enter_context(fit_callbacks(dp))
        if dp.rank != 0:
            stack.enter_context(discard_writes())
            if quiet_workers:
                log = logging.getLogger("ffnlp")
                level = log.level
                log.setLevel(logging.WARNING)
                stack.callback(log.setLevel, level)
        yield dp
