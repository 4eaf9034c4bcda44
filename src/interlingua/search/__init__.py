"""The search stage: dense, lexical and hybrid retrieval over any collection backend, with
language and metadata filters, language-aware fusion (a weighted sum of normalized scores, or
RRF with k = 60, where BM25 counts only for documents in the query's language: ``lexical_scope``,
see ``_scope.py``) and an optional MaxSim rerank over token states.

``run(SearchJob(collection=..., queries="q.tsv", output="run.trec"))`` answers a batch;
``Searcher(collection).search(query, SearchOptions(...))`` one query. Imports the store and lower
stages; nothing below imports it.
"""

from .._lazy import lazy_exports

# the options load with the package (they register the fusions); the rest on first use
from ._fusion import (
    FUSIONS,
    RRF_K,
    fuse,
    lexical_share,
    minmax_normalize,
    reciprocal_rank_fusion,
    scoped_fuse,
    weighted_sum,
)
from ._options import LEXICAL_SCOPES, MAX_QUERY_CHARS, MODES, RESULT_FORMATS, SearchJob, SearchOptions

_EXPORTS = {
    **dict.fromkeys(["conditions_from", "parse_filter", "split_langs"], "._filters"),
    **dict.fromkeys(["DocumentHit", "search_documents"], "._passages"),
    **dict.fromkeys(
        ["Hit", "Searcher", "SearchResult", "check_query", "search", "search_options"], "._pipeline"
    ),
    **dict.fromkeys(["MaxSimReranker", "maxsim"], "._rerank"),
    **dict.fromkeys(
        ["lexical_match", "lexical_scope_keys", "likely_script", "same_script", "scope_language"], "._scope"
    ),
    **dict.fromkeys(["QueryResult", "SearchReport", "answer", "result_lines", "run"], "._run"),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "FUSIONS",
    "LEXICAL_SCOPES",
    "MAX_QUERY_CHARS",
    "MODES",
    "RESULT_FORMATS",
    "RRF_K",
    "DocumentHit",
    "Hit",
    "MaxSimReranker",
    "QueryResult",
    "SearchJob",
    "SearchOptions",
    "SearchReport",
    "SearchResult",
    "Searcher",
    "answer",
    "check_query",
    "conditions_from",
    "fuse",
    "lexical_match",
    "lexical_scope_keys",
    "lexical_share",
    "likely_script",
    "maxsim",
    "minmax_normalize",
    "parse_filter",
    "reciprocal_rank_fusion",
    "result_lines",
    "run",
    "same_script",
    "scope_language",
    "scoped_fuse",
    "search",
    "search_documents",
    "search_options",
    "split_langs",
    "weighted_sum",
]
