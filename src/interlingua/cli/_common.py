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
