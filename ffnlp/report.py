"""Results tables (aligned text, Markdown, CSV, JSON) and a description of the machine a run used."""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import platform


def _fmt(v, floatfmt):
    if isinstance(v, float):
        return format(v, floatfmt)
    return "" if v is None else str(v)


def format_table(rows: list[dict], columns: list[str] | None = None, *, floatfmt=".4g", fmt="text") -> str:
    """Render ``rows`` (dicts) as ``"text"`` (aligned columns), ``"markdown"``, ``"csv"`` or ``"json"``."""
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    if fmt == "json":
        return json.dumps([{c: r.get(c) for c in columns} for r in rows], indent=2, default=str)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([r.get(c, "") for c in columns])
        return buf.getvalue()
    cells = [[_fmt(r.get(c), floatfmt) for c in columns] for r in rows]
    if fmt == "markdown":
        head = "| " + " | ".join(columns) + " |"
        sep = "|" + "|".join("---" for _ in columns) + "|"
        return "\n".join([head, sep] + ["| " + " | ".join(row) + " |" for row in cells]) + "\n"
    if fmt != "text":
        raise ValueError(f"fmt must be text, markdown, csv or json, got {fmt!r}")
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(r.get(c), (int, float)) for r in rows if r.get(c) is not None) for c in columns]
    line = lambda vals: "  ".join(v.rjust(w) if num else v.ljust(w)  # noqa: E731
                                  for v, w, num in zip(vals, widths, numeric)).rstrip()
    return "\n".join([line(columns), line(["-" * w for w in widths])] + [line(row) for row in cells]) + "\n"


def machine_info() -> dict:
    """CPU model, core count, Python/NumPy versions and BLAS, and the date: stated with every result."""
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    blas = None
    try:
        from threadpoolctl import threadpool_info

        blas = [{k: i.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
                for i in threadpool_info() if i.get("user_api") == "blas"]
    except ImportError:
        pass
    return {
        "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
        "blas": blas, "date": _dt.date.today().isoformat(),
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
    }
