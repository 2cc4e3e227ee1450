"""File readers: the one-file-per-class layout, folders with their own split, empty documents."""
import pytest

from ffnlp.errors import DataError
from ffnlp.text.readers import (class_files, find_split_files, read_class_files, read_documents, read_labeled,
                                read_labeled_splits, split_of)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_split_of_names():
    assert split_of("wiki.train.tokens") == "train" and split_of("ptb.valid.txt") == "valid"
    assert split_of("dev.tsv") == "valid" and split_of("test") == "test" and split_of("stsa.fine.dev") == "valid"
    assert split_of("rt-polarity.pos") is None and split_of("contest.txt") is None
    assert split_of("train_test.txt") is None  # names two splits: none


def test_one_file_per_class(tmp_path):
    write(tmp_path / "rt.pos", "\ufeffa fine film\nnot bad\n")
    write(tmp_path / "rt.neg", "dull\n")
    write(tmp_path / "SOURCE.md", "# notes\n")
    assert {c: p.name for c, p in class_files(tmp_path).items()} == {"neg": "rt.neg", "pos": "rt.pos"}
    data = read_labeled(tmp_path)
    assert data.labels == ["neg", "pos", "pos"] and data.texts[0] == "dull"
    assert data.where(2) == {"path": str(tmp_path / "rt.pos"), "line": 2}
    write(tmp_path / "rt.neg", "dull\n\nboring\n")
    with pytest.raises(DataError, match=r"rt\.neg, line 2: empty document"):
        read_class_files(tmp_path)
    assert read_class_files(tmp_path, empty="drop").texts == ["dull", "boring", "a fine film", "not bad"]
    assert read_class_files(tmp_path, empty="keep").texts[:3] == ["dull", "", "boring"]


def test_folder_with_its_own_split(tmp_path):
    write(tmp_path / "train.txt", "__label__a x y\n__label__b z\n")
    write(tmp_path / "dev.txt", "__label__a x\n")
    write(tmp_path / "test.txt", "__label__b z z\n")
    splits = read_labeled_splits(tmp_path)
    assert set(splits) == {"train", "valid", "test"} and splits["train"].labels == ["a", "b"]
    assert splits["test"].where(0) == {"path": str(tmp_path / "test.txt"), "line": 1}
    assert read_labeled_splits(tmp_path / "..") is None or "train" in find_split_files(tmp_path / "..")


def test_split_folder_with_one_file_per_class_and_subfolders(tmp_path):
    for split in ("train", "test"):
        write(tmp_path / "a" / f"{split}.pos", "good\nfine\n")
        write(tmp_path / "a" / f"{split}.neg", "bad\n")
        write(tmp_path / "b" / split / "pos" / "1.txt", "good")
        write(tmp_path / "b" / split / "neg" / "1.txt", "bad")
    a = read_labeled_splits(tmp_path / "a")
    assert a["train"].labels == ["neg", "pos", "pos"] and set(a) == {"train", "test"}
    b = read_labeled_splits(tmp_path / "b")
    assert b["test"].labels == ["neg", "pos"]


def test_empty_documents_by_format(tmp_path):
    f = write(tmp_path / "d.tsv", "a\tfine\nb\t \n")
    with pytest.raises(DataError, match=r"d\.tsv, line 2: empty document.*'drop' or 'keep'"):
        read_labeled(f)
    assert read_labeled(f, empty="drop").texts == ["fine"]
    kept = read_labeled(f, empty="keep")
    assert kept.texts == ["fine", ""] and kept.lines == [1, 2]
    with pytest.raises(ValueError, match="empty must be one of"):
        read_labeled(f, empty="skip")


def test_read_documents(tmp_path):
    f = tmp_path / "docs.txt"
    f.write_bytes(b"\xef\xbb\xbf__label__x one  two\n\nthree\n")
    with pytest.raises(DataError, match=r"docs\.txt, line 2: empty document"):
        read_documents(f)
    assert read_documents(f, empty="drop") == ["one two", "three"]
    assert read_documents(f, empty="keep") == ["one two", "", "three"]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\ncaf\xe9\n")
    with pytest.raises(DataError, match=r"bad\.txt, line 2, byte 6: cannot decode"):
        read_documents(bad)
    with pytest.raises(DataError, match="is a folder"):
        read_documents(tmp_path)
