"""Command-line interface: ffnlp image|lm|classify|vectors|corpora <verb>.

Each subcommand group lives in its own module with ``add_parser(subparsers)``; handlers parse,
build a config, call one library function and print. Only the CLI prints; errors derived from
:class:`ffnlp.errors.FFNLPError` become one ``ffnlp: error: ...`` line and exit status 2.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

from ffnlp._version import __version__
from ffnlp.errors import ConfigError, DivergenceError, FFNLPError

_GROUPS = ("image", "lm", "classify", "corpora", "vectors")


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default only where it says something: not for required options, flags, or a
    default of None."""

    def _get_help_string(self, action):
        default = action.default
        if action.required or default is None or default is False or default == argparse.SUPPRESS \
                or not action.option_strings:
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ffnlp", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"ffnlp {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output (default: show progress)")
    sub = parser.add_subparsers(dest="group", metavar="{" + ",".join(_GROUPS) + "}")
    sub.required = True
    for name in _GROUPS:
        try:
            mod = importlib.import_module(f"ffnlp.cli.{name}")
        except ModuleNotFoundError as exc:  # a group still being written
            if exc.name == f"ffnlp.cli.{name}":
                continue
            raise
        mod.add_parser(sub)
    _add_quiet_everywhere(sub)
    return parser


def _add_quiet_everywhere(sub) -> None:
    """``-q`` after the group or verb too (``ffnlp lm train -q``): every sub-parser takes it; SUPPRESS keeps
    the top-level value when a sub-parser does not see it."""
    for group in sub.choices.values():
        parsers = [group]
        for action in group._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
        for p in parsers:
            if p.description:             # module docstrings' ``markup`` reads badly in --help
                p.description = p.description.replace("``", "")
            if not any("-q" in a.option_strings for a in p._actions):
                p.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                               help="no progress output or library warnings (also before the group)")


def config_error(exc: ValueError, flags: dict) -> FFNLPError:
    """A config's ValueError as the CLI error, worded with the flag the user typed (``flags``: field -> flag)."""
    if isinstance(exc, ConfigError):
        return exc.for_flags(flags)
    return FFNLPError(str(exc))


def check_outputs(args, flags: dict, *, inputs=()) -> None:
    """Check, before any work, every output path of ``args`` named in ``flags`` (attribute -> flag)."""
    from ffnlp._files import check_output

    for attr, flag in flags.items():
        value = getattr(args, attr, None)
        if value is not None:
            check_output(value, flag, inputs=inputs)


