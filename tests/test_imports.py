"""Imports point one way: ffnlp.nn and ffnlp.text import nothing of each other, tasks, baselines or cli."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "ffnlp"
# leaf modules (standard library only) that both may use: errors, the version, atomic file writes
LEAVES = {"ffnlp.errors", "ffnlp._version", "ffnlp._files"}
ALLOWED = {"nn": {"ffnlp.nn", *LEAVES}, "text": {"ffnlp.text", "ffnlp.corpora", *LEAVES}}


def _ffnlp_imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("ffnlp"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ffnlp"):
            yield node.module


@pytest.mark.parametrize("sub", sorted(ALLOWED))
def test_import_direction(sub):
    files = sorted((PKG / sub).rglob("*.py"))
    assert files
    for f in files:
        for mod in _ffnlp_imports(f):
            assert any(mod == a or mod.startswith(a + ".") for a in ALLOWED[sub]), f"{f.name} imports {mod}"


@pytest.mark.parametrize("leaf", ["errors", "_version", "_files"])
def test_leaf_modules_import_nothing_of_ffnlp(leaf):
    assert list(_ffnlp_imports(PKG / f"{leaf}.py")) == []
