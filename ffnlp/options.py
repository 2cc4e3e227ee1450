"""One declarative table of options per task, from which configs, estimators and CLI flags are made.

An :class:`Option` says everything ffnlp knows about one setting: its name (scikit-learn's where it means the
same thing), kind, default, allowed values (choices, or a range with open or closed ends, None or not), help,
its CLI flag, and the old names it had (keywords and flags, still accepted). An :class:`Options` table turns
a list of them into

* a frozen config dataclass (:meth:`Options.make_config`) with ``to_dict``/``to_json``/``from_dict``/
  ``from_json``/``replace``, validated on construction, that takes old names anywhere a name is taken
  (constructor, ``from_dict``, ``replace``) and reads them as attributes;
* an estimator's ``__init__`` (:meth:`Options.make_init`), whose ``__signature__`` is what scikit-learn's
  ``get_params`` reads;
* argparse flags (:meth:`Options.add_arguments`, :meth:`Options.values_from_args`, :meth:`Options.flags`).

Errors are :class:`~ffnlp.errors.ConfigError`: in Python they name the keyword the caller wrote (an old name
if that is what was written), and on the CLI the flag the user typed. A leaf module: it imports nothing from
ffnlp but the errors.
"""
from __future__ import annotations

import argparse
import dataclasses
import difflib
import inspect
import json
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ffnlp.errors import ConfigError

__all__ = ["Option", "Options", "UnknownOptionError", "PRESET"]

#: ``add_arguments(defaults=PRESET)``: flags left out keep the preset's value (nothing is set for them).
PRESET = "preset"

_KINDS = ("int", "float", "str", "bool", "sizes", "seed", "object")
_ANNOTATIONS = {"int": "int", "float": "float", "str": "str", "bool": "bool", "sizes": "tuple[int, ...]",
                "seed": "int", "object": "object"}


class UnknownOptionError(ConfigError, TypeError):
    """A keyword (or stored field) no table knows; the message names the closest known one. A ``TypeError``
    as Python's own for an unexpected keyword, and a ``ValueError`` (``ConfigError``) as a bad setting."""


