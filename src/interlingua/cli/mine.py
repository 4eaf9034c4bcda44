"""``interlingua mine``: two corpora -> the translation pairs hidden in them (a :class:`MineJob`)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..mine import FILTERS, MineJob, check_filters, run
from ._common import NoCacheOpt, print_json
from ._jobs import JobFlags, comma_list, job_command, spec_argument, spec_option

J = MineJob


@job_command(J, reading="input")
def mine(
    src: Path = spec_argument(
        J, "src", "Source texts: .txt (one a line), .tsv (with header), .jsonl or .parquet."
    ),
    tgt: Path = spec_argument(J, "tgt", "Target texts, same formats."),
    output: Path = spec_option(
        J, "output", "--output", "-o", help="Pairs as .tsv or .jsonl (default: TSV on stdout)"
    ),
    model: str = spec_option(J, "space.encoder", "--model", "-m"),
    src_emb: Path = spec_option(J, "src_emb", "--src-emb"),
    tgt_emb: Path = spec_option(J, "tgt_emb", "--tgt-emb"),
    k: int = spec_option(J, "knn.k", "-k"),
    margin: str = spec_option(J, "margin.kind", "--margin"),
    mode: str = spec_option(J, "margin.mode", "--mode"),
    knn: str = spec_option(J, "knn.backend", "--knn"),
    threshold: float = spec_option(J, "margin.threshold", "--threshold", "-t"),
    top: int = spec_option(J, "margin.top", "--top"),
    no_filter: list[str] = typer.Option(
        None, "--no-filter", help=f"Switch a filter off: {', '.join(FILTERS)}."
    ),
    src_lang: str = spec_option(J, "src_lang", "--src-lang"),
    tgt_lang: str = spec_option(J, "tgt_lang", "--tgt-lang"),
    max_length_ratio: float = spec_option(J, "filters.max_length_ratio", "--max-length-ratio"),
    fmt: str = spec_option(J, "output_format", "--format"),
    work_dir: Path = spec_option(J, "work_dir", "--work-dir"),
    block_size: int = spec_option(J, "knn.block_size", "--block-size"),
    nprobe: int = spec_option(J, "knn.nprobe", "--nprobe"),
    workers: int = spec_option(J, "workers", "--workers", "-w"),
    no_cache: bool = NoCacheOpt,
    *,
    flags: JobFlags,
) -> None:
    """Find the translation pairs between SRC and TGT by margin-scored k-NN (LASER's method).

    Both sides are embedded with role 'query' (precomputed --src-emb/--tgt-emb must be too)."""
    off = check_filters(comma_list(no_filter) or [])  # an unknown name lists the known ones
    enabled = [f for f in FILTERS if f not in off] if off else None
    done = flags.run(J, run, {"filters.enabled": enabled, "cache": False if no_cache else None})
    if done is None:
        return
    job, report = done
    if report.output == "-":
        from ..mine import pair_lines
        from ..neutral import cached_space, provenance

        stamp = provenance("mined-pairs", cached_space(job.space), role=report.role, job=job)
        sys.stdout.writelines(pair_lines(report.results, job.output_format or "tsv", stamp))
    if flags.as_json:
        print_json(report.to_dict())
        return
    removed = ", ".join(
        f"{n} {c:,}" if c is not None else f"{n} off" for n, c in report.filters.removed.items()
    )
    cut = f"threshold {report.threshold:g}" if report.threshold is not None else "no threshold"
    typer.echo(
        f"{report.pairs:,} pairs ({report.candidates:,} candidates over {cut}; removed: {removed}) from "
        f"{report.src_rows:,} x {report.tgt_rows:,} sentences, {report.margin} margin k={report.k}, "
        f"{report.mode} mode, {report.knn} k-NN ({report.blocks_computed} blocks computed, "
        f"{report.blocks_reused} reused) in {report.seconds:.1f} s -> {report.output}",
        err=True,
    )


def register(app: typer.Typer) -> None:
    app.command("mine")(mine)
