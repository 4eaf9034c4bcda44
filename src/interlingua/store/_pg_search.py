"""Searching a PostgreSQL collection: dense (pgvector) and lexical (tsvector) top-k in SQL.

Dense: cosine distance (``<=>``) to the query vector, score ``1 - distance`` (the cosine: the
vectors are L2-normalized). Three ways, chosen per search:

- exact, when the collection has no HNSW index, or a filter leaves at most ``exact_filtered``
  documents (what the embedded backend does with ``EXACT_FILTERED``): index scans are turned
  off for the transaction, so the planner scans the filtered rows (through the language index)
  and sorts them;
- HNSW with an iterative index scan (pgvector >= 0.8, ``hnsw.iterative_scan = relaxed_order``):
  the scan goes on past ``ef_search`` candidates until ``k`` rows pass the filter, within
  ``hnsw.max_scan_tuples`` (sized from the filter's selectivity); relaxed order means the rows
  come back nearly sorted, so they are sorted again here;
- HNSW on an older pgvector: ``ef_search`` raised to its limit (over-fetching), a warning once.

Whenever an approximate search returns fewer than ``k`` rows while the filter holds more, that
query is answered exactly: a filter returns the full ``k``.

Lexical: an OR query (``tsquery``) of the query's tokens, built from quoted lexemes (never
parsed, so no character is syntax) against the ``tsv`` column (GIN index), ranked by
``ts_rank`` with length normalization 1 (rank / (1 + log(document length))).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._lexical_tantivy import clean_tokens
from ._pg_schema import MAX_EF_SEARCH
from ._pg_write import VectorBlob, vector_blobs

#: ``hnsw.max_scan_tuples`` is at least this (pgvector's default) and at most the table's size
MIN_SCAN_TUPLES = 20_000


def dense_search(
    conn: Any,
    queries: np.ndarray,
    k: int,
    *,
    predicate: tuple[Any, list[Any]] | None,
    filtered: int | None,
    total: int,
    exact_filtered: int,
    ef_search: int,
    iterative: bool,
    stats: dict[str, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, keys) of shape (len(queries), k), padded with (-inf, -1) like faiss; ``stats``
    counts the queries answered each way ("exact", "approximate", "fallback": approximate,
    then exact because the scan stopped short).

    ``filtered``: how many documents the filter allows (None: no filter); ``total``: documents
    in the collection. Without an HNSW index the planner scans and sorts: exact either way."""
    n = len(queries)
    scores = np.full((n, k), -np.inf, np.float32)
    keys = np.full((n, k), -1, np.int64)
    if k <= 0 or n == 0 or filtered == 0 or total == 0:
        return scores, keys
    exact = filtered is not None and filtered <= exact_filtered
    want = min(k, total if filtered is None else filtered)
    for i, blob in enumerate(vector_blobs(np.asarray(queries, np.float32))):
        rows = _dense_once(conn, blob, k, predicate, exact, filtered, total, ef_search, iterative)
        way = "exact" if exact else "approximate"
        if not exact and len(rows) < want:  # the scan stopped short: answer this query exactly
            rows = _dense_once(conn, blob, k, predicate, True, filtered, total, ef_search, iterative)
            way = "fallback"
        if stats is not None:
            stats[way] = stats.get(way, 0) + 1
        for j, (key, dist) in enumerate(rows):
            keys[i, j], scores[i, j] = key, 1.0 - dist
    return scores, keys


def _dense_once(
    conn: Any,
    blob: VectorBlob,
    k: int,
    predicate: tuple[Any, list[Any]] | None,
    exact: bool,
    filtered: int | None,
    total: int,
    ef_search: int,
    iterative: bool,
) -> list[tuple[int, float]]:
    from psycopg import sql

    cond, args = predicate if predicate is not None else (sql.SQL("true"), [])
    query = sql.SQL("SELECT key, embedding <=> %b AS d FROM docs WHERE {} ORDER BY d LIMIT %s").format(cond)
    limit = k
    with conn.transaction():
        if exact:
            conn.execute("SELECT set_config('enable_indexscan', 'off', true)")
        else:
            # the collection chose the index (the filter allows many documents): a planner that
            # would rather scan and sort the filtered rows is told not to
            conn.execute(
                "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),"
                " set_config('enable_sort', 'off', true)"
            )
            ef = min(MAX_EF_SEARCH, max(ef_search, k))
            if iterative:
                # ef_search rows that pass the filter, the best k of them kept: a filtered search
                # looks at as many candidates as an unfiltered one (relaxed order alone would
                # return the first k the scan meets)
                limit = max(k, min(ef_search, MAX_EF_SEARCH))
                share = 1.0 if filtered is None else max(filtered, 1) / max(total, 1)
                tuples = int(min(max(MIN_SCAN_TUPLES, 4 * (ef + limit) / share), max(total, MIN_SCAN_TUPLES)))
                conn.execute(
                    "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),"
                    " set_config('hnsw.max_scan_tuples', %s, true), set_config('hnsw.ef_search', %s, true)",
                    (str(tuples), str(ef)),
                )
            else:  # no iterative scan: over-fetch, the filter applies to ef_search candidates
                ef = MAX_EF_SEARCH if filtered is not None else ef
                conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef),))
        rows = [(int(key), float(d)) for key, d in conn.execute(query, [blob, *args, limit])]
    rows.sort(key=lambda r: (r[1], r[0]))
    return rows[:k]


def tsquery_text(tokens: list[str]) -> str:
    """An OR tsquery of quoted lexemes (inside quotes only ``'`` and ``\\`` need escaping)."""
    terms = list(dict.fromkeys(t.replace("\x00", "") for t in clean_tokens(tokens)))
    quoted = ["'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms if t]
    return " | ".join(quoted)


def lexical_search(
    conn: Any, tokens: list[str], k: int, *, predicate: tuple[Any, list[Any]] | None
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, keys), best first, at most ``k``."""
    from psycopg import sql

    text = tsquery_text(tokens)
    if not text or k <= 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    cond, args = predicate if predicate is not None else (sql.SQL("true"), [])
    query = sql.SQL(
        "SELECT key, ts_rank(tsv, %s::tsquery, 1) AS s FROM docs WHERE tsv @@ %s::tsquery AND {}"
        " ORDER BY s DESC, key LIMIT %s"
    ).format(cond)
    rows = conn.execute(query, [text, text, *args, k]).fetchall()
    if not rows:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    return (
        np.array([r[1] for r in rows], np.float32),
        np.array([r[0] for r in rows], np.int64),
    )


__all__ = ["dense_search", "lexical_search", "tsquery_text"]
