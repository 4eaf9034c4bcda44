"""Executors run the pieces of a job: in this process (``local``) or in worker processes
(``processes``: spawned, one thread each; on this class of machine two single-threaded
processes beat one two-threaded one). The ``dask`` executor joins the same registry.

An executor maps a picklable function over picklable items, in order. Workers are set up once
by an ``initializer`` (e.g. rebuilding a :class:`~interlingua.neutral.Space` from its spec:
models are never pickled). Items and results should be small (texts in, vectors out; shard
paths and counts for sharded jobs), never whole corpora.
"""

from __future__ import annotations

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

    def __init__(
        self, workers: int = 1, *, initializer: Callable[..., None] | None = None, initargs: tuple = ()
    ):
        self.workers = 1
        if initializer is not None:
            initializer(*initargs)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        return map(fn, items)

    def close(self) -> None:
        pass

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _process_init(initializer: Callable[..., None] | None, initargs: tuple) -> None:
    # A worker is our own process: pin its math libraries to one thread before they load.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if initializer is not None:
        initializer(*initargs)


class ProcessExecutor:
    """``workers`` spawned processes (spawn, not fork: onnxruntime and faiss hold threads)."""

    def __init__(
        self, workers: int = 2, *, initializer: Callable[..., None] | None = None, initargs: tuple = ()
    ):
        import multiprocessing as mp

        self.workers = check_int(workers, "workers", low=1)
        self._pool = mp.get_context("spawn").Pool(self.workers, _process_init, (initializer, initargs))

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        return iter(self._pool.map(fn, list(items)))

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


EXECUTORS: Registry[Callable[..., Executor]] = Registry("executors", kind="executor")
EXECUTORS.register("local", LocalExecutor, description="in this process")
EXECUTORS.register("processes", ProcessExecutor, description="spawned worker processes, one thread each")


def make_executor(
    executor: str | Executor | None,
    workers: int,
    *,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
) -> tuple[Executor, bool]:
    """An executor for ``workers``: the one given, else ``local`` for 1 and ``processes`` above.
    Returns ``(executor, owned)``: close it when ``owned``."""
    if executor is not None and not isinstance(executor, str):
        return executor, False
    name = executor or ("local" if workers <= 1 else "processes")
    return EXECUTORS.get(name)(workers, initializer=initializer, initargs=initargs), True


__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "ProcessExecutor", "make_executor"]
