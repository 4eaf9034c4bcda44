"""``read_records`` and ``count_records``: stream texts out of txt, TSV, JSONL and Parquet files.

Problems with the path (missing, a directory, empty, binary, unknown extension) are raised
when :func:`read_records` is called, so a command fails before it loads a model; problems
inside the file are raised while iterating, at the line where they are, since finding them
means reading that far.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

from .._validation import check_int
from ..errors import InputError
from ._formats import INPUT_EXTENSIONS, resolve_format
from ._lines import check_input_file, check_text_sample
from ._parquet_records import open_parquet, parse_parquet
from ._parsers import Fields, Parser, RawRow, parse_jsonl, parse_tsv, parse_txt, row_error
from ._records import ReadStats, Record

#: Format name -> row parser. The names are the values of ``INPUT_EXTENSIONS``.
PARSERS: dict[str, Parser] = {
    "txt": parse_txt,
    "tsv": parse_tsv,
    "jsonl": parse_jsonl,
    "parquet": parse_parquet,
}
# What a missing text is called in a message, per format ("field 'text'"); txt has no fields.
_FIELD_WORD = {"txt": None, "tsv": "column", "jsonl": "field", "parquet": "column"}


class RecordReader(Iterator[Record]):
    """Iterator over the records of one file, with :attr:`stats` kept up to date.

    Use it as a context manager (or call :meth:`close`) to release the file early when not
    reading to the end.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        fmt: str | None = None,
        text_field: str = "text",
        id_field: str | None = None,
        lang_field: str | None = None,
        skip_empty: bool = False,
        max_chars: int = 100_000,
    ) -> None:
        self.path = Path(path)
        self.format = resolve_format(self.path, fmt, INPUT_EXTENSIONS, "input")
        self.fields = Fields(
            _check_name(text_field, "text_field"),
            _check_name(id_field, "id_field", optional=True),
            _check_name(lang_field, "lang_field", optional=True),
        )
        if self.format == "txt" and (id_field is not None or lang_field is not None):
            raise InputError(
                "a .txt file has one text a line and no fields; id_field and lang_field apply to "
                "tsv, jsonl and parquet",
                path=str(self.path),
            )
        self.skip_empty = bool(skip_empty)
        self.max_chars = check_int(max_chars, "max_chars", low=1)
        check_input_file(self.path)
        if self.format == "parquet":
            open_parquet(self.path).close()
        else:
            check_text_sample(self.path)
        self.stats = ReadStats()
        self._records = self._generate()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Record:
        return next(self._records)

    def close(self) -> None:
        """Stop reading and close the file."""
        self._records.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _generate(self) -> Iterator[Record]:
        seen: dict[str, int] = {}
        unit = "row" if self.format == "parquet" else "line"
        for raw in PARSERS[self.format](self.path, self.fields, self.max_chars):
            if raw.text is None or not raw.text.strip():
                if self.skip_empty:
                    self.stats.skipped_empty += 1
                    continue
                raise self._error(raw.line, self._no_text(raw))
            if raw.id is None:
                ident = str(raw.line)
            else:
                ident = raw.id
                if not ident.strip():
                    raise self._error(
                        raw.line, f"the {unit} has an empty id in {self._field(self.fields.id)}"
                    )
                first = seen.setdefault(ident, raw.line)
                if first != raw.line:
                    raise self._error(
                        raw.line, f"id {ident!r} was already used on {unit} {first}; ids must be unique"
                    )
            self.stats.records += 1
            yield Record(ident, raw.text, raw.lang, raw.line, raw.meta)

    def _no_text(self, raw: RawRow) -> str:
        unit = "row" if self.format == "parquet" else "line"
        if self.format == "txt":
            return "the line has no text; remove empty lines or pass skip_empty=True (--skip-empty)"
        if raw.text is None:
            return f"the {unit} is empty; remove empty {unit}s or pass skip_empty=True (--skip-empty)"
        return (
            f"the {unit} has no text in {self._field(self.fields.text)}; "
            f"remove such {unit}s or pass skip_empty=True (--skip-empty)"
        )

    def _field(self, name: str | None) -> str:
        return f"{_FIELD_WORD[self.format]} {name!r}"

    def _error(self, line: int, message: str) -> InputError:
        if self.format == "parquet":
            return row_error(self.path, line, message)
        return InputError(message, path=str(self.path), line=line)


def read_records(
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    text_field: str = "text",
    id_field: str | None = None,
    lang_field: str | None = None,
    skip_empty: bool = False,
    max_chars: int = 100_000,
) -> RecordReader:
    """Stream :class:`Record` objects from a ``.txt``, ``.tsv``, ``.jsonl`` or ``.parquet`` file.

    The format comes from the extension unless ``fmt`` names it. Without ``id_field`` the id
    is the line (or row) number, which stays stable when ``skip_empty`` drops lines. Every
    problem raises one :class:`~interlingua.errors.InputError` naming the file and the line.
    The returned iterator's ``stats`` counts records and skipped empty lines.

    ``max_chars`` bounds each line of a text format (JSON syntax included) and each text of a
    Parquet file; an over-long line is measured without being held in memory. Duplicate ids
    are refused, which keeps one dict of the ids seen (only when ``id_field`` is given).
    """
    return RecordReader(
        path,
        fmt=fmt,
        text_field=text_field,
        id_field=id_field,
        lang_field=lang_field,
        skip_empty=skip_empty,
        max_chars=max_chars,
    )


def count_records(path: str | os.PathLike[str], *, fmt: str | None = None) -> int:
    """Count records cheaply, for progress bars: rows from Parquet metadata, else non-blank lines.

    No line is parsed or decoded, so the count is exact when :func:`read_records` succeeds
    without ``skip_empty`` and an upper bound otherwise. A TSV header row is not counted.
    """
    p = Path(path)
    kind = resolve_format(p, fmt, INPUT_EXTENSIONS, "input")
    check_input_file(p)
    if kind == "parquet":
        pf = open_parquet(p)
        try:
            return pf.metadata.num_rows
        finally:
            pf.close()
    count = 0
    filled = False
    with open(p, "rb") as f:
        # Bounded reads: a huge line is seen in pieces, never held whole.
        for piece in iter(lambda: f.readline(1 << 20), b""):
            filled = filled or bool(piece.strip().lstrip(b"\xef\xbb\xbf"))
            if piece.endswith(b"\n"):
                count += filled
                filled = False
    count += filled
    return max(count - 1, 0) if kind == "tsv" else count


def _check_name(value: object, name: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        rule = "a non-empty string or None" if optional else "a non-empty string"
        raise InputError(f"The {name!r} parameter must be {rule}. Got {value!r} instead.")
    return value
