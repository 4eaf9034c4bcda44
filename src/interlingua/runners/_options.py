"""``Sharding``: how a job is cut into shards and where they run (one frozen spec for every
sharded job: embed, index add, mine)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._executors import EXECUTORS, Executor, make_executor
from .._spec import Spec, param
from .._validation import Interval, Named, NoneOr, Text

#: rows a shard holds by default: a multiple of the embed job's chunk (4,096 texts), so that a
#: sharded embed forms exactly the batches of a one-process run (identical vectors), and small
#: enough that 2 workers finish 200k rows within a shard of each other
SHARD_ROWS = 16_384


@dataclass(frozen=True, kw_only=True)
class Sharding(Spec):
    """Where a sharded job runs and how big its shards are."""

    caller = "runners.run()"
    executor: str = param(
        "local", Named(EXECUTORS), transient=True, help="local, processes or dask (see `interlingua info`)"
    )
    scheduler: str | None = param(
        None,
        NoneOr(Text(nonempty=True)),
        transient=True,
        help="dask scheduler address tcp://HOST:PORT (none: a LocalCluster of `workers` on 127.0.0.1)",
    )
    workers: int = param(2, Interval(int, 1, None), transient=True, help="worker processes (one thread each)")
    shard_rows: int = param(SHARD_ROWS, Interval(int, 1, None), help="rows per shard")
    work_dir: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="shard files (default: `<output>.shards` beside the output)"
    )
    keep_shards: bool = param(False, help="keep the shard files once the output is made")

    def executor_for(self) -> tuple[Executor, bool]:
        """The executor (``(executor, owned)``: close it when owned)."""
        options: dict[str, Any] = {"scheduler": self.scheduler} if self.executor == "dask" else {}
        return make_executor(self.executor, self.workers, **options)

    def folder(self, output: str | Path) -> Path:
        return Path(self.work_dir) if self.work_dir else Path(f"{output}.shards")


@contextlib.contextmanager
def executor_of(sharding: Sharding, given: Executor | None = None) -> Iterator[Executor]:
    """The executor a sharded job runs on: ``given`` (left open: the caller's), else the one
    ``sharding`` names, closed when the job ends."""
    if given is not None:
        yield given
        return
    executor, owned = sharding.executor_for()
    try:
        yield executor
    finally:
        if owned:
            executor.close()


def job_fingerprint(job: Spec, sharding: Sharding) -> str:
    """What names a job's shard files: the job's fingerprint and how it is cut (not where it runs)."""
    h = hashlib.blake2b(digest_size=8)
    h.update(job.fingerprint().encode())
    h.update(str(sharding.shard_rows).encode())
    return h.hexdigest()


__all__ = ["SHARD_ROWS", "Sharding", "executor_of", "job_fingerprint"]
