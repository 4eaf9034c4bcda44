"""Long documents in a collection: split into passages (sentences packed to a token budget, with
overlap), stored beside a document-level entry.

A long document ``D`` becomes, in the same collection:
- one *document* entry (id ``D``, the whole text for BM25, and as its vector the normalized
  mean of its passages' vectors), metadata ``{"level": "document", "doc_id": D, ...}``;
- one *passage* entry per passage (id ``D#<i>``), metadata ``{"level": "passage", "doc_id": D,
  "passage": i, "start": s, "end": e, ...}`` where ``text[s:e]`` is the passage.

Searching them (passage-first or coarse-to-fine) is :func:`interlingua.search.search_documents`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_int
from ..errors import InputError


@dataclass(frozen=True)
class Passage:
    index: int
    start: int
    end: int
    text: str


def split_passages(
    text: str, *, lang: str | None = None, budget: int = 200, overlap: int = 1, count_tokens=None
) -> list[Passage]:
    """Pack whole sentences into passages of at most ``budget`` tokens, the last ``overlap``
    sentences of a passage starting the next one. ``count_tokens(list[str]) -> list[int]``
    (an encoder's ``count_tokens``) measures sentences; without it words are counted. A
    sentence longer than the budget is a passage of its own."""
    from ..text import split_sentence_spans

    check_int(budget, "budget", low=8)
    check_int(overlap, "overlap", low=0)
    spans = split_sentence_spans(text, lang) or ([(0, len(text))] if text.strip() else [])
    sents = [text[s:e] for s, e in spans]
    sizes = (count_tokens(sents) if count_tokens else None) or [max(1, len(s.split())) for s in sents]
    passages: list[Passage] = []
    i = 0
    while i < len(spans):
        j, used = i, 0
        while j < len(spans) and (j == i or used + sizes[j] <= budget):
            used += sizes[j]
            j += 1
        s, e = spans[i][0], spans[j - 1][1]
        passages.append(Passage(len(passages), s, e, text[s:e]))
        if j >= len(spans):
            break
        i = max(i + 1, j - overlap)
    return passages


def add_long_documents(
    collection: Any, docs: Iterable[Any], *, budget: int = 200, overlap: int = 1, upsert: bool = False
) -> int:
    """Add documents as a document entry plus passage entries (see the module notes).

    Each doc is a dict (or object) with ``id``, ``text`` and optional ``lang`` and ``meta``.
    Returns the number of passages stored."""
    enc = collection.space
    count = getattr(enc, "count_tokens", None)
    total = 0
    for raw in docs:
        d = (
            raw
            if isinstance(raw, dict)
            else {n: getattr(raw, n, None) for n in ("id", "text", "lang", "meta")}
        )
        doc_id, text, lang, meta = (
            str(d.get("id")),
            d.get("text"),
            d.get("lang") or "",
            dict(d.get("meta") or {}),
        )
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"The document {doc_id!r} has no text.")
        if "#" in doc_id:
            raise InputError(f"A long document's id may not contain '#' (it names passages). Got {doc_id!r}.")
        if not lang:
            from ..text import detect_language

            lang = detect_language([text[:2000]], backend=collection.langid)[0].lang
        parts = split_passages(
            text,
            lang=None if lang == "und" else lang,
            budget=budget,
            overlap=overlap,
            count_tokens=(lambda ts: count(ts, role="passage")) if count else None,
        )
        vecs = enc.encode([p.text for p in parts], role="passage", langs=[lang] * len(parts))
        doc_vec = vecs.mean(axis=0, keepdims=True)
        doc_vec /= max(float(np.linalg.norm(doc_vec)), 1e-12)
        entries = [
            {
                "id": doc_id,
                "text": text,
                "lang": lang,
                "meta": {**meta, "level": "document", "doc_id": doc_id, "passages": len(parts)},
            }
        ]
        entries += [
            {
                "id": f"{doc_id}#{p.index}",
                "text": p.text,
                "lang": lang,
                "meta": {
                    **meta,
                    "level": "passage",
                    "doc_id": doc_id,
                    "passage": p.index,
                    "start": p.start,
                    "end": p.end,
                },
            }
            for p in parts
        ]
        if upsert:
            old = [d.meta.get("passages", 0) for d in collection.get([doc_id])]
            stale = [f"{doc_id}#{i}" for n in old for i in range(len(parts), n)]
            if stale:
                collection.delete(stale)
        collection.add(
            entries,
            vectors=np.vstack([doc_vec, vecs]),
            upsert=upsert,
            identity=enc.identity,
            batch_size=len(entries),
        )
        total += len(parts)
    return total


__all__ = ["Passage", "add_long_documents", "split_passages"]
