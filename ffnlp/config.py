"""One table of options per task, and the frozen config dataclass made from it.

:data:`COMMON` is the one vocabulary: scikit-learn's names where they mean the same thing (``alpha`` is the L2
penalty, ``max_iter`` the epochs, ``n_iter_no_change`` the patience ...) and the same CLI flag for the same
idea on every task (``--alpha``, ``--epochs``, ``--patience``, ``--learning-rate``, ``--seed`` ...). Each
task's table takes its options from it, with the task's defaults:

* :data:`IMAGE_OPTIONS` -> :class:`ImageConfig` (``ffnlp image train``);
* :data:`DENSE_OPTIONS` -> the parameters of :class:`ffnlp.tasks.dense.FFNClassifier`;
* :data:`TEXTCAT_OPTIONS` -> :class:`TextCatConfig` and the parameters of
  :class:`ffnlp.tasks.textcat.FFNTextClassifier` (``ffnlp classify train``);
* :data:`LM_OPTIONS` -> :class:`LMConfig` (``ffnlp lm train``).

The machinery is :mod:`ffnlp.options`. Old names (``epochs``, ``weight_decay``, ``learning_rate``,
``optimizer``, ``hidden``, ``seed``, ``iterations``) are still accepted wherever a name is taken, and read as
attributes; model files and JSON configs written with them load. ``Config.from_dict`` refuses unknown fields
and converts lists back to tuples, so a config read from a model file or a JSON file is the one written.
"""
from __future__ import annotations

from ffnlp.nn.layers import ACTIVATIONS
from ffnlp.options import Option, Options

__all__ = ["COMMON", "IMAGE_OPTIONS", "DENSE_OPTIONS", "TEXTCAT_OPTIONS", "LM_OPTIONS", "DEVICE", "ImageConfig",
           "TextCatConfig", "LMConfig", "IMAGE_INITS", "IMAGE_ACTIVATIONS"]

#: ``ImageConfig.init`` values (``ffnlp image train --init``); "course" picks course_small or course_scaled by depth.
IMAGE_INITS = ("course", "course_small", "course_scaled", "he", "he_normal", "he_uniform", "glorot",
               "glorot_normal", "glorot_uniform")
#: Activations of the hidden layers: :data:`ffnlp.nn.layers.ACTIVATIONS` (``maxout`` too for dense layers).
ACTIVATION_NAMES = tuple(ACTIVATIONS)
IMAGE_ACTIVATIONS = ACTIVATION_NAMES + ("maxout",)


def _opt(*args, **kw) -> Option:
    return Option(*args, **kw)


