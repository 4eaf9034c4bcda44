"""k nearest neighbours by inner product, block by block so memory stays bounded.

Vectors are L2-normalized (DESIGN.md), so inner product is cosine. ``exact`` multiplies
blocks of queries against blocks of the database and keeps a running top-k: memory is
``O(block_q * block_db)`` whatever the sizes, and the database may be a ``np.memmap`` read
from disk. ``faiss`` uses an exact ``IndexFlatIP`` (faster BLAS path, whole database in
memory); ``hnsw`` an approximate faiss HNSW index; ``ivf`` an approximate faiss inverted-file
index (``IndexIVFFlat``: k-means cells, ``nprobe`` of them searched, exact inner products
inside), trained on a sample and filled from a memmap chunk by chunk: the choice for inputs of
a million rows.

IVF recall: queries come from the other language, and a cross-lingual query often falls outside
the cells its neighbours sit in, so ``nprobe`` matters more than for monolingual search. On
BUCC zh-en with e5-small (ratio margin, best-threshold F1): exact 0.8745, ivf nprobe 16 (the
default, ``DEFAULT_NPROBE``) 0.8621, 32 0.8682, 64 0.8692, hnsw 0.8732. Search time grows
about linearly with ``nprobe``.

``ivf-blas`` (:class:`CellIndex`) is the inverted file done for mining: cells cut on centered
vectors, the scan as one matrix product per cell and block of queries, exact scores. It is the
large-input choice (``LARGE_BACKEND``); its measurements are in :class:`CellIndex`. Nothing of it
is a faiss index, so a sharded run builds it in each search task from the database file (the same
seeded build, hence the same lists bit for bit).

Pages of a memory-mapped input are handed back to the OS after each chunk (``release``), so
streaming a 1.5 GB ``.npy`` does not leave 1.5 GB resident in the process.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable
from typing import Any

import numpy as np

from .._faiss import check_factory, make_index
from .._registry import Registry
from .._validation import check_int
from ..errors import InputError

DEFAULT_NPROBE = 16
#: rows added to a faiss index at a time
ADD_CHUNK = 1 << 16
#: mining's HNSW: a smaller build and search breadth than a collection's (one pass over each side)
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128

#: k-NN backends by name: None for the numpy block-wise search, else the faiss factory string
KNN_BACKENDS: Registry[str | None] = Registry("knn-backends", kind="k-NN backend")
KNN_BACKENDS.register("exact", None, description="numpy, block-wise, exact; the database may stay on disk")
KNN_BACKENDS.register("faiss", "Flat", description="faiss IndexFlatIP: exact, whole side in memory")
KNN_BACKENDS.register("hnsw", "HNSW32,Flat", description="faiss HNSW graph: approximate")
KNN_BACKENDS.register(
    "ivf", "IVFauto,Flat", description="faiss inverted file: approximate, for millions of rows"
)
KNN_BACKENDS.register(
    "ivf-blas",
    None,
    description="inverted file on centered vectors, searched cell by cell with matrix products: "
    "approximate, exact scores, for millions of rows",
)
#: backends that are numpy engines over the database (no faiss index to build, save or merge)
CELL_BACKENDS = frozenset({"ivf-blas"})
#: what ``knn="auto"`` should pick for large inputs: measured by benchmarks/mine.py (1M x 1M, hard set)
LARGE_BACKEND = "ivf-blas"


def uses_nprobe(backend: str) -> bool:
    """Whether ``nprobe`` changes what ``backend`` finds (so a work folder must record it)."""
    return backend in CELL_BACKENDS or "IVF" in (factory_of(backend) or "")


def __getattr__(name: str) -> Any:
    # BACKENDS (the built-in and plugin names) is read when asked for: listing the plugins scans
    # the installed packages, which importing the module should not cost
    if name == "BACKENDS":
        return tuple(KNN_BACKENDS.names())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def factory_of(backend: str) -> str | None:
    """The faiss factory string a backend name stands for (a factory string stands for itself)."""
    if backend in KNN_BACKENDS:
        return KNN_BACKENDS.get(backend)
    return check_factory(backend, "mining k-NN")


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


def release(x: np.ndarray) -> None:
    """Drop the resident pages of a memory-mapped array (they are re-read from disk on use)."""
    base = x
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "_mmap", None) or getattr(base, "base", None)
        if isinstance(base, np.ndarray) and getattr(base, "_mmap", None) is not None:
            base = base._mmap
    if isinstance(base, mmap.mmap) and hasattr(base, "madvise"):
        try:
            base.madvise(mmap.MADV_DONTNEED)
        except (OSError, ValueError):  # not supported here: pages stay cached, nothing breaks
            pass


class Searcher:
    """A database prepared for top-``k`` search (``search(block) -> (scores, indices)``)."""

    def __init__(
        self,
        database: np.ndarray | None,
        backend: str,
        block_size: int,
        nprobe: int | None = None,
        *,
        index: Any = None,
    ):
        """``index``: a faiss index built elsewhere over ``database`` (a sharded run reads it from
        a file), searched as the one built here would be."""
        self.database, self.backend, self.block_size = database, backend, block_size
        self.index = index
        self.factory = factory_of(backend)
        self.cells = None
        if backend in CELL_BACKENDS and index is None:
            self.cells = CellIndex(database, nprobe)
        elif self.factory is not None and index is None:
            self.index = _build_faiss(database, self.factory, nprobe)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        qb = np.ascontiguousarray(queries, dtype=np.float32)
        if self.cells is not None:
            return self.cells.search(qb, k)
        if self.index is not None:
            s, i = self.index.search(qb, k)
            return s, i.astype(np.int64, copy=False)
        return _search_exact(qb, self.database, k, self.block_size)


def knn(
    queries: np.ndarray,
    database: np.ndarray,
    k: int,
    *,
    backend: str = "exact",
    block_size: int = 8192,
    progress: Callable[[int], None] | None = None,
    nprobe: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` inner products of each query in ``database``: ``(scores, indices)``, best first.

    ``k`` larger than the database is clipped to its size. Approximate backends may return
    fewer than ``k`` hits for a query: the missing ones have index -1 and score -inf.
    """
    queries = check_embeddings(queries, "queries")
    database = check_embeddings(database, "database", dim=queries.shape[1])
    factory_of(backend)  # an unknown name lists the known ones
    check_int(k, "k", low=1)
    check_int(block_size, "block_size", low=1)
    k = min(k, database.shape[0])
    searcher = Searcher(database, backend, block_size, nprobe)
    n = queries.shape[0]
    scores = np.empty((n, k), dtype=np.float32)
    idx = np.empty((n, k), dtype=np.int64)
    for qs in range(0, n, block_size):
        s, i = searcher.search(queries[qs : qs + block_size], k)
        scores[qs : qs + block_size], idx[qs : qs + block_size] = s, i
        release(queries)
        if progress is not None:
            progress(s.shape[0])
    scores[idx < 0] = -np.inf
    return scores, idx


