"""Resumable block-wise k-NN: each block of queries is searched once and its result kept on disk.

A work folder holds, per direction, one ``<tag>-<start>.npz`` file of ``(scores, indices)`` per
block of queries and a ``manifest.json`` describing the job (sizes, dimension, k, backend,
block size and a fingerprint of both inputs). Every file is written to a temporary name and
renamed, so an interrupted run leaves only complete blocks; a rerun with the same manifest
loads those and computes the rest. A manifest that does not match (other inputs or settings)
is refused rather than mixed with.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ._knn import Searcher, release

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


@dataclass
class BlockStats:
    """How many blocks of queries were searched now and how many were reused from the work folder."""

    computed: int = 0
    reused: int = 0


def fingerprint(x: np.ndarray) -> str:
    """A cheap content hash: shape plus up to 64 rows spread over the matrix."""
    h = hashlib.blake2b(digest_size=12)
    h.update(repr((x.shape, str(x.dtype))).encode())
    rows = np.unique(np.linspace(0, x.shape[0] - 1, num=min(64, x.shape[0])).astype(np.int64))
    h.update(np.ascontiguousarray(x[rows], dtype=np.float32).tobytes())
    release(x)
    return h.hexdigest()


def _atomic_write_bytes(path: Path, write: Callable[[Any], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def open_work_dir(work_dir: Path, job: dict[str, Any]) -> None:
    """Create the folder with ``job`` as its manifest, or check that an existing one matches."""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / MANIFEST
    job = {"format_version": FORMAT_VERSION, **job}
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read the work folder's manifest ({exc})", path=str(path)) from None
        if old != job:
            diff = sorted(k for k in set(old) | set(job) if old.get(k) != job.get(k))
            raise InputError(
                f"the work folder holds a different job (differs in: {', '.join(diff)}); "
                "use another --work-dir or delete this one",
                path=str(work_dir),
            )
        return
    data = json.dumps(job, indent=2, sort_keys=True).encode()
    _atomic_write_bytes(path, lambda f: f.write(data))


def blockwise_knn(
    queries: np.ndarray,
    database: np.ndarray,
    k: int,
    *,
    backend: str,
    block_size: int,
    work_dir: Path | None = None,
    tag: str = "knn",
    nprobe: int | None = None,
    stats: BlockStats | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` of each query in ``database`` (``k`` already clipped), blocks kept in ``work_dir``.

    The database index is only built when some block is left to compute.
    """
    stats = stats if stats is not None else BlockStats()
    n = queries.shape[0]
    scores = np.empty((n, k), dtype=np.float32)
    idx = np.empty((n, k), dtype=np.int64)
    searcher: Searcher | None = None
    for qs in range(0, n, block_size):
        qe = min(n, qs + block_size)
        path = work_dir / f"{tag}-{qs:010d}.npz" if work_dir is not None else None
        if path is not None and path.is_file():
            with np.load(path, allow_pickle=False) as z:
                scores[qs:qe], idx[qs:qe] = z["scores"], z["indices"]
            stats.reused += 1
        else:
            if searcher is None:
                searcher = Searcher(database, backend, block_size, nprobe)
            s, i = searcher.search(queries[qs:qe], k)
            release(queries)
            scores[qs:qe], idx[qs:qe] = s, i
            if path is not None:
                _atomic_write_bytes(path, lambda f, s=s, i=i: np.savez(f, scores=s, indices=i))
            stats.computed += 1
        if progress is not None:
            progress(qe - qs)
    scores[idx < 0] = -np.inf
    return scores, idx
