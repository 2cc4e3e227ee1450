"""One vocabulary of options (issue 14): every task's table drives its config, its estimator and its CLI flags.

Table-driven: every default validates; every out-of-range or unknown value fails naming the field (Python) or the
flag typed (CLI: exit 2, one ``ffnlp: error:`` line); old names map to today's (keywords, flags, stored model
configs); config fields == estimator parameters == CLI flags; the README's commands still parse.
"""
from __future__ import annotations

import argparse
import inspect
import json
import math
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from ffnlp.cli import build_parser
from ffnlp.config import (DENSE_OPTIONS, IMAGE_OPTIONS, LM_OPTIONS, TEXTCAT_OPTIONS, ImageConfig, LMConfig,
                          TextCatConfig)
from ffnlp.errors import ConfigError
from ffnlp.options import Option, Options, UnknownOptionError
from tests.test_bad_input import run as _run

CONFIGS = {"image": (IMAGE_OPTIONS, ImageConfig), "textcat": (TEXTCAT_OPTIONS, TextCatConfig),
           "lm": (LM_OPTIONS, LMConfig)}
#: The verb each table's flags belong to, with the arguments it needs to reach its config.
VERBS = {"image": ["image", "train"], "textcat": ["classify", "train", "--input", "x", "--output", "y.npz"],
         "lm": ["lm", "train"]}
README = Path(__file__).resolve().parents[1] / "README.md"


def _bad_values(o: Option):
    """Values ``o`` must refuse: outside its range, not among its choices, of the wrong kind."""
    out = []
    if o.choices is not None:
        out.append("bogus")
    if o.low is not None:
        out.append(o.low if o.low_open else o.low - 1)
    if o.high is not None:
        out.append(o.high if o.high_open else o.high + 1)
    if o.kind == "bool":
        out.append("yes")
    if o.kind == "sizes":
        out += [(0,), (3, -1)]
    if o.kind == "float":
        out.append(math.nan)
    if o.kind in ("int", "seed"):
        out.append(2.5)
    if not o.nullable and o.kind != "object":
        out.append(None)
    if o.name == "max_vocab" and o.check is not None:
        out.append(4)
    if o.name == "class_weight":
        out.append("uniform")
    return out


def _cases():
    for task, (table, _) in CONFIGS.items():
        for o in table:
            for value in _bad_values(o):
                yield pytest.param(task, o.name, value, id=f"{task}-{o.name}-{value!r}")


# ------------------------------------------------------------------------------------------- the tables
@pytest.mark.parametrize("task", CONFIGS)
def test_every_default_passes_validation(task):
    table, Config = CONFIGS[task]
    table.validate(table.defaults())
    assert Config().to_dict() == table.defaults()
    for name, o in ((o.name, o) for o in table):
        assert o.problem(o.default) is None, name


def test_dense_defaults_validate():
    from ffnlp.tasks.dense import FFNClassifier

    DENSE_OPTIONS.validate(DENSE_OPTIONS.defaults())
    assert {k: v for k, v in FFNClassifier().get_params().items() if k != "device"} == DENSE_OPTIONS.defaults()


def test_presets_validate_and_keep_their_values():
    # the values of the presets before the tables (to_dict of the hand-written configs, old names)
    assert LMConfig.preset("ptb").to_dict() == LMConfig.from_dict({
        **_to_old(LMConfig().to_dict(), "epochs"), "context_size": 4, "embedding_dim": 128, "hidden": [400, 400], "direct": False,
        "activation": "relu", "input_dropout": 0.2, "optimizer": "sgd", "learning_rate": 0.05, "momentum": 0.9,
        "lr_decay": 1e-5, "dropout": 0.4, "halve_lr_on_plateau": True, "epochs": 40, "n_iter_no_change": 5,
        "min_count": 1, "lowercase": True, "cross_sentence": True}).to_dict()
    lee = LMConfig.preset("lee")
    assert (lee.context_size, lee.embedding_dim, lee.hidden_layer_sizes, lee.min_count, lee.max_iter,
            lee.batch_size, lee.learning_rate_init, lee.n_iter_no_change, lee.log_every, lee.solver) == \
        (3, 32, (64,), 2, 8, 128, 0.003, 2, 0, "adam")
    digits = ImageConfig.preset("digits")
    assert (digits.hidden_layer_sizes, digits.learning_rate_init, digits.max_iter, digits.solver, digits.batch_size,
            digits.init, digits.random_state, digits.dtype, digits.log_every) == \
        ((64,), 0.01, 60, "adam", 64, "he", 0, "float32", 10)
    cat = ImageConfig.preset("catvnoncat")
    assert (cat.hidden_layer_sizes, cat.learning_rate_init, cat.max_iter, cat.solver, cat.random_state, cat.dtype) \
        == ((20, 7, 5), 0.0075, 2500, "gd", 1, "float64")


