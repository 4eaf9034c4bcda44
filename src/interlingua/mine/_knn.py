"""k nearest neighbours by inner product, block by block so memory stays bounded.

Vectors are L2-normalized (DESIGN.md), so inner product is cosine. ``exact`` multiplies
blocks of queries against blocks of the database and keeps a running top-k: memory is
``O(block_q * block_db)`` whatever the sizes, and the database may be a ``np.memmap`` read
from disk. ``faiss`` uses an exact ``IndexFlatIP`` (faster BLAS path, whole database in
memory); ``hnsw`` an approximate faiss HNSW index for very large inputs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import check_choice, check_int
from ..errors import InputError, MissingDependencyError

BACKENDS = ("exact", "faiss", "hnsw")


def check_embeddings(x: np.ndarray, name: str, *, dim: int | None = None) -> np.ndarray:
    """Return ``x`` as a 2-D float32 array (a memmap stays a memmap) or say what is wrong."""
    if not isinstance(x, np.ndarray) or x.ndim != 2:
        shape = getattr(x, "shape", None)
        raise InputError(f"The {name!r} embeddings must be a 2-D array (n, dim). Got shape {shape} instead.")
    if x.shape[0] == 0:
        raise InputError(f"The {name!r} embeddings are empty (0 rows).")
    if dim is not None and x.shape[1] != dim:
        raise InputError(f"The {name!r} embeddings have dimension {x.shape[1]}, the other side has {dim}.")
    return x if x.dtype == np.float32 else x.astype(np.float32)


def knn(
    queries: np.ndarray,
    database: np.ndarray,
    k: int,
    *,
    backend: str = "exact",
    block_size: int = 8192,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` inner products of each query in ``database``: ``(scores, indices)``, best first.

    ``k`` larger than the database is clipped to its size.
    """
    queries = check_embeddings(queries, "queries")
    database = check_embeddings(database, "database", dim=queries.shape[1])
    check_choice(backend, BACKENDS, "backend")
    check_int(k, "k", low=1)
    check_int(block_size, "block_size", low=1)
    k = min(k, database.shape[0])
    if backend == "exact":
        return _knn_exact(queries, database, k, block_size, progress)
    return _knn_faiss(queries, database, k, backend, block_size, progress)


def _knn_exact(q, db, k, block, progress):
    n = q.shape[0]
    scores = np.empty((n, k), dtype=np.float32)
    idx = np.empty((n, k), dtype=np.int64)
    for qs in range(0, n, block):
        qb = np.ascontiguousarray(q[qs : qs + block])
        best_s = np.full((qb.shape[0], 0), -np.inf, dtype=np.float32)
        best_i = np.zeros((qb.shape[0], 0), dtype=np.int64)
        for ds in range(0, db.shape[0], block):
            sims = qb @ np.ascontiguousarray(db[ds : ds + block]).T
            kk = min(k, sims.shape[1])
            part = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
            cand_s = np.concatenate([best_s, np.take_along_axis(sims, part, axis=1)], axis=1)
            cand_i = np.concatenate([best_i, part + ds], axis=1)
            keep = np.argpartition(-cand_s, min(k, cand_s.shape[1]) - 1, axis=1)[:, :k]
            best_s = np.take_along_axis(cand_s, keep, axis=1)
            best_i = np.take_along_axis(cand_i, keep, axis=1)
        order = np.argsort(-best_s, axis=1, kind="stable")
        scores[qs : qs + block] = np.take_along_axis(best_s, order, axis=1)
        idx[qs : qs + block] = np.take_along_axis(best_i, order, axis=1)
        if progress is not None:
            progress(qb.shape[0])
    return scores, idx


def _knn_faiss(q, db, k, backend, block, progress):
    try:
        import faiss
    except ImportError as exc:
        raise MissingDependencyError(f"The {backend!r} k-NN backend", "faiss") from exc
    d = db.shape[1]
    if backend == "faiss":
        index = faiss.IndexFlatIP(d)
    else:
        index = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = max(128, 2 * k)
    for ds in range(0, db.shape[0], 1 << 16):
        index.add(np.ascontiguousarray(db[ds : ds + (1 << 16)]))
    scores = np.empty((q.shape[0], k), dtype=np.float32)
    idx = np.empty((q.shape[0], k), dtype=np.int64)
    for qs in range(0, q.shape[0], block):
        s, i = index.search(np.ascontiguousarray(q[qs : qs + block]), k)
        scores[qs : qs + block], idx[qs : qs + block] = s, i
        if progress is not None:
            progress(s.shape[0])
    return scores, idx
