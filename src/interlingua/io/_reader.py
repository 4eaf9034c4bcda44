"""``read_records`` and ``count_records``: stream texts out of txt, TSV, JSONL and Parquet files.

Problems with the path (missing, a directory, empty, binary, unknown extension) are raised
when :func:`read_records` is called, so a command fails before it loads a model; problems
inside the file are raised while iterating, at the line where they are, since finding them
means reading that far.

Fields: without ``id_field`` a field named ``id`` is the id when the input has one (else the
line number); without ``lang_field`` a field named ``lang`` or ``language`` is the language
(DESIGN.md's conventions). :attr:`RecordReader.notes` says which were taken, so a command can
say so. Language codes are canonicalized (``deu`` -> ``de``); text that cannot be encoded as
UTF-8 (lone surrogates from ``\\ud800`` escapes) is an error naming the line and column, or,
with ``on_invalid="replace"``, replaced by U+FFFD and counted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import regex

from ..errors import InputError, LanguageCodeError
from ._fields import resolve_fields
from ._formats import INPUT_FORMATS, input_format
from ._lines import check_input_file, check_text_sample
from ._options import InputOptions
from ._parquet_records import open_parquet, parquet_columns
from ._parsers import RawRow, row_error
from ._records import ReadStats, Record, Span

_SURROGATE = regex.compile(r"[\ud800-\udfff]")
_FIELD_WORD = {"txt": None, "tsv": "column", "jsonl": "field", "parquet": "column"}
#: formats whose parsers decode strictly (txt and TSV in ``_lines``, Parquet in pyarrow), so no
#: lone surrogate can reach the reader; only JSON's ``\ud800`` escapes (or a plug-in) make them
_STRICT_UTF8 = frozenset({"txt", "tsv", "parquet"})
#: old keyword names of read_records (``fmt``) -> InputOptions fields
_ALIASES = {"fmt": "format"}


def input_options(options: InputOptions | None = None, **overrides: Any) -> InputOptions:
    """``options`` with keyword overrides (the old keyword names accepted), checked."""
    opts = options or InputOptions()
    changes = {_ALIASES.get(k, k): v for k, v in overrides.items()}
    if "columns" in changes and changes["columns"] is not None:
        changes["columns"] = tuple(changes["columns"])
    unknown = sorted(set(changes) - set(InputOptions.__dataclass_fields__))
    if unknown:
        raise InputError(
            f"Unknown reading option(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(InputOptions.__dataclass_fields__)}."
        )
    return opts.replace(**changes).validate() if changes else opts.validate()


class RecordReader(Iterator[Record]):
    """Iterator over the records of one file, with :attr:`stats` kept up to date.

    Use it as a context manager (or call :meth:`close`) to release the file early when not
    reading to the end.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        options: InputOptions | None = None,
        *,
        span: Span | None = None,
        **overrides: Any,
    ) -> None:
        self.path = Path(path)
        #: the part of the file to read (a shard), or None for all of it
        self.span = span
        self.options = opts = input_options(options, **overrides)
        self.format = input_format(self.path, opts.format)
        check_input_file(self.path)
        columns = None
        if self.format == "parquet":
            columns = parquet_columns(self.path)
        else:
            check_text_sample(self.path)
        self.fields, self.notes = resolve_fields(self.path, self.format, opts, columns)
        self.stats = ReadStats()
        self._lang_cache: dict[str, str] = {}
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
        parser = INPUT_FORMATS.get(self.format)
        check = self.format not in _STRICT_UTF8
        rows = (
            parser(self.path, self.fields, self.options.max_chars)
            if self.span is None
            else parser(self.path, self.fields, self.options.max_chars, span=self.span)
        )
        for raw in rows:
            if raw.text is None or not raw.text.strip():
                if self.options.skip_empty:
                    self.stats.skipped_empty += 1
                    continue
                raise self._error(raw.line, self._no_text(raw))
            text = self._valid(raw.text, raw.line, self.fields.text) if check else raw.text
            if raw.id is None:
                ident = str(raw.line)
            else:
                ident = self._valid(raw.id, raw.line, self.fields.id) if check else raw.id
                if not ident.strip():
                    raise self._error(
                        raw.line, f"the {unit} has an empty id in {self._field(self.fields.id)}"
                    )
                first = seen.setdefault(ident, raw.line)
                if first != raw.line:
                    raise self._error(
                        raw.line, f"id {ident!r} was already used on {unit} {first}; ids must be unique"
                    )
            lang = self._lang(raw) if raw.lang else None
            meta = self._valid_meta(raw.meta, raw.line) if check and raw.meta else raw.meta
            self.stats.records += 1
            yield Record(ident, text, lang, raw.line, meta)

    def _valid(self, value: str, line: int, field: str | None) -> str:
        """``value`` when it encodes as UTF-8; else an error at its column, or U+FFFD (counted)."""
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError as exc:
            if self.options.on_invalid == "replace":
                self.stats.replaced += 1
                return _SURROGATE.sub("\ufffd", value)
            where = f" in {self._field(field)}" if field and self.format != "txt" else ""
            cp = ord(value[exc.start])
            error = self._error(
                line,
                f"the text{where} holds U+{cp:04X} at column {exc.start + 1}, a lone surrogate that no UTF-8 text "
                "can hold (a broken \\ud800-style escape); fix the input or pass --on-invalid replace",
            )
            error.column = exc.start + 1
            raise error from None

    def _valid_meta(self, value: Any, line: int, field: str | None = None) -> Any:
        """Metadata as read, with every string checked like the text (nested JSON included)."""
        if isinstance(value, str):
            return self._valid(value, line, field)
        if isinstance(value, dict):
            return {
                self._valid(str(k), line, field): self._valid_meta(v, line, str(k)) for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._valid_meta(v, line, field) for v in value]
        return value

    def _lang(self, raw: RawRow) -> str:
        code = raw.lang or ""
        tag = self._lang_cache.get(code)
        if tag is None:
            from ..text import canonical_lang

            try:
                tag = canonical_lang(code)
            except LanguageCodeError:
                raise self._error(
                    raw.line,
                    f"{self._field(self.fields.lang)} holds {code!r}, which is not a language "
                    "code; fix it, or pass --lang-field @detect to detect languages instead",
                ) from None
            self._lang_cache[code] = tag
        return tag

    def _no_text(self, raw: RawRow) -> str:
        unit = "row" if self.format == "parquet" else "line"
        if self.format == "txt":
            return "the line has no text; remove empty lines or pass --skip-empty (skip_empty=True)"
        if raw.text is None:
            return f"the {unit} is empty; remove empty {unit}s or pass --skip-empty (skip_empty=True)"
        return (
            f"the {unit} has no text in {self._field(self.fields.text)}; "
            f"remove such {unit}s or pass --skip-empty (skip_empty=True)"
        )

    def _field(self, name: str | None) -> str:
        return f"{_FIELD_WORD[self.format] or 'field'} {name!r}"

    def _error(self, line: int, message: str) -> InputError:
        if self.format == "parquet":
            return row_error(self.path, line, message)
        return InputError(message, path=str(self.path), line=line)


