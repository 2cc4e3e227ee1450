"""WindowLM (Bengio et al. 2003): exact perplexity, the model by hand, training, checkpoints, mix, gensim."""
import numpy as np
import pytest

from ffnlp.config import LMConfig
from ffnlp.errors import DataError, DivergenceError, ModelFileError
from ffnlp.nn.gradcheck import THRESHOLD, numeric_gradient, relative_error
from ffnlp.tasks.lm import (MixedLM, NGramLM, WindowLM, evaluate_wordsim, load_lm, load_word_vectors, train_lm,
                            tune_mix_weight, word2vec_vectors)
from ffnlp.text import LMSplits, Vocab

SUBJECTS = ["the cat", "the dog", "a bird", "my friend", "the old man"]
VERBS = ["sees", "likes", "chases", "finds"]
OBJECTS = ["the ball", "a fish", "the red house", "her book", "the dog"]


def _sentences(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        s = f"{SUBJECTS[rng.integers(5)]} {VERBS[rng.integers(4)]} {OBJECTS[rng.integers(5)]} ."
        out.append(s.split())
    return out


@pytest.fixture(scope="module")
def splits():
    return LMSplits(_sentences(300, 0), _sentences(40, 1), _sentences(40, 2), name="toy", description="toy grammar")


@pytest.fixture(scope="module")
def vocab(splits):
    return Vocab.build(splits.train)


@pytest.fixture(scope="module")
def ids(splits, vocab):
    return {s: vocab.encode_sentences(splits.split(s)) for s in ("train", "valid", "test")}


TINY = LMConfig(context_size=2, embedding_dim=8, hidden_layer_sizes=(16,), output="factored", max_iter=6,
                batch_size=32, learning_rate_init=0.01, n_iter_no_change=None, log_every=0)


@pytest.fixture(scope="module")
def trained(splits):
    return train_lm(TINY, splits, evaluate_test=True, verbose=False)


# -- exactness ------------------------------------------------------------------------------------
@pytest.mark.parametrize("output", ["full", "factored"])
def test_uniform_model_has_perplexity_of_the_predictable_vocabulary(vocab, ids, output):
    lm = WindowLM(vocab, TINY.replace(output=output))
    for k, p in lm.output.params.items():
        if k != "b":
            p[...] = 0.0
    lm.output.params["b"][...] = 0.0
    lm.output.params["b"][[vocab.pad_id, vocab.bos_id]] = -1e4  # never predicted
    report = lm.perplexity(ids["valid"])
    # factored: every class gets 1/K and every word 1/|class| -- uniform only with equal classes; so
    # compare with the exact mean of -log p over the tokens instead for that case.
    if output == "full":
        assert report.perplexity == pytest.approx(len(vocab) - 2, rel=1e-6)
    else:
        sizes = np.diff(lm.output.class_starts).astype(float)
        sizes[0] -= 2  # <pad>, <s> sit in the first class with probability 0
        cls = lm.output.class_of[ids["valid"]]
        expected = np.exp(np.mean(np.log(len(sizes)) + np.log(sizes[cls])))
        assert report.perplexity == pytest.approx(expected, rel=1e-6)
    assert report.tokens == ids["valid"].size
    assert report.eos_tokens == 40


def test_perplexity_counts_every_token_and_matches_row_by_row(trained, ids):
    lm = trained.model
    stream = ids["test"][:30]
    logp = lm.logprob(stream)
    manual = []
    for t in range(stream.size):  # the slow way: one next_distribution per token, from its sentence start
        start = 0 if t == 0 else (np.flatnonzero(stream[:t] == lm.vocab.eos_id)[-1] + 1
                                  if (stream[:t] == lm.vocab.eos_id).any() else 0)
        p = lm.next_distribution(stream[start:t])
        manual.append(np.log(p[stream[t]]))
    np.testing.assert_allclose(logp, manual, rtol=1e-5, atol=1e-6)
    report = lm.perplexity(stream)
    assert report.tokens == 30
    assert report.perplexity == pytest.approx(np.exp(-np.mean(manual)), rel=1e-5)
    assert float(report) == report.perplexity


def test_forward_is_bengio_equation_by_hand(vocab, ids):
    """y = b + W x + U tanh(d + H x), p = softmax(y) -- with the model's own parameters."""
    cfg = TINY.replace(output="full", dtype="float64")
    lm = WindowLM(vocab, cfg, random_state=5)
    C = lm.embeddings
    dense = lm.body[1].layers[0][0]               # concatenate(chain(Dense, Tanh), Identity())
    H, d = dense.params["W"], dense.params["b"]
    UW, b = lm.output.params["W"], lm.output.params["b"]
    U, W = UW[:16], UW[16:]                       # features are [tanh(d + H x), x]
    X = lm.contexts(ids["valid"])[:12]
    x = C[X].reshape(12, -1)                      # (12, 2 * 8)
    y = b + x @ W + np.tanh(d + x @ H) @ U
    logp = y - np.log(np.exp(y).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(lm.logprob(ids["valid"][:12]), logp[np.arange(12), ids["valid"][:12]], rtol=1e-10)


@pytest.mark.parametrize("output", ["full", "factored"])
def test_whole_model_gradient_check(vocab, ids, output):
    cfg = TINY.replace(output=output, dtype="float64", hidden_layer_sizes=(5, 4))
    lm = WindowLM(vocab, cfg, random_state=1)
    X, y = lm.contexts(ids["train"][:20]), ids["train"][:20]

    def f():
        return lm.output.loss(lm.body(X, is_train=True)[0], y)[0]

    lm.net.zero_grads()
    F, bp = lm.body(X, is_train=True)
    _, dF = lm.output.loss(F, y)
    bp(dF)
    rng = np.random.default_rng(0)
    grads = {path: layer.grads[key].copy() for path, layer, key in lm.net.named_params()}  # f() adds more
    for path, layer, key in lm.net.named_params():
        g = grads[path]
        idx, num = numeric_gradient(f, layer.params[key], max_elements=60, rng=rng)
        assert relative_error(g.reshape(-1)[idx], num) < THRESHOLD, path


# -- training -------------------------------------------------------------------------------------
def test_training_learns_the_grammar(trained, vocab):
    h = trained.history
    assert h[-1]["train_loss"] < h[0]["train_loss"]
    # the toy grammar allows ~4-6 continuations per position: far below |V|
    assert trained.valid_perplexity < 4.0 < len(vocab)
    assert trained.test.perplexity < 4.5
    assert all(k in h[0] for k in ("epoch", "train_loss", "valid_perplexity", "tokens_per_second"))
    m = trained.metrics()
    assert m["vocab_size"] == len(vocab) and m["valid_perplexity"] == trained.valid_perplexity


def test_full_and_factored_outputs_both_train(splits):
    r = train_lm(TINY.replace(output="full", max_iter=3), splits, verbose=False)
    assert r.valid_perplexity < 6


def test_best_epoch_is_kept_and_early_stopping(splits, tmp_path):
    cfg = TINY.replace(max_iter=30, n_iter_no_change=2, learning_rate_init=0.05, hidden_layer_sizes=(64,))
    r = train_lm(cfg, splits, output=tmp_path / "best.npz", verbose=False)
    best = min(h["valid_perplexity"] for h in r.history)
    assert r.valid_perplexity == best
    assert r.stopped_early and r.epochs < 30
    assert r.model.perplexity(r.model.vocab.encode_sentences(splits.valid)).perplexity == pytest.approx(best, rel=1e-6)
    assert WindowLM.load(tmp_path / "best.npz").perplexity(
        r.model.vocab.encode_sentences(splits.valid)).perplexity == pytest.approx(best, rel=1e-6)


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_resume_gives_the_same_run(splits, tmp_path, dropout):
    # With dropout, the checkpoint must also carry the dropout layers' generator states.
    cfg = TINY.replace(max_iter=4, solver="adam", dropout=dropout)
    straight = train_lm(cfg, splits, verbose=False)
    ck = tmp_path / "ck.npz"
    train_lm(cfg.replace(max_iter=2), splits, checkpoint=ck, verbose=False)
    resumed = train_lm(cfg, splits, checkpoint=ck, resume=True, verbose=False)
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3, 4]
    np.testing.assert_allclose([h["valid_perplexity"] for h in resumed.history],
                               [h["valid_perplexity"] for h in straight.history], rtol=1e-5)
    for (p, a), b in zip(straight.model.net.copy_params().items(), resumed.model.net.copy_params().values()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=p)


def test_resume_restores_the_best_epoch_not_the_last(splits, tmp_path):
    cfg = TINY.replace(max_iter=10, learning_rate_init=0.05, hidden_layer_sizes=(64,), n_iter_no_change=None)
    straight = train_lm(cfg, splits, verbose=False)
    ck = tmp_path / "ck.npz"
    train_lm(cfg.replace(max_iter=9), splits, checkpoint=ck, verbose=False)
    resumed = train_lm(cfg, splits, checkpoint=ck, resume=True, verbose=False)
    assert resumed.best_epoch == straight.best_epoch < 9  # validation is best at epoch 8 here
    assert resumed.valid_perplexity == pytest.approx(straight.valid_perplexity, rel=1e-5)
    valid = resumed.model.vocab.encode_sentences(splits.valid)
    assert resumed.model.perplexity(valid).perplexity == pytest.approx(straight.valid_perplexity, rel=1e-5)


def test_halving_the_learning_rate_on_plateaus(splits):
    cfg = TINY.replace(max_iter=10, learning_rate_init=0.05, hidden_layer_sizes=(64,), n_iter_no_change=3,
                       halve_lr_on_plateau=True)
    r = train_lm(cfg, splits, verbose=False)
    lrs = [h["lr"] for h in r.history]
    vals = [h["valid_perplexity"] for h in r.history]
    plateaus = [i for i in range(1, len(vals) - 1) if vals[i] >= min(vals[:i])]  # epochs without improvement
    assert plateaus, "the toy run should hit a plateau"
    i = plateaus[0]
    assert lrs[i + 1] == pytest.approx(lrs[i] / 2, rel=0.01)   # halved (lr_decay is 0 here)
    assert min(lrs) < 0.05 and r.valid_perplexity == min(h["valid_perplexity"] for h in r.history)


def test_resume_refuses_other_settings(splits, tmp_path):
    ck = tmp_path / "ck.npz"
    train_lm(TINY.replace(max_iter=1), splits, checkpoint=ck, verbose=False)
    with pytest.raises(ModelFileError, match="embedding_dim"):
        train_lm(TINY.replace(embedding_dim=4), splits, checkpoint=ck, resume=True, verbose=False)


def test_training_data_errors(vocab, splits):
    with pytest.raises(DataError, match="empty training"):
        train_lm(TINY, {"train": np.zeros(0, np.int32), "valid": np.ones(3, np.int32)}, vocab=vocab)
    with pytest.raises(DataError, match="not more than the context"):
        train_lm(TINY, {"train": np.array([5, 3], np.int32), "valid": np.ones(3, np.int32)}, vocab=vocab)
    with pytest.raises(DataError, match="validation"):
        train_lm(TINY, {"train": np.arange(4, 10, dtype=np.int32), "valid": np.zeros(0, np.int32)}, vocab=vocab)
    with pytest.raises(DataError, match="no words"):
        train_lm(TINY.replace(min_count=10**6), splits)


def test_divergence_is_reported(splits):
    cfg = TINY.replace(solver="sgd", learning_rate_init=1e9, max_iter=2)
    with pytest.raises(DivergenceError, match="diverged"):
        train_lm(cfg, splits, verbose=False)


def test_save_load_roundtrip_and_bad_files(trained, ids, tmp_path):
    lm = trained.model
    path = lm.save(tmp_path / "lm.npz", meta={"corpus": "toy"})
    back = load_lm(path)
    assert isinstance(back, WindowLM) and back.config == lm.config and back.vocab == lm.vocab
    np.testing.assert_array_equal(back.logprob(ids["test"]), lm.logprob(ids["test"]))
    assert back.meta_["corpus"] == "toy"
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ModelFileError):
        load_lm(bad)


