"""``interlingua align``: sentence alignment of two documents, or word alignment of parallel lines."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ._common import ModelOpt, QuietOpt


def align(
    src: Path = typer.Argument(..., help="Source document: one sentence a line (or raw text with --split)."),
    tgt: Path = typer.Argument(..., help="Target document, same form as SRC."),
    words: bool = typer.Option(False, "--words", help="Word alignment of parallel lines (Pharaoh i-j output)."),
    split: bool = typer.Option(False, "--split", help="Inputs are raw text: split them into sentences."),
    src_lang: str = typer.Option(None, "--src-lang", help="Language of SRC, for the splitter's abbreviations."),
    tgt_lang: str = typer.Option(None, "--tgt-lang", help="Language of TGT, for the splitter's abbreviations."),
    output: Path = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
    fmt: str = typer.Option(
        None, "--format", "-f", help="Sentences: tsv (default), jsonl, vecalign. Words: pharaoh (default), jsonl."
    ),
    text: bool = typer.Option(False, "--text", help="Include the sentences (or words) in the output."),
    max_size: int = typer.Option(3, "--max-size", help="Most sentences on one side of a link (3: 1-3, 2-2, 3-1)."),
    method: str = typer.Option(
        "intersection", "--method", help="Word links: intersection, forward, backward or itermax."
    ),
    del_penalty: float = typer.Option(None, "--del-penalty", help="Fixed cost of a 1-0/0-1 link (default: adaptive)."),
    search: str = typer.Option("auto", "--search", help="auto, full (exact DP) or banded (coarse to fine)."),
    model: str = ModelOpt,
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the embedding cache."),
    quiet: bool = QuietOpt,
) -> None:
    """Align SRC and TGT: sentence links (1-1, 1-2, 2-1, 1-0, 0-1, ...) or, with --words, word links."""
    from ..mine._align_files import align_files

    options = {} if words else {"del_penalty": del_penalty, "search": search}
    sink = open(output, "w", encoding="utf-8") if output is not None else sys.stdout  # noqa: SIM115
    try:
        report = align_files(
            src, tgt, sink, words=words, split=split, src_lang=src_lang, tgt_lang=tgt_lang, encoder=model,
            max_size=max_size, fmt=fmt, with_text=text, method=method, use_cache=not no_cache, quiet=quiet,
            **options,
        )
    finally:
        if output is not None:
            sink.close()
    if not quiet:
        unit = "lines" if report.mode == "words" else "sentences"
        timing = (
            f"embedding {report.embed_seconds:.1f} s, alignment {report.align_seconds:.2f} s"
            if report.mode == "sentences"
            else f"{report.align_seconds:.1f} s"
        )
        print(
            f"{report.src_items:,} x {report.tgt_items:,} {unit} -> {report.links:,} links ({timing})",
            file=sys.stderr,
        )


def register(app: typer.Typer) -> None:
    app.command("align")(align)