def read_records(
    path: str | os.PathLike[str],
    options: InputOptions | None = None,
    *,
    span: Span | None = None,
    **overrides: Any,
) -> RecordReader:
    """Stream :class:`Record` objects from a ``.txt``, ``.tsv``, ``.jsonl`` or ``.parquet`` file.

    ``options`` (an :class:`InputOptions`) or keyword overrides of its fields (``text_field``,
    ``id_field``, ``lang_field``, ``format``, ``columns``, ``skip_empty``, ``max_chars``,
    ``on_invalid``) say how. The format comes from the extension unless ``format`` names it.
    Without an id field the id is the line (or row) number, which stays stable when
    ``skip_empty`` drops lines. Every problem raises one :class:`~interlingua.errors.InputError`
    naming the file and the line. The returned iterator's ``stats`` counts records, skipped
    empty lines and replaced invalid texts; ``notes`` says which fields were taken unasked.

    ``max_chars`` bounds each line of a text format (JSON syntax included) and each text of a
    Parquet file; an over-long line is measured without being held in memory. Duplicate ids
    are refused, which keeps one dict of the ids seen (only when there is an id field).

    ``span`` (a :class:`Span`) reads one part of the file, seeking to it: a shard of a job. Its
    records keep their true line numbers; the fields are found from the whole file (the TSV
    header, the first JSON objects), as for a full read; duplicate ids are checked in the span.
    """
    return RecordReader(path, options, span=span, **overrides)


def count_records(path: str | os.PathLike[str], options: InputOptions | None = None, **overrides: Any) -> int:
    """Count records cheaply, for progress bars: rows from Parquet metadata, else non-blank lines.

    No line is parsed or decoded, so the count is exact when :func:`read_records` succeeds
    without ``skip_empty`` and an upper bound otherwise. A TSV header row is not counted.
    """
    p = Path(path)
    opts = input_options(options, **overrides)
    kind = input_format(p, opts.format)
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
    return max(count - 1, 0) if kind == "tsv" and not opts.columns else count