#: The shared vocabulary: one name, one flag, one meaning (each task sets its own default and help).
COMMON = {o.name: o for o in [
    _opt("hidden_layer_sizes", "sizes", (), "hidden layer sizes, e.g. 100 or 200,100 ('' = none)",
         flag="--hidden", aliases=("hidden",), flag_aliases=("--layers",), metavar="SIZES"),
    _opt("activation", "str", "relu", "activation of the hidden layers", choices=ACTIVATION_NAMES,
         flag="--activation"),
    _opt("solver", "str", "adam", "optimizer", choices=("adam", "sgd"), flag="--solver", aliases=("optimizer",),
         flag_aliases=("--optimizer",)),
    _opt("alpha", "float", 0.0, "L2 penalty on weights (weight decay)", low=0.0, flag="--alpha",
         aliases=("weight_decay",), flag_aliases=("--weight-decay",)),
    _opt("batch_size", "int", 128, "minibatch size", low=1, flag="--batch-size"),
    _opt("learning_rate_init", "float", 0.001, "learning rate", low=0.0, low_open=True, flag="--learning-rate",
         aliases=("learning_rate",), flag_aliases=("--lr",)),
    _opt("lr_decay", "float", 0.0, "learning rate lr / (1 + decay * t) after t updates", low=0.0,
         flag="--lr-decay"),
    _opt("momentum", "float", 0.0, "sgd momentum", low=0.0, high=1.0, high_open=True, flag="--momentum"),
    _opt("max_iter", "int", 10, "most epochs", low=1, flag="--epochs", aliases=("epochs", "iterations"),
         flag_aliases=("--iterations",)),
    _opt("n_iter_no_change", "int", None, "stop after this many epochs without improvement", low=1,
         nullable=True, flag="--patience"),
    _opt("tol", "float", 1e-4, "the least improvement that counts (early stopping)", low=0.0, flag="--tol"),
    _opt("early_stopping", "bool", False, "hold out --validation-fraction and keep the best epoch",
         flag="--early-stopping"),
    _opt("validation_fraction", "float", 0.1, "held out for early stopping", low=0.0, high=1.0, low_open=True,
         high_open=True, flag="--validation-fraction"),
    _opt("dropout", "float", 0.0, "dropout rate after hidden layers", low=0.0, high=1.0, high_open=True,
         flag="--dropout"),
    _opt("random_state", "seed", 0, "seed of the weights, the shuffling and dropout", flag="--seed",
         aliases=("seed",)),
    _opt("embedding_dim", "int", 20, "embedding dimension", low=1, flag="--embedding-dim", flag_aliases=("--dim",)),
    _opt("embeddings", "str", "random", "initial word vectors: random, word2vec (trained on the training text) "
         "or a word2vec-format file", flag="--embeddings"),
    _opt("freeze_embeddings", "bool", False, "keep pretrained word vectors fixed", flag="--freeze-embeddings"),
    _opt("min_count", "int", 1, "vocabulary: keep words seen at least this often", low=1, flag="--min-count"),
    _opt("max_vocab", "int", None, "vocabulary: at most this many entries (default: no limit)", low=1,
         nullable=True, flag="--max-vocab"),
    _opt("dtype", "str", "float32", "floating-point type of the parameters", choices=("float32", "float64"),
         flag="--dtype"),
    _opt("log_every", "int", 1, "progress lines every N steps (0: per epoch only)", low=0, flag="--log-every"),
]}


def _common(name, default, help=None, **changes) -> Option:
    return COMMON[name].but(default=default, **({"help": help} if help else {}), **changes)


#: ``device=`` of the estimators: where a model trains, not what it is (no config field, no model file entry).
DEVICE = Option("device", "object", "cpu", "array backend: cpu, gpu or auto (or an Ops object)")


def _dense_dtype(value):
    import numpy as np

    if value in ("float32", "float64") or value in (np.float32, np.float64):
        return None
    return f"must be one of float32, float64, got {value!r}"


# ------------------------------------------------------------------------------------------------- image
_INIT = Option("init", "str", "course", "weight initialization; course is the course's: randn*0.01 for one "
               "hidden layer, randn/sqrt(n_in) deeper", choices=IMAGE_INITS, flag="--init")
_SOLVER_GD = dict(choices=("gd", "sgd", "adam"), help="optimizer: gd = full-batch gradient descent")

#: :class:`ffnlp.tasks.dense.FFNClassifier`'s parameters (scikit-learn's MLPClassifier's defaults where it has them).
DENSE_OPTIONS = Options([
    _common("hidden_layer_sizes", (100,)),
    _common("activation", "relu", choices=IMAGE_ACTIVATIONS),
    _common("solver", "adam", **_SOLVER_GD),
    _common("alpha", 0.0),
    _common("batch_size", 200, nullable=True, help="minibatch size (None, or solver gd: the full batch)"),
    _common("learning_rate_init", 0.001),
    _common("lr_decay", 0.0),
    _common("momentum", 0.9),
    _common("max_iter", 200, "epochs (full-batch iterations for gd)"),
    _common("tol", 1e-4),
    _common("n_iter_no_change", None),
    _common("early_stopping", False),
    _common("validation_fraction", 0.1),
    _common("dropout", 0.0),
    _INIT.but(default="auto", choices=("auto",) + IMAGE_INITS,
              help="weight initialization; auto: He for ReLU, Glorot otherwise"),
    COMMON["dtype"].but(kind="object", choices=None, check=_dense_dtype),
    _common("random_state", None, nullable=True),
    Option("verbose", "bool", False, "log progress every log_every epochs"),
    _common("log_every", 1),
])

