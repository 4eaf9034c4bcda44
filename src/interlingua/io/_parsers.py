"""One row parser per input format: turn lines or Parquet batches into raw rows.

Parsers know their format's syntax and its error messages (missing column, JSON syntax,
wrong value type); the checks every format shares (empty text, ids, duplicates) live in
:mod:`._reader`, once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from ..errors import InputError
from ._lines import iter_lines
from ._records import Span


@dataclass(frozen=True)
class Fields:
    """Which field or column holds the text, the id and the language."""

    text: str
    id: str | None
    lang: str | None
    #: TSV without a header: the column names, in order
    columns: tuple[str, ...] = ()
    #: the language field was taken unasked: a row without it has no language (it is detected)
    lang_optional: bool = False


class RawRow(NamedTuple):
    """A parsed row before the shared checks. ``text`` is None for a blank line."""

    line: int
    text: str | None
    id: str | None
    lang: str | None
    meta: dict[str, Any]


#: ``parser(path, fields, max_chars)``; the built-in ones also take ``span=`` (a shard of the file)
Parser = Callable[[Path, Fields, int], Iterator[RawRow]]


def lines_of(f: BinaryIO, path: Path, max_chars: int, span: Span | None) -> Iterator[tuple[int, str]]:
    """The numbered lines of ``f``, or of the part of it ``span`` names (seeking there first)."""
    if span is None:
        return iter_lines(f, path, max_chars)
    f.seek(span.start)
    return iter_lines(f, path, max_chars, first=span.line, stop=span.stop)


def parse_txt(path: Path, fields: Fields, max_chars: int, *, span: Span | None = None) -> Iterator[RawRow]:
    """One text a line; the line number is the id."""
    with open(path, "rb") as f:
        for number, text in lines_of(f, path, max_chars, span):
            yield RawRow(number, text if text.strip() else None, None, None, {})


def parse_tsv(path: Path, fields: Fields, max_chars: int, *, span: Span | None = None) -> Iterator[RawRow]:
    """Tab-separated values with a header row (or the column names given as ``fields.columns``);
    no quoting (tabs cannot occur in fields). A shard past line 1 still takes line 1's header."""
    with open(path, "rb") as f:
        if fields.columns:
            lines = lines_of(f, path, max_chars, span)
            header = list(fields.columns)
            _require(path, fields, header, "column", "columns", "as given by --columns")
        else:
            if span is None or span.start == 0:
                lines = lines_of(f, path, max_chars, span)
                first = next(lines, None)
            else:
                first = next(iter_lines(f, path, max_chars), None)
                lines = lines_of(f, path, max_chars, span)
            header = _tsv_header(path, first)
            _require(
                path,
                fields,
                header,
                "column",
                "columns",
                "line 1 is the header row; --columns names headerless TSV",
            )
        position = {name: i for i, name in enumerate(header)}
        rest = [name for name in header if name not in (fields.text, fields.id, fields.lang)]
        for number, text in lines:
            if not text.strip():
                yield RawRow(number, None, None, None, {})
                continue
            values = text.split("\t")
            if len(values) != len(header):
                raise InputError(
                    f"the line has {len(values)} tab-separated fields but "
                    + (
                        f"--columns names {len(header)}"
                        if fields.columns
                        else f"the header has {len(header)} columns"
                    )
                    + f" ({', '.join(header)})",
                    path=str(path),
                    line=number,
                )
            ident = values[position[fields.id]] if fields.id else None
            lang = values[position[fields.lang]] if fields.lang else None
            meta = {name: values[position[name]] for name in rest}
            yield RawRow(number, values[position[fields.text]], ident, lang or None, meta)


def _tsv_header(path: Path, first: tuple[int, str] | None) -> list[str]:
    if first is None or not first[1].strip():
        raise InputError(
            "a TSV file needs a header row naming its columns, and line 1 is empty", path=str(path), line=1
        )
    names = [name.strip() for name in first[1].split("\t")]
    for i, name in enumerate(names, 1):
        if not name:
            raise InputError(f"column {i} of the header row has no name", path=str(path), line=1)
        if name in names[: i - 1]:
            raise InputError(f"the header row names column {name!r} twice", path=str(path), line=1)
    return names


def json_line(text: str, path: Path, number: int) -> Any:
    """One line of a JSON Lines file, or the error naming its line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"the line is not valid JSON: {exc.msg} (column {exc.colno})", path=str(path), line=number
        ) from None


def parse_jsonl(path: Path, fields: Fields, max_chars: int, *, span: Span | None = None) -> Iterator[RawRow]:
    """One JSON object a line; fields other than text, id and language go to ``meta``."""
    with open(path, "rb") as f:
        for number, text in lines_of(f, path, max_chars, span):
            if not text.strip():
                yield RawRow(number, None, None, None, {})
                continue
            obj = json_line(text, path, number)
            if not isinstance(obj, dict):
                raise InputError(
                    f"the line holds {json_type(obj)}; each line must be a JSON object",
                    path=str(path),
                    line=number,
                )
            yield _jsonl_row(path, number, obj, fields)


def _jsonl_row(path: Path, number: int, obj: dict[str, Any], fields: Fields) -> RawRow:
    for name in (fields.text, fields.id, None if fields.lang_optional else fields.lang):
        if name is not None and name not in obj:
            known = ", ".join(map(repr, obj)) or "(none)"
            raise InputError(
                f"the line has no field {name!r}; its fields are: {known}", path=str(path), line=number
            )
    text = obj[fields.text]
    if text is not None and not isinstance(text, str):
        raise InputError(
            f"field {fields.text!r} is {json_type(text)}, not a string", path=str(path), line=number
        )
    ident = id_value(obj[fields.id], fields.id, path, number) if fields.id else None
    lang = obj.get(fields.lang) if fields.lang else None
    if lang is not None and not isinstance(lang, str):
        raise InputError(
            f"field {fields.lang!r} is {json_type(lang)}, not a string or null", path=str(path), line=number
        )
    used = (fields.text, fields.id, fields.lang)
    meta = {key: value for key, value in obj.items() if key not in used}
    return RawRow(number, "" if text is None else text, ident, lang or None, meta)


def id_value(value: Any, name: str, path: Path, number: int, unit: str = "line") -> str:
    """Ids may be strings or integers (as many datasets number their items); nothing else."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    message = f"{'field' if unit == 'line' else 'column'} {name!r} is {json_type(value)}; an id must be a string or an integer"
    if unit == "line":
        raise InputError(message, path=str(path), line=number)
    raise row_error(path, number, message)


def row_error(path: Path, row: int, message: str) -> InputError:
    """An error about a Parquet row: the message says "row", and ``.line`` still holds its number."""
    error = InputError(f"row {row}: {message}", path=str(path))
    error.line = row
    return error


def json_type(value: Any) -> str:
    """Name a value's type as JSON calls it, for messages about JSON input."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _require(path: Path, fields: Fields, available: list[str], kind: str, kinds: str, note: str) -> None:
    """Fail if a named field is not among ``available``, listing the ones that are."""
    for role, name in (("text_field", fields.text), ("id_field", fields.id), ("lang_field", fields.lang)):
        if name is not None and name not in available:
            raise InputError(
                f"has no {kind} {name!r} ({role}); the {kinds} are: {', '.join(available)} ({note})",
                path=str(path),
            )
