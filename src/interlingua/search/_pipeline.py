"""The query pipeline: check the query, detect its language, retrieve (dense, lexical or both),
fuse, optionally rerank, and return plain records.

``Searcher`` holds what is worth keeping between queries (the encoder, the reranker's token
cache); :func:`search` is the one-call face of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from .._validation import surrogate_at
from ..errors import InputError
from ..store import CollectionBackend, Condition, Document
from ._filters import conditions_from, split_langs
from ._fusion import RRF_K, lexical_share, scoped_fuse
from ._options import MAX_QUERY_CHARS, MODES, SearchOptions
from ._scope import UNKNOWN_LANGS, lexical_scope_keys, scope_language


class _LangText(NamedTuple):
    """What the lexical scope reads of a candidate: its language, and its text when it has none."""

    lang: str
    text: str


@dataclass(frozen=True)
class Hit:
    """One document found: ``score`` is the final score (fused, or reranked), ``scores`` each
    retriever's own (dense cosine, BM25, MaxSim) and, in hybrid mode, ``lexical_weight``: the
    lexical run's share of the fused score (0.0 where the document is outside the lexical
    scope, so BM25, even when it found the document, did not count); ``retrievers`` which
    retrievers found it."""

    rank: int
    id: str
    score: float
    text: str
    lang: str
    meta: dict[str, Any]
    retrievers: tuple[str, ...]
    scores: dict[str, float] = field(default_factory=dict)
    key: int = -1


@dataclass(frozen=True)
class SearchResult:
    query: str
    query_lang: str
    query_lang_score: float
    mode: str
    fusion: str | None
    reranked: bool
    hits: list[Hit]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for h in out["hits"]:
            h.pop("key", None)
        return out


def check_query(query: Any, max_chars: int = MAX_QUERY_CHARS) -> str:
    if not isinstance(query, str):
        raise InputError(f"The query must be a string. Got {type(query).__name__} instead.")
    at = surrogate_at(query)
    if at is not None:
        raise InputError(
            f"The query holds U+{ord(query[at]):04X} at column {at + 1}, a lone surrogate no "
            "UTF-8 text can hold (a broken escape or a mis-decoded argument); fix the query",
            field="query",
        )
    if not query.strip():
        raise InputError("The query is empty; give some words to search for.")
    if len(query) > max_chars:
        raise InputError(
            f"The query has {len(query):,} characters; the limit is {max_chars:,}. Shorten it, "
            "or index the long text as a document and search with a passage of it."
        )
    return query


def search_options(
    options: SearchOptions | None = None, **flat: Any
) -> tuple[SearchOptions, list[Condition]]:
    """Options from a spec and/or keyword names (the old signature); ``filters`` given as a mapping or
    as Conditions stay outside the spec (they are not plain strings) and come back as conditions."""
    extra: list[Condition] = []
    filters = flat.pop("filters", None)
    if filters is not None:
        if isinstance(filters, str):
            flat["filters"] = (filters,)
        elif isinstance(filters, Mapping) or any(isinstance(f, Condition) for f in filters):
            extra = conditions_from(filters)
        else:
            flat["filters"] = tuple(filters)
    for key in ("lang", "exclude_lang"):
        if isinstance(flat.get(key), str):
            flat[key] = (flat[key],)
    if "weights" in flat and flat["weights"] is not None:
        flat["weights"] = tuple(float(x) for x in flat["weights"])
    items = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in flat.items()))
    try:
        hash((options, items))
    except TypeError:  # a value no cache can key on: checked afresh
        return _checked_options.__wrapped__(options, items), extra
    return _checked_options(options, items), extra


@lru_cache(maxsize=512)
def _checked_options(options: SearchOptions | None, items: tuple[tuple[str, Any], ...]) -> SearchOptions:
    """The checked spec of ``options`` with ``items`` set. Cached: building and checking a spec
    cost more than a dense search of 20k documents (0.4 ms a query), and a caller (a server, a
    loop over queries) asks with the same few options again and again. Specs are frozen, so
    one copy serves every caller; a bad option raises, and nothing is cached."""
    base = options or SearchOptions()
    return (base.with_flat(dict(items)) if items else base).validate()


class Searcher:
    """Searches one collection (any backend). ``space`` defaults to the collection's own (checked)."""

    def __init__(self, collection: CollectionBackend, *, space: Any = None, encoder: Any = None):
        self.collection = collection
        given = space if space is not None else encoder
        if given is not None:
            collection.use_space(given)
        self._reranker = None

    @property
    def reranker(self):
        if self._reranker is None:
            from ._rerank import MaxSimReranker

            self._reranker = MaxSimReranker(self.collection.space)
        return self._reranker

    def search(
        self,
        query: str,
        options: SearchOptions | None = None,
        *,
        query_vector: np.ndarray | None = None,
        query_lang: str | None = None,
        allowed: np.ndarray | None = None,
        **flat: Any,
    ) -> SearchResult:
        """Top ``k`` documents for ``query`` (``options``, or its fields as keywords).

        ``mode``: dense, lexical or hybrid (both, fused by ``fusion``: "weighted", the default,
        a weighted sum of min-max normalized scores with ``weights`` = (dense, lexical), 0.5 each,
        or "rrf", reciprocal rank fusion with k = 60). Weighted is the default because it beat
        RRF on XQuAD with e5-small in every setting (same language: MRR@10 95.3 vs 93.4, where
        RRF only tied dense; `interlingua eval xquad --set fusion=rrf|weighted`).

        In hybrid mode BM25 counts only where it can match words, ``lexical_scope``:
        "language" (default) the documents in the query's language (``query_lang`` as given,
        or detected; a detected language that is not written in the query's script, like
        Chinese taken for Japanese, is not trusted and the scripts decide), "script" those in
        its script, "all" every document (the old fusion). A document in scope scores
        ``w_d * dense_norm + w_l * bm25_norm``; one outside scores ``(w_d + w_l) * dense_norm``,
        its dense score alone on the same scale, so a translation in another language is
        neither pushed down for lacking BM25 nor lifted by BM25 noise. Measured (second half of
        XQuAD, MRR@10, after choosing on the first): hybrid >= dense in all three settings,
        where the old fusion lost to dense by 6 points on (b) questions to English paragraphs;
        see benchmarks/hybrid.py. ``hit.scores["lexical_weight"]`` tells which: BM25's share of
        that hit's score (0.5 or 0.0 with the default weights).

        ``lang`` keeps documents in these languages ("-en" excludes), ``exclude_lang`` drops
        some, ``filters`` tests metadata (strings like "year>=2020", or a mapping {"field":
        value}). ``depth`` candidates come from each retriever; ``rerank`` reorders the best
        ``rerank_depth`` by MaxSim over token states (reranked hits score by MaxSim, the rest
        keep their order and fused score). ``query_vector`` / ``query_lang`` skip encoding /
        detection when known.
        """
        o, extra = search_options(options, **flat)
        return self.search_with(
            query, o, extra, query_vector=query_vector, query_lang=query_lang, allowed=allowed
        )[0]

    def allowed(self, options: SearchOptions, extra: Sequence[Condition] = ()) -> np.ndarray | None:
        """The keys that the language and metadata filters of ``options`` (then ``extra``) allow;
        None when there is no filter (every document)."""
        include, exclude = split_langs(list(options.lang), list(options.exclude_lang))
        return self.collection.select(
            include_langs=include,
            exclude_langs=exclude,
            conditions=[*conditions_from(list(options.filters)), *extra],
        )

    def search_with(
        self,
        query: str,
        o: SearchOptions,
        extra: Sequence[Condition] = (),
        *,
        query_vector: np.ndarray | None = None,
        query_lang: str | None = None,
        allowed: np.ndarray | None = None,
    ) -> tuple[SearchResult, np.ndarray | None, str]:
        """:meth:`search` with options already checked (``search_options``); also returns the query
        vector (None when the mode needs none) and language, for a second search of the same query."""
        check_query(query, o.max_query_chars)
        col = self.collection
        if allowed is None:
            allowed = self.allowed(o, extra)
        query_script, detected_score = None, None
        if query_lang is None:
            from ..text import detect_language

            guess = detect_language([query], backend=col.langid)[0]
            query_lang, lang_score, query_script = guess.lang, guess.score, guess.script
            detected_score = lang_score
        else:
            lang_score = 1.0
        if query_vector is None and o.mode in ("dense", "hybrid"):
            query_vector = self.encode_query(query, query_lang)
        depth = max(o.depth, o.k, o.rerank_depth if o.rerank else 0)
        runs = self.runs(
            query, mode=o.mode, depth=depth, allowed=allowed, query_vector=query_vector, query_lang=query_lang
        )
        docs: dict[int, Document] | None = None
        share: dict[int, float] = {}
        if o.mode == "hybrid":
            final, share, docs = self.fuse(
                query,
                runs,
                o,
                query_lang=query_lang,
                query_script=query_script,
                query_lang_score=detected_score,
            )
        else:
            final = runs[o.mode]
        order = sorted(final, key=lambda key: (-final[key], key))
        if docs is None:
            docs = col.documents(order[: max(o.k, o.rerank_depth if o.rerank else 0)])
        order = [key for key in order if key in docs]  # the catalog is the truth
        rerank_scores: dict[int, float] = {}
        if o.rerank and order:
            head = order[: o.rerank_depth]
            ms = self.reranker.scores(query, head, [docs[key].text for key in head])
            rerank_scores = {key: float(s) for key, s in zip(head, ms)}
            order = sorted(head, key=lambda key: (-rerank_scores[key], key)) + order[o.rerank_depth :]
        hits = []
        for rank, key in enumerate(order[: o.k], start=1):
            d = docs[key]
            found = tuple(name for name, run in runs.items() if key in run)
            per = {name: run[key] for name, run in runs.items() if key in run}
            if key in share:
                per["lexical_weight"] = share[key]
            if key in rerank_scores:
                per["rerank"] = rerank_scores[key]
            score = rerank_scores.get(key, final[key])
            hits.append(Hit(rank, d.id, score, d.text, d.lang, d.meta, found, per, key))
        result = SearchResult(
            query,
            query_lang,
            float(lang_score),
            o.mode,
            o.fusion if o.mode == "hybrid" else None,
            bool(o.rerank),
            hits,
        )
        return result, query_vector, query_lang

    def fuse(
        self,
        query: str,
        runs: Mapping[str, Mapping[int, float]],
        options: SearchOptions,
        *,
        query_lang: str,
        query_script: str | None = None,
        query_lang_score: float | None = None,
        docs: Mapping[int, Document] | None = None,
    ) -> tuple[dict[int, float], dict[int, float], dict[int, Document] | None]:
        """Fuse the dense and lexical runs of one query under ``options`` (fusion, weights,
        lexical_scope; see :class:`SearchOptions`): the fused scores, the lexical run's share of
        each document's score (0.0 where it does not count) and ``docs`` back when it held every
        candidate (else None: only the candidates' languages are read from the catalog, and the
        text of those with no language; a key the catalog lacks is dropped). With
        ``lexical_scope="all"`` nothing is read.
        ``query_lang_score``: the detection's score when ``query_lang`` was detected (checked by
        :func:`~interlingua.search.scope_language`: a guess whose language is not written in
        the query's script leaves the scope to the scripts); None when the caller gave the
        language (taken as given)."""
        dense, lexical = runs["dense"], runs["lexical"]
        weights = list(options.weights) if options.weights else None
        w_l = lexical_share(weights)
        if options.lexical_scope == "all":
            final = scoped_fuse(options.fusion, dense, lexical, None, weights=weights)
            return final, dict.fromkeys(final, w_l), None
        keys = [*dense, *(key for key in lexical if key not in dense)]
        if docs is None or any(key not in docs for key in keys):
            # languages only (text and metadata cost more than the rest of the query); the text
            # only where the language is unknown and the script must decide
            langs = self.collection.languages_of(keys)
            unknown = [key for key, lang in langs.items() if lang in UNKNOWN_LANGS]
            texts = {k: d.text for k, d in self.collection.documents(unknown).items()} if unknown else {}
            docs = {key: _LangText(lang, texts.get(key, "")) for key, lang in langs.items()}
            fetched = False
        else:
            docs = {key: docs[key] for key in keys}
            fetched = True
        if query_script is None:
            from ..text import detect_script

            query_script = detect_script(query)
        if query_lang_score is not None:
            query_lang = scope_language(query_lang, query_script, query_lang_score)
        in_scope = lexical_scope_keys(options.lexical_scope, query_lang, query_script, keys, docs)
        final = scoped_fuse(options.fusion, dense, lexical, in_scope, weights=weights)
        final = {key: s for key, s in final.items() if key in docs}
        return final, {key: (w_l if key in in_scope else 0.0) for key in final}, docs if fetched else None

    def encode_query(self, query: str, query_lang: str | None) -> np.ndarray:
        """The query's vector in the collection's space."""
        return self.collection.space.encode([query], role="query", langs=[query_lang])[0]

    def runs(
        self,
        query: str,
        *,
        mode: str = "hybrid",
        depth: int = 100,
        allowed: np.ndarray | None = None,
        query_vector: np.ndarray | None = None,
        query_lang: str | None = None,
    ) -> dict[str, dict[int, float]]:
        """Each retriever's own top ``depth`` as ``{"dense": {key: cosine}, "lexical": {key: bm25}}``
        (no checks, no fusion: the building block for :meth:`search` and for evaluations)."""
        col = self.collection
        runs: dict[str, dict[int, float]] = {}
        if mode in ("dense", "hybrid"):
            qv = query_vector if query_vector is not None else self.encode_query(query, query_lang)
            if getattr(col.space, "balances_scores", False):  # a balance adapter: per-language heads
                from ._balance import balanced_dense_run

                runs["dense"] = balanced_dense_run(col, qv, depth, allowed, list(col.languages()))
            else:
                scores, keys = col.dense_search(np.asarray(qv, np.float32)[None, :], depth, allowed)
                runs["dense"] = {int(key): float(s) for s, key in zip(scores[0], keys[0]) if key >= 0}
        if mode in ("lexical", "hybrid"):
            scores, keys = col.lexical_search(col.segment(query), depth, allowed)
            runs["lexical"] = {int(key): float(s) for s, key in zip(scores, keys)}
        return runs


def search(
    collection: CollectionBackend, query: str, options: SearchOptions | None = None, **flat: Any
) -> SearchResult:
    """One query against ``collection``; see :meth:`Searcher.search` for the options."""
    return Searcher(collection).search(query, options, **flat)


__all__ = [
    "MAX_QUERY_CHARS",
    "MODES",
    "RRF_K",
    "Hit",
    "SearchResult",
    "Searcher",
    "check_query",
    "search",
    "search_options",
]