def test_activation_and_input_dropout_options(splits, ids, tmp_path):
    from ffnlp.nn.layers import Dropout, ReLU, Tanh

    cfg = TINY.replace(hidden_layer_sizes=(16, 12), activation="relu", input_dropout=0.2, dropout=0.3, max_iter=3)
    r = train_lm(cfg, splits, output=tmp_path / "relu.npz", verbose=False)
    k = [type(layer) for layer in _layers(r.model.net)]
    assert k.count(ReLU) == 2 and Tanh not in k
    assert k.count(Dropout) == 3                      # on the inputs, between the hidden layers, on the features
    assert r.valid_perplexity < 6
    back = load_lm(tmp_path / "relu.npz")
    assert back.config.activation == "relu" and back.config.input_dropout == 0.2
    np.testing.assert_array_equal(back.logprob(ids["test"]), r.model.logprob(ids["test"]))
    # the dropout layers draw from distinct streams
    seeds = [layer.seed for layer in _layers(r.model.net) if isinstance(layer, Dropout)]
    assert len(set(seeds)) == 3
    # files written before these options existed load with Bengio's tanh and no input dropout
    old = {key: v for key, v in TINY.to_dict().items() if key not in ("activation", "input_dropout")}
    assert LMConfig.from_dict(old) == TINY and TINY.activation == "tanh" and TINY.input_dropout == 0.0
    with pytest.raises(ValueError, match="activation"):
        TINY.replace(activation="cube")
    with pytest.raises(ValueError, match="input_dropout"):
        TINY.replace(input_dropout=1.0)


