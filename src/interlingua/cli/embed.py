"""``interlingua embed``: a file of texts -> a file of vectors (an :class:`~interlingua.embed.EmbedJob`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ..embed import EmbedJob, run
from ._common import (
    AdapterOpt,
    ExecutorOpt,
    NoCacheOpt,
    SchedulerOpt,
    ShardDirOpt,
    ShardRowsOpt,
    adapter_values,
    print_json,
    sharded,
)
from ._jobs import JobFlags, job_command, spec_argument, spec_option

J = EmbedJob


@job_command(J, reading="input")
def embed(
    source: Path = spec_argument(
        J, "source", "Texts: .txt (one a line), .tsv (with header), .jsonl or .parquet."
    ),
    output: Path = spec_option(J, "output", "--output", "-o"),
    model: str = spec_option(J, "space.encoder", "--model", "-m"),
    role: str = spec_option(J, "role", "--role"),
    skip_empty: bool = spec_option(J, "input.skip_empty", "--skip-empty"),
    max_chars: int = spec_option(J, "input.max_chars", "--max-chars"),
    output_format: str = spec_option(J, "output_format", "--output-format"),
    with_text: bool = spec_option(J, "with_text", "--with-text"),
    workers: int = spec_option(J, "workers", "--workers", "-w"),
    batch_size: int = spec_option(J, "batch_size", "--batch-size"),
    no_cache: bool = NoCacheOpt,
    adapter: list[str] = AdapterOpt,
    executor: str = ExecutorOpt,
    scheduler: str = SchedulerOpt,
    shard_rows: int = ShardRowsOpt,
    shard_dir: str = ShardDirOpt,
    *,
    flags: JobFlags,
) -> None:
    """Encode every text of SOURCE and write the vectors to --output, in input order. With
    --executor (or --scheduler) SOURCE may also be a folder or a glob pattern of files."""
    shards = sharded(executor, scheduler, shard_rows, shard_dir, flags.values.get("workers"))
    done = flags.run(J, shards or run, {"cache": False if no_cache else None, **adapter_values(adapter)})
    if done is None:
        return
    job, report = done
    if flags.as_json:
        print_json(report.to_dict())
        return
    Console(stderr=True).print(
        f"{report.records:,} texts -> {job.output} with {job.space.encoder} ({job.role}) in {report.seconds:.1f} s "
        f"({report.per_second:,.0f}/s; {report.cache_hits:,} from cache, {report.truncated:,} truncated"
        + (f", {report.skipped_empty:,} empty skipped" if report.skipped_empty else "")
        + (f", {report.replaced:,} with invalid text replaced" if report.replaced else "")
        + ")",
        highlight=False,
    )
    if shards is not None and report.notes:
        Console(stderr=True).print(report.notes[-1], highlight=False)


def register(app: typer.Typer) -> None:
    app.command("embed")(embed)
