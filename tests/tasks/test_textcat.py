"""FFNTextClassifier: the scikit-learn contract, document encoding, learning, files; the comparison harness."""
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline

from ffnlp.config import TextCatConfig
from ffnlp.errors import ModelFileError
from ffnlp.nn import Ragged, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy
from ffnlp.nn.gradcheck import THRESHOLD, check_model
from ffnlp.nn.serialize import save_npz
from ffnlp.tasks.compare import compare, count_params, format_rows
from ffnlp.tasks.textcat import (Documents, FFNTextClassifier, bigram_pairs, hashed_bigrams, load_textcat_model,
                                 nb_log_count_ratios)
from ffnlp.text.labeled import LabeledData, TextCatDataset

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FILLER = "the a film movie story plot actor scene it was and of to this that".split()
CUES = {"pos": "great wonderful superb moving funny".split(), "neg": "dull boring awful tedious bad".split(),
        "mid": "okay average fine passable mediocre".split()}


def make_texts(n, classes=("pos", "neg"), seed=0):
    """Documents of filler words plus two cue words of their class."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        c = classes[i % len(classes)]
        words = list(rng.choice(FILLER, size=rng.integers(4, 9))) + list(rng.choice(CUES[c], size=2))
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(c)
    return texts, labels


FAST = dict(max_iter=15, random_state=0, embedding_dim=16, learning_rate_init=0.02, n_models=1, early_stopping=True,
            batch_size=32)


def _embedding(clf):
    """The first (word) embedding table of a fitted classifier's model."""
    from ffnlp.nn import Embedding
    return next(layer for layer in clf.model_.walk() if isinstance(layer, Embedding))


@pytest.fixture(scope="module")
def binary_data():
    return make_texts(240), make_texts(60, seed=1)


@pytest.fixture(scope="module")
def fitted(binary_data):
    (X, y), _ = binary_data
    return FFNTextClassifier(**FAST).fit(X, y)


# -- encoding -------------------------------------------------------------------------------------------


def test_documents_take_matches_slicing():
    docs = Documents(np.arange(10), np.array([3, 0, 4, 3]))
    batch = docs.take(np.array([3, 1, 0]))
    assert isinstance(batch, Ragged)
    assert batch.lengths.tolist() == [3, 0, 3]
    assert batch.data.tolist() == [7, 8, 9, 0, 1, 2]
    with pytest.raises(ValueError, match="sum"):
        Documents(np.arange(5), np.array([2, 2]))


def test_bigram_pairs_stay_inside_documents():
    # docs [5 6 7] [] [8] [9 4]: bigrams (5,6) (6,7) in doc 0 and (9,4) in doc 3; none across a boundary
    a, b, doc = bigram_pairs(np.array([5, 6, 7, 8, 9, 4]), np.array([3, 0, 1, 2]))
    assert list(zip(a.tolist(), b.tolist(), doc.tolist())) == [(5, 6, 0), (6, 7, 0), (9, 4, 3)]


def test_hashed_bigrams_follow_fasttext_hash():
    docs = hashed_bigrams(np.array([5, 6, 7, 9, 4]), np.array([3, 2]), n_buckets=1000, offset=20)
    assert docs.lengths.tolist() == [5, 3]
    # (5 * 116049371 + 6) % 1000 = 861, (6 * 116049371 + 7) % 1000 = 233, (9 * 116049371 + 4) % 1000 = 343
    assert docs.ids.tolist() == [5, 6, 7, 20 + 861, 20 + 233, 9, 4, 20 + 343]


def test_exact_bigrams_unseen_are_dropped(fitted):
    docs = fitted.transform_documents(["great film", "film great", "zzz qqq"])
    # two unknown words are one distinct feature (<unk>, seen twice); their bigram was never seen
    assert docs.lengths.tolist()[2] == 1 and docs.take([2]).direct.data.tolist() == [fitted.vocab_.unk_id]
    V = len(fitted.vocab_)
    batch = docs.take(np.array([0]))
    assert (batch.direct.data >= V).sum() <= 1
    assert (batch.embed.data >= V).sum() == 0        # two classes: the bigrams in the direct connections only
    embedded = FFNTextClassifier(**FAST, embed_ngrams=True).fit(*make_texts(60))
    b = embedded.transform_documents(["great film"]).take([0])
    assert (b.embed.data >= len(embedded.vocab_)).sum() == (b.direct.data >= len(embedded.vocab_)).sum() == 1


def test_strings_and_token_lists_give_the_same_ids(fitted):
    a = fitted.transform_documents(["Great film , dull plot"])
    b = fitted.transform_documents([["great", "film", ",", "dull", "plot"]])
    np.testing.assert_array_equal(a.ids, b.ids)


# -- the estimator contract ----------------------------------------------------------------------------


def test_fit_learns_and_returns_self(binary_data):
    (X, y), (Xt, yt) = binary_data
    clf = FFNTextClassifier(**FAST)
    assert clf.fit(X, y) is clf
    assert clf.classes_.tolist() == ["neg", "pos"]
    assert clf.score(Xt, yt) > 0.9
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert len(clf.validation_scores_) == clf.n_iter_
    assert 1 <= clf.best_epoch_ <= clf.n_iter_


def test_predict_proba_rows_sum_to_one_and_match_predict(fitted, binary_data):
    _, (Xt, _) = binary_data
    P = fitted.predict_proba(Xt)
    assert P.shape == (len(Xt), 2)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(fitted.classes_[P.argmax(axis=1)], fitted.predict(Xt))
    assert fitted.decision_function(Xt).shape == (len(Xt),)


def test_batch_predict_equals_one_by_one(fitted, binary_data):
    _, (Xt, _) = binary_data
    P = fitted.predict_proba(Xt[:8])
    rows = np.vstack([fitted.predict_proba([x]) for x in Xt[:8]])
    np.testing.assert_allclose(P, rows, rtol=1e-5)


