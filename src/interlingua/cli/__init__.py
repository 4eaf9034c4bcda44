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
from . import (
    align,
    db,
    demo,
    detect,
    embed,
    eval,
    index,
    mine,
    models,
    neutral,
    search,
    serve,
    similarity,
    students,
)

app = typer.Typer(
    name="interlingua",
    help="One semantic space for text in 100+ languages. Runs offline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for module in (embed, detect, models, similarity, demo, mine, eval, align, index, search, neutral, serve, db):
    module.register(app)
students.register(app)


def _printable(text: object) -> str:
    """One line a terminal can show: a lone surrogate (from a mis-decoded argument) becomes an escape."""
    line = " ".join(str(text).splitlines())
    return line.encode("utf-8", "backslashreplace").decode("utf-8")


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {_printable(message)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    warnings.showwarning = _one_line_warning
    try:
        app(args=argv, standalone_mode=True)
    except InterlinguaError as exc:
        print(f"error: {_printable(exc)}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 1))
    except OSError as exc:  # a write the library did not wrap: still one line, naming the path
        from .._atomic import is_storage_error, storage_error

        if not is_storage_error(exc):
            raise
        err = storage_error(exc, exc.filename or "?")
        print(f"error: {_printable(err)}", file=sys.stderr)
        sys.exit(err.exit_code)


__all__ = ["app", "main"]
