"""Tests for the interpolated modified Kneser-Ney baseline (ffnlp.baselines.lm)."""
from __future__ import annotations

import numpy as np
import pytest

from ffnlp.baselines.lm import FALLBACK_DISCOUNTS, KneserNeyLM, modified_kn_discounts
from ffnlp.errors import ModelFileError

# Ids used throughout: 0 <pad>, 1 <s>, 2 </s>, 3.. words.
PAD, BOS, EOS = 0, 1, 2


def stream(sentences):
    """Sentences of word ids -> flat stream with </s> after each sentence."""
    return np.array([w for s in sentences for w in [*s, EOS]], dtype=np.int32)


def random_sentences(rng, n_sentences, n_words, vocab_size, mean_len=5):
    """Sentences with some structure (a Markov chain) so that n-grams repeat."""
    trans = rng.dirichlet(np.full(vocab_size - 3, 0.3), size=vocab_size)
    out = []
    for _ in range(n_sentences):
        length = 1 + rng.poisson(mean_len - 1)
        s, prev = [], 0
        for _ in range(length):
            prev = 3 + rng.choice(vocab_size - 3, p=trans[prev])
            s.append(int(prev))
        out.append(s)
    return out


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(0)
    V = 12
    train = stream(random_sentences(rng, 120, 5, V - 1))  # word V-1 never occurs in training
    test = stream(random_sentences(rng, 20, 5, V))
    return V, train, test


# ---------------------------------------------------------------- hand-worked example
# Sentences (order 2, histories reset at </s>), words a=3 b=4 c=5 d=6 e=7, f=8 never seen:
#   [a b] [a b c] [a b d] [a c] [e] [e]
# Bigram counts:
#   (<s> a) 4, (a b) 3, (a c) 1, (b </s>) 1, (b c) 1, (b d) 1, (c </s>) 2, (d </s>) 1,
#   (<s> e) 2, (e </s>) 2                                   -> 10 types, 18 tokens
# Bigram count-of-counts: n1 = 5 [(a c) (b </s>) (b c) (b d) (d </s>)], n2 = 3, n3 = 1, n4 = 1
#   Y  = n1 / (n1 + 2 n2)     = 5 / 11
#   D1 = 1 - 2 Y n2 / n1      = 1 - 2 * 5/11 * 3/5  = 5/11
#   D2 = 2 - 3 Y n3 / n2      = 2 - 3 * 5/11 * 1/3  = 17/11
#   D3+ = 3 - 4 Y n4 / n3     = 3 - 4 * 5/11 * 1/1  = 13/11
# Unigram continuation counts N1+(. w): a 1 {<s>}, b 1 {a}, c 2 {a, b}, d 1 {b}, e 1 {<s>},
#   </s> 4 {b, c, d, e}; total 10. Count-of-counts n1 = 4, n2 = 1, n3 = 0 -> fallback (0.5, 1, 1.5).
HAND_SENTENCES = [[3, 4], [3, 4, 5], [3, 4, 6], [3, 5], [7], [7]]
HAND_V = 9  # 0..8; predictable: everything but <pad> and <s> -> 7 words


def test_modified_discounts_from_count_of_counts_by_hand():
    d, ok = modified_kn_discounts(np.array([4, 3, 1, 1, 1, 1, 2, 1, 2, 2]))  # the bigram counts
    assert ok
    np.testing.assert_allclose(d, [5 / 11, 17 / 11, 13 / 11], rtol=1e-15)
    d1, ok1 = modified_kn_discounts(np.array([1, 1, 2, 1, 1, 4]))              # unigram N1+: n3 = 0
    assert not ok1
    np.testing.assert_array_equal(d1, FALLBACK_DISCOUNTS)
    # Another: n1..n4 = 4, 2, 1, 1 -> Y = 1/2, D = (1 - 2*.5*2/4, 2 - 3*.5*1/2, 3 - 4*.5*1/1)
    d2, _ = modified_kn_discounts(np.array([1, 1, 1, 1, 2, 2, 3, 4, 9]))
    np.testing.assert_allclose(d2, [0.5, 1.25, 1.0])


