"""LM corpora: splitting, plain text, and the registered brown / ptb / lee."""
import subprocess
import sys

import numpy as np
import pytest

from ffnlp import _datapaths, corpora
from ffnlp.errors import DataError
from ffnlp.text import lm_corpora
from ffnlp.text.lm_corpora import (
    LMSplits,
    load_brown,
    load_lee,
    load_lm_corpus,
    load_ptb,
    load_text_corpus,
    split_by_word_counts,
)
from ffnlp.text.vocab import Vocab

needs_brown = pytest.mark.skipif(lm_corpora.brown_root() is None, reason="Brown corpus absent")
needs_ptb = pytest.mark.skipif(lm_corpora.ptb_root() is None, reason="PTB absent")


# ----------------------------------------------------------------------------- splitting


def test_split_by_word_counts_cuts_inside_sentences():
    sents = [["a", "b", "c"], ["d", "e"], ["f", "g", "h", "i"]]  # 9 words
    train, valid, test = split_by_word_counts(sents, 4, 3)
    assert train == [["a", "b", "c"], ["d"]]
    assert valid == [["e"], ["f", "g"]]
    assert test == [["h", "i"]]


def test_split_by_word_counts_on_sentence_ends_and_within_one_sentence():
    sents = [["a", "b", "c"], ["d", "e"], ["f", "g", "h", "i"]]
    assert split_by_word_counts(sents, 3, 2) == ([["a", "b", "c"]], [["d", "e"]], [["f", "g", "h", "i"]])
    assert split_by_word_counts(sents, 6, 1) == (
        [["a", "b", "c"], ["d", "e"], ["f"]], [["g"]], [["h", "i"]]
    )
    assert split_by_word_counts(sents, 0, 1) == ([], [["a"]], [["b", "c"], ["d", "e"], ["f", "g", "h", "i"]])
    with pytest.raises(DataError, match="cannot cut 9 words"):
        split_by_word_counts(sents, 5, 4)


def test_lmsplits_counts():
    s = LMSplits([["a", "b"], ["c"]], [["d"]], [], name="x", description="y")
    assert s.n_tokens() == {"train": 3, "valid": 1, "test": 0}
    assert s.n_tokens(eos=True) == {"train": 5, "valid": 2, "test": 0}
    assert s.n_sentences() == {"train": 2, "valid": 1, "test": 0}
    with pytest.raises(ValueError, match="split must be"):
        s.split("dev")


# ----------------------------------------------------------------------------- plain text


@pytest.fixture
def twenty_lines(tmp_path):
    p = tmp_path / "corpus.txt"
    p.write_text("".join(f"Line number {i}. It ends here.\n\n" for i in range(20)), encoding="utf-8")
    return p


def test_text_corpus_seeded_split_of_lines(twenty_lines):
    s = load_text_corpus(twenty_lines)
    assert s.n_sentences() == {"train": 16, "valid": 2, "test": 2}
    assert s.train[0][:2] == ["line", "number"]  # lower-cased by default
    numbers = {k: [int(sent[2]) for sent in s.split(k)] for k in ("train", "valid", "test")}
    assert sorted(sum(numbers.values(), [])) == list(range(20))
    assert all(v == sorted(v) for v in numbers.values())  # corpus order kept in each split
    assert load_text_corpus(twenty_lines).valid == s.valid  # seeded
    assert load_text_corpus(twenty_lines, seed=1).valid != s.valid
    assert str(twenty_lines) == s.name and "seed=0" in s.description


def test_text_corpus_options(twenty_lines):
    s = load_text_corpus(twenty_lines, lower=False, sentences=True, valid_fraction=0.25, test_fraction=0)
    assert s.n_sentences() == {"train": 30, "valid": 10, "test": 0}  # 15 / 5 lines, 2 sentences each
    assert s.train[1] == ["It", "ends", "here", "."]
    with pytest.raises(ValueError, match="must be < 1"):
        load_text_corpus(twenty_lines, valid_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match="test_fraction"):
        load_text_corpus(twenty_lines, test_fraction=-0.1)