def test_multiclass_softmax_and_integer_labels():
    X, y = make_texts(300, classes=("pos", "neg", "mid"))
    codes = {"pos": 7, "neg": 3, "mid": 5}
    yi = np.array([codes[c] for c in y])
    clf = FFNTextClassifier(**FAST).fit(X, yi)
    assert clf.classes_.tolist() == [3, 5, 7]
    assert isinstance(clf.loss_, SoftmaxCrossEntropy)
    Xt, yt = make_texts(60, classes=("pos", "neg", "mid"), seed=2)
    assert clf.score(Xt, [codes[c] for c in yt]) > 0.85
    assert clf.predict_proba(Xt).shape == (60, 3)
    labels, probs = clf.predict_top_k(Xt[:2], k=2)
    assert len(labels[0]) == 2 and probs[0][0] >= probs[0][1]


def test_clone_get_set_params_and_config_round_trip():
    clf = FFNTextClassifier(embedding_dim=8, hidden_layer_sizes=(4,), random_state=3)
    c2 = clone(clf)
    assert c2.get_params() == clf.get_params()
    c2.set_params(dropout=0.25)
    assert c2.dropout == 0.25 and clf.dropout == 0.0
    cfg = clf.get_config()
    assert isinstance(cfg, TextCatConfig) and cfg.hidden_layer_sizes == (4,)
    assert TextCatConfig.from_json(cfg.to_json()) == cfg
    assert FFNTextClassifier.from_config(cfg).get_params() == clf.get_params()
    defaults = {k: v for k, v in FFNTextClassifier().get_params().items() if k != "device"}   # not in the config
    assert TextCatConfig().to_dict() == defaults                                # the same defaults in both places


def test_bad_params_and_inputs_raise_clear_errors(binary_data):
    (X, y), _ = binary_data
    with pytest.raises(ValueError, match="doc_vector"):
        FFNTextClassifier(doc_vector="lstm").fit(X, y)
    with pytest.raises(ValueError, match="one string"):
        FFNTextClassifier().fit("just one string", ["a"])
    with pytest.raises(ValueError, match="at least 2 classes"):
        FFNTextClassifier(**FAST).fit(X[:10], ["pos"] * 10)
    with pytest.raises(ValueError, match="documents but y has"):
        FFNTextClassifier(**FAST).fit(X, y[:-1])
    with pytest.raises(ValueError, match=r"X\[1\]"):
        FFNTextClassifier(**FAST).fit(["ok", 3], ["a", "b"])


def test_pipeline_and_cross_val_score(binary_data):
    (X, y), _ = binary_data
    pipe = Pipeline([("clf", FFNTextClassifier(**{**FAST, "max_iter": 5}))])
    scores = cross_val_score(pipe, X[:120], y[:120], cv=2)
    assert scores.shape == (2,) and scores.min() > 0.6


def test_partial_fit_continues_training(binary_data):
    (X, y), (Xt, yt) = binary_data
    clf = FFNTextClassifier(**FAST)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=["neg", "pos"])
    for _ in range(6):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 7 and clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.score(Xt, yt) > 0.9
    with pytest.raises(ValueError, match="not seen in training"):
        clf.partial_fit(X[:2], ["neg", "meh"])


def test_class_weight_balanced_favours_the_rare_class():
    X, y = make_texts(200)
    keep = [i for i, lab in enumerate(y) if lab == "neg" or i % 10 == 0]  # 100 neg, 10 pos
    Xi, yi = [X[i] for i in keep], [y[i] for i in keep]
    Xt, _ = make_texts(100, seed=5)
    kw = {**FAST, "max_iter": 4, "early_stopping": False}
    plain = FFNTextClassifier(**kw).fit(Xi, yi).predict_proba(Xt)[:, 1].mean()
    balanced = FFNTextClassifier(**kw, class_weight="balanced").fit(Xi, yi).predict_proba(Xt)[:, 1].mean()
    assert balanced > plain


def test_class_weight_dict_with_digit_labels():
    # SST's labels are the strings "0".."4": scikit-learn's compute_sample_weight reads them as ints and
    # rejected a dict keyed by the strings (or by the ints, as JSON gives them)
    X, y = make_texts(200)
    y = ["1" if lab == "pos" else "0" for lab in y]
    rng = np.random.default_rng(5)
    Xt = [" ".join(rng.choice(FILLER, size=6)) for _ in range(50)]   # no cue: the prior decides
    kw = {**FAST, "max_iter": 4, "early_stopping": False}
    plain = FFNTextClassifier(**kw).fit(X, y).predict_proba(Xt)[:, 1].mean()
    for cw in ({"0": 1.0, "1": 5.0}, {0: 1.0, 1: 5.0}):
        clf = FFNTextClassifier(**kw, class_weight=cw).fit(X, y)
        assert clf.predict_proba(Xt)[:, 1].mean() > plain + 0.01
    # a class the dict leaves out weighs 1, as in scikit-learn
    lean = FFNTextClassifier(**kw, class_weight={"0": 5.0}).fit(X, y).predict_proba(Xt)[:, 1].mean()
    assert lean < plain - 0.01


def test_multilabel_sigmoid_with_threshold():
    X, y = make_texts(300, classes=("pos", "neg", "mid"))
    rng = np.random.default_rng(0)
    labels = [[c] + (["long"] if len(x.split()) > 7 else []) for x, c in zip(X, y)]
    clf = FFNTextClassifier(**{**FAST, "max_iter": 25}).fit(X, labels)
    assert clf.multilabel_ and clf.classes_.tolist() == ["long", "mid", "neg", "pos"]
    assert isinstance(clf.loss_, SigmoidBinaryCrossEntropy)
    P = clf.predict_proba(X[:20])
    assert P.shape == (20, 4) and np.all((P >= 0) & (P <= 1))
    Y = clf.predict(X[:20])
    assert Y.shape == (20, 4) and set(np.unique(Y)) <= {0, 1}
    assert rng is not None and clf.score(X, clf._binarizer.transform(labels)) > 0.5