def test_textcat_lean_default_is_unchanged():
    # issue 11's lean default, value for value; the sizes, epochs, early stopping and the number of networks
    # are "auto" (resolved from the classes and the training set's size: FFNTextClassifier.AUTO)
    d = TextCatConfig()
    assert (d.embedding_dim, d.embed_ngrams, d.learning_rate_init, d.lr_decay, d.alpha, d.batch_size, d.max_iter,
            d.tol, d.n_iter_no_change, d.early_stopping, d.validation_fraction, d.n_models, d.max_bigrams, d.solver,
            d.hidden_layer_sizes, d.nb_style, d.term_weighting, d.random_state) == \
        ("auto", "auto", 0.01, 0.01, 1e-4, 128, "auto", 1e-4, 3, "auto", 0.1, "auto", "auto", "adam", (), "auto",
         "tfidf", None)


def test_auto_options_take_auto_or_a_value_and_parse_on_the_cli():
    from ffnlp.config import TEXTCAT_OPTIONS

    assert TextCatConfig(embedding_dim=32, embed_ngrams=False, max_bigrams=None).embedding_dim == 32
    with pytest.raises(ConfigError, match="embedding_dim"):
        TextCatConfig(embedding_dim="big")
    with pytest.raises(ConfigError, match="max_bigrams"):
        TextCatConfig(max_bigrams=0)
    opt = TEXTCAT_OPTIONS["embedding_dim"]
    assert opt.parse("auto") == "auto" and opt.parse("64") == 64
    assert "'auto'" in opt.problem("big")
    assert TextCatConfig(max_iter=7, early_stopping=True, n_models=3).n_models == 3
    for name in ("max_iter", "n_models"):
        with pytest.raises(ConfigError, match=name):
            TextCatConfig(**{name: 0})
        assert TEXTCAT_OPTIONS[name].parse("auto") == "auto" and TEXTCAT_OPTIONS[name].parse("2") == 2
    assert TEXTCAT_OPTIONS["early_stopping"].parse("auto") == "auto"


@pytest.mark.parametrize("task,name,value", list(_cases()))
def test_bad_values_fail_naming_the_keyword(task, name, value):
    _, Config = CONFIGS[task]
    with pytest.raises(ConfigError) as exc:
        Config(**{name: value})
    assert exc.value.field == name and str(exc.value).startswith(f"{Config.__name__}: {name} ")


@pytest.mark.parametrize("task", CONFIGS)
def test_old_keywords_map_and_errors_name_them(task):
    table, Config = CONFIGS[task]
    for old, new in table.aliases.items():
        o = table[new]
        cfg = Config(**{old: o.default})
        assert getattr(cfg, new) == o.default and getattr(cfg, old) == getattr(cfg, new)
        assert Config.from_dict({old: o.default}) == cfg == Config().replace(**{old: o.default})
        bad = _bad_values(o)[0]
        for make in (lambda: Config(**{old: bad}), lambda: Config().replace(**{old: bad}),
                     lambda: Config.from_dict({old: bad})):
            with pytest.raises(ConfigError, match=rf"^{Config.__name__}: {old} ") as exc:
                make()
            assert exc.value.field == new and exc.value.keyword == old


def test_lm_config_with_the_old_names():
    cfg = LMConfig(epochs=3, hidden=(8,), learning_rate=0.1, optimizer="sgd", weight_decay=1e-4, seed=7)
    assert (cfg.max_iter, cfg.hidden_layer_sizes, cfg.learning_rate_init, cfg.solver, cfg.alpha, cfg.random_state) \
        == (3, (8,), 0.1, "sgd", 1e-4, 7)
    assert (cfg.epochs, cfg.hidden, cfg.learning_rate, cfg.optimizer, cfg.weight_decay, cfg.seed) == \
        (3, (8,), 0.1, "sgd", 1e-4, 7)
    assert cfg.replace(epochs=5).max_iter == 5 and "epochs" not in cfg.to_dict()
    img = ImageConfig(iterations=10, hidden=[4, 3])
    assert img.max_iter == img.iterations == 10 and img.hidden_layer_sizes == (4, 3)


