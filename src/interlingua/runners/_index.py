"""``run_add``: a sharded ``index add``. Workers prepare the shards of the source in parallel
(read, label, encode, segment: ``_index_shard``); the client, the only writer, holds the
collection's lock for the whole job and commits each shard's batches strictly in shard order as
soon as that shard and every one before it are ready.

Shards hold a whole number of batches (``shard_rows`` is rounded up to a multiple of
``batch_size``), so the batches are exactly a one-process add's: the collection ends with the
same documents under the same keys in the same order and the same vectors bit for bit, and a
bad line, a duplicate id or an id already there stops it after the same batches, with the same
error. A killed run resumes: shards it prepared are not prepared again, batches it committed are
not committed again (``_index_ledger``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .._executors import Executor, completed
from ..errors import InputError, InterlinguaError, PartialWriteError
from ..progress import ProgressFn, note, task
from ._index_ledger import Ledger, check_resumable, landed
from ._index_shard import AddPlan, plan_add, prepare_shard
from ._options import Sharding, executor_of, job_fingerprint
from ._shards import DONE, ShardTask, finished, run_shards, shard_base


def run_add(
    job: Any, sharding: Sharding, *, progress: ProgressFn | None = None, executor: Executor | None = None
) -> Any:
    """Run an ``AddJob`` as shards; the :class:`~interlingua.store.AddReport` a one-process
    ``store.run(job)`` gives (a resumed job reports the whole job's counts)."""
    from ..store import AddReport, open_collection

    job.validate()
    sharding = sharding.validate()
    if job.passages.enabled:
        raise InputError(
            "index add --passages is not sharded yet; run it without --executor/--scheduler (in one process)"
        )
    began = time.perf_counter()
    _not_inside(job.source, job.collection)
    rows = -(-sharding.shard_rows // job.batch_size) * job.batch_size
    plan = plan_add(job.source, job.input, rows)  # the whole file is read (and checked) before the lock
    fp = _fingerprint(job, sharding, rows, plan.files)
    work = sharding.folder(_output(job))
    bases = [shard_base(work, fp, s.shard, "index") for s in plan.shards]
    prefix = (
        job.id_prefix
        if job.id_prefix is not None
        else ("" if plan.id_field is not None else f"{Path(job.source).stem}:")
    )
    notes = list(plan.notes)
    if rows != sharding.shard_rows:
        notes.append(f"shards of {rows:,} rows: a whole number of batches of {job.batch_size:,}")
    with open_collection(job.collection, lock_timeout=job.lock_timeout) as col:
        for line in notes:
            note(progress, line, "index add")
        ledger = Ledger(work, fp)
        commits = _Commits(col, job, plan, bases, ledger, keep=sharding.keep_shards, progress=progress)
        with commits.bar:
            if commits.resume():
                note(
                    progress,
                    f"resumed: {ledger.added:,} document(s) were committed by an earlier run",
                    "index add",
                )
            payload = _payload(col, job, prefix)
            tasks = [
                ShardTask(
                    s.shard,
                    bases[s.shard],
                    {**payload, "shard": s, "start": commits.first_row[s.shard]},
                    s.records,
                )
                for s in plan.shards
                if s.shard >= commits.next
            ]
            with executor_of(sharding, executor) as ex:
                _check_shared(ex, work, plan.files)
                for t in tasks:
                    got = finished(t.base)
                    if got is not None:
                        commits.ready[t.shard] = got
                run_shards(
                    _Feeding(ex, commits.take),
                    prepare_shard,
                    tasks,
                    progress=progress,
                    name="index add: prepare",
                    unit="doc",
                )
                commits.drain(final=True)
        documents = len(col)
    ledger.remove()
    if not sharding.keep_shards:
        with contextlib.suppress(OSError):
            work.rmdir()  # only when empty: the folder may hold other jobs' shards
    return AddReport(
        str(job.collection),
        ledger.added,
        ledger.skipped,
        0,
        documents,
        time.perf_counter() - began,
        tuple(notes),
    )


class _Commits:
    """The client's side: batches committed in order, the ledger kept, shard files removed."""

    def __init__(
        self, col: Any, job: Any, plan: AddPlan, bases: list[str], ledger: Ledger, *, keep: bool, progress
    ):
        self.col, self.job, self.plan, self.bases, self.ledger, self.keep = (
            col,
            job,
            plan,
            bases,
            ledger,
            keep,
        )
        self.ready: dict[int, dict[str, Any]] = {}
        self.next = 0  # the next shard to commit
        self.run_added = 0  # documents this run committed (what a failure says is kept)
        size = job.batch_size
        self.first_row, self.batches, at = [], [], 0
        for s in plan.shards:
            self.first_row.append(at)
            self.batches.append(-(-s.records // size))
            at += s.records
        self.bar = task(progress, "index add", plan.records, "doc")

    # -- resuming ---------------------------------------------------------------------------
    def resume(self) -> bool:
        """Take up an earlier run's ledger; whether there was one."""
        from ..store import load_prepared

        mark = self.ledger.load()
        if mark is None:
            return False
        if mark.get("pending"):
            s, b = mark["pending"]
            batch = load_prepared(self.bases[s])[b]
            if landed(self.col, batch, fresh=bool(mark.get("fresh")), upsert=self.job.upsert):
                added, skipped = mark["batch"]
                self.ledger.committed((s, b), [d.id for d in batch.docs], added, skipped)
            else:
                self.ledger.settle()
        check_resumable(self.col, self.ledger, self.job.collection)
        if self.ledger.done is not None:
            s, b = self.ledger.done
            self.next = s + 1 if b + 1 >= self.batches[s] else s
            done_rows = self.first_row[s] + (b + 1) * self.job.batch_size
            self.bar.advance(min(done_rows, self.plan.records))
            for k in range(self.next):
                self._remove(k)  # a run killed after its ledger said so, before it removed them
        return True

    # -- committing -------------------------------------------------------------------------
    def take(self, result: dict[str, Any]) -> None:
        self.ready[int(result["shard"])] = result
        self.drain()

    def drain(self, *, final: bool = False) -> None:
        while self.next < len(self.plan.shards) and self.next in self.ready:
            self._commit_shard(self.next, self.ready.pop(self.next))
            self.next += 1
        if final and self.plan.error is not None:
            raise self._stopped(self.plan.error) from self.plan.error

    def _commit_shard(self, s: int, result: dict[str, Any]) -> None:
        from ..store import load_prepared

        size, error_at = self.job.batch_size, self.plan.error_at
        read = list(result.get("read", ()))
        prepared = load_prepared(self.bases[s]) if read else []
        for j, batch in enumerate(prepared):
            if self.ledger.done is not None and (s, j) <= self.ledger.done:
                continue  # committed by an earlier run
            if error_at is not None and self.first_row[s] + (j + 1) * size > error_at:
                return  # a one-process read fails while it fills this batch
            self._commit((s, j), batch, read[j])
        error = result.get("error")
        if error is not None:
            raise self._stopped(error) from error
        if not self.keep and self.plan.error is None:
            self._remove(s)

    def _commit(self, at: tuple[int, int], batch: Any, read: int) -> None:
        col, job = self.col, self.job
        try:
            if job.skip_existing and len(batch):
                batch = _without(
                    batch, col.has_ids([d.id for d in batch.docs])
                )  # added since it was prepared
            ids = [d.id for d in batch.docs]
            if ids:
                fresh = job.skip_existing or job.upsert or not col.has_ids(ids)
                self.ledger.pending(at, fresh, len(ids), read - len(ids))
                col.commit(batch, upsert=job.upsert)
            self.ledger.committed(at, ids, len(ids), read - len(ids))
        except (InterlinguaError, OSError) as exc:
            with contextlib.suppress(InterlinguaError, OSError):
                self.ledger.settle()
            raise self._stopped(exc) from exc
        self.run_added += len(ids)
        self.bar.advance(read)

    def _stopped(self, exc: BaseException) -> BaseException:
        """The error a one-process add raises at this point: ``exc``, or after a first commit a
        :class:`PartialWriteError` saying what is kept."""
        if not self.run_added:
            return exc
        return PartialWriteError(
            f"index add stopped after committing {self.run_added:,} document(s) of this run to "
            f"{self.job.collection} (they are kept); fix the problem below, then rerun the same command "
            "with --skip-existing to add the rest",
            committed=self.run_added,
            cause=exc,
        )

    def _remove(self, s: int) -> None:
        from ..store import prepared_paths

        if self.keep:
            return
        for p in [*prepared_paths(self.bases[s]), Path(self.bases[s] + DONE)]:
            with contextlib.suppress(OSError):
                p.unlink(missing_ok=True)


class _Feeding:
    """An executor handing each shard's result to ``on_result`` as it comes, so that the client
    commits while later shards are still being prepared."""

    def __init__(self, inner: Executor, on_result: Callable[[dict[str, Any]], None]):
        self.inner, self.on_result, self.workers = inner, on_result, inner.workers

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        for _, result in self.completed(fn, items):
            yield result

    def completed(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        for pos, result in completed(self.inner, fn, items):
            self.on_result(result)
            yield pos, result

    def close(self) -> None:
        pass  # the inner executor belongs to whoever made it


def _payload(col: Any, job: Any, prefix: str) -> dict[str, Any]:
    """What every shard task needs to prepare as ``col.prepare`` does (small and picklable)."""
    space = col.space
    if space.spec is None:
        raise InputError(
            f"The collection {job.collection}'s space was made in code; workers rebuild a space from its "
            "spec: open the collection without a space object"
        )
    return {
        "space": space.spec.to_dict(),
        "identity": space.identity,
        "segmenter": col.segmenter,
        "langid": col.langid,
        "uri": str(job.collection),
        "skip_existing": job.skip_existing,
        "prefix": prefix,
        "batch_size": job.batch_size,
        "input": job.input,
    }


def _without(batch: Any, ids: set[str]) -> Any:
    if not ids:
        return batch
    from ..store import PreparedBatch

    keep = [i for i, d in enumerate(batch.docs) if d.id not in ids]
    return PreparedBatch(
        tuple(batch.docs[i] for i in keep),
        batch.vectors[keep],
        tuple(batch.tokens[i] for i in keep),
        batch.space,
    )


def _fingerprint(job: Any, sharding: Sharding, rows: int, files: tuple[str, ...]) -> str:
    """The job, how it is cut, and the source files as they are now (an edited file is a new job)."""
    h = hashlib.blake2b(digest_size=8)
    h.update(job_fingerprint(job, sharding).encode())
    h.update(str(rows).encode())
    for f in files:
        st = os.stat(f)
        h.update(f"\0{f}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _output(job: Any) -> str:
    """What the default work folder ``<output>.shards`` is named after: the collection folder,
    else (a database) the source."""
    from ..store import backend_for

    if backend_for(job.collection) == "embedded":
        return str(Path(job.collection))
    src = job.source
    cut = min((src.index(c) for c in "*?[" if c in src), default=None)
    return str(Path(src) if cut is None else Path(src[:cut] or ".").parent)


def _check_shared(executor: Any, work: Path, files: tuple[str, ...]) -> None:
    check = getattr(executor, "check_shared", None)
    if check is None:
        return
    from .._atomic import storage_errors

    with storage_errors(work):
        work.mkdir(parents=True, exist_ok=True)
    check(work)
    for f in sorted({str(Path(f).parent) for f in files}):
        check(f)


def _not_inside(source: str, collection: str) -> None:
    """A collection's own files are never read as documents while the collection is written."""
    from ..store import backend_for

    if backend_for(collection) != "embedded":
        return
    folder, src = Path(collection).resolve(), Path(source).resolve()
    if folder == src or folder in src.parents:
        raise InputError(
            f"is inside the collection {collection!r}, which this command writes; give a file from outside it",
            path=str(source),
        )


__all__ = ["run_add"]
