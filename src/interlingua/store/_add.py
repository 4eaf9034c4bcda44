"""``run(AddJob)``: the documents of a file into a collection, batch by batch, with progress.

Each batch is prepared (checked, labelled, encoded, segmented), then committed; a failure part-way
keeps every committed batch and says how many there were and how to resume (``--skip-existing``
adds what is not there yet, leaving what is). :func:`add_documents` does the same for documents
given in memory (the HTTP API's JSON bodies).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
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
from ._spec import AddJob, PassageOptions


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
        added, skipped, passages = _add_all(col, docs, job, total, progress)
        documents = len(col)
    return AddReport(
        str(job.collection), added, skipped, passages, documents, time.perf_counter() - start, tuple(notes)
    )


def add_documents(
    collection: str,
    docs: Iterable[Mapping[str, Any]],
    *,
    upsert: bool = False,
    skip_existing: bool = False,
    batch_size: int = 1000,
    passages: PassageOptions | None = None,
    lock_timeout: float = 0.0,
    progress: ProgressFn | None = None,
) -> AddReport:
    """Add documents given in memory (mappings with ``text`` and optional ``id``, ``lang``,
    ``meta``) as :func:`run` adds a file's: opened as the writer for this call only, batch by
    batch, with the same ``upsert`` / ``skip_existing`` / ``passages`` rules. A document
    without an id gets ``sha1:`` and the first 16 hex digits of its text's SHA-1, so sending the
    same text twice is a duplicate (409, or skipped with ``skip_existing``), not a second copy."""
    job = AddJob(
        collection=str(collection),
        source="-",
        upsert=upsert,
        skip_existing=skip_existing,
        batch_size=batch_size,
        passages=passages or PassageOptions(),
        lock_timeout=lock_timeout,
    ).validate()
    start = time.perf_counter()
    rows = [_with_id(d) for d in docs]
    with open_collection(job.collection, lock_timeout=job.lock_timeout) as col:
        added, skipped, n_passages = _add_all(col, rows, job, len(rows), progress)
        documents = len(col)
    return AddReport(str(collection), added, skipped, n_passages, documents, time.perf_counter() - start)


def _with_id(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = {
        "id": doc.get("id"),
        "text": doc.get("text"),
        "lang": doc.get("lang"),
        "meta": doc.get("meta") or {},
    }
    if (out["id"] is None or str(out["id"]) == "") and isinstance(out["text"], str):
        out["id"] = "sha1:" + hashlib.sha1(out["text"].encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return out


def _add_all(col: Any, docs: Iterable[dict[str, Any]], job: AddJob, total: int, progress: ProgressFn | None):
    """Every batch of ``docs`` into the open ``col``: (added, skipped, passages). A failure after
    some batches were committed says how many and how to resume."""
    added = skipped = passages = 0
    if hasattr(col, "progress"):
        col.progress = progress  # a flush that rebuilds the dense index says so
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
    return added, skipped, passages


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


__all__ = ["AddReport", "add_documents", "run"]