def test_unknown_and_doubled_names_are_refused():
    with pytest.raises(UnknownOptionError, match="epoch.*did you mean 'max_iter'") as exc:
        LMConfig(epoch=3)
    assert isinstance(exc.value, TypeError) and isinstance(exc.value, ValueError)
    with pytest.raises(ConfigError, match="unknown|not a setting"):
        TextCatConfig.from_dict({"embeding_dim": 3})
    with pytest.raises(ConfigError, match="given twice"):
        LMConfig(epochs=3, max_iter=4)
    with pytest.raises(TypeError, match="did you mean 'learning_rate_init'"):
        from ffnlp.tasks.textcat import FFNTextClassifier

        FFNTextClassifier(learning_rate_inti=0.1)


def test_lm_cross_field_rule_names_the_field():
    with pytest.raises(ConfigError, match="direct must be True with no hidden layer"):
        LMConfig(hidden_layer_sizes=(), direct=False)


# ---------------------------------------------------------------------------- config, estimator, CLI
def _train_parser(task):
    parser = build_parser()
    verb = VERBS[task][:2]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[verb[0]]
    return next(a for a in sub._actions if isinstance(a, argparse._SubParsersAction)).choices[verb[1]]


def test_fields_params_and_flags_are_one_list():
    from ffnlp.tasks.dense import FFNClassifier
    from ffnlp.tasks.image import make_classifier
    from ffnlp.tasks.textcat import FFNTextClassifier

    fields = [f for f in TextCatConfig.__dataclass_fields__]
    params = [p for p in inspect.signature(FFNTextClassifier).parameters]
    assert fields == TEXTCAT_OPTIONS.names and params == fields + ["device"]
    assert sorted(FFNTextClassifier().get_params()) == sorted(params)
    assert list(LMConfig.__dataclass_fields__) == LM_OPTIONS.names
    assert list(ImageConfig.__dataclass_fields__) == IMAGE_OPTIONS.names
    assert [p for p in inspect.signature(FFNClassifier).parameters] == DENSE_OPTIONS.names + ["device"]
    # the image config is the dense estimator's parameters under the same names (validation_fraction 0: none)
    assert set(IMAGE_OPTIONS.names) <= set(DENSE_OPTIONS.names)
    clf = make_classifier(ImageConfig.preset("digits"))
    for name in IMAGE_OPTIONS.names:
        if name != "validation_fraction":
            assert clf.get_params()[name] == getattr(ImageConfig.preset("digits"), name), name
    # one idea, one name and one flag on every task
    for name in set(TEXTCAT_OPTIONS.names) & set(LM_OPTIONS.names) | set(IMAGE_OPTIONS.names) & set(LM_OPTIONS.names):
        flags = {t[name].flag for t in (IMAGE_OPTIONS, TEXTCAT_OPTIONS, LM_OPTIONS) if name in t and t[name].flag}
        assert len(flags) == 1, (name, flags)
    for task, (table, _) in CONFIGS.items():
        parser = _train_parser(task)
        strings = {s for a in parser._actions for s in a.option_strings}
        shown = parser.format_help()
        for o in table:
            if o.flag:
                assert o.flag in strings and o.flag in shown, (task, o.flag)
                assert f"{parser.prog} {o.flag}" not in shown
            for old in o.flag_aliases:
                assert old in strings and not re.search(rf"(^|[\s\[,]){re.escape(old)}([\s\],=]|$)", shown), \
                    (task, old)


def test_estimators_keep_the_contract():
    from sklearn.base import clone

    from ffnlp.tasks.dense import FFNClassifier
    from ffnlp.tasks.textcat import FFNTextClassifier

    clf = FFNTextClassifier(max_iter=2, hidden_layer_sizes=(4,), random_state=3)
    again = clone(clf)
    assert again.get_params() == clf.get_params() and again is not clf
    assert FFNTextClassifier.from_config(clf.get_config()).get_params() == clf.get_params()
    assert clf.set_params(alpha=0.5).alpha == 0.5
    dense = FFNClassifier((5,), "tanh", max_iter=3)
    assert dense.hidden_layer_sizes == (5,) and dense.activation == "tanh" and clone(dense).max_iter == 3
    with pytest.raises(ConfigError, match="FFNClassifier: solver must be one of gd, sgd, adam"):
        FFNClassifier(solver="lbfgs").fit(np.eye(4), [0, 1, 0, 1])


