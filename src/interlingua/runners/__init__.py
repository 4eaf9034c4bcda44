"""Runners: the sharded embed, index-add and mine jobs, on any executor (``local``, ``processes``,
``dask``). A shard is ``(job, shard id)``; its output is a file named by the job's fingerprint,
so a killed run resumes (``_shards``). Tasks return paths and counts, never large arrays; the
client merges shard files in order, so a job gives the same output on one process or a cluster.

``run(job, Sharding(executor="dask", workers=2))`` takes an ``EmbedJob``, an ``AddJob`` or a
``MineJob``. Imports every stage below it (embed, store, mine); nothing below imports it.
"""

from __future__ import annotations

from typing import Any

from .._executors import Executor
from ..progress import ProgressFn
from ._options import SHARD_ROWS, Sharding, executor_of, job_fingerprint
from ._shards import ShardTask, finish, finished, run_shards, shard_base


def run(
    job: Any,
    sharding: Sharding | None = None,
    *,
    progress: ProgressFn | None = None,
    executor: Executor | None = None,
) -> Any:
    """Run ``job`` as shards (its stage's report, the same as the stage's own ``run`` gives), on
    ``executor`` when given (an open one the caller closes), else on the one ``sharding`` names."""
    from ..embed import EmbedJob
    from ..mine import MineJob
    from ..store import AddJob

    sharding = (sharding or Sharding()).validate()
    if isinstance(job, EmbedJob):
        from ._embed import run_embed

        return run_embed(job, sharding, progress=progress, executor=executor)
    if isinstance(job, AddJob):
        from ._index import run_add

        return run_add(job, sharding, progress=progress, executor=executor)
    if isinstance(job, MineJob):
        from ._mine import run_mine

        return run_mine(job, sharding, progress=progress, executor=executor)
    raise TypeError(f"runners.run() takes an EmbedJob, an AddJob or a MineJob. Got {type(job).__name__}.")


__all__ = [
    "SHARD_ROWS",
    "ShardTask",
    "Sharding",
    "executor_of",
    "finish",
    "finished",
    "job_fingerprint",
    "run",
    "run_shards",
    "shard_base",
]