#: ``ffnlp image train``: the course's L-layer run by default (:meth:`ImageConfig.preset`).
IMAGE_OPTIONS = Options([
    _common("hidden_layer_sizes", (20, 7, 5), "hidden layer sizes, e.g. 20,7,5"),
    _common("activation", "relu", choices=IMAGE_ACTIVATIONS),
    _common("learning_rate_init", 0.0075),
    _common("max_iter", 2500, "iterations (gd) or epochs"),
    _common("solver", "gd", **_SOLVER_GD),
    _common("batch_size", None, "minibatch size for sgd/adam (None: the full batch)", nullable=True),
    _common("momentum", 0.0),
    _common("lr_decay", 0.0),
    _common("alpha", 0.0),
    _common("dropout", 0.0),
    _INIT,
    _common("random_state", 1, "seed of the weights (course: 1)"),
    _common("dtype", "float64", "default: float64 for course init (its published numbers are float64), "
            "else float32"),
    _common("validation_fraction", 0.0, "held out to stop early and keep the best weights (0: none)",
            low_open=False),
    _common("n_iter_no_change", None),
    _common("log_every", 100, "record/print the cost every N steps: after iterations 0, N, 2N, ... for gd "
            "(the course's numbering), epochs 1, N, 2N, ... for sgd/adam (as the progress lines)"),
])


def _image_preset(cls, data: str):
    """Defaults per dataset: ``"catvnoncat"`` is the course's run; ``"digits"`` a quick Adam run."""
    if data == "catvnoncat":
        return cls()
    if data == "digits":
        return cls(hidden_layer_sizes=(64,), learning_rate_init=0.01, max_iter=60, solver="adam", batch_size=64,
                   init="he", random_state=0, dtype="float32", log_every=10)
    raise ValueError(f"no preset for {data!r}; choose 'catvnoncat' or 'digits'")


ImageConfig = IMAGE_OPTIONS.make_config("ImageConfig", """Settings of the image classifier (``ffnlp image train``).

    The defaults are the course's L-layer run: hidden layers 20, 7, 5 with ReLU, a sigmoid (binary) or
    softmax (multi-class) output, full-batch gradient descent with learning rate 0.0075 for 2500
    iterations, the course's initialization drawn from ``RandomState(random_state)``.""",
    namespace={"preset": classmethod(_image_preset)})


# ---------------------------------------------------------------------------------------- text classifier
def _class_weight(value):
    if value is None or value == "balanced" or isinstance(value, dict):
        return None
    return f"must be None, 'balanced' or a dict, got {value!r}"


