"""Readers of labeled text, the safe Bunch unpickler and the benchmark loaders."""
from __future__ import annotations

import io
import pickle
import sys
import zlib
from collections import Counter

import numpy as np
import pytest

from ffnlp import _datapaths, corpora
from ffnlp.errors import DataError
from ffnlp.text import labeled
from ffnlp.text.labeled import (
    LabeledData,
    TextCatDataset,
    load_textcat_dataset,
    read_bunch_pickle,
    read_fasttext,
    read_folder,
    read_labeled,
    read_tsv,
    stratified_split,
)


def write(tmp_path, name, data, mode="w"):
    p = tmp_path / name
    if isinstance(data, bytes):
        p.write_bytes(data)
    else:
        p.write_text(data, encoding="utf-8", newline="")
    return p


def assert_where(excinfo, path, line=None):
    msg = str(excinfo.value)
    assert str(path) in msg
    if line is not None:
        assert f"line {line}" in msg, msg
        assert excinfo.value.line == line


# ----------------------------------------------------------------------------- containers


def test_labeled_data_checks_lengths():
    with pytest.raises(ValueError, match="2 texts, 1 labels"):
        LabeledData(["a", "b"], ["x"])


def test_dataset_counts_classes_over_splits():
    ds = TextCatDataset("t", LabeledData(["a"], ["x"]), test=LabeledData(["b"], ["y"]))
    assert ds.n_classes == 2 and ds.classes == ["x", "y"]


# ----------------------------------------------------------------------------- fastText


def test_fasttext_reads_labels_and_raw_text(tmp_path):
    p = write(tmp_path, "a.txt", "__label__pos great film !\r\n\n__label__neg  dull,  slow \n")
    data = read_fasttext(p)
    assert data.texts == ["great film !", "dull,  slow"]  # inner spacing kept, blank line skipped
    assert data.labels == ["pos", "neg"] and not data.multilabel
    assert data.source == str(p)


def test_fasttext_multilabel(tmp_path):
    p = write(tmp_path, "m.txt", "__label__a __label__b both here\n__label__a only a\n__label__b __label__b b twice\n")
    data = read_fasttext(p)
    assert data.multilabel
    assert data.labels == [["a", "b"], ["a"], ["b"]]
    assert data.texts[0] == "both here" and data.classes == ["a", "b"]


def test_fasttext_label_mid_line_stays_text(tmp_path):
    p = write(tmp_path, "x.txt", "__label__a see __label__b here\n")
    assert read_fasttext(p).texts == ["see __label__b here"]


def test_fasttext_line_without_label(tmp_path):
    p = write(tmp_path, "bad.txt", "__label__a fine\n__label__b also fine\nno label here\n")
    with pytest.raises(DataError, match="no label") as e:
        read_fasttext(p)
    assert_where(e, p, line=3)


def test_fasttext_empty_document(tmp_path):
    p = write(tmp_path, "bad.txt", "__label__a fine\n__label__b   \n")
    with pytest.raises(DataError, match="empty document") as e:
        read_fasttext(p)
    assert_where(e, p, line=2)


def test_fasttext_empty_label(tmp_path):
    p = write(tmp_path, "bad.txt", "__label__ text\n")
    with pytest.raises(DataError, match="empty label") as e:
        read_fasttext(p)
    assert_where(e, p, line=1)


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_file(tmp_path, content):
    p = write(tmp_path, "empty.txt", content)
    for reader in (read_fasttext, read_tsv, read_labeled):
        with pytest.raises(DataError, match="empty file") as e:
            reader(p)
        assert_where(e, p)


def test_undecodable_bytes_report_line_and_offset(tmp_path):
    raw = "__label__a caf\u00e9 ok\n".encode("utf-8") + b"__label__b bad \xe9 byte\n"
    p = write(tmp_path, "latin.txt", raw)
    with pytest.raises(DataError) as e:
        read_fasttext(p)
    assert_where(e, p, line=2)
    offset = raw.index(b"\xe9 byte")
    assert e.value.offset == offset and f"byte {offset}" in str(e.value)
    assert "0xe9" in str(e.value)
    # ... and the right encoding reads it
    assert read_fasttext(p, encoding="latin-1").texts[1] == "bad \u00e9 byte"


