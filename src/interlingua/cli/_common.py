"""Options shared by several commands, declared once."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from ..encoders import DEFAULT_ENCODER

ModelOpt = typer.Option(
    DEFAULT_ENCODER, "--model", "-m", help="Encoder name (see `interlingua models`) or a model path."
)
QuietOpt = typer.Option(False, "--quiet", "-q", help="No progress bars.")
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON.")
NoCacheOpt = typer.Option(False, "--no-cache", help="Do not read or write the embedding cache.")


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


AdapterOpt = typer.Option(
    None,
    "--adapter",
    help="Adapter folder from `interlingua neutral fit` (repeatable: applied in order); stored in the job's space.",
)


def adapter_values(paths: list[str] | None) -> dict[str, Any]:
    """The job value ``--adapter`` gives: the space's adapter chain (nothing when not given)."""
    if not paths:
        return {}
    from ..neutral import adapter_refs

    return {"space.adapters": [ref.to_dict() for ref in adapter_refs(paths)]}
