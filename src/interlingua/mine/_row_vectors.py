"""The job's model on some rows of a file: what two-stage mining (:mod:`._two_stage`) embeds.

Rows are read back from the file in one pass, embedded through the embedding cache (raw vectors
under the encoder identity, as every job does) and, with a work folder, also kept there
(``<side>.rows.npz``, keyed by the space and the source file's size and time), so that a rerun
with ``--no-cache`` does not embed them again either.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write_bytes
from .._paths import file_stamp
from ..errors import InputError
from ..io import read_records
from ..neutral import Space, encode_texts
from ..progress import ProgressFn
from ._mine_common import ROLE


class RowEncoder:
    """``rows -> vectors`` of the job's model for one side of a :class:`MineJob` file."""

    def __init__(
        self,
        side: str,
        path: str,
        job: Any,
        space: Space,
        work_dir: Path | None,
        progress: ProgressFn | None,
        executor: Any,
    ) -> None:
        self.side, self.path, self.job, self.space = side, path, job, space
        self.keep = work_dir / f"{side}.rows.npz" if work_dir is not None else None
        self.progress, self.executor = progress, executor
        self.stamp = np.asarray([*file_stamp(path)], dtype=np.int64)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        have_rows, have = self._kept()
        at = np.minimum(np.searchsorted(have_rows, rows), max(0, len(have_rows) - 1))
        known = have_rows[at] == rows if len(have_rows) else np.zeros(len(rows), dtype=bool)
        out = np.empty((len(rows), self.space.dim), dtype=np.float32)
        if known.any():
            out[known] = have[at[known]]
        todo = rows[~known]
        if len(todo):
            texts = texts_at(self.path, todo, (), self.job, emb_given=False)
            job = self.job
            out[~known] = encode_texts(
                texts,
                self.space,
                role=ROLE,
                cache=job.cache,
                workers=job.workers,
                executor=self.executor,
                progress=self.progress,
                desc=f"embed {self.side}",
            )[0]
            self._keep(rows, out)
        return out

    def _kept(self) -> tuple[np.ndarray, np.ndarray]:
        """What an earlier run of this job kept (nothing when the space or the file changed)."""
        empty = np.zeros(0, dtype=np.int64), np.zeros((0, self.space.dim), dtype=np.float32)
        if self.keep is None or not self.keep.is_file():
            return empty
        try:
            with np.load(self.keep, allow_pickle=False) as z:
                if str(z["space"]) != self.space.identity or not np.array_equal(z["stamp"], self.stamp):
                    return empty
                return z["rows"], z["vectors"]
        except (OSError, ValueError, KeyError, EOFError):
            return empty

    def _keep(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        if self.keep is None:
            return
        buf = io.BytesIO()
        np.savez(buf, rows=rows, vectors=vectors, space=np.asarray(self.space.identity), stamp=self.stamp)
        atomic_write_bytes(self.keep, buf.getvalue())


def texts_at(path: str, rows: np.ndarray, ids: Sequence[str], job: Any, emb_given: bool) -> list[str]:
    """Texts of ``rows`` (in that order), read in one pass; the file's ids must match the embeddings'."""
    wanted = np.unique(rows)
    found: dict[int, str] = {}
    pos = 0
    with read_records(path, job.input) as records:
        check_ids = emb_given and records.fields.id is not None
        for n, rec in enumerate(records):
            if pos < len(wanted) and n == wanted[pos]:
                if check_ids and rec.id != ids[n]:
                    raise InputError(
                        f"row {n + 1} has id {rec.id!r} but the embeddings give {ids[n]!r} there; "
                        "texts and embeddings must be in the same order",
                        path=str(path),
                        line=rec.line,
                    )
                found[n] = rec.text
                pos += 1
                if pos == len(wanted):
                    break
    return [found[int(r)] for r in rows]


__all__ = ["RowEncoder", "texts_at"]
