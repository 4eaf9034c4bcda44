"""File formats by extension, for reading records and for writing embeddings.

One table per direction; every "supported formats" message is generated from it, so the
list a user sees cannot drift from what the code reads.
"""

from __future__ import annotations

from pathlib import Path

from .._validation import check_choice
from ..errors import InputError

#: Extension -> format name for :func:`read_records`.
INPUT_EXTENSIONS: dict[str, str] = {
    ".txt": "txt",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}

#: Extension -> format name for :class:`EmbeddingWriter` and :func:`read_embeddings`.
OUTPUT_EXTENSIONS: dict[str, str] = {
    ".npy": "npy",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
}


def resolve_format(path: Path, fmt: str | None, table: dict[str, str], what: str) -> str:
    """Return the format named by ``fmt``, else the one the extension of ``path`` implies."""
    names = sorted(set(table.values()))
    if fmt is not None:
        return check_choice(fmt, names, "fmt")
    suffix = path.suffix.lower()
    if suffix in table:
        return table[suffix]
    known = ", ".join(sorted(table))
    raise InputError(
        f"cannot tell the {what} format from the extension {suffix or '(none)'!s}; "
        f"supported extensions: {known} (or pass fmt= one of {', '.join(names)})",
        path=str(path),
    )