# ------------------------------------------------------------------------------------------------- CLI
def _flag_cases():
    for task, (table, _) in CONFIGS.items():
        for o in table:
            if not o.flag or o.kind in ("bool", "sizes", "object") or o.choices is not None:
                continue               # argparse itself refuses bad choices and sizes
            for value in _bad_values(o):
                if value is None or isinstance(value, float) and math.isnan(value) or \
                        (o.kind in ("int", "seed") and not float(value).is_integer()):
                    continue
                text = str(int(value) if o.kind in ("int", "seed") else value)
                for flag in (o.flag, *o.flag_aliases):
                    yield pytest.param(task, flag, text, id=f"{task}{flag}={text}")


@pytest.mark.parametrize("task,flag,text", list(_flag_cases()))
def test_cli_errors_name_the_flag_typed(task, flag, text, capsys):
    code, out, err = _run([*VERBS[task], f"{flag}={text}"], capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"ffnlp: error: {flag}: must be "), err
    assert out == "" and "Traceback" not in err


def test_cli_cross_field_error_names_the_flag(capsys):
    code, _, err = _run(["lm", "train", "--hidden", "", "--no-direct"], capsys)
    assert code == 2 and "ffnlp: error: --no-direct: must be True with no hidden layer" in err    # as typed


def test_cli_old_and_new_flags_set_the_same_field():
    from ffnlp.cli import lm as lm_cli
    from ffnlp.cli.classify import build_config as textcat_config
    from ffnlp.cli.image import build_config as image_config

    parser = build_parser()
    image = ["image", "train", "--layers", "7,3", "--iterations", "5", "--optimizer", "sgd", "--weight-decay",
             "0.5", "--learning-rate", "0.1"]
    new = ["image", "train", "--hidden", "7,3", "--epochs", "5", "--solver", "sgd", "--alpha", "0.5",
           "--learning-rate", "0.1"]
    assert image_config(parser.parse_args(image)) == image_config(parser.parse_args(new))
    old = ["classify", "train", "--input", "x", "--output", "y", "--lr", "0.1", "--dim", "8", "--no-bigrams",
           "--no-nb-direct", "--weight-decay", "0.01"]
    new = ["classify", "train", "--input", "x", "--output", "y", "--learning-rate", "0.1", "--embedding-dim", "8",
           "--no-bigrams", "--no-nb-direct", "--alpha", "0.01"]
    a, b = textcat_config(parser.parse_args(old)), textcat_config(parser.parse_args(new))
    assert a == b and (a.learning_rate_init, a.embedding_dim, a.bigrams, a.nb_direct, a.alpha, a.random_state) == \
        (0.1, 8, False, False, 0.01, 0)
    args = parser.parse_args(["lm", "train", "--optimizer", "sgd", "--weight-decay", "0.1", "--epochs", "3",
                              "--patience", "none", "--halve-lr", "--seed", "4"])
    cfg = lm_cli.build_config(args)
    assert (cfg.solver, cfg.alpha, cfg.max_iter, cfg.n_iter_no_change, cfg.halve_lr_on_plateau, cfg.random_state) \
        == ("sgd", 0.1, 3, None, True, 4)
    left_out = lm_cli.build_config(parser.parse_args(["lm", "train"]))
    assert left_out == LMConfig.preset("lee")                       # flags left out keep the preset


def _readme_commands():
    text = README.read_text(encoding="utf-8")
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" # ")[0].split("   #")[0]
            for part in line.split("&&"):
                words = shlex.split(part.strip(), comments=True)
                if "ffnlp" not in words or "..." in part:
                    continue
                words = words[words.index("ffnlp") + 1:]
                if words and words[0] in ("image", "lm", "classify", "vectors", "corpora"):
                    yield shlex.join(words)


@pytest.mark.parametrize("command", sorted(set(_readme_commands())))
def test_readme_commands_parse(command):
    args = build_parser().parse_args(shlex.split(command))
    assert callable(args.func)


def test_readme_has_commands_of_every_train_verb():
    commands = set(_readme_commands())
    for verb in ("image train", "lm train", "classify train", "classify compare"):
        assert any(c.startswith(verb) for c in commands), verb


# ------------------------------------------------------------------------------- old configs and files
def _rewrite_meta(path, out, change):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["__meta__"][()]))
    change(meta)
    arrays["__meta__"] = np.array(json.dumps(meta, sort_keys=True))
    np.savez(out, **arrays)
    return out


OLD_NAMES = {"hidden_layer_sizes": "hidden", "solver": "optimizer", "learning_rate_init": "learning_rate",
             "alpha": "weight_decay", "random_state": "seed"}


