"""Cutting a job's source into shards, and reading one shard where a worker runs.

A shard holds exactly ``shard_rows`` records of the stream one ``read_records`` pass gives (the
last one fewer), so that a sharded embed forms the batches a one-process run forms and gives the
same vectors. Finding where each shard starts takes one pass on the client, through the real
reader: every option (``skip_empty``, fields, ``on_invalid``) counts records as a full read
does, and every error in the file (a bad line, a duplicate id) is raised there, naming its
line, before any worker starts. A text shard is then a byte range a worker seeks to; a Parquet
shard a row range, of which a worker reads only the row groups that hold it.

A source is a file, a folder (its files with an input extension) or a glob pattern (``*``,
``?``, ``[``), files in sorted order, each cut on its own. Across the files of such a source,
line-number ids are qualified by the file (``part-1.txt:17``), and ids read from a field must be
unique over all the files.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Self

from .._validation import check_int
from ..errors import InputError
from ..io import InputOptions, Record, RecordReader, Span, input_extensions, read_records

_MAGIC = frozenset("*?[")


@dataclass(frozen=True)
class SourceShard:
    """One shard of a source: small and picklable (a path, a range, counts)."""

    #: position of the shard in the job (0-based, in source order)
    shard: int
    path: str
    #: bytes of a text file / rows of a Parquet file, with the number of the first line
    start: int
    stop: int | None
    line: int
    #: records it yields (exact: counted on the client)
    records: int
    #: prepended to line-number ids when the source is many files (``"part-1.txt:"``)
    id_prefix: str = ""

    @property
    def span(self) -> Span:
        return Span(self.start, self.stop, self.line)


@dataclass(frozen=True)
class SourcePlan:
    """The shards of a source and what the client pass saw on the way."""

    shards: tuple[SourceShard, ...]
    files: tuple[str, ...]
    #: which fields were taken unasked, and files a folder held that are not input files
    notes: tuple[str, ...] = ()
    records: int = 0
    skipped_empty: int = 0
    replaced: int = 0
    #: the id field of the (first) file, None for line numbers
    id_field: str | None = None
    lang_field: str | None = None


def is_many(source: str) -> bool:
    """Whether ``source`` names many files (a folder or a glob pattern) rather than one."""
    p = Path(source)
    return p.is_dir() or (not p.exists() and any(c in _MAGIC for c in source))


def source_files(source: str, input: InputOptions | None = None) -> tuple[list[Path], Path | None, list[str]]:
    """``(files, root, notes)``: the files of ``source`` in sorted order and the folder their
    qualified names are relative to (None for a single file)."""
    opts = input or InputOptions()
    p = Path(source)
    notes: list[str] = []
    if p.is_dir():
        known = input_extensions()
        entries = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
        files = [f for f in entries if opts.format or f.suffix.lower() in known]
        other = len(entries) - len(files)
        if other:
            notes.append(
                f"{other} file(s) in {source} without an input extension ({', '.join(sorted(known))}) "
                "left out; --input-format reads every file as one format"
            )
        root: Path | None = p
        what = f"the folder holds no input files ({', '.join(sorted(known))})"
    elif not p.exists() and any(c in _MAGIC for c in source):
        files = sorted(Path(m) for m in glob.glob(source, recursive=True) if Path(m).is_file())
        root = _glob_root(source)
        what = "no file matches this pattern"
    else:
        return [p], None, notes
    if not files:
        raise InputError(what, path=source)
    return files, root, notes


def _glob_root(pattern: str) -> Path:
    parts = Path(pattern).parts
    fixed = [part for part in parts[: next(i for i, s in enumerate(parts) if set(s) & _MAGIC)]]
    return Path(*fixed) if fixed else Path(".")


def plan_shards(source: str, input: InputOptions, shard_rows: int) -> list[SourceShard]:
    """The shards of ``source``, each ``shard_rows`` records (the last of each file fewer)."""
    return list(plan_source(source, input, shard_rows).shards)


def plan_source(source: str, input: InputOptions, shard_rows: int) -> SourcePlan:
    """:func:`plan_shards` with what the client pass saw (notes, counts, fields)."""
    check_int(shard_rows, "shard_rows", low=1)
    opts = input.validate()
    files, root, notes = source_files(source, opts)
    shards: list[SourceShard] = []
    seen: dict[str, tuple[int, int]] = {}  # id -> (file, line), across the files of a folder
    totals = [0, 0, 0]
    first_fields: Any = None
    for n, path in enumerate(files):
        prefix = f"{path.relative_to(root).as_posix()}:" if root is not None else ""
        with read_records(path, opts) as records:
            if first_fields is None:
                first_fields = records.fields
                notes = [*records.notes, *notes]
            check_ids = root is not None and records.fields.id is not None
            parquet = records.format == "parquet"
            with open(path, "rb") as raw:
                starts = _cut(records, raw, parquet, shard_rows, n, files, seen if check_ids else None)
            totals[0] += records.stats.records
            totals[1] += records.stats.skipped_empty
            totals[2] += records.stats.replaced
            count = records.stats.records
        for k, (line, offset) in enumerate(starts):
            stop = starts[k + 1][1] if k + 1 < len(starts) else None
            size = min(shard_rows, count - k * shard_rows)
            shards.append(SourceShard(len(shards), str(path), offset, stop, line, size, prefix))
    return SourcePlan(
        tuple(shards),
        tuple(str(f) for f in files),
        tuple(notes),
        *totals,
        id_field=first_fields.id if first_fields is not None else None,
        lang_field=first_fields.lang if first_fields is not None else None,
    )


def _cut(
    records: RecordReader,
    raw: BinaryIO,
    parquet: bool,
    shard_rows: int,
    file_no: int,
    files: list[Path],
    seen: dict[str, tuple[int, int]] | None,
) -> list[tuple[int, int]]:
    """``(first line, offset)`` of each shard of one file: the first at its start (a TSV header
    and leading blank lines included), each next one at the line of its first record."""
    starts = [(1, 0)]
    lines = _LineStarts(raw)
    for n, rec in enumerate(records):
        if seen is not None:
            where = seen.setdefault(rec.id, (file_no, rec.line))
            if where[0] != file_no:
                unit = "row" if parquet else "line"
                raise InputError(
                    f"id {rec.id!r} was already used in {files[where[0]]} ({unit} {where[1]}); ids must be "
                    "unique across the files of the source",
                    path=str(files[file_no]),
                    line=rec.line,
                )
        if n and n % shard_rows == 0:
            starts.append((rec.line, rec.line - 1 if parquet else lines.offset(rec.line)))
    return starts


class _LineStarts:
    """Byte offsets of line starts, found by reading ahead in step with the parser (one pass):
    lines are counted as the reader counts them (``\\n`` ends a line)."""

    def __init__(self, f: BinaryIO):
        self.f, self.line, self.pos = f, 1, 0

    def offset(self, line: int) -> int:
        while self.line < line:
            piece = self.f.readline(1 << 20)
            if not piece:
                break
            self.pos += len(piece)
            self.line += piece.endswith(b"\n")
        return self.pos


class ShardReader(Iterator[Record]):
    """The records of one shard, as :func:`~interlingua.io.read_records` yields them (true line
    numbers in records and errors); line-number ids qualified by the file for many-file sources."""

    def __init__(self, shard: SourceShard, input: InputOptions):
        self.shard = shard
        self.reader = read_records(shard.path, input, span=shard.span)
        self.stats, self.fields, self.notes = self.reader.stats, self.reader.fields, self.reader.notes
        self._qualify = bool(shard.id_prefix) and self.reader.fields.id is None

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Record:
        rec = next(self.reader)
        return replace(rec, id=self.shard.id_prefix + rec.id) if self._qualify else rec

    def close(self) -> None:
        self.reader.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def read_shard(shard: SourceShard, input: InputOptions) -> ShardReader:
    """Iterate (and close, ``with``) the records of ``shard``."""
    return ShardReader(shard, input)


__all__ = [
    "ShardReader",
    "SourcePlan",
    "SourceShard",
    "is_many",
    "plan_shards",
    "plan_source",
    "read_shard",
    "source_files",
]