def _layers(layer):
    yield layer
    for sub in getattr(layer, "layers", ()):
        yield from _layers(sub)


# -- prediction and generation ---------------------------------------------------------------------
def test_predict_next(trained):
    lm = trained.model
    top = lm.predict_next(["the", "cat"], k=4)
    assert len(top) == 4 and [w for w, _ in top][0] in VERBS
    probs = [p for _, p in top]
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-9
    assert lm.predict_next("the cat", k=1)[0][0] == top[0][0]  # text is tokenized the same way
    assert all(w not in ("<pad>", "<s>") for w, _ in lm.predict_next([], k=len(lm.vocab)))
    with pytest.raises(DataError, match="none of the context words"):
        lm.predict_next(["zebra", "quux"])
    with pytest.raises(ValueError):
        lm.predict_next(["the"], k=0)


def test_generate(trained):
    lm = trained.model
    a = lm.generate("the cat", 12, seed=3)
    assert a == lm.generate(["the", "cat"], 12, seed=3) and len(a) == 12
    assert not {"<pad>", "<s>", "<unk>"} & set(a)
    greedy = lm.generate("the cat", 3, top_k=1, seed=0)
    assert greedy[0] == lm.predict_next("the cat", k=1)[0][0]
    assert lm.generate("", 5, temperature=0.5, seed=1) == lm.generate("", 5, temperature=0.5, seed=1)
    with pytest.raises(ValueError):
        lm.generate("the", 3, temperature=0)


