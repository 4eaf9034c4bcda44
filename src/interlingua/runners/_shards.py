"""Shards: the pieces of a job an executor runs, each a file named by the job's fingerprint.

A shard task writes its output files atomically, then a small ``<base>.done.json`` holding what
it returns (paths and counts, never arrays). A rerun of the same job (same fingerprint, same
work folder) finds that record and does not submit the shard again, so a killed run resumes
where it stopped; a half-written output has no record and is made again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._atomic import atomic_write_text, storage_errors
from .._executors import Executor, completed
from ..progress import ProgressFn, task

DONE = ".done.json"


@dataclass(frozen=True)
class ShardTask:
    """One piece of a job: what the task function needs (small and picklable), its shard id, and
    the base path (no suffix) its files are written under."""

    shard: int
    base: str
    job: dict[str, Any] = field(default_factory=dict)
    #: rows (or another unit) the shard covers, for progress; 0 when unknown
    size: int = 0


def shard_base(work_dir: str | Path, fingerprint: str, shard: int, kind: str = "") -> str:
    """``<work_dir>/<fingerprint>[-kind]-<shard>``: files of one shard of one job."""
    tag = f"{fingerprint}-{kind}" if kind else fingerprint
    return str(Path(work_dir) / f"{tag}-{shard:05d}")


def finish(base: str, result: dict[str, Any]) -> dict[str, Any]:
    """Record a shard as done (call last, after its outputs are in place); returns ``result``."""
    atomic_write_text(base + DONE, json.dumps(result, sort_keys=True))
    return result


def finished(base: str) -> dict[str, Any] | None:
    """The record of a shard a run finished, or None (missing or unreadable: made again)."""
    try:
        return json.loads(Path(base + DONE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_shards(
    executor: Executor,
    fn: Callable[[ShardTask], dict[str, Any]],
    tasks: Sequence[ShardTask],
    *,
    progress: ProgressFn | None = None,
    name: str = "shards",
    unit: str = "row",
) -> list[dict[str, Any]]:
    """Run the shards not yet done, reporting each as it finishes; the results of every shard, in
    shard order, each with ``reused`` telling whether it came from an earlier run."""
    results: list[dict[str, Any] | None] = [None] * len(tasks)
    todo: list[int] = []
    for n, t in enumerate(tasks):
        got = finished(t.base)
        if got is None:
            todo.append(n)
        else:
            results[n] = {**got, "reused": True}
    total = sum(t.size for t in tasks)
    with task(progress, name, total or len(tasks), unit if total else "shard") as bar:
        bar.advance(sum(tasks[n].size if total else 1 for n in range(len(tasks)) if results[n] is not None))
        if todo:
            folder = Path(tasks[todo[0]].base).parent
            with storage_errors(folder):
                folder.mkdir(parents=True, exist_ok=True)
            for pos, result in completed(executor, fn, [tasks[n] for n in todo]):
                n = todo[pos]
                results[n] = {**result, "reused": False}
                bar.advance(tasks[n].size if total else 1)
    return [r for r in results if r is not None]


__all__ = ["DONE", "ShardTask", "finish", "finished", "run_shards", "shard_base"]
