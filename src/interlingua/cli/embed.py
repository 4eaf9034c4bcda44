"""``interlingua embed``: a file of texts -> a file of vectors (an :class:`~interlingua.embed.EmbedJob`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ..embed import EmbedJob, run
from ._common import AdapterOpt, NoCacheOpt, adapter_values, print_json
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
    *,
    flags: JobFlags,
) -> None:
    """Encode every text of SOURCE and write the vectors to --output, in input order."""
    done = flags.run(J, run, {"cache": False if no_cache else None, **adapter_values(adapter)})
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


def register(app: typer.Typer) -> None:
    app.command("embed")(embed)
