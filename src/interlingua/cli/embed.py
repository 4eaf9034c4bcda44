"""``interlingua embed``: a file of texts -> a file of vectors (an :class:`~interlingua.embed.EmbedJob`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ..embed import EmbedJob, run
from ._common import JsonOpt, QuietOpt, print_json
from ._jobs import ConfigOpt, PrintConfigOpt, SetOpt, build_job, comma_list, print_config, spec_option
from ._progress import Drawer

J = EmbedJob


def embed(
    source: Path = typer.Argument(
        None, help="Texts: .txt (one a line), .tsv (with header), .jsonl or .parquet."
    ),
    output: Path = spec_option(J, "output", "--output", "-o"),
    model: str = spec_option(J, "space.encoder", "--model", "-m"),
    role: str = spec_option(J, "role", "--role"),
    input_format: str = spec_option(J, "input.format", "--input-format"),
    text_field: str = spec_option(J, "input.text_field", "--text-field"),
    id_field: str = spec_option(J, "input.id_field", "--id-field"),
    lang_field: str = spec_option(J, "input.lang_field", "--lang-field"),
    columns: list[str] = spec_option(J, "input.columns", "--columns"),
    skip_empty: bool = spec_option(J, "input.skip_empty", "--skip-empty"),
    max_chars: int = spec_option(J, "input.max_chars", "--max-chars"),
    on_invalid: str = spec_option(J, "input.on_invalid", "--on-invalid"),
    output_format: str = spec_option(J, "output_format", "--output-format"),
    with_text: bool = spec_option(J, "with_text", "--with-text"),
    workers: int = spec_option(J, "workers", "--workers", "-w"),
    batch_size: int = spec_option(J, "batch_size", "--batch-size"),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the embedding cache."),
    config: Path = ConfigOpt,
    set_: list[str] = SetOpt,
    show: bool = PrintConfigOpt,
    quiet: bool = QuietOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Encode every text of SOURCE and write the vectors to --output, in input order."""
    job = build_job(
        J,
        config,
        set_,
        {
            "source": source,
            "output": output,
            "space.encoder": model,
            "role": role,
            "input.format": input_format,
            "input.text_field": text_field,
            "input.id_field": id_field,
            "input.lang_field": lang_field,
            "input.columns": comma_list(columns),
            "input.skip_empty": skip_empty or None,
            "input.max_chars": max_chars,
            "input.on_invalid": on_invalid,
            "output_format": output_format,
            "with_text": with_text or None,
            "workers": workers,
            "batch_size": batch_size,
            "cache": False if no_cache else None,
        },
    )
    if show:
        print_config(job)
        return
    with Drawer(quiet=quiet or as_json) as drawer:
        report = run(job, progress=drawer)
    if as_json:
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