@pytest.mark.parametrize("kw", [
    {"doc_vector": "conv", "conv_units": 16, "window": 3},
    {"doc_vector": "conv", "conv_units": 16, "conv_pool": "mean", "window": 2},
    {"doc_vector": "window", "conv_units": 16, "window": 3, "trigrams": True, "boundaries": True},
    {"doc_vector": "window", "conv_units": 16, "conv_pool": "mean", "word_dropout": 0.2, "dropout": 0.2},
    {"hidden_layer_sizes": (16, 16), "dropout": 0.2, "word_dropout": 0.2},
    {"bigrams": False, "solver": "sgd", "learning_rate_init": 0.5},
    {"n_buckets": 1000},
    {"n_models": 3, "max_iter": 10},
    {"nb_direct": False},
])
def test_model_variants_learn(binary_data, kw):
    (X, y), (Xt, yt) = binary_data
    clf = FFNTextClassifier(**{**FAST, "max_iter": 20, **kw}).fit(X, y)
    assert clf.score(Xt, yt) > 0.85, kw


@pytest.mark.parametrize("kw", [{"nb_direct": False, "n_models": 1},
                                {"nb_direct": True, "n_models": 2, "nb_style": "mean", "embed_ngrams": True},
                                # the default for 3 classes: binarized features from multinomial NB, bigrams in the
                                # direct connections only; its softmax starts saturated (p ~ 0.9999), so the
                                # gradients are tiny and central differences need a larger step (at 1e-6 roundoff
                                # gives 3.5e-6, at 1e-4 3.3e-8)
                                {"nb_direct": True, "n_models": 2, "eps": 1e-4}])
def test_whole_model_gradient_check(kw):
    """Word embeddings + bigrams -> mean -> two hidden layers -> softmax (+ NB direct connections, averaged
    members), float64, every trained parameter (ScaledBag's R and EmbeddingBag's idf are constants, left out)."""
    kw = dict(kw)
    eps = kw.pop("eps", 1e-6)
    X, y = make_texts(30, classes=("pos", "neg", "mid"))
    clf = FFNTextClassifier(embedding_dim=4, hidden_layer_sizes=(5, 4), activation="tanh", max_iter=1,
                            early_stopping=False, random_state=0, **kw).fit(X, y)
    model = clf.model_.astype(np.float64)
    batch = clf.transform_documents(X[:6]).all()
    targets = clf._encode_targets(y[:6])
    results = check_model(model, SoftmaxCrossEntropy(), batch, targets, max_elements=150, eps=eps)
    assert not any(k.endswith((".R", ".idf")) for k in results)           # no corpus constants in the layers
    assert any(k.endswith(".U") for k in results) == kw["nb_direct"]
    assert results and max(results.values()) < THRESHOLD, results


def test_window_network_reads_word_order():
    """The same two words decide the label by their order only: the averaging model cannot tell the
    documents apart (without bigrams), the windowed one can, and it keeps the direct connections."""
    rng = np.random.default_rng(0)
    X, y = [], []
    for i in range(300):
        fill = list(rng.choice(FILLER, size=4))
        first = i % 2 == 0
        pair = ["alpha", "beta"] if first else ["beta", "alpha"]
        at = int(rng.integers(0, 5))
        X.append(" ".join(fill[:at] + pair + fill[at:]))
        y.append("ab" if first else "ba")
    kw = dict(FAST, bigrams=False, max_iter=30, early_stopping=False)
    mean = FFNTextClassifier(**kw).fit(X[:200], y[:200])
    window = FFNTextClassifier(**kw, doc_vector="window", conv_units=16, window=2).fit(X[:200], y[:200])
    assert mean.score(X[200:], y[200:]) < 0.7
    assert window.score(X[200:], y[200:]) > 0.95
    layers = [type(layer).__name__ for layer in window.model_.walk()]
    assert "ConvPool" in layers and "DirectBag" in layers and "WeightedEmbeddingBag" not in layers
    batch = window.transform_documents(X[:3]).all()
    assert isinstance(batch.sequence, Ragged)
    np.testing.assert_array_equal(batch.sequence.lengths, [6, 6, 6])


def test_window_network_gradient_check():
    """The windowed network beside the direct connections, float64, every trained parameter."""
    X, y = make_texts(30, classes=("pos", "neg", "mid"))
    clf = FFNTextClassifier(doc_vector="window", embedding_dim=4, conv_units=5, window=3, hidden_layer_sizes=(4,),
                            activation="tanh", max_iter=1, early_stopping=False, random_state=0,
                            boundaries=True, trigrams=True).fit(X, y)
    model = clf.model_.astype(np.float64)
    batch = clf.transform_documents(X[:6]).all()
    results = check_model(model, SoftmaxCrossEntropy(), batch, clf._encode_targets(y[:6]), max_elements=150,
                          eps=1e-4)
    assert any(k.endswith(".U") for k in results) and any(k.endswith(".W") for k in results)
    assert results and max(results.values()) < THRESHOLD, results


def test_word2vec_initialization_frozen(binary_data):
    (X, y), _ = binary_data
    clf = FFNTextClassifier(**{**FAST, "max_iter": 3, "early_stopping": False}, embeddings="word2vec",
                            freeze_embeddings=True, w2v_epochs=2).fit(X, y)
    E = _embedding(clf).params["E"]
    V = len(clf.vocab_)
    assert _embedding(clf).n_frozen == V
    # frozen word rows are the word2vec vectors (rows of words not in the vocabulary, i.e. specials, random)
    from gensim.models import Word2Vec
    toks = clf._tokens(X)  # Word2Vec sees the same training texts
    w2v = Word2Vec(sentences=toks, vector_size=16, min_count=1, sg=1, epochs=2,
                   seed=1, workers=1)
    for word in ("great", "film", "dull"):
        np.testing.assert_allclose(E[clf.vocab_.stoi[word]], w2v.wv[word], rtol=1e-5)
    assert np.isfinite(E[:V]).all()


def test_word2vec_format_file(tmp_path, binary_data):
    from gensim.models import KeyedVectors

    (X, y), (Xt, yt) = binary_data
    kv = KeyedVectors(vector_size=6)
    words = ["great", "dull", "film"]
    vecs = np.arange(18, dtype=np.float32).reshape(3, 6) / 10
    kv.add_vectors(words, vecs)
    path = tmp_path / "vec.txt"
    kv.save_word2vec_format(str(path))
    clf = FFNTextClassifier(**{**FAST, "embedding_dim": 99}, embeddings=str(path), freeze_embeddings=True).fit(X, y)
    assert clf.embedding_dim_ == 6
    E = _embedding(clf).params["E"]
    for w, v in zip(words, vecs):
        np.testing.assert_allclose(E[clf.vocab_.stoi[w]], v, rtol=1e-6)
    assert clf.score(Xt, yt) > 0.8
    with pytest.raises(FileNotFoundError):
        FFNTextClassifier(embeddings=str(tmp_path / "missing.txt")).fit(X, y)


