import json
import os
from pathlib import Path

import numpy as np
import pytest

import ffnlp
from ffnlp.errors import ModelFileError
from ffnlp.nn import Dense, Dropout, Embedding, Maxout, ReLU, chain, load_model, save_model
from ffnlp.nn.serialize import load_npz, save_npz


def test_model_roundtrip(tmp_path, rng):
    model = chain(Dense(4, 3, rng=rng), ReLU(), Maxout(3, 2, 2, rng=rng), Dropout(0.1, seed=2), Dense(2, 2, rng=rng))
    path = save_model(tmp_path / "m.npz", model, kind="test", meta={"note": "x"})
    loaded, meta, _ = load_model(path, kind="test")
    X = rng.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(X), loaded.predict(X))
    assert meta["ffnlp_version"] == ffnlp.__version__ and meta["note"] == "x"
    assert [f for f in os.listdir(tmp_path)] == ["m.npz"], "no temporary file left behind"


def test_embedding_roundtrip_keeps_trainable_flag(tmp_path, rng):
    model = chain(Embedding(5, 2, rng=rng, trainable=False))
    loaded, _, _ = load_model(save_model(tmp_path / "e.npz", model, kind="test"))
    assert loaded[0].trainable is False


def test_wrong_kind_corrupt_and_foreign_files(tmp_path, rng):
    path = save_model(tmp_path / "m.npz", chain(Dense(2, 2, rng=rng)), kind="image")
    with pytest.raises(ModelFileError, match="'image' model, expected 'window_lm'"):
        load_model(path, kind="window_lm")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file at all")
    with pytest.raises(ModelFileError, match="bad.npz"):
        load_model(bad)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.zeros(3))
    with pytest.raises(ModelFileError, match="not an ffnlp model file"):
        load_model(foreign)
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "missing.npz")


def test_newer_format_is_refused(tmp_path):
    path = tmp_path / "future.npz"
    np.savez(path, __meta__=np.array(json.dumps({"kind": "image", "format_version": 99, "ffnlp_version": "9.0"})))
    with pytest.raises(ModelFileError, match="format 99"):
        load_npz(path)


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_pickled_arrays_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.npz"
    np.savez(path, __meta__=np.array(json.dumps({"kind": "image", "format_version": 1})),
             evil=np.array([_Boom()], dtype=object))
    with pytest.raises(ModelFileError):
        load_npz(path)
    assert not (tmp_path / "pwned.txt").exists()
    with pytest.raises(ValueError, match="dtype object"):
        save_npz(tmp_path / "x.npz", {"a": np.array([object()], dtype=object)}, {}, kind="t")


def test_failed_write_keeps_previous_file(tmp_path, rng, monkeypatch):
    path = save_model(tmp_path / "m.npz", chain(Dense(2, 2, rng=rng)), kind="t")
    before = path.read_bytes()

    def explode(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", explode)
    with pytest.raises(OSError):
        save_model(path, chain(Dense(2, 2, rng=rng)), kind="t")
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_atomic_path_replaces_in_one_step_or_leaves_the_old_file(tmp_path):
    from ffnlp._files import atomic_path

    target = tmp_path / "new" / "f.txt"                 # the folder is created
    with atomic_path(target) as tmp:
        Path(tmp).write_text("one")
        assert not target.exists() and Path(tmp).parent == target.parent
    assert target.read_text() == "one"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            Path(tmp).write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "one"                  # the old file is intact
    assert [p.name for p in target.parent.iterdir()] == ["f.txt"]   # no temporary file left
