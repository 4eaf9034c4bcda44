"""The worker side of the sharded k-NN: each step of stopes' index pipeline as one shard task.

``train`` (one task a direction) trains the empty index on a seeded sample of the database side
and writes it; ``add`` (one a database shard) adds its rows, with their global row numbers as
ids, to a copy of the trained index; ``merge`` (one a direction) appends the shard indexes' lists
in shard order into one index; ``build`` (one a direction, for faiss indexes that are neither IVF
nor flat, e.g. HNSW) builds the whole index as one process does; ``search`` (one a query shard)
searches its rows against the index (memory-mapped) or, for ``exact`` and ``faiss`` (flat), the
database itself, and writes ``(scores, indices, means)``.

Every task reads its vectors from a ``.npy`` file (memory-mapped), writes its files atomically
and returns paths and counts only (``finish``), so a worker holds its shard and the index, never
a whole side it does not need, and a rerun skips what a killed run finished.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np

from .._atomic import atomic_path, atomic_write_bytes
from ..errors import InputError
from ..mine import (
    KnnSearcher,
    add_rows,
    factory_of,
    neighbour_means,
    release,
    trained_index,
    tune_index,
)
from ._shards import ShardTask, finish

INDEX = ".index"
NEIGHBOURS = ".npz"


def knn_step(t: ShardTask) -> dict[str, Any]:
    """Run one shard task of the sharded k-NN (its ``step`` says which)."""
    return STEPS[t.job["step"]](t)


def _vectors(path: str, rows: int | None = None) -> np.ndarray:
    x = np.load(path, mmap_mode="r", allow_pickle=False)
    if x.ndim != 2 or x.dtype != np.float32 or (rows is not None and x.shape[0] != rows):
        raise InputError(
            f"holds a {x.dtype} array of shape {x.shape}, not the float32 matrix of {rows} rows the job "
            "started with: the file changed; run the job again",
            path=path,
        )
    return x


def _write_index(index: Any, target: str) -> None:
    import faiss

    with atomic_path(target) as temp:
        faiss.write_index(index, str(temp))


def _read_index(path: str, *, mmap: bool = False) -> Any:
    import faiss

    return faiss.read_index(path, faiss.IO_FLAG_MMAP if mmap else 0)


def train_shard(t: ShardTask) -> dict[str, Any]:
    """The trained, empty index of the database side (its cells), at ``<base>.index``."""
    j = t.job
    db = _vectors(j["db"], j["db_rows"])
    index = trained_index(db, j["factory"])
    tune_index(index, j["nprobe"])
    release(db)
    _write_index(index, t.base + INDEX)
    return finish(t.base, {"path": t.base + INDEX})


def add_shard(t: ShardTask) -> dict[str, Any]:
    """Rows ``start:stop`` of the database, added to a copy of the trained index."""
    j = t.job
    db = _vectors(j["db"], j["db_rows"])
    index = _read_index(j["trained"])
    add_rows(index, db, j["start"], j["stop"], with_ids=True)
    _write_index(index, t.base + INDEX)
    return finish(t.base, {"path": t.base + INDEX, "rows": int(index.ntotal)})


def merge_shard(t: ShardTask) -> dict[str, Any]:
    """The shard indexes, in shard order, into one: each cell's list is the concatenation of the
    shards' lists for that cell, which is the list adding every row in order gives."""
    import faiss

    j = t.job
    index = _read_index(j["parts"][0])
    for part in j["parts"][1:]:
        other = _read_index(part)
        faiss.merge_into(index, other, False)  # ids are global already: no shift
        del other
    if index.ntotal != j["db_rows"]:
        raise InputError(
            f"the shard indexes hold {index.ntotal:,} rows, not {j['db_rows']:,}; delete the shard folder "
            "and run again",
            path=t.base,
        )
    _write_index(index, t.base + INDEX)
    return finish(t.base, {"path": t.base + INDEX, "rows": int(index.ntotal)})


def build_shard(t: ShardTask) -> dict[str, Any]:
    """A whole index built as one process builds it (HNSW graphs cannot be merged)."""
    j = t.job
    db = _vectors(j["db"], j["db_rows"])
    index = trained_index(db, j["factory"])
    tune_index(index, j["nprobe"])
    add_rows(index, db, 0, db.shape[0])
    _write_index(index, t.base + INDEX)
    return finish(t.base, {"path": t.base + INDEX, "rows": int(index.ntotal)})


def _searcher(j: dict[str, Any]) -> KnnSearcher:
    if j["index"] is None:  # exact (numpy, the database streamed) or flat (built from the memmap)
        db = _vectors(j["db"], j["db_rows"])
        return KnnSearcher(db, j["backend"], j["block_size"], j["nprobe"])
    index = _read_index(j["index"], mmap=j["mmap"])
    tune_index(index, j["nprobe"])
    return KnnSearcher(None, j["backend"], j["block_size"], j["nprobe"], index=index)


def search_shard(t: ShardTask) -> dict[str, Any]:
    """Top-``k`` of query rows ``start:stop`` (whole k-NN blocks), block by block as
    ``mine.neighbours`` searches them, with each query's neighbour mean."""
    j = t.job
    queries = _vectors(j["queries"], j["q_rows"])
    searcher = _searcher(j)
    start, stop, block, k = j["start"], j["stop"], j["block_size"], j["k"]
    scores = np.empty((stop - start, k), dtype=np.float32)
    idx = np.empty((stop - start, k), dtype=np.int64)
    blocks = 0
    for qs in range(start, stop, block):
        qe = min(stop, qs + block)
        s, i = searcher.search(queries[qs:qe], k)
        release(queries)
        scores[qs - start : qe - start], idx[qs - start : qe - start] = s, i
        blocks += 1
    scores[idx < 0] = -np.inf
    buf = io.BytesIO()
    np.savez(buf, scores=scores, indices=idx, means=neighbour_means(scores))
    atomic_write_bytes(t.base + NEIGHBOURS, buf.getvalue())
    return finish(t.base, {"path": t.base + NEIGHBOURS, "rows": stop - start, "blocks": blocks})


STEPS: dict[str, Callable[[ShardTask], dict[str, Any]]] = {
    "train": train_shard,
    "add": add_shard,
    "merge": merge_shard,
    "build": build_shard,
    "search": search_shard,
}


def index_kind(backend: str) -> str:
    """How a backend's index is made across shards: ``none`` (exact, or flat: each search task
    reads the database itself), ``ivf`` (trained, added per shard, merged) or ``whole`` (one task
    builds it)."""
    factory = factory_of(backend)
    if factory is None or factory == "Flat":
        return "none"
    return "ivf" if "IVF" in factory else "whole"


__all__ = ["INDEX", "NEIGHBOURS", "STEPS", "index_kind", "knn_step"]
