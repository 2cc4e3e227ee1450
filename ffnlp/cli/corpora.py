"""``ffnlp corpora list|show``: the corpus registry, where each corpus is found, and how it is split."""
from __future__ import annotations

from pathlib import Path

from ffnlp.cli import emit_json
from ffnlp.errors import FFNLPError
from ffnlp.report import format_table


def add_parser(sub):
    p = sub.add_parser("corpora", help="list the registered corpora and where they are found")
    verbs = p.add_subparsers(dest="verb", metavar="{list,show}")
    verbs.required = True
    ls = verbs.add_parser("list", help="one row per corpus: name, task, found or missing, location")
    ls.add_argument("--task", choices=["lm", "textcat"], default=None, help="only this task's corpora")
    ls.add_argument("--format", choices=["text", "markdown", "csv", "json"], default="text", help="table format")
    ls.set_defaults(func=cmd_list)
    sh = verbs.add_parser("show", help="everything the registry knows of one corpus, or how a file or folder of "
                                       "yours will be read and split")
    sh.add_argument("name", help="a name from 'ffnlp corpora list', or a path")
    sh.add_argument("--json", action="store_true", help="print one JSON object")
    sh.set_defaults(func=cmd_show)


def _describe(spec) -> dict:
    where = spec.locate()
    return {"name": spec.name, "task": spec.task, "found": where is not None,
            "location": str(where) if where is not None else "missing", "description": spec.description,
            "splits": spec.splits, "license": spec.license,
            "how_to_get": None if where is not None else spec.how_to_get,
            "searched": None if where is not None else list(spec.searched())}


def describe_path(path) -> dict:
    """How ``ffnlp lm train --corpus PATH`` and ``ffnlp classify`` read a file or folder: which split it has."""
    from ffnlp.errors import DataError
    from ffnlp.text.lm_corpora import split_files
    from ffnlp.text.readers import class_files, find_split_files

    path = Path(path)
    info = {"name": str(path), "kind": "folder" if path.is_dir() else "file"}
    seeded = "none of its own: lm train splits its lines 80/10/10 (seeded, seed 0)"
    if not path.is_dir():
        info["split"] = seeded + "; classify trains on all of it (compare: cross-validation)"
        return info
    try:
        own = split_files(path)
        info["split"] = ("its own: " + ", ".join(f"{s} {p.name}" for s, p in own.items())) if own else seeded
    except DataError as exc:
        info["split"] = f"unusable for lm train: {exc}"
    labeled = find_split_files(path, folders=True)
    if "train" in labeled:
        info["classify_split"] = "its own: " + "; ".join(
            f"{s} {', '.join(p.name + ('/' if p.is_dir() else '') for p in ps)}" for s, ps in labeled.items())
    else:
        layout = class_files(path)
        info["classify_split"] = "none of its own; " + (
            "one file per class: " + ", ".join(f"{c} ({p.name})" for c, p in layout.items()) if layout
            else "one subfolder per class, or a labeled file")
    files = [f for f in path.iterdir() if f.is_file() and not f.name.startswith(".")]
    info["files"] = len(files)
    return info


def cmd_list(args):
    from ffnlp import corpora

    rows = [_describe(corpora.get(n)) for n in corpora.names(args.task)]
    cols = ["name", "task", "found", "location", "description"]
    if args.format == "json":
        emit_json(rows)
    else:
        print(format_table(rows, cols, fmt=args.format), end="")


def cmd_show(args):
    from ffnlp import corpora

    try:
        spec = corpora.get(args.name)
    except KeyError as exc:
        if not Path(args.name).exists():
            raise FFNLPError(f"{exc.args[0]}; nor is it an existing file or folder") from None
        spec = None
    info = _describe(spec) if spec is not None else describe_path(args.name)
    if args.json:
        emit_json(info)
        return
    for k, v in info.items():
        if v is not None:
            print(f"{k}\t{'; '.join(v) if isinstance(v, list) else v}")
