"""``run(SearchJob)``: one query, or every query of a file, against a collection; results as
JSONL (one object per query) or as a TREC run (``qid Q0 docid rank score tag``) that trec_eval
and ir_measures read unchanged."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._executors import Executor
from .._paths import check_outputs
from .._reports import add_shards
from ..errors import InputError
from ..io import read_records
from ..progress import ProgressFn, note, task
from ..store import open_collection
from ._options import SearchJob, SearchOptions
from ._passages import DocumentHit, search_documents
from ._pipeline import Searcher, SearchResult, check_query


@dataclass(frozen=True)
class QueryResult:
    """One query's answer: hits (or documents with their passages)."""

    query_id: str
    result: SearchResult | None
    documents: tuple[DocumentHit, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        if self.result is not None:
            return {"query_id": self.query_id, **self.result.to_dict()}
        return {"query_id": self.query_id, "documents": [_doc_dict(d) for d in self.documents]}


@dataclass(frozen=True)
class SearchReport:
    collection: str
    queries: int = 0
    hits: int = 0
    seconds: float = 0.0
    output: str = "-"
    notes: tuple[str, ...] = ()
    results: tuple[QueryResult, ...] = ()

    def __add__(self, other: SearchReport) -> SearchReport:
        """Two shards of one batch of queries: counts add, results follow each other."""
        return add_shards(self, other)

    def to_dict(self, *, results: bool = True) -> dict[str, Any]:
        out = {
            "collection": self.collection,
            "queries": self.queries,
            "hits": self.hits,
            "seconds": round(self.seconds, 3),
            "output": self.output,
            "notes": list(self.notes),
        }
        if results:
            out["results"] = [r.to_dict() for r in self.results]
        return out


def answer(
    searcher: Searcher,
    query: str,
    options: SearchOptions,
    query_id: str = "1",
    *,
    allowed: np.ndarray | None = None,
) -> QueryResult:
    """One query, as a plain search or, with ``options.documents``, documents with their passages.
    ``allowed``: for a plain search, the keys its filters allow when already known."""
    if options.documents:
        return QueryResult(
            query_id, None, tuple(search_documents(searcher.collection, query, options, searcher=searcher))
        )
    return QueryResult(query_id, searcher.search(query, options, allowed=allowed))


def run(
    job: SearchJob, *, progress: ProgressFn | None = None, executor: str | Executor | None = None
) -> SearchReport:
    """Run a :class:`SearchJob`; with ``output`` the results go to a file (atomically), else they
    come back in the report."""
    job.validate()
    start = time.perf_counter()
    fmt = result_format(job.output, job.output_format)
    to_file = job.output is not None and job.output != "-"
    check_outputs([job.output] if to_file else [], [job.queries])
    notes: list[str] = []
    queries: list[tuple[str, str]]
    if job.queries is not None:
        with read_records(job.queries, job.input) as records:
            notes += records.notes
            queries = [(r.id, r.text) for r in records]
    else:
        queries = [("1", job.query or "")]
    for line in notes:
        note(progress, line, "search")
    results = []
    with open_collection(job.collection, readonly=True) as col:
        searcher = Searcher(col)
        allowed, pending = None, not job.search.documents  # a plain search's filters: read once a batch
        with task(progress, "search", len(queries), "query") as bar:
            for qid, text in queries:
                try:
                    if pending:  # after checking the query, as search() does: a bad query is reported first
                        check_query(text, job.search.max_query_chars)
                        allowed, pending = searcher.allowed(job.search), False
                    results.append(answer(searcher, text, job.search, qid, allowed=allowed))
                except InputError as exc:
                    if job.queries is None:
                        raise
                    raise InputError(f"query {qid!r}: {exc}", path=job.queries) from None
                bar.advance(1)
    hits = sum(len(r.result.hits) if r.result is not None else len(r.documents) for r in results)
    if to_file:
        from .._atomic import atomic_open

        with atomic_open(job.output, "w", newline="\n") as fh:
            fh.writelines(result_lines(results, fmt, job.run_tag))
    return SearchReport(
        str(job.collection),
        len(results),
        hits,
        time.perf_counter() - start,
        job.output if to_file else "-",
        tuple(notes),
        () if to_file else tuple(results),
    )


def result_format(output: str | None, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    if output and Path(output).suffix.lower() in (".trec", ".run", ".txt"):
        return "trec"
    return "jsonl"


def result_lines(results: list[QueryResult] | tuple[QueryResult, ...], fmt: str, tag: str = "interlingua"):
    """JSONL (an object per query) or TREC run lines (``qid Q0 docid rank score tag``)."""
    for r in results:
        if fmt == "jsonl":
            yield json.dumps(r.to_dict(), ensure_ascii=False) + "\n"
            continue
        rows = (
            [(h.id, h.rank, h.score) for h in r.result.hits]
            if r.result is not None
            else [(d.id, d.rank, d.score) for d in r.documents]
        )
        for doc_id, rank, score in rows:
            yield f"{_trec_token(r.query_id)} Q0 {_trec_token(doc_id)} {rank} {score:.6f} {tag}\n"


def _trec_token(value: str) -> str:
    if any(c.isspace() for c in value):
        raise InputError(f"The id {value!r} holds white space, which a TREC run cannot; use --format jsonl")
    return value


def _doc_dict(d: DocumentHit) -> dict[str, Any]:
    return {
        "rank": d.rank,
        "id": d.id,
        "score": d.score,
        "lang": d.lang,
        "passages": [
            {
                "id": p.id,
                "score": p.score,
                "start": p.meta.get("start"),
                "end": p.meta.get("end"),
                "text": p.text,
            }
            for p in d.passages
        ],
    }


__all__ = ["QueryResult", "SearchReport", "answer", "result_format", "result_lines", "run"]
