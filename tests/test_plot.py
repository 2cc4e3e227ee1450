"""ffnlp.plot: every picture is a PNG of the expected size that is not blank, drawn headless; and the
verbs' --plot options write them (checked before any training)."""
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from ffnlp import plot  # noqa: E402
from ffnlp.cli import main  # noqa: E402
from ffnlp.errors import FFNLPError  # noqa: E402


def png_size(path):
    """(width, height) from the PNG header; fails unless the file is a PNG."""
    head = open(path, "rb").read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def assert_picture(path, size):
    """A PNG of ``size`` pixels with something drawn on it: pixel variance and enough non-white pixels."""
    import matplotlib.image

    assert png_size(path) == size
    img = matplotlib.image.imread(str(path))[..., :3]           # (h, w, 3) floats in [0, 1]
    assert img.shape[:2] == (size[1], size[0])
    assert img.var() > 1e-3
    ink = (img.min(axis=2) < 0.9).mean()
    assert 0.01 < ink < 0.9, ink


def _history(n=6, halve_at=4):
    return [{"epoch": e, "train_loss": 5.0 - 0.3 * e, "valid_perplexity": 140.0 - 6 * e + (8 if e == 5 else 0),
             "lr": 0.1 if e < halve_at else 0.05, "partial": e == n} for e in range(1, n + 1)]


def test_lm_history(tmp_path):
    out = plot.plot_lm_history(_history(), tmp_path / "lm.png", title="toy")
    assert out == tmp_path / "lm.png"
    assert_picture(out, (800, 600))
    no_lr = [{k: v for k, v in h.items() if k != "lr"} for h in _history()]
    assert_picture(plot.plot_lm_history(no_lr, tmp_path / "lm2.png", best_epoch=2), (800, 600))
    with pytest.raises(ValueError, match="no epochs"):
        plot.plot_lm_history([], tmp_path / "none.png")
    assert not (tmp_path / "none.png").exists()


def test_classifier_history(tmp_path):
    rng = np.random.default_rng(0)
    hs = [{"loss": list(1 / np.arange(1, 8) + rng.random(7) * 0.05),
           "val": [{"accuracy": 0.8 + 0.01 * i, "loss": 0.5} for i in range(7)], "best_epoch": 5} for _ in range(3)]
    assert_picture(plot.plot_classifier_history(hs, tmp_path / "c.png"), (1100, 450))
    no_val = [{"loss": [1.0, 0.5, 0.3], "val": []}]
    assert_picture(plot.plot_classifier_history(no_val, tmp_path / "c1.png"), (650, 450))
    with pytest.raises(ValueError, match="no training epochs"):
        plot.plot_classifier_history([{"loss": [], "val": []}], tmp_path / "c2.png")


NEWSGROUPS = ["alt.atheism", "comp.graphics", "comp.os.ms-windows.misc", "comp.sys.ibm.pc.hardware",
              "comp.sys.mac.hardware", "comp.windows.x", "misc.forsale", "rec.autos", "rec.motorcycles",
              "rec.sport.baseball", "rec.sport.hockey", "sci.crypt", "sci.electronics", "sci.med", "sci.space",
              "soc.religion.christian", "talk.politics.guns", "talk.politics.mideast", "talk.politics.misc",
              "talk.religion.misc"]


def test_confusion_matrix_20_classes_and_2(tmp_path):
    rng = np.random.default_rng(0)
    t = rng.integers(0, 20, 2000)
    p = np.where(rng.random(2000) < 0.8, t, rng.integers(0, 20, 2000))
    names = np.array(NEWSGROUPS)
    assert_picture(plot.plot_confusion_matrix(names[t], names[p], tmp_path / "cm.png", labels=NEWSGROUPS),
                   (1930, 950))
    assert_picture(plot.plot_confusion_matrix(["a", "b", "b"], ["a", "b", "a"], tmp_path / "cm2.png"), (1150, 560))
    with pytest.raises(ValueError, match="shapes"):
        plot.plot_confusion_matrix(["a"], ["a", "b"], tmp_path / "bad.png")


def _comparison(name, n_models=5, folds=1, seeds=3):
    rows = [{"model": m, "accuracy": 0.8 + 0.02 * k, "accuracy_std": 0.01 * (k % 2), "folds": folds,
             "seeds": seeds if m.startswith("ffnlp") else 1}
            for k, m in enumerate(["ffnlp_dan", "ffnlp_conv", "nbsvm", "tfidf_logreg", "tfidf_svm"][:n_models])]
    return {"dataset": name, "protocol": "fixed", "rows": rows}


