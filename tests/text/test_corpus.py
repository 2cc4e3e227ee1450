"""Streamed corpora: re-iteration, folders, decoding errors, generator rejection."""
import pytest

from ffnlp.errors import DataError
from ffnlp.text.corpus import TextLines, list_text_files, require_reiterable
from ffnlp.text.tokenize import Tokenizer


def test_lines_as_token_lists_blank_lines_skipped(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"the cat  sat\n\n   \nthe dog ran\r\nlast line")
    assert list(TextLines(p)) == [["the", "cat", "sat"], ["the", "dog", "ran"], ["last", "line"]]
    assert list(TextLines(p).lines()) == ["the cat  sat", "the dog ran", "last line"]


def test_reiterable_and_reopens_the_file(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("one two\nthree\n", encoding="utf-8")
    corpus = TextLines(p)
    assert list(corpus) == list(corpus) == [["one", "two"], ["three"]]
    p.write_text("four\n", encoding="utf-8")  # each pass re-opens: the new text shows
    assert list(corpus) == [["four"]]
    require_reiterable(corpus)


def test_tokenizer_argument(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("Don't stop. Go!\n", encoding="utf-8")
    assert list(TextLines(p, tokenizer=Tokenizer(lower=True))) == [["do", "n't", "stop", ".", "go", "!"]]


def test_folder_reads_files_in_name_order_skipping_hidden(tmp_path):
    (tmp_path / "b.txt").write_text("second\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("first\n", encoding="utf-8")
    (tmp_path / ".hidden").write_text("never\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("not recursive\n", encoding="utf-8")
    corpus = TextLines(tmp_path)
    assert [f.name for f in corpus.files] == ["a.txt", "b.txt"]
    assert list(corpus) == [["first"], ["second"]]


def test_undecodable_bytes_name_file_line_and_byte_offset(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"fine line\ncaf\xe9 au lait\n")  # 0xe9 (Latin-1 e-acute) sits at byte 13
    with pytest.raises(DataError) as info:
        list(TextLines(p))
    err = info.value
    assert (err.line, err.offset) == (2, 13)
    assert "bad.txt" in str(err) and "line 2" in str(err) and "byte 13" in str(err)
    assert list(TextLines(p, encoding="latin-1")) == [["fine", "line"], ["café", "au", "lait"]]


def test_missing_empty_and_bad_encoding(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        TextLines(tmp_path / "nope.txt")
    with pytest.raises(DataError, match="no text files"):
        list_text_files(tmp_path)
    (tmp_path / "a.txt").write_text("x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not ASCII-compatible"):
        TextLines(tmp_path / "a.txt", encoding="utf-16")
    with pytest.raises(ValueError, match="unknown encoding"):
        TextLines(tmp_path / "a.txt", encoding="no-such-codec")


def test_require_reiterable():
    require_reiterable([["a"]])
    require_reiterable((["a"],))
    with pytest.raises(TypeError, match="only once"):
        require_reiterable(s for s in [["a"]])
    with pytest.raises(TypeError, match="list_iterator"):
        require_reiterable(iter([["a"]]))
    with pytest.raises(TypeError, match="must be an iterable"):
        require_reiterable(3)
