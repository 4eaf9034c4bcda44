"""Options shared by several commands, declared once."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from ..encoders import DEFAULT_ENCODER

ModelOpt = typer.Option(
    DEFAULT_ENCODER, "--model", "-m", help="Encoder name (see `interlingua models`) or a model path."
)
QuietOpt = typer.Option(False, "--quiet", "-q", help="No progress bars.")
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON.")
NoCacheOpt = typer.Option(False, "--no-cache", help="Do not read or write the embedding cache.")


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


AdapterOpt = typer.Option(
    None,
    "--adapter",
    help="Adapter folder from `interlingua neutral fit` (repeatable: applied in order); stored in the job's space.",
)


def adapter_values(paths: list[str] | None) -> dict[str, Any]:
    """The job value ``--adapter`` gives: the space's adapter chain (nothing when not given)."""
    if not paths:
        return {}
    from ..neutral import adapter_refs

    return {"space.adapters": [ref.to_dict() for ref in adapter_refs(paths)]}


ExecutorOpt = typer.Option(
    None,
    "--executor",
    help="Run the job as shards on local, processes or dask (resumable: shard files in --shard-dir).",
)
SchedulerOpt = typer.Option(
    None,
    "--scheduler",
    help="Dask scheduler tcp://HOST:PORT (default: a LocalCluster of --workers on 127.0.0.1).",
)
ShardRowsOpt = typer.Option(None, "--shard-rows", help="Rows per shard (default 16,384).")
ShardDirOpt = typer.Option(None, "--shard-dir", help="Folder of shard files (default: <output>.shards).")


def sharded(
    executor: str | None,
    scheduler: str | None,
    shard_rows: int | None,
    shard_dir: str | None,
    workers: int | None,
) -> Any:
    """A ``run(job, progress=...)`` that runs the job as shards when --executor or --scheduler is
    given (``runners.run``); None otherwise (the stage's own run)."""
    if executor is None and scheduler is None:
        return None
    from ..runners import Sharding
    from ..runners import run as run_sharded

    values = {
        "executor": executor or "dask",
        "scheduler": scheduler,
        "shard_rows": shard_rows,
        "work_dir": shard_dir,
        "workers": workers,
    }
    sharding = Sharding().with_values(values).validate()
    return lambda job, progress=None: run_sharded(job, sharding, progress=progress)
