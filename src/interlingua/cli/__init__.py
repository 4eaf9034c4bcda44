"""The ``interlingua`` command: a thin face over the library.

Each command parses its arguments and calls one library function. Every
:class:`~interlingua.errors.InterlinguaError` becomes one line on stderr and a non-zero exit
code, here and only here.
"""

from __future__ import annotations

import sys
import warnings

import typer

from ..errors import InterlinguaError
from . import align, demo, detect, embed, eval, index, mine, models, search, similarity

app = typer.Typer(
    name="interlingua",
    help="One semantic space for text in 100+ languages. Runs offline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for module in (embed, detect, models, similarity, demo, mine, eval, align, index, search):
    module.register(app)


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    warnings.showwarning = _one_line_warning
    try:
        app(args=argv, standalone_mode=True)
    except InterlinguaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 1))


__all__ = ["app", "main"]
