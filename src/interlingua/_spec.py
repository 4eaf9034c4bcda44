"""The spec base: a job's options as one frozen dataclass, with nested groups.

A field declares its rules once (:func:`param`); :meth:`Spec.validate` checks the whole tree
once, at the entry of a stage's ``run``, with messages naming the caller and the dotted
parameter ("The 'knn.k' parameter of mine() ..."). A spec round-trips through plain data
(``to_dict`` / ``from_dict``, unknown keys refused), TOML and JSON files and ``--set a.b=value``
overrides; ``fingerprint()`` hashes it without its transient fields (workers, progress), so
work folders and shard outputs are named by what the job computes, not how (stopes' cache_key).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

from ._config_files import dump_toml, read_config_file
from ._validation import Rule, check
from .errors import SpecError

S = TypeVar("S", bound="Spec")
_MISSING = dataclasses.MISSING


#: the default of a field that has none: the spec needs it (``param(REQUIRED, ...)``)
REQUIRED: Any = _MISSING


def param(
    default: Any = _MISSING, *rules: Rule, help: str = "", transient: bool = False, factory=None
) -> Any:
    """A spec field with its rules and a line of help (shown by the CLI and the HTTP schema).

    ``transient`` fields (worker counts, ...) change how a job runs, not what it computes: they
    are left out of :meth:`Spec.fingerprint`.
    """
    meta = {"rules": tuple(rules), "help": help, "transient": transient}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple, or factory=, for a mutable default")
    return dataclasses.field(default=default, metadata=meta)


def group(cls: type[Spec], help: str = "") -> Any:
    """A nested option group (``knn``, ``margin``, ``input``): a Spec of its own, defaulted."""
    return dataclasses.field(default_factory=cls, metadata={"rules": (), "help": help, "transient": False})


class Spec:
    """Base of every job spec and option group. Subclasses are ``@dataclass(frozen=True)``."""

    #: how messages name the entry that validates this spec, e.g. "mine()"
    caller: ClassVar[str] = ""

    # -- checking -------------------------------------------------------------------------------
    def validate(self, caller: str | None = None, prefix: str = "") -> Self:
        """Check every field's rules (and :meth:`check_fields`), recursively; return self."""
        who = caller or self.caller or f"{type(self).__name__}"
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            name = prefix + f.name
            if isinstance(value, Spec):
                value.validate(who, name + ".")
            elif isinstance(value, tuple) and value and all(isinstance(v, Spec) for v in value):
                for i, v in enumerate(value):
                    v.validate(who, f"{name}[{i}].")
            elif f.metadata.get("rules"):
                check(value, f.metadata["rules"], name, who)
        self.check_fields(who, prefix)
        return self

    def check_fields(self, caller: str, prefix: str) -> None:
        """Rules across fields; override and raise :class:`SpecError` naming ``prefix + field``."""

    def fail(self, name: str, rule: str, caller: str, prefix: str = "") -> SpecError:
        value = getattr(self, name, None)
        return SpecError(
            f"The {prefix + name!r} parameter of {caller} {rule}. Got {value!r} instead.", field=prefix + name
        )

    # -- plain data -----------------------------------------------------------------------------
    def to_dict(self, *, transient: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if not transient and f.metadata.get("transient"):
                continue
            out[f.name] = _plain(getattr(self, f.name), transient)
        return out

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "") -> Self:
        """Build from plain data; unknown keys and missing required ones are refused by name."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            raise SpecError(f"{_at(where)}must be a table of options. Got {type(data).__name__} instead.")
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise SpecError(
                f"{_at(where)}unknown option(s) {', '.join(repr(where + u) for u in unknown)} for {cls.__name__}; "
                f"known: {', '.join(where + n for n in fields)}.",
                field=where + unknown[0],
            )
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for name, f in fields.items():
            if name in data:
                values[name] = _coerce(data[name], hints[name], where + name)
            elif f.default is _MISSING and f.default_factory is _MISSING:
                raise SpecError(
                    f"{cls.__name__} needs {where + name!r}: {f.metadata.get('help', '')}".rstrip(": "),
                    field=where + name,
                )
        return cls(**values)

    @classmethod
    def load(cls, path: str | Path, **overrides: Any) -> Self:
        """Read a spec from a TOML or JSON file (``--config``); ``overrides`` are dotted keys."""
        data = read_config_file(path)
        spec = cls.from_dict(data)
        return spec.with_values(overrides) if overrides else spec

    # -- changing -------------------------------------------------------------------------------
    def with_values(self, values: dict[str, Any]) -> Self:
        """A copy with dotted keys set (``{"knn.k": 8}``); None values are skipped (flags not given)."""
        data = self.to_dict()
        for key, value in values.items():
            if value is None:
                continue
            _hint_at(type(self), key.split("."))  # refuses unknown keys with the known ones
            set_dotted(data, key, value.to_dict() if isinstance(value, Spec) else value)
        return type(self).from_dict(data)

    def with_overrides(self, items: Iterable[str]) -> Self:
        """``--set a.b=value`` overrides; values are read for the field's type (JSON where it parses)."""
        return type(self).from_dict(type(self).apply_overrides(self.to_dict(), items))

    @classmethod
    def apply_overrides(cls, data: dict[str, Any], items: Iterable[str]) -> dict[str, Any]:
        """Set ``--set a.b=value`` items into plain data (unknown keys refused, values typed)."""
        for item in items:
            key, sep, raw = item.partition("=")
            key = key.strip()
            if not sep or not key:
                raise SpecError(f"The '--set' option takes key=value (e.g. knn.k=8). Got {item!r} instead.")
            hint = _hint_at(cls, key.split("."))  # refuses unknown keys with the known ones
            set_dotted(data, key, _parse_raw(raw.strip(), hint, key))
        return data

    def with_flat(self, options: dict[str, Any], *, aliases: dict[str, str] | None = None) -> Self:
        """Keyword arguments of a Python wrapper onto the spec: a field name of the spec or of one of
        its groups (when unique; a top-level field wins), a dotted path, or an alias."""
        table = _leaf_paths(type(self))
        values: dict[str, Any] = {}
        for key, value in options.items():
            path = (aliases or {}).get(key, key)
            if "." not in path:
                found = table.get(path, [])
                if len(found) != 1:
                    why = f"ambiguous ({', '.join(found)})" if found else "unknown"
                    raise SpecError(
                        f"The {key!r} option of {self.caller or type(self).__name__} is {why}; "
                        f"known: {', '.join(sorted(table))}.",
                        field=key,
                    )
                path = found[0]
            values[path] = tuple(value) if isinstance(value, list) else value
        return self.with_values(values) if values else self

    def replace(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    # -- identity -------------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """A hash of what the job computes (transient fields left out), for naming work and outputs."""
        blob = json.dumps([type(self).__name__, self.to_dict(transient=False)], sort_keys=True, default=str)
        return hashlib.blake2b(blob.encode(), digest_size=8).hexdigest()

    def to_toml(self) -> str:
        """The filled spec as TOML (None values are left out: they are the defaults)."""
        return dump_toml(self.to_dict())

    @classmethod
    def field_help(cls, dotted: str) -> tuple[str, Any]:
        """(help, default) of a dotted field, for the CLI's flag help."""
        owner: Any = cls
        parts = dotted.split(".")
        for p in parts[:-1]:
            owner = _hints(owner)[p]
        f = {f.name: f for f in dataclasses.fields(owner)}[parts[-1]]
        default = (
            f.default
            if f.default is not _MISSING
            else (f.default_factory() if f.default_factory is not _MISSING else None)
        )
        return f.metadata.get("help", ""), default


# -- helpers -------------------------------------------------------------------------------------
def _at(where: str) -> str:
    return f"{where.rstrip('.')}: " if where else ""


def _plain(value: Any, transient: bool) -> Any:
    if isinstance(value, Spec):
        return value.to_dict(transient=transient)
    if isinstance(value, tuple | list):
        return [_plain(v, transient) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, transient) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _hint_at(cls: type, parts: list[str]) -> Any:
    hint: Any = cls
    for i, p in enumerate(parts):
        base = strip_none(hint)
        if base is dict or typing.get_origin(base) is dict:
            return Any  # a free table of options (an encoder's): any key, the value read as JSON
        names = (
            [f.name for f in dataclasses.fields(base)]
            if isinstance(base, type) and issubclass(base, Spec)
            else []
        )
        if p not in names:
            known = ", ".join(names) or "(none)"
            where = ".".join(parts[:i])
            raise SpecError(
                f"Unknown option {'.'.join(parts)!r}"
                + (f" ({where} has no {p!r})" if where else "")
                + f"; known: {known}.",
                field=".".join(parts),
            )
        hint = _hints(base)[p]
    return hint


def _leaf_paths(cls: type) -> dict[str, list[str]]:
    """Field name -> dotted paths where it occurs; a top-level field shadows group fields."""
    table: dict[str, list[str]] = {}

    def walk(c: type, prefix: str) -> None:
        hints = _hints(c)
        for f in dataclasses.fields(c):
            hint = strip_none(hints[f.name])
            if isinstance(hint, type) and issubclass(hint, Spec):
                walk(hint, prefix + f.name + ".")
            table.setdefault(f.name, []).append(prefix + f.name)

    walk(cls, "")
    return {k: ([p for p in v if "." not in p] or v) for k, v in table.items()}


def set_dotted(data: dict[str, Any], key: str, value: Any, *, where: str = "") -> None:
    """Set the dotted ``key`` (``knn.k``) in nested plain data, making the groups on the way;
    ``where`` ends the message when a part of the path holds a value, not a group."""
    parts = key.split(".")
    node = data
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise SpecError(f"Cannot set {key!r}: {p!r} is not a group of options{where}.")
    node[parts[-1]] = value


def strip_none(hint: Any) -> Any:
    """``X`` of an ``X | None`` hint (the hint itself otherwise)."""
    args = typing.get_args(hint)
    if _is_union(hint) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0] if len(rest) == 1 else hint
    return hint


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Plain data (JSON / TOML) to the field's type where that is unambiguous; rules check the rest."""
    if value is None:
        return None
    base = strip_none(hint)
    if isinstance(base, type) and issubclass(base, Spec):
        return base.from_dict(value, where=where + ".")
    origin = typing.get_origin(base)
    if origin is tuple and isinstance(value, (list, tuple)):
        args = typing.get_args(base)
        item = args[0] if args and (len(args) == 2 and args[1] is Ellipsis or len(set(args)) == 1) else Any
        return tuple(_coerce(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    if base is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if base is str and isinstance(value, Path):
        return str(value)
    return value


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _parse_raw(raw: str, hint: Any, key: str) -> Any:
    """A ``--set`` value as the field's type: strings as given, booleans by word, lists by comma."""
    optional = _is_union(hint) and type(None) in typing.get_args(hint)
    base = strip_none(hint)
    if optional and raw.lower() in ("null", "none", ""):
        return None
    if base is str:
        return raw
    if base is bool:
        if raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise SpecError(f"The {key!r} option takes true or false. Got {raw!r} instead.", field=key)
    if typing.get_origin(base) is tuple and not raw.startswith("["):
        args = typing.get_args(base)
        item = args[0] if args else str
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        return [p if item is str else _json_or_raw(p) for p in parts]
    return _json_or_raw(raw)


def _json_or_raw(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        lowered = raw.lower()
        if lowered in ("nan", "inf", "+inf", "-inf", "infinity", "-infinity"):
            return float(lowered.replace("infinity", "inf"))
        return raw


__all__ = ["REQUIRED", "Spec", "dump_toml", "group", "param", "read_config_file", "set_dotted", "strip_none"]
