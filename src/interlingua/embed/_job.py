"""``EmbedJob`` and its ``run``: a file of texts -> a file of vectors, through a space.

The output appears atomically when encoding finishes; a failure leaves no partial file and keeps
an existing output intact. The file carries its provenance (space, role, the filled job), which
``mine --src-emb`` and ``align --src-emb`` check.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

from .._executors import Executor
from .._paths import file_stamp
from .._reports import add_shards
from .._spec import REQUIRED, group, param
from .._validation import Interval, NoneOr, Options, Text
from ..encoders import ROLES
from ..errors import TruncationWarning
from ..io import EmbeddingWriter, InputOptions, check_output_path, count_records, read_records
from ..neutral import (
    Batching,
    CorpusStats,
    Encoding,
    SpaceSpec,
    cached_space,
    encode_corpus,
    open_cache,
    provenance,
)
from ..progress import ProgressFn, note

#: the role mining and alignment embed with (they compare sentences symmetrically)
MINING_ROLE = "query"


@dataclass(frozen=True, kw_only=True)
class EmbedJob(Encoding):
    """Encode every record of ``source`` and write the vectors to ``output``, in input order."""

    caller = "embed()"
    source: str = param(
        REQUIRED, Text(nonempty=True), help="texts: .txt (one a line), .tsv, .jsonl or .parquet"
    )
    output: str = param(REQUIRED, Text(nonempty=True), help="vectors: .npy (+ .ids.txt), .parquet or .jsonl")
    output_format: str | None = param(
        None, NoneOr(Options(("npy", "parquet", "jsonl"))), help="when the extension does not tell"
    )
    input: InputOptions = group(InputOptions, help="how to read the source")
    role: str = param(
        "passage", Options(ROLES), help=f"query or passage (e5's prefixes); mining uses {MINING_ROLE!r}"
    )
    with_text: bool = param(False, help="store each text beside its vector")
    batch_size: int | None = param(None, NoneOr(Interval(int, 1, None)), help="texts per forward pass")
    chunk_size: int = param(4096, Interval(int, 1, None), help="texts read, encoded and written at a time")


@dataclass(frozen=True)
class EmbedReport:
    """What an embed run did; mergeable across shards (``a + b``)."""

    space: str = ""
    output: str = ""
    encoder: str = ""
    records: int = 0
    encoded: int = 0
    cache_hits: int = 0
    tokens: int = 0
    truncated: int = 0
    skipped_empty: int = 0
    replaced: int = 0
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def __add__(self, other: EmbedReport) -> EmbedReport:
        return add_shards(self, other)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(warnings=list(self.warnings), notes=list(self.notes), per_second=round(self.per_second, 1))
        return out


def run(
    job: EmbedJob, *, progress: ProgressFn | None = None, executor: str | Executor | None = None
) -> EmbedReport:
    """Run an :class:`EmbedJob`. Everything that can be checked before a model loads is checked first."""
    job.validate()
    out_format = check_output_path(job.output, fmt=job.output_format, protect=(job.source,))
    total = count_records(job.source, job.input)  # the file exists, is text and is not empty
    records = read_records(job.source, job.input)
    notes = list(records.notes)
    if job.role != MINING_ROLE:
        notes.append(
            f"vectors of role {job.role!r}; mine and align compare role {MINING_ROLE!r} vectors "
            f"(--role {MINING_ROLE} to make ones they take)"
        )
    for line in notes:
        note(progress, line, "embed")
    space = cached_space(job.space)
    stamp = provenance(
        "embeddings",
        space,
        role=job.role,
        job=job,
        source=job.source,
        source_stat=file_stamp(job.source),
        fingerprint=job.fingerprint(),
    )
    cache = open_cache(space) if job.cache else None
    pending: list = []

    langs: deque[str | None] = deque()

    def texts() -> Iterator[str]:
        for rec in records:
            pending.append(rec)
            langs.append(rec.lang)
            yield rec.text

    def text_langs() -> Iterator[str | None]:  # read after each chunk's texts: in step with them
        while langs:
            yield langs.popleft()

    start = time.perf_counter()
    counts = None
    try:
        with EmbeddingWriter(
            job.output, space.dim, fmt=out_format, with_text=job.with_text, provenance=stamp
        ) as writer:
            for chunk in encode_corpus(
                texts(),
                space,
                role=job.role,
                langs=text_langs() if space.needs_langs and records.fields.lang else None,
                cache=cache,
                progress=progress,
                total=total,
                desc=f"embed {space.name}",
                batching=Batching(job.batch_size, job.chunk_size, job.workers, executor),
            ):
                batch, pending[:] = pending[: len(chunk.vectors)], pending[len(chunk.vectors) :]
                writer.write(
                    [r.id for r in batch], chunk.vectors, [r.text for r in batch] if job.with_text else None
                )
                counts = chunk.stats if counts is None else counts + chunk.stats
    finally:
        records.close()
        if cache is not None:
            cache.close()
    warned: list[str] = []
    if counts is not None and counts.truncated:
        warned.append(
            f"{counts.truncated} text(s) exceeded {space.info.max_tokens} tokens and were truncated."
        )
        _warn(warned[-1])
    if records.stats.replaced:
        warned.append(f"{records.stats.replaced} text(s) held invalid code points, replaced by U+FFFD.")
    c = counts or CorpusStats()
    return EmbedReport(
        space.identity,
        str(job.output),
        space.name,
        records.stats.records,
        c.encoded,
        c.cache_hits,
        c.tokens,
        c.truncated,
        records.stats.skipped_empty,
        records.stats.replaced,
        time.perf_counter() - start,
        tuple(warned),
        tuple(notes),
    )


def _warn(message: str) -> None:
    import warnings

    warnings.warn(message, TruncationWarning, stacklevel=3)


def embed_file(
    source: Any,
    output: Any,
    *,
    model: str = "e5-small",
    role: str = "passage",
    progress: ProgressFn | None = None,
    **options: Any,
) -> EmbedReport:
    """Keyword face of :class:`EmbedJob` for Python users: ``embed_file("in.tsv", "out.npy", model=...,
    text_field=..., workers=2)``; ``options`` are EmbedJob / InputOptions fields by name."""
    job = EmbedJob(source=str(source), output=str(output), space=SpaceSpec(encoder=model), role=role)
    return run(
        job.with_flat(
            options, aliases={"use_cache": "cache", "fmt": "output_format", "model_options": "space.options"}
        ),
        progress=progress,
    )


__all__ = ["MINING_ROLE", "EmbedJob", "EmbedReport", "embed_file", "run"]
