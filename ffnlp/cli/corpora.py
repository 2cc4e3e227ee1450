"""``ffnlp corpora list|show``: the corpus registry, where each corpus is found, and how it is split."""
from __future__ import annotations

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
    sh = verbs.add_parser("show", help="everything the registry knows of one corpus")
    sh.add_argument("name", help="a name from 'ffnlp corpora list'")
    sh.add_argument("--json", action="store_true", help="print one JSON object")
    sh.set_defaults(func=cmd_show)


def _describe(spec) -> dict:
    where = spec.locate()
    return {"name": spec.name, "task": spec.task, "found": where is not None,
            "location": str(where) if where is not None else "missing", "description": spec.description,
            "splits": spec.splits, "license": spec.license,
            "how_to_get": None if where is not None else spec.how_to_get,
            "searched": None if where is not None else list(spec.searched())}


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
        raise FFNLPError(str(exc.args[0])) from None
    info = _describe(spec)
    if args.json:
        emit_json(info)
        return
    for k, v in info.items():
        if v is not None:
            print(f"{k}\t{'; '.join(v) if isinstance(v, list) else v}")
