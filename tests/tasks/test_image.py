"""The image task: the course's published runs reproduced, digits default, bad input."""
import json

import numpy as np
import pytest

from ffnlp.cli import main
from ffnlp.config import ImageConfig
from ffnlp.errors import DataError
from ffnlp.tasks.image import (ImageData, load_catvnoncat, load_digits_data, load_image_model, save_image_model,
                               train_image)
from tests.conftest import shared_data


@pytest.fixture(scope="module")
def cat_data():
    return load_catvnoncat(shared_data("catvnoncat"))


def test_catvnoncat_loader(cat_data):
    assert cat_data.X_train.shape == (209, 12288) and cat_data.X_test.shape == (50, 12288)
    assert cat_data.y_train.sum() == 72 and cat_data.y_test.sum() == 33
    assert 0 <= cat_data.X_train.min() and cat_data.X_train.max() <= 1
    assert cat_data.classes == ["non-cat", "cat"]


def test_course_L_layer_run_is_reproduced(cat_data):
    # The course's L_layer_model: [12288, 20, 7, 5, 1], lr 0.0075, 2500 iterations, np.random.seed(1).
    r = train_image(cat_data, ImageConfig())
    assert round(r.costs[0], 6) == 0.771749
    assert round(r.costs[100], 6) == 0.672053
    assert round(r.costs[2400], 6) == 0.092878
    assert round(r.train_accuracy, 4) == 0.9856 and r.test_accuracy == 0.8


def test_course_two_layer_run_is_reproduced(cat_data):
    r = train_image(cat_data, ImageConfig(hidden_layer_sizes=(7,)))
    assert round(r.costs[0], 6) == 0.693050
    assert r.train_accuracy == 1.0 and r.test_accuracy == 0.72


def test_digits_default_and_model_roundtrip(tmp_path):
    data = load_digits_data()
    r = train_image(data, ImageConfig.preset("digits"))
    assert r.test_accuracy > 0.95
    path = save_image_model(tmp_path / "digits.npz", r)
    clf = load_image_model(path)
    np.testing.assert_array_equal(clf.predict(data.X_test), r.classifier.predict(data.X_test))


def test_bad_inputs_name_what_is_wrong(tmp_path):
    X = np.zeros((4, 3))
    with pytest.raises(DataError, match="NaN or inf.*row 1, column 2"):
        X2 = X.copy()
        X2[1, 2] = np.nan
        ImageData(X2, np.zeros(4, int), X, np.zeros(4, int), ["a", "b"], "mine")
    with pytest.raises(DataError, match=r"labels of shape \(3,\) do not match features of shape \(4, 3\)"):
        ImageData(X, np.zeros(3, int), X, np.zeros(4, int), ["a", "b"], "mine")
    with pytest.raises(DataError, match=r"\[0, 2\)"):
        ImageData(X, np.array([0, 1, 2, 0]), X, np.zeros(4, int), ["a", "b"], "mine")
    (tmp_path / "train_catvnoncat.h5").write_bytes(b"<html>not hdf5</html>")
    with pytest.raises(DataError, match="train_catvnoncat.h5.*not a readable HDF5"):
        load_catvnoncat(tmp_path)


def test_cli_digits_json_is_last_line(capsys, tmp_path):
    assert main(["-q", "image", "train", "--iterations", "5", "--json", "--output", str(tmp_path / "m.npz")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    metrics = json.loads(out[-1])
    assert {"costs", "train_accuracy", "test_accuracy", "seconds"} <= set(metrics)
    assert (tmp_path / "m.npz").exists()


def test_cli_bad_input_exits_nonzero(capsys, tmp_path):
    assert main(["image", "train", "--data", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["image", "train", "--layers", "20,-1"])
    assert exc.value.code != 0
    np.save(tmp_path / "x.npy", np.zeros((2, 5)))
    main(["-q", "image", "train", "--iterations", "2", "--output", str(tmp_path / "m.npz")])
    capsys.readouterr()
    assert main(["image", "predict", str(tmp_path / "m.npz"), str(tmp_path / "x.npy")]) == 2
    assert "(2, 5)" in capsys.readouterr().err


def test_cli_plot(tmp_path):
    pytest.importorskip("matplotlib")
    assert main(["-q", "image", "train", "--iterations", "3", "--plot", str(tmp_path / "cost.png")]) == 0
    assert (tmp_path / "cost.png").read_bytes()[:4] == b"\x89PNG"