def _to_old(config: dict, epochs: str) -> dict:
    renamed = {**OLD_NAMES, "max_iter": epochs}
    return {renamed.get(k, k): v for k, v in config.items()}


def test_lm_model_file_with_the_old_names_loads(tmp_path):
    from ffnlp.tasks.lm import WindowLM
    from ffnlp.text import Vocab

    vocab = Vocab.build([["a", "b", "c", "a"], ["b", "c"]])
    lm = WindowLM(vocab, LMConfig(context_size=2, embedding_dim=4, hidden_layer_sizes=(6,), output="full",
                                  solver="sgd", learning_rate_init=0.2, alpha=1e-3, max_iter=3, random_state=5))
    path = lm.save(tmp_path / "new.npz")
    old = _rewrite_meta(path, tmp_path / "old.npz", lambda m: m.update(config=_to_old(m["config"], "epochs")))
    assert "epochs" in json.dumps(json.loads(str(np.load(old)["__meta__"][()]))["config"])
    back = WindowLM.load(old)
    assert back.config == lm.config
    ids = np.array([[2, 3], [3, 4]])
    np.testing.assert_allclose(back.net.predict(ids), lm.net.predict(ids))


def test_image_model_file_with_the_old_names_loads(tmp_path):
    from ffnlp.tasks.image import load_digits_data, load_image_model, save_image_model, train_image

    data = load_digits_data()
    result = train_image(data, ImageConfig.preset("digits").replace(max_iter=1, hidden_layer_sizes=(8,)))
    path = save_image_model(tmp_path / "new.npz", result)
    old = _rewrite_meta(path, tmp_path / "old.npz", lambda m: m.update(config=_to_old(m["config"], "iterations")))
    clf = load_image_model(old)
    assert clf.max_iter == 1 and clf.hidden_layer_sizes == (8,) and clf.solver == "adam"
    np.testing.assert_array_equal(clf.predict(data.X_test[:20]), result.classifier.predict(data.X_test[:20]))


def test_textcat_config_dict_with_old_names_loads():
    old = {**TextCatConfig().to_dict()}
    old = _to_old(old, "epochs")
    assert TextCatConfig.from_dict(old) == TextCatConfig()
    assert TextCatConfig.from_json(json.dumps(old)) == TextCatConfig()


# ------------------------------------------------------------------------------------------- machinery
def test_option_ranges_in_words():
    unit = Option("p", "float", 0.5, low=0.0, high=1.0, high_open=True)
    assert unit.range_text() == "in [0, 1)" and unit.problem(1.0) == "must be in [0, 1), got 1.0"
    assert Option("n", "int", 1, low=1).problem(0) == "must be positive, got 0"
    assert Option("x", "float", 1.0, low=0.0, low_open=True).problem(-2.0) == "must be a positive number, got -2.0"
    assert Option("m", "int", None, low=1, nullable=True).problem(0) == "must be positive or None, got 0"
    assert Option("s", "str", "a", choices=("a", "b")).problem("c") == "must be one of a, b, got 'c'"
    assert Option("b", "bool", True).problem(np.bool_(False)) is None
    assert Option("h", "sizes", ()).problem([3, 2]) is None
    with pytest.raises(ValueError, match="kind"):
        Option("z", "complex", 0)


def test_table_refuses_clashes():
    a = Option("a", "int", 1, flag="--a", aliases=("old",))
    with pytest.raises(ValueError, match="listed twice"):
        Options([a, a])
    with pytest.raises(ValueError, match="alias old"):
        Options([a, Option("old", "int", 1)])
    with pytest.raises(ValueError, match="flag is listed twice"):
        Options([a, Option("b", "int", 1, flag="--a")])


def test_add_arguments_defaults_and_preset():
    table = Options([Option("n", "int", 3, "count", low=1, flag="--n", flag_aliases=("--count",)),
                     Option("on", "bool", True, "switch", flag="--on")])
    p = argparse.ArgumentParser()
    table.add_arguments(p, defaults={"n": 5})
    ns = p.parse_args([])
    assert table.values_from_args(ns) == {"n": 5, "on": True} and table.flags(ns) == {"n": "--n", "on": "--on"}
    ns = p.parse_args(["--count", "7", "--no-on"])
    assert table.values_from_args(ns) == {"n": 7, "on": False} and table.flags(ns)["n"] == "--count"
    q = argparse.ArgumentParser()
    table.add_arguments(q, defaults="preset")
    assert table.values_from_args(q.parse_args([])) == {} and "(default: preset)" in q.format_help()
