"""``run(AddJob)``: the documents of a file into a collection, batch by batch, with progress.

Each batch is prepared (checked, labelled, encoded, segmented), then committed; a failure part-way
keeps every committed batch and says how many there were and how to resume (``--skip-existing``
adds what is not there yet, leaving what is).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._executors import Executor
from .._reports import add_shards
from ..errors import InterlinguaError, PartialWriteError
from ..io import count_records, read_records
from ..progress import ProgressFn, note, task
from ._backends import open_collection
from ._prepare import batches
from ._spec import AddJob


@dataclass(frozen=True)
class AddReport:
    collection: str
    added: int = 0
    skipped: int = 0
    passages: int = 0
    documents: int = 0
    seconds: float = 0.0
    notes: tuple[str, ...] = ()

    def __add__(self, other: AddReport) -> AddReport:
        """Two batches of one add: counts add; ``documents`` is the collection's size, the larger."""
        return add_shards(self, other, larger=("documents",))

    def to_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "added": self.added,
            "skipped": self.skipped,
            "passages": self.passages,
            "documents": self.documents,
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
        }


def run(
    job: AddJob, *, progress: ProgressFn | None = None, executor: str | Executor | None = None
) -> AddReport:
    """Run an :class:`AddJob` (the file is checked before the collection is locked)."""
    job.validate()
    start = time.perf_counter()
    _not_inside(job.source, job.collection)
    total = count_records(job.source, job.input)
    with (
        read_records(job.source, job.input) as records,
        open_collection(job.collection, lock_timeout=job.lock_timeout) as col,
    ):
        notes = list(records.notes)
        for line in notes:
            note(progress, line, "index add")
        prefix = (
            job.id_prefix
            if job.id_prefix is not None
            else ("" if records.fields.id is not None else f"{Path(job.source).stem}:")
        )
        docs = ({"id": prefix + str(r.id), "text": r.text, "lang": r.lang, "meta": r.meta} for r in records)
        added = skipped = passages = 0
        with task(progress, "index add", total, "doc") as bar:
            try:
                for batch in batches(docs, job.batch_size):
                    n = len(batch)
                    if job.skip_existing:
                        have = col.has_ids([d["id"] for d in batch])
                        batch = [d for d in batch if d["id"] not in have]
                        skipped += n - len(batch)
                    if batch and job.passages.enabled:
                        from ._passages import add_long_documents

                        passages += add_long_documents(
                            col,
                            batch,
                            budget=job.passages.budget,
                            overlap=job.passages.overlap,
                            upsert=job.upsert,
                        )
                        added += len(batch)
                    elif batch:
                        added += col.commit(col.prepare(batch, start=added + skipped), upsert=job.upsert)
                    bar.advance(n)
            except (InterlinguaError, OSError) as exc:
                if added:
                    raise PartialWriteError(
                        f"index add stopped after committing {added:,} document(s) of this run to {job.collection} "
                        "(they are kept); fix the problem below, then rerun the same command with --skip-existing "
                        "to add the rest",
                        committed=added,
                        cause=exc,
                    ) from exc
                raise
        documents = len(col)
    return AddReport(
        str(job.collection), added, skipped, passages, documents, time.perf_counter() - start, tuple(notes)
    )


def _not_inside(source: str, collection: str) -> None:
    """A collection's own files are never read as documents while the collection is written."""
    from ..errors import InputError
    from ._backends import backend_for

    if backend_for(collection) != "embedded":
        return
    folder, src = Path(collection).resolve(), Path(source).resolve()
    if folder == src or folder in src.parents:
        raise InputError(
            f"is inside the collection {collection!r}, which this command writes; give a file from "
            "outside it",
            path=str(source),
        )


__all__ = ["AddReport", "run"]
