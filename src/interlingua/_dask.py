"""The ``dask`` executor: the pieces of a job as tasks of a dask.distributed cluster.

Given a scheduler address (``tcp://HOST:PORT``) it joins that cluster; without one it starts a
``LocalCluster`` of ``workers`` single-threaded worker processes bound to 127.0.0.1 (no dashboard),
and closes it with the executor. Tasks are module-level functions of small, picklable items;
they return paths and counts, never large arrays (DESIGN.md): on a real cluster the workers
and the client must see the same file system, which :meth:`DaskExecutor.check_shared` tests
before a job starts, so that a missing mount is one clear error rather than a failed task.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ._validation import check_int
from .errors import ClusterError, MissingDependencyError

#: what each local worker process pins before its math libraries load
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
CONNECT_TIMEOUT = 30


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise MissingDependencyError("the dask executor", "dask") from exc
    return distributed


class DaskExecutor:
    """``map`` keeps the order of its items; ``completed`` yields ``(position, result)`` as tasks
    finish, so that a runner reports progress (and saves shards) as they come."""

    def __init__(self, workers: int = 2, *, scheduler: str | None = None):
        distributed = _distributed()
        self.workers = check_int(workers, "workers", low=1)
        self.scheduler = scheduler
        self._cluster = None
        try:
            if scheduler:
                self._client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
                self.workers = max(1, len(self._client.scheduler_info().get("workers", {})) or self.workers)
            else:
                self._cluster = distributed.LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",  # its HTTP routes on a free local port, never 8787
                    silence_logs=logging.WARNING,  # dask's own loggers; INFO lines per worker otherwise
                    env=dict(WORKER_ENV),
                )
                self._client = distributed.Client(self._cluster, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self.close()
            where = scheduler or "a local cluster"
            raise ClusterError(
                f"cannot reach the Dask scheduler at {where}: {exc}. Start one (`dask scheduler`, then "
                "`dask worker ADDRESS --nthreads 1` on each machine) or leave --scheduler out for a local cluster"
            ) from None

    @property
    def address(self) -> str:
        return str(self._client.scheduler.address)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        futures = self._client.map(fn, list(items), pure=False)
        try:
            for future in futures:
                yield future.result()
        finally:
            self._client.cancel(futures)

    def completed(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        distributed = _distributed()
        futures = self._client.map(fn, list(items), pure=False)
        where = {f.key: n for n, f in enumerate(futures)}
        try:
            for future in distributed.as_completed(futures, loop=self._client.loop):
                yield where[future.key], future.result()
        finally:
            self._client.cancel(futures)

    def worker_pids(self) -> dict[str, int]:
        """Each worker's process id (meaningful for workers on this machine: a benchmark samples
        their memory)."""
        return dict(self._client.run(os.getpid))

    def check_shared(self, path: str | os.PathLike) -> None:
        """Refuse a cluster whose workers cannot see ``path`` (a folder the job reads or writes)."""
        target = os.fspath(path)
        seen = self._client.run(os.path.exists, target)
        blind = sorted(w for w, ok in seen.items() if not ok)
        if blind:
            raise ClusterError(
                f"the Dask worker(s) {', '.join(blind)} cannot see {target}; the job's inputs and work folder "
                "must be on a file system every worker mounts at the same path"
            )

    def close(self) -> None:
        client, cluster = getattr(self, "_client", None), self._cluster
        self._client, self._cluster = None, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["WORKER_ENV", "DaskExecutor"]