def test_hand_example_probabilities():
    lm = KneserNeyLM(order=2).fit(stream(HAND_SENTENCES), HAND_V, bos_id=BOS, eos_id=EOS, pad_id=PAD)
    np.testing.assert_allclose(lm.discounts_[1], [5 / 11, 17 / 11, 13 / 11], rtol=1e-15)
    np.testing.assert_array_equal(lm.discounts_[0], FALLBACK_DISCOUNTS)
    grams, raw, adj = lm.ngram_counts(1)
    assert dict(zip(grams[:, 0].tolist(), adj.tolist())) == {3: 1, 4: 1, 5: 2, 6: 1, 7: 1, EOS: 4}
    # Unigram: gamma0 = (0.5 * 4 + 1 * 1 + 1.5 * 1) / 10 = 0.45, spread over 7 predictable words.
    # P1(b) = (1 - 0.5) / 10 + 0.45 / 7
    p1_b = 0.05 + 0.45 / 7
    # Context a: (a b) 3, (a c) 1 -> total 4; alpha(b|a) = (3 - 13/11) / 4 = 5/11,
    # gamma(a) = (D1 * 1 + D3 * 1) / 4 = (5/11 + 13/11) / 4 = 9/22.
    p = lm.next_distribution([BOS, 3])           # "<s> a" ; same as the history (a)
    np.testing.assert_allclose(p[4], 5 / 11 + 9 / 22 * p1_b, rtol=1e-13)
    # f (id 8) never occurs: only the uniform floor, through both interpolation weights.
    np.testing.assert_allclose(p[8], 9 / 22 * 0.45 / 7, rtol=1e-13)
    assert p[8] > 0 and p[BOS] == 0 and p[PAD] == 0
    np.testing.assert_allclose(p.sum(), 1.0, rtol=1e-13)
    # logprob of the stream "a b </s>" uses P(a|<s>), P(b|a), P(</s>|b)
    lp = lm.logprob(stream([[3, 4]]))
    np.testing.assert_allclose(np.exp(lp[1]), p[4], rtol=1e-13)


def test_bos_ngrams_keep_raw_counts_at_lower_orders():
    # Order 3: bigram (<s> a) cannot be extended to the left, so it keeps its raw count 4 (SRILM,
    # KenLM), while (a b) gets N1+(. a b) = |{<s>}| = 1 although it occurred 3 times.
    lm = KneserNeyLM(order=3).fit(stream(HAND_SENTENCES), HAND_V, bos_id=BOS, eos_id=EOS)
    grams, raw, adj = lm.ngram_counts(2)
    table = {tuple(g): (r, a) for g, r, a in zip(grams.tolist(), raw.tolist(), adj.tolist())}
    assert table[(BOS, 3)] == (4, 4)
    assert table[(3, 4)] == (3, 1)
    assert table[(4, 5)] == (1, 1)
    # No n-gram holds two <s>: (<s> <s> a) is the same history as (<s> a).
    g3, _, _ = lm.ngram_counts(3)
    assert not np.any((g3[:, 0] == BOS) & (g3[:, 1] == BOS))
    np.testing.assert_allclose(lm.next_distribution([BOS, BOS]), lm.next_distribution([]), rtol=0)


# ---------------------------------------------------------------- normalization
@pytest.mark.parametrize("order", [2, 3, 4, 5])
@pytest.mark.parametrize("discounts", [None, 0.75])
def test_distributions_sum_to_one(toy, order, discounts):
    V, train, _ = toy
    lm = KneserNeyLM(order, discounts=discounts).fit(train, V, bos_id=BOS, eos_id=EOS, pad_id=PAD)
    contexts = np.array([
        train[:4],                    # seen, crosses a sentence end possibly
        [BOS, BOS, BOS, BOS],         # sentence start
        [PAD, PAD, BOS, 3],           # padded start
        [V - 1, V - 1, V - 1, V - 1], # unseen word: unseen contexts at every order > 1
        [3, 3, V - 1, 3],             # partly unseen
        train[10:14],
        [5, 9, EOS, 4],               # a sentence start after </s>
    ])[:, -(order - 1):]
    P = lm.next_distribution(contexts)                       # (7, V)
    assert P.shape == (len(contexts), V)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(P[:, [BOS, PAD]] == 0)
    assert np.all(P[:, 2:][:, np.arange(V - 2) != BOS - 2] > 0)
    # the batch equals row by row
    for row, ctx in zip(P, contexts):
        np.testing.assert_allclose(lm.next_distribution(ctx), row, rtol=1e-13)