def test_text_corpus_errors_name_the_path(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(DataError, match=r"empty\.txt.*empty corpus"):
        load_text_corpus(empty)
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"ok\nna\xefve\n")
    with pytest.raises(DataError, match=r"latin1\.txt, line 2, byte 5"):
        load_text_corpus(bad)
    assert load_text_corpus(bad, encoding="latin-1", valid_fraction=0, test_fraction=0).train == [
        ["ok"], ["naïve"]
    ]
    two = tmp_path / "two.txt"
    two.write_text("just two\nlines\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"two\.txt.*only 2 line"):
        load_text_corpus(two, valid_fraction=0.5, test_fraction=0.4)
    with pytest.raises(DataError, match="no such file"):
        load_text_corpus(tmp_path / "missing.txt")


def test_load_lm_corpus_dispatch(twenty_lines, tmp_path):
    assert load_lm_corpus(str(twenty_lines), seed=3).valid == load_text_corpus(twenty_lines, seed=3).valid
    assert load_lm_corpus(twenty_lines.parent).n_sentences()["train"] == 16  # a folder
    with pytest.raises(DataError, match="neither a registered LM corpus"):
        load_lm_corpus(str(tmp_path / "nothing-here"))
    other = [n for n in corpora.names() if corpora.get(n).task != "lm"]
    if other:
        with pytest.raises(DataError, match="not a language-modelling one"):
            load_lm_corpus(other[0])


# ----------------------------------------------------------------------------- registry


def test_registry_entries():
    assert {"brown", "brown_sentences", "ptb", "lee"} <= set(corpora.names(task="lm"))
    for name in ("brown", "brown_sentences", "ptb", "lee"):
        spec = corpora.get(name)
        assert spec.task == "lm" and spec.how_to_get and spec.license and spec.splits
        assert spec.loader == f"ffnlp.text.lm_corpora:load_{name}"
        assert spec.resolve_loader() is getattr(lm_corpora, f"load_{name}")
    assert "nltk.download('brown')" in corpora.get("brown").how_to_get


def test_absent_brown_says_where_it_looked_and_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(_datapaths, "nltk_data_dirs", lambda: [tmp_path / "nltk_data"])
    with pytest.raises(DataError) as info:
        load_brown()
    msg = str(info.value)
    assert str(tmp_path / "nltk_data" / "corpora" / "brown") in msg
    assert "nltk.download('brown')" in msg and "NLTK_DATA" in msg


def test_absent_ptb_says_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setattr(_datapaths, "data_roots", lambda: [tmp_path])
    with pytest.raises(DataError, match="ptb.train.txt") as info:
        load_lm_corpus("ptb")
    assert str(tmp_path / "ptb") in str(info.value)


# ----------------------------------------------------------------------------- the corpora


@needs_brown
def test_brown_bengio_split():
    s = load_brown()  # about 0.5 s
    assert s.n_tokens() == {"train": 800_000, "valid": 200_000, "test": 161_192}
    assert sum(s.n_sentences().values()) == 57_340 + 2  # two sentences straddle the cuts
    assert s.train[0][:4] == ["The", "Fulton", "County", "Grand"]  # case kept
    assert s.test[-1][-1] == "."
    # Bengio's protocol: one stream, the vocabulary counted on the whole corpus
    assert s.sentence_ends is False and s.vocab_from == "all" and s.encoded_tokens() == s.n_tokens()
    assert len(Vocab.build(s.vocab_sentences(), min_count=4)) == 17_908  # 17,904 words + 4 specials
    per_sentence = lm_corpora.load_brown_sentences()
    assert per_sentence.train == s.train and per_sentence.sentence_ends and per_sentence.vocab_from == "train"
    assert len(Vocab.build(per_sentence.vocab_sentences(), min_count=4)) == 14_117  # seen >= 4 times in train
    lower = load_brown(lower=True)
    assert lower.train[0][:2] == ["the", "fulton"] and lower.n_tokens() == s.n_tokens()


@pytest.mark.slow
@needs_brown
def test_brown_reader_equals_nltk():
    # nltk's reader must be pointed at the data through NLTK_DATA (its path security check
    # refuses other roots), so it runs in a subprocess.
    root = lm_corpora.brown_root()
    code = (
        "import sys; from nltk.corpus import brown; from ffnlp.text.lm_corpora import read_brown;"
        f"sys.exit(0 if [list(s) for s in brown.sents()] == read_brown({str(root)!r}) else 1)"
    )
    env = {"NLTK_DATA": str(root.parent.parent), "PATH": ""}
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0


@needs_ptb
def test_ptb_published_counts():
    s = load_ptb()
    assert s.n_tokens() == {"train": 887_521, "valid": 70_390, "test": 78_669}
    assert s.n_tokens(eos=True) == {"train": 929_589, "valid": 73_760, "test": 82_430}
    vocab = Vocab.build(s.train)
    assert len(vocab) == 10_002  # PTB's 10k = 9,998 words + <unk> + <eos>; we add <pad>, <s>
    ids = vocab.encode_sentences(s.valid)
    assert ids.shape == (73_760,) and (ids == vocab.eos_id).sum() == 3_370
    assert (ids == vocab.unk_id).sum() == sum(sent.count("<unk>") for sent in s.valid)


def test_lee_loads():
    s = load_lee()
    assert s.name == "lee"
    assert str(lm_corpora.lee_path()).endswith("lee_background.cor")
    assert sum(s.n_tokens().values()) > 50_000
    assert s.n_sentences()["train"] > 5 * s.n_sentences()["test"] > 0
    assert all(t == t.lower() for sent in s.train[:50] for t in sent)
    assert "300 lines" in s.description and "80%/10%/10%" in s.description
    assert load_lm_corpus("lee").test == s.test


def test_lee_path_is_gensims_datapath():
    from gensim.test.utils import datapath

    assert lm_corpora.lee_path().samefile(datapath("lee_background.cor"))


def test_text_package_imports_no_nn_or_tasks():
    code = (
        "import sys, ffnlp.text;"
        "bad = [m for m in sys.modules if m.startswith(('ffnlp.nn', 'ffnlp.tasks', 'ffnlp.baselines'))];"
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_encoded_lm_stream_feeds_windows():
    from ffnlp.text.windows import context_windows

    s = load_lee()
    vocab = Vocab.build(s.train, min_count=2)
    ids = vocab.encode_sentences(s.valid)
    X = context_windows(ids, 3, bos_id=vocab.bos_id, eos_id=vocab.eos_id)
    assert X.shape == (len(ids), 3)
    starts = np.flatnonzero(ids[:-1] == vocab.eos_id) + 1
    assert (X[starts] == vocab.bos_id).all()  # every sentence starts from <s> <s> <s>


# ----------------------------------------------------------------------------- corpora with their own split


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def own_split(tmp_path):
    d = tmp_path / "own"
    d.mkdir()
    _write(d / "wiki.train.tokens", "\ufeffThe cat sat on the mat .\n\nA dog @-@ barked <unk> .\n")
    _write(d / "wiki.valid.tokens", "The dog sat .\n")
    _write(d / "wiki.test.tokens", "\n A cat <unk> .\n")
    return d


def test_split_files_are_found_by_their_names(own_split, tmp_path):
    from ffnlp.text.lm_corpora import split_files

    assert {s: p.name for s, p in split_files(own_split).items()} == {
        "train": "wiki.train.tokens", "valid": "wiki.valid.tokens", "test": "wiki.test.tokens"}
    ptb = tmp_path / "ptb"
    ptb.mkdir()
    for s in ("train", "valid", "test"):
        _write(ptb / f"ptb.{s}.txt", "a b\n")
    _write(ptb / "README", "not a split\n")
    assert list(split_files(ptb)) == ["train", "valid", "test"]
    plain = tmp_path / "plain"
    plain.mkdir()
    _write(plain / "a.txt", "x\n")
    assert split_files(plain) is None
    _write(plain / "train.txt", "x\n")  # a train file but no validation file: refused, naming the flags
    with pytest.raises(DataError, match=r"no valid file.*--train/--valid/--test"):
        split_files(plain)
    _write(plain / "valid.txt", "x\n")
    _write(plain / "dev.txt", "x\n")
    with pytest.raises(DataError, match="several valid files"):
        split_files(plain)


def test_a_folder_with_its_own_split_is_not_resplit(own_split):
    s = load_lm_corpus(own_split)
    assert s.split_kind == "fixed" and s.name == str(own_split)
    # default tokenizer, lower-cased; the byte-order mark is no token; a blank line is skipped
    assert s.train[0] == ["the", "cat", "sat", "on", "the", "mat", "."]
    assert s.n_sentences() == {"train": 2, "valid": 1, "test": 1}
    assert "\ufeff" not in {t for sent in s.train for t in sent}
    assert s.counting == "</s> per non-blank line" and "its own files" in s.split_note
    assert set(s.files) == {"train", "valid", "test"}


def test_whitespace_tokenizer_keeps_pre_tokenized_text(own_split):
    s = load_lm_corpus(own_split, tokenizer="whitespace", count_blank_lines=True)
    assert s.train == [["The", "cat", "sat", "on", "the", "mat", "."], [], ["A", "dog", "@-@", "barked", "<unk>", "."]]
    assert s.test == [[], ["A", "cat", "<unk>", "."]]  # one </s> per line, blank ones included
    assert s.n_tokens(eos=True) == {"train": 13 + 3, "valid": 4 + 1, "test": 4 + 2}
    vocab = Vocab.build(s.train)
    assert vocab.encode(["<unk>"])[0] == vocab.unk_id  # the text's <unk> is the model's
    # the default tokenizer breaks <unk> apart, unless it is named as the unknown token
    assert load_lm_corpus(own_split).train[1] == ["a", "dog", "@", "-", "@", "barked", "<", "unk", ">", "."]
    assert load_lm_corpus(own_split, unk_token="<unk>").train[1][5:] == ["barked", "<unk>", "."]


def test_unk_and_eos_tokens_map_to_the_models_own(tmp_path):
    from ffnlp.text.lm_corpora import line_tokenizer

    tok, lower = line_tokenizer("whitespace", unk_token="<UNK>", eos_token="<eos>")
    assert lower is False
    assert tok("a <UNK> b <eos> c d <eos>") == [["a", "<unk>", "b"], ["c", "d"]]  # a trailing <eos> is not doubled
    assert tok("<eos>") == [[]]
    tok, lower = line_tokenizer("default", unk_token="<UNK>")
    assert lower is True and tok("Don't <UNK>!") == [["do", "n't", "<unk>", "!"]]
    with pytest.raises(ValueError, match="tokenizer must be"):
        line_tokenizer("spacy")
    f = _write(tmp_path / "c.txt", "x <eos> y\n" * 10)
    s = load_text_corpus(f, tokenizer="whitespace", eos_token="<eos>", valid_fraction=0, test_fraction=0)
    assert s.n_sentences()["train"] == 20 and "in place of each <eos>" in s.counting


def test_load_split_files_names_the_files(own_split, tmp_path):
    from ffnlp.text.lm_corpora import load_split_files

    s = load_split_files(own_split / "wiki.train.tokens", own_split / "wiki.valid.tokens")
    assert s.test == [] and s.n_sentences()["valid"] == 1
    empty = _write(tmp_path / "empty.txt", "\n\n")
    with pytest.raises(DataError, match=r"empty\.txt.*empty valid split"):
        load_split_files(own_split / "wiki.train.tokens", empty)
    with pytest.raises(DataError, match="no such file"):
        load_split_files(own_split / "wiki.train.tokens", tmp_path / "missing.txt")


def test_text_corpus_reads_utf8_with_a_bom(tmp_path):
    f = tmp_path / "bom.txt"
    f.write_bytes(b"\xef\xbb\xbfhello world\n" * 10)
    s = load_text_corpus(f, valid_fraction=0, test_fraction=0)
    assert s.train[0] == ["hello", "world"] and s.split_kind == "seeded" and "seeded" in s.split_note
    assert load_text_corpus(f, encoding="utf-8", valid_fraction=0, test_fraction=0).train[0] == ["hello", "world"]