#: ``ffnlp classify train`` and :class:`~ffnlp.tasks.textcat.FFNTextClassifier`: issue 11's lean default, one
#: set of hyper-parameters for every dataset, chosen on validation data only (``experiments/textcat_tune.py``).
TEXTCAT_OPTIONS = Options([
    Option("doc_vector", "str", "mean", "document vector: mean of word+bigram embeddings (DAN/fastText), a "
           "windowed layer over the words in order beside the n-gram direct connections (window), or the "
           "earlier windowed conv-pool (conv)", choices=("mean", "window", "conv"), flag="--doc-vector"),
    _common("embedding_dim", "auto", "embedding dimension; auto: 20 for two classes, 64 for more (of a vectors "
            "file: its own)", auto=True),
    _common("embeddings", "random", "random, word2vec (trained on the input texts), or a word2vec-format "
            "vectors file"),
    _common("freeze_embeddings", False),
    Option("bigrams", "bool", True, "word bigrams as features", flag="--bigrams"),
    Option("trigrams", "bool", False, "word trigrams too, in the direct connections only (with --bigrams, "
           "--doc-vector mean; kept as the bigrams: --min-count, --max-bigrams of them, or hashed into "
           "--n-buckets)", flag="--trigrams"),
    Option("embed_ngrams", "bool", "auto", "bigrams get embedding rows too (else: direct connections only); "
           "auto: for more than two classes with documents under 50 words on average", auto=True,
           flag="--embed-ngrams"),
    Option("n_buckets", "int", None, "hash bigrams into this many buckets (default: a row per bigram kept)",
           low=1, nullable=True, flag="--n-buckets"),
    Option("max_bigrams", "int", "auto", "keep at most this many bigrams (the most frequent); auto: 200,000 for "
           "two classes; for more, 30,000 when they get embedding rows, else 100,000", low=1, nullable=True,
           auto=True, flag="--max-bigrams"),
    Option("window", "int", 3, "conv window (words)", low=1, flag="--window"),
    Option("conv_units", "int", 200, "units of the window layer", low=1, flag="--conv-units"),
    Option("conv_pool", "str", "max", "pooling of the window layer over positions", choices=("max", "mean"),
           flag="--conv-pool"),
    Option("nb_direct", "bool", True, "naive-Bayes-scaled direct connections from words/bigrams to the outputs",
           flag="--nb-direct"),
    Option("nb_style", "str", "auto", "direct connections: averaged (mean), binarized and pulled towards naive "
           "Bayes (nbsvm), or binarized, trained from zero and then interpolated with naive Bayes as NBSVM "
           "(interpolated); auto: interpolated for two exclusive classes, mean for more and for several labels",
           choices=("auto", "mean", "nbsvm", "interpolated"), flag="--nb-style"),
    _common("hidden_layer_sizes", (), "hidden layer sizes after the document vector, e.g. 100,100 ('' = none)"),
    _common("activation", "relu"),
    Option("word_dropout", "float", 0.0, "token dropout rate", low=0.0, high=1.0, high_open=True,
           flag="--word-dropout"),
    _common("dropout", 0.0, "dropout on the document vector and hidden layers"),
    Option("term_weighting", "str", "tfidf", "how the mean document vector weights words",
           choices=("mean", "tfidf"), flag="--term-weighting"),
    Option("lowercase", "bool", True, "lower-case the text", flag="--lowercase"),
    Option("boundaries", "bool", False, "mark document starts and ends (<s>, </s>) for boundary bigrams",
           flag="--boundaries"),
    _common("min_count", 1, "minimum word (and bigram) count"),
    _common("max_vocab", None),
    Option("max_length", "int", None, "keep the first N tokens of a document (the CLI's default: all, but a "
           "document longer than 10,000 tokens is cut there, with a warning)", low=1, nullable=True,
           flag="--max-length"),
    _common("solver", "adam"),
    _common("learning_rate_init", 0.01),
    _common("lr_decay", 0.01),
    _common("alpha", 1e-4, "L2 penalty on weights and embeddings"),
    _common("batch_size", 128),
    _common("max_iter", "auto", "maximum epochs; auto: 30 with early stopping, else 4", auto=True),
    _common("tol", 1e-4),
    _common("n_iter_no_change", 3, "early stopping: epochs without improvement"),
    _common("early_stopping", "auto", "hold out --validation-fraction and keep the best epoch; auto: for "
            "more than two exclusive classes and fewer than 1M training words (else all --epochs on all the "
            "data)", auto=True),
    _common("validation_fraction", 0.1),
    Option("monitor", "str", "loss", "validation quantity early stopping watches", choices=("loss", "accuracy"),
           flag="--monitor"),
    Option("n_models", "int", "auto", "networks averaged (ensemble; with early stopping each holds out a "
           "different part); auto: 2 for more than two exclusive classes and fewer than 1M training words, "
           "else 1", low=1, auto=True, flag="--n-models"),
    Option("class_weight", "object", None, "reweight classes in the loss", check=_class_weight, nullable=True,
           flag="--class-weight", cli_choices=("balanced",)),
    Option("threshold", "float", 0.5, "multi-label: a label is predicted at this probability", low=0.0,
           high=1.0, low_open=True, high_open=True),
    Option("w2v_epochs", "int", 10, "epochs of word2vec (--embeddings word2vec, --adapt-vectors)", low=1,
           flag="--w2v-epochs"),
    Option("adapt_vectors", "bool", False, "continue skip-gram training of a vectors file on the input texts "
           "before training", flag="--adapt-vectors"),
    _common("random_state", None, nullable=True),
    Option("verbose", "bool", False, "log every epoch"),
])

