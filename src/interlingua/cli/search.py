"""``interlingua search COLLECTION QUERY`` (or ``--queries FILE``): dense, lexical or hybrid search."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..errors import InputError
from ..search import SearchJob
from ._common import print_json
from ._jobs import JobFlags, job_command, spec_argument, spec_option

J = SearchJob


@job_command(J, reading="input")
def search(
    path: str = spec_argument(J, "collection", "The collection folder (or postgresql:// URI)."),
    query: str = spec_argument(J, "query", "What to look for, in any language (or --queries FILE)."),
    queries: Path = spec_option(J, "queries", "--queries"),
    output: Path = spec_option(J, "output", "--output", "-o"),
    fmt: str = spec_option(J, "output_format", "--format"),
    mode: str = spec_option(J, "search.mode", "--mode"),
    k: int = spec_option(J, "search.k", "-k", "--top-k"),
    lang: list[str] = spec_option(
        J, "search.lang", "--lang", help="Only documents in these languages ('-en' excludes)"
    ),
    filters: list[str] = spec_option(J, "search.filters", "--filter", split=False),
    fusion: str = spec_option(J, "search.fusion", "--fusion"),
    weights: str = typer.Option(None, "--weights", help="Dense,lexical weights, e.g. 0.7,0.3."),
    lexical_scope: str = spec_option(J, "search.lexical_scope", "--lexical-scope"),
    depth: int = spec_option(J, "search.depth", "--depth"),
    rerank: bool = spec_option(J, "search.rerank", "--rerank"),
    documents: bool = spec_option(J, "search.documents", "--documents"),
    coarse: bool = spec_option(J, "search.coarse", "--coarse"),
    run_tag: str = spec_option(J, "run_tag", "--run-tag"),
    *,
    flags: JobFlags,
) -> None:
    """Print the top hits with their scores and the retrievers that found them; with --queries, answer
    every query of a file and write JSONL or a TREC run (--format trec) for trec_eval / ir_measures.

    Hybrid (the default mode) fuses dense and BM25, but BM25 counts only where it can match words: for documents in the query's language (--lexical-scope language, the default; script: in its script; all: everywhere, the old fusion; or --set search.lexical_scope=all). Documents outside the scope are ranked by their dense score alone, on the same scale, so a translation is not pushed down for sharing no words with the query. Each hit's scores show lexical_weight, BM25's share of its score (0.5 with the default weights, 0.0 outside the scope).
    """
    w = None
    if weights:
        try:
            w = [float(x) for x in weights.split(",")]
        except ValueError:
            raise InputError(
                f"The '--weights' option takes two numbers like 0.7,0.3. Got {weights!r}."
            ) from None
    from ..search import result_lines, run

    done = flags.run(J, run, {"search.weights": w})
    if done is None:
        return
    job, report = done
    if job.queries is not None:
        if report.results:
            sys.stdout.writelines(result_lines(report.results, job.output_format or "jsonl", job.run_tag))
        if not flags.quiet:
            typer.echo(
                f"{report.queries:,} queries, {report.hits:,} hits in {report.seconds:.1f} s -> {report.output}",
                err=True,
            )
        return
    result = report.results[0]
    if flags.as_json:
        print_json(result.to_dict())
        return
    if result.result is None:
        _print_documents(result.documents)
        return
    r = result.result
    typer.echo(
        f"query language: {r.query_lang} ({r.query_lang_score:.2f}); mode {r.mode}"
        + (f", fusion {r.fusion}" if r.fusion else "")
        + (", reranked" if r.reranked else "")
    )
    for h in r.hits:
        text = " ".join(h.text.split())
        text = text if len(text) <= 80 else text[:77] + "..."
        # hybrid: BM25's share of the score (0.00: outside the lexical scope, dense alone)
        share = f"lw={h.scores['lexical_weight']:.2f} " if "lexical_weight" in h.scores else ""
        typer.echo(
            f"{h.rank:>3}  {h.score:.4f}  {'+'.join(h.retrievers):<13} {share}{h.lang:<6} {h.id}\t{text}"
        )
    if not r.hits:
        typer.echo("no hits")


def _print_documents(hits) -> None:
    for d in hits:
        typer.echo(f"{d.rank:>3}  {d.score:.4f}  {d.lang:<6} {d.id}")
        for p in d.passages:
            text = " ".join(p.text.split())
            typer.echo(f"       {p.score:.4f}  [{p.meta.get('start')}:{p.meta.get('end')}] {text[:90]}")
    if not hits:
        typer.echo("no hits")


def register(app: typer.Typer) -> None:
    app.command("search")(search)
