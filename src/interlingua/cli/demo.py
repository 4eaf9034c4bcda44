"""``interlingua demo``: see cross-lingual search work on the built-in sample, offline."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from ._common import JsonOpt, ModelOpt


def demo(
    model: str = ModelOpt,
    query: list[str] = typer.Option(
        None, "--query", help="Your own query (repeatable) instead of the sample's."
    ),
    k: int = typer.Option(8, "-k", help="Hits shown per query."),
    as_json: bool = JsonOpt,
) -> None:
    """Rank the sample's passages in 16 languages for queries in other languages."""
    from dataclasses import asdict

    from ..demo import run_demo
    from ._common import print_json

    result = run_demo(model, k=k, queries=query or None)
    if as_json:
        print_json({**asdict(result), "mean_precision": result.mean_precision})
        return
    console = Console()
    console.print(
        f"[bold]{result.encoder}[/]: {result.n_passages} passages on {len(result.groups)} topics in "
        f"{len(result.languages)} languages ({', '.join(result.languages)})"
    )
    for q in result.queries:
        title = f"[{q.lang}] {q.text}"
        if q.group:
            title += f"   topic: {q.group}, {q.precision:.0%} of the top {q.n_relevant} on topic"
        table = Table(title=title, title_justify="left", show_lines=False)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("lang", no_wrap=True)
        table.add_column("topic", no_wrap=True)
        table.add_column("score", justify="right", no_wrap=True)
        table.add_column("passage")
        for h in q.hits:
            mark = "[green]✓[/]" if h.relevant else ("[red]✗[/]" if q.group else "")
            table.add_row(str(h.rank), h.lang, f"{mark} {h.group}", f"{h.score:.3f}", _short(h.text))
        console.print(table)
    if any(q.group for q in result.queries):
        console.print(
            f"Mean share of on-topic passages in each query's top n (n = passages per topic): "
            f"[bold]{result.mean_precision:.0%}[/]"
        )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
