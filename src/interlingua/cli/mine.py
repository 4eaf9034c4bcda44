"""``interlingua mine``: two corpora -> the translation pairs hidden in them."""

from __future__ import annotations

from pathlib import Path

import typer

from ..mine import FILTERS, mine_files
from ..mine._filters import check_filters
from ._common import JsonOpt, ModelOpt, QuietOpt, print_json


def mine(
    src: Path = typer.Argument(..., help="Source texts: .txt (one a line), .tsv (with header), .jsonl or .parquet."),
    tgt: Path = typer.Argument(..., help="Target texts, same formats."),
    output: Path = typer.Option(None, "--output", "-o", help="Pairs as .tsv or .jsonl (default: TSV on stdout)."),
    model: str = ModelOpt,
    src_emb: Path = typer.Option(None, "--src-emb", help="Precomputed source embeddings (.npy + .ids.txt), one per text."),
    tgt_emb: Path = typer.Option(None, "--tgt-emb", help="Precomputed target embeddings."),
    k: int = typer.Option(4, "-k", help="Neighbours for the margin."),
    margin: str = typer.Option("ratio", "--margin", help="ratio, distance or absolute (plain cosine)."),
    mode: str = typer.Option("max", "--mode", help="forward, backward, intersection or max."),
    knn: str = typer.Option("auto", "--knn", help="exact (numpy, streamed), faiss (flat), hnsw, ivf, or auto (faiss flat when small, ivf when large)."),
    threshold: float = typer.Option(None, "--threshold", "-t", help="Minimum score (default: calibrated per model)."),
    top: int = typer.Option(None, "--top", help="Keep the N best pairs (no default threshold then)."),
    no_filter: list[str] = typer.Option([], "--no-filter", help=f"Switch a filter off: {', '.join(FILTERS)}; repeatable."),
    src_lang: str = typer.Option(None, "--src-lang", help="Expected source language (enables the lang filter)."),
    tgt_lang: str = typer.Option(None, "--tgt-lang", help="Expected target language."),
    max_length_ratio: float = typer.Option(3.0, "--max-length-ratio", help="Length filter bound."),
    text_field: str = typer.Option("text", "--text-field", help="Column holding the text (tsv/jsonl/parquet)."),
    id_field: str = typer.Option(None, "--id-field", help="Column holding ids (default: line numbers)."),
    fmt: str = typer.Option(None, "--format", help="tsv or jsonl (default: from the output's extension)."),
    work_dir: Path = typer.Option(None, "--work-dir", help="Keep embeddings and k-NN blocks here; a rerun resumes."),
    block_size: int = typer.Option(16384, "--block-size", help="Queries per k-NN block."),
    nprobe: int = typer.Option(None, "--nprobe", help="IVF cells searched per query (ivf backend; default 16, more: better recall, slower)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the embedding cache."),
    quiet: bool = QuietOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Find the translation pairs between SRC and TGT by margin-scored k-NN (LASER's method)."""
    report = mine_files(
        src, tgt, output, src_emb=src_emb, tgt_emb=tgt_emb, model=model, k=k, margin=margin, mode=mode, knn=knn,
        threshold=threshold, top=top, filters=[f for f in FILTERS if f not in check_filters(no_filter)],
        src_lang=src_lang, tgt_lang=tgt_lang, max_length_ratio=max_length_ratio, text_field=text_field,
        id_field=id_field, fmt=fmt, work_dir=work_dir, block_size=block_size, nprobe=nprobe,
        use_cache=not no_cache, quiet=quiet,
    )
    if as_json:
        print_json(report.to_dict())
        return
    removed = ", ".join(f"{n} {c:,}" if c is not None else f"{n} off" for n, c in report.filters.removed.items())
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
