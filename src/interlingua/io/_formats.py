"""File formats, registered by name with the extensions that imply them.

``INPUT_FORMATS`` maps a name to a row parser (txt, tsv, jsonl, parquet); ``OUTPUT_FORMATS``
to an embedding sink (npy, parquet, jsonl). Every "supported formats" message is generated from
them, so the list a user sees cannot drift from what the code reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._registry import Registry
from ..errors import InputError
from ._parquet_records import parse_parquet
from ._parsers import parse_jsonl, parse_tsv, parse_txt

INPUT_FORMATS: Registry[Any] = Registry("input-formats", kind="input format")
INPUT_FORMATS.register("txt", parse_txt, description="one text a line", extensions=(".txt",))
INPUT_FORMATS.register(
    "tsv", parse_tsv, description="tab-separated, header row (or --columns)", extensions=(".tsv",)
)
INPUT_FORMATS.register(
    "jsonl", parse_jsonl, description="one JSON object a line", extensions=(".jsonl", ".ndjson")
)
INPUT_FORMATS.register("parquet", parse_parquet, description="Parquet columns", extensions=(".parquet",))


def _load_sinks() -> None:
    from ._sinks import JsonlSink, NpySink, ParquetSink

    builtin = (
        ("npy", NpySink, "float32 matrix + .ids.txt", ".npy"),
        ("parquet", ParquetSink, "id, [text], vector columns", ".parquet"),
        ("jsonl", JsonlSink, '{"id", ["text"], "vector"} a line', ".jsonl"),
    )
    for name, sink, description, extension in builtin:
        if name not in OUTPUT_FORMATS:  # one registered before the first look-up wins
            OUTPUT_FORMATS.register(name, sink, description=description, extensions=(extension,))


#: the sinks (:mod:`._sinks`), registered on first use
OUTPUT_FORMATS: Registry[Any] = Registry("embedding-formats", kind="embedding format", loader=_load_sinks)


def _extensions(registry: Registry[Any]) -> dict[str, str]:
    return {ext: e.name for e in registry.entries() for ext in e.meta.get("extensions", ())}


def input_extensions() -> dict[str, str]:
    return _extensions(INPUT_FORMATS)


def output_extensions() -> dict[str, str]:
    return _extensions(OUTPUT_FORMATS)


def resolve_format(path: Path, fmt: str | None, registry: Registry[Any], what: str, flag: str) -> str:
    """The format named by ``fmt``, else the one the extension of ``path`` implies."""
    if fmt is not None:
        if fmt not in registry:
            raise InputError(
                f"unknown {what} format {fmt!r}; known: {', '.join(registry.names())}", path=str(path)
            )
        return fmt
    table = _extensions(registry)
    suffix = path.suffix.lower()
    if suffix in table:
        return table[suffix]
    raise InputError(
        f"cannot tell the {what} format from the extension {suffix or '(none)'!s}; supported extensions: "
        f"{', '.join(sorted(table))}, or pass {flag} {'/'.join(registry.names())}",
        path=str(path),
    )


def input_format(path: Path, fmt: str | None) -> str:
    return resolve_format(path, fmt, INPUT_FORMATS, "input", "--input-format")


def output_format(path: Path, fmt: str | None) -> str:
    return resolve_format(path, fmt, OUTPUT_FORMATS, "output", "--output-format")


__all__ = [
    "INPUT_FORMATS",
    "OUTPUT_FORMATS",
    "input_extensions",
    "input_format",
    "output_extensions",
    "output_format",
    "resolve_format",
]