def test_next_distribution_resets_at_sentence_end(trained, vocab):
    lm = trained.model
    p_start = lm.next_distribution([])
    p_after = lm.next_distribution(vocab.encode(["the", "cat", "sees", "the", "ball", ".", "</s>"]))
    np.testing.assert_allclose(p_start, p_after)
    assert p_start.sum() == pytest.approx(1.0)
    batch = lm.next_distribution(np.array([[vocab.stoi["the"], vocab.stoi["cat"]]] * 2))
    assert batch.shape == (2, len(vocab))


# -- mixing with Kneser-Ney -------------------------------------------------------------------------
def test_tune_mix_weight_finds_the_optimum():
    rng = np.random.default_rng(0)
    a, b = np.log(rng.uniform(0.05, 0.5, 500)), np.log(rng.uniform(0.05, 0.5, 500))
    lam, ppl = tune_mix_weight(a, b)
    grid = np.linspace(0, 1, 2001)
    nll = [-np.mean(np.logaddexp(np.log(x) + a, np.log1p(-x) + b)) if 0 < x < 1 else np.inf for x in grid]
    assert lam == pytest.approx(grid[int(np.argmin(nll))], abs=2e-3)
    assert ppl <= min(np.exp(-a.mean()), np.exp(-b.mean()))
    assert tune_mix_weight(a, a - 5)[0] > 0.99   # a much better model takes all the weight


