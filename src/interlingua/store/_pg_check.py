"""Is a PostgreSQL collection whole? And what it holds (``info``).

The check counts documents, vectors and tsvectors (a document whose tokens are not in its
tsvector, or whose vector has another dimension, is a problem), tells whether the HNSW index is
there and valid where the collection's factory asks for one (an index build that failed leaves
an invalid one), reads the manifest back, and records pgvector's version (below 0.8 filtered
searches cannot use iterative index scans).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ._check import CheckReport
from ._pg_connect import ITERATIVE_PGVECTOR, pgvector
from ._pg_schema import hnsw_index, hnsw_params, read_manifest


def check_pg(col: Any) -> CheckReport:
    conn, target = col._conn, col.target
    problems: list[str] = []
    docs, vectors, tsvs, bad_dim, lost_tokens = conn.execute(
        "SELECT count(*), count(embedding), count(tsv),"
        " count(*) FILTER (WHERE vector_dims(embedding) <> %s),"
        " count(*) FILTER (WHERE length(tsv) = 0 AND cardinality(tokens) > 0) FROM docs",
        (int(col.manifest.dim),),
    ).fetchone()
    if vectors != docs:
        problems.append(f"{docs - vectors} document(s) have no vector")
    if tsvs != docs:
        problems.append(f"{docs - tsvs} document(s) have no tsvector")
    if bad_dim:
        problems.append(f"{bad_dim} vector(s) do not have the manifest's dimension {col.manifest.dim}")
    if lost_tokens:
        problems.append(f"{lost_tokens} document(s) have tokens but an empty tsvector (rebuild to recompute)")
    present, valid = hnsw_index(conn, target)
    wanted = hnsw_params(col.manifest, int(docs))
    if present and not valid:
        problems.append("the HNSW index is invalid (a build that did not finish); rebuild it")
    elif wanted is not None and not present:
        problems.append("the HNSW index is missing (open the collection for writing to build it)")
    try:
        read_manifest(conn, target)
    except Exception as exc:  # noqa: BLE001 - reported, not raised: the check says what is wrong
        problems.append(str(exc))
    found = pgvector(conn)
    version = ".".join(map(str, found[1])) if found else "none"
    details = {
        "backend": "postgres",
        "pgvector": version,
        "iterative_scans": bool(found and found[1] >= ITERATIVE_PGVECTOR),
        "hnsw_index": "valid" if valid else ("invalid" if present else "none"),
        "vectors": int(vectors),
        "tsvectors": int(tsvs),
    }
    return CheckReport(target.display, int(docs), tuple(problems), details)


def info_pg(col: Any) -> dict[str, Any]:
    conn, target = col._conn, col.target
    n = len(col)
    present, valid = hnsw_index(conn, target)
    params = hnsw_params(col.manifest, n)
    found = pgvector(conn)
    if present:
        m = params[0] if params else "?"
        kind = f"HNSW{m},Flat (pgvector{'' if valid else ', invalid'})"
    else:
        kind = "Flat (exact, no HNSW index)"
    return {
        "path": target.display,
        "backend": col.backend,
        "documents": n,
        "languages": col.languages(),
        "metadata_fields": col.fields(),
        "dense_kind": kind,
        "dense_vectors": n,
        "lexical_documents": n,
        "lexical_lag": 0,
        "lexical_engine": "PostgreSQL tsvector (simple), ts_rank",
        "server": target.server,
        "schema": target.schema,
        "pgvector": ".".join(map(str, found[1])) if found else "none",
        "manifest": asdict(col.manifest),
    }


__all__ = ["check_pg", "info_pg"]