def test_comparison_one_panel_per_dataset(tmp_path):
    assert_picture(plot.plot_comparison([_comparison("trec")], tmp_path / "c1.png"), (580, 400))
    three = [_comparison("trec"), _comparison("mr", folds=10, seeds=1), _comparison("sst2", 3)]
    assert_picture(plot.plot_comparison(three, tmp_path / "c3.png"), (1620, 400))
    four = three + [_comparison("sms")]
    assert_picture(plot.plot_comparison(four, tmp_path / "c4.png"), (1620, 740))
    with pytest.raises(ValueError, match="no results"):
        plot.plot_comparison([], tmp_path / "none.png")


def test_comparison_takes_compare_results(tmp_path):
    from ffnlp.tasks.compare import compare

    result = compare("polarity", ["nbsvm", "tfidf_mnb"], max_folds=2)
    assert_picture(plot.plot_comparison([result], tmp_path / "p.png"), (580, 400))


def _kv(n=60, dim=10, seed=0):
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(seed)
    kv = KeyedVectors(dim)
    words = ["<unk>", "<s>", ",", "."] + [f"w{i}" for i in range(n)]
    kv.add_vectors(words, rng.normal(size=(len(words), dim)).astype(np.float32))
    return kv


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_embedding_map(tmp_path, method):
    out = plot.plot_embedding_map(_kv(), tmp_path / f"{method}.png", n_words=40, method=method)
    assert_picture(out, (1000, 800))


