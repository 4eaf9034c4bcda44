"""``interlingua embed``: a file of texts -> a file of vectors."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ..encoders._corpus import embed_file
from ._common import JsonOpt, ModelOpt, QuietOpt, print_json


def embed(
    input: Path = typer.Argument(..., help="Texts: .txt (one a line), .tsv (with header), .jsonl or .parquet."),
    output: Path = typer.Option(..., "--output", "-o", help="Vectors: .npy (+ .ids.txt), .parquet or .jsonl."),
    model: str = ModelOpt,
    role: str = typer.Option("passage", "--role", help="query or passage (e5 prefixes)."),
    text_field: str = typer.Option("text", "--text-field", help="Column holding the text (tsv/jsonl/parquet)."),
    id_field: str = typer.Option(None, "--id-field", help="Column holding ids (default: line numbers)."),
    skip_empty: bool = typer.Option(False, "--skip-empty", help="Skip empty lines instead of failing."),
    max_chars: int = typer.Option(100_000, "--max-chars", help="Reject texts longer than this."),
    with_text: bool = typer.Option(False, "--with-text", help="Store the text beside each vector (parquet/jsonl)."),
    workers: int = typer.Option(1, "--workers", "-w", help="Processes, one thread each."),
    batch_size: int = typer.Option(None, "--batch-size", help="Texts per forward pass."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the embedding cache."),
    quiet: bool = QuietOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Encode every text of INPUT and write the vectors to --output, in input order."""
    report = embed_file(
        input, output, model=model, role=role, text_field=text_field, id_field=id_field,
        skip_empty=skip_empty, max_chars=max_chars, with_text=with_text, workers=workers,
        batch_size=batch_size, use_cache=not no_cache, quiet=quiet,
    )
    if as_json:
        print_json(report.to_dict())
        return
    console = Console(stderr=True)
    console.print(
        f"{report.records:,} texts -> {output} with {report.encoder} in {report.seconds:.1f} s "
        f"({report.per_second:,.0f}/s; {report.cache_hits:,} from cache, {report.truncated:,} truncated"
        + (f", {report.skipped_empty:,} empty skipped" if report.skipped_empty else "") + ")"
    )
    for w in report.warnings:
        console.print(f"warning: {w}")


def register(app: typer.Typer) -> None:
    app.command("embed")(embed)
