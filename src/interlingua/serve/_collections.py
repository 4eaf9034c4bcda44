"""``/collections/...``: list, make, describe and delete collections; add, read and delete their
documents; check them; search them, one query or a batch.

Each route calls the library: the store (``run(IndexSpec)``, ``add_documents``, ``run(AddJob)``
for an uploaded file, ``check_collection``, ``remove_collection``) and the search stage
(``Searcher``, whose ``SearchResult.to_dict()`` is the answer, plus the scripts and the time
taken). Request models are made from the specs (``model_of(IndexSpec)``, ``model_of(SearchOptions)``),
so a field is declared once and its rules answer 422 naming the dotted field. The served
collections, their shared readers and per-request writers are :mod:`._library`'s.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from ..errors import InputError, NotFoundError, UnknownNameError
from ..search import SearchOptions
from ..store import IndexSpec
from ._limits import check_count, check_length
from ._meta import state_of
from ._schemas import Strict, model_of, to_spec

router = APIRouter(tags=["collections"])
BASE = "/collections"
ONE = BASE + "/{name}"

_Options = model_of(SearchOptions)
_NotUri = model_of(IndexSpec, exclude=("uri",))


class CreateRequest(_NotUri):
    """A new collection: its name, and the IndexSpec fields (model, dense index, segmenter, ...)."""

    name: str = Field(..., description="the new collection's name: letters, digits, '.', '_', '-'")


class SearchRequest(_Options):
    """One query, in any language, and the search options."""

    query: str = Field(..., description="what to look for, in any language")
    query_lang: str | None = Field(None, description="the query's language (default: detected)")


class BatchQuery(Strict):
    id: str | int | None = Field(None, description="the query's id (default: its position, from 0)")
    text: str = Field(..., description="the query")
    lang: str | None = Field(None, description="its language (default: detected)")


class BatchSearchRequest(_Options):
    """Many queries (strings, or {id, text, lang}) with one set of options."""

    queries: list[str | BatchQuery] = Field(..., description="the queries, at most max_batch")


# -- collections ----------------------------------------------------------------------------
@router.get(BASE, summary="The served collections, with their size, languages and model")
def list_collections(request: Request) -> dict[str, Any]:
    lib = state_of(request).collections
    found = (_summary(lib, name) for name in lib.names())
    return {"collections": [c for c in found if c is not None]}


@router.post(BASE, status_code=201, summary="Make an empty collection in the served folder of collections")
def create_collection(body: CreateRequest, request: Request) -> dict[str, Any]:
    st = state_of(request)
    fields = body.model_dump(exclude_unset=True, exclude={"name"})
    spec = to_spec(fields, IndexSpec, uri=st.collections.new_uri(body.name))
    if spec.space.encoder not in st.model_names:
        err = UnknownNameError(
            "model",
            spec.space.encoder,
            st.model_names,
            hint="A collection made over HTTP uses one of the served models; start the server with --models to add one.",
        )
        err.field = "space.encoder"
        raise err
    if spec.space.adapters:
        raise InputError(
            "Adapters name folders on the server; make a collection with adapters with `interlingua index create`.",
            field="space.adapters",
        )
    return st.collections.create(body.name, spec)


@router.get(ONE, summary="A collection's documents, languages, fields, indexes and manifest")
def collection_info(name: str, request: Request) -> dict[str, Any]:
    served = state_of(request).collections.get(name)
    with served.reading() as searcher:
        info = searcher.collection.info()
    return {"name": name, **info, "writable": served.writable, "deletable": served.deletable}


@router.delete(ONE, status_code=204, summary="Delete a collection of the served folder of collections")
def delete_collection(name: str, request: Request) -> Response:
    state_of(request).collections.delete(name)
    return Response(status_code=204)


@router.post(ONE + "/check", summary="Check that the catalog and both indexes agree (catching them up first)")
def check(name: str, request: Request) -> dict[str, Any]:
    st = state_of(request)
    report = st.collections.get(name).check()
    return {"name": name, **report.to_dict()}


# -- search ---------------------------------------------------------------------------------
# The answers are plain JSON already (``SearchResult.to_dict()``): sent as they are, without
# FastAPI's re-encoding, which cost more than a lexical search (9 ms against 4 over HTTP).
@router.post(ONE + "/search", summary="Search with one query: dense, lexical or hybrid, filtered, reranked")
def search(name: str, body: SearchRequest, request: Request) -> JSONResponse:
    st = state_of(request)
    served = st.collections.get(name)
    options = _options(body, exclude={"query", "query_lang"})
    _check_query(body.query, "query", st.settings.max_input_chars, options)
    lang = _lang(body.query_lang, "query_lang")
    with served.reading() as searcher:
        allowed = _allowed(searcher, options)
        out = _answer(searcher, body.query, lang, options, allowed, field="query_lang")
        _count(st, searcher, "/collections/{name}/search", 1, options)
    return JSONResponse(out)


@router.post(ONE + "/search/batch", summary="Search with many queries and one set of options")
def search_batch(name: str, body: BatchSearchRequest, request: Request) -> JSONResponse:
    st = state_of(request)
    served = st.collections.get(name)
    options = _options(body, exclude={"queries"})
    limit = st.settings.max_batch
    check_count(len(body.queries), limit, "queries", "queries")
    queries = []
    for i, q in enumerate(body.queries):
        item = BatchQuery(text=q) if isinstance(q, str) else q
        _check_query(item.text, f"queries[{i}]", st.settings.max_input_chars, options)
        qid = str(i) if item.id is None else str(item.id)
        queries.append((qid, item.text, _lang(item.lang, f"queries[{i}].lang")))
    start = time.perf_counter()
    results = []
    with served.reading() as searcher:
        allowed = _allowed(searcher, options) if queries else None
        for i, (qid, text, lang) in enumerate(queries):
            out = _answer(searcher, text, lang, options, allowed, field=f"queries[{i}].lang")
            results.append({"id": qid, **out})
        _count(st, searcher, "/collections/{name}/search/batch", len(queries), options)
    return JSONResponse({"results": results, "took_ms": _ms(start)})


# -- helpers --------------------------------------------------------------------------------
def _summary(lib: Any, name: str) -> dict[str, Any] | None:
    try:
        served = lib.get(name)
        with served.reading() as searcher:
            info = searcher.collection.info()
    except NotFoundError:
        return None  # removed since the scan
    except Exception as exc:  # one damaged collection does not hide the others
        return {"name": served.name, "error": str(exc), "writable": served.writable}
    return {
        "name": served.name,
        "documents": info["documents"],
        "languages": info["languages"],
        "model": (info.get("manifest") or {}).get("encoder_name"),
        "backend": info.get("backend"),
        "writable": served.writable,
        "deletable": served.deletable,
    }


def _options(body: Any, exclude: set[str]) -> SearchOptions:
    return to_spec(body.model_dump(exclude_unset=True, exclude=exclude), SearchOptions)


def _check_query(text: str, field: str, limit: int, options: SearchOptions) -> None:
    """A query over the server's limit answers 413; an empty or broken one 422 naming its field."""
    from ..search import check_query

    check_length(text, field, limit)
    try:
        check_query(text, options.max_query_chars)
    except InputError as exc:
        exc.field = field
        raise