def test_adapt_vectors_continues_word2vec_on_the_training_texts(tmp_path, binary_data):
    from gensim.models import KeyedVectors

    (X, y), (Xt, yt) = binary_data
    kv = KeyedVectors(vector_size=6)
    words = ["great", "dull", "film"]
    vecs = np.random.default_rng(0).normal(size=(3, 6)).astype(np.float32)
    kv.add_vectors(words, vecs)
    path = tmp_path / "vec.txt"
    kv.save_word2vec_format(str(path))
    plain = FFNTextClassifier(**FAST, embeddings=str(path)).fit(X, y)
    adapted = FFNTextClassifier(**FAST, embeddings=str(path), adapt_vectors=True, w2v_epochs=3).fit(X, y)
    toks = adapted._tokens(X)
    vec_plain, ids_plain = plain._pretrained(toks)
    vec_adapt, ids_adapt = adapted._pretrained(toks)
    assert len(ids_plain) == 3                                  # only the file's words
    assert len(ids_adapt) > 3                                   # every training word now has a vector
    stoi = adapted.vocab_.stoi
    start = vec_adapt[np.searchsorted(ids_adapt, [stoi[w] for w in words])]
    assert not np.allclose(start, vecs)                         # moved by the extra training ...
    cos = (start * vecs).sum(1) / np.linalg.norm(start, axis=1) / np.linalg.norm(vecs, axis=1)
    assert (cos > 0.5).all()                                    # ... but from the file's vectors
    assert adapted.score(Xt, yt) > 0.8
    assert adapted.get_config().adapt_vectors is True


def _direct(clf):
    from ffnlp.nn.pooling import DirectBag
    return next(layer for layer in clf.model_.walk() if isinstance(layer, DirectBag))


def test_auto_options_follow_the_classes_and_the_training_set(binary_data, monkeypatch):
    """Two classes: 20-d embeddings of the words (bigrams, 200,000, in the direct connections only), interpolated
    style, 4 epochs of one network. More: 64-d
    embeddings of the words (bigrams in the direct connections, 100,000), mean style, 4 epochs of one network;
    short documents add bigram rows (30,000), a small set two networks stopping early (up to 30 epochs)."""
    (X, y), (Xt, yt) = binary_data
    auto = {"embedding_dim": "auto", "max_iter": "auto", "early_stopping": "auto", "n_models": "auto"}
    fast = {**FAST, **auto}
    clf = FFNTextClassifier(**fast).fit(X, y)
    assert clf.auto_kinds_ == ("two",) and clf.nb_style == "auto"
    assert clf._nb_style() == "interpolated" and clf.encoder_.direct_pooling == "presence"
    assert not _direct(clf).residual and clf.direct_raw_ is not None
    assert clf.embedding_dim_ == 20 and not clf.encoder_.embed_ngrams and clf.encoder_.max_bigrams == 200000
    assert len(clf.members_) == 1 and clf.n_iter_ == 4 and clf.best_epoch_ is None     # all the data, 4 epochs
    assert clf.score(Xt, yt) > 0.8
    X3, y3 = make_texts(240, classes=("pos", "neg", "mid"), seed=5)      # 240 documents of 6-10 words
    clf3 = FFNTextClassifier(**fast).fit(X3, y3)
    assert clf3.auto_kinds_ == ("more", "short", "small") and clf3.encoder_.nb == "ovr" and not _direct(clf3).residual
    assert clf3.embedding_dim_ == 64 and clf3.encoder_.embed_ngrams and clf3.encoder_.max_bigrams == 30000
    assert len(clf3.members_) == 2 and clf3.best_epoch_ is not None and clf3._auto("max_iter") == 30
    assert clf3.get_params()["embedding_dim"] == "auto" and clf3.get_params()["n_models"] == "auto"  # as set
    assert clf3.score(*make_texts(60, classes=("pos", "neg", "mid"), seed=6)) > 0.8
    X10 = [f"the {FILLER[i % 7]} cue{i % 10} film" for i in range(300)]
    y10 = [f"c{i % 10}" for i in range(300)]
    clf10 = FFNTextClassifier(**fast).fit(X10, y10)
    assert clf10.auto_kinds_ == ("more", "short", "small") and clf10.encoder_.direct_pooling == "mean"
    assert clf10.encoder_.nb == "ovr" and clf10.encoder_.nb_ratios_.shape == (clf10.encoder_.n_features_, 10)
    words = len(" ".join(X3).split())
    with monkeypatch.context() as m:                 # the same documents counted as a large set
        m.setattr(FFNTextClassifier, "SMALL_SET_WORDS", words)
        big = FFNTextClassifier(**fast).fit(X3, y3)
        assert big.auto_kinds_ == ("more", "short") and big.encoder_.embed_ngrams and big.encoder_.max_bigrams == 30000
        assert len(big.members_) == 1 and big.n_iter_ == 4 and big.best_epoch_ is None
        m.setattr(FFNTextClassifier, "SHORT_DOC_WORDS", words / len(X3))       # ... of long documents
        both = FFNTextClassifier(**fast).fit(X3, y3)
        assert both.auto_kinds_ == ("more",) and both.encoder_.nb == "ovr" and not _direct(both).residual
        assert both.embedding_dim_ == 64 and not both.encoder_.embed_ngrams and both.encoder_.max_bigrams == 100000
        assert len(both.members_) == 1 and both.n_iter_ == 4
        m.setattr(FFNTextClassifier, "SMALL_SET_WORDS", words + 1)
        long = FFNTextClassifier(**fast).fit(X3, y3)
        assert long.auto_kinds_ == ("more", "small") and not long.encoder_.embed_ngrams and len(long.members_) == 2
    # values that are set win over the rule
    clf3m = FFNTextClassifier(**FAST).fit(X3, y3)
    assert len(clf3m.members_) == 1 and clf3m.embedding_dim_ == 16
    clf_mean = FFNTextClassifier(**fast, nb_style="mean").fit(X, y)
    assert clf_mean.encoder_.direct_pooling == "mean" and not _direct(clf_mean).residual
    clf_nb3 = FFNTextClassifier(**{**fast, "early_stopping": False}, nb_style="nbsvm", embed_ngrams=False).fit(X3, y3)
    assert clf_nb3.encoder_.nb == "multinomial" and _direct(clf_nb3).residual and not clf_nb3.encoder_.embed_ngrams
    assert len(clf_nb3.members_) == 2 and clf_nb3.n_iter_ == 4 and clf_nb3.best_epoch_ is None
    with pytest.raises(ValueError, match="nb_style"):
        FFNTextClassifier(nb_style="svm").fit(X, y)


