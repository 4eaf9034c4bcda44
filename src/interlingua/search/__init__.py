"""The search stage: dense, lexical and hybrid retrieval over any collection backend, with
language and metadata filters, fusion (a weighted sum of normalized scores, or RRF with k = 60)
and an optional MaxSim rerank over token states.

``run(SearchJob(collection=..., queries="q.tsv", output="run.trec"))`` answers a batch;
``Searcher(collection).search(query, SearchOptions(...))`` one query. Imports the store and lower
stages; nothing below imports it.
"""

from ._filters import conditions_from, parse_filter, split_langs
from ._fusion import FUSIONS, RRF_K, fuse, minmax_normalize, reciprocal_rank_fusion, weighted_sum
from ._options import MAX_QUERY_CHARS, MODES, RESULT_FORMATS, SearchJob, SearchOptions
from ._passages import DocumentHit, search_documents
from ._pipeline import Hit, Searcher, SearchResult, check_query, search, search_options
from ._rerank import MaxSimReranker, maxsim
from ._run import QueryResult, SearchReport, answer, result_lines, run

__all__ = [
    "FUSIONS",
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
    "maxsim",
    "minmax_normalize",
    "parse_filter",
    "reciprocal_rank_fusion",
    "result_lines",
    "run",
    "search",
    "search_documents",
    "search_options",
    "split_langs",
    "weighted_sum",
]
