"""The sharded mine: a :class:`~interlingua.mine.MineJob` as shards on any executor, giving the
pairs ``mine.run`` gives in one process (the same pairs, scores and order).

It is ``mine.run`` with two of its steps done as shards (``mine.MineSteps``): each side's
vectors, when not given, by the sharded embed (``runners.run_embed``: the vectors ``embed.run``
makes, written to ``<work>/src.npy`` and ``tgt.npy``, so a rerun reuses them as ``mine.run``'s
work folder does), and the k-NN both ways in stopes' shape (``_knn_shards``: train, add, merge,
search; why the lists are the very same is told there). Everything else (checks, thresholds,
margins, selection, filters, the output and its provenance) is ``mine.run``'s own code.

Shard files live in ``Sharding.work_dir``, else ``<output>.shards``, else ``<job.work_dir>/shards``,
else a temporary folder; they are removed once the pairs are written, unless ``keep_shards``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._atomic import storage_errors
from .._executors import Executor
from ..mine import MineJob, MineReport, MineSteps
from ..mine import run_mine as mine_run
from ..progress import ProgressFn
from ._embed import run_embed
from ._knn_shards import ShardedMining
from ._options import Sharding, executor_of


def run_mine(
    job: MineJob,
    sharding: Sharding,
    *,
    progress: ProgressFn | None = None,
    executor: Executor | None = None,
) -> MineReport:
    """Run ``job`` with its embedding and k-NN as shards of ``sharding.shard_rows`` rows; a rerun
    of a killed run reuses the embeddings and the shards it finished."""
    job.validate()
    sharding = sharding.validate()
    with _work_folder(job, sharding) as (folder, temporary), executor_of(sharding, executor) as pool:
        if hasattr(pool, "check_shared"):
            inputs = [p for p in (job.src_emb, job.tgt_emb) if p is not None]
            for where in dict.fromkeys([str(folder), *(str(Path(p).absolute().parent) for p in inputs)]):
                pool.check_shared(where)
        mining = ShardedMining(pool, sharding, folder)

        def embed(embed_job: Any, progress: ProgressFn | None = None, executor: Any = None) -> Any:
            return run_embed(embed_job, sharding, progress=progress, executor=pool)

        steps = MineSteps(embed=embed, mine_vectors=mining, work_dir=folder)
        report = mine_run(job, progress=progress, executor=pool, steps=steps)
        workers = getattr(pool, "workers", sharding.workers)
        if not sharding.keep_shards:
            _remove(mining.files(), folder, own=job.work_dir is None or folder != Path(job.work_dir))
    note = f"k-NN in {mining.shards} shard(s) on {_name(pool, sharding)}, {workers} worker(s)"
    if sharding.keep_shards and not temporary:
        note += f"; shard files kept in {folder}"
    return dataclasses.replace(report, notes=(*report.notes, *mining.notes, note))


@contextlib.contextmanager
def _work_folder(job: MineJob, sharding: Sharding) -> Iterator[tuple[Path, bool]]:
    """``(folder, temporary)``: where the shard files and the made embeddings go (absolute, for
    workers with another working folder)."""
    to_file = job.output is not None and job.output != "-"
    if sharding.work_dir is not None or to_file:
        folder = Path(sharding.folder(job.output or "-")).absolute()
    elif job.work_dir is not None:
        folder = (Path(job.work_dir) / "shards").absolute()
    else:
        with tempfile.TemporaryDirectory(prefix="interlingua-mine-") as tmp:
            yield Path(tmp), True
        return
    with storage_errors(folder):
        folder.mkdir(parents=True, exist_ok=True)
    yield folder, False


def _remove(files: list[Path], folder: Path, *, own: bool) -> None:
    """The shard files, and, in a folder of the runner's own, the embeddings made there."""
    for path in files:
        path.unlink(missing_ok=True)
    if own:
        for side in ("src", "tgt"):
            for extra in folder.glob(f"{side}.npy*"):
                if extra.is_file():
                    extra.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()  # only when empty: other jobs' files stay


def _name(pool: Executor, sharding: Sharding) -> str:
    kind = type(pool).__name__
    return {"DaskExecutor": "dask", "ProcessExecutor": "processes", "LocalExecutor": "local"}.get(
        kind, sharding.executor
    )


__all__ = ["run_mine"]