def test_logprob_agrees_with_next_distribution(toy):
    V, train, test = toy
    lm = KneserNeyLM(4).fit(train, V, bos_id=BOS, eos_id=EOS, pad_id=PAD)
    lp = lm.logprob(test)
    assert lp.shape == test.shape and lp.dtype == np.float64 and np.all(np.isfinite(lp))
    # context of token t: the tokens of its sentence before it
    starts = np.r_[0, np.flatnonzero(test[:-1] == EOS) + 1]
    start_of = starts[np.searchsorted(starts, np.arange(len(test)), side="right") - 1]
    contexts = np.array([np.r_[np.full(3, BOS), test[s:t]][-3:] for t, s in enumerate(start_of)])
    P = lm.next_distribution(contexts)
    np.testing.assert_allclose(lp, np.log(P[np.arange(len(test)), test]), rtol=1e-12)
    assert lm.perplexity(test) == pytest.approx(np.exp(-lp.mean()), rel=1e-12)


def test_eos_resets_make_sentences_independent(toy):
    V, train, test = toy
    lm = KneserNeyLM(3).fit(train, V, bos_id=BOS, eos_id=EOS)
    cut = int(np.flatnonzero(test == EOS)[3]) + 1
    joined = lm.logprob(test)
    np.testing.assert_allclose(joined, np.r_[lm.logprob(test[:cut]), lm.logprob(test[cut:])], rtol=1e-13)
    # without resets the second part depends on the first
    lm_stream = KneserNeyLM(3).fit(train, V, bos_id=BOS)
    assert not np.allclose(lm_stream.logprob(test)[cut:], lm_stream.logprob(test[cut:]))
    assert lm.eos_id_ == EOS and lm_stream.eos_id_ is None


def test_unseen_word_gets_uniform_floor(toy):
    V, train, test = toy
    unseen = V - 1
    assert unseen not in train and unseen in test
    lm = KneserNeyLM(5).fit(train, V, bos_id=BOS, eos_id=EOS, pad_id=PAD)
    lp = lm.logprob(test)
    assert np.all(np.isfinite(lp[test == unseen]))
    grams, _, adj = lm.ngram_counts(1)
    # At the unigram level the word only has the uniform share gamma0 / |V'|.
    d = lm.discounts_[0]
    gamma0 = d[np.minimum(adj, 3) - 1].sum() / adj.sum()
    p = lm.next_distribution([unseen, unseen, unseen, unseen])   # unseen history: unigram level
    np.testing.assert_allclose(p[unseen], gamma0 / (V - 2), rtol=1e-13)


def test_degenerate_corpus_still_normalizes(tmp_path):
    # One-word sentences: n-grams are (w), (<s> w), (w </s>), (<s> w </s>); nothing longer, and every
    # discount falls back.
    lm = KneserNeyLM(5).fit(stream([[3], [4], [3]]), 6, bos_id=BOS, eos_id=EOS, pad_id=PAD)
    np.testing.assert_array_equal(lm.n_ngrams_, [3, 4, 2, 0, 0])
    np.testing.assert_array_equal(lm.discounts_, np.tile(FALLBACK_DISCOUNTS, (5, 1)))
    np.testing.assert_allclose(lm.next_distribution([[3, 4, 5, 3], [BOS] * 4]).sum(axis=1), 1.0)
    assert np.all(np.isfinite(lm.logprob(stream([[3, 4, 5, 3]]))))
    back = KneserNeyLM.load(lm.save(tmp_path / "tiny.npz"))
    np.testing.assert_array_equal(back.logprob(stream([[5, 3]])), lm.logprob(stream([[5, 3]])))


# ---------------------------------------------------------------- nltk cross-check
def _hand_unigram(sentences, discount, n_predictable):
    """Our unigram level by hand: max(N1+(. w) - D, 0) / N1+(. .) + gamma0 / |V'|."""
    left = {}
    for s in sentences:
        for prev, w in zip([BOS, *s, EOS][:-1], [*s, EOS]):
            left.setdefault(w, set()).add(prev)
    cont = {w: len(v) for w, v in left.items()}
    total = sum(cont.values())
    gamma0 = discount * len(cont) / total
    return lambda w: max(cont.get(int(w), 0) - discount, 0) / total + gamma0 / n_predictable