def _search_exact(qb: np.ndarray, db: np.ndarray, k: int, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Running top-k over database blocks; queries in sub-blocks so that the score matrix and its
    argpartition stay ~100 MB whatever ``block`` is."""
    sub = max(1, min(qb.shape[0], (1 << 23) // max(1, min(block, db.shape[0]))))
    out_s = np.empty((qb.shape[0], k), dtype=np.float32)
    out_i = np.empty((qb.shape[0], k), dtype=np.int64)
    best_s = np.full((qb.shape[0], 0), -np.inf, dtype=np.float32)
    best_i = np.zeros((qb.shape[0], 0), dtype=np.int64)
    for ds in range(0, db.shape[0], block):
        dbb = np.ascontiguousarray(db[ds : ds + block])
        kk = min(k, dbb.shape[0])
        part_s = np.empty((qb.shape[0], kk), dtype=np.float32)
        part_i = np.empty((qb.shape[0], kk), dtype=np.int64)
        for qs in range(0, qb.shape[0], sub):
            sims = qb[qs : qs + sub] @ dbb.T
            part = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
            part_s[qs : qs + sub] = np.take_along_axis(sims, part, axis=1)
            part_i[qs : qs + sub] = part + ds
        cand_s = np.concatenate([best_s, part_s], axis=1)
        cand_i = np.concatenate([best_i, part_i], axis=1)
        keep = np.argpartition(-cand_s, min(k, cand_s.shape[1]) - 1, axis=1)[:, :k]
        best_s = np.take_along_axis(cand_s, keep, axis=1)
        best_i = np.take_along_axis(cand_i, keep, axis=1)
    release(db)
    order = np.argsort(-best_s, axis=1, kind="stable")
    out_s[:], out_i[:] = np.take_along_axis(best_s, order, axis=1), np.take_along_axis(best_i, order, axis=1)
    return out_s, out_i


def _build_faiss(db: np.ndarray, factory: str, nprobe: int | None) -> Any:
    """A faiss index over ``db`` (a memmap is added chunk by chunk); IVF is trained on a seeded sample."""
    index = trained_index(db, factory)
    tune_index(index, nprobe)
    add_rows(index, db, 0, db.shape[0])
    return index


def trained_index(db: np.ndarray, factory: str) -> Any:
    """The empty index for ``db``: an IVF index trained on a seeded sample of ``40 * nlist`` rows
    (the same rows, hence the same cells, wherever it is built)."""
    n, d = db.shape
    index = make_index(factory, d, n=n, ef_construction=HNSW_EF_CONSTRUCTION)
    if not index.is_trained:
        nlist = getattr(_ivf(index), "nlist", 1)
        sample = min(n, 40 * nlist)
        rows = np.sort(np.random.default_rng(0).choice(n, sample, replace=False))
        index.train(np.ascontiguousarray(db[rows], dtype=np.float32))
    return index


def tune_index(index: Any, nprobe: int | None) -> None:
    """Search breadth: IVF cells probed (``nprobe``, default 16), HNSW's efSearch."""
    ivf = _ivf(index)
    if ivf is not None:
        ivf.nprobe = min(ivf.nlist, nprobe if nprobe is not None else DEFAULT_NPROBE)
    hnsw = _hnsw(index)
    if hnsw is not None:
        hnsw.efSearch = HNSW_EF_SEARCH


def add_rows(index: Any, db: np.ndarray, start: int, stop: int, *, with_ids: bool = False) -> None:
    """Add rows ``start:stop`` of ``db`` in the chunks a whole-database build adds them in (cut on
    multiples of ``ADD_CHUNK`` from row 0), with their row numbers as ids when ``with_ids``."""
    ds = start
    while ds < stop:
        de = min(stop, (ds // ADD_CHUNK + 1) * ADD_CHUNK)
        chunk = np.ascontiguousarray(db[ds:de], dtype=np.float32)
        if with_ids:
            index.add_with_ids(chunk, np.arange(ds, de, dtype=np.int64))
        else:
            index.add(chunk)
        release(db)
        ds = de


def _ivf(index: Any) -> Any:
    import faiss

    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


def _hnsw(index: Any) -> Any:
    import faiss

    return getattr(faiss.downcast_index(index), "hnsw", None)


#: ``ivf-blas``: cells per sqrt(rows), k-means training rows a cell and iterations, rows routed at a time
CELL_LISTS_PER_SQRT = 4.0
CELL_SAMPLE = 40
CELL_KMEANS_ITER = 10
CELL_ROUTE_ROWS = 2048
DEFAULT_CELL_NPROBE = 16


def cell_lists(n: int) -> int:
    """``ivf-blas``' cells for ``n`` rows: ~4 sqrt(n) (the scan and the routing then cost about the
    same), at least ``CELL_SAMPLE`` training rows each."""
    return int(max(1, min(CELL_LISTS_PER_SQRT * np.sqrt(n), n // CELL_SAMPLE)))


class CellIndex:
    """The database cut into k-means cells of its centered vectors and searched cell by cell: the
    queries of a block that probe a cell are multiplied with that cell's rows in one matrix
    product, so the scan runs at BLAS speed (faiss' IVF scan goes vector by vector) and the scores
    are exact inner products (the margin needs accurate top-k cosines and their means).

    Why centered: e5-like vectors share one large direction (unrelated pairs have cosine ~0.8) that
    is not orthogonal to the topic directions, so inner products with raw centroids carry a
    per-cell bias as large as the topic signal. With the database mean ``m`` subtracted, rows go
    to the cell whose unit centroid ``c`` maximizes ``(x - m).c`` and a query probes the cells
    maximizing ``(q - m).c``; a query's ranking of rows is unchanged (``q.x = q.m + q.(x - m)``).
    On the hard synthetic set (200k rows, 3,576 cells, 16 probed) this put the hidden translation in
    the top 4 for 99.6% of sources (faiss ``IVF1788,Flat`` on raw vectors, 16 probed: 87.9%); with
    the true topics as cells, routing raw queries finds the translation's cell among 8 probes for
    94% of sources, centered ones for 99.9%. k-means
    needs its ~40 training rows a cell and a spread-out start (AFK-MC2): with 16 rows a cell or a
    random start, cells mix topics and 3-10% of translations land in cells never probed.

    Measured (benchmarks/mine.py, 1M x 1M 384-d, hard set ``--copy-noise 0.9``, one thread, load
    2.5-3.5 on 2 cores): 4,000 cells, 16 probed (``DEFAULT_CELL_NPROBE``), both directions and
    the margin in 462 s against 15,821 s for exhaustive ``IndexFlatIP`` (34x), subset F1 0.9980
    against 1.0000, peak RSS 2.1 GB against 4.5 GB; faiss ``IVF,Flat`` at nprobe 16 was 6.2x and up
    to 10 F1 points lower on this set.

    The rows are held in cell order in memory (float32, the size of the database).
    """

    def __init__(self, db: np.ndarray, nprobe: int | None):
        from .._faiss import faiss_module

        faiss = faiss_module()
        n, d = db.shape
        self.nlist = cell_lists(n)
        self.nprobe = min(self.nlist, nprobe if nprobe is not None else DEFAULT_CELL_NPROBE)
        total = np.zeros(d, dtype=np.float64)
        for ds in range(0, n, ADD_CHUNK):
            total += np.asarray(db[ds : ds + ADD_CHUNK], dtype=np.float64).sum(axis=0)
            release(db)
        mean = (total / n).astype(np.float32)
        rows = np.sort(np.random.default_rng(0).choice(n, min(n, CELL_SAMPLE * self.nlist), replace=False))
        sample = np.asarray(db[rows], dtype=np.float32) - mean
        release(db)
        sample /= np.maximum(np.linalg.norm(sample, axis=1, keepdims=True), 1e-12)
        km = faiss.Kmeans(
            d,
            self.nlist,
            niter=CELL_KMEANS_ITER,
            spherical=True,
            seed=1,
            min_points_per_centroid=1,
            max_points_per_centroid=CELL_SAMPLE + 1,
            init_method=faiss.ClusteringInitMethod_AFK_MC2,
        )
        km.train(sample)
        self.centroids = np.ascontiguousarray(km.centroids, dtype=np.float32)
        del sample, km
        self.bias, self.mean = mean @ self.centroids.T, mean  # (x - m).c = x.c - m.c
        self.router = faiss.IndexFlatIP(d)
        self.router.add(self.centroids)
        cell = np.empty(n, dtype=np.int64)
        for ds in range(0, n, CELL_ROUTE_ROWS):
            chunk = np.ascontiguousarray(db[ds : ds + CELL_ROUTE_ROWS], dtype=np.float32)
            cell[ds : ds + chunk.shape[0]] = np.argmax(chunk @ self.centroids.T - self.bias, axis=1)
            if (ds + CELL_ROUTE_ROWS) % ADD_CHUNK == 0:
                release(db)
        release(db)
        self.ids = np.argsort(cell, kind="stable")
        self.offsets = np.concatenate([[0], np.cumsum(np.bincount(cell, minlength=self.nlist))])
        where = np.empty(n, dtype=np.int64)
        where[self.ids] = np.arange(n)
        del cell
        self.data = np.empty((n, d), dtype=np.float32)
        for ds in range(0, n, ADD_CHUNK):
            self.data[where[ds : ds + ADD_CHUNK]] = db[ds : ds + ADD_CHUNK]
            release(db)

    def search(self, qb: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` of each query of the block; a query's result depends on the block's queries
        only through the order of the products, which is fixed by the block (resume and shards
        search the same blocks)."""
        nb, p = qb.shape[0], self.nprobe
        # faiss' flat search selects the top cells with a heap: numpy's argpartition over every
        # cell cost more than the product itself
        _, probes = self.router.search(np.ascontiguousarray(qb - self.mean), p)
        flat = probes.ravel()
        order = np.argsort(flat, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(flat, minlength=self.nlist))])
        cand_s = np.full((nb * p, k), -np.inf, dtype=np.float32)
        cand_i = np.full((nb * p, k), -1, dtype=np.int64)
        offsets, starts_l = self.offsets.tolist(), starts.tolist()
        for c in np.flatnonzero(np.diff(starts) * np.diff(self.offsets)).tolist():
            seg = order[starts_l[c] : starts_l[c + 1]]
            lo, hi = offsets[c], offsets[c + 1]
            sims = qb[seg // p] @ self.data[lo:hi].T
            if hi - lo > k:
                part = np.argpartition(sims, hi - lo - k, axis=1)[:, hi - lo - k :]
                cand_s[seg] = np.take_along_axis(sims, part, axis=1)
                cand_i[seg] = self.ids[lo + part]
            else:
                cand_s[seg, : hi - lo] = sims
                cand_i[seg, : hi - lo] = self.ids[lo:hi]
        cand_s, cand_i = cand_s.reshape(nb, p * k), cand_i.reshape(nb, p * k)
        keep = np.argpartition(-cand_s, k - 1, axis=1)[:, :k]
        top_s, top_i = np.take_along_axis(cand_s, keep, axis=1), np.take_along_axis(cand_i, keep, axis=1)
        order_k = _rank(top_s, top_i)
        return np.take_along_axis(top_s, order_k, axis=1), np.take_along_axis(top_i, order_k, axis=1)


def _rank(s: np.ndarray, i: np.ndarray) -> np.ndarray:
    """Each row's order: score descending, ties by row number (results do not depend on cell order)."""
    key_i = np.where(i < 0, np.iinfo(np.int64).max, i)
    order = np.argsort(key_i, axis=1, kind="stable")
    by_score = np.argsort(-np.take_along_axis(s, order, axis=1), axis=1, kind="stable")
    return np.take_along_axis(order, by_score, axis=1)
