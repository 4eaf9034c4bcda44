"""The teacher's side of building a student: e5-small in this process or in spawned workers.

Each worker is one process of one thread (DESIGN.md: under contention two threads were slower
than one), with its own onnxruntime session of the cached fp32 graph, loaded once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: pieces per forward pass
_BATCH = 512

_TEACHERS: dict[str, Any] = {}


def teacher(model_file: str):
    """This process's e5-small (fp32, one thread), made once: workers serve many tasks."""
    if model_file not in _TEACHERS:
        from ._e5 import E5Encoder

        _TEACHERS[model_file] = E5Encoder("fp32", model_file=model_file, threads=1)
    return _TEACHERS[model_file]


def piece_rows(
    model_file: str, ids: np.ndarray, prefix: list[int], pooling: str, bos: int, eos: int
) -> np.ndarray:
    """The teacher's vector of each piece alone: ``[<s>, prefix..., piece, </s>]``."""
    session = teacher(model_file).session
    at = 1 + len(prefix)
    seq = np.empty((len(ids), at + 2), dtype=np.int64)
    seq[:, 0], seq[:, 1:at], seq[:, at], seq[:, -1] = bos, prefix, ids, eos
    mask = np.ones_like(seq)
    out = []
    for s in range(0, len(seq), _BATCH):
        if pooling == "mean":
            (pooled,) = session.run(
                ["sentence_embedding"],
                {"input_ids": seq[s : s + _BATCH], "attention_mask": mask[s : s + _BATCH]},
            )
        else:
            (states,) = session.run(
                ["token_embeddings"],
                {"input_ids": seq[s : s + _BATCH], "attention_mask": mask[s : s + _BATCH]},
            )
            pooled = states[:, at]
        out.append(np.asarray(pooled, dtype=np.float32))
    return np.concatenate(out)


def pivot_rows(model_file: str, texts: list[str], role: str) -> np.ndarray:
    """The teacher's pooled (not normalized) vectors of pivot sentences."""
    vecs, _ = teacher(model_file).encode_counted(texts, role=role, normalize=False)
    return vecs


def cached_rows(
    model_file: str,
    key: list[Any],
    data: bytes,
    rows: int,
    compute: Callable[[], np.ndarray],
    found: Callable[[Path], None],
) -> np.ndarray:
    """Teacher vectors kept in the cache apart from any student (the costly step: minutes to half
    an hour), under a name hashed from the teacher (file content, graph and recipe versions),
    ``key`` (JSON) and ``data``: students that differ in dim, SIF, ridge or iterations share
    them. A file of the wrong shape or unreadable is recomputed and replaced (atomically), never
    trusted."""
    from .._atomic import atomic_write_with
    from .._paths import cache_dir
    from ._e5 import content_hash
    from ._e5_graph import GRAPH_VERSION
    from ._static import STATIC_VERSION

    h = hashlib.blake2b(digest_size=8)
    h.update(json.dumps([content_hash(Path(model_file)), GRAPH_VERSION, *key, STATIC_VERSION]).encode())
    h.update(data)
    path = cache_dir("models", "e5-static-teacher") / f"{h.hexdigest()}.npy"
    if path.is_file():
        try:
            kept = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            kept = None
        if kept is not None and kept.ndim == 2 and len(kept) == rows and kept.dtype == np.float32:
            found(path)
            return kept
    out = np.ascontiguousarray(compute(), dtype=np.float32)
    atomic_write_with(path, lambda p: _save_npy(p, out))
    return out


def _save_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as fh:  # a file object: np.save would add ".npy" to a temporary name
        np.save(fh, array, allow_pickle=False)


class Pool:
    """Tasks in this process (one worker) or in spawned processes of one thread each."""

    def __init__(self, workers: int):
        self.workers = workers
        self._executor = None

    def __enter__(self) -> Pool:
        if self.workers > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            self._executor = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)

    def map(
        self, fn: Callable[..., np.ndarray], args: Sequence[tuple], done: Callable[[int], None]
    ) -> list[np.ndarray]:
        """``fn(*a)`` for each ``a``, in order; ``done(i)`` as each one finishes."""
        if self._executor is None:
            results = []
            for i, a in enumerate(args):
                results.append(fn(*a))
                done(i)
            return results
        from concurrent.futures import as_completed

        futures = {self._executor.submit(fn, *a): i for i, a in enumerate(args)}
        out: list[Any] = [None] * len(args)
        for fut in as_completed(futures):
            out[futures[fut]] = fut.result()
            done(futures[fut])
        return out
