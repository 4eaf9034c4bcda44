"""``interlingua align``: sentence alignment of two documents, or word alignment of parallel lines."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..mine import AlignJob, run
from ._common import AdapterOpt, NoCacheOpt, adapter_values, print_json
from ._jobs import JobFlags, job_command, spec_argument, spec_option

J = AlignJob


@job_command(J)
def align(
    src: Path = spec_argument(J, "src", "Source document: one sentence a line (or raw text with --split)."),
    tgt: Path = spec_argument(J, "tgt", "Target document, same form as SRC."),
    words: bool = typer.Option(
        False, "--words", help="Word alignment of parallel lines (Pharaoh i-j output)."
    ),
    split: bool = spec_option(J, "sentences.split", "--split"),
    blank_lines: str = spec_option(J, "sentences.blank_lines", "--blank-lines"),
    src_lang: str = spec_option(J, "src_lang", "--src-lang"),
    tgt_lang: str = spec_option(J, "tgt_lang", "--tgt-lang"),
    output: Path = spec_option(J, "output", "--output", "-o", help="Write here instead of stdout"),
    fmt: str = spec_option(J, "output_format", "--format", "-f"),
    text: bool = spec_option(J, "with_text", "--text"),
    max_size: int = spec_option(J, "sentences.max_size", "--max-size"),
    method: str = spec_option(J, "words.method", "--method"),
    del_factor: float = spec_option(J, "sentences.del_factor", "--del-factor"),
    del_penalty: float = spec_option(J, "sentences.del_penalty", "--del-penalty"),
    search: str = spec_option(J, "sentences.search", "--search"),
    src_emb: Path = spec_option(J, "src_emb", "--src-emb"),
    tgt_emb: Path = spec_option(J, "tgt_emb", "--tgt-emb"),
    model: str = spec_option(J, "space.encoder", "--model", "-m"),
    candidates: str = spec_option(J, "candidates.model", "--candidates"),
    workers: int = spec_option(J, "workers", "--workers", "-w"),
    no_cache: bool = NoCacheOpt,
    adapter: list[str] = AdapterOpt,
    *,
    flags: JobFlags,
) -> None:
    """Align SRC and TGT: sentence links (1-1, 1-2, 2-1, 1-0, 0-1, ...) or, with --words, word links.

    Both documents are embedded with role 'query'. With --candidates MODEL (e.g. e5-static) that cheap model aligns first and --model re-aligns only the stretches it is unsure of (`--set candidates.sure=..`, `candidates.context`)."""
    done = flags.run(
        J,
        run,
        {"mode": "words" if words else None, "cache": False if no_cache else None, **adapter_values(adapter)},
    )
    if done is None:
        return
    job, report = done
    sys.stdout.writelines(report.lines)
    if flags.as_json:
        print_json(report.to_dict())
    elif not flags.quiet:
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
        if report.candidate_model:
            print(
                f"two stages: {report.candidate_model} embedded {report.candidate_embedded:,} windows and decided "
                f"{report.candidate_links:,} links alone; {report.space.split('|')[0]} embedded "
                f"{report.embedded:,} windows",
                file=sys.stderr,
            )


def register(app: typer.Typer) -> None:
    app.command("align")(align)
