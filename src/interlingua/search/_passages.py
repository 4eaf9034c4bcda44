"""Long documents: split into passages (sentences packed to a token budget, with overlap),
stored beside a document-level entry, and searched passage-first or coarse-to-fine.

A long document ``D`` becomes, in the same collection:
- one *document* entry (id ``D``, the whole text for BM25, and as its vector the normalized
  mean of its passages' vectors), metadata ``{"level": "document", "doc_id": D, ...}``;
- one *passage* entry per passage (id ``D#<i>``), metadata ``{"level": "passage", "doc_id": D,
  "passage": i, "start": s, "end": e, ...}`` where ``text[s:e]`` is the passage.

:func:`search_documents` returns documents with their best passages: it either searches the
passages and groups them by document, or (``coarse=True``, for collections of many long
documents) searches the document vectors first and then only those documents' passages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._validation import check_int
from ..store import CollectionBackend, Condition
from ._pipeline import Hit, Searcher


@dataclass(frozen=True)
class DocumentHit:
    rank: int
    id: str
    score: float
    lang: str
    passages: list[Hit]


def search_documents(
    collection: CollectionBackend,
    query: str,
    *,
    k: int = 10,
    passages_per_doc: int = 3,
    coarse: bool = False,
    coarse_k: int = 50,
    mode: str = "hybrid",
    searcher: Searcher | None = None,
    **options: Any,
) -> list[DocumentHit]:
    """Documents for ``query``, each with its best passages (best first).

    ``coarse=False``: search passages (``k * 10`` of them) and group by document, a document
    scoring as its best passage. ``coarse=True``: find the best ``coarse_k`` documents by their
    document vectors (and BM25 over the whole text in hybrid mode) first, then rank only their
    passages. Other options (``lang``, ``filters``, ``rerank``, ...) go to :meth:`Searcher.search`.
    """
    check_int(k, "k", low=1)
    check_int(passages_per_doc, "passages_per_doc", low=1)
    s = searcher or Searcher(collection)
    filters = list(_as_list(options.pop("filters", None)))
    if coarse:
        first = s.search(
            query, k=coarse_k, mode=mode, filters=[*filters, Condition("level", "=", "document")], **options
        )
        chosen = [h.meta["doc_id"] for h in first.hits]
        if not chosen:
            return []
        filters.append(Condition("doc_id", "=", chosen))
    hits = s.search(
        query,
        k=max(k * 10, passages_per_doc * k),
        mode=mode,
        filters=[*filters, Condition("level", "=", "passage")],
        **options,
    ).hits
    grouped: dict[str, list[Hit]] = {}
    for h in hits:
        grouped.setdefault(h.meta["doc_id"], []).append(h)
    ranked = sorted(grouped.items(), key=lambda kv: -kv[1][0].score)[:k]
    return [
        DocumentHit(rank, doc_id, ps[0].score, ps[0].lang, ps[:passages_per_doc])
        for rank, (doc_id, ps) in enumerate(ranked, start=1)
    ]


def _as_list(filters: Any) -> Sequence[Any]:
    from ._filters import conditions_from

    return conditions_from(filters)


__all__ = ["DocumentHit", "search_documents"]
