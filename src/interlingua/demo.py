"""The built-in demo: cross-lingual retrieval over a small sample shipped with the package.

The sample (``resources/demo.jsonl``) holds one passage per topic in 16 languages and a few
queries. Each query, in one language, should rank the passages on its topic in every other
language above the passages on other topics; ``run_demo`` measures exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import check_int, check_texts
from .encoders import DEFAULT_ENCODER
from .io import demo_path, read_records


@dataclass(frozen=True)
class DemoHit:
    rank: int
    id: str
    lang: str
    group: str
    score: float
    text: str
    relevant: bool


@dataclass(frozen=True)
class DemoQuery:
    text: str
    lang: str
    group: str
    hits: list[DemoHit]
    precision: float  # share of the first n_relevant hits that are on the query's topic
    n_relevant: int


@dataclass(frozen=True)
class DemoResult:
    encoder: str
    n_passages: int
    languages: list[str]
    groups: list[str]
    queries: list[DemoQuery]

    @property
    def mean_precision(self) -> float:
        return float(np.mean([q.precision for q in self.queries])) if self.queries else 0.0


def run_demo(model: Any = DEFAULT_ENCODER, *, k: int = 10, queries: list[str] | None = None) -> DemoResult:
    """Encode the sample, run its queries (or the given ones) and rank the passages.

    ``model`` is a Space, a SpaceSpec, an encoder name or an Encoder."""
    from .neutral import Space

    check_int(k, "k", low=1, high=1000, caller="demo")
    if queries is not None:
        queries = check_texts(queries, "queries", allow_empty_list=False)
        for q in queries:
            from .search import check_query

            check_query(q)
    encoder = Space.of(model)
    records = list(read_records(demo_path(), id_field="id", lang_field="lang"))
    passages = [r for r in records if r.meta.get("kind", "passage") == "passage"]
    if queries is None:
        qrecs = [r for r in records if r.meta.get("kind") == "query"]
        qtexts = [r.text for r in qrecs]
        qinfo = [(r.lang or "", r.meta.get("group", "")) for r in qrecs]
    else:
        from .text import detect_language

        qtexts = list(queries)
        qinfo = [(g.lang, "") for g in detect_language(qtexts)]
    pvecs = encoder.encode([p.text for p in passages], role="passage", langs=[p.lang for p in passages])
    qvecs = encoder.encode(qtexts, role="query", langs=[lang or None for lang, _ in qinfo])
    scores = qvecs @ pvecs.T
    out = []
    for qi, (text, (lang, group)) in enumerate(zip(qtexts, qinfo)):
        order = np.argsort(-scores[qi], kind="stable")
        n_rel = sum(p.meta.get("group") == group for p in passages) if group else 0
        hits = [
            DemoHit(
                rank + 1,
                passages[j].id,
                passages[j].lang or "",
                passages[j].meta.get("group", ""),
                float(scores[qi, j]),
                passages[j].text,
                bool(group) and passages[j].meta.get("group") == group,
            )
            for rank, j in enumerate(order[: max(k, n_rel)])
        ]
        prec = sum(h.relevant for h in hits[:n_rel]) / n_rel if n_rel else 0.0
        out.append(DemoQuery(text, lang, group, hits[:k], prec, n_rel))
    return DemoResult(
        encoder.name,
        len(passages),
        sorted({p.lang or "" for p in passages}),
        sorted({p.meta.get("group", "") for p in passages}),
        out,
    )