def test_latin1_0x85_is_not_a_line_break(tmp_path):
    # str.splitlines would split at U+0085 (NEL), which is byte 0x85 in Latin-1 (MR has it).
    p = write(tmp_path, "nel.txt", b"__label__a one\x85two\n__label__b three\n")
    data = read_fasttext(p, encoding="latin-1")
    assert len(data) == 2 and data.texts[0] == "one\x85two"


def test_bom_is_dropped(tmp_path):
    p = write(tmp_path, "bom.txt", "\ufeff__label__a text\n".encode("utf-8"))
    assert read_fasttext(p).labels == ["a"]


def test_unknown_encoding(tmp_path):
    p = write(tmp_path, "a.txt", "__label__a b\n")
    with pytest.raises(ValueError, match="unknown encoding"):
        read_fasttext(p, encoding="no-such-codec")


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file") as e:
        read_fasttext(tmp_path / "nope.txt")
    assert_where(e, tmp_path / "nope.txt")


# ----------------------------------------------------------------------------- TSV / CSV


def test_tsv_splits_at_first_tab_and_keeps_quotes(tmp_path):
    p = write(tmp_path, "a.tsv", 'ham\tsay "hi"\tthere\nspam\tWIN now\n')
    data = read_tsv(p)
    assert data.labels == ["ham", "spam"]
    assert data.texts == ['say "hi"\tthere', "WIN now"]


def test_tsv_label_last_and_header(tmp_path):
    p = write(tmp_path, "s.tsv", "sentence\tlabel\ngood film\t1\nbad film\t0\n")
    data = read_tsv(p, label_column=-1, header=True)
    assert data.texts == ["good film", "bad film"] and data.labels == ["1", "0"]


def test_tsv_line_without_label(tmp_path):
    p = write(tmp_path, "bad.tsv", "ham\tfine\nno tab on this line\n")
    with pytest.raises(DataError, match="no label") as e:
        read_tsv(p)
    assert_where(e, p, line=2)


def test_tsv_empty_document_and_empty_label(tmp_path):
    p = write(tmp_path, "bad.tsv", "ham\tfine\nspam\t \n")
    with pytest.raises(DataError, match="empty document") as e:
        read_tsv(p)
    assert_where(e, p, line=2)
    p = write(tmp_path, "bad2.tsv", "ham\tfine\n\tno label\n")
    with pytest.raises(DataError, match="empty label") as e:
        read_tsv(p)
    assert_where(e, p, line=2)


def test_tsv_undecodable(tmp_path):
    p = write(tmp_path, "bad.tsv", b"ham\tok\nham\tok\nspam\t\xff\xfe\n")
    with pytest.raises(DataError) as e:
        read_tsv(p)
    assert_where(e, p, line=3)
    assert e.value.offset == 19


def test_csv_quoting(tmp_path):
    p = write(tmp_path, "a.csv", 'pos,"great, really ""great"" film"\nneg,"two\nlines"\nneg,title,with comma\n')
    data = read_tsv(p)  # .csv: comma + csv quoting
    assert data.labels == ["pos", "neg", "neg"]
    assert data.texts == ['great, really "great" film', "two\nlines", "title,with comma"]
    assert read_labeled(p).texts == data.texts


def test_csv_errors_name_the_starting_line(tmp_path):
    p = write(tmp_path, "bad.csv", 'pos,"multi\nline"\nneg,ok\njustone\n')
    with pytest.raises(DataError, match="no label") as e:
        read_tsv(p)
    assert_where(e, p, line=4)
    p = write(tmp_path, "bad2.csv", 'pos,ok\nneg,""\n')
    with pytest.raises(DataError, match="empty document") as e:
        read_tsv(p)
    assert_where(e, p, line=2)


# ----------------------------------------------------------------------------- folders


