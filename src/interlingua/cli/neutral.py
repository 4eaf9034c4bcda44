"""``interlingua neutral``: fit an adapter that makes the space fairer across languages, and show one."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..neutral import METHODS, FitJob, read_meta, run
from ._common import AdapterOpt, NoCacheOpt, print_json
from ._jobs import JobFlags, job_command, spec_argument, spec_option

J = FitJob

app = typer.Typer(
    help="Adapters that make the space fair across languages: fit them on training text, show them.",
    no_args_is_help=True,
)

_METHODS_HELP = "; ".join(f"{name}: {m.description}" for name, m in METHODS.items())


@job_command(J, reading="input")
def fit(
    method: str = spec_argument(J, "method", f"The method. {_METHODS_HELP}."),
    data: list[str] = spec_option(
        J,
        "data",
        "--data",
        "-d",
        help="Training text: a FLORES / SIB-200 folder (with --split), a file with a lang field, or a "
        "pairs file (TSV/JSONL, with --langs SRC,TGT); repeatable",
    ),
    output: Path = spec_option(J, "output", "--output", "-o"),
    langs: list[str] = spec_option(J, "langs", "--langs", "-l"),
    split: str = spec_option(J, "split", "--split"),
    kind: str = spec_option(J, "kind", "--kind"),
    roles: list[str] = spec_option(J, "roles", "--roles"),
    limit: int = spec_option(J, "limit", "--limit"),
    rank: int = typer.Option(
        None,
        "--rank",
        help="Directions removed (lir, lsar), or eigenvectors kept for balance's fitted estimate (--set params.estimate=fitted; params.top_k for the default).",
    ),
    pivot: str = typer.Option(
        None, "--pivot", help="linear: the language every other is mapped onto (default: en)."
    ),
    model: str = spec_option(J, "space.encoder", "--model", "-m"),
    after: list[str] = AdapterOpt,
    workers: int = spec_option(J, "workers", "--workers", "-w"),
    overwrite: bool = spec_option(J, "overwrite", "--overwrite"),
    no_cache: bool = NoCacheOpt,
    *,
    flags: JobFlags,
) -> None:
    """Fit METHOD on training text by language and write the adapter folder (-o).

    The vectors come from --model, through the --adapter folders first: fit a chain one step at a time.

    Fit on a training split, never on what you report; pass the folder as --adapter to embed, mine, align, eval, index create.
    """
    params = {k: v for k, v in (("rank", rank), ("pivot", pivot)) if v is not None}
    extra = {"cache": False if no_cache else None}
    if params:
        extra["params"] = params
    if after:
        extra["after"] = [str(Path(p)) for p in after]
    done = flags.run(J, run, extra)
    if done is None:
        return
    _, report = done
    if flags.as_json:
        print_json(report.to_dict())
        return
    Console(stderr=True).print(
        f"{report.method} adapter {report.identity} -> {report.output}: {len(report.languages)} languages, "
        f"roles {', '.join(report.roles)}, {report.texts:,} vectors ({report.cache_hits:,} from cache) "
        f"in {report.seconds:.1f} s",
        highlight=False,
    )


def show(
    adapter: Path = typer.Argument(..., help="An adapter folder."),
    as_json: bool = typer.Option(False, "--json", help="Print adapter.json as it is."),
) -> None:
    """Print what an adapter is: its method, parameters, space, languages and training data."""
    meta = read_meta(adapter)
    if as_json:
        print_json(meta)
        return
    data = meta.get("data") or {}
    table = Table(show_header=False, box=None)
    rows = [
        ("method", f"{meta['method']}: {meta.get('description', '')}"),
        ("identity", meta["identity"]),
        ("params", ", ".join(f"{k}={v}" for k, v in (meta.get("params") or {}).items()) or "-"),
        ("space", meta["space"]),
        ("roles", ", ".join(meta["roles"])),
        ("languages", f"{len(meta['languages'])}: {', '.join(meta['languages'])}"),
        ("unseen languages", meta.get("fallback", "")),
        (
            "data",
            f"{data.get('kind', '?')} {', '.join(data.get('paths', []))}"
            + (f" (split {data['split']})" if data.get("split") else ""),
        ),
        ("data sha256", str(data.get("sha256", ""))),
        ("texts", ", ".join(f"{k} {v}" for k, v in (data.get("texts") or {}).items())),
        ("created", f"{meta.get('created', '')} by interlingua {meta.get('interlingua', '')}"),
    ]
    for key, value in rows:
        table.add_row(f"[bold]{key}[/bold]", value)
    Console(highlight=False).print(table)


app.command("fit")(fit)
app.command("show")(show)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="neutral")
