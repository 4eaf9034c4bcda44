"""Search as specs: ``SearchOptions`` (one query's options) and ``SearchJob`` (a collection, one
query or a file of them, and where the results go: JSONL, or a TREC run for trec_eval /
ir_measures)."""

from __future__ import annotations

from dataclasses import dataclass

from .._spec import REQUIRED, Spec, group, param
from .._validation import Each, Interval, Named, NoneOr, Options, Text
from ..io import InputOptions
from ._fusion import FUSIONS

MODES = ("dense", "lexical", "hybrid")
MAX_QUERY_CHARS = 10_000
RESULT_FORMATS = ("jsonl", "trec")
#: where the lexical run of hybrid search counts (search/_scope.py has the rule)
LEXICAL_SCOPES = ("language", "script", "all")


@dataclass(frozen=True, kw_only=True)
class SearchOptions(Spec):
    """One query's options (see :meth:`~interlingua.search.Searcher.search`).

    Hybrid mode fuses the dense and the lexical (BM25) run, but BM25 counts only where it can
    match words: for the documents in ``lexical_scope`` ("language", the default: the query's
    language, where a detected one is trusted (the query is in that language's usual script;
    otherwise the scripts decide); "script": its script; "all": everywhere, the old fusion).
    A document in scope scores ``w_d * dense_norm + w_l * bm25_norm`` (BM25 min-max normalized
    among the documents in scope), one out of scope ``(w_d + w_l) * dense_norm``: its dense
    score alone, on the same scale (for RRF the same with ranks). Each hit's
    ``scores["lexical_weight"]`` is the lexical run's share of its score (0.5 in scope with the
    default weights, 0.0 outside).
    """

    caller = "search()"
    mode: str = param("hybrid", Options(MODES), help="dense, lexical or hybrid (both, fused)")
    k: int = param(10, Interval(int, 1, 10_000), help="how many hits")
    lang: tuple[str, ...] = param(
        (), Each(Text(nonempty=True)), help="only documents in these languages ('-en' excludes)"
    )
    exclude_lang: tuple[str, ...] = param(
        (), Each(Text(nonempty=True)), help="leave out documents in these languages"
    )
    filters: tuple[str, ...] = param(
        (), Each(Text(nonempty=True)), help="metadata filters: field=value, field!=value, field>=n, field=a|b"
    )
    fusion: str = param(
        "weighted", Named(FUSIONS), help="weighted (min-max normalized sum, default) or rrf (k=60)"
    )
    weights: tuple[float, ...] | None = param(
        None,
        NoneOr(Each(Interval(float, 0.0, None), size=2)),
        help="dense, lexical weights of the fusion (0.5, 0.5)",
    )
    lexical_scope: str = param(
        "language",
        Options(LEXICAL_SCOPES),
        help="hybrid: where BM25 counts. language (default): documents in the query's language; "
        "script: in its script; all: every document (the old fusion). Documents outside score "
        "by their dense score alone, on the same scale",
    )
    depth: int = param(100, Interval(int, 1, 100_000), help="candidates from each retriever")
    rerank: bool = param(False, help="rerank the best rerank_depth by MaxSim over token states")
    rerank_depth: int = param(30, Interval(int, 1, 10_000), help="how many candidates the rerank sees")
    max_query_chars: int = param(MAX_QUERY_CHARS, Interval(int, 1, None), help="refuse longer queries")
    documents: bool = param(False, help="collections added with passages: documents with their best passages")
    coarse: bool = param(False, help="with documents: document vectors first, then their passages")
    coarse_k: int = param(50, Interval(int, 1, 10_000), help="with coarse: documents searched for passages")
    passages_per_doc: int = param(
        3, Interval(int, 1, 1000), help="with documents: passages shown per document"
    )


@dataclass(frozen=True, kw_only=True)
class SearchJob(Spec):
    """Search a collection with one query, or with every query of a file (a batch run)."""

    caller = "search"
    collection: str = param(REQUIRED, Text(nonempty=True), help="the collection folder (or URI)")
    query: str | None = param(None, NoneOr(Text()), help="one query, in any language")
    queries: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="a file of queries (txt, tsv, jsonl, parquet)"
    )
    input: InputOptions = group(
        InputOptions, help="how the queries file is read (its id field names each query)"
    )
    output: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="write the results here (None: returned)"
    )
    output_format: str | None = param(
        None, NoneOr(Options(RESULT_FORMATS)), help="jsonl or trec (default: jsonl; .trec/.run: trec)"
    )
    run_tag: str = param("interlingua", Text(nonempty=True), help="the TREC run's tag column")
    search: SearchOptions = group(SearchOptions)

    def check_fields(self, caller: str, prefix: str) -> None:
        if (self.query is None) == (self.queries is None):
            raise self.fail("query", "must be given, or queries (a file), but not both", caller, prefix)


__all__ = ["LEXICAL_SCOPES", "MAX_QUERY_CHARS", "MODES", "RESULT_FORMATS", "SearchJob", "SearchOptions"]
