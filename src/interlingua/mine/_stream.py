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
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write_bytes, storage_errors
from .._reports import add_shards
from ..errors import InputError
from ._knn import Searcher, release

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class BlockStats:
    """How many blocks of queries were searched now and how many were reused from the work folder."""

    computed: int = 0
    reused: int = 0

    def __add__(self, other: BlockStats) -> BlockStats:
        return add_shards(self, other)


def fingerprint(x: np.ndarray) -> str:
    """A cheap content hash: shape plus up to 64 rows spread over the matrix."""
    h = hashlib.blake2b(digest_size=12)
    h.update(repr((x.shape, str(x.dtype))).encode())
    rows = np.unique(np.linspace(0, x.shape[0] - 1, num=min(64, x.shape[0])).astype(np.int64))
    h.update(np.ascontiguousarray(x[rows], dtype=np.float32).tobytes())
    release(x)
    return h.hexdigest()


def prepare_work_dir(work_dir: Path) -> None:
    """Create the folder (a file there is an error) and remove what a killed run left half-written."""
    if work_dir.exists() and not work_dir.is_dir():
        raise InputError(
            "the work folder is a file; give a folder (it is created when missing)", path=str(work_dir)
        )
    with storage_errors(work_dir):
        work_dir.mkdir(parents=True, exist_ok=True)
    for leftover in work_dir.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)


def open_work_dir(work_dir: Path, job: dict[str, Any]) -> None:
    """Create the folder with ``job`` as its manifest, or check that an existing one matches."""
    prepare_work_dir(work_dir)
    path = work_dir / MANIFEST
    job = {"format_version": FORMAT_VERSION, **job}
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(
                f"cannot read the work folder's manifest ({exc}); delete the work folder", path=str(path)
            ) from None
        if old != job:
            diff = sorted(k for k in set(old) | set(job) if old.get(k) != job.get(k))
            raise InputError(
                f"the work folder holds a different job (differs in: {', '.join(diff)}); "
                "use another --work-dir or delete this one",
                path=str(work_dir),
            )
        return
    atomic_write_bytes(path, json.dumps(job, indent=2, sort_keys=True).encode())


def blockwise_knn(
    queries: np.ndarray,
    database: np.ndarray,
    k: int,
    options: Any,
    *,
    backend: str,
    work_dir: Path | None = None,
    tag: str = "knn",
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, BlockStats]:
    """Top-``k`` of each query in ``database`` (``k`` already clipped; ``options`` a KnnOptions for the
    block size and IVF cells; ``backend`` resolved), blocks kept in ``work_dir``; with how many blocks
    were computed and reused. The database index is only built when some block is left to compute.
    """
    block_size, nprobe = options.block_size, options.nprobe
    computed = reused = 0
    n = queries.shape[0]
    scores = np.empty((n, k), dtype=np.float32)
    idx = np.empty((n, k), dtype=np.int64)
    searcher: Searcher | None = None
    for qs in range(0, n, block_size):
        qe = min(n, qs + block_size)
        path = work_dir / f"{tag}-{qs:010d}.npz" if work_dir is not None else None
        if path is not None and path.is_file() and _load_block(path, scores, idx, qs, qe):
            reused += 1
        else:
            if searcher is None:
                searcher = Searcher(database, backend, block_size, nprobe)
            s, i = searcher.search(queries[qs:qe], k)
            release(queries)
            scores[qs:qe], idx[qs:qe] = s, i
            if path is not None:
                buf = io.BytesIO()
                np.savez(buf, scores=s, indices=i)
                atomic_write_bytes(path, buf.getvalue())
            computed += 1
        if progress is not None:
            progress(qe - qs)
    scores[idx < 0] = -np.inf
    return scores, idx, BlockStats(computed, reused)


def _load_block(path: Path, scores: np.ndarray, idx: np.ndarray, qs: int, qe: int) -> bool:
    """Load a saved block into place; a damaged or mismatched file is recomputed, not trusted."""
    try:
        with np.load(path, allow_pickle=False) as z:
            s, i = z["scores"], z["indices"]
    except (OSError, ValueError, KeyError, EOFError):
        return False
    if s.shape != (qe - qs, scores.shape[1]) or i.shape != s.shape:
        return False
    scores[qs:qe], idx[qs:qe] = s, i
    return True