def test_mixed_lm_with_kneser_ney(trained, ids, vocab):
    kn = NGramLM.fit(ids["train"], vocab, 3)
    mix = MixedLM(trained.model, kn).tune(ids["valid"])
    v_nn, v_kn = trained.model.perplexity(ids["valid"]).perplexity, kn.perplexity(ids["valid"]).perplexity
    assert mix.tuned_perplexity_ <= min(v_nn, v_kn) + 1e-9
    rep = mix.perplexity(ids["test"])
    assert rep.tokens == ids["test"].size and np.isfinite(rep.perplexity)


def test_mix_refuses_another_vocabulary(trained, splits):
    other = Vocab.build(splits.train + [["zebra", "quux"]])
    kn = NGramLM.fit(other.encode_sentences(splits.train), other, 2)
    with pytest.raises(ModelFileError, match="vocabulary"):
        MixedLM(trained.model, kn)


def test_ngram_wrapper_save_load_and_predict(ids, vocab, tmp_path):
    kn = NGramLM.fit(ids["train"], vocab, 3)
    kn.save(tmp_path / "kn.npz")
    back = load_lm(tmp_path / "kn.npz")
    assert isinstance(back, NGramLM) and back.vocab == vocab
    assert back.perplexity(ids["test"]).perplexity == pytest.approx(kn.perplexity(ids["test"]).perplexity)
    assert back.predict_next("the cat", k=1)[0][0] in VERBS
    assert len(back.generate("the", 4, seed=0)) == 4


# -- gensim ----------------------------------------------------------------------------------------
def test_word2vec_init_export_and_wordsim(splits, vocab, tmp_path):
    kv = word2vec_vectors(splits.train, vocab, 8, seed=0, epochs=2)
    lm = WindowLM(vocab, TINY)
    before = lm.embeddings.copy()
    n = lm.set_embeddings(kv)
    assert n == len(vocab) - 4  # every word; the four specials never occur in the sentences
    i = vocab.stoi["cat"]
    cos = lm.embeddings[i] @ kv["cat"] / np.linalg.norm(lm.embeddings[i]) / np.linalg.norm(kv["cat"])
    assert cos == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_array_equal(lm.embeddings[vocab.pad_id], before[vocab.pad_id])
    path = lm.save_word2vec_format(tmp_path / "c.vec")
    back = load_word_vectors(path)
    np.testing.assert_allclose(back["cat"], lm.embeddings[i], rtol=1e-5)
    assert "<pad>" not in back.key_to_index
    ws = evaluate_wordsim(back)
    assert ws["oov_ratio"] == 1.0 and np.isnan(ws["spearman"])  # the toy words are not in WordSim-353
    kv2 = load_word_vectors(path)
    kv2.add_vectors(["tiger", "love", "sex", "money", "cash"], np.random.default_rng(0).standard_normal((5, 8)))
    kv2.add_vectors(["bank", "stock", "jaguar"], np.random.default_rng(1).standard_normal((3, 8)))
    ws = evaluate_wordsim(kv2)
    assert 0.9 < ws["oov_ratio"] < 1.0 and -1 <= ws["spearman"] <= 1


def test_word2vec_embeddings_option(splits):
    r = train_lm(TINY.replace(embeddings="word2vec", max_iter=1), splits, verbose=False)
    assert np.isfinite(r.valid_perplexity)
    with pytest.raises(DataError, match="not found"):
        train_lm(TINY.replace(embeddings="/nonexistent.vec", max_iter=1), splits, verbose=False)
