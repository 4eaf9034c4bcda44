"""The client side of the sharded k-NN: both directions of a mining job's neighbours, in stopes'
shape, on any executor, giving the neighbour lists ``mine.neighbours`` gives in one process.

For each direction (src -> tgt, then tgt -> src) with an IVF backend: one task trains the index on
the seeded sample of the database side; one task a database shard adds its rows to a copy of it;
one task merges the shard indexes in shard order; one task a query shard searches its rows and
writes ``(scores, indices, means)``. With ``exact`` or ``faiss`` (flat) there is no index to
build: each query shard searches the whole database, read from its memory-mapped file; other
faiss indexes (HNSW) are built whole by one task. The phases run both directions' tasks
together, so that workers are not idle while one direction trains. The client then reads the
shard files in order into the ``(n, k)`` lists, the only arrays it holds.

Why the lists are identical, bit for bit, to one process's:

- the same cells: training is the same function on the same seeded sample of rows;
- the same lists: faiss assigns added rows to cells by matrix products in blocks of
  ``distance_compute_blas_query_bs`` rows (4,096), whose rounding depends on the block, so a
  database shard is a multiple of that many rows and is added in the pieces a whole build adds
  (cut on multiples of ``mine.ADD_CHUNK``): every row falls in the block it falls in there. The
  merge appends each cell's list shard after shard, which is the order adding every row gives;
- the same search: a query shard is a whole number of the job's k-NN blocks, each searched by the
  same call on an index of the same content (ties are broken by list order, the same too); the
  products of ``exact`` and ``faiss`` are likewise those of the same blocks.

Shard files are named by the k-NN options, how the job is cut, and the content of both sides
(``job_fingerprint`` and ``mine.vectors_fingerprint``), so a rerun reuses them and a change
recomputes them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_open
from .._executors import Executor
from ..mine import (
    BlockStats,
    KnnOptions,
    Mined,
    MineOptions,
    Neighbours,
    check_embeddings,
    factory_of,
    mine_neighbours,
    resolve_backend,
    vectors_fingerprint,
)
from ..progress import ProgressFn
from ._ivf_shards import INDEX, NEIGHBOURS, index_kind, knn_step
from ._options import Sharding, job_fingerprint
from ._shards import DONE, ShardTask, finished, run_shards, shard_base

#: faiss' BLAS block of query rows (``faiss.cvar.distance_compute_blas_query_bs``' default)
BLAS_ROWS = 4096


@dataclass(frozen=True)
class Side:
    """One direction: its queries and database as ``.npy`` files (what workers memory-map)."""

    tag: str
    queries: str
    q_rows: int
    database: str
    db_rows: int


@dataclass
class ShardedMining:
    """``mine_vectors(src, tgt, options, work_dir=, progress=, top=)`` with its k-NN as shards on
    ``executor``, shard files in ``folder`` (``mine.MineSteps.mine_vectors``); the scoring is
    ``mine.mine_neighbours`` on the merged lists and the shards' neighbour means."""

    executor: Executor
    sharding: Sharding
    folder: Path
    #: the fingerprints its shard files are named by (``<folder>/<fingerprint>-...``)
    fingerprints: list[str] = field(default_factory=list)
    shards: int = 0
    #: lines for the report: how the shard sizes were adjusted, and why
    notes: list[str] = field(default_factory=list)

    def __call__(
        self,
        src: np.ndarray,
        tgt: np.ndarray,
        options: MineOptions,
        *,
        work_dir: Any = None,
        progress: ProgressFn | None = None,
        top: bool = True,
    ) -> Mined:
        found, means = self.neighbours(src, tgt, options.knn, progress=progress)
        return mine_neighbours(found, options, top=top, means=means)

    def neighbours(
        self, src: np.ndarray, tgt: np.ndarray, options: KnnOptions, *, progress: ProgressFn | None = None
    ) -> tuple[Neighbours, tuple[np.ndarray, np.ndarray]]:
        """Both directions' lists, as ``mine.neighbours`` gives them, and each side's neighbour means."""
        src = check_embeddings(src, "source")
        tgt = check_embeddings(tgt, "target", dim=src.shape[1])
        backend = resolve_backend(options.backend, src.shape[0], tgt.shape[0])
        fp = self._fingerprint(options, backend, src, tgt)
        self.fingerprints.append(fp)
        src_file, tgt_file = self._npy(src, fp, "src"), self._npy(tgt, fp, "tgt")
        if hasattr(self.executor, "check_shared"):
            for folder in dict.fromkeys([str(Path(src_file).parent), str(Path(tgt_file).parent)]):
                self.executor.check_shared(folder)
        sides = [
            Side("fwd", src_file, src.shape[0], tgt_file, tgt.shape[0]),
            Side("bwd", tgt_file, tgt.shape[0], src_file, src.shape[0]),
        ]
        searches = {s.tag: self._search_tasks(s, fp, options, backend) for s in sides}
        for t in (t for s in sides for t in searches[s.tag]):
            _drop_if_broken(t, NEIGHBOURS)
        todo = [s for s in sides if any(finished(t.base) is None for t in searches[s.tag])]
        self._build_indexes(todo, fp, options, backend, progress)
        tasks = [t for s in sides for t in searches[s.tag]]
        results = run_shards(self.executor, knn_step, tasks, progress=progress, name="k-NN", unit="vec")
        self.shards += len(tasks)
        found, blocks = {}, BlockStats()
        for s in sides:
            mine = [(t, r) for t, r in zip(tasks, results) if t.job["tag"] == s.tag]
            found[s.tag] = _gather(mine, s.q_rows, min(options.k, s.db_rows))
            for _, r in mine:
                n = int(r.get("blocks", 1))
                blocks = blocks + (BlockStats(reused=n) if r["reused"] else BlockStats(computed=n))
        means = (found["fwd"][2], found["bwd"][2])
        return Neighbours(found["fwd"][:2], found["bwd"][:2], backend, blocks), means

    # -- planning ---------------------------------------------------------------------------
    def files(self) -> list[Path]:
        """Every shard file of this job in the folder (a killed run's included; temporary ones too)."""
        return [
            p
            for fp in self.fingerprints
            for pattern in (f"{fp}-*", f".{fp}-*.tmp")
            for p in self.folder.glob(pattern)
        ]

    def _fingerprint(self, options: KnnOptions, backend: str, src: np.ndarray, tgt: np.ndarray) -> str:
        h = hashlib.blake2b(digest_size=8)
        for part in (job_fingerprint(options, self.sharding), backend):
            h.update(part.encode())
        for x in (src, tgt):
            h.update(vectors_fingerprint(x).encode())
        return h.hexdigest()

    def _npy(self, x: np.ndarray, fp: str, name: str) -> str:
        """The ``.npy`` file ``x`` is memory-mapped from, or a copy of it in the shard folder (vectors
        read from Parquet or JSONL are in memory)."""
        path = getattr(x, "filename", None)
        if isinstance(x, np.memmap) and path and str(path).endswith(".npy") and x.flags.c_contiguous:
            try:
                on_disk = np.load(path, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError):
                on_disk = None
            if on_disk is not None and on_disk.shape == x.shape and on_disk.dtype == np.float32:
                return os.path.abspath(path)
        target = self.folder / f"{fp}-{name}.npy"
        if not target.is_file():
            with atomic_open(target, "wb") as fh:
                np.save(fh, np.ascontiguousarray(x, dtype=np.float32))
        return str(target)

    def _search_tasks(self, s: Side, fp: str, options: KnnOptions, backend: str) -> list[ShardTask]:
        block = options.block_size
        per = block * max(1, self.sharding.shard_rows // block)  # whole k-NN blocks
        self._note(
            per,
            f"query shards of {per:,} rows: whole k-NN blocks of {block:,} (knn.block_size), searched "
            "as one process searches them",
        )
        kind = index_kind(backend)
        payload = {
            "step": "search",
            "tag": s.tag,
            "queries": s.queries,
            "q_rows": s.q_rows,
            "db": s.database,
            "db_rows": s.db_rows,
            "backend": backend,
            "block_size": block,
            "nprobe": options.nprobe,
            "k": min(options.k, s.db_rows),
            "index": None if kind == "none" else self._index_base(fp, s.tag) + INDEX,
            "mmap": kind == "ivf",
        }
        return [
            ShardTask(
                n,
                shard_base(self.folder, fp, n, f"{s.tag}-knn"),
                {**payload, "start": start, "stop": min(s.q_rows, start + per)},
                min(s.q_rows, start + per) - start,
            )
            for n, start in enumerate(range(0, s.q_rows, per))
        ]

    def _note(self, rows: int, line: str) -> None:
        if rows != self.sharding.shard_rows and line not in self.notes:
            self.notes.append(line)

    def _index_base(self, fp: str, tag: str) -> str:
        return shard_base(self.folder, fp, 0, f"{tag}-index")

    def _build_indexes(
        self, sides: list[Side], fp: str, options: KnnOptions, backend: str, progress: ProgressFn | None
    ) -> None:
        """The index each direction left to search needs (trained, added, merged), if any."""
        kind = index_kind(backend)
        if kind == "none" or not sides:
            return
        factory = factory_of(backend)
        common = {"backend": backend, "factory": factory, "nprobe": options.nprobe}
        first, adds, merges = [], [], []
        for s in sides:
            base = self._index_base(fp, s.tag)
            _drop_if_broken(ShardTask(0, base), INDEX)
            if finished(base) is not None:
                continue  # its index is made: neither trained nor added again
            job = {**common, "tag": s.tag, "db": s.database, "db_rows": s.db_rows}
            if kind == "whole":
                first.append(ShardTask(0, base, {**job, "step": "build"}))
                continue
            train = shard_base(self.folder, fp, 0, f"{s.tag}-train")
            first.append(ShardTask(0, train, {**job, "step": "train"}))
            rows = -(-self.sharding.shard_rows // BLAS_ROWS) * BLAS_ROWS
            self._note(
                rows,
                f"database shards of {rows:,} rows: a multiple of faiss' {BLAS_ROWS:,}-row blocks, so that "
                "rows fall in the cells one process puts them in",
            )
            parts = [
                ShardTask(
                    n,
                    shard_base(self.folder, fp, n, f"{s.tag}-add"),
                    {
                        **job,
                        "step": "add",
                        "trained": train + INDEX,
                        "start": a,
                        "stop": min(s.db_rows, a + rows),
                    },
                    min(s.db_rows, a + rows) - a,
                )
                for n, a in enumerate(range(0, s.db_rows, rows))
            ]
            adds += parts
            merges.append(
                ShardTask(0, base, {**job, "step": "merge", "parts": [p.base + INDEX for p in parts]})
            )
        steps = [("k-NN index", first, "shard"), ("k-NN add", adds, "vec"), ("k-NN merge", merges, "shard")]
        for name, tasks, unit in steps:
            if tasks:
                run_shards(self.executor, knn_step, tasks, progress=progress, name=name, unit=unit)
                self.shards += len(tasks)


def _drop_if_broken(t: ShardTask, suffix: str) -> None:
    """A done record whose file is gone is made again, not read."""
    if finished(t.base) is not None and not Path(t.base + suffix).is_file():
        Path(t.base + DONE).unlink(missing_ok=True)


def _gather(
    shards: list[tuple[ShardTask, dict[str, Any]]], rows: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The shard files of one direction, in order, as ``(scores, indices, means)`` of all rows."""
    scores = np.empty((rows, k), dtype=np.float32)
    idx = np.empty((rows, k), dtype=np.int64)
    means = np.empty(rows, dtype=np.float32)
    for t, r in shards:
        a, b = t.job["start"], t.job["stop"]
        with np.load(r["path"], allow_pickle=False) as z:
            scores[a:b], idx[a:b], means[a:b] = z["scores"], z["indices"], z["means"]
    return scores, idx, means


__all__ = ["BLAS_ROWS", "ShardedMining", "Side"]
