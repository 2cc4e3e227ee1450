"""The GPU path cannot rot quietly: no NumPy (or SciPy) array creation, conversion or random draw in the core
outside the backend package."""
import ast
from pathlib import Path

import ffnlp
import ffnlp.nn

NN = Path(ffnlp.nn.__file__).parent
#: NumPy functions that create or convert arrays on the host (or draw random numbers there).
BANNED = {
    "array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray", "zeros", "ones", "empty", "full",
    "zeros_like", "ones_like", "empty_like", "full_like", "arange", "linspace", "eye", "identity", "concatenate",
    "stack", "vstack", "hstack", "repeat", "tile", "frombuffer", "fromiter", "copy", "unique", "union1d",
    "bincount", "r_", "c_", "flatnonzero", "nonzero", "where", "take_along_axis", "put_along_axis", "add",
    "maximum", "minimum", "exp", "log", "tanh", "sqrt", "matmul", "argsort", "cumsum", "diff", "sort",
    "default_rng", "random", "split", "pad", "einsum", "dot", "multiply", "subtract", "divide",
}
#: Modules that are host code by nature: the backends, and the model-file reader/writer.
EXEMPT_FILES = {"serialize.py"}
#: Host-side preprocessing, run once on counts before any array of a model exists.
EXEMPT_FUNCTIONS = {("factored.py", "frequency_classes")}


def _calls(tree):
    """(function name or None, call node) for every call, with the enclosing top-level function."""
    for node in tree.body:
        name = node.name if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else None
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                yield name, sub


def _np_attr(func):
    """The NumPy/SciPy attribute path a call names (``np.random.default_rng`` -> ['np', 'random', ...])."""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
        return parts[::-1]
    return None


def test_no_numpy_array_creation_outside_the_backend():
    offenders = []
    files = [p for p in NN.rglob("*.py") if "backends" not in p.parts and p.name not in EXEMPT_FILES]
    assert len(files) >= 10
    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(m.startswith(("scipy", "cupy")) for m in mods):
                    offenders.append(f"{path.name}:{node.lineno}: imports {mods}")
        for fn, call in _calls(tree):
            if (path.name, fn) in EXEMPT_FUNCTIONS:
                continue
            parts = _np_attr(call.func)
            if not parts or parts[0] not in ("np", "numpy", "sp", "scipy"):
                continue
            if parts[0] in ("sp", "scipy") or "random" in parts[1:] or parts[-1] in BANNED or \
                    (len(parts) > 2 and parts[-2] in BANNED):
                offenders.append(f"{path.name}:{call.lineno}: {'.'.join(parts)}()")
    assert not offenders, "array work outside ffnlp/nn/backends (use self.ops):\n" + "\n".join(offenders)


def test_the_scan_catches_a_violation(tmp_path):
    tree = ast.parse("def f(x):\n    return np.zeros(3) + np.random.default_rng(0).random()\n")
    found = [".".join(_np_attr(c.func)) for _, c in _calls(tree) if _np_attr(c.func)]
    assert "np.zeros" in found and "np.random.default_rng" in found


def test_only_the_backend_module_imports_cupy():
    hits = [p for p in Path(ffnlp.__file__).parent.rglob("*.py")
            if "import cupy" in p.read_text() and p.name != "_cupy.py"]
    assert not hits, hits
