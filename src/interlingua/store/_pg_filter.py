"""Language and metadata filters as SQL over a PostgreSQL collection's ``docs`` table.

The same conditions as the embedded backend's ``_filter_sql.where_clause`` (a language matches
itself and its regional tags; metadata fields the collection has seen; =, !=, <, <=, >, >=, and
lists for "any of"), with jsonb operators in place of ``json_extract``. Field names travel as
bound parameters (``meta -> %s``), like every value. An ordering comparison only holds between
values of one JSON type (a number against a number), as SQLite's would.

:func:`select` returns a :class:`Selection`: the keys (what the protocol promises) carrying the
predicate that chose them, so a search can filter inside PostgreSQL instead of shipping a large
array of keys back to the server.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from ._filter_sql import _FIELD, OPS, Condition, _sql_value

_JSON_TYPE = {bool: "boolean", int: "number", float: "number", str: "string"}


class Selection(np.ndarray):
    """Keys that passed a filter, with the SQL predicate (and its parameters) that selected them.

    Only the array :func:`select` made carries them: a slice, a sorted copy or an intersection is
    a plain set of keys again (``predicate`` None), searched as such."""

    predicate: Any = None
    params: tuple = ()
    owner: Any = None

    def __array_finalize__(self, obj: Any) -> None:
        self.predicate, self.params, self.owner = None, (), None


def selection(keys: np.ndarray, predicate: Any, params: Sequence[Any], owner: Any) -> Selection:
    out = np.asarray(keys, dtype=np.int64).view(Selection)
    out.predicate, out.params, out.owner = predicate, tuple(params), owner
    return out


def where(
    *,
    include_langs: Sequence[str] | None,
    exclude_langs: Sequence[str] | None,
    conditions: Sequence[Condition],
    known_fields: Collection[str],
) -> tuple[Any, list[Any]]:
    """(an SQL predicate, its parameters) for ``docs``."""
    from psycopg import sql

    parts: list[Any] = []
    args: list[Any] = []
    lang = sql.SQL("(lang = %s OR (lang >= %s AND lang < %s))")
    if include_langs is not None:
        if include_langs:
            parts.append(sql.SQL("({})").format(sql.SQL(" OR ").join([lang] * len(include_langs))))
            for code in include_langs:
                args += _lang_args(code)
        else:
            parts.append(sql.SQL("false"))
    for code in exclude_langs or ():
        parts.append(sql.SQL("NOT {}").format(lang))
        args += _lang_args(code)
    for c in conditions:
        if c.field not in known_fields or not _FIELD.match(c.field):
            raise InputError(
                f"Unknown filter field {c.field!r}. The collection's metadata fields are: "
                f"{', '.join(sorted(known_fields)) or '(none)'}; also 'lang' via the language filter."
            )
        if isinstance(c.value, (list, tuple)):
            values = [_checked(v) for v in c.value]
            test = sql.SQL("(meta -> %s) = ANY(%s::jsonb[])")
            parts.append(sql.SQL("NOT {}").format(test) if c.op == "!=" else test)
            args += [c.field, [json.dumps(v, ensure_ascii=False) for v in values if v is not None]]
            continue
        if c.op not in OPS:
            raise InputError(f"Unknown filter operator {c.op!r}; use one of {', '.join(OPS)}.")
        value = _checked(c.value)
        if value is None:  # SQLite's ``x = NULL`` holds for no row; so here
            parts.append(sql.SQL("false"))
            continue
        if c.op in ("=", "!="):
            parts.append(sql.SQL("(meta -> %s) {} %s::jsonb").format(sql.SQL(OPS[c.op])))
            args += [c.field, json.dumps(value, ensure_ascii=False)]
        else:
            parts.append(
                sql.SQL("(jsonb_typeof(meta -> %s) = %s AND (meta -> %s) {} %s::jsonb)").format(
                    sql.SQL(OPS[c.op])
                )
            )
            args += [c.field, _JSON_TYPE[type(value)], c.field, json.dumps(value, ensure_ascii=False)]
    if not parts:
        return sql.SQL("true"), []
    return sql.SQL(" AND ").join(parts), args


def _lang_args(code: str) -> list[str]:
    """A tag and the range of its regional tags (``zh-`` up to ``zh.``, the next byte after '-')."""
    return [code, f"{code}-", f"{code}."]


def _checked(value: Any) -> Any:
    _sql_value(value)  # the embedded backend's checks: finite numbers, no lone surrogates, scalars
    return value


def keys_predicate(allowed: np.ndarray | None, owner: Any) -> tuple[Any, list[Any]] | None:
    """The predicate a search filters by: the selection's own, or ``key = ANY(keys)``; None: no filter."""
    from psycopg import sql

    if allowed is None:
        return None
    if isinstance(allowed, Selection) and allowed.predicate is not None and allowed.owner == owner:
        return allowed.predicate, list(allowed.params)
    return sql.SQL("key = ANY(%s::bigint[])"), [np.asarray(allowed, np.int64).tolist()]


__all__ = ["Selection", "keys_predicate", "selection", "where"]
