import json

from ffnlp.cli import main


def test_corpora_list_names_every_registered_corpus(capsys):
    assert main(["corpora", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    names = {r["name"] for r in rows}
    assert {"brown", "ptb", "lee", "mr", "trec", "sst1", "sst2", "20ng", "sms", "mini_newsgroup"} <= names
    lee = next(r for r in rows if r["name"] == "lee")
    assert lee["found"] and lee["location"].endswith("lee_background.cor")  # ships with gensim


def test_missing_corpus_says_where_it_looked(capsys, monkeypatch, tmp_path):
    from ffnlp import _datapaths

    monkeypatch.setattr(_datapaths, "data_roots", lambda: [tmp_path])
    monkeypatch.setenv("NLTK_DATA", str(tmp_path))
    assert main(["corpora", "show", "brown", "--json"]) == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert info["found"] is False and "nltk.download('brown')" in info["how_to_get"]
    assert any(str(tmp_path) in s for s in info["searched"])


def test_unknown_corpus_exits_nonzero(capsys):
    assert main(["corpora", "show", "nope"]) == 2
    assert "unknown corpus 'nope'" in capsys.readouterr().err