@dataclass(frozen=True)
class Option:
    """One setting of a task.

    Parameters
    ----------
    name : str
        The keyword (config field, estimator parameter).
    kind : {"int", "float", "str", "bool", "sizes", "seed", "object"}
        ``sizes`` is a tuple of positive ints (hidden layers; ``()`` for none); ``seed`` an int (or, where
        ``nullable``, None; in an estimator also a ``RandomState``); ``object`` is checked by ``check`` only.
    default
        The default value.
    help : str
        One line for ``--help``.
    choices : tuple or None
        The allowed values.
    low, high : float or None
        The range; ``low_open``/``high_open`` exclude the end (``(0, 1)``), else it is included.
    nullable : bool
        None is allowed too.
    auto : bool
        The string ``"auto"`` is allowed too: the estimator decides from the data (its help says how).
    flag : str or None
        The CLI flag (None: not on the command line). A ``bool`` gets ``--x`` and ``--no-x``.
    aliases : tuple of str
        Old keyword names, still accepted (constructor, ``from_dict``, ``replace``, attribute reads).
    flag_aliases : tuple of str
        Old flags, still accepted and hidden from ``--help``.
    check : callable or None
        ``check(value) -> str or None``: a rule a range cannot say; the string is the error's detail.
    cli_choices : tuple or None
        On the CLI only these (``--class-weight balanced``, where Python also takes a dict).
    metavar : str or None
    """

    name: str
    kind: str
    default: Any
    help: str = ""
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    nullable: bool = False
    auto: bool = False
    flag: str | None = None
    aliases: tuple = ()
    flag_aliases: tuple = ()
    check: Callable[[Any], str | None] | None = None
    cli_choices: tuple | None = None
    metavar: str | None = None

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"Option {self.name}: kind must be one of {', '.join(_KINDS)}, got {self.kind!r}")
        if self.flag is not None and not self.flag.startswith("--"):
            raise ValueError(f"Option {self.name}: flag must start with --, got {self.flag!r}")
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))

    def but(self, **changes) -> "Option":
        """A copy with ``changes`` (another task's default or help)."""
        return dataclasses.replace(self, **changes)

    # -- validation -------------------------------------------------------------------------------
    def range_text(self) -> str | None:
        """The allowed range in words (``in [0, 1)``, ``positive``, ``>= 5``), or None."""
        lo, hi = self.low, self.high
        if lo is None and hi is None:
            return None
        if hi is None:
            if lo == 0 and self.low_open:
                return "a positive number" if self.kind == "float" else "positive"
            if lo == 1 and self.kind in ("int", "seed") and not self.low_open:
                return "positive"
            return f"> {lo:g}" if self.low_open else f">= {lo:g}"
        if lo is None:
            return f"< {hi:g}" if self.high_open else f"<= {hi:g}"
        return f"in {'(' if self.low_open else '['}{lo:g}, {hi:g}{')' if self.high_open else ']'}"

    def problem(self, value) -> str | None:
        """Why ``value`` is not allowed (the detail of the error), or None when it is."""
        if value is None:
            return None if self.nullable else f"must not be None{self._expected()}"
        if self.auto and isinstance(value, str) and value == "auto":
            return None
        kind = self.kind
        if kind == "bool":
            if not _is_bool(value):
                return f"must be True or False{self._none()}, got {value!r}"
        elif kind in ("int", "seed"):
            if kind == "seed" and type(value).__name__ in ("RandomState", "Generator"):
                return None
            if not _is_int(value):
                return f"must be an integer{self._none()}, got {value!r}"
        elif kind == "float":
            if _is_bool(value) or not isinstance(value, numbers.Real):
                return f"must be a number{self._none()}, got {value!r}"
            if not math.isfinite(float(value)):
                return f"must be {self.range_text() or 'a finite number'}{self._none()}, got {value}"
        elif kind == "str":
            if not isinstance(value, str):
                return f"must be a string, got {value!r}"
        elif kind == "sizes":
            sizes = (value,) if _is_int(value) else value
            try:
                ok = all(_is_int(s) and int(s) > 0 for s in sizes)
            except TypeError:
                ok = False
            if not ok:
                shown = list(value) if isinstance(value, (tuple, list)) else value
                return f"must be positive integers (layer sizes), got {shown}"
        if self.choices is not None and value not in self.choices:
            return f"must be one of {', '.join(map(str, self.choices))}{self._none()}, got {value!r}"
        if (self.low is not None or self.high is not None) and kind in ("int", "float", "seed"):
            v = float(value)
            below = self.low is not None and (v <= self.low if self.low_open else v < self.low)
            above = self.high is not None and (v >= self.high if self.high_open else v > self.high)
            if below or above:
                return f"must be {self.range_text()}{self._none()}, got {value}"
        if self.check is not None:
            return self.check(value)
        return None

    def _none(self) -> str:
        return (" or None" if self.nullable else "") + (" or 'auto'" if self.auto else "")

    def _expected(self) -> str:
        auto = " or 'auto'" if self.auto else ""
        if self.choices is not None:
            return f" (one of {', '.join(map(str, self.choices))}{auto})"
        r = self.range_text()
        return f" (expected {r}{auto})" if r else (f" (or 'auto')" if auto else "")

    # -- CLI --------------------------------------------------------------------------------------
    def parse(self, text: str):
        """argparse ``type``: the flag's text as a value of this kind."""
        if self.nullable and text.strip().lower() in ("none", "null"):
            return None
        if self.auto and text.strip().lower() == "auto":
            return "auto"
        if self.kind in ("int", "seed"):
            try:
                return int(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if self.kind == "float":
            try:
                return float(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if self.kind == "sizes":
            if text.strip().lower() in ("", "0", "none"):
                return ()
            try:
                sizes = tuple(int(t) for t in text.split(",") if t.strip())
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}") \
                    from None
            if any(s <= 0 for s in sizes):
                raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}")
            return sizes
        return text


def _is_bool(v) -> bool:
    return isinstance(v, bool) or (type(v).__module__ == "numpy" and type(v).__name__ in ("bool", "bool_"))


def _is_int(v) -> bool:
    if _is_bool(v):
        return False
    return isinstance(v, numbers.Integral) or (isinstance(v, float) and v.is_integer())


