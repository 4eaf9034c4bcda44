"""``interlingua detect``: language and script of each line of a file (or of given texts)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from ._common import JsonOpt, print_json


def detect(
    input: Path = typer.Argument(None, help="A .txt/.tsv/.jsonl/.parquet file; omit and use --text."),
    text: list[str] = typer.Option(None, "--text", "-t", help="Text to identify (repeatable)."),
    backend: str = typer.Option(
        "fasttext", "--backend", help="fasttext (lid.176, the default on every install) or py3langid."
    ),
    text_field: str = typer.Option(
        "text", "--text-field", help="Column holding the text (tsv/jsonl/parquet)."
    ),
    candidates: str = typer.Option(
        None, "--candidates", help="Comma-separated language codes to choose from."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Print line, language (BCP 47), confidence and script for each text."""
    from ..text import detect_language

    if input is None and not text:
        raise InputError("Give a file or at least one --text.")
    if input is not None:
        from ..io import read_records

        with read_records(input, text_field=text_field, skip_empty=True) as records:
            rows = [(str(r.line), r.text) for r in records]
    else:
        from ..search import check_query

        rows = [(str(i + 1), check_query(t)) for i, t in enumerate(text)]
    cands = [c.strip() for c in candidates.split(",") if c.strip()] if candidates else None
    guesses = detect_language([t for _, t in rows], backend=backend, candidates=cands)
    if as_json:
        print_json(
            [
                {"line": int(ln), "lang": g.lang, "score": round(g.score, 4), "script": g.script}
                for (ln, _), g in zip(rows, guesses)
            ]
        )
        return
    print("line\tlang\tscore\tscript\ttext")
    for (ln, t), g in zip(rows, guesses):
        preview = t if len(t) <= 60 else t[:57] + "..."
        print(f"{ln}\t{g.lang}\t{g.score:.3f}\t{g.script}\t{preview}")


def register(app: typer.Typer) -> None:
    app.command("detect")(detect)
