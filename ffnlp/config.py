"""One frozen, typed dataclass per task, with a JSON round-trip.

``Config.from_dict`` refuses unknown fields and converts lists back to tuples, so a config read from a
model file or a JSON file is exactly the one that was written.
"""
from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass

from ffnlp.errors import ConfigError

#: ``ImageConfig.init`` values (``ffnlp image train --init``); "course" picks course_small or course_scaled by depth.
IMAGE_INITS = ("course", "course_small", "course_scaled", "he", "he_normal", "he_uniform", "glorot",
               "glorot_normal", "glorot_uniform")
IMAGE_ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "softplus", "maxout")


class _ConfigMixin:
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict):
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(data) - set(fields)
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown field(s) {sorted(unknown)}")
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for k, v in data.items():
            if isinstance(v, list) and "tuple" in str(hints.get(k, "")):
                v = tuple(v)
            kwargs[k] = v
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str):
        return cls.from_dict(json.loads(text))

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class ImageConfig(_ConfigMixin):
    """Settings of the image classifier (``ffnlp image train``).

    The defaults are the course's L-layer run: hidden layers 20, 7, 5 with ReLU, a sigmoid (binary) or
    softmax (multi-class) output, full-batch gradient descent with learning rate 0.0075 for 2500
    iterations, the course's initialization drawn from ``RandomState(seed)``.
    """

    hidden: tuple[int, ...] = (20, 7, 5)
    activation: str = "relu"
    learning_rate: float = 0.0075
    iterations: int = 2500
    optimizer: str = "gd"  # gd | sgd | adam
    batch_size: int | None = None  # None: full batch
    momentum: float = 0.0
    lr_decay: float = 0.0
    weight_decay: float = 0.0
    dropout: float = 0.0
    init: str = "course"  # course | course_small | course_scaled | he | glorot ...
    seed: int = 1
    dtype: str = "float64"
    validation_fraction: float = 0.0
    n_iter_no_change: int | None = None
    log_every: int = 100

    @classmethod
    def preset(cls, data: str) -> "ImageConfig":
        """Defaults per dataset: ``"catvnoncat"`` is the course's run; ``"digits"`` a quick Adam run."""
        if data == "catvnoncat":
            return cls()
        if data == "digits":
            return cls(hidden=(64,), learning_rate=0.01, iterations=60, optimizer="adam", batch_size=64,
                       init="he", seed=0, dtype="float32", log_every=10)
        raise ValueError(f"no preset for {data!r}; choose 'catvnoncat' or 'digits'")

    def __post_init__(self):
        def bad(field, detail):
            raise ConfigError(field, detail)

        if any(int(h) <= 0 for h in self.hidden):
            bad("hidden", f"layer sizes must be positive integers, got {list(self.hidden)}")
        if not self.learning_rate > 0 or self.learning_rate == float("inf"):
            bad("learning_rate", f"must be a positive number, got {self.learning_rate}")
        if self.iterations <= 0:
            bad("iterations", f"must be positive, got {self.iterations}")
        if self.dtype not in ("float32", "float64"):
            bad("dtype", f"must be float32 or float64, got {self.dtype!r}")
        if self.optimizer not in ("gd", "sgd", "adam"):
            bad("optimizer", f"must be gd, sgd or adam, got {self.optimizer!r}")
        if self.activation not in IMAGE_ACTIVATIONS:
            bad("activation", f"must be one of {', '.join(IMAGE_ACTIVATIONS)}, got {self.activation!r}")
        if self.init not in IMAGE_INITS:
            bad("init", f"must be one of {', '.join(IMAGE_INITS)}, got {self.init!r}")
        if self.batch_size is not None and self.batch_size <= 0:
            bad("batch_size", f"must be positive, got {self.batch_size}")
        if not 0 <= self.dropout < 1:
            bad("dropout", f"must be in [0, 1), got {self.dropout}")
        if not 0 <= self.momentum < 1:
            bad("momentum", f"must be in [0, 1), got {self.momentum}")
        if not self.lr_decay >= 0:
            bad("lr_decay", f"must be >= 0, got {self.lr_decay}")
        if not self.weight_decay >= 0:
            bad("weight_decay", f"must be >= 0, got {self.weight_decay}")
        if self.log_every < 0:
            bad("log_every", f"must be >= 0, got {self.log_every}")
        if self.n_iter_no_change is not None and self.n_iter_no_change <= 0:
            bad("n_iter_no_change", f"must be positive or None, got {self.n_iter_no_change}")
        if not 0 <= self.validation_fraction < 1:
            bad("validation_fraction", f"must be in [0, 1), got {self.validation_fraction}")


