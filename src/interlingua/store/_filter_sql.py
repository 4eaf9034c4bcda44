"""Language and metadata filters as a SQL ``WHERE`` clause over the catalog's ``docs`` table.

Field names are checked against the fields the collection has seen and a strict pattern before
they reach the SQL text; every value travels as a bound parameter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from .._validation import surrogate_at
from ..errors import InputError

_FIELD = re.compile(r"^[\w.-]{1,128}$")
OPS = {"=": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True)
class Condition:
    """A metadata condition ``field op value`` (op one of =, !=, <, <=, >, >=; value a list for "in")."""

    field: str
    op: str
    value: Any


def where_clause(
    *,
    include_langs: Sequence[str] | None,
    exclude_langs: Sequence[str] | None,
    conditions: Sequence[Condition],
    known_fields: Collection[str],
) -> tuple[str, list[Any]]:
    """(`` WHERE ...`` or "", its parameters). A language matches itself and its regional tags
    (``zh`` matches ``zh-Hant``)."""
    where, args = [], []
    if include_langs is not None:
        where.append(f"({' OR '.join(['lang = ? OR lang LIKE ?'] * len(include_langs)) or '0'})")
        for lang in include_langs:
            args += [lang, f"{lang}-%"]
    for lang in exclude_langs or ():
        where.append("NOT (lang = ? OR lang LIKE ?)")
        args += [lang, f"{lang}-%"]
    for c in conditions:
        if c.field not in known_fields or not _FIELD.match(c.field):
            raise InputError(
                f"Unknown filter field {c.field!r}. The collection's metadata fields are: "
                f"{', '.join(sorted(known_fields)) or '(none)'}; also 'lang' via the language filter."
            )
        path = f"json_extract(meta, '$.\"{c.field}\"')"
        if isinstance(c.value, (list, tuple)):
            where.append(f"{path} {'NOT ' if c.op == '!=' else ''}IN ({','.join('?' * len(c.value))})")
            args += [_sql_value(v) for v in c.value]
        else:
            if c.op not in OPS:
                raise InputError(f"Unknown filter operator {c.op!r}; use one of {', '.join(OPS)}.")
            where.append(f"{path} {OPS[c.op]} ?")
            args.append(_sql_value(c.value))
    return (f" WHERE {' AND '.join(where)}" if where else ""), args


def _sql_value(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float) and not math.isfinite(v):
        raise InputError(f"A filter value must be a finite number. Got {v!r} instead.")
    if isinstance(v, str) and surrogate_at(v) is not None:
        raise InputError(f"The filter value {v!r} holds a lone surrogate no UTF-8 text can hold; fix it")
    if v is None or isinstance(v, (int, float, str)):
        return v
    raise InputError(f"A filter value must be a string, number or boolean. Got {type(v).__name__} instead.")