def test_interpolated_direct_connections_add_naive_bayes_after_training(tmp_path, binary_data):
    """nb_style="interpolated": the direct weights train from zero, without naive Bayes in the loss, and the fit
    ends with W = U + NB_INTERPOLATION * mean|U| (NBSVM's interpolation); partial_fit trains U, not W."""
    (X, y), (Xt, yt) = binary_data
    cfg = {**FAST, "early_stopping": False, "max_iter": 3, "nb_style": "interpolated"}
    clf = FFNTextClassifier(**cfg).fit(X, y)
    (U,), W = clf.direct_raw_[0], _direct(clf).params["U"]
    assert not _direct(clf).residual and np.abs(U).max() > 0             # trained from zero
    np.testing.assert_allclose(W, U + clf.NB_INTERPOLATION * np.abs(U).mean(axis=0), rtol=1e-6)
    assert clf.score(Xt, yt) > 0.8
    # the interpolation is what makes it naive Bayes plus the network: without it, the weights as trained
    batch = clf.transform_documents(Xt).all()
    nb_part = np.bincount(np.repeat(np.arange(len(Xt)), batch.direct.lengths), weights=batch.direct.weights[:, 0])
    shift = clf.NB_INTERPOLATION * np.abs(U).mean()
    raw = FFNTextClassifier(**cfg).fit(X, y)
    _direct(raw).params["U"][...] = U
    np.testing.assert_allclose(clf.decision_function(Xt), raw.decision_function(Xt) + shift * nb_part,
                               rtol=1e-4, atol=1e-4)
    # partial_fit continues from U (kept), then interpolates again
    again = FFNTextClassifier(**cfg).fit(X, y)
    again.partial_fit(X[:32], y[:32])
    (U2,) = again.direct_raw_[0]
    assert np.abs(U2 - U).max() > 0 and np.abs(U2 - W).max() > np.abs(U2 - U).max()
    np.testing.assert_allclose(_direct(again).params["U"], U2 + clf.NB_INTERPOLATION * np.abs(U2).mean(axis=0),
                               rtol=1e-6)
    # a file holds the interpolated weights; a loaded model predicts the same and trains them as they are
    loaded = FFNTextClassifier.load(clf.save(tmp_path / "m.npz"))
    np.testing.assert_allclose(loaded.decision_function(Xt), clf.decision_function(Xt), rtol=1e-6)
    assert loaded.direct_raw_ is None
    before = _direct(loaded).params["U"].copy()
    loaded.partial_fit(X[:32], y[:32])
    moved = np.abs(_direct(loaded).params["U"] - before).max()
    assert loaded.direct_raw_ is None and 0 < moved < shift / 4                    # trained, but no second shift
    # several exclusive classes: multinomial NB scales; a fresh fit of another style forgets the raw weights
    X3, y3 = make_texts(240, classes=("pos", "neg", "mid"), seed=5)
    clf3 = FFNTextClassifier(**cfg).fit(X3, y3)
    assert clf3.encoder_.nb == "multinomial" and clf3.direct_raw_[0][0].shape == (clf3.encoder_.n_features_, 3)
    clf3.set_params(nb_style="nbsvm").fit(X3, y3)
    assert clf3.direct_raw_ is None and _direct(clf3).residual


def test_auto_options_of_several_labels_and_of_a_loaded_model(tmp_path):
    """Several labels per document: the averaged style, the two-class or "more" values; a loaded model keeps
    training its own number of networks."""
    X, y = make_texts(240, classes=("pos", "neg", "mid"), seed=5)
    auto = {**FAST, "max_iter": "auto", "early_stopping": "auto", "n_models": "auto"}
    multi = FFNTextClassifier(**auto).fit(X, [[c] if i % 2 else [c, "mid"] for i, c in enumerate(y)])
    assert multi.multilabel_ and multi.auto_kinds_ == ("more",) and multi.encoder_.direct_pooling == "mean"
    assert len(multi.members_) == 1 and multi.best_epoch_ is None
    two = FFNTextClassifier(**auto).fit(X, [[c] for c in ("a", "b") * 120])
    assert two.auto_kinds_ == ("two",) and two.encoder_.direct_pooling == "mean" and not _direct(two).residual
    clf = FFNTextClassifier(**auto).fit(X, y)
    again = load_textcat_model(clf.save(tmp_path / "m.npz"))
    assert len(again.members_) == 2
    again.partial_fit(X[:50], y[:50])
    assert len(again.members_) == 2 and again.score(X, y) > 0.8


def test_multinomial_nb_ratios_give_the_naive_bayes_posterior():
    from ffnlp.tasks.textcat import nb_log_count_ratios

    # 3 classes, ids 0..4; documents as id lists
    docs_ids = [[0, 1], [0, 0, 2], [3], [3, 4], [1, 4], [2]]
    labels = np.array([0, 0, 1, 1, 2, 2])
    docs = Documents(np.concatenate(docs_ids), [len(d) for d in docs_ids])
    Y = np.eye(3)[labels]
    R = nb_log_count_ratios(docs, Y, 5, multinomial=True)
    np.testing.assert_allclose(R.sum(axis=1), 0, atol=1e-6)          # centred over the classes
    # by hand: binarized counts per class + 1, normalized; the posterior of a document is their product
    counts = np.ones((3, 5))
    for ids, c in zip(docs_ids, labels):
        counts[c, sorted(set(ids))] += 1
    logp = np.log(counts / counts.sum(axis=1, keepdims=True))
    test = [0, 4]
    post = np.exp(logp[:, test].sum(1)); post /= post.sum()
    z = R[test].sum(0); soft = np.exp(z - z.max()); soft /= soft.sum()
    np.testing.assert_allclose(soft, post, rtol=1e-5)


