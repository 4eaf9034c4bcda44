"""Executors run the pieces of a job: in this process (``local``) or in worker processes
(``processes``: spawned, one thread each; on this class of machine two single-threaded
processes beat one two-threaded one) or on a dask.distributed cluster (``dask``, ``_dask.py``).

An executor maps a picklable function over picklable items, in order. Models are never
pickled: a worker rebuilds what it needs from a spec on first use and keeps it (e.g. a
:class:`~interlingua.neutral.Space` through ``cached_space``). Items and results should be small
(texts in, vectors out; shard paths and counts for sharded jobs), never whole corpora.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

from ._registry import Registry
from ._validation import check_int


@runtime_checkable
class Executor(Protocol):
    workers: int

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]: ...

    def close(self) -> None: ...


class LocalExecutor:
    """Everything in the calling process, one item after another."""

    def __init__(self, workers: int = 1):
        self.workers = 1

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        return map(fn, items)

    def close(self) -> None:
        pass

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _process_init() -> None:
    # A worker is our own process: pin its math libraries to one thread before they load.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


class _Indexed:
    """``fn`` over ``(position, item)``, keeping the position (picklable, unlike a closure)."""

    def __init__(self, fn: Callable[[Any], Any]):
        self.fn = fn

    def __call__(self, pair: tuple[int, Any]) -> tuple[int, Any]:
        return pair[0], self.fn(pair[1])


class ProcessExecutor:
    """``workers`` spawned processes (spawn, not fork: onnxruntime and faiss hold threads)."""

    def __init__(self, workers: int = 2):
        import multiprocessing as mp

        self.workers = check_int(workers, "workers", low=1)
        self._pool = mp.get_context("spawn").Pool(self.workers, _process_init)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        return iter(self._pool.map(fn, list(items)))

    def completed(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        return self._pool.imap_unordered(_Indexed(fn), list(enumerate(items)))

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _dask(workers: int = 2, **options: Any) -> Executor:
    from ._dask import DaskExecutor  # dask is an extra: imported when a job asks for it

    return DaskExecutor(workers, **options)


EXECUTORS: Registry[Callable[..., Executor]] = Registry("executors", kind="executor")
EXECUTORS.register("local", LocalExecutor, description="in this process")
EXECUTORS.register("processes", ProcessExecutor, description="spawned worker processes, one thread each")
EXECUTORS.register(
    "dask", _dask, description="dask.distributed: a scheduler's workers, or a LocalCluster on 127.0.0.1"
)


def make_executor(executor: str | Executor | None, workers: int, **options: Any) -> tuple[Executor, bool]:
    """An executor for ``workers``: the one given, else ``local`` for 1 and ``processes`` above.
    ``options`` go to the executor's constructor (``scheduler=`` for dask). Returns
    ``(executor, owned)``: close it when ``owned``."""
    if executor is not None and not isinstance(executor, str):
        return executor, False
    name = executor or ("local" if workers <= 1 else "processes")
    return EXECUTORS.get(name)(workers, **options), True


def completed(
    executor: Executor, fn: Callable[[Any], Any], items: Iterable[Any]
) -> Iterator[tuple[int, Any]]:
    """``(position, fn(item))`` as each finishes (in order for an executor that cannot say sooner):
    a runner saves and reports each shard when it is done, not when the slowest one is."""
    if hasattr(executor, "completed"):
        return executor.completed(fn, items)
    return enumerate(executor.map(fn, items))


class _OnFirstUse:
    """The executor ``make_executor`` would make, made when first asked to map."""

    def __init__(self, executor: str | None, workers: int):
        self.workers, self._name = workers, executor
        self._pool: Executor | None = None

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        return self._made().map(fn, items)

    def completed(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        return completed(self._made(), fn, items)

    def _made(self) -> Executor:
        if self._pool is None:
            self._pool, _ = make_executor(self._name, self.workers)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


@contextlib.contextmanager
def shared_executor(executor: str | Executor | None, workers: int) -> Iterator[str | Executor | None]:
    """One executor for every step of a job (both sides of a mining run), so that worker
    processes start, and load their model, once rather than once a step. It is made on first
    use (a job whose vectors are all ready starts no process) and closed when the job ends; an
    executor object given by the caller, or one local worker, passes through as it is."""
    if (executor is not None and not isinstance(executor, str)) or (
        workers <= 1 and executor in (None, "local")
    ):
        yield executor
        return
    shared = _OnFirstUse(executor, workers)
    try:
        yield shared
    finally:
        shared.close()


__all__ = [
    "EXECUTORS",
    "Executor",
    "LocalExecutor",
    "ProcessExecutor",
    "completed",
    "make_executor",
    "shared_executor",
]
