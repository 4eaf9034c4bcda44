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

from dataclasses import dataclass
from typing import Any

from .._validation import check_int
from ..store import CollectionBackend, Condition
from ._filters import conditions_from
from ._options import SearchOptions
from ._pipeline import Hit, Searcher, search_options


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
    options: SearchOptions | None = None,
    *,
    searcher: Searcher | None = None,
    **flat: Any,
) -> list[DocumentHit]:
    """Documents for ``query``, each with its best passages (best first).

    ``options`` (a :class:`SearchOptions`), or its fields as keywords: ``coarse=False``: search
    passages (``k * 10`` of them) and group by document, a document scoring as its best passage.
    ``coarse=True``: find the best ``coarse_k`` documents by their document vectors (and BM25 over
    the whole text in hybrid mode) first, then rank only their passages. Other options (``lang``,
    ``filters``, ``rerank``, ...) go to :meth:`Searcher.search`.
    """
    base = options or SearchOptions()
    k = flat.pop("k", base.k)
    passages_per_doc = flat.pop("passages_per_doc", base.passages_per_doc)
    coarse = flat.pop("coarse", base.coarse)
    coarse_k = flat.pop("coarse_k", base.coarse_k)
    mode = flat.pop("mode", base.mode)
    check_int(k, "k", low=1)
    check_int(passages_per_doc, "passages_per_doc", low=1)
    s = searcher or Searcher(collection)
    filters = [*conditions_from(list(base.filters)), *conditions_from(flat.pop("filters", None))]
    base = base.replace(filters=())
    query_vector = query_lang = None
    if coarse:
        o, extra = search_options(
            base, k=coarse_k, mode=mode, filters=[*filters, Condition("level", "=", "document")], **flat
        )
        first, query_vector, query_lang = s.search_with(query, o, extra)
        chosen = [h.meta["doc_id"] for h in first.hits]
        if not chosen:
            return []
        filters.append(Condition("doc_id", "=", chosen))
    o, extra = search_options(
        base,
        k=max(k * 10, passages_per_doc * k),
        mode=mode,
        filters=[*filters, Condition("level", "=", "passage")],
        **flat,
    )
    hits = s.search_with(query, o, extra, query_vector=query_vector, query_lang=query_lang)[0].hits
    grouped: dict[str, list[Hit]] = {}
    for h in hits:
        grouped.setdefault(h.meta["doc_id"], []).append(h)
    ranked = sorted(grouped.items(), key=lambda kv: -kv[1][0].score)[:k]
    return [
        DocumentHit(rank, doc_id, ps[0].score, ps[0].lang, ps[:passages_per_doc])
        for rank, (doc_id, ps) in enumerate(ranked, start=1)
    ]


__all__ = ["DocumentHit", "search_documents"]