TextCatConfig = TEXTCAT_OPTIONS.make_config("TextCatConfig", """Settings of
    :class:`ffnlp.tasks.textcat.FFNTextClassifier` (``ffnlp classify train``).

    The fields are the estimator's parameters, with the same defaults (see its docstring): one set of
    hyper-parameters for every dataset, chosen on validation data only (``experiments/textcat_tune.py``,
    log in ``experiments/results/textcat_tune.jsonl``): one network, 20-d embeddings of the words averaged
    with TF-IDF weights, NB-scaled direct connections from the words and bigrams (for two classes trained
    from zero and interpolated with naive Bayes, as NBSVM), Adam at 0.01 decaying as 1 / (1 + 0.01 t) over
    4 epochs of batches of 128 on all the training data (issue 11's lean default). The ``"auto"`` values
    depend on the training set (:attr:`ffnlp.tasks.textcat.FFNTextClassifier.AUTO`): with more than two
    classes, 64-d embeddings of the words (the bigrams in the direct connections, at most 100,000); with
    short documents (under 50 words on average) the 30,000 most frequent bigrams embedded too; and on a small
    training set (under 1M words), two networks that stop early, each on a different tenth held out.""")


# ----------------------------------------------------------------------------------------- language model
def _max_vocab(v):
    return None if v >= 5 else f"must be at least 5 (the 4 special tokens and one word) or None, got {v}"


def _direct_needed(values):
    if not values["hidden_layer_sizes"] and not values["direct"]:
        return "direct", "must be True with no hidden layer (the model needs direct connections)"
    return None


#: ``ffnlp lm train`` (Bengio et al. 2003's window LM); the CLI's defaults are a preset (:meth:`LMConfig.preset`).
LM_OPTIONS = Options([
    Option("context_size", "int", 4, "context size n-1", low=1, flag="--context"),
    _common("embedding_dim", 60, "embedding size m"),
    _common("hidden_layer_sizes", (50,), "hidden sizes, e.g. 100 or 200,100; '' = none"),
    Option("direct", "bool", True, "direct connections from the embeddings to the output (default: preset; off "
           "for brown and ptb)", flag="--direct"),
    Option("output", "str", "factored", "exact class-factored softmax or the full softmax (default: factored)",
           choices=("full", "factored"), flag="--output-layer"),
    Option("n_classes", "int", None, "word classes of the factored output (default: sqrt|V|)", low=1,
           nullable=True, flag="--classes"),
    Option("class_power", "float", 0.5, "word classes by frequency ** power", flag="--class-power"),
    _common("min_count", 1),
    _common("max_vocab", None, check=_max_vocab, low=None),
    Option("sentence_ends", "bool", True, "</s> after every sentence (the corpus's protocol)"),
    Option("cross_sentence", "bool", False, "contexts reach back across </s> (the corpus's protocol)"),
    Option("lowercase", "bool", False, "how text given at predict/generate time is tokenized"),
    _common("solver", "adam", "optimizer (default: preset; sgd for brown and ptb, adam otherwise)"),
    _common("learning_rate_init", 0.001),
    _common("lr_decay", 0.0, "lr / (1 + decay * t), Bengio's schedule"),
    _common("momentum", 0.0),
    Option("adam_eps", "float", 1e-8, "Adam's epsilon (larger damps steps on outputs almost never seen)",
           low=0.0, low_open=True, flag="--adam-eps"),
    Option("halve_lr_on_plateau", "bool", False, "after an epoch without improvement, go back to the best epoch "
           "and halve the learning rate", flag="--halve-lr"),
    Option("lazy_output", "bool", False, "update the factored output's word rows lazily, only those of the "
           "classes each batch used (as the embeddings are); off by default", flag="--lazy-output"),
    _common("alpha", 0.0, "L2 on weights and embeddings, not biases (default: 0)"),
    _common("batch_size", 256),
    _common("max_iter", 10, "most epochs"),
    _common("n_iter_no_change", 2),
    _common("tol", 0.0),
    Option("max_seconds", "float", None, "stop training after this much time (default: no limit)", low=0.0,
           low_open=True, nullable=True, flag="--max-seconds"),
    _common("embeddings", "random", "random, word2vec (trained on the training split) or a word2vec-format "
            "file (default: random)"),
    _common("freeze_embeddings", False),
    _common("dropout", 0.0, "dropout on the output layer's input and between hidden layers"),
    Option("input_dropout", "float", 0.0, "dropout on the concatenated context embeddings (default: 0)", low=0.0,
           high=1.0, high_open=True, flag="--input-dropout"),
    _common("activation", "tanh", "of the hidden layers (default: preset; relu for brown and ptb, tanh for the "
            "rest)"),
    _common("random_state", 0, "seed of the weights and the shuffling (default: 0)"),
    _common("dtype", "float32"),
    _common("log_every", 500, "batches between progress lines (0: per epoch only)"),
])