def test_files_without_nb_style_load_as_the_mean_style(tmp_path, binary_data):
    import json

    (X, y), (Xt, _) = binary_data
    clf = FFNTextClassifier(**FAST, nb_style="mean").fit(X, y)
    path = clf.save(tmp_path / "m.npz")
    # rewrite the metadata as an older version wrote it: no nb_style
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["__meta__"][()]))
    del meta["config"]["nb_style"]
    arrays["__meta__"] = np.array(json.dumps(meta, sort_keys=True))
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)
    again = load_textcat_model(old)
    assert again.nb_style == "mean"
    np.testing.assert_array_equal(again.predict_proba(Xt), clf.predict_proba(Xt))


def test_format1_files_written_before_the_encoder_load_and_predict_as_then():
    """A file written by the release before the DocumentEncoder (ids in, idf and NB ratios inside the layers:
    an ensemble of 2 members with NB direct connections) loads and gives the probabilities it gave then."""
    import json
    from pathlib import Path

    data = Path(__file__).parent / "data"
    ref = json.loads((data / "textcat_format1.json").read_text())
    clf = load_textcat_model(data / "textcat_format1.npz")
    assert clf.encoder_ is None and len(clf.members_) == 2
    np.testing.assert_allclose(clf.predict_proba(ref["texts"]), ref["proba"], rtol=1e-5, atol=1e-7)
    assert clf.classes_.tolist() == ref["classes"]


def test_files_of_a_newer_format_are_refused_naming_the_version(tmp_path, fitted):
    import json

    path = fitted.save(tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["__meta__"][()]))
    assert meta["format"] == 2
    meta["format"] = 7
    arrays["__meta__"] = np.array(json.dumps(meta, sort_keys=True))
    np.savez(tmp_path / "new.npz", **arrays)
    with pytest.raises(ModelFileError, match="format 7 is newer"):
        load_textcat_model(tmp_path / "new.npz")


def test_partial_fit_after_load_continues_training(tmp_path, fitted, binary_data):
    (X, y), (Xt, yt) = binary_data
    again = load_textcat_model(fitted.save(tmp_path / "m.npz"))
    before = again.decision_function(Xt)
    again.partial_fit(X, y)
    assert not np.allclose(again.decision_function(Xt), before) and again.score(Xt, yt) > 0.85
    assert again.tokens_per_second_ > 0


def test_save_load_round_trip(tmp_path, fitted, binary_data):
    _, (Xt, _) = binary_data
    path = fitted.save(tmp_path / "m.npz")
    again = load_textcat_model(path)
    np.testing.assert_array_equal(again.predict_proba(Xt), fitted.predict_proba(Xt))
    assert again.get_params() == fitted.get_params()
    assert again.vocab_ == fitted.vocab_
    for kw in ({"n_buckets": 500}, {"doc_vector": "conv", "conv_units": 8}, {"word_dropout": 0.1},
               {"trigrams": True}, {"doc_vector": "window", "conv_units": 8, "boundaries": True}):
        (X, y), _ = binary_data
        clf = FFNTextClassifier(**{**FAST, "max_iter": 2, **kw}).fit(X, y)
        p = clf.save(tmp_path / "k.npz")
        np.testing.assert_array_equal(load_textcat_model(p).predict_proba(Xt), clf.predict_proba(Xt))


def test_load_refuses_another_kind(tmp_path):
    path = save_npz(tmp_path / "img.npz", {"x": np.zeros(2)}, {}, kind="image")
    with pytest.raises(ModelFileError, match="image"):
        load_textcat_model(path)


# -- the comparison harness ----------------------------------------------------------------------------


def _dataset(fixed: bool):
    X, y = make_texts(160, seed=3)
    if fixed:
        Xt, yt = make_texts(40, seed=4)
        return TextCatDataset("toy", LabeledData(X, y), test=LabeledData(Xt, yt))
    return TextCatDataset("toy", LabeledData(X, y), cv_folds=3)


def test_compare_fixed_split_and_formats():
    models = {"ffnlp_dan": lambda rs: FFNTextClassifier(**{**FAST, "random_state": rs})}
    from ffnlp.baselines.textcat import BASELINES
    models.update({k: BASELINES[k] for k in ("nbsvm", "tfidf_mnb")})
    result = compare(_dataset(fixed=True), models)
    assert [r.model for r in result.rows] == ["ffnlp_dan", "nbsvm", "tfidf_mnb"]
    assert result.protocol.startswith("fixed") and result.n_test == 40
    for r in result.rows:
        assert 0.8 < r.accuracy <= 1 and r.accuracy_std == 0 and r.n_params > 0 and r.train_seconds > 0
    text = format_rows(result.rows)
    assert "accuracy %" in text and len(text.splitlines()) == 4
    md = format_rows(result.rows, "markdown")
    assert md.splitlines()[1].startswith("|---|")
    csv = format_rows(result.rows, "csv").splitlines()
    assert csv[0] == "model,accuracy,accuracy_std,macro_f1,train_seconds,predict_seconds,n_params"
    assert result.best("ffnlp").model == "ffnlp_dan"
    assert result.to_dict()["rows"][0]["model"] == "ffnlp_dan"


def test_compare_cross_validation_folds():
    result = compare(_dataset(fixed=False), ["nbsvm"], max_folds=2)
    assert result.rows[0].folds == 2 and len(result.rows[0].fold_accuracies) == 2
    assert "3-fold" in result.protocol and "first 2" in result.protocol
    with pytest.raises(ValueError, match="unknown model"):
        compare(_dataset(fixed=False), ["nope"])


