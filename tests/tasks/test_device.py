"""Every task on a device backend: the estimators and the LM train on the fake device (arrays that are not
NumPy arrays, as CuPy's) and agree with the CPU; files written there load on the CPU; ``--device gpu``
without CuPy is one error line and exit 2 on every training and evaluation verb."""
import numpy as np
import pytest

from ffnlp.cli import main
from ffnlp.nn.backends import NUMPY_OPS, gpu_available
from tests.fake_device import FakeArray, FakeOps

TEXTS = ["a good film", "a bad film", "good acting and a great plot", "bad plot , dull", "great fun",
         "dull and bad"] * 20
LABELS = [1, 0, 1, 0, 1, 0] * 20


@pytest.mark.parametrize("kw", [{}, {"doc_vector": "window", "conv_units": 8, "boundaries": True, "word_dropout": 0.1}])
def test_text_classifier_on_the_fake_device_matches_the_cpu(tmp_path, kw):
    from ffnlp.tasks.textcat import FFNTextClassifier, load_textcat_model

    cpu = FFNTextClassifier(random_state=0, max_iter=3, **kw).fit(TEXTS, LABELS)
    dev = FFNTextClassifier(random_state=0, max_iter=3, device=FakeOps(), **kw).fit(TEXTS, LABELS)
    assert any(isinstance(layer.params[k], FakeArray) for _, layer, k in dev.model_.named_params())
    P = dev.predict_proba(TEXTS[:6])
    assert isinstance(P, np.ndarray)
    np.testing.assert_allclose(P, cpu.predict_proba(TEXTS[:6]), rtol=1e-5, atol=1e-6)
    dev.save(tmp_path / "dev.npz")
    again = load_textcat_model(tmp_path / "dev.npz")
    assert again.model_.ops is NUMPY_OPS
    np.testing.assert_allclose(again.predict_proba(TEXTS[:6]), P, rtol=1e-5, atol=1e-6)


def test_dense_classifier_on_the_fake_device_matches_the_cpu():
    from ffnlp.tasks.dense import FFNClassifier

    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    kw = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0, dropout=0.1)
    cpu = FFNClassifier(**kw).fit(X, y)
    dev = FFNClassifier(**kw, device=FakeOps()).fit(X, y)
    np.testing.assert_allclose(dev.predict_proba(X), cpu.predict_proba(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(dev.predict(X), cpu.predict(X))


def test_window_lm_on_the_fake_device_matches_the_cpu():
    from ffnlp.config import LMConfig
    from ffnlp.tasks.lm import train_lm
    from ffnlp.text import Vocab

    rng = np.random.default_rng(0)
    sents = [[f"w{int(i)}" for i in rng.zipf(1.5, 8) % 40] for _ in range(300)]
    vocab = Vocab.build(sents)
    ids = vocab.encode_sentences(sents)
    data = {"train": ids[:2000], "valid": ids[2000:2400]}
    for output in ("factored", "full"):
        cfg = LMConfig(context_size=2, embedding_dim=8, hidden_layer_sizes=(16,), output=output, max_iter=2,
                       dropout=0.1, log_every=0)
        a = train_lm(cfg, data, vocab=vocab, verbose=False)
        b = train_lm(cfg, data, vocab=vocab, verbose=False, device=FakeOps())
        assert b.model.net.ops.name == "fake"
        np.testing.assert_allclose(b.valid_perplexity, a.valid_perplexity, rtol=1e-5)


@pytest.mark.skipif(gpu_available(), reason="a GPU is visible here")
@pytest.mark.parametrize("argv", [
    ["lm", "train", "--corpus", "lee", "--epochs", "1"],
    ["image", "train", "--iterations", "2"],
    ["classify", "train", "--input", "-", "--output", "m.npz"],
])
def test_device_gpu_without_cupy_is_one_error_line(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--device", "gpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ffnlp: error:") and "ffnlp[gpu]" in err[0]


def test_compare_fits_ffnlp_models_on_the_device_it_is_given():
    from ffnlp.tasks.compare import compare

    a = compare("polarity", ["ffnlp_dan", "nbsvm"], max_folds=1)
    b = compare("polarity", ["ffnlp_dan", "nbsvm"], max_folds=1, device=FakeOps())
    assert [(r.model, r.accuracy) for r in b.rows] == [(r.model, r.accuracy) for r in a.rows]
