"""``interlingua eval``: one sub-command per registered task, plus ``report`` and ``list``.

``interlingua eval tatoeba --data DIR [--lang de --lang fr] [--scoring margin] [-o run.json]``
runs a task; ``--config run.toml`` reads the same settings from a file (flags win);
``--set key=value`` sets a run field (``space.encoder=...``) or, for any other key, a task option
(``--set k=4`` is ``options.k``); ``--adapter DIR`` (repeatable) puts fitted adapters in the
space (``space.adapters``; the task then runs raw and adapted, and both are printed, saved and
reported side by side); ``--print-config`` prints the filled run. ``interlingua eval report RUN.json
[RUN2.json ...] -o report.html`` writes an HTML page with PNG figures beside it.

A run config (TOML or JSON; a relative ``data`` path is relative to the file)::

    task = "tatoeba"
    data = "../shared/data/tatoeba"
    languages = ["de", "ja"]
    scoring = "both"
    workers = 2
    [space]
    encoder = "e5-small"
    [options]
    k = 4
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ._common import AdapterOpt, JsonOpt, NoCacheOpt, QuietOpt, adapter_values, print_json
from ._jobs import PrintConfigOpt, comma_list, print_config
from ._progress import Drawer

eval_app = typer.Typer(
    help="Evaluate encoders on multilingual benchmarks; write JSON results and HTML reports.",
    no_args_is_help=True,
)


def _sets(items: list[str] | None) -> list[str]:
    """``--set`` items; a key that is not a run field is a task option (``--set k=4`` is ``options.k``)."""
    from ..evaluate import EvalRun

    fields = set(EvalRun.__dataclass_fields__)
    out = []
    for item in items or []:
        key = item.partition("=")[0].strip()
        out.append(item if key.split(".")[0] in fields else f"options.{item.strip()}")
    return out


def _make_command(task_name: str):
    def command(
        data: Path = typer.Option(None, "--data", "-d", help="Dataset path (folder or file)."),
        model: str = typer.Option(
            None, "--model", "-m", help="Encoder name or model path (default e5-small)."
        ),
        lang: list[str] = typer.Option(
            None,
            "--lang",
            "-l",
            help="Languages to evaluate: repeat or comma-separate; any code form (de, deu, deu_Latn). Default: all.",
        ),
        scoring: str = typer.Option(
            None, "--scoring", help="cosine, margin or both (tasks that score pairs)."
        ),
        config: Path = typer.Option(
            None, "--config", "-c", help="Run config, TOML or JSON; flags override it."
        ),
        output: Path = typer.Option(None, "--output", "-o", help="Write the run record (JSON) here."),
        set_: list[str] = typer.Option(
            None,
            "--set",
            help="Run option a.b=value, or task option key=value (value parsed as JSON when it can be).",
        ),
        workers: int = typer.Option(None, "--workers", "-w", help="Encoder processes, one thread each."),
        adapter: list[str] = AdapterOpt,
        no_cache: bool = NoCacheOpt,
        show: bool = PrintConfigOpt,
        quiet: bool = QuietOpt,
        as_json: bool = JsonOpt,
    ) -> None:
        from ..evaluate import EvalRun, load_config, run, save_run

        base = load_config(config, task=task_name).to_dict() if config is not None else {"task": task_name}
        flags = {
            "data": str(data) if data else None,
            "space.encoder": model,
            "scoring": scoring,
            "languages": comma_list(lang),
            "workers": workers,
            "cache": False if no_cache else None,
            **adapter_values(adapter),
        }
        job = EvalRun.from_dict(EvalRun.apply_overrides(_merge(base, flags), _sets(set_)))
        if show:
            print_config(job)
            return
        if output is not None:
            from .._paths import check_outputs

            check_outputs([output], [job.data] if job.data else [])
        with Drawer(quiet=quiet or as_json) as drawer:
            record = run(job, progress=drawer)
        if output is not None:
            save_run(record, output)
        if as_json:
            print_json(record)
            return
        _print_summary(record, output)

    command.__doc__ = None
    return command


def _merge(base: dict, flags: dict) -> dict:
    from .._spec import set_dotted

    for key, value in flags.items():
        if value is not None:
            set_dotted(base, key, value, where=" in the config")
    return base


def _print_summary(record: dict, output: Path | None) -> None:
    res = record["result"]
    console = Console()
    primary = res["primary_metric"]
    console.print(
        f"[bold]{res['task']}[/bold] with {record['encoder']['name']} in {record['seconds']:.1f} s "
        f"({record['embedding']['encoded']:,} encoded, {record['embedding']['cache_hits']:,} from cache)"
    )
    raw = (record.get("raw") or {}).get("result")
    if raw is not None:  # raw and adapted side by side
        console.print(f"  {'':<28} {'raw':>10} {'adapted':>10} {'delta':>10}")
        for key, value in res["metrics"].items():
            mark = "  <- primary" if key == primary else ""
            before = raw["metrics"].get(key)
            if before is None:
                console.print(f"  {key:<28} {'-':>10} {value:10.4f}{mark}")
            else:
                console.print(f"  {key:<28} {before:10.4f} {value:10.4f} {value - before:+10.4f}{mark}")
    else:
        for key, value in res["metrics"].items():
            mark = "  <- primary" if key == primary else ""
            console.print(f"  {key:<28} {value:10.4f}{mark}")
    if output is not None:
        console.print(f"run record: {output}")


def report(
    runs: list[Path] = typer.Argument(..., help="Run records (JSON) written by `interlingua eval TASK -o`."),
    output: Path = typer.Option(
        Path("report.html"), "--output", "-o", help="HTML file; PNGs go in <name>_files/."
    ),
) -> None:
    """Write an HTML report with PNG figures for one run, or comparing several."""
    from ..evaluate.report import write_report

    path = write_report(runs, output)
    Console(stderr=True).print(f"report: {path}")


def list_tasks(as_json: bool = JsonOpt) -> None:
    """List the evaluation tasks."""
    from ..evaluate import task_specs

    rows = [
        {"task": s.name, "default_data": s.default_data, "description": s.description} for s in task_specs()
    ]
    if as_json:
        print_json(rows)
        return
    for r in rows:
        print(f"{r['task']:<20} {r['description']}")


def register(app: typer.Typer) -> None:
    from ..evaluate import task_specs

    eval_app.command("report")(report)
    eval_app.command("list")(list_tasks)
    for spec in task_specs():
        if spec.name not in ("report", "list"):
            eval_app.command(spec.name, help=spec.description)(_make_command(spec.name))
    app.add_typer(eval_app, name="eval")
