"""``interlingua models``: what can encode here, without loading anything."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from ..encoders import encoder_specs
from ._common import JsonOpt, print_json


def models(as_json: bool = JsonOpt) -> None:
    """List the encoders: name, dimension, languages, and whether each runs offline here."""
    rows = []
    for spec in encoder_specs():
        ok, where = spec.available()
        rows.append(
            {
                "name": spec.name,
                "dim": spec.dim,
                "languages": spec.languages,
                "offline": ok,
                "description": spec.description,
                "source": where,
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table(title="Encoders")
    for col in ("name", "dim", "languages", "offline", "description"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["name"],
            str(r["dim"] or "?"),
            r["languages"],
            "yes" if r["offline"] else f"no: {r['source']}",
            r["description"],
        )
    console = Console()
    console.print(table)
    console.print(
        "Any sentence-transformers, Hugging Face or ONNX model also works: --model PATH or --model org/name "
        "(from the local Hugging Face cache; pip install 'interlingua\\[hf]')."
    )


def register(app: typer.Typer) -> None:
    app.command("models")(models)
