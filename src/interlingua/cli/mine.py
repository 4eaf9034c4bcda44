"""``interlingua mine``: two corpora -> the translation pairs hidden in them (a :class:`MineJob`)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..mine import FILTERS, MineJob, pair_lines, run
from ._common import NoCacheOpt, print_json
from ._jobs import JobFlags, comma_list, job_command, spec_option

J = MineJob


@job_command(J, reading="input")
def mine(
    src: Path = typer.Argument(
        None, help="Source texts: .txt (one a line), .tsv (with header), .jsonl or .parquet."
    ),
    tgt: Path = typer.Argument(None, help="Target texts, same formats."),
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
        None, "--no-filter", help=f"Switch a filter off: {', '.join(FILTERS)} (repeatable)."
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
    off = comma_list(no_filter)
    if off:
        from ..mine import MINE_FILTERS

        for name in off:
            MINE_FILTERS.entry(name)
    done = flags.run(
        J,
        {
            "src": src,
            "tgt": tgt,
            "output": output,
            "space.encoder": model,
            "src_emb": src_emb,
            "tgt_emb": tgt_emb,
            "knn.k": k,
            "margin.kind": margin,
            "margin.mode": mode,
            "knn.backend": knn,
            "margin.threshold": threshold,
            "margin.top": top,
            "filters.enabled": [f for f in FILTERS if f not in off] if off else None,
            "src_lang": src_lang,
            "tgt_lang": tgt_lang,
            "filters.max_length_ratio": max_length_ratio,
            "output_format": fmt,
            "work_dir": work_dir,
            "knn.block_size": block_size,
            "knn.nprobe": nprobe,
            "workers": workers,
            "cache": False if no_cache else None,
        },
        run,
    )
    if done is None:
        return
    job, report = done
    if report.results or report.output == "-":
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
        f"{report.src_rows:,} x {report.tgt_rows:,} sentences, {report.margin} margin k={report.k}, {report.mode} mode, "
        f"{report.knn} k-NN ({report.blocks_computed} blocks computed, {report.blocks_reused} reused) "
        f"in {report.seconds:.1f} s -> {report.output}",
        err=True,
    )


def register(app: typer.Typer) -> None:
    app.command("mine")(mine)
