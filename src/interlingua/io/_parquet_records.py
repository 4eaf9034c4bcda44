"""Parquet input, read one record batch at a time so a large file never sits in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ._parsers import Fields, RawRow, id_value, row_error

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


def parse_parquet(path: Path, fields: Fields, max_chars: int) -> Iterator[RawRow]:
    """Yield rows batch by batch; row numbers start at 1, as lines do."""
    pf = open_parquet(path)
    try:
        schema = pf.schema_arrow
        _check_schema(path, schema, fields)
        used = (fields.text, fields.id, fields.lang)
        rest = [name for name in schema.names if name not in used]
        row = 0
        for batch in pf.iter_batches(batch_size=BATCH_ROWS):
            texts = batch.column(fields.text).to_pylist()
            ids = batch.column(fields.id).to_pylist() if fields.id else None
            langs = batch.column(fields.lang).to_pylist() if fields.lang else None
            others = {name: batch.column(name).to_pylist() for name in rest}
            for i, text in enumerate(texts):
                row += 1
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