def _lm_preset(cls, corpus: str):
    """Defaults per corpus: ``lee`` (the shipped default, trains in well under a minute, Adam), ``brown``
    (|V| from words seen >= 4 times) and ``ptb`` (10k vocabulary): n = 5, m = 128, two ReLU layers of 400,
    no direct connections, dropout 0.2 on the inputs and 0.4 after each hidden layer, SGD with momentum
    0.9 from lr 0.05, Bengio's decay and halving on plateaus; anything else gets ``lee``'s."""
    sgd = dict(solver="sgd", learning_rate_init=0.1, momentum=0.9, lr_decay=1e-5, dropout=0.3,
               halve_lr_on_plateau=True, max_iter=40, n_iter_no_change=4)  # the recipe of experiments/lm_brown.py
    # deeper and wider, ReLU, dropout on the inputs too: PTB 126.1, Brown 243.2 (experiments/results)
    deep = dict(context_size=4, embedding_dim=128, hidden_layer_sizes=(400, 400), direct=False, activation="relu",
                input_dropout=0.2, **{**sgd, "learning_rate_init": 0.05, "dropout": 0.4, "n_iter_no_change": 5})
    if corpus == "brown":
        return cls(min_count=4, **deep)
    if corpus == "ptb":
        return cls(min_count=1, lowercase=True, cross_sentence=True, **deep)
    return cls(context_size=3, embedding_dim=32, hidden_layer_sizes=(64,), min_count=2, lowercase=True, max_iter=8,
               batch_size=128, learning_rate_init=0.003, n_iter_no_change=2, log_every=0)


LMConfig = LM_OPTIONS.make_config("LMConfig", """Settings of the window language model (``ffnlp lm train``;
    Bengio et al. 2003).

    ``context_size`` is n - 1 (Bengio's MLP1: n = 5, m = 60, h = 50, direct connections). ``output`` is
    ``"full"`` (the reference softmax) or ``"factored"`` (exact class-factored softmax, ~sqrt(|V|) classes
    by frequency, ``class_power`` as in :func:`ffnlp.nn.factored.frequency_classes`). ``sentence_ends``
    appends ``</s>`` to every sentence; ``cross_sentence`` lets contexts reach back across it. The
    learning rate decays as ``learning_rate_init / (1 + lr_decay * t)`` (Bengio's schedule, t = updates).
    Weight decay (``alpha``) applies to weights and embeddings, never biases. ``embeddings``: ``"random"``,
    ``"word2vec"`` (trained on the training split) or the path of a word2vec-format file.""",
    namespace={"preset": classmethod(_lm_preset)}, checks=(_direct_needed,))
