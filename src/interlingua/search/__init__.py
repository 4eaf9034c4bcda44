"""The search stage: dense, lexical and hybrid retrieval over a :class:`~interlingua.store.Collection`,
with language and metadata filters, fusion (RRF with k = 60, or a weighted sum of normalized
scores) and an optional MaxSim rerank over token states.

Imports the store and lower stages; nothing below imports it.
"""

from ._filters import conditions_from, parse_filter, split_langs
from ._fusion import FUSIONS, RRF_K, fuse, minmax_normalize, reciprocal_rank_fusion, weighted_sum
from ._passages import DocumentHit, Passage, add_long_documents, search_documents, split_passages
from ._pipeline import MAX_QUERY_CHARS, MODES, Hit, Searcher, SearchResult, check_query, search
from ._rerank import MaxSimReranker, maxsim

__all__ = [
    "FUSIONS",
    "MAX_QUERY_CHARS",
    "MODES",
    "RRF_K",
    "DocumentHit",
    "Hit",
    "MaxSimReranker",
    "Passage",
    "SearchResult",
    "add_long_documents",
    "Searcher",
    "check_query",
    "conditions_from",
    "fuse",
    "maxsim",
    "minmax_normalize",
    "parse_filter",
    "reciprocal_rank_fusion",
    "search",
    "search_documents",
    "split_langs",
    "split_passages",
    "weighted_sum",
]
