"""The dense index on faiss, built from a factory string (``"Flat"``, ``"HNSW32,Flat"``,
``"HNSW32,SQ8"``, ``"SQfp16"``, ``"HNSW32,SQfp16,RFlat"``), keyed by the catalog's document keys
(``IndexIDMap2``). A refine stage (``,RFlat``) re-scores ``k_factor * k`` candidates of its base
index exactly, from a float copy of the vectors held in the same file.

faiss's HNSW (and a refine stage) cannot remove vectors, so removals there are tombstones
(excluded from every search by an ID selector) until the collection rebuilds its indexes. The index is saved with
``faiss.write_index`` (faiss's own format, not pickle) through the atomic writer; the tombstones
go into a ``.npy`` file beside it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._atomic import atomic_open, atomic_write_with
from .._faiss import EF_CONSTRUCTION, faiss_module, index_params, make_index, removable
from ..errors import InputError


class FaissDense:
    """A faiss index of one factory string; ``kind`` is that string. ``ef_search`` (HNSW),
    ``nprobe`` (IVF) and ``k_factor`` (a refine stage) are search-time settings, None for the
    index's own; ``n`` sizes an ``IVFauto`` factory's cells."""

    def __init__(
        self,
        dim: int,
        *,
        factory: str = "Flat",
        ef_search: int = 512,
        ef_construction: int = EF_CONSTRUCTION,
        nprobe: int | None = None,
        k_factor: int | None = 1,
        n: int | None = None,
        index=None,
        tombstones=None,
    ):
        self.dim, self.kind = dim, factory
        self.ef_search, self.nprobe, self.k_factor = ef_search, nprobe, k_factor
        if index is None:
            index = faiss_module().IndexIDMap2(make_index(factory, dim, n=n, ef_construction=ef_construction))
        self.index = index
        self.tombstones: set[int] = set(tombstones or ())
        self._plain: dict[tuple, object] = {}

    @property
    def factory(self) -> str:
        return self.kind

    def __len__(self) -> int:
        return int(self.index.ntotal) - len(self.tombstones)

    @property
    def needs_training(self) -> bool:
        return not self.index.is_trained

    def train(self, vectors: np.ndarray) -> None:
        self.index.train(np.ascontiguousarray(vectors, dtype=np.float32))

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        if len(keys) == 0:
            return
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        if not self.index.is_trained:  # 8-bit storage learns each dimension's range from the first batch
            self.index.train(x)
        self.index.add_with_ids(x, np.ascontiguousarray(keys, dtype=np.int64))

    def remove(self, keys: np.ndarray) -> None:
        if len(keys) == 0:
            return
        if removable(self.kind):
            self.index.remove_ids(np.ascontiguousarray(keys, dtype=np.int64))
        else:
            self.tombstones.update(int(k) for k in keys)

    def search(self, queries, k, allowed=None):
        faiss = faiss_module()
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if self.index.ntotal == 0:
            return np.full((len(q), k), -np.inf, np.float32), np.full((len(q), k), -1, np.int64)
        sel = None
        keep = []
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=np.int64)
            if self.tombstones:  # a removed key stays removed, even when a caller allows it
                allowed = allowed[~np.isin(allowed, np.fromiter(self.tombstones, np.int64))]
            keep.append(faiss.IDSelectorBatch(np.ascontiguousarray(allowed)))
            sel = keep[-1]
        elif self.tombstones:
            keep.append(faiss.IDSelectorBatch(np.fromiter(self.tombstones, np.int64)))
            sel = faiss.IDSelectorNot(keep[-1])
        if sel is None:  # the common case: made once (faiss' downcasts cost more than a small search)
            key = (k, self.ef_search, self.nprobe, self.k_factor)
            if key not in self._plain:
                self._plain[key] = self._params(k, None)
            params = self._plain[key]
        else:
            params = self._params(k, sel)
        scores, keys = self.index.search(q, k, params=params)
        return scores, keys

    def _params(self, k: int, sel):
        return index_params(
            self.index, k=k, ef_search=self.ef_search, nprobe=self.nprobe, k_factor=self.k_factor, sel=sel
        )

    def save(self, path: Path) -> None:
        faiss = faiss_module()
        tomb = tombstone_path(path)
        if self.tombstones:
            with atomic_open(tomb, "wb") as fh:  # a file object: np.save would append ".npy" to a path
                np.save(fh, np.array(sorted(self.tombstones), np.int64), allow_pickle=False)
        try:
            atomic_write_with(path, lambda tmp: faiss.write_index(self.index, str(tmp)))
        except RuntimeError as exc:  # faiss reports a failed write (a full disk) as a RuntimeError
            from ..errors import StorageError

            why = str(exc).splitlines()[-1][-160:]
            raise StorageError(
                f"{path}: cannot write the dense index ({why}); the catalog keeps every document, "
                "the index is rebuilt from it when the collection is next opened"
            ) from None
        if not self.tombstones:  # a stale file could only name removed keys (keys are never reused)
            tomb.unlink(missing_ok=True)

    @classmethod
    def load(
        cls,
        path: Path,
        dim: int,
        *,
        factory: str,
        ef_search: int = 512,
        nprobe: int | None = None,
        k_factor: int | None = 1,
    ) -> FaissDense:
        faiss = faiss_module()
        if not path.is_file():
            raise InputError("the dense index file is missing", path=str(path))
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise InputError(
                f"cannot read the dense index: {str(exc).splitlines()[0][:200]}", path=str(path)
            ) from exc
        if index.d != dim:
            raise InputError(f"dense index has dimension {index.d}, the manifest says {dim}", path=str(path))
        if not hasattr(faiss.downcast_index(index), "id_map"):
            raise InputError("the dense index is not keyed by document (no ID map)", path=str(path))
        tomb = tombstone_path(path)
        try:
            tombstones = np.load(tomb, allow_pickle=False).tolist() if tomb.exists() else ()
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the tombstones: {exc}", path=str(tomb)) from exc
        dense = cls(
            dim,
            factory=factory,
            ef_search=ef_search,
            nprobe=nprobe,
            k_factor=k_factor,
            index=faiss.downcast_index(index),
            tombstones=tombstones,
        )
        dense._owner = index  # the proxy that owns the C++ index: the downcast one does not
        return dense

    def keys(self) -> np.ndarray:
        """Every live key held (for consistency checks)."""
        faiss = faiss_module()
        ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
        if self.tombstones:
            ids = ids[~np.isin(ids, np.fromiter(self.tombstones, np.int64))]
        return ids


def exact_search(queries: np.ndarray, vectors: np.ndarray, keys: np.ndarray, k: int):
    """Exact inner-product top ``k`` over a small set of vectors (a filtered subset), padded like faiss."""
    if len(keys) == 0:
        return np.full((len(queries), k), -np.inf, np.float32), np.full((len(queries), k), -1, np.int64)
    sims = queries @ vectors.T
    top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    scores, found = np.take_along_axis(sims, top, axis=1), keys[top]
    if top.shape[1] < k:
        pad = k - top.shape[1]
        scores = np.pad(scores, ((0, 0), (0, pad)), constant_values=-np.inf)
        found = np.pad(found, ((0, 0), (0, pad)), constant_values=-1)
    return scores.astype(np.float32), found


def tombstone_path(path: Path) -> Path:
    return path.with_name(path.stem + ".tombstones.npy")


__all__ = ["FaissDense", "exact_search", "tombstone_path"]
