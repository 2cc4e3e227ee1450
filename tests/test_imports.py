"""Imports point one way: ffnlp.nn and ffnlp.text import nothing of each other, tasks, baselines or cli;
the corpus registry imports no loader, and the loaders never import the registry."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "ffnlp"
# leaf modules (standard library only) that both may use: errors, the version, atomic file writes, data paths
LEAVES = {"ffnlp.errors", "ffnlp._version", "ffnlp._files", "ffnlp._datapaths"}
ALLOWED = {"nn": {"ffnlp.nn", *LEAVES}, "text": {"ffnlp.text", "ffnlp.corpora", *LEAVES},
           "corpora.py": {"ffnlp", *LEAVES}}
# the loaders and readers: they never import the registry back (the dispatchers may, lazily or not)
LOADERS = ["text/readers.py", "text/benchmarks.py", "text/safe_pickle.py", "text/datasets.py", "text/corpus.py"]


def _ffnlp_imports(path, *, top_level_only=False):
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("ffnlp"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ffnlp"):
            if node.module == "ffnlp":  # from ffnlp import x: the module ffnlp.x
                yield from (f"ffnlp.{a.name}" for a in node.names)
            else:
                yield node.module


def _allowed(mod, allowed):
    return any(mod == a or mod.startswith(a + ".") for a in allowed if a != "ffnlp") or mod == "ffnlp"


@pytest.mark.parametrize("sub", sorted(ALLOWED))
def test_import_direction(sub):
    files = [PKG / sub] if sub.endswith(".py") else sorted((PKG / sub).rglob("*.py"))
    assert files and all(f.exists() for f in files)
    for f in files:
        for mod in _ffnlp_imports(f):
            assert _allowed(mod, ALLOWED[sub]), f"{f.name} imports {mod}"


@pytest.mark.parametrize("leaf", ["errors", "_version", "_files", "_datapaths"])
def test_leaf_modules_import_nothing_of_ffnlp(leaf):
    # ...but the errors, which import nothing
    assert set(_ffnlp_imports(PKG / f"{leaf}.py")) <= ({"ffnlp.errors"} if leaf != "errors" else set())


@pytest.mark.parametrize("path", LOADERS)
def test_loaders_never_import_the_registry(path):
    assert "ffnlp.corpora" not in set(_ffnlp_imports(PKG / path)), path


def test_lm_loaders_import_the_registry_only_to_dispatch():
    # lm_corpora's loaders are registered; only load_lm_corpus looks names up, inside the function
    assert "ffnlp.corpora" not in set(_ffnlp_imports(PKG / "text/lm_corpora.py", top_level_only=True))


def _modules_after(code):
    out = subprocess.run([sys.executable, "-c", code + "; import sys; print(' '.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True).stdout.split()
    return {m for m in out if m.startswith("ffnlp")}


def test_registry_imports_no_loader():
    mods = _modules_after("import ffnlp.corpora as c; c.names(); c.get('brown').locate(); c.get('mr').searched()")
    assert not any(m.startswith("ffnlp.text") for m in mods), mods


def test_unknown_lm_corpus_imports_no_classification_code():
    code = ("from ffnlp.text.lm_corpora import load_lm_corpus\n"
            "try:\n    load_lm_corpus('no-such-corpus')\nexcept ValueError:\n    pass")
    mods = _modules_after(code)
    assert not {"ffnlp.text.labeled", "ffnlp.text.benchmarks", "ffnlp.text.safe_pickle"} & mods, mods


def test_every_registered_loader_resolves():
    from ffnlp import corpora

    for name in corpora.names():
        spec = corpora.get(name)
        assert callable(spec.resolve_loader()), spec.loader
