"""``interlingua similarity``: cosine similarity of two texts."""

from __future__ import annotations

import typer

from ._common import JsonOpt, ModelOpt, print_json


def similarity(
    text_a: str = typer.Argument(..., help="First text."),
    text_b: str = typer.Argument(..., help="Second text."),
    model: str = ModelOpt,
    role: str = typer.Option("passage", "--role", help="query or passage."),
    as_json: bool = JsonOpt,
) -> None:
    """Print the cosine similarity of two texts in the encoder's space."""
    from .._validation import check_choice
    from ..encoders import ROLES
    from ..errors import InputError
    from ..neutral import Space
    from ..search import check_query

    for name, t in (("TEXT_A", text_a), ("TEXT_B", text_b)):
        if not t.strip():
            raise InputError(f"{name} is empty.")
        check_query(t)
    check_choice(role, ROLES, "role")
    encoder = Space.of(model)
    va, vb = encoder.encode([text_a, text_b], role=role)
    score = float(va @ vb)
    if as_json:
        print_json({"model": encoder.name, "cosine": round(score, 6)})
    else:
        print(f"{score:.4f}")


def register(app: typer.Typer) -> None:
    app.command("similarity")(similarity)