@pytest.mark.parametrize("order,discount", [(2, 0.75), (3, 0.75), (3, 0.1), (4, 0.5)])
def test_agrees_with_nltk_kneser_ney_interpolated(order, discount):
    """Per-token agreement with ``nltk.lm.KneserNeyInterpolated`` where the definitions coincide.

    Conventions that differ, and how the comparison matches them:

    * nltk's lowest order is the raw continuation distribution ``N1+(. w) / N1+(. .)`` (zero for
      unseen words); ours is discounted and interpolated with a uniform distribution over the
      predictable words. We swap nltk's ``unigram_score`` for our formula, computed by hand here,
      so the comparison checks every higher order with nltk's own code.
    * nltk pads each sentence with ``order - 1`` ``<s>`` (and ``</s>``) and treats a lower-order
      n-gram starting with ``<s>`` like any other (its continuation count is 1: only ``<s>`` extends
      it); we, like SRILM and KenLM, keep raw counts for n-grams that start with ``<s>``. So we feed
      nltk exactly the n-grams we count (left padding only, no ``</s>`` padding, nothing ending in
      ``<s>``) and compare tokens whose ``order - 1`` history lies inside the sentence: their
      probabilities involve no ``<s>``-initial n-gram, so both definitions agree exactly there.
    """
    nltk_lm = pytest.importorskip("nltk.lm")
    rng = np.random.default_rng(order)
    V = 11                                   # words 3..9 occur; word 10 never does
    train_s = random_sentences(rng, 60, 5, V - 1, mean_len=6)
    test_s = [s for s in random_sentences(rng, 30, 5, V - 1, mean_len=7) if len(s) >= order]
    ours = KneserNeyLM(order, discounts=discount).fit(stream(train_s), V, bos_id=BOS, eos_id=EOS, pad_id=PAD)

    # Our unigram level (reached from a never-seen history) is the hand formula.
    unigram = _hand_unigram(train_s, discount, n_predictable=V - 2)
    np.testing.assert_allclose(ours.next_distribution([10] * (order - 1))[2:],
                               [unigram(w) for w in range(2, V)], rtol=1e-13)

    text = []
    for s in train_s:
        padded = [BOS] * (order - 1) + [*s, EOS]
        grams = [tuple(map(str, padded[i - k + 1 : i + 1]))
                 for i in range(order - 1, len(padded)) for k in range(1, order + 1)]
        text.append(grams)
    ref = nltk_lm.KneserNeyInterpolated(order, discount=discount)
    ref.fit(text, vocabulary_text=[str(w) for w in range(V)])
    ref.estimator.unigram_score = lambda word: unigram(int(word))

    ours_lp, ref_lp = [], []
    for s in test_s:
        lp = ours.logprob(stream([s]))
        words = [*s, EOS]
        for i in range(order - 1, len(words)):
            ctx = tuple(map(str, words[i - order + 1 : i]))
            assert np.exp(lp[i]) == pytest.approx(ref.score(str(words[i]), ctx), rel=1e-12), (s, i)
            ours_lp.append(lp[i])
            ref_lp.append(ref.logscore(str(words[i]), ctx))
    assert len(ours_lp) > 50
    # perplexity: ours exp(mean NLL) equals nltk's 2 ** mean(-log2 p) on the compared tokens
    np.testing.assert_allclose(np.exp(-np.mean(ours_lp)), 2 ** (-np.mean(ref_lp)), rtol=1e-12)


# ---------------------------------------------------------------- persistence
def test_save_load_roundtrip(toy, tmp_path):
    V, train, test = toy
    lm = KneserNeyLM(4).fit(train, V, bos_id=BOS, eos_id=EOS, unk_id=3, pad_id=PAD)
    path = lm.save(tmp_path / "kn.npz", meta={"vocab": ["<pad>", "<s>", "</s>"]})
    back = KneserNeyLM.load(path)
    assert (back.order, back.vocab_size_, back.bos_id_, back.eos_id_, back.unk_id_, back.pad_id_) == (
        4, V, BOS, EOS, 3, PAD)
    assert back.meta_ == {"vocab": ["<pad>", "<s>", "</s>"]}
    np.testing.assert_array_equal(back.discounts_, lm.discounts_)
    np.testing.assert_array_equal(back.logprob(test), lm.logprob(test))
    np.testing.assert_array_equal(back.next_distribution(test[:9].reshape(3, 3)),
                                  lm.next_distribution(test[:9].reshape(3, 3)))
    for k in range(1, 5):
        for a, b in zip(back.ngram_counts(k), lm.ngram_counts(k)):
            np.testing.assert_array_equal(a, b)
    fixed = KneserNeyLM(3, discounts=0.5).fit(train, V, bos_id=BOS)
    again = KneserNeyLM.load(fixed.save(tmp_path / "fixed.npz"))
    assert again.discounts == 0.5 and again.eos_id_ is None
    np.testing.assert_array_equal(again.logprob(test), fixed.logprob(test))