@dataclass(frozen=True)
class TextCatConfig(_ConfigMixin):
    """Settings of :class:`ffnlp.tasks.textcat.FFNTextClassifier` (``ffnlp classify train``).

    The fields are the estimator's parameters, with the same defaults (see its docstring): one set of
    hyper-parameters for every dataset, chosen on validation data only (``experiments/textcat_tune.py``,
    log in ``experiments/results/textcat_tune.jsonl``): one network, 20-d embeddings of words and bigrams
    averaged with TF-IDF weights, NB-scaled direct connections, Adam at 0.01 decaying as 1 / (1 + 0.01 t) over
    4 epochs of batches of 128 on all the training data (issue 11's lean default).
    """

    doc_vector: str = "mean"  # mean | conv
    embedding_dim: int = 20
    embeddings: str = "random"  # random | word2vec | path to a word2vec-format file
    freeze_embeddings: bool = False
    bigrams: bool = True
    embed_ngrams: bool = True  # bigrams also get embedding rows (else: direct connections only)
    n_buckets: int | None = None  # None: one row per bigram kept from training
    max_bigrams: int | None = 200000
    window: int = 3
    conv_units: int = 200
    conv_pool: str = "max"  # max | mean
    nb_direct: bool = True
    nb_style: str = "auto"  # auto | mean | nbsvm
    hidden_layer_sizes: tuple[int, ...] = ()
    activation: str = "relu"
    word_dropout: float = 0.0
    dropout: float = 0.0
    term_weighting: str = "tfidf"  # mean | tfidf
    lowercase: bool = True
    boundaries: bool = False
    min_count: int = 1
    max_vocab: int | None = None
    max_length: int | None = None
    solver: str = "adam"  # adam | sgd
    learning_rate_init: float = 0.01
    lr_decay: float = 0.01
    alpha: float = 1e-4
    batch_size: int = 128
    max_iter: int = 4
    tol: float = 1e-4
    n_iter_no_change: int | None = 3
    early_stopping: bool = False
    validation_fraction: float = 0.1
    monitor: str = "loss"  # loss | accuracy
    n_models: int = 1
    class_weight: str | dict | None = None  # None | "balanced" | {label: weight}
    threshold: float = 0.5
    w2v_epochs: int = 10
    adapt_vectors: bool = False
    random_state: int | None = None
    verbose: bool = False

    def __post_init__(self):
        def bad(msg):
            field, _, detail = msg.partition(" ")
            raise ConfigError(field, detail, prefix="TextCatConfig: ")

        if self.doc_vector not in ("mean", "conv"):
            bad(f"doc_vector must be 'mean' or 'conv', got {self.doc_vector!r}")
        if self.term_weighting not in ("mean", "tfidf"):
            bad(f"term_weighting must be 'mean' or 'tfidf', got {self.term_weighting!r}")
        if self.nb_style not in ("auto", "mean", "nbsvm"):
            bad(f"nb_style must be 'auto', 'mean' or 'nbsvm', got {self.nb_style!r}")
        if self.conv_pool not in ("max", "mean"):
            bad(f"conv_pool must be 'max' or 'mean', got {self.conv_pool!r}")
        if self.monitor not in ("loss", "accuracy"):
            bad(f"monitor must be 'loss' or 'accuracy', got {self.monitor!r}")
        if self.solver not in ("adam", "sgd"):
            bad(f"solver must be 'adam' or 'sgd', got {self.solver!r}")
        for name in ("embedding_dim", "window", "conv_units", "min_count", "batch_size", "max_iter",
                     "w2v_epochs", "n_models"):
            if int(getattr(self, name)) <= 0:
                bad(f"{name} must be positive, got {getattr(self, name)}")
        if any(int(h) <= 0 for h in self.hidden_layer_sizes):
            bad(f"hidden_layer_sizes must be positive integers, got {list(self.hidden_layer_sizes)}")
        for name in ("word_dropout", "dropout"):
            if not 0 <= getattr(self, name) < 1:
                bad(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if not 0 < self.validation_fraction < 1:
            bad(f"validation_fraction must be in (0, 1), got {self.validation_fraction}")
        if not 0 < self.threshold < 1:
            bad(f"threshold must be in (0, 1), got {self.threshold}")
        if not 0 < self.learning_rate_init < float("inf"):
            bad(f"learning_rate_init must be a positive number, got {self.learning_rate_init}")
        for name in ("alpha", "lr_decay"):
            if not getattr(self, name) >= 0:
                bad(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.class_weight is not None and not isinstance(self.class_weight, dict) \
                and self.class_weight != "balanced":
            bad(f"class_weight must be None, 'balanced' or a dict, got {self.class_weight!r}")
        for name in ("max_vocab", "max_length", "n_iter_no_change", "n_buckets", "max_bigrams"):
            v = getattr(self, name)
            if v is not None and int(v) <= 0:
                bad(f"{name} must be positive or None, got {v}")


@dataclass(frozen=True)
class LMConfig(_ConfigMixin):
    """Settings of the window language model (``ffnlp lm train``; Bengio et al. 2003).

    ``context_size`` is n - 1 (Bengio's MLP1: n = 5, m = 60, h = 50, direct connections). ``output`` is
    ``"full"`` (the reference softmax) or ``"factored"`` (exact class-factored softmax, ~sqrt(|V|) classes
    by frequency, ``class_power`` as in :func:`ffnlp.nn.factored.frequency_classes`). ``sentence_ends``
    appends ``</s>`` to every sentence; ``cross_sentence`` lets contexts reach back across it. The
    learning rate decays as ``lr / (1 + lr_decay * t)`` (Bengio's schedule, t = updates). Weight decay
    applies to weights and embeddings, never biases. ``embeddings``: ``"random"``, ``"word2vec"`` (trained
    on the training split) or the path of a word2vec-format file.
    """

    context_size: int = 4
    embedding_dim: int = 60
    hidden: tuple[int, ...] = (50,)
    direct: bool = True
    output: str = "factored"  # full | factored
    n_classes: int | None = None  # None: round(sqrt(|V|))
    class_power: float = 0.5
    min_count: int = 1
    max_vocab: int | None = None
    sentence_ends: bool = True
    cross_sentence: bool = False
    lowercase: bool = False  # how text given at predict/generate time is tokenized
    optimizer: str = "adam"  # adam | sgd
    learning_rate: float = 0.001
    lr_decay: float = 0.0
    momentum: float = 0.0
    adam_eps: float = 1e-8  # larger values damp Adam's steps on outputs that are (almost) never seen
    halve_lr_on_plateau: bool = False  # after an epoch without improvement: best epoch back, lr halved
    lazy_output: bool = False  # row-sparse optimizer updates of the factored output (the classes a batch used)
    weight_decay: float = 0.0
    batch_size: int = 256
    epochs: int = 10
    n_iter_no_change: int | None = 2
    tol: float = 0.0
    max_seconds: float | None = None
    embeddings: str = "random"  # random | word2vec | path to a word2vec-format file
    freeze_embeddings: bool = False
    dropout: float = 0.0  # on the features fed to the output layer, and between hidden layers
    input_dropout: float = 0.0  # on the concatenated context embeddings
    activation: str = "tanh"  # of the hidden layers: tanh (Bengio) | relu | leaky_relu | sigmoid | softplus
    seed: int = 0
    dtype: str = "float32"
    log_every: int = 500  # batches between progress lines (0: per epoch only)

    @classmethod
    def preset(cls, corpus: str) -> "LMConfig":
        """Defaults per corpus: ``lee`` (the shipped default, trains in well under a minute, Adam), ``brown``
        (|V| from words seen >= 4 times) and ``ptb`` (10k vocabulary): n = 5, m = 128, two ReLU layers of 400,
        no direct connections, dropout 0.2 on the inputs and 0.4 after each hidden layer, SGD with momentum
        0.9 from lr 0.05, Bengio's decay and halving on plateaus; anything else gets ``lee``'s."""
        sgd = dict(optimizer="sgd", learning_rate=0.1, momentum=0.9, lr_decay=1e-5, dropout=0.3,
                   halve_lr_on_plateau=True, epochs=40, n_iter_no_change=4)  # the recipe of experiments/lm_brown.py
        # deeper and wider, ReLU, dropout on the inputs too: PTB 126.1, Brown 243.2 (experiments/results)
        deep = dict(context_size=4, embedding_dim=128, hidden=(400, 400), direct=False, activation="relu",
                    input_dropout=0.2, **{**sgd, "learning_rate": 0.05, "dropout": 0.4, "n_iter_no_change": 5})
        if corpus == "brown":
            return cls(min_count=4, **deep)
        if corpus == "ptb":
            return cls(min_count=1, lowercase=True, cross_sentence=True, **deep)
        return cls(context_size=3, embedding_dim=32, hidden=(64,), min_count=2, lowercase=True, epochs=8,
                   batch_size=128, learning_rate=0.003, n_iter_no_change=2, log_every=0)

    def __post_init__(self):
        def bad(field, detail):
            raise ConfigError(field, detail)

        if int(self.context_size) < 1:
            bad("context_size", f"must be >= 1, got {self.context_size}")
        if int(self.embedding_dim) < 1:
            bad("embedding_dim", f"must be >= 1, got {self.embedding_dim}")
        if any(int(h) <= 0 for h in self.hidden):
            bad("hidden", f"layer sizes must be positive integers, got {list(self.hidden)}")
        if not self.hidden and not self.direct:
            bad("direct", "must be True with no hidden layer (the model needs direct connections)")
        if self.output not in ("full", "factored"):
            bad("output", f"must be 'full' or 'factored', got {self.output!r}")
        if self.n_classes is not None and int(self.n_classes) < 1:
            bad("n_classes", f"must be positive or None, got {self.n_classes}")
        if self.min_count < 1:
            bad("min_count", f"must be >= 1, got {self.min_count}")
        if self.max_vocab is not None and int(self.max_vocab) < 5:
            bad("max_vocab", f"must be at least 5 (the 4 special tokens and one word) or None, got {self.max_vocab}")
        if self.optimizer not in ("adam", "sgd"):
            bad("optimizer", f"must be adam or sgd, got {self.optimizer!r}")
        if not 0 < self.learning_rate < float("inf"):
            bad("learning_rate", f"must be a positive number, got {self.learning_rate}")
        if not self.lr_decay >= 0:
            bad("lr_decay", f"must be >= 0, got {self.lr_decay}")
        if not self.weight_decay >= 0:
            bad("weight_decay", f"must be >= 0, got {self.weight_decay}")
        if not 0 <= self.momentum < 1:
            bad("momentum", f"must be in [0, 1), got {self.momentum}")
        if self.batch_size <= 0:
            bad("batch_size", f"must be positive, got {self.batch_size}")
        if self.epochs <= 0:
            bad("epochs", f"must be positive, got {self.epochs}")
        if self.n_iter_no_change is not None and self.n_iter_no_change <= 0:
            bad("n_iter_no_change", f"must be positive or None, got {self.n_iter_no_change}")
        if self.max_seconds is not None and not self.max_seconds > 0:
            bad("max_seconds", f"must be positive or None, got {self.max_seconds}")
        if self.dtype not in ("float32", "float64"):
            bad("dtype", f"must be float32 or float64, got {self.dtype!r}")
        if not 0 <= self.dropout < 1:
            bad("dropout", f"must be in [0, 1), got {self.dropout}")
        if not 0 <= self.input_dropout < 1:
            bad("input_dropout", f"must be in [0, 1), got {self.input_dropout}")
        if self.activation not in ("tanh", "relu", "leaky_relu", "sigmoid", "softplus"):
            bad("activation", f"must be tanh, relu, leaky_relu, sigmoid or softplus, got {self.activation!r}")