# ------------------------------------------------------------------------------------ argparse actions
def _record(namespace, dest, option_string):
    """Remember which flag set ``dest`` (errors name the one the user typed)."""
    flags = dict(getattr(namespace, "_option_flags", None) or {})
    flags[dest] = option_string
    namespace._option_flags = flags


class _Store(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        _record(namespace, self.dest, option_string)


class _Bool(argparse.BooleanOptionalAction):
    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, values, option_string)
        _record(namespace, self.dest, option_string)


class _Const(argparse.Action):
    """A hidden old bool flag (``--halve-lr`` style): sets ``const``."""

    def __init__(self, option_strings, dest, const=True, **kw):
        super().__init__(option_strings, dest, nargs=0, const=const, **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, self.const)
        _record(namespace, self.dest, option_string)


# ---------------------------------------------------------------------------------------------- table
class Options:
    """An ordered table of :class:`Option`, one per setting of a task."""

    def __init__(self, options: Iterable[Option], *, dest_prefix: str = "opt_"):
        self._options = {}
        for o in options:
            if o.name in self._options:
                raise ValueError(f"option {o.name} is listed twice")
            self._options[o.name] = o
        self._aliases = {}
        for o in self:
            for a in o.aliases:
                if a in self._options or a in self._aliases:
                    raise ValueError(f"alias {a} of {o.name} is taken")
                self._aliases[a] = o.name
        flags = [f for o in self for f in ((o.flag,) if o.flag else ()) + tuple(o.flag_aliases)]
        if len(flags) != len(set(flags)):
            raise ValueError(f"a flag is listed twice: {sorted(f for f in flags if flags.count(f) > 1)}")
        self.dest_prefix = dest_prefix

    def __iter__(self):
        return iter(self._options.values())

    def __len__(self):
        return len(self._options)

    def __contains__(self, name):
        return name in self._options

    def __getitem__(self, name) -> Option:
        return self._options[name]

    @property
    def names(self) -> list[str]:
        return list(self._options)

    @property
    def aliases(self) -> dict[str, str]:
        """Old keyword -> its name now."""
        return dict(self._aliases)

    def select(self, names: Iterable[str] | None = None, **changes: dict) -> "Options":
        """A table of ``names`` (all by default), each changed by ``changes[name]`` (a dict for
        :meth:`Option.but`)."""
        names = list(self._options) if names is None else list(names)
        return Options([self[n].but(**changes.get(n, {})) for n in names], dest_prefix=self.dest_prefix)

    def defaults(self) -> dict:
        return {o.name: o.default for o in self}

    # -- names ------------------------------------------------------------------------------------
    def closest(self, name: str) -> str | None:
        match = difflib.get_close_matches(name, list(self._options) + list(self._aliases), n=1, cutoff=0.5)
        if not match:
            return None
        return self._aliases.get(match[0], match[0])

    def canonical(self, values: dict, *, owner: str = "") -> tuple[dict, dict]:
        """``values`` with old names mapped to today's; also returns {name: the keyword written} for those
        written another way. Unknown names are refused, naming the closest known one."""
        out, spelled = {}, {}
        for key, value in values.items():
            name = key if key in self._options else self._aliases.get(key)
            if name is None:
                near = self.closest(key)
                hint = f"; did you mean {near!r}?" if near else ""
                raise UnknownOptionError(key, f"is not a setting of {owner or 'this task'}{hint}",
                                         prefix=f"{owner}: " if owner else "")
            if name in out:
                other = spelled.get(name, name) if key != spelled.get(name, name) else name
                raise ConfigError(name, f"is given twice ({other} and {key}, an old name of {name})",
                                  prefix=f"{owner}: " if owner else "")
            out[name] = value
            if key != name:
                spelled[name] = key
        return out, spelled

    # -- validation -------------------------------------------------------------------------------
    def validate(self, values: dict, *, owner: str = "", spelled: dict | None = None,
                 checks: Iterable[Callable[[dict], tuple[str, str] | None]] = ()) -> None:
        """Raise :class:`~ffnlp.errors.ConfigError` for the first value not allowed, naming the keyword
        written (``spelled``: name -> the old name used). ``checks`` are rules across fields: each returns
        ``(field, detail)`` or None."""
        spelled = spelled or {}
        prefix = f"{owner}: " if owner else ""
        for o in self:
            if o.name not in values:
                continue
            detail = o.problem(values[o.name])
            if detail is not None:
                raise ConfigError(o.name, detail, prefix=prefix, keyword=spelled.get(o.name, o.name))
        for rule in checks:
            found = rule(values)
            if found is not None:
                field, detail = found
                raise ConfigError(field, detail, prefix=prefix, keyword=spelled.get(field, field))

    # -- estimators -------------------------------------------------------------------------------
    def signature(self, *, extra: Iterable[Option] = (), positional: int = 0) -> inspect.Signature:
        """``(self, <options>)`` with their defaults: the first ``positional`` positional-or-keyword, the
        rest keyword-only (what scikit-learn's ``get_params`` reads)."""
        params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        for i, o in enumerate([*self, *extra]):
            kind = inspect.Parameter.POSITIONAL_OR_KEYWORD if i < positional else inspect.Parameter.KEYWORD_ONLY
            params.append(inspect.Parameter(o.name, kind, default=o.default))
        return inspect.Signature(params)

    def make_init(self, owner: str, *, extra: Iterable[Option] = (), positional: int = 0):
        """An estimator's ``__init__``: it only assigns (scikit-learn's rule), old names mapped; its
        ``__signature__`` lists every option with its default."""
        extra = tuple(extra)
        table = Options([*self, *extra], dest_prefix=self.dest_prefix)
        sig = self.signature(extra=extra, positional=positional)

        def __init__(self, *args, **kwargs):
            mapped, _ = table.canonical(kwargs, owner=owner)
            try:
                bound = sig.bind(self, *args, **mapped)
            except TypeError as exc:
                raise TypeError(f"{owner}: {exc}") from None
            bound.apply_defaults()
            for name, value in list(bound.arguments.items())[1:]:
                setattr(self, name, value)

        __init__.__signature__ = sig
        __init__.__qualname__ = f"{owner}.__init__"
        __init__.__doc__ = f"Set the parameters of {owner} (see the class docstring); nothing else."
        return __init__

    # -- configs ----------------------------------------------------------------------------------
    def make_config(self, name: str, doc: str, *, module: str = "ffnlp.config", namespace: dict | None = None,
                    checks: Iterable[Callable[[dict], tuple[str, str] | None]] = ()):
        """A frozen dataclass with one field per option (see the module docstring)."""
        table, checks = self, tuple(checks)
        fields = [(o.name, _ANNOTATIONS[o.kind], dataclasses.field(default=o.default)) for o in self]

        def __post_init__(cfg):
            table.validate({f: getattr(cfg, f) for f in table.names}, owner=name,
                           spelled=getattr(cfg, "_spelled", None), checks=checks)

        ns = {"__post_init__": __post_init__, "options": table, **(namespace or {})}
        cls = dataclasses.make_dataclass(name, fields, bases=(_ConfigBase,), namespace=ns, frozen=True)
        cls.__module__, cls.__qualname__ = module, name
        dc_init = cls.__init__

        def __init__(cfg, *args, _spelled=None, **kwargs):
            if len(args) > len(table):
                raise TypeError(f"{name} takes at most {len(table)} settings, got {len(args)} positional")
            values, spelled = table.canonical({**dict(zip(table.names, args)), **kwargs}, owner=name)
            for key, value in values.items():
                if table[key].kind == "sizes" and isinstance(value, list):
                    values[key] = tuple(value)
            object.__setattr__(cfg, "_spelled", {**(_spelled or {}), **spelled})
            dc_init(cfg, **values)

        __init__.__signature__ = self.signature()
        __init__.__qualname__ = f"{name}.__init__"
        cls.__init__ = __init__
        for old, new in table.aliases.items():
            setattr(cls, old, property(lambda cfg, _n=new: getattr(cfg, _n), doc=f"Old name of ``{new}``."))
        cls.__doc__ = doc.rstrip() + "\n\n" + table.describe()
        return cls

    def describe(self) -> str:
        """A numpydoc ``Parameters`` section from the table (each option's kind, default, range, help)."""
        lines = ["Parameters", "----------"]
        for o in self:
            allowed = f"{{{', '.join(map(repr, o.choices))}}}" if o.choices else _ANNOTATIONS[o.kind]
            lines.append(f"{o.name} : {allowed}{' or None' if o.nullable else ''}, default={o.default!r}")
            more = [o.help] if o.help else []
            if o.range_text():
                more.append(f"Must be {o.range_text()}.")
            if o.flag:
                more.append(f"CLI: ``{o.flag}``.")
            if o.aliases:
                more.append(f"Old name{'s' if len(o.aliases) > 1 else ''}: {', '.join(o.aliases)}.")
            lines.append("    " + " ".join(more))
        return "\n".join(lines)

    # -- CLI --------------------------------------------------------------------------------------
    def dest(self, name: str) -> str:
        return self.dest_prefix + name

    def add_arguments(self, parser, names: Iterable[str] | None = None, defaults=None) -> None:
        """Add the flags of ``names`` (default: every option with a flag) to ``parser``.

        ``defaults``: None (the table's), a dict of CLI defaults that differ from the table's, or
        :data:`PRESET` (nothing is set for a flag left out, so the preset's value stays; the help says so).
        Old flags work and are hidden from ``--help``.
        """
        chosen = [self[n] for n in names] if names is not None else [o for o in self if o.flag]
        for o in chosen:
            if o.flag is None:
                raise ValueError(f"option {o.name} has no flag")
            preset = isinstance(defaults, str) and defaults == PRESET
            default = argparse.SUPPRESS if preset else (defaults or {}).get(o.name, o.default)
            help = o.help
            if preset and "default" not in help:
                help += " (default: preset)"
            kw = dict(dest=self.dest(o.name), default=default, help=help)
            if o.kind == "bool":
                parser.add_argument(o.flag, action=_Bool, **kw)
                if o.flag_aliases:
                    parser.add_argument(*o.flag_aliases, action=_Const, const=True, dest=kw["dest"],
                                        default=argparse.SUPPRESS, help=argparse.SUPPRESS)
                continue
            kw.update(action=_Store, type=o.parse)
            choices = o.cli_choices or o.choices
            if choices is not None:
                kw["choices"] = list(choices) + ([None] if o.nullable and o.cli_choices is None else [])
                if o.kind != "str":
                    kw["type"] = str
            if o.metavar:
                kw["metavar"] = o.metavar
            elif choices is not None:
                kw["metavar"] = "{" + ",".join(map(str, choices)) + "}"
            else:
                kw["metavar"] = {"int": "N", "seed": "N", "float": "X", "sizes": "SIZES"}.get(o.kind, o.name.upper())
            parser.add_argument(o.flag, **kw)
            if o.flag_aliases:
                hidden = {**kw, "default": argparse.SUPPRESS, "help": argparse.SUPPRESS}
                parser.add_argument(*o.flag_aliases, **hidden)

    def values_from_args(self, ns) -> dict:
        """{name: value} of the options set on ``ns`` (by a flag, or as a CLI default)."""
        return {o.name: getattr(ns, self.dest(o.name)) for o in self if hasattr(ns, self.dest(o.name))}

    def flags(self, ns=None) -> dict:
        """{name: the flag the user typed}, or the option's flag where none was typed."""
        typed = dict(getattr(ns, "_option_flags", None) or {}) if ns is not None else {}
        out = {}
        for o in self:
            if o.flag:
                out[o.name] = typed.get(self.dest(o.name), o.flag)
        return out


class _ConfigBase:
    """What every config made by :meth:`Options.make_config` has besides its fields."""

    options: Options

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict):
        """From a dict (a model file's, a JSON file's): old names mapped, lists back to tuples, unknown
        names refused naming the closest."""
        return cls(**dict(data))

    @classmethod
    def from_json(cls, text: str):
        return cls.from_dict(json.loads(text))

    def replace(self, **changes):
        """A copy with ``changes`` (old names too), validated."""
        mapped, spelled = self.options.canonical(changes, owner=type(self).__name__)
        values = {f: getattr(self, f) for f in self.options.names}
        values.update(mapped)
        keep = {k: v for k, v in getattr(self, "_spelled", {}).items() if k not in mapped}
        return type(self)(**values, _spelled={**keep, **spelled})

    def __reduce__(self):
        return (_rebuild, (type(self), self.to_dict()))


def _rebuild(cls, values):
    return cls(**values)