def test_load_rejects_other_kinds(tmp_path):
    from ffnlp.nn.serialize import save_npz

    save_npz(tmp_path / "other.npz", {"W": np.zeros(2)}, {}, kind="window_lm")
    with pytest.raises(ModelFileError, match="kneser_ney"):
        KneserNeyLM.load(tmp_path / "other.npz")


# ---------------------------------------------------------------- bad input
def test_bad_input_raises_value_error(toy):
    V, train, _ = toy
    with pytest.raises(ValueError, match=r"empty \(shape \(0,\)\)"):
        KneserNeyLM(3).fit(np.array([], dtype=np.int32), V, bos_id=BOS)
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        KneserNeyLM(3).fit(np.ones((2, 3), dtype=np.int32), V, bos_id=BOS)
    bad = train.copy()
    bad[7] = V + 5
    with pytest.raises(ValueError, match=rf"ids\[7\]={V + 5} is out of range \[0, vocab_size={V}\)"):
        KneserNeyLM(3).fit(bad, V, bos_id=BOS)
    bad[7] = -1
    with pytest.raises(ValueError, match=r"ids\[7\]=-1"):
        KneserNeyLM(3).fit(bad, V, bos_id=BOS)
    for order in (1, 0, 2.5):
        with pytest.raises(ValueError, match=rf"order must be an int >= 2, got {order}"):
            KneserNeyLM(order).fit(train, V, bos_id=BOS)
    with pytest.raises(ValueError, match="bos_id=99"):
        KneserNeyLM(3).fit(train, V, bos_id=99)
    with_bos = train.copy()
    with_bos[4] = BOS
    with pytest.raises(ValueError, match=r"ids\[4\]=1 is the bos_id"):
        KneserNeyLM(3).fit(with_bos, V, bos_id=BOS)
    with pytest.raises(ValueError, match=r"single discount must lie in \[0, 1\]"):
        KneserNeyLM(3, discounts=1.5).fit(train, V, bos_id=BOS)
    with pytest.raises(ValueError, match=r"got shape \(2,\)"):
        KneserNeyLM(3, discounts=[0.5, 0.5]).fit(train, V, bos_id=BOS)
    with pytest.raises(ValueError, match="not fitted"):
        KneserNeyLM(3).logprob(train)
    lm = KneserNeyLM(3).fit(train, V, bos_id=BOS)
    with pytest.raises(ValueError, match=r"ids\[0\]=-3"):
        lm.logprob(np.array([-3, 4]))
    with pytest.raises(ValueError, match=r"context_ids\[1, 0\]=12 is out of range"):
        lm.next_distribution(np.array([[3, 4], [V, 4]]))
    with pytest.raises(ValueError, match=r"shape \(1, 1, 2\)"):
        lm.next_distribution(np.zeros((1, 1, 2), dtype=int))
    with pytest.raises(ValueError, match="bos_id=5 differs"):
        lm.logprob(train, bos_id=5)


def test_init_only_assigns():
    lm = KneserNeyLM(order=0, discounts="nonsense")   # validated in fit, as sklearn does
    assert lm.order == 0 and lm.discounts == "nonsense"


# ---------------------------------------------------------------- full corpus
@pytest.mark.slow
def test_ptb_kn5_matches_mikolov():
    """Mikolov et al. (2011): SRILM modified KN5, PTB test perplexity 141.2."""
    from ffnlp.corpora import find_data

    root = find_data("ptb")
    if root is None:
        pytest.skip("PTB data not found (set FFNLP_DATA)")

    def read(name):
        with open(root / name, encoding="utf-8") as fh:
            return [line.split() + ["<eos>"] for line in fh]

    train, test = read("ptb.train.txt"), read("ptb.test.txt")
    vocab = {"<pad>": 0, "<s>": 1}
    for w in sorted({w for s in train for w in s}):
        vocab[w] = len(vocab)
    encode = lambda sents: np.array([vocab[w] for s in sents for w in s], dtype=np.int32)  # noqa: E731
    lm = KneserNeyLM(5).fit(encode(train), len(vocab), bos_id=1, eos_id=vocab["<eos>"], pad_id=0)
    assert lm.perplexity(encode(test)) == pytest.approx(141.2, rel=0.03)
