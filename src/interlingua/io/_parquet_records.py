"""Parquet input, read one record batch at a time so a large file never sits in memory.

Parquet does not check that a string column holds UTF-8: a string that does not decode is an
error naming its row and column (pyarrow's UnicodeDecodeError would name neither).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ._parsers import Fields, RawRow, id_value, row_error
from ._records import Span

if TYPE_CHECKING:  # pyarrow loads when a Parquet file is read or written, not on import
    import pyarrow as pa
    import pyarrow.parquet as pq


BATCH_ROWS = 4096


def open_parquet(path: Path) -> pq.ParquetFile:
    """Open a Parquet file, turning pyarrow's complaint about a bad file into an InputError."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"is not a valid Parquet file ({exc})", path=str(path)) from None


def parquet_columns(path: Path) -> list[str]:
    """The column names of a Parquet file (opened and closed: a bad file fails here)."""
    pf = open_parquet(path)
    try:
        return list(pf.schema_arrow.names)
    finally:
        pf.close()


def column_values(path: Path, columns: dict[str, Any], first_row: int = 1) -> dict[str, list[Any]]:
    """``to_pylist()`` of each column (an Array or ChunkedArray), by name; a string that is not
    UTF-8 is an error naming the earliest such row (``first_row`` is the number of the first)."""
    try:
        return {name: column.to_pylist() for name, column in columns.items()}
    except UnicodeDecodeError:
        raise _not_utf8(path, columns, first_row) from None


def _not_utf8(path: Path, columns: dict[str, Any], first_row: int) -> InputError:
    found: tuple[int, str, UnicodeDecodeError] | None = None
    for name, column in columns.items():
        for i in range(len(column) if found is None else found[0]):
            try:
                column[i].as_py()
            except UnicodeDecodeError as exc:
                found = (i, name, exc)
                break
    if found is None:  # pragma: no cover - to_pylist failed, so some value does not decode
        return InputError("holds a string that is not valid UTF-8", path=str(path))
    i, name, exc = found
    bad = " ".join(f"0x{b:02X}" for b in exc.object[exc.start : exc.end][:4])
    return row_error(
        path,
        first_row + i,
        f"column {name!r} holds a string that is not valid UTF-8 (byte {bad} at byte {exc.start + 1}: "
        f"{exc.reason}); write the file again with UTF-8 strings",
    )


def parse_parquet(
    path: Path, fields: Fields, max_chars: int, *, span: Span | None = None
) -> Iterator[RawRow]:
    """Yield rows batch by batch; row numbers start at 1, as lines do. With ``span``, only its
    rows, reading only the row groups that hold them."""
    pf = open_parquet(path)
    try:
        schema = pf.schema_arrow
        _check_schema(path, schema, fields)
        used = (fields.text, fields.id, fields.lang)
        rest = [name for name in schema.names if name not in used]
        wanted = [n for n in (fields.text, fields.id, fields.lang) if n] + rest
        for first, batch in _batches(pf, span):
            values = column_values(path, {name: batch.column(name) for name in wanted}, first + 1)
            texts = values[fields.text]
            ids = values[fields.id] if fields.id else None
            langs = values[fields.lang] if fields.lang else None
            others = {name: values[name] for name in rest}
            for i, text in enumerate(texts):
                row = first + i + 1
                if text is not None and len(text) > max_chars:
                    raise row_error(
                        path,
                        row,
                        f"column {fields.text!r} is {len(text):,} characters long; "
                        f"the limit is {max_chars:,} (max_chars, --max-chars)",
                    )
                ident = None
                if ids is not None:
                    if ids[i] is None:
                        raise row_error(path, row, f"column {fields.id!r} is null; every row needs an id")
                    ident = id_value(ids[i], fields.id or "", path, row, unit="row")
                lang = langs[i] if langs is not None else None
                meta = {name: values[i] for name, values in others.items()}
                yield RawRow(row, "" if text is None else text, ident, lang or None, meta)
    finally:
        pf.close()


def _batches(pf: pq.ParquetFile, span: Span | None) -> Iterator[tuple[int, pa.RecordBatch]]:
    """``(rows before it, batch)``: every batch, or those of the row groups ``span`` touches,
    cut to its rows."""
    if span is None:
        done = 0
        for batch in pf.iter_batches(batch_size=BATCH_ROWS):
            yield done, batch
            done += batch.num_rows
        return
    meta = pf.metadata
    start, stop = span.start, meta.num_rows if span.stop is None else min(span.stop, meta.num_rows)
    groups, row, base = [], 0, None
    for g in range(meta.num_row_groups):
        n = meta.row_group(g).num_rows
        if row < stop and row + n > start:
            groups.append(g)
            base = row if base is None else base
        row += n
    if not groups or base is None:
        return
    row = base
    for batch in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=groups):
        lo, hi = max(start - row, 0), min(stop - row, batch.num_rows)
        if hi > lo:
            yield row + lo, batch.slice(lo, hi - lo)
        row += batch.num_rows
        if row >= stop:
            return


def _check_schema(path: Path, schema: pa.Schema, fields: Fields) -> None:
    import pyarrow as pa

    names = schema.names
    for role, name in (("text_field", fields.text), ("id_field", fields.id), ("lang_field", fields.lang)):
        if name is None:
            continue
        if name not in names:
            raise InputError(
                f"has no column {name!r} ({role}); the columns are: {', '.join(names)}", path=str(path)
            )
        kind = schema.field(name).type
        ok = _is_string(kind) or (name == fields.id and pa.types.is_integer(kind))
        if not ok:
            wanted = "a string or integer" if name == fields.id else "a string"
            raise InputError(
                f"column {name!r} has type {kind}; {role} must name {wanted} column", path=str(path)
            )


def _is_string(kind: pa.DataType) -> bool:
    import pyarrow as pa

    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
