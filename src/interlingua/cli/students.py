"""``interlingua students``: build small fast models distilled from e5-small."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ..encoders import StaticSpec, build_static
from ._common import print_json
from ._jobs import JobFlags, job_command, spec_option

J = StaticSpec

app = typer.Typer(help="Students of e5-small: faster models distilled from it.", no_args_is_help=True)
build = typer.Typer(
    help="Build a student (cached: a second build with the same inputs is instant).", no_args_is_help=True
)


@job_command(J)
def static(
    teacher: str = spec_option(J, "teacher", "--teacher"),
    dim: int = spec_option(J, "dim", "--dim"),
    sif: float = spec_option(J, "sif", "--sif"),
    whiten: bool = spec_option(J, "whiten", "--whiten/--no-whiten"),
    whiten_on: str = spec_option(J, "whiten_on", "--whiten-on"),
    whiten_eps: float = spec_option(J, "whiten_eps", "--whiten-eps"),
    refine: str = spec_option(J, "refine", "--refine"),
    ridge: float = spec_option(J, "ridge", "--ridge"),
    parallel: str = spec_option(J, "parallel", "--parallel"),
    contrast_steps: int = spec_option(J, "contrast_steps", "--contrast-steps"),
    contrast_batch: int = spec_option(J, "contrast_batch", "--contrast-batch"),
    temperature: float = spec_option(J, "temperature", "--temperature"),
    center_scripts: bool = spec_option(J, "center_scripts", "--center-scripts/--no-center-scripts"),
    vocabulary: str = spec_option(J, "vocabulary", "--vocabulary"),
    workers: int = spec_option(J, "workers", "--workers", "-w"),
    output: Path = typer.Option(None, "--output", "-o", help="Write the student here instead of the cache."),
    force: bool = typer.Option(False, "--force", help="Rebuild even when cached; replace --output."),
    *,
    flags: JobFlags,
) -> None:
    """Build e5-static: every vocabulary piece through e5-small, PCA, SIF weights, a whitened
    sentence space (statistics from the tokenizer, or from --whiten-on text), optionally refined
    on the teacher's vectors of text (--refine: sentences, or text<TAB>pivot translation) and
    tuned on translation pairs (--parallel: text<TAB>translation, contrastive, no teacher pass),
    and last each script's mean removed (--no-center-scripts keeps it).

    The student becomes what --model e5-static loads; --model FOLDER loads any student folder.
    """
    started = time.perf_counter()
    done = flags.run(J, lambda job, progress=None: build_static(job, progress, output=output, force=force))
    if done is None:
        return
    _, folder = done
    seconds = time.perf_counter() - started
    if flags.as_json:
        print_json({"path": str(folder), "seconds": round(seconds, 2)})
        return
    typer.echo(f"e5-static student -> {folder} in {seconds:.1f} s", err=True)


build.command("static")(static)
app.add_typer(build, name="build")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="students")
