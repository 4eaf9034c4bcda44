"""``interlingua search COLLECTION QUERY``: dense, lexical or hybrid search with filters."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import JsonOpt, print_json


def search(
    path: Path = typer.Argument(..., help="The collection folder."),
    query: str = typer.Argument(..., help="What to look for, in any language."),
    mode: str = typer.Option("hybrid", "--mode", help="dense, lexical or hybrid."),
    k: int = typer.Option(10, "-k", "--top-k", help="How many hits."),
    lang: list[str] = typer.Option(None, "--lang", help="Only documents in these languages (repeatable or 'de,fr'; '-en' excludes)."),
    filters: list[str] = typer.Option(None, "--filter", help="Metadata filter: field=value, field!=value, field>=n, field=a|b (repeatable)."),
    fusion: str = typer.Option("weighted", "--fusion", help="weighted (sum of min-max normalized scores, default) or rrf (reciprocal rank fusion, k=60)."),
    weights: str = typer.Option(None, "--weights", help="Dense,lexical weights, e.g. 0.7,0.3."),
    rerank: bool = typer.Option(False, "--rerank", help="Rerank the top candidates by MaxSim over token states."),
    documents: bool = typer.Option(False, "--documents", help="Collections added with --passages: return documents with their best passages."),
    coarse: bool = typer.Option(False, "--coarse", help="With --documents: document vectors first, then their passages."),
    as_json: bool = JsonOpt,
) -> None:
    """Print the top hits with their scores and the retrievers that found them."""
    from ..errors import InputError
    from ..search import search as run_search
    from ..store import Collection

    w = None
    if weights:
        try:
            w = [float(x) for x in weights.split(",")]
        except ValueError:
            raise InputError(f"The '--weights' option takes two numbers like 0.7,0.3. Got {weights!r}.") from None
    options = {"mode": mode, "k": k, "lang": lang or None, "filters": filters or None, "fusion": fusion,
               "weights": w, "rerank": rerank}
    with Collection.open(path, readonly=True) as col:
        if documents:
            from ..search import search_documents

            _print_documents(search_documents(col, query, coarse=coarse, **options), as_json)
            return
        result = run_search(col, query, **options)
    if as_json:
        print_json(result.to_dict())
        return
    typer.echo(f"query language: {result.query_lang} ({result.query_lang_score:.2f}); mode {result.mode}"
               + (f", fusion {result.fusion}" if result.fusion else "") + (", reranked" if result.reranked else ""))
    for h in result.hits:
        text = " ".join(h.text.split())
        text = text if len(text) <= 80 else text[:77] + "..."
        typer.echo(f"{h.rank:>3}  {h.score:.4f}  {'+'.join(h.retrievers):<13} {h.lang:<6} {h.id}\t{text}")
    if not result.hits:
        typer.echo("no hits")


def _print_documents(hits, as_json: bool) -> None:
    if as_json:
        print_json([{"rank": d.rank, "id": d.id, "score": d.score, "lang": d.lang,
                     "passages": [{"id": p.id, "score": p.score, "start": p.meta.get("start"), "end": p.meta.get("end"),
                                   "text": p.text} for p in d.passages]} for d in hits])
        return
    for d in hits:
        typer.echo(f"{d.rank:>3}  {d.score:.4f}  {d.lang:<6} {d.id}")
        for p in d.passages:
            text = " ".join(p.text.split())
            typer.echo(f"       {p.score:.4f}  [{p.meta.get('start')}:{p.meta.get('end')}] {text[:90]}")
    if not hits:
        typer.echo("no hits")


def register(app: typer.Typer) -> None:
    app.command("search")(search)
