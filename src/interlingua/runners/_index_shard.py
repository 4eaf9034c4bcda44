"""One shard of a sharded ``index add``, where a worker runs it; and the plan of the shards.

A worker prepares its shard's records exactly as a one-process add prepares them (the same
batches, ids, languages, metadata; the collection's space, segmenter and language ID) and saves
the prepared batches beside the job's other shard files. It never writes the collection: the
client, the only writer, commits the batches in order. A shard whose reading or preparing fails
part-way saves the batches before the failing one and returns the error without being marked
done, so the client commits what a one-process add would have committed, then raises it.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, InterlinguaError, SpaceMismatchError
from ..io import InputOptions, read_records
from ._shards import ShardTask, finish
from ._split import SourceShard, _LineStarts, is_many, plan_source, read_shard


@dataclass(frozen=True)
class AddPlan:
    """The shards of an add's source and what the client's reading pass saw."""

    shards: tuple[SourceShard, ...]
    files: tuple[str, ...]
    notes: tuple[str, ...]
    id_field: str | None
    #: an error in the source (a bad line, a duplicate id) and how many records come before it:
    #: the shards stop there, the client commits the whole batches before it, then raises it
    error: InputError | None = None
    error_at: int | None = None

    @property
    def records(self) -> int:
        return sum(s.records for s in self.shards)


def plan_add(source: str, input: InputOptions, rows: int) -> AddPlan:
    """The shards of ``source`` of ``rows`` records each; a source with an error (one file) is
    planned up to the record the error stops a one-process read at."""
    try:
        p = plan_source(source, input, rows)
    except InputError as exc:
        if is_many(source) or exc.line is None:
            raise  # many files have no one-process add to match: nothing is committed
        return _plan_to_error(source, input, rows, exc)
    return AddPlan(p.shards, p.files, p.notes, p.id_field)


def _plan_to_error(source: str, input: InputOptions, rows: int, first: InputError) -> AddPlan:
    """The shards of the records before the error ``first`` (one file, one more pass)."""
    path = Path(source)
    with read_records(path, input) as records, open(path, "rb") as raw:
        parquet = records.format == "parquet"
        lines, starts, n = _LineStarts(raw), [(1, 0)], 0
        try:
            for rec in records:
                if n and n % rows == 0:
                    starts.append((rec.line, rec.line - 1 if parquet else lines.offset(rec.line)))
                n += 1
        except InputError as exc:
            error = exc
        else:
            raise first  # the file changed between the passes: no records to match
        if error.line is None:
            raise error
        end = error.line - 1 if parquet else lines.offset(error.line)
        notes, id_field = tuple(records.notes), records.fields.id
    shards = tuple(
        SourceShard(
            k,
            str(path),
            offset,
            starts[k + 1][1] if k + 1 < len(starts) else end,
            line,
            min(rows, n - k * rows),
        )
        for k, (line, offset) in enumerate(starts)
    )
    return AddPlan(shards, (str(path),), notes, id_field, error, n)


def prepare_shard(task: ShardTask) -> dict[str, Any]:
    """Prepare one shard's batches and save them under ``task.base`` (the task function)."""
    from ..neutral import Space, SpaceSpec
    from ..store import batches, empty_batch, open_collection, prepare_batch, save_prepared

    spec = task.job
    shard: SourceShard = spec["shard"]
    space = Space.of(SpaceSpec.from_dict(spec["space"]))
    read: list[int] = []
    prepared: list[Any] = []
    error: BaseException | None = None
    reader = None
    try:
        if space.identity != spec["identity"]:
            raise SpaceMismatchError(
                f"The worker's space is {space.identity!r}; the collection's is {spec['identity']!r}. "
                "Install the same model (and adapter files) on every worker."
            )
        # skip_existing asks the collection which ids it holds, as a one-process add does per batch
        # (the writer adds none of this shard's ids before it commits them: ids are unique)
        reader = open_collection(spec["uri"], readonly=True) if spec["skip_existing"] else None
        prefix, size, start = spec["prefix"], spec["batch_size"], spec["start"]
        with read_shard(shard, spec["input"]) as records:
            docs = (
                {"id": prefix + str(r.id), "text": r.text, "lang": r.lang, "meta": r.meta} for r in records
            )
            for batch in batches(docs, size):
                n = len(batch)
                if reader is not None:
                    have = reader.has_ids([d["id"] for d in batch])
                    batch = [d for d in batch if d["id"] not in have]
                prepared.append(
                    prepare_batch(
                        batch,
                        space=space,
                        segmenter=spec["segmenter"],
                        langid=spec["langid"],
                        start=start + sum(read),
                    )
                    if batch
                    else empty_batch(space)
                )
                read.append(n)
        if sum(read) != shard.records:
            raise InputError(
                f"the shard starting on line {shard.line} held {sum(read)} records, not the "
                f"{shard.records} counted when the job started: the file changed; run the add again",
                path=shard.path,
            )
    except (InterlinguaError, OSError) as exc:
        error = exc
    finally:
        if reader is not None:
            reader.close()
    save_prepared(task.base, prepared, dim=space.dim)
    result = {"shard": task.shard, "read": read, "docs": [len(b) for b in prepared]}
    if error is not None:
        return {**result, "error": _portable(error)}  # not done: a rerun prepares it again
    return finish(task.base, result)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` when it survives pickling (a worker's result travels to the client), else an
    :class:`InputError` with its message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return InputError(str(exc))


__all__ = ["AddPlan", "plan_add", "prepare_shard"]