def make_folder(tmp_path):
    root = tmp_path / "docs"
    for cls, docs in {"sports": ["goal!", "match report"], "tech": ["new cpu\nfast"]}.items():
        (root / cls).mkdir(parents=True)
        for i, d in enumerate(docs):
            (root / cls / f"{i:03d}.txt").write_text(d, encoding="utf-8")
    (root / "README").write_text("not a class", encoding="utf-8")
    (root / "tech" / ".DS_Store").write_bytes(b"\x00\x01")
    (root / ".hidden").mkdir()
    return root


def test_folder_reader(tmp_path):
    root = make_folder(tmp_path)
    data = read_folder(root)
    assert data.labels == ["sports", "sports", "tech"]
    assert data.texts == ["goal!", "match report", "new cpu\nfast"]
    assert read_labeled(root).labels == data.labels
    ds = load_textcat_dataset(root)
    assert ds.n_classes == 2 and ds.test is None and len(ds.train) == 3


def test_folder_empty_document(tmp_path):
    root = make_folder(tmp_path)
    (root / "tech" / "blank.txt").write_text("  \n", encoding="utf-8")
    with pytest.raises(DataError, match="empty document") as e:
        read_folder(root)
    assert_where(e, root / "tech" / "blank.txt", line=1)


def test_folder_undecodable(tmp_path):
    root = make_folder(tmp_path)
    (root / "tech" / "bad.txt").write_bytes(b"line one\nline \x80two\n")
    with pytest.raises(DataError) as e:
        read_folder(root)
    assert_where(e, root / "tech" / "bad.txt", line=2)
    assert e.value.offset == 14


def test_folder_without_classes(tmp_path):
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(DataError, match="no class subfolders") as e:
        read_folder(tmp_path / "flat")
    assert_where(e, tmp_path / "flat")


# ----------------------------------------------------------------------------- dispatch


def test_read_labeled_sniffs_content(tmp_path):
    ft = write(tmp_path, "a.txt", "\n__label__x hello\n")
    tsv = write(tmp_path, "b.txt", "x\thello\n")
    assert read_labeled(ft).labels == ["x"] and read_labeled(tsv).labels == ["x"]
    odd = write(tmp_path, "c.txt", "just text\n")
    with pytest.raises(DataError, match="cannot tell the format") as e:
        read_labeled(odd)
    assert_where(e, odd, line=1)
    assert read_labeled(tsv, format="tsv").texts == ["hello"]
    with pytest.raises(ValueError, match="format must be"):
        read_labeled(tsv, format="json")
    with pytest.raises(DataError, match="not a folder"):
        read_labeled(tsv, format="folder")


def test_read_labeled_stdin(monkeypatch):
    fake = io.TextIOWrapper(io.BytesIO(b"__label__a from stdin\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", fake)
    data = read_labeled("-")
    assert data.labels == ["a"] and data.source == "<stdin>"


def test_stdin_errors_name_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"__label__a ok\nnope\n"), encoding="utf-8"))
    with pytest.raises(DataError, match=r"<stdin>, line 2"):
        read_labeled("-")


def test_unknown_name(tmp_path):
    with pytest.raises(DataError, match="neither a registered textcat dataset"):
        load_textcat_dataset(str(tmp_path / "no_such_set"))


# ----------------------------------------------------------------------------- stratified split


def test_stratified_split_is_seeded_and_stratified():
    y = ["a"] * 50 + ["b"] * 10
    tr, te = stratified_split(y, 0.2, seed=0)
    assert sorted(np.concatenate([tr, te]).tolist()) == list(range(60))
    assert Counter(y[i] for i in te) == {"a": 10, "b": 2}
    tr2, te2 = stratified_split(y, 0.2, seed=0)
    assert np.array_equal(te, te2) and np.all(np.diff(te) > 0)
    assert not np.array_equal(te, stratified_split(y, 0.2, seed=1)[1])


