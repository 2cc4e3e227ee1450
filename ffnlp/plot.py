"""Pictures of training runs and results, as PNG files (matplotlib, the ``plot`` extra).

One function per picture; each takes plain data (lists, dicts, arrays, or the objects ffnlp returns),
writes ``path`` atomically and returns it. matplotlib is imported only when a picture is drawn, with the
headless Agg backend, so nothing here needs a display.

- :func:`plot_lm_history`: a window LM's training loss and validation perplexity per epoch.
- :func:`plot_classifier_history`: a classifier's training loss and validation accuracy, per ensemble member.
- :func:`plot_confusion_matrix`: counts and row-normalized, readable for 20 classes.
- :func:`plot_comparison`: accuracy per model with error bars, ffnlp and the baselines told apart.
- :func:`plot_embedding_map`: a 2-D map (PCA or t-SNE) of the most frequent words' vectors, labelled.
- :func:`plot_image_training`: the image network's cost curve and its train and test accuracy.

:func:`check_plot_path` says, before any work, whether a path can take a picture.

Examples
--------
>>> import tempfile, pathlib
>>> from ffnlp.plot import plot_lm_history
>>> history = [{"epoch": e, "train_loss": 5.0 - e / 4, "valid_perplexity": 150.0 - 9 * e, "lr": 0.1}
...            for e in range(1, 6)]
>>> out = plot_lm_history(history, pathlib.Path(tempfile.mkdtemp()) / "lm.png", title="toy")
>>> out.stat().st_size > 0
True
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ffnlp._files import atomic_path, check_output
from ffnlp.errors import FFNLPError

DPI = 100
_FFNLP_COLOR, _BASELINE_COLOR = "#1f77b4", "#9a9a9a"


# ---------------------------------------------------------------------------------------------- plumbing
def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise FFNLPError("pictures need matplotlib: pip install 'ffnlp[plot]'") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def check_plot_path(path, *, flag: str = "--plot") -> Path:
    """Raise :class:`~ffnlp.errors.FFNLPError` (naming ``flag``) unless ``path`` can take a PNG picture: it
    ends in ``.png``, and :func:`ffnlp._files.check_output` accepts it as an output (not a folder, not under
    a file, in a folder that exists or can be made and is writable); and matplotlib is installed.
    Called before any training, so that a bad name costs nothing."""
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise FFNLPError(f"{flag} {path}: pictures are PNG files; give a name ending in .png")
    check_output(p, flag)
    _pyplot()
    return p


def _save(fig, path) -> Path:
    plt = _pyplot()
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI)
    finally:
        plt.close(fig)
    return path


def _get(obj, name, default=None):
    """``obj[name]`` for a dict, else ``obj.name``."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _plain_log_ticks(axis, *, minor: bool = True) -> None:
    """Plain numbers (200, 300, 0.01) on a log axis instead of powers of ten; labelled minor ticks too when
    the axis spans less than about a decade and a half."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    lo, hi = axis.get_view_interval()
    if minor and lo > 0 and hi / lo < 30:
        axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    else:
        axis.set_minor_formatter(NullFormatter())


def _fmt_lr(lr: float) -> str:
    return f"{lr:.3g}"


# ---------------------------------------------------------------------------------------------- LM
def plot_lm_history(history, path, *, best_epoch: int | None = None, title: str = "") -> Path:
    """A window LM's training curves: training loss and validation perplexity per epoch, on a log scale,
    the learning rate below them (its changes marked), and the best epoch marked.

    Parameters
    ----------
    history : list of dict
        One record per epoch, as :func:`ffnlp.tasks.lm.train_lm` keeps them (``TrainResult.history``,
        a saved model's ``meta_["training"]["history"]``): ``epoch``, ``train_loss`` (mean NLL, nats),
        ``valid_perplexity``, and optionally ``lr`` and ``partial`` (an epoch cut short by a time limit).
    path : str or Path
        PNG file to write.
    best_epoch : int or None
        Default: the epoch of the lowest validation perplexity.
    title : str

    Returns
    -------
    Path
    """
    rows = [h for h in history if h.get("train_loss") is not None or h.get("valid_perplexity") is not None]
    if not rows:
        raise ValueError("no epochs in the history: nothing to draw")
    plt = _pyplot()
    ep = np.array([int(h["epoch"]) for h in rows])
    train = np.array([math.exp(min(h["train_loss"], 700)) if h.get("train_loss") is not None else np.nan
                      for h in rows])
    valid = np.array([h["valid_perplexity"] if h.get("valid_perplexity") is not None else np.nan for h in rows],
                     dtype=float)
    lrs = np.array([h["lr"] if h.get("lr") is not None else np.nan for h in rows], dtype=float)
    has_lr = bool(np.isfinite(lrs).any())
    if best_epoch is None and np.isfinite(valid).any():
        best_epoch = int(ep[int(np.nanargmin(valid))])
    fig = plt.figure(figsize=(8, 6))
    grid = fig.add_gridspec(2 if has_lr else 1, 1, height_ratios=[3, 1] if has_lr else [1], hspace=0.08)
    ax = fig.add_subplot(grid[0])
    ax.plot(ep, train, "o-", color="#d62728", ms=4, label="training (exp of mean training loss)")
    ax.plot(ep, valid, "s-", color="#1f77b4", ms=4, label="validation")
    partial = np.array([bool(h.get("partial")) for h in rows])
    if partial.any():
        ax.plot(ep[partial], train[partial], "o", mfc="white", color="#d62728", ms=7,
                label="epoch cut short (time limit)")
    ax.set_yscale("log")
    _plain_log_ticks(ax.yaxis)
    ax.set_ylabel("perplexity (log scale)")
    right = ax.secondary_yaxis("right", functions=(lambda p: np.log(np.maximum(p, 1e-12)), np.exp))
    right.set_ylabel("mean NLL (nats)")
    lo, hi = ax.get_ylim()
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

    nats = [t for t in MaxNLocator(6).tick_values(math.log(lo), math.log(hi)) if math.log(lo) <= t <= math.log(hi)]
    right.yaxis.set_major_locator(FixedLocator(nats))
    right.yaxis.set_minor_locator(NullLocator())
    right.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    if best_epoch is not None and best_epoch in ep:
        i = int(np.where(ep == best_epoch)[0][0])
        ax.plot([best_epoch], [valid[i]], "*", color="#ff7f0e", ms=16, zorder=5,
                label=f"best: epoch {best_epoch}, validation {valid[i]:.1f}")
        ax.axvline(best_epoch, color="#ff7f0e", lw=0.8, ls=":")
    changes = []
    if has_lr:
        finite = np.isfinite(lrs)
        for i in range(1, len(lrs)):
            if finite[i] and finite[i - 1] and abs(lrs[i] / lrs[i - 1] - 1) > 0.05:
                changes.append(i)
        for n, i in enumerate(changes[:8]):
            ax.axvline(ep[i] - 0.5, color="#7f7f7f", lw=0.8, ls="--", label="learning rate changed" if n == 0 else None)
    ax.legend(loc="upper right", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.set_title(title or "window LM training")
    if has_lr:
        ax.tick_params(labelbottom=False)
        lr_ax = fig.add_subplot(grid[1], sharex=ax)
        lr_ax.step(ep, lrs, where="mid", color="#2ca02c")
        lr_ax.plot(ep, lrs, ".", color="#2ca02c")
        lr_ax.set_yscale("log")
        _plain_log_ticks(lr_ax.yaxis, minor=False)
        lr_ax.set_ylabel("learning rate")
        for i in changes[:8]:
            lr_ax.annotate(_fmt_lr(lrs[i]), (ep[i], lrs[i]), textcoords="offset points", xytext=(3, 4), fontsize=8)
        lr_ax.grid(True, alpha=0.3)
        lr_ax.set_xlabel("epoch")
    else:
        ax.set_xlabel("epoch")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlim(ep.min() - 0.8, ep.max() + 0.8)
    fig.subplots_adjust(left=0.1, right=0.88, top=0.93, bottom=0.09)
    return _save(fig, path)


# ---------------------------------------------------------------------------------------------- classify
def plot_classifier_history(histories, path, *, title: str = "", monitor: str = "accuracy") -> Path:
    """A classifier's training curves, one colour per ensemble member: training loss per epoch (left) and
    the validation score per epoch (right), each member's best epoch marked.

    Parameters
    ----------
    histories : list of History or dict
        :attr:`FFNTextClassifier.histories_` (``ffnlp.nn.training.History``: ``loss``, ``val`` a list of
        dicts, ``best_epoch`` 1-based) or their ``to_dict()``.
    path : str or Path
    title : str
    monitor : str
        The validation metric drawn (a key of each ``val`` dict).

    Returns
    -------
    Path
    """
    histories = list(histories)
    if not histories or not any(len(_get(h, "loss", []) or []) for h in histories):
        raise ValueError("no training epochs recorded: nothing to draw (a model loaded from a file keeps none)")
    plt = _pyplot()
    has_val = any(any(monitor in v for v in (_get(h, "val", []) or [])) for h in histories)
    fig, axes = plt.subplots(1, 2 if has_val else 1, figsize=(11 if has_val else 6.5, 4.5), squeeze=False)
    ax_loss = axes[0, 0]
    colors = plt.get_cmap("tab10")
    for k, h in enumerate(histories):
        loss = list(_get(h, "loss", []) or [])
        c = colors(k % 10)
        label = f"member {k + 1}" if len(histories) > 1 else "training"
        ax_loss.plot(range(1, len(loss) + 1), loss, "-", color=c, marker="o" if len(loss) <= 30 else None, ms=3,
                     label=label)
        if has_val:
            val = [v.get(monitor, np.nan) for v in (_get(h, "val", []) or [])]
            ax = axes[0, 1]
            ax.plot(range(1, len(val) + 1), val, "-", color=c, marker="o" if len(val) <= 30 else None, ms=3,
                    label=label)
            best = _get(h, "best_epoch")
            if best is not None and 1 <= best <= len(val):
                ax.plot([best], [val[best - 1]], "*", color=c, ms=14, mec="black", mew=0.5, zorder=5)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss (mean cross-entropy, nats)")
    ax_loss.set_title("training loss")
    ax_loss.grid(True, alpha=0.3)
    ax_loss.xaxis.get_major_locator().set_params(integer=True)
    if len(histories) > 1 or not has_val:
        ax_loss.legend(fontsize=8)
    if has_val:
        ax = axes[0, 1]
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"validation {monitor}")
        ax.set_title(f"validation {monitor} (star: best epoch, restored)")
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if len(histories) > 1:
            ax.legend(fontsize=8)
    fig.suptitle(title or "text classifier training")
    fig.tight_layout()
    return _save(fig, path)


def plot_confusion_matrix(y_true, y_pred, path, *, labels=None, title: str = "") -> Path:
    """The confusion matrix twice: counts (left) and normalized by row, i.e. by true class (right).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    path : str or Path
    labels : list of str or None
        The classes in order (default: sorted union of both).
    title : str

    Returns
    -------
    Path
    """
    y_true = np.asarray(y_true).astype(str)
    y_pred = np.asarray(y_pred).astype(str)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of one length, got shapes {y_true.shape}, {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("no predictions: nothing to draw")
    labels = [str(c) for c in labels] if labels is not None else sorted(set(y_true) | set(y_pred))
    index = {c: i for i, c in enumerate(labels)}
    n = len(labels)
    C = np.zeros((n, n), dtype=np.int64)                      # rows: true, columns: predicted
    for t, p in zip(y_true, y_pred):
        if t in index and p in index:
            C[index[t], index[p]] += 1
    R = 100.0 * C / np.maximum(C.sum(axis=1, keepdims=True), 1)    # percent of each true class
    plt = _pyplot()
    side = max(5.0, min(9.0, 2.5 + 0.32 * n))
    fig, axes = plt.subplots(1, 2, figsize=(2 * side + 1.5, side + 0.6))
    fs = 9 if n <= 8 else 7 if n <= 14 else 5.5
    longest = max(len(c) for c in labels)
    panels = ((axes[0], C, "counts", "documents"),
              (axes[1], R, "row-normalized: % of each true class (diagonal: recall)", "% of the true class"))
    for ax, M, name, unit in panels:
        im = ax.imshow(M, cmap="Blues", vmin=0, vmax=M.max() if M.max() > 0 else 1)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03).set_label(unit)
        ax.set_xticks(range(n))
        ax.set_yticks(range(n))
        ax.set_xticklabels(labels, rotation=90 if longest > 3 or n > 10 else 0, fontsize=fs + 1)
        ax.set_yticklabels(labels, fontsize=fs + 1)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(name)
        if n <= 25:
            hi = M.max() if M.max() > 0 else 1
            for i in range(n):
                for j in range(n):
                    if round(float(M[i, j])) == 0:
                        continue
                    v = f"{M[i, j]:.0f}"
                    ax.text(j, i, v, ha="center", va="center", fontsize=fs,
                            color="white" if M[i, j] > 0.6 * hi else "black")
    acc = np.trace(C) / max(C.sum(), 1)
    fig.suptitle(f"{title + ': ' if title else ''}confusion matrix, {C.sum():,} documents, accuracy {acc:.1%}")
    fig.tight_layout()
    return _save(fig, path)


def plot_comparison(comparisons, path, *, title: str = "", ffnlp_prefix: str = "ffnlp") -> Path:
    """Accuracy per model with error bars (standard deviation over folds or seeds), one panel per dataset;
    ffnlp's models and the scikit-learn baselines in two colours, best first.

    Parameters
    ----------
    comparisons : list of Comparison or dict
        :class:`ffnlp.tasks.compare.Comparison` objects or their ``to_dict()`` (``dataset``, ``protocol``,
        ``rows`` with ``model``, ``accuracy``, ``accuracy_std``, ``folds``, ``seeds``).
    path : str or Path
    title : str
    ffnlp_prefix : str
        Rows whose model name starts with it are ffnlp's.

    Returns
    -------
    Path
    """
    comparisons = list(comparisons)
    if not comparisons or not any(_get(c, "rows") for c in comparisons):
        raise ValueError("no results: nothing to draw")
    plt = _pyplot()
    from matplotlib.patches import Patch

    n = len(comparisons)
    ncols = min(n, 3)
    nrows = -(-n // ncols)
    most = max(len(_get(c, "rows")) for c in comparisons)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols + 0.6, max(3.4, 0.32 * most + 1.6) * nrows + 0.6),
                             squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, c in zip(axes.flat, comparisons):
        rows = sorted(_get(c, "rows"), key=lambda r: _get(r, "accuracy"))
        names = [_get(r, "model") for r in rows]
        acc = np.array([_get(r, "accuracy") for r in rows]) * 100
        std = np.array([_get(r, "accuracy_std", 0.0) or 0.0 for r in rows]) * 100
        ours = [str(m).startswith(ffnlp_prefix) for m in names]
        y = np.arange(len(rows))
        ax.barh(y, acc, color=[_FFNLP_COLOR if o else _BASELINE_COLOR for o in ours], height=0.7)
        spread = std > 0
        if spread.any():
            ax.errorbar(acc[spread], y[spread], xerr=std[spread], fmt="none", ecolor="black", capsize=3, lw=1)
        ax.set_yticks(y)
        ax.set_yticklabels(names, fontsize=8)
        for tick, o in zip(ax.get_yticklabels(), ours):
            tick.set_fontweight("bold" if o else "normal")
        lo = max(0.0, math.floor(float(np.min(acc - std)) - 4))
        hi = min(100.0, float(np.max(acc + std)) + 0.18 * (float(np.max(acc + std)) - lo) + 1)
        ax.set_xlim(lo, hi)
        for yi, a, s in zip(y, acc, std):
            ax.text(a + s + 0.01 * (hi - lo), yi, f"{a:.1f}" + (f" ± {s:.1f}" if s > 0 else ""), va="center",
                    fontsize=7)
        runs = []
        folds = max(_get(r, "folds", 1) or 1 for r in rows)
        seeds = max(_get(r, "seeds", 1) or 1 for r in rows)
        if folds > 1:
            runs.append(f"{folds} folds")
        if seeds > 1:
            runs.append(f"{seeds} seeds")
        ax.set_xlabel("test accuracy (%)" + (f", mean ± std over {' x '.join(runs)}" if runs else ""), fontsize=9)
        ax.set_title(str(_get(c, "dataset")), fontsize=11)
        ax.grid(True, axis="x", alpha=0.3)
    fig.legend(handles=[Patch(color=_FFNLP_COLOR, label="ffnlp (feedforward networks)"),
                        Patch(color=_BASELINE_COLOR, label="scikit-learn baselines")],
               loc="lower center", ncol=2, fontsize=9, frameon=False)
    fig.suptitle(title or "ffnlp against the baselines, identical splits")
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return _save(fig, path)


# ---------------------------------------------------------------------------------------------- vectors
def _is_word(token: str) -> bool:
    return not (token.startswith("<") and token.endswith(">")) and any(ch.isalnum() for ch in token)


def plot_embedding_map(kv, path, *, n_words: int = 100, method: str = "pca", title: str = "",
                       random_state: int = 0) -> Path:
    """A 2-D map of the ``n_words`` most frequent words' vectors, each point labelled with its word.

    Parameters
    ----------
    kv : gensim.models.KeyedVectors, or a (words, vectors) pair
        Words in descending frequency (gensim's order, and ffnlp's vocabularies'); ``vectors`` an array of
        shape (n_words_in, dim). Special tokens (``<unk>``, ...) and punctuation are left out.
    path : str or Path
    n_words : int
    method : {"pca", "tsne"}
        Principal components (scikit-learn ``PCA``), or t-SNE (``sklearn.manifold.TSNE``) on the vectors
        scaled to unit length, so that it maps cosine neighbourhoods.
    title : str
    random_state : int
        Of t-SNE.

    Returns
    -------
    Path
    """
    if method not in ("pca", "tsne"):
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
    if int(n_words) < 3:
        raise ValueError(f"n_words must be at least 3, got {n_words!r}")
    if isinstance(kv, tuple):
        words, V = list(kv[0]), np.asarray(kv[1], dtype=np.float64)
    else:
        words, V = list(kv.index_to_key), np.asarray(kv.vectors, dtype=np.float64)
    if V.ndim != 2 or V.shape[0] != len(words):
        raise ValueError(f"vectors of shape {V.shape} do not match {len(words)} words")
    keep = [i for i, w in enumerate(words) if _is_word(str(w))][: int(n_words)]
    if len(keep) < 3:
        raise ValueError(f"only {len(keep)} words to draw: a map needs at least 3")
    words = [str(words[i]) for i in keep]
    X = V[keep]                                                     # (n, dim)
    if method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=random_state)
        Y = pca.fit_transform(X)                                    # (n, 2)
        axes_label = [f"principal component {k + 1} ({r:.0%} of variance)"
                      for k, r in enumerate(pca.explained_variance_ratio_)]
    else:
        from sklearn.manifold import TSNE

        U = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
        Y = TSNE(n_components=2, perplexity=min(30.0, (len(words) - 1) / 3), init="pca",
                 random_state=random_state).fit_transform(U)
        axes_label = ["t-SNE 1", "t-SNE 2"]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 8))
    rank = np.arange(len(words))
    sc = ax.scatter(Y[:, 0], Y[:, 1], c=rank, cmap="viridis_r", s=14)
    fs = 9 if len(words) <= 60 else 8 if len(words) <= 120 else 6.5
    cb = fig.colorbar(sc, ax=ax, fraction=0.04, pad=0.02)
    cb.set_label("frequency rank (0 = most frequent)")
    ax.set_xlabel(axes_label[0])
    ax.set_ylabel(axes_label[1])
    ax.set_title(title or f"the {len(words)} most frequent words ({'PCA' if method == 'pca' else 't-SNE'})")
    ax.grid(True, alpha=0.2)
    fig.tight_layout()
    _place_labels(ax, Y, words, fs)                                 # after the layout: positions in pixels
    return _save(fig, path)


def _place_labels(ax, Y, words, fontsize) -> None:
    """Label each point of ``Y`` (n, 2) with its word, most frequent first, each at the first of a few spots
    around its point (right, left, above, below) whose box overlaps no label already placed; the least
    crowded spot when all overlap. Boxes are estimated in points from the word's length."""
    to_px = ax.transData.transform
    scale = ax.figure.dpi / 72.0                                    # points -> pixels
    h = fontsize * 1.15
    placed = []                                                     # (x0, y0, x1, y1) in pixels

    def overlap(box):
        return sum(max(0.0, min(box[2], b[2]) - max(box[0], b[0])) * max(0.0, min(box[3], b[3]) - max(box[1], b[1]))
                   for b in placed)

    points = to_px(Y)                                               # (n, 2) pixels
    for (px, py), (x, y), w in zip(points, Y, words):
        width = 0.6 * fontsize * len(w) + 2
        spots = [(3, 1), (-width - 3, 1), (-width / 2, 4), (-width / 2, -h - 3), (3, -h + 2), (-width - 3, -h + 2)]
        best = None
        for dx, dy in spots:
            box = (px + dx * scale, py + dy * scale, px + (dx + width) * scale, py + (dy + h) * scale)
            cost = overlap(box)
            if best is None or cost < best[0]:
                best = (cost, dx, dy, box)
            if cost == 0:
                break
        _, dx, dy, box = best
        placed.append(box)
        ax.annotate(w, (x, y), textcoords="offset points", xytext=(dx, dy + 2), fontsize=fontsize)


# ---------------------------------------------------------------------------------------------- image
def plot_image_training(costs, path, *, train_accuracy: float | None = None, test_accuracy: float | None = None,
                        xlabel: str = "iteration", title: str = "") -> Path:
    """The image network's cost curve (left) and, where measured, its train and test accuracy (right).

    Parameters
    ----------
    costs : dict of int -> float
        Cost recorded every ``log_every`` iterations (:attr:`ffnlp.tasks.image.ImageResult.costs`).
    path : str or Path
    train_accuracy, test_accuracy : float in [0, 1] or None
    xlabel : str
        ``"iteration"`` for full-batch gradient descent, ``"epoch"`` for minibatches.
    title : str

    Returns
    -------
    Path
    """
    its = sorted(int(k) for k in costs)
    if not its:
        raise ValueError("no costs recorded: nothing to draw")
    vals = [float(costs[k] if k in costs else costs[str(k)]) for k in its]
    accs = [(name, a) for name, a in (("train", train_accuracy), ("test", test_accuracy)) if a is not None]
    plt = _pyplot()
    if accs:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 4), gridspec_kw={"width_ratios": [3, 1]})
    else:
        fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(its, vals, "-", color="#1f77b4", marker="o" if len(its) <= 40 else None, ms=3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost (cross-entropy)")
    ax.set_title("cost")
    ax.grid(True, alpha=0.3)
    if accs:
        names = [n for n, _ in accs]
        values = [100 * a for _, a in accs]
        bars = ax2.bar(names, values, color=["#2ca02c", "#ff7f0e"][: len(accs)], width=0.6)
        for b, v in zip(bars, values):
            ax2.text(b.get_x() + b.get_width() / 2, v + 1, f"{v:.1f}%", ha="center", va="bottom", fontsize=9)
        ax2.set_ylim(0, 110)
        ax2.set_ylabel("accuracy (%)")
        ax2.set_title("accuracy")
        ax2.grid(True, axis="y", alpha=0.3)
    fig.suptitle(title or "image network training")
    fig.tight_layout()
    return _save(fig, path)


__all__ = ["check_plot_path", "plot_lm_history", "plot_classifier_history", "plot_confusion_matrix",
           "plot_comparison", "plot_embedding_map", "plot_image_training", "DPI"]
