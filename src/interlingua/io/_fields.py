"""Which field holds the id and the language when the user did not say: ``id``, then ``lang`` or
``language``, read off the TSV header, the Parquet schema or the first JSONL object."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ._lines import iter_lines
from ._options import AUTO_ID_FIELDS, AUTO_LANG_FIELDS, DETECT_LANG, LINE_IDS, InputOptions
from ._parsers import Fields

_PEEK_LINES = 64


def resolve_fields(
    path: Path, fmt: str, opts: InputOptions, columns: list[str] | None = None
) -> tuple[Fields, list[str]]:
    """The fields to read and the notes that say which ones were taken without being asked.

    ``columns``: a Parquet file's column names when the caller has read them already.
    """
    explicit_id = opts.id_field not in (None, LINE_IDS)
    explicit_lang = opts.lang_field not in (None, DETECT_LANG)
    if fmt == "txt":
        if explicit_id or explicit_lang or opts.text_field != "text":
            raise InputError(
                "a .txt file has one text a line and no fields; --text-field, --id-field and --lang-field "
                "apply to tsv, jsonl and parquet (or pass --input-format)",
                path=str(path),
            )
        return Fields("text", None, None), []
    if opts.columns and fmt != "tsv":
        raise InputError("--columns applies to TSV input without a header", path=str(path))
    names = columns if fmt == "parquet" and columns is not None else _field_names(path, fmt, opts)
    notes: list[str] = []
    id_field = opts.id_field if explicit_id else None
    if opts.id_field is None and names is not None:
        id_field = next((n for n in AUTO_ID_FIELDS if n in names and n != opts.text_field), None)
        if id_field:
            notes.append(
                f"ids from the {id_field!r} field ({LINE_IDS!r} as --id-field numbers lines instead)"
            )
    lang_field = opts.lang_field if explicit_lang else None
    if opts.lang_field is None and names is not None:
        lang_field = next(
            (n for n in AUTO_LANG_FIELDS if n in names and n not in (opts.text_field, id_field)), None
        )
        if lang_field:
            notes.append(
                f"languages from the {lang_field!r} field ({DETECT_LANG!r} as --lang-field detects instead)"
            )
    auto_lang = opts.lang_field is None and lang_field is not None
    return Fields(opts.text_field, id_field, lang_field, tuple(opts.columns), auto_lang), notes


def _field_names(path: Path, fmt: str, opts: InputOptions) -> list[str] | None:
    if fmt == "tsv":
        if opts.columns:
            return list(opts.columns)
        with open(path, "rb") as f:
            first = next(iter_lines(f, path, opts.max_chars), None)
        return [n.strip() for n in first[1].split("\t")] if first else None
    if fmt == "parquet":
        from ._parquet_records import parquet_columns

        return parquet_columns(path)
    with open(path, "rb") as f:
        for n, (_, text) in enumerate(iter_lines(f, path, opts.max_chars)):
            if text.strip():
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError:
                    return None  # the parser reports the line
                return list(obj) if isinstance(obj, dict) else None
            if n >= _PEEK_LINES:
                break
    return None
