"""``interlingua mine``: two corpora -> the translation pairs hidden in them (a :class:`MineJob`);
``interlingua mine calibrate``: a space's threshold from a parallel sample (a :class:`CalibrateJob`).

``mine`` is a group whose only subcommand is ``calibrate``; any other first argument is mining's
(a source file literally named ``calibrate`` is given as ``./calibrate``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import typer
from typer.core import TyperGroup

from ..mine import FILTERS, CalibrateJob, MineJob, check_filters, run
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
from ._jobs import JobFlags, comma_list, job_command, spec_argument, spec_option

J = MineJob
C = CalibrateJob
SUBCOMMANDS = ("calibrate",)


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
    candidates: str = spec_option(J, "candidates.model", "--candidates"),
    src_emb: Path = spec_option(J, "src_emb", "--src-emb"),
    tgt_emb: Path = spec_option(J, "tgt_emb", "--tgt-emb"),
    k: int = spec_option(J, "knn.k", "-k"),
    margin: str = spec_option(J, "margin.kind", "--margin"),
    mode: str = spec_option(J, "margin.mode", "--mode"),
    knn: str = spec_option(J, "knn.backend", "--knn"),
    threshold: float = spec_option(J, "margin.threshold", "--threshold", "-t"),
    calibration: str = spec_option(J, "margin.calibration", "--calibration", "--threshold-file"),
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
    adapter: list[str] = AdapterOpt,
    executor: str = ExecutorOpt,
    scheduler: str = SchedulerOpt,
    shard_rows: int = ShardRowsOpt,
    shard_dir: str = ShardDirOpt,
    *,
    flags: JobFlags,
) -> None:
    """Find the translation pairs between SRC and TGT by margin-scored k-NN (LASER's method).

    Both sides are embedded with role 'query' (precomputed --src-emb/--tgt-emb must be too). With --candidates MODEL (e.g. e5-static), that cheap model embeds both sides and proposes the candidate pairs, and --model embeds only the candidates and their neighbours and scores them (`--set candidates.per_source=..`, `candidates.bound`, `candidates.context`). Without --threshold or --top, the threshold is your calibration of the space (`interlingua mine calibrate --help`), else the shipped default; the summary says which. With --executor (or --scheduler) the embedding and the k-NN run as shards (the same pairs)."""
    off = check_filters(comma_list(no_filter) or [])  # an unknown name lists the known ones
    enabled = [f for f in FILTERS if f not in off] if off else None
    shards = sharded(executor, scheduler, shard_rows, shard_dir, flags.values.get("workers"))
    done = flags.run(
        J,
        shards or run,
        {"filters.enabled": enabled, "cache": False if no_cache else None, **adapter_values(adapter)},
    )
    if done is None:
        return
    job, report = done
    if report.output == "-":
        from ..mine import pair_lines
        from ..neutral import cached_space, provenance

        filled = job.replace(
            margin=job.margin.replace(threshold=report.threshold, calibration=report.calibration)
        )  # the threshold used, and where it came from
        stamp = provenance("mined-pairs", cached_space(job.space), role=report.role, job=filled)
        sys.stdout.writelines(pair_lines(report.results, job.output_format or "tsv", stamp))
    if flags.as_json:
        print_json(report.to_dict())
        return
    removed = ", ".join(
        f"{n} {c:,}" if c is not None else f"{n} off" for n, c in report.filters.removed.items()
    )
    cut = (
        f"threshold {report.threshold:g}, {report.threshold_source}"
        if report.threshold is not None
        else "no threshold"
    )
    typer.echo(
        f"{report.pairs:,} pairs ({report.candidates:,} candidates over {cut}; removed: {removed}) from "
        f"{report.src_rows:,} x {report.tgt_rows:,} sentences, {report.margin} margin k={report.k}, "
        f"{report.mode} mode, {report.knn} k-NN ({report.blocks_computed} blocks computed, "
        f"{report.blocks_reused} reused) in {report.seconds:.1f} s -> {report.output}",
        err=True,
    )
    if shards is not None and report.notes:
        typer.echo(report.notes[-1], err=True)
    if report.candidate_model:
        typer.echo(
            f"two stages: {report.candidate_model} embedded {report.candidate_embedded:,} sentences and proposed "
            f"{report.candidate_pairs:,} pairs; {report.encoder} embedded {report.embedded:,} of "
            f"{report.src_rows + report.tgt_rows:,}",
            err=True,
        )


@job_command(C, reading="input")
def calibrate(
    src: Path = spec_argument(
        C,
        "src",
        "Source side of a parallel sample (line i translates TGT's line i), or a corpus with --gold.",
    ),
    tgt: Path = spec_argument(C, "tgt", "Target side, same formats."),
    gold: Path = spec_option(C, "gold", "--gold"),
    src_distractors: Path = spec_option(C, "src_distractors", "--src-distractors"),
    tgt_distractors: Path = spec_option(C, "tgt_distractors", "--tgt-distractors"),
    output: Path = spec_option(C, "output", "--output", "-o"),
    save: bool = spec_option(C, "save", "--save/--no-save"),
    model: str = spec_option(C, "space.encoder", "--model", "-m"),
    k: int = spec_option(C, "knn.k", "-k"),
    margin: str = spec_option(C, "margin.kind", "--margin"),
    mode: str = spec_option(C, "margin.mode", "--mode"),
    knn: str = spec_option(C, "knn.backend", "--knn"),
    true_share: float = spec_option(C, "true_share", "--true-share"),
    min_precision: float = spec_option(C, "min_precision", "--min-precision"),
    seed: int = spec_option(C, "seed", "--seed"),
    src_lang: str = spec_option(C, "src_lang", "--src-lang"),
    tgt_lang: str = spec_option(C, "tgt_lang", "--tgt-lang"),
    workers: int = spec_option(C, "workers", "--workers", "-w"),
    no_cache: bool = NoCacheOpt,
    adapter: list[str] = AdapterOpt,
    *,
    flags: JobFlags,
) -> None:
    """Calibrate the mining threshold of a space on your parallel data, for `interlingua mine`.

    From a line-aligned sample a pool is built (a third as pairs, the rest as sentences whose translation is missing), unless --src-distractors/--tgt-distractors are given; with --gold, SRC and TGT are corpora mined whole. Both sides are mined as `mine` does, with every margin, and the F1-best threshold (or --min-precision) is stored for this space, role, k and mode in the user cache, where `mine` then finds it, and/or written to -o FILE (for `mine --calibration FILE`)."""
    done = flags.run(C, run, {"cache": False if no_cache else None, **adapter_values(adapter)})
    if done is None:
        return
    job, report = done
    if flags.as_json:
        print_json(report.to_dict())
        return
    d = report.data
    lines = [
        f"{d['gold_pairs']:,} gold pairs among {d['src_rows']:,} x {d['tgt_rows']:,} sentences, "
        f"{report.encoder}, k={report.k}, {report.mode} mode; threshold: {report.criterion}"
    ]
    for kind, row in report.margins.items():
        mark = " *" if kind == job.margin.kind else ""
        lines.append(
            f"  {kind:<9} {row['threshold']:.4f}  P {row['precision']:.3f}  R {row['recall']:.3f}  "
            f"F1 {row['f1']:.3f}  ({row['pairs']:,} pairs){mark}"
        )
    where = [p for p in (report.output, report.saved) if p]
    lines.append(f"-> {', '.join(where)}" if where else "(not saved: --no-save and no -o)")
    typer.echo("\n".join(lines), err=True)


class MineGroup(TyperGroup):
    """``mine SRC TGT ...`` mines; ``mine calibrate ...`` calibrates (any other first argument,
    options and ``--help`` included, goes to mining)."""

    _default: click.Command | None = None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            return super().parse_args(ctx, args)
        ctx._mine_default = True  # type: ignore[attr-defined]
        ctx.args = list(args)
        return ctx.args

    def invoke(self, ctx: click.Context) -> Any:
        if not getattr(ctx, "_mine_default", False):
            return super().invoke(ctx)
        args, ctx.args = ctx.args, []
        command = _mining_command()
        with ctx:
            # parented by the root, so that usage lines read "interlingua mine [OPTIONS] SRC TGT"
            sub = command.make_context(ctx.info_name, args, parent=ctx.parent)
            with sub:
                return sub.command.invoke(sub)


def _mining_command() -> click.Command:
    if MineGroup._default is None:
        one = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        one.command("mine")(mine)
        MineGroup._default = typer.main.get_command(one)
    return MineGroup._default


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        cls=MineGroup,
        help=(
            "Find the translation pairs between SRC and TGT (`mine SRC TGT`, see `mine --help`), or "
            "calibrate a space's threshold (`mine calibrate SRC TGT`)."
        ),
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    group.command("calibrate")(calibrate)
    app.add_typer(group, name="mine")