def _interrupted_message(args, what="interrupted") -> str:
    checkpoint = getattr(args, "checkpoint", None)
    if checkpoint is not None and Path(checkpoint).is_file():
        return (f"{what}; {checkpoint} holds the last finished epoch: run the same command with --resume "
                "to continue")
    if checkpoint is not None:
        return f"{what} before the first epoch ended: {checkpoint} was not written yet, nothing to resume"
    if hasattr(args, "checkpoint"):
        return f"{what}; nothing was saved (train with --checkpoint FILE to be able to --resume)"
    return f"{what}; no output was written"


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that half-written temporaries are removed on the way out."""


@contextmanager
def _sigterm_raises():
    def handler(signum, frame):
        raise _Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:                    # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _quiet_libraries(quiet: bool):
    """Under ``-q``: gensim's log lines and every library's Python warnings are silenced."""
    if not quiet:
        yield
        return
    gensim_log = logging.getLogger("gensim")
    level = gensim_log.level
    gensim_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        gensim_log.setLevel(level)


def with_blas_threads(cmd, default=None):
    """Run ``cmd(args)`` with BLAS limited to ``args.blas_threads`` threads (the verbs' ``--blas-threads``);
    when that is not given, to ``default(args)`` threads if ``default`` is a callable that returns a number
    (a verb's own choice), else with the library's thread count."""
    import functools

    @functools.wraps(cmd)
    def run(args):
        threads = getattr(args, "blas_threads", None)
        if threads is None and default is not None:
            threads = default(args)
        if threads is None:
            return cmd(args)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(threads, user_api="blas"):
            return cmd(args)

    return run


def positive_int(text):
    """argparse type: an integer > 0."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def add_blas_threads(parser, help=None) -> None:
    """The ``--blas-threads N`` option (default: the library's own thread count, or the verb's choice)."""
    # SUPPRESS: absent from args when not given (read with getattr), and no "(default: None)" in the help
    parser.add_argument("--blas-threads", type=positive_int, default=argparse.SUPPRESS,
                        help=help or "BLAS threads (default: the library's; 1 is faster on a busy 2-core machine)")


def add_balance_shares(parser) -> None:
    """The ``--balance-shares`` option of the training verbs (under ``mpiexec`` only)."""
    parser.add_argument("--balance-shares", action="store_true",
                        help="under mpiexec: size each process's share of every batch by its measured speed, for "
                             "machines of unequal speed (default: even shares, which repeat bit for bit)")


def add_device(parser) -> None:
    """The ``--device cpu|gpu|auto`` option of the training and evaluation verbs."""
    parser.add_argument("--device", choices=["cpu", "gpu", "auto"], default="cpu",
                        help="array backend: cpu (NumPy), gpu (CuPy: pip install 'ffnlp[gpu]'), auto (a GPU when "
                             "CuPy sees one, else the CPU)")


def device_ops(args):
    """The backend ``--device`` names; a GPU asked for where there is none is an ``ffnlp: error:`` (exit 2)."""
    from ffnlp.nn.backends import get_ops

    return get_ops(getattr(args, "device", "cpu"))


#: Set while a command runs as one process of a data-parallel job: {"dp": DataParallel}.
_PARALLEL: dict = {}


def emit_json(obj) -> None:
    """Print ``obj`` as one JSON line (the last line of stdout, by convention); a data-parallel run adds
    ``world_size``, ``global_batch`` and ``balance_shares`` (with ``--balance-shares``, also ``shares``: each
    process's fraction of a batch at the end of training)."""
    if _PARALLEL and isinstance(obj, dict):
        dp = _PARALLEL["dp"]
        obj = {**obj, "world_size": dp.world_size, "global_batch": dp.global_batch, "balance_shares": dp.balance}
        if dp.balance and "shares" in dp.stats:
            obj["shares"] = dp.stats["shares"]
    print(json.dumps(obj, sort_keys=True, default=_json_default))


def emit_metrics(metrics: dict) -> None:
    """Print ``name<TAB>value`` lines (fastText's style) for scalar metrics."""
    for k, v in metrics.items():
        if isinstance(v, (int, float, str)):
            print(f"{k}\t{v:.6g}" if isinstance(v, float) else f"{k}\t{v}")


def _json_default(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    try:
        with _sigterm_raises(), _quiet_libraries(args.quiet), _data_parallel(args), _progress_bars(args):
            return int(args.func(args) or 0)
    except FFNLPError as exc:
        print(f"ffnlp: error: {_name_the_flag(exc, args)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ffnlp: {_interrupted_message(args)}", file=sys.stderr)
        return 130
    except _Terminated:
        print(f"ffnlp: {_interrupted_message(args, 'terminated')}", file=sys.stderr)
        return 143
    except BrokenPipeError:
        return 0


def _name_the_flag(exc, args) -> str:
    """The error text, with the flag the user types where the library names a setting in words: the
    learning-rate flag in a divergence message (``--lr`` if that is what was typed)."""
    text = str(exc)
    if isinstance(exc, DivergenceError) and "lower the learning rate" in text:
        typed = (getattr(args, "_option_flags", None) or {}).get("opt_learning_rate_init")
        flag = typed or ("--learning-rate" if hasattr(args, "opt_learning_rate_init") or
                         getattr(args, "group", None) in ("lm", "image", "classify") else None)
        if flag:
            text = text.replace("lower the learning rate", f"lower the learning rate ({flag})", 1)
    return text


@contextmanager
def _progress_bars(args):
    """On a terminal (and without ``-q``), a progress bar within every epoch of every fit the command runs
    (:class:`ffnlp.progress.FitProgress`); off a terminal the engine's log lines report progress."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    if args.quiet or not tty:
        yield
        return
    from ffnlp.nn.training import fit_callbacks
    from ffnlp.progress import FitProgress

    lm = getattr(args.func, "__module__", "").endswith(".lm")
    # the language model writes a line of its own at the end of every epoch (perplexities, best epoch): its bar
    # goes away then, so each epoch is on the screen once
    with fit_callbacks(FitProgress(unit="tokens" if lm else "examples", leave=not lm)):
        yield


@contextmanager
def _data_parallel(args):
    """Under ``mpiexec -n N`` (N > 1): the command runs as one process of a data-parallel job
    (:func:`ffnlp.distributed.data_parallel`): BLAS pinned to one thread per process unless
    ``--blas-threads`` says otherwise, only the first process prints and writes files, and an unexpected
    error on one process aborts the job (the others would wait for it forever)."""
    from ffnlp.distributed import launched_under_mpi

    if not launched_under_mpi():
        yield
        return
    from ffnlp.distributed import data_parallel, world

    comm = world()
    if comm.Get_size() == 1:
        yield
        return
    if getattr(args, "blas_threads", None) is None:
        args.blas_threads = 1
    with data_parallel(blas_threads=args.blas_threads, balance=getattr(args, "balance_shares", False)) as dp:
        _PARALLEL["dp"] = dp              # the engine logs the processes and the global batch as training begins
        stdout = sys.stdout
        if dp.rank != 0:
            sys.stdout = open(os.devnull, "w")
        try:
            yield
        except (FFNLPError, KeyboardInterrupt, _Terminated, SystemExit, BrokenPipeError):
            raise                         # the same on every process (bad input, divergence) or a signal to all
        except BaseException:
            import traceback

            traceback.print_exc()
            comm.Abort(1)
        finally:
            if dp.rank != 0:
                sys.stdout.close()
                sys.stdout = stdout
            _PARALLEL.clear()


if __name__ == "__main__":
    sys.exit(main())
