"""Filters given as strings (the CLI's ``--filter year>=2020``, ``--lang de,-en``) turned into
the store's conditions. The store checks field names against the collection's fields."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .._validation import surrogate_at
from ..errors import InputError
from ..store import Condition
from ..text import canonical_lang

_EXPR = re.compile(r"^\s*([\w.-]+)\s*(!=|>=|<=|=|<|>)\s*(.*?)\s*$", re.S)


def _text(value: str, what: str) -> str:
    at = surrogate_at(value)
    if at is not None:
        raise InputError(
            f"The {what} holds U+{ord(value[at]):04X} at column {at + 1}, a lone surrogate "
            "no UTF-8 text can hold (a mis-decoded argument); fix it"
        )
    return value


def parse_filter(expr: str) -> Condition:
    """``field=value``, ``field!=value``, ``field<value`` (and <=, >, >=); ``field=a|b`` is "in".

    Values are read as JSON when they parse (numbers, true/false), else taken as strings.
    """
    m = _EXPR.match(_text(expr, f"filter {expr!r}"))
    if not m:
        raise InputError(
            f"Cannot read the filter {expr!r}; write field=value, field!=value or field>=number "
            "(a|b for any of several values)."
        )
    field, op, raw = m.groups()
    if raw[:1] in ("<", ">", "=", "!"):
        raise InputError(
            f"Cannot read the filter {expr!r}: the value {raw!r} starts with an operator; write "
            "field=value, field!=value or field>=number."
        )
    values = [_value(v) for v in raw.split("|")]
    if len(values) > 1:
        if op not in ("=", "!="):
            raise InputError(f"The filter {expr!r} lists several values; only = and != take a list.")
        return Condition(field, op, values)
    return Condition(field, op, values[0])


def conditions_from(filters: Mapping[str, Any] | Iterable[str | Condition] | None) -> list[Condition]:
    """Accept ``{"field": value}`` (a list value means "any of"), strings or Conditions."""
    if filters is None:
        return []
    if isinstance(filters, Mapping):
        return [
            Condition(str(k), "=", list(v) if isinstance(v, (list, tuple, set)) else v)
            for k, v in filters.items()
        ]
    if isinstance(filters, str):
        return [parse_filter(filters)]
    return [f if isinstance(f, Condition) else parse_filter(f) for f in filters]


def split_langs(
    lang: str | Iterable[str] | None, exclude: Iterable[str] | None = None
) -> tuple[list[str] | None, list[str]]:
    """Include and exclude lists of canonical language tags; ``-xx`` in ``lang`` excludes xx."""
    items = [lang] if isinstance(lang, str) else list(lang or [])
    parts = [p.strip() for item in items for p in item.split(",") if p.strip()]
    include = [canonical_lang(p) for p in parts if not p.startswith("-")]
    excluded = [canonical_lang(p[1:]) for p in parts if p.startswith("-")]
    excluded += [canonical_lang(p) for p in (exclude or ())]
    return (include or None), excluded


def _value(raw: str) -> Any:
    try:
        v = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    if isinstance(v, float) and not math.isfinite(v):
        raise InputError(f"A filter value must be a finite number or a string. Got {raw!r} instead.")
    return v if isinstance(v, (int, float, str, bool)) else raw


__all__ = ["conditions_from", "parse_filter", "split_langs"]