def test_compare_with_pretrained_vectors(tmp_path):
    from ffnlp.tasks.compare import all_models, pretrained_models

    ds = _dataset(fixed=True)
    words = sorted({w for t in ds.train.texts for w in t.lower().split()})
    rng = np.random.default_rng(0)
    vec = tmp_path / "vec.txt"
    vec.write_text(f"{len(words)} 6\n" + "".join(f"{w} " + " ".join(f"{x:.4f}" for x in rng.normal(size=6)) + "\n"
                                                for w in words))
    assert set(pretrained_models(vec)) == {"ffnlp_dan_vec", "ffnlp_conv_vec", "ffnlp_ens_vec"}
    assert set(pretrained_models(vec, "glove")) == {"ffnlp_dan_glove", "ffnlp_conv_glove", "ffnlp_ens_glove"}
    assert "ffnlp_ens_w2" in all_models(vec, "w2")
    with pytest.raises(ValueError, match="vectors name"):
        pretrained_models(vec, "a b")
    assert "ffnlp_dan_vec" in all_models(vec) and "ffnlp_dan_vec" not in all_models()
    clf = pretrained_models(vec)["ffnlp_dan_vec"](0)
    assert clf.embeddings == str(vec)
    result = compare(ds, ["ffnlp_dan_vec", "ffnlp_ens_vec"], vectors=vec)
    assert [r.model for r in result.rows] == ["ffnlp_dan_vec", "ffnlp_ens_vec"]
    assert all(r.accuracy > 0.8 for r in result.rows)
    assert result.rows[1].n_params > result.rows[0].n_params     # both networks are counted
    with pytest.raises(ValueError, match="unknown model"):
        compare(ds, ["ffnlp_dan_vec"])          # without vectors there is no such model


def test_count_params_of_baselines():
    from ffnlp.baselines.textcat import BASELINES

    X, y = make_texts(60)
    lr = BASELINES["tfidf_logreg"](0).fit(X, y)
    clf = lr.named_steps["clf"]
    assert count_params(lr) == clf.coef_.size + clf.intercept_.size
    assert count_params(BASELINES["nbsvm"](0).fit(X, y)) > 0


def test_ensemble_members_hold_out_different_folds(binary_data):
    (X, y), (Xt, yt) = binary_data
    clf = FFNTextClassifier(**{**FAST, "max_iter": 6, "n_models": 3}).fit(X, y)
    assert len(clf.members_) == 3 and len(clf.histories_) == 3
    splits = clf._held_out(y, len(X))
    held = [set(va.tolist()) for _, va in splits]
    assert not (held[0] & held[1]) and all(len(h) == 24 for h in held)
    Z = clf.decision_function(Xt)
    np.testing.assert_allclose(Z, np.mean([m.predict(clf.transform_documents(Xt).all())[:, 0]
                                           for m in clf.members_], axis=0), rtol=1e-5)
    assert clf.n_params() == sum(m.n_params() for m in clf.members_)


def test_nb_direct_connections_start_at_naive_bayes(binary_data):
    """With nb_direct the model is net + direct connections, whose per-item scales (carried by the batch) are
    the NB log-count ratios of the binarized features; with U = 0 the direct output is the NB log-odds."""
    from ffnlp.nn.pooling import Ensemble
    from ffnlp.nn.pooling import DirectBag

    (X, y), _ = binary_data
    clf = FFNTextClassifier(**{**FAST, "max_iter": 1, "early_stopping": False}, nb_style="nbsvm").fit(X, y)
    assert isinstance(clf.model_, Ensemble) and clf.model_.reduce == "sum"
    direct = clf.model_[1]
    assert isinstance(direct[1], DirectBag) and set(direct[1].params) == {"U"}
    docs = clf.transform_documents(X)
    # by hand: binarized document-feature counts per class, smoothed by 1
    n_feat = clf.encoder_.n_features_
    F = np.zeros((len(X), n_feat))
    F[np.repeat(np.arange(len(X)), docs.lengths), docs.ids] = 1
    pos = clf._encode_targets(y) > 0.5
    p, q = 1 + F[pos].sum(0), 1 + F[~pos].sum(0)
    R = np.log(p / p.sum()) - np.log(q / q.sum())
    np.testing.assert_allclose(clf.encoder_.nb_ratios_[:, 0], R, rtol=1e-5, atol=1e-6)
    great, dull = clf.vocab_.stoi["great"], clf.vocab_.stoi["dull"]
    assert R[great] > 0 > R[dull]  # classes_ = [neg, pos]: positive ratios indicate pos
    direct[1].params["U"][...] = 0
    np.testing.assert_allclose(direct.predict(docs.take(np.arange(5)))[:, 0], F[:5] @ R, rtol=1e-4, atol=1e-5)


def test_nb_log_count_ratios_by_hand():
    # docs: [1, 2, 2] (class 1), [2, 3] (class 0); binarized counts: class 1 {1, 2}, class 0 {2, 3}
    docs = Documents(np.array([1, 2, 2, 2, 3]), np.array([3, 2]))
    R = nb_log_count_ratios(docs, np.array([[1.0], [0.0]]), 4, smoothing=1.0)
    # p = 1 + [0, 1, 1, 0] = [1, 2, 2, 1] (sum 6); q = 1 + [0, 0, 1, 1] = [1, 1, 2, 2] (sum 6)
    np.testing.assert_allclose(R[:, 0], np.log([1, 2, 1, 0.5]), rtol=1e-6)


def test_defaults_train_one_lean_network_with_direct_connections(binary_data):
    (X, y), (Xt, yt) = binary_data
    clf = FFNTextClassifier(random_state=0).fit(X, y)
    assert len(clf.members_) == 1 and clf.nb_direct and clf.n_iter_ == 4 and clf.encoder_ is not None
    enc = clf.encoder_
    # 20-d rows for the words, one direct weight for each word and bigram, and the output layer
    assert enc.n_embedded_ == len(clf.vocab_) < enc.n_features_
    assert clf.n_params() == enc.n_embedded_ * 20 + enc.n_features_ + 20 + 1
    assert clf.score(Xt, yt) > 0.9
    assert clf.get_params() == FFNTextClassifier.from_config(TextCatConfig(random_state=0)).get_params()


