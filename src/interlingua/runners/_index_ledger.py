"""The ledger of a sharded add: which batches the client has committed, kept in the work folder.

A commit and a file write cannot be one atomic step, so the ledger says what is about to be
committed (``pending``) before each commit and what was (``done``) after it. A run killed
between the two leaves a pending batch; the next run looks in the collection: the batch landed
when every one of its documents is there as prepared (and, without upsert, none of its ids was
there before the commit). Committed batches are never committed again, and a resumed run
reports the whole job's counts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._atomic import atomic_write_text
from ..errors import CollectionError

Position = tuple[int, int]  # (shard, batch of the shard)


class Ledger:
    def __init__(self, work: Path, fingerprint: str):
        self.path = work / f"{fingerprint}-index.commit.json"
        self.fingerprint = fingerprint
        self.done: Position | None = None
        self.added = self.skipped = 0
        #: the first and last id of the last committed batch: a resumed run checks they are there
        self.last_ids: list[str] = []

    def load(self) -> dict[str, Any] | None:
        """The record an earlier run left (None: a fresh job)."""
        try:
            mark = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise CollectionError(
                f"{self.path}: the record of what an earlier run committed cannot be read ({exc}); "
                "remove it only if the collection holds none of this job's documents"
            ) from None
        self.done = tuple(mark["done"]) if mark.get("done") else None
        self.added, self.skipped = int(mark.get("added", 0)), int(mark.get("skipped", 0))
        self.last_ids = list(mark.get("last_ids") or [])
        return mark

    def pending(self, at: Position, fresh: bool, added: int, skipped: int) -> None:
        self._write({"pending": list(at), "fresh": fresh, "batch": [added, skipped]})

    def committed(self, at: Position, ids: list[str], added: int, skipped: int) -> None:
        self.done, self.added, self.skipped = at, self.added + added, self.skipped + skipped
        if ids:
            self.last_ids = [ids[0], ids[-1]]
        self._write({})

    def settle(self) -> None:
        """After a commit that raised: nothing is pending (the batch was not stored)."""
        self._write({})

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def _write(self, extra: dict[str, Any]) -> None:
        mark = {
            "fingerprint": self.fingerprint,
            "done": list(self.done) if self.done else None,
            "added": self.added,
            "skipped": self.skipped,
            "last_ids": self.last_ids,
            **extra,
        }
        atomic_write_text(self.path, json.dumps(mark))


def landed(col: Any, batch: Any, *, fresh: bool, upsert: bool) -> bool:
    """Whether ``batch`` (a PreparedBatch whose commit was cut short) is in ``col``."""
    if not len(batch) or not (fresh or upsert):
        return False  # an add over ids already there raised: nothing was stored
    have = {d.id: d for d in col.get([d.id for d in batch.docs])}
    return all(
        (o := have.get(d.id)) is not None and (o.text, o.lang, o.meta) == (d.text, d.lang, d.meta)
        for d in batch.docs
    )


def check_resumable(col: Any, ledger: Ledger, uri: str) -> None:
    """Refuse a ledger whose last committed documents the collection lacks (it was remade, or
    they were deleted): resuming would leave out everything committed before."""
    if ledger.last_ids and len(col.has_ids(ledger.last_ids)) < len(set(ledger.last_ids)):
        raise CollectionError(
            f"{ledger.path} records {ledger.added:,} document(s) an earlier run of this job committed to "
            f"{uri}, but the collection lacks them; remove that file to add every document again"
        )


__all__ = ["Ledger", "check_resumable", "landed"]