def test_embedding_map_leaves_out_specials_and_punctuation(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = []
    real = plt.Axes.annotate

    def spy(self, text, *a, **k):
        drawn.append(text)
        return real(self, text, *a, **k)

    plt.Axes.annotate = spy
    try:
        plot.plot_embedding_map(_kv(), tmp_path / "m.png", n_words=5)
    finally:
        plt.Axes.annotate = real
    assert drawn == ["w0", "w1", "w2", "w3", "w4"]             # the most frequent words, in order
    words = ["a", "b", "c", "d"]
    V = np.eye(4)
    assert_picture(plot.plot_embedding_map((words, V), tmp_path / "t.png"), (1000, 800))
    with pytest.raises(ValueError, match="method"):
        plot.plot_embedding_map((words, V), tmp_path / "x.png", method="umap")
    with pytest.raises(ValueError, match="do not match"):
        plot.plot_embedding_map((words, V[:3]), tmp_path / "x.png")


def test_image_training(tmp_path):
    costs = {0: 0.69, 100: 0.5, 200: 0.35, 300: 0.2}
    assert_picture(plot.plot_image_training(costs, tmp_path / "i.png", train_accuracy=0.98, test_accuracy=0.8),
                   (900, 400))
    assert_picture(plot.plot_image_training({str(k): v for k, v in costs.items()}, tmp_path / "i1.png"),
                   (650, 400))


def test_check_plot_path(tmp_path):
    assert plot.check_plot_path(tmp_path / "a.PNG") == tmp_path / "a.PNG"
    for bad, words in ((tmp_path / "a.pdf", ".png"), (tmp_path, ".png"), (tmp_path / "x.png" / "y.png", None)):
        if words is None:
            (tmp_path / "x.png").write_text("a file")
        with pytest.raises(FFNLPError, match="--map"):
            plot.check_plot_path(bad, flag="--map")


def test_pictures_are_drawn_headless(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND", "WAYLAND_DISPLAY")}
    code = ("import matplotlib; matplotlib.use('TkAgg', force=False)\n"
            "from ffnlp.plot import plot_image_training\n"
            f"plot_image_training({{0: 1.0, 1: 0.5}}, {str(tmp_path / 'h.png')!r})\n"
            "import matplotlib.pyplot as plt; print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().lower() == "agg"
    assert png_size(tmp_path / "h.png") == (650, 400)


# ---------------------------------------------------------------------------------------------- the verbs
def _run(capsys, argv):
    code = main(["-q", *[str(a) for a in argv]])
    out, err = capsys.readouterr()
    return code, out, err


def _fails(capsys, argv, *words):
    code, out, err = _run(capsys, argv)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ffnlp: error: "), err
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.fixture(scope="module")
def lm_corpus(tmp_path_factory):
    rng = np.random.default_rng(0)
    subj, verb, obj = ["The cat", "The dog", "A bird"], ["sees", "likes"], ["the ball.", "a fish.", "her book."]
    lines = [f"{subj[rng.integers(3)]} {verb[rng.integers(2)]} {obj[rng.integers(3)]}" for _ in range(300)]
    path = tmp_path_factory.mktemp("lm") / "toy.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


LM_FAST = ["--context", "2", "--embedding-dim", "8", "--hidden", "16", "--epochs", "3", "--batch-size", "32",
           "--learning-rate", "0.01"]


def test_lm_train_plot_then_lm_plot_and_lm_vectors(lm_corpus, tmp_path, capsys):
    model, pic = tmp_path / "m.npz", tmp_path / "curves.png"
    code, _, err = _run(capsys, ["lm", "train", "--corpus", lm_corpus, *LM_FAST, "--output", model, "--plot", pic])
    assert code == 0, err
    assert_picture(pic, (800, 600))
    again = tmp_path / "again.png"
    code, out, err = _run(capsys, ["lm", "plot", model, "--output", again])
    assert code == 0, err
    assert "epochs\t3" in out
    assert_picture(again, (800, 600))
    vec, vmap = tmp_path / "v.txt", tmp_path / "map.png"
    code, out, err = _run(capsys, ["lm", "vectors", model, "--output", vec, "--plot", vmap, "--plot-words", "10"])
    assert code == 0, err
    assert vec.read_text().split()[1] == "8"
    assert_picture(vmap, (1000, 800))
    _fails(capsys, ["lm", "vectors", model], "--output", "--plot")
    _fails(capsys, ["lm", "plot", model, "--output", tmp_path / "x.jpg"], "--output", ".png")


def test_lm_plot_path_checked_before_training(lm_corpus, tmp_path, capsys):
    model = tmp_path / "m.npz"
    _fails(capsys, ["lm", "train", "--corpus", lm_corpus, *LM_FAST, "--output", model, "--plot", tmp_path / "c.pdf"],
           "--plot", ".png")
    assert not model.exists()
    _fails(capsys, ["lm", "train", "--corpus", lm_corpus, "--model", "kn", "--plot", tmp_path / "c.png"],
           "--plot", "kn")
    kn = tmp_path / "kn.npz"
    assert _run(capsys, ["lm", "train", "--corpus", lm_corpus, "--model", "kn", "--order", "3", "--output", kn])[0] == 0
    _fails(capsys, ["lm", "plot", kn, "--output", tmp_path / "k.png"], "n-gram", str(kn))


def _labeled(path, n, seed=0):
    """The CLI tests' generated sentiment documents, as a fastText file."""
    from tests.test_cli_classify import _docs, _write_fasttext

    _write_fasttext(path, _docs(n, seed))
    return path


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_classify_train_test_vectors_plots(tmp_path, capsys):
    train, test = _labeled(tmp_path / "train.txt", 160), _labeled(tmp_path / "test.txt", 40, seed=1)
    model, curves = tmp_path / "m.npz", tmp_path / "curves.png"
    code, _, err = _run(capsys, ["classify", "train", "--input", train, "--output", model, "--dim", "16",
                                 "--epochs", "6", "--n-models", "2", "--early-stopping", "--plot", curves])
    assert code == 0, err
    assert_picture(curves, (1100, 450))                          # loss and validation accuracy
    no_val = tmp_path / "curves1.png"
    code, _, err = _run(capsys, ["classify", "train", "--input", train, "--output", tmp_path / "m1.npz", "--dim", "16",
                                 "--epochs", "3", "--plot", no_val])
    assert code == 0, err
    assert_picture(no_val, (650, 450))                           # no held-out data: the loss only
    cm = tmp_path / "cm.png"
    code, out, err = _run(capsys, ["classify", "test", model, test, "--plot", cm])
    assert code == 0, err
    assert_picture(cm, (1150, 560))
    vmap = tmp_path / "map.png"
    code, out, err = _run(capsys, ["classify", "vectors", model, "--plot", vmap, "--plot-words", "12"])
    assert code == 0, err
    assert_picture(vmap, (1000, 800))
    _fails(capsys, ["classify", "vectors", model], "--output", "--plot")
    _fails(capsys, ["classify", "test", model, test, "--plot", tmp_path / "cm"], "--plot", ".png")
    out_model = tmp_path / "never.npz"
    _fails(capsys, ["classify", "train", "--input", train, "--output", out_model, "--plot", tmp_path / "c.svg"],
           "--plot", ".png")
    assert not out_model.exists()


def test_classify_compare_plot(tmp_path, capsys):
    pic = tmp_path / "cmp.png"
    code, out, err = _run(capsys, ["classify", "compare", "--dataset", "polarity", "--models", "nbsvm,tfidf_mnb",
                                   "--folds", "2", "--plot", pic])
    assert code == 0, err
    assert_picture(pic, (580, 400))
    _fails(capsys, ["classify", "compare", "--dataset", "polarity", "--plot", tmp_path / "nope" / "x.gif"],
           "--plot", ".png")


def test_image_train_plot(tmp_path, capsys):
    pic = tmp_path / "cost.png"
    code, out, err = _run(capsys, ["image", "train", "--iterations", "3", "--plot", pic])
    assert code == 0, err
    assert_picture(pic, (900, 400))