def _allowed(searcher: Any, options: SearchOptions) -> Any:
    """The keys the filters allow (read once for a batch); a bad filter names its field."""
    from ..errors import LanguageCodeError

    if options.documents:
        return None
    try:
        return searcher.allowed(options)
    except InputError as exc:
        if exc.field is None:
            exc.field = (
                ("exclude_lang" if options.exclude_lang else "lang")
                if isinstance(exc, LanguageCodeError)
                else "filters"
            )
        raise


def _lang(code: str | None, field: str) -> str | None:
    if code is None:
        return None
    from ..text import canonical_lang

    try:
        return canonical_lang(code)
    except InputError as exc:
        exc.field = field
        raise


def _answer(
    searcher: Any, query: str, lang: str | None, options: SearchOptions, allowed: Any, *, field: str
) -> dict[str, Any]:
    """One query's answer: the library's result plus the scripts and the time taken."""
    from ..search import answer
    from ..text import detect_script

    start = time.perf_counter()
    if options.documents:
        if lang is not None:
            raise InputError("A query language cannot be given with documents=true.", field=field)
        found = answer(searcher, query, options).to_dict()
        found.pop("query_id", None)
        for d in found["documents"]:
            for p in d["passages"]:
                p["script"] = detect_script(p["text"])
        out = {"query": query, "mode": options.mode, **found}
    else:
        out = searcher.search(query, options, query_lang=lang, allowed=allowed).to_dict()
        out["rerank"] = out.pop("reranked")
        for h in out["hits"]:
            h["found"] = list(h.pop("retrievers"))
            h["script"] = detect_script(h["text"])
    out["query_script"] = detect_script(query)
    out["took_ms"] = _ms(start)
    return out


def _count(st: Any, searcher: Any, route: str, n: int, options: SearchOptions) -> None:
    if options.mode != "lexical" or options.rerank:
        st.metrics.count_encoded(getattr(searcher.collection.space, "name", "?"), route, n)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000.0, 3)


__all__ = ["router"]