# ----------------------------------------------------------------------------- safe unpickling


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_unpickler_refuses_os_system(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"data": ["x"], "target": _Evil(marker)}, protocol=2)
    assert b"system" in payload
    for name, raw in (("evil.pkl", payload), ("evil.pkl.z", zlib.compress(payload))):
        p = write(tmp_path, name, raw)
        with pytest.raises(DataError, match=r"refusing .*(posix|os|nt)\.system") as e:
            read_bunch_pickle(p)
        assert_where(e, p)
    assert not marker.exists()


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps(eval),  # builtins.eval
        b"cbuiltins\ngetattr\n(cbuiltins\ndict\nS'get'\ntR.",  # a global outside the whitelist
        b"cnumpy\ndtype\n(S'O8'\nI0\nI1\ntR.",  # object dtype
        b"ccopy_reg\n_reconstructor\n(c__builtin__\ndict\nc__builtin__\ndict\nNtR.",  # not a Bunch
        b"(S'x'\nP0\n.",  # persistent id
    ],
)
def test_unpickler_refuses_other_tricks(tmp_path, payload):
    p = write(tmp_path, "t.pkl", payload)
    with pytest.raises(DataError, match="refusing"):
        read_bunch_pickle(p)


def test_unpickler_reads_plain_protocol0_bunch(tmp_path):
    # A hand-written protocol-0 pickle of Bunch(data=[u'a'], target=array([1], int64)), as Python 2 wrote.
    raw = (
        b"ccopy_reg\n_reconstructor\n(csklearn.datasets.base\nBunch\nc__builtin__\ndict\n(dS'data'\n(lVa\nasS'target'\n"
        b"cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\n(I0\ntS'b'\ntR(I1\n(I1\ntcnumpy\ndtype\n"
        b"(S'i8'\nI0\nI1\ntR(I3\nS'<'\nNNNI-1\nI-1\nI0\ntbI00\nS'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00'\ntbstR."
    )
    p = write(tmp_path, "ok.pkl", raw)
    bunch = read_bunch_pickle(p)
    assert bunch["data"] == ["a"]
    assert bunch["target"].dtype == np.int64 and bunch["target"].tolist() == [1]


def test_mini_newsgroup_is_read_safely():
    if labeled.gensim_test_data("mini_newsgroup") is None:
        pytest.skip("gensim test data absent")
    bunch = read_bunch_pickle(labeled.gensim_test_data("mini_newsgroup"))
    assert bunch["target_names"] == ["alt.atheism", "sci.space"]
    assert bunch["target"].shape == (200,) and bunch["filenames"].shape == (200,)
    # the file names agree with the targets: the arrays were decoded correctly
    groups = [f.decode().split("/")[-2] for f in bunch["filenames"]]
    assert groups == [bunch["target_names"][t] for t in bunch["target"]]
    ds = load_textcat_dataset("mini_newsgroup")
    assert len(ds.train) == 200 and Counter(ds.train.labels) == {"alt.atheism": 100, "sci.space": 100}
    assert ds.cv_folds == 5 and ds.test is None
    assert all(isinstance(t, str) and t.strip() for t in ds.train.texts)
    # the headers name the group (a label leak), so they are dropped unless asked for
    # (one post quotes a forwarded header block in its body; that stays)
    assert sum("Newsgroups:" in t.partition("\n\n")[0] for t in ds.train.texts) <= 2
    with_headers = labeled.load_mini_newsgroup(remove_headers=False).train.texts
    assert all(g in t.partition("\n\n")[0] for g, t in zip(ds.train.labels, with_headers))


def test_polarity_is_labeled_fasttext():
    if labeled.gensim_test_data("pang_lee_polarity.cor") is None:
        pytest.skip("gensim test data absent")
    ds = load_textcat_dataset("polarity")
    assert len(ds.train) == 200 and Counter(ds.train.labels) == {"neg": 100, "pos": 100}
    assert ds.train.texts[0] == "simplistic , silly and tedious ."


# ----------------------------------------------------------------------------- benchmark loaders


def _need(*relatives):
    for rel in relatives:
        if corpora.find_data(rel) is None:
            pytest.skip(f"benchmark data {rel} absent")


