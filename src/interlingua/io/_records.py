"""The plain records that readers yield, and the counts they keep while reading."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Record:
    """One text from an input file.

    ``line`` is where it came from (the physical line for text formats, the 1-based row for
    Parquet), so that later stages can point the user back at the file. ``meta`` holds the
    fields or columns that were not used as id, text or language, unchanged.
    """

    id: str
    text: str
    lang: str | None
    line: int
    meta: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Span:
    """A part of one input file, so that a worker reads its shard without reading what comes
    before it: bytes ``[start, stop)`` of a text file (``start`` at the beginning of line number
    ``line``), or rows ``[start, stop)`` of a Parquet file (0-based; its rows are numbered from
    ``start + 1``). ``stop`` None: to the end. A TSV header is read from line 1 whatever the span.
    """

    start: int = 0
    stop: int | None = None
    line: int = 1


@dataclass
class ReadStats:
    """What a reader has seen so far; complete once the iterator is exhausted.

    ``skipped_empty`` counts lines (or rows) without text that ``skip_empty=True`` dropped,
    so that a caller can report them instead of losing them silently.
    """

    records: int = 0
    skipped_empty: int = 0
    #: texts (or ids) whose invalid code points were replaced (``on_invalid="replace"``)
    replaced: int = 0
