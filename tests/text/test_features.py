"""DocumentEncoder: the features, TF-IDF weights and NB ratios it computes once, against scikit-learn."""
import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from ffnlp.text.features import (DocumentEncoder, NBFeatureWeighter, bigram_pairs, hashed_bigrams,
                                 multinomial_nb_log_probs, trigram_triples)

DOCS = [["good", "film", "good"], ["bad", "film"], ["dull", "bad", "plot", "bad"], ["good", "plot"], ["film"]]
Y = np.array([[1.0], [0.0], [0.0], [1.0], [1.0]])


def _sklearn_columns(enc, vectorizer):
    """Column of each encoder feature id in a fitted vectorizer's vocabulary (words only)."""
    return {i: vectorizer.vocabulary_[w] for i, w in enumerate(enc.vocab_.itos) if w in vectorizer.vocabulary_}


def test_tfidf_weights_equal_tfidf_vectorizer_with_sublinear_tf():
    enc = DocumentEncoder(bigrams=False, nb=None)
    docs = enc.fit_transform(DOCS)
    tv = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True).fit(DOCS)
    ref = tv.transform(DOCS).toarray()                                    # (5, n_words)
    cols = _sklearn_columns(enc, tv)
    batch = docs.all().embed
    seg = np.repeat(np.arange(len(DOCS)), batch.lengths)
    got = np.zeros_like(ref)
    for d, i, w in zip(seg, batch.data, batch.weights):
        got[d, cols[int(i)]] += w
    np.testing.assert_allclose(got, ref, rtol=1e-6)
    assert batch.weights.dtype == np.float32


def test_nb_ratios_equal_nb_feature_weighter_on_binary_counts():
    enc = DocumentEncoder(bigrams=False).fit(DOCS, Y)
    cv = CountVectorizer(analyzer=lambda d: d, binary=True).fit(DOCS)
    r = NBFeatureWeighter().fit(cv.transform(DOCS), Y[:, 0]).r_[0]
    cols = _sklearn_columns(enc, cv)
    # words absent from training have zero counts in both classes; the encoder's specials likewise
    for i, c in cols.items():
        assert enc.nb_ratios_[i, 0] == pytest.approx(r[c], rel=1e-5)
    batch = enc.transform([["good", "good", "film"]]).take([0])
    assert batch.direct.weights[:, 0].tolist() == pytest.approx(
        [enc.nb_ratios_[i, 0] for i in batch.direct.data])                  # presence: each feature once


def test_multinomial_ratios_are_centred_log_probabilities():
    import scipy.sparse as sp

    F = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=float))
    R = multinomial_nb_log_probs(F, np.array([0, 0, 1]), 2, alpha=1.0)
    # class 0: counts 1 + [2, 1, 0] = [3, 2, 1] / 6; class 1: 1 + [0, 0, 1] = [1, 1, 2] / 4
    lp = np.log(np.array([[3, 2, 1], [1, 1, 2]]) / np.array([[6], [4]]))
    np.testing.assert_allclose(R, (lp - lp.mean(axis=0)).T)


def test_exact_and_hashed_bigrams():
    enc = DocumentEncoder().fit(DOCS, Y)
    V = len(enc.vocab_)
    docs = enc.transform([["good", "film"], ["plot", "good"]])
    a = docs.take([0]).direct.data
    assert len(a) == 3 and (a >= V).sum() == 1                              # "good film" was seen
    assert ((docs.take([1]).direct.data) >= V).sum() == 0                   # "plot good" was not: dropped
    assert docs.take([0]).embed.lengths.tolist() == [2]                     # bigrams are not embedded
    hashed = DocumentEncoder(n_buckets=1000).fit(DOCS, Y)
    ids = hashed.vocab_.encode(["good", "film"])
    h = hashed.transform([["good", "film"]]).take([0]).direct.data
    ref = hashed_bigrams(ids, np.array([2]), 1000, len(hashed.vocab_)).ids[2]
    assert sorted(h.tolist()) == sorted(ids.tolist() + [int(ref)]) and hashed.n_features_ == V + 1000


def test_trigram_triples_stay_inside_documents():
    ids = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9])
    a, b, c, doc = trigram_triples(ids, np.array([4, 2, 0, 3]))     # documents of 4, 2, 0 and 3 words
    assert list(zip(a, b, c, doc)) == [(1, 2, 3, 0), (2, 3, 4, 0), (7, 8, 9, 3)]
    assert all(x.shape == (0,) for x in trigram_triples(np.array([1, 2]), np.array([2])))