def test_word_dropout_reads_id_sequences(binary_data):
    (X, y), (Xt, yt) = binary_data
    clf = FFNTextClassifier(**FAST, word_dropout=0.1).fit(X, y)
    from ffnlp.text.features import Documents as IdDocuments
    assert clf.encoder_ is None and isinstance(clf.transform_documents(Xt), IdDocuments)
    assert clf.score(Xt, yt) > 0.85


def test_grid_search_cv(binary_data):
    from sklearn.model_selection import GridSearchCV

    (X, y), _ = binary_data
    search = GridSearchCV(FFNTextClassifier(**{**FAST, "max_iter": 4}), {"embedding_dim": [8, 16]}, cv=2)
    search.fit(X[:120], y[:120])
    assert search.best_params_["embedding_dim"] in (8, 16) and search.best_score_ > 0.6


def test_docstring_example_runs():
    import doctest

    import ffnlp.tasks.textcat as mod

    pytest.importorskip("gensim")
    failures, _ = doctest.testmod(mod, verbose=False, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_boundaries_mark_document_start_and_end(binary_data):
    from ffnlp.tasks.textcat import add_boundaries

    ids, lengths = add_boundaries(np.array([5, 6, 7, 8]), np.array([3, 0, 1]), 2, 3)
    assert ids.tolist() == [2, 5, 6, 7, 3, 2, 3, 2, 8, 3] and lengths.tolist() == [5, 2, 3]
    (X, y), (Xt, yt) = binary_data
    clf = FFNTextClassifier(**FAST, boundaries=True, bigrams=False).fit(X, y)
    docs = clf.transform_documents(["great film"])
    assert docs.ids.tolist() == sorted([2, clf.vocab_.stoi["great"], clf.vocab_.stoi["film"], 3])
    assert clf.score(Xt, yt) > 0.85


def test_tfidf_term_weighting(tmp_path, binary_data):
    (X, y), (Xt, yt) = binary_data
    clf = FFNTextClassifier(**FAST, term_weighting="tfidf").fit(X, y)
    assert clf.score(Xt, yt) > 0.85
    enc = clf.encoder_
    assert enc.weighting == "tfidf" and enc.idf_.shape == (enc.n_features_,)
    assert enc.idf_[clf.vocab_.stoi["the"]] < enc.idf_[clf.vocab_.stoi["superb"]]
    assert set(_embedding(clf).params) == {"E"}                            # the layer holds no idf
    again = load_textcat_model(clf.save(tmp_path / "t.npz"))
    np.testing.assert_array_equal(again.predict_proba(Xt), clf.predict_proba(Xt))


# -- word vectors -----------------------------------------------------------------------------------------


def test_word_vectors_are_the_trained_rows_of_the_words(fitted):
    from ffnlp.text.vocab import SPECIALS

    kv = fitted.to_keyed_vectors()
    words = fitted.vocab_.itos[len(SPECIALS):]
    assert list(kv.index_to_key) == list(words)        # the words, in vocabulary order, no specials
    assert kv.vectors.shape == (len(words), fitted.embedding_dim_)
    E = _embedding(fitted).params["E"]
    np.testing.assert_array_equal(kv[words[0]], E[len(SPECIALS)])
    np.testing.assert_array_equal(kv.vectors, E[len(SPECIALS):len(fitted.vocab_)])
    with pytest.raises(ValueError, match="member"):
        fitted.to_keyed_vectors(member=1)


def test_saved_word_vectors_start_another_model(tmp_path, fitted, binary_data):
    (X, y), _ = binary_data
    for name in ("v.txt", "v.bin"):
        path = fitted.save_word2vec_format(tmp_path / name, binary=name.endswith(".bin"))
        assert path.exists() and not list(tmp_path.glob(".*.tmp"))
        clf = FFNTextClassifier(**{**FAST, "max_iter": 1}, embeddings=str(path), freeze_embeddings=True).fit(X, y)
        kv, new = fitted.to_keyed_vectors(), clf.to_keyed_vectors()
        common = [w for w in kv.index_to_key if w in new.key_to_index]
        assert len(common) == len(kv)                   # same texts: every word is covered
        np.testing.assert_allclose(new[common], kv[common], rtol=1e-6)   # frozen: unchanged by training


def test_word_vectors_of_a_loaded_single_model_with_nb_connections(tmp_path, binary_data):
    (X, y), (Xt, _) = binary_data
    clf = FFNTextClassifier(**FAST, nb_style="nbsvm").fit(X, y)
    loaded = FFNTextClassifier.load(clf.save(tmp_path / "m.npz"))
    assert len(loaded.members_) == 1                    # its NB connections are part of the one member
    np.testing.assert_array_equal(loaded.to_keyed_vectors().vectors, clf.to_keyed_vectors().vectors)
    loaded.partial_fit(X[:32], y[:32])                  # trains the one member, NB part included
    assert loaded.predict(Xt).shape == (len(Xt),)


def test_word_vectors_need_a_fitted_model():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        FFNTextClassifier().to_keyed_vectors()


def test_compare_repeats_each_model_over_seeds():
    ds = _dataset(fixed=True)
    one = compare(ds, ["ffnlp_dan"], seed=3).rows[0]
    row = compare(ds, ["ffnlp_dan"], seed=3, seeds=3).rows[0]
    assert (row.seeds, row.folds, len(row.fold_accuracies)) == (3, 1, 3)
    assert row.fold_accuracies[0] == one.accuracy            # the first run is the seed-3 run
    assert row.accuracy == pytest.approx(np.mean(row.fold_accuracies))
    assert row.accuracy_std == pytest.approx(np.std(row.fold_accuracies))
    cv = compare(_dataset(fixed=False), ["tfidf_mnb"], max_folds=2, seeds=2).rows[0]
    assert (cv.folds, cv.seeds, len(cv.fold_accuracies)) == (2, 2, 4)
    with pytest.raises(ValueError, match="seeds"):
        compare(ds, ["ffnlp_dan"], seeds=0)
