"""The sharded embed: an :class:`~interlingua.embed.EmbedJob` as shards on any executor, giving the
file ``embed.run`` gives, vector for vector.

The client checks everything it can (the output path, the inputs it must not replace, every
line of the source: ``_split``), then each shard task reads its records, encodes them in chunks
of the job's ``chunk_size`` (the batches a one-process run forms, hence the same bits) and writes
``<base>.npy`` with its ids; the client merges the shard files in order into the job's output,
with the provenance ``embed.run`` stamps, holding one block of vectors at a time.

The embedding cache is one SQLite file in WAL mode with a 60 s busy timeout: worker processes
of one machine read and write it together safely (each shard commits its own rows). Workers of
a remote cluster use their own machine's cache (WAL needs one host, so never put that cache on
a network file system).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import storage_errors
from .._executors import Executor
from .._paths import cache_dir, file_stamp
from ..embed import MINING_ROLE, EmbedJob, EmbedReport
from ..errors import InputError, TruncationWarning
from ..io import (
    EmbeddingWriter,
    InputOptions,
    check_output_path,
    read_embedding_texts,
    read_embeddings,
)
from ..neutral import Batching, CorpusStats, SpaceSpec, cached_space, encode_corpus, open_cache, provenance
from ..progress import ProgressFn, note, task
from ._options import Sharding, executor_of, job_fingerprint
from ._shards import DONE, ShardTask, finish, finished, run_shards, shard_base
from ._split import SourceShard, is_many, plan_source, read_shard, source_files

#: rows moved from the shard files to the output at a time (bounded memory)
MERGE_ROWS = 8192
#: the files a shard writes beside ``<base>``
SHARD_FILES = (".npy", ".ids.txt", ".texts.jsonl", DONE)
_COUNTS = ("records", "encoded", "cache_hits", "tokens", "truncated", "skipped_empty", "replaced")


def run_embed(
    job: EmbedJob,
    sharding: Sharding,
    *,
    progress: ProgressFn | None = None,
    executor: Executor | None = None,
) -> EmbedReport:
    """Run ``job`` as shards of ``sharding.shard_rows`` texts (rounded up to a multiple of the
    job's ``chunk_size``); a rerun of a killed run reuses the shards it finished."""
    start = time.perf_counter()
    job.validate()
    sharding = sharding.validate()
    files, _, _ = source_files(job.source, job.input)
    out_format = check_output_path(job.output, fmt=job.output_format, protect=tuple(files))
    rows = -(-sharding.shard_rows // job.chunk_size) * job.chunk_size
    notes: list[str] = []
    if rows != sharding.shard_rows:
        notes.append(
            f"shards of {rows:,} texts, not {sharding.shard_rows:,}: a multiple of chunk_size "
            f"({job.chunk_size:,}) forms the batches of a one-process run, hence the same vectors"
        )
        sharding = dataclasses.replace(sharding, shard_rows=rows)
    plan = plan_source(job.source, job.input, rows)  # reads the source once: its errors come here
    notes[:0] = plan.notes
    if job.role != MINING_ROLE:
        notes.append(
            f"vectors of role {job.role!r}; mine and align compare role {MINING_ROLE!r} vectors "
            f"(--role {MINING_ROLE} to make ones they take)"
        )
    space = cached_space(job.space)
    if sharding.executor != "local" or executor is not None:
        if not space.portable:  # pragma: no cover - a job's space is always a spec
            raise InputError(f"The space {space.identity!r} cannot be rebuilt in worker processes.")
        space.prepare()  # cached model files built once, not by every worker at the same time
    work = Path(sharding.folder(job.output)).absolute()
    fp = _fingerprint(job, sharding, plan.files)
    with executor_of(sharding, executor) as pool:
        remote = getattr(pool, "scheduler", None) is not None
        with storage_errors(work):
            work.mkdir(parents=True, exist_ok=True)
        if hasattr(pool, "check_shared"):
            for folder in dict.fromkeys([*(str(Path(f).absolute().parent) for f in plan.files), str(work)]):
                pool.check_shared(folder)
        payload = {
            "input": job.input.to_dict(),
            "space": job.space.to_dict(),
            "role": job.role,
            "batch_size": job.batch_size,
            "chunk_size": job.chunk_size,
            "with_text": job.with_text,
            "cache": job.cache,
            # one machine: the client's cache folder (the same SQLite file); a cluster: each worker's own
            "cache_dir": None if remote or not job.cache else str(cache_dir("embeddings")),
        }
        tasks = [
            ShardTask(
                s.shard,
                shard_base(work, fp, s.shard, "embed"),
                {
                    **payload,
                    "shard": dataclasses.asdict(dataclasses.replace(s, path=os.path.abspath(s.path))),
                },
                s.records,
            )
            for s in plan.shards
        ]
        for t in tasks:
            _drop_if_broken(t)
        for leftover in work.glob(f".{fp}-embed-*.tmp"):  # a killed run's half-written shard files
            with contextlib.suppress(OSError):
                leftover.unlink()
        if job.cache and remote:
            notes.append("each Dask worker reads and writes its own machine's embedding cache")
        name = _executor_name(pool, sharding)
        workers = getattr(pool, "workers", sharding.workers)
        for line in notes:
            note(progress, line, "embed")
        results = run_shards(
            pool, embed_shard, tasks, progress=progress, name=f"embed {space.name}", unit="text"
        )
    reused = sum(bool(r.get("reused")) for r in results)
    stamp = provenance(
        "embeddings",
        space,
        role=job.role,
        job=job,
        source=job.source,
        # one file: what ``mine`` compares to reuse these vectors; many: each file's
        source_stat=[[f, *file_stamp(f)] for f in plan.files]
        if is_many(job.source)
        else file_stamp(job.source),
        fingerprint=job.fingerprint(),
    )
    _merge(tasks, job, out_format, space.dim, stamp, progress)
    if not sharding.keep_shards:
        _remove(tasks, work)
    counts = EmbedReport()
    for r in results:
        counts = counts + EmbedReport(**{k: int(r.get(k, 0)) for k in _COUNTS})
    notes.append(
        f"{len(tasks)} shard(s)"
        + (f" ({reused} reused from {work})" if reused else "")
        + f" on {name}, {workers} worker(s)"
        + (f"; shard files kept in {work}" if sharding.keep_shards else "")
    )
    warned = _warnings(counts, space.info.max_tokens)
    return dataclasses.replace(
        counts,
        space=space.identity,
        output=str(job.output),
        encoder=space.name,
        seconds=time.perf_counter() - start,
        warnings=tuple(warned),
        notes=tuple(notes),
    )


def _fingerprint(job: EmbedJob, sharding: Sharding, files: tuple[str, ...]) -> str:
    """The job, how it is cut, and the source files as they are now: a changed file is new work."""
    h = hashlib.blake2b(digest_size=8)
    h.update(job_fingerprint(job, sharding).encode())
    h.update(json.dumps([[os.path.abspath(f), *file_stamp(f)] for f in files]).encode())
    return h.hexdigest()


def _executor_name(pool: Executor, sharding: Sharding) -> str:
    kind = type(pool).__name__
    return {"DaskExecutor": "dask", "ProcessExecutor": "processes", "LocalExecutor": "local"}.get(
        kind, sharding.executor
    )


def _drop_if_broken(t: ShardTask) -> None:
    """A done record whose files are gone or do not match is made again, not merged."""
    got = finished(t.base)
    if got is None:
        return
    ok = Path(t.base + ".npy").is_file() and Path(t.base + ".ids.txt").is_file() and got.get("rows") == t.size
    if ok and t.job.get("with_text"):
        ok = Path(t.base + ".texts.jsonl").is_file()
    if not ok:
        with contextlib.suppress(OSError):
            Path(t.base + DONE).unlink()


def _merge(
    tasks: list[ShardTask],
    job: EmbedJob,
    out_format: str,
    dim: int,
    stamp: dict[str, Any],
    progress: ProgressFn | None,
) -> None:
    total = sum(t.size for t in tasks)
    with (
        task(progress, "merge shards", total, "text") as bar,
        EmbeddingWriter(job.output, dim, fmt=out_format, with_text=job.with_text, provenance=stamp) as writer,
    ):
        for t in tasks:
            ids, vectors = read_embeddings(t.base + ".npy")
            if len(ids) != t.size:
                raise InputError(
                    f"the shard holds {len(ids):,} rows, not {t.size:,}; delete {t.base}{DONE} and run again",
                    path=t.base + ".npy",
                )
            texts = read_embedding_texts(t.base + ".npy") if job.with_text else None
            for i in range(0, len(ids), MERGE_ROWS):
                j = min(i + MERGE_ROWS, len(ids))
                writer.write(ids[i:j], np.asarray(vectors[i:j]), texts[i:j] if texts is not None else None)
                bar.advance(j - i)
            del vectors


def _remove(tasks: list[ShardTask], work: Path) -> None:
    for t in tasks:
        for suffix in SHARD_FILES:
            with contextlib.suppress(OSError):
                Path(t.base + suffix).unlink()
    with contextlib.suppress(OSError):
        work.rmdir()  # only when empty: other jobs' shards stay


def _warnings(counts: EmbedReport, max_tokens: int | None) -> list[str]:
    import warnings

    out: list[str] = []
    if counts.truncated:
        out.append(f"{counts.truncated} text(s) exceeded {max_tokens} tokens and were truncated.")
        warnings.warn(out[-1], TruncationWarning, stacklevel=4)
    if counts.replaced:
        out.append(f"{counts.replaced} text(s) held invalid code points, replaced by U+FFFD.")
    return out


# -- worker side ------------------------------------------------------------------------------
def embed_shard(t: ShardTask) -> dict[str, Any]:
    """Encode one shard and write ``<base>.npy`` (+ ids, + texts) atomically, then its done record.
    The space is built once per worker process (``cached_space``)."""
    start = time.perf_counter()
    spec = t.job
    shard = SourceShard(**spec["shard"])
    opts = InputOptions.from_dict(spec["input"])
    space = cached_space(SpaceSpec.from_dict(spec["space"]))
    cache = None
    if spec["cache"]:
        cache = open_cache(space, Path(spec["cache_dir"]) if spec["cache_dir"] else None)
    pending: list = []
    langs: deque[str | None] = deque()
    counts = CorpusStats()
    try:
        with (
            read_shard(shard, opts) as records,
            EmbeddingWriter(t.base + ".npy", space.dim, fmt="npy", with_text=spec["with_text"]) as writer,
        ):

            def texts() -> Iterator[str]:
                for rec in records:
                    pending.append(rec)
                    langs.append(rec.lang)
                    yield rec.text

            def text_langs() -> Iterator[str | None]:  # read after each chunk's texts: in step
                while langs:
                    yield langs.popleft()

            for chunk in encode_corpus(
                texts(),
                space,
                role=spec["role"],
                langs=text_langs() if space.needs_langs and records.fields.lang else None,
                cache=cache,
                batching=Batching(spec["batch_size"], spec["chunk_size"]),
            ):
                n = len(chunk.vectors)
                batch, pending[:] = pending[:n], pending[n:]
                writer.write(
                    [r.id for r in batch],
                    chunk.vectors,
                    [r.text for r in batch] if spec["with_text"] else None,
                )
                counts = counts + chunk.stats
            if writer.rows != shard.records:
                raise InputError(
                    f"the shard from line {shard.line} holds {writer.rows:,} records, not the {shard.records:,} "
                    "counted when the job started: the file changed; run the job again",
                    path=shard.path,
                )
    finally:
        if cache is not None:
            cache.close()
    return finish(
        t.base,
        {
            "rows": writer.rows,
            "records": records.stats.records,
            "encoded": counts.encoded,
            "cache_hits": counts.cache_hits,
            "tokens": counts.tokens,
            "truncated": counts.truncated,
            "skipped_empty": records.stats.skipped_empty,
            "replaced": records.stats.replaced,
            "seconds": round(time.perf_counter() - start, 3),
        },
    )


__all__ = ["embed_shard", "run_embed"]
