"""The dense index on faiss: exact inner-product search, or HNSW, with fp32, fp16 or 8-bit
storage, keyed by the catalog's document keys (``IndexIDMap2``).

faiss's HNSW cannot remove vectors, so removals there are tombstones (excluded from every search
by an ID selector) until the collection rebuilds its indexes. The index is saved with
``faiss.write_index`` (faiss's own format, not pickle) to a temporary file and moved into place;
the tombstones go into a ``.npy`` file beside it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from ._manifest import fsync_file

KINDS = ("flat", "hnsw")
STORAGES = ("fp32", "fp16", "sq8")


def _faiss():
    import faiss

    return faiss


class FaissDense:
    """``kind`` is "flat" (exact) or "hnsw"; ``storage`` "fp32", "fp16" or "sq8"."""

    def __init__(self, dim: int, *, kind: str = "flat", storage: str = "fp32", hnsw_m: int = 32,
                 ef_construction: int = 100, ef_search: int = 512, index=None, tombstones=None):
        if kind not in KINDS or storage not in STORAGES:
            raise InputError(f"Unknown dense index {kind!r}/{storage!r}; use kind in {KINDS}, storage in {STORAGES}.")
        self.dim, self.kind, self.storage = dim, kind, storage
        self.ef_search = ef_search
        self.index = index if index is not None else self._new(hnsw_m, ef_construction)
        self.tombstones: set[int] = set(tombstones or ())

    def _new(self, m: int, ef_construction: int):
        faiss = _faiss()
        ip = faiss.METRIC_INNER_PRODUCT
        qtype = {"fp16": faiss.ScalarQuantizer.QT_fp16, "sq8": faiss.ScalarQuantizer.QT_8bit}.get(self.storage)
        if self.kind == "flat":
            base = faiss.IndexFlatIP(self.dim) if qtype is None else faiss.IndexScalarQuantizer(self.dim, qtype, ip)
        else:
            base = faiss.IndexHNSWFlat(self.dim, m, ip) if qtype is None else faiss.IndexHNSWSQ(self.dim, qtype, m, ip)
            base.hnsw.efConstruction = ef_construction
        return faiss.IndexIDMap2(base)

    def __len__(self) -> int:
        return int(self.index.ntotal) - len(self.tombstones)

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
        if self.kind == "flat":
            self.index.remove_ids(np.ascontiguousarray(keys, dtype=np.int64))
        else:
            self.tombstones.update(int(k) for k in keys)

    def search(self, queries, k, allowed=None):
        faiss = _faiss()
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if self.index.ntotal == 0:
            return np.full((len(q), k), -np.inf, np.float32), np.full((len(q), k), -1, np.int64)
        sel = None
        if allowed is not None:
            sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        elif self.tombstones:
            self._not = faiss.IDSelectorBatch(np.fromiter(self.tombstones, np.int64))
            sel = faiss.IDSelectorNot(self._not)
        if self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
            if sel is not None:
                params.sel = sel
        else:
            params = faiss.SearchParameters(sel=sel) if sel is not None else None
        scores, keys = self.index.search(q, k, params=params)
        return scores, keys

    def save(self, path: Path) -> None:
        faiss = _faiss()
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        faiss.write_index(self.index, str(tmp))
        fsync_file(tmp)
        os.replace(tmp, path)
        tomb = tombstone_path(path)
        if self.tombstones:
            ttmp = tomb.with_name(f".{tomb.name}.tmp-{os.getpid()}")
            with open(ttmp, "wb") as fh:
                np.save(fh, np.array(sorted(self.tombstones), np.int64), allow_pickle=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(ttmp, tomb)
        else:  # a stale file could only name removed keys (keys are never reused), but keep it exact
            tomb.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: Path, dim: int, *, kind: str, storage: str, ef_search: int = 512) -> FaissDense:
        faiss = _faiss()
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise InputError(f"cannot read the dense index: {str(exc).splitlines()[0][:200]}", path=str(path)) from exc
        if index.d != dim:
            raise InputError(f"dense index has dimension {index.d}, the manifest says {dim}", path=str(path))
        tomb = tombstone_path(path)
        tombstones = np.load(tomb, allow_pickle=False).tolist() if tomb.exists() else ()
        return cls(dim, kind=kind, storage=storage, ef_search=ef_search, index=index, tombstones=tombstones)

    def keys(self) -> np.ndarray:
        """Every live key held (for consistency checks)."""
        faiss = _faiss()
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


__all__ = ["KINDS", "STORAGES", "FaissDense", "exact_search", "tombstone_path"]