def test_registered_in_corpora():
    for name in ("mr", "trec", "trec50", "sst1", "sst2", "sst2_phrases", "20ng", "sms", "mini_newsgroup", "polarity"):
        spec = labeled.TEXTCAT_DATASETS[name]
        assert spec.task == "textcat" and spec.name == name and spec.searched()
        assert corpora._REGISTRY[name] is spec


def test_absent_data_says_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setenv("FFNLP_DATA", str(tmp_path))
    monkeypatch.setattr(_datapaths, "find_data", lambda rel: None)
    with pytest.raises(DataError, match="data not found; looked in") as e:
        load_textcat_dataset("trec")
    assert str(tmp_path / "sentclf" / "TREC" / "train_5500.label") in str(e.value)


def test_mr():
    _need("sentclf/MR/rt-polarity.pos", "sentclf/MR/rt-polarity.neg")
    ds = load_textcat_dataset("mr")
    assert Counter(ds.train.labels) == {"pos": 5331, "neg": 5331}
    assert ds.cv_folds == 10 and ds.test is None and ds.n_classes == 2
    assert sum("\x85" in t for t in ds.train.texts) > 0  # Latin-1 0x85 kept inside its line


def test_trec():
    _need("sentclf/TREC/train_5500.label", "sentclf/TREC/TREC_10.label")
    ds = load_textcat_dataset("trec")
    assert (len(ds.train), len(ds.test)) == (5452, 500) and ds.n_classes == 6
    assert Counter(ds.test.labels) == {"ABBR": 9, "DESC": 138, "ENTY": 94, "HUM": 65, "LOC": 81, "NUM": 113}
    assert ds.train.texts[0] == "How did serfdom develop in and then leave Russia ?"
    assert load_textcat_dataset("trec50").n_classes == 50


def test_sst():
    _need("sentclf/SST-2/stsa.binary.train", "sentclf/SST-1/stsa.fine.train")
    sst2 = load_textcat_dataset("sst2")
    assert (len(sst2.train), len(sst2.valid), len(sst2.test)) == (6920, 872, 1821)
    assert Counter(sst2.test.labels) == {"0": 912, "1": 909}
    sst1 = load_textcat_dataset("sst1")
    assert (len(sst1.train), len(sst1.valid), len(sst1.test)) == (8544, 1101, 2210)
    assert sst1.n_classes == 5


def test_sst2_phrases():
    _need("sentclf/SST-2/senteval/sentiment-train", "sentclf/SST-2/stsa.binary.test")
    ds = load_textcat_dataset("sst2_phrases")
    sentences = load_textcat_dataset("sst2")
    assert (len(ds.train), len(ds.valid), len(ds.test)) == (67349, 872, 1821)
    assert set(ds.train.labels) == {"0", "1"}
    assert ds.test.texts == sentences.test.texts and ds.test.labels == sentences.test.labels


def test_20newsgroups():
    _need("20newsgroups/20news-bydate.tar.gz")
    ds = load_textcat_dataset("20ng")
    assert (len(ds.train), len(ds.test)) == (11314, 7532) and ds.n_classes == 20
    assert Counter(ds.train.labels)["alt.atheism"] == 480 and Counter(ds.test.labels)["talk.religion.misc"] == 251
    assert ds.train.texts[0].startswith("From: ")  # headers kept, as scikit-learn's default


def test_20newsgroups_without_headers():
    _need("20newsgroups/20news-bydate.tar.gz")
    ds = labeled.load_20newsgroups(remove_headers=True)
    assert len(ds.train) == 11314 and not ds.train.texts[0].startswith("From: ")


def test_sms():
    _need("sms_spam/SMSSpamCollection")
    ds = load_textcat_dataset("sms")
    assert len(ds.train) + len(ds.test) == 5574
    assert Counter(ds.train.labels) + Counter(ds.test.labels) == {"ham": 4827, "spam": 747}
    assert Counter(ds.test.labels) == {"ham": 965, "spam": 149}
    assert load_textcat_dataset("sms").test.texts == ds.test.texts  # seeded