def test_trigrams_direct_only_exact_hashed_and_saved():
    docs = [["not", "very", "good"], ["very", "good", "film"], ["not", "good"], ["not", "very", "good", "plot"]]
    y = np.array([[0.0], [1.0], [0.0], [0.0]])
    plain = DocumentEncoder().fit(docs, y)
    enc = DocumentEncoder(trigrams=True, embed_ngrams=True).fit(docs, y)
    assert enc.trigram_keys_.shape == (3,)              # not very good, very good film, very good plot
    assert enc.n_features_ == plain.n_features_ + 3
    assert enc.n_embedded_ == plain.n_features_         # words and bigrams embedded, trigrams never
    batch = enc.transform([["not", "very", "good"], ["good", "very", "not"]])
    seen, unseen = batch.take([0]).direct.data, batch.take([1]).direct.data
    assert len(seen) == 3 + 2 + 1 and (seen >= plain.n_features_).sum() == 1
    assert (unseen >= len(enc.vocab_)).sum() == 0       # reversed: no bigram or trigram was seen in training
    assert enc.nb_ratios_.shape[0] == enc.n_features_
    again = DocumentEncoder.from_state(*enc.state())
    np.testing.assert_array_equal(again.trigram_keys_, enc.trigram_keys_)
    np.testing.assert_array_equal(again.transform(docs).take([3]).direct.data, enc.transform(docs).take([3]).direct.data)
    hashed = DocumentEncoder(trigrams=True, n_buckets=64).fit(docs, y)
    assert hashed.n_features_ == len(hashed.vocab_) + 64 and hashed.trigram_keys_ is None
    h = hashed.transform([["not", "very", "good"]]).take([0]).direct.data
    assert len(h) == 6 and (h >= len(hashed.vocab_)).sum() == 3 and h.max() < hashed.n_features_


def test_embed_ngrams_and_mean_weighting():
    enc = DocumentEncoder(nb=None, embed_ngrams=True, weighting="mean").fit(DOCS)
    batch = enc.transform([["good", "film", "good"]]).take([0])
    # good, film, "good film", "film good": every feature has an embedding row
    assert enc.n_embedded_ == enc.n_features_ and batch.embed.lengths.tolist() == [4]
    assert batch.embed.weights.sum() == pytest.approx(1.0)
    w = dict(zip(batch.embed.data.tolist(), batch.embed.weights.tolist()))
    assert w[enc.vocab_.stoi["good"]] == pytest.approx(2 / 5)                # tf / (3 words + 2 bigrams)


def test_take_matches_subset_and_state_round_trip():
    enc = DocumentEncoder().fit(DOCS, Y)
    docs = enc.transform(DOCS)
    a, b = docs.take([3, 1]), docs.subset([3, 1]).all()
    for x, z in zip(a.embed + a.direct, b.embed + b.direct):
        np.testing.assert_array_equal(x, z)
    meta, arrays = enc.state()
    again = DocumentEncoder.from_state(meta, arrays)
    c = again.transform(DOCS).take([3, 1])
    np.testing.assert_array_equal(c.direct.weights, a.direct.weights)
    np.testing.assert_array_equal(c.embed.weights, a.embed.weights)


def test_sequences_keep_text_order_through_take_subset_and_state():
    enc = DocumentEncoder(sequences=True, boundaries=True).fit(DOCS, Y)
    docs = enc.transform(DOCS + [["unseen", "film"]])
    v = enc.vocab_
    ids, lengths = docs.take([0, 5]).sequence
    assert lengths.tolist() == [5, 4]
    assert ids.tolist() == [v.bos_id, *v.encode(["good", "film", "good"]), v.eos_id,
                            v.bos_id, v.unk_id, v.stoi["film"], v.eos_id]
    a, b = docs.take([3, 1]).sequence, docs.subset([3, 1]).all().sequence
    for x, z in zip(a, b):
        np.testing.assert_array_equal(x, z)
    assert DocumentEncoder().fit(DOCS, Y).transform(DOCS).take([0]).sequence is None
    again = DocumentEncoder.from_state(*enc.state())
    np.testing.assert_array_equal(again.transform(DOCS).take([2]).sequence[0], docs.take([2]).sequence[0])

    class Pair(tuple):
        def __new__(cls, ids, lengths):
            return super().__new__(cls, (ids, lengths))
    assert isinstance(enc.transform(DOCS, ragged=Pair).take([1]).sequence, Pair)


def test_bad_input_and_options():
    with pytest.raises(ValueError, match="one string"):
        DocumentEncoder().fit("a film")
    with pytest.raises(ValueError, match="weighting"):
        DocumentEncoder(weighting="bm25").fit(DOCS)
    with pytest.raises(ValueError, match="shape"):
        DocumentEncoder().fit(DOCS, np.ones((2, 1)))
    a, b, doc = bigram_pairs(np.array([1, 2, 3]), np.array([2, 1]))
    assert list(zip(a, b, doc)) == [(1, 2, 0)]
