"""A PostgreSQL collection's schema: its tables, its manifest, and its HNSW index.

One schema per collection (``interlingua_<name>``):

- ``docs``: ``key`` (bigint identity, never reused), ``id`` (unique), ``text``, ``lang`` (C
  collation, so one btree serves ``lang = 'zh'`` and the prefix ``'zh-'``), ``meta`` (jsonb),
  ``tokens`` (the text as the collection's segmenter cut it), ``tsv`` (those tokens as a
  ``tsvector``, positions kept; GIN index) and ``embedding`` (``vector(dim)``; HNSW index with
  ``vector_cosine_ops``).
- ``manifest``: the same :class:`Manifest` record as the embedded backend's manifest.json, as jsonb.
- ``fields``: the metadata fields seen (filters on other names are refused, as embedded).
- ``counter``: the change counter, bumped by every write transaction (:meth:`stamp`).

The HNSW index is built after bulk loads rather than kept up row by row (see ``hnsw_wanted``):
a collection without it is searched exactly, so results never depend on whether it is there.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

from ..errors import CollectionError, InputError
from ._manifest import _SCHEMA, FORMAT, FORMAT_VERSION, Manifest, dense_setting
from ._pg_connect import PgTarget

HNSW_INDEX = "docs_embedding_hnsw"
#: pgvector's defaults, used when the factory string names no HNSW graph
PG_M, PG_EF_CONSTRUCTION = 16, 64
#: pgvector's upper bound of ``hnsw.ef_search``
MAX_EF_SEARCH = 1000


def vector_storage(dim: int) -> str:
    """Keep vectors in the row: pgvector's default (EXTERNAL) moves a row over 2 kB, a 512-d vector
    with its text, out of line, and an exact search then de-TOASTs every vector it scores (3,000
    512-d rows: 19 ms a query). PLAIN (never compressed, never moved) while a vector leaves room in
    an 8 kB page for the text; MAIN above (moved out only when the row fits no other way)."""
    return "PLAIN" if 4 * dim <= 4000 else "MAIN"


def create_schema(conn: Any, target: PgTarget, manifest: Manifest) -> None:
    """Make the collection's schema, tables and manifest in one transaction (all or nothing)."""
    from psycopg import sql

    ident = sql.Identifier(target.schema)
    with conn.transaction():
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (target.schema,)).fetchone():
            raise InputError(
                f"{target.server} already holds the collection {target.name!r}; open it instead, or "
                "choose another name."
            )
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(ident))
        ddl = sql.SQL(
            """
            CREATE TABLE {s}.docs (
                key bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id text NOT NULL UNIQUE,
                text text NOT NULL,
                lang text COLLATE "C" NOT NULL,
                meta jsonb NOT NULL,
                tokens text[] NOT NULL,
                tsv tsvector NOT NULL,
                embedding vector({dim}) NOT NULL
            );
            ALTER TABLE {s}.docs ALTER COLUMN embedding SET STORAGE {storage};
            CREATE INDEX docs_lang ON {s}.docs (lang);
            CREATE INDEX docs_tsv ON {s}.docs USING gin (tsv);
            CREATE TABLE {s}.manifest (one boolean PRIMARY KEY DEFAULT true CHECK (one), body jsonb NOT NULL);
            CREATE TABLE {s}.fields (name text PRIMARY KEY);
            CREATE TABLE {s}.counter (one boolean PRIMARY KEY DEFAULT true CHECK (one), changes bigint NOT NULL);
            INSERT INTO {s}.counter (changes) VALUES (0);
            """
        ).format(s=ident, dim=sql.Literal(int(manifest.dim)), storage=sql.SQL(vector_storage(manifest.dim)))
        conn.execute(ddl)
        conn.execute(
            sql.SQL("INSERT INTO {}.manifest (body) VALUES (%s::jsonb)").format(ident),
            (json.dumps(asdict(manifest), ensure_ascii=False),),
        )


def schema_oid(conn: Any, target: PgTarget) -> int | None:
    row = conn.execute("SELECT oid::bigint FROM pg_namespace WHERE nspname = %s", (target.schema,)).fetchone()
    return None if row is None else int(row[0])


def read_manifest(conn: Any, target: PgTarget) -> Manifest:
    """The collection's manifest, checked field by field like manifest.json (a missing collection:
    InputError; a damaged manifest: CollectionError naming the field)."""
    from psycopg import sql

    if schema_oid(conn, target) is None:
        raise InputError(
            f"No collection {target.name!r} in {target.server}; create it with `interlingua index create "
            f"'{target.display}'`."
        )
    try:
        row = conn.execute(
            sql.SQL("SELECT body FROM {}.manifest").format(sql.Identifier(target.schema))
        ).fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure to read it is one message
        from ._pg_connect import psycopg_module

        if not isinstance(exc, psycopg_module().Error):
            raise
        raise _bad(target, f"cannot be read ({str(exc).splitlines()[0]})") from None
    if row is None or not isinstance(row[0], dict):
        raise _bad(target, "is missing")
    raw = row[0]
    if raw.get("format") != FORMAT or raw.get("format_version") != FORMAT_VERSION:
        raise _bad(target, f"has format {raw.get('format')!r} version {raw.get('format_version')!r}")
    for name, (kind, required) in _SCHEMA.items():
        if name not in raw:
            if required:
                raise _bad(target, f"lacks the field {name!r}")
            continue
        if isinstance(raw[name], bool) or not isinstance(raw[name], kind):
            raise _bad(target, f"has {type(raw[name]).__name__} in the field {name!r}")
    return Manifest(**{k: v for k, v in raw.items() if k in _SCHEMA})


def _bad(target: PgTarget, what: str) -> CollectionError:
    return CollectionError(
        f"{target.display}: the collection's manifest {what}; the collection cannot be opened as it is "
        f"(its table {target.schema}.manifest was changed by hand, or the schema is not a collection's)."
    )


def drop_schema(conn: Any, target: PgTarget) -> None:
    from psycopg import sql

    with conn.transaction():
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(target.schema)))


def hnsw_params(manifest: Manifest, n: int) -> tuple[int, int] | None:
    """(m, ef_construction) of the HNSW index a collection of ``n`` documents should have, or None
    for none (searched exactly). The factory string decides as in the embedded backend: "auto" is
    exact up to ``hnsw_threshold`` documents and ``large`` above (pgvector has no counterpart of
    the embedded ``huge`` IVF-PQ tier: HNSW stays); ``HNSW<m>,...`` takes its m and
    the spec's ef_construction; ``Flat`` (exact) none; any other ANN factory (IVF...) is an HNSW
    graph with pgvector's defaults (m 16, ef_construction 64)."""
    dense = manifest.dense
    factory = dense_setting(dense, "factory")
    if factory == "auto":
        if n <= dense_setting(dense, "hnsw_threshold"):
            return None
        factory = dense_setting(dense, "large")
    first = factory.split(",")[0].strip()
    if first == "Flat" or first.startswith("SQ"):
        return None
    m = re.match(r"^HNSW(\d*)", first)
    if m and m.group(1):
        return max(2, min(100, int(m.group(1)))), max(
            4, min(1000, int(dense_setting(dense, "ef_construction")))
        )
    return PG_M, PG_EF_CONSTRUCTION


def hnsw_index(conn: Any, target: PgTarget) -> tuple[bool, bool]:
    """(present, valid) of the collection's HNSW index."""
    row = conn.execute(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
        (target.schema, HNSW_INDEX),
    ).fetchone()
    return (row is not None, bool(row and row[0]))


def build_hnsw(conn: Any, target: PgTarget, m: int, ef_construction: int, n: int, dim: int) -> None:
    """Build the HNSW index over every vector at once (far faster than row by row), with enough
    ``maintenance_work_mem`` for the graph to fit (an estimate, at most 4 GB)."""
    from psycopg import sql

    # per vector: the vector, 2m neighbours at level 0 (+ upper levels), and pgvector's overhead
    need = int(n * (4 * dim + 16 * m + 200) * 1.3) >> 20
    mem = max(64, min(4096, need + 64))
    with conn.transaction():
        conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", (f"{mem}MB",))
        conn.execute(
            sql.SQL("DROP INDEX IF EXISTS {}.{}").format(
                sql.Identifier(target.schema), sql.Identifier(HNSW_INDEX)
            )
        )
        conn.execute(
            sql.SQL(
                "CREATE INDEX {} ON {}.docs USING hnsw (embedding vector_cosine_ops)"
                " WITH (m = {}, ef_construction = {})"
            ).format(
                sql.Identifier(HNSW_INDEX),
                sql.Identifier(target.schema),
                sql.Literal(int(m)),
                sql.Literal(int(ef_construction)),
            )
        )
        conn.execute(
            sql.SQL("ANALYZE {}.docs").format(sql.Identifier(target.schema))
        )  # sizes for the planner


def drop_hnsw(conn: Any, target: PgTarget) -> None:
    from psycopg import sql

    conn.execute(
        sql.SQL("DROP INDEX IF EXISTS {}.{}").format(
            sql.Identifier(target.schema), sql.Identifier(HNSW_INDEX)
        )
    )


__all__ = [
    "HNSW_INDEX",
    "vector_storage",
    "MAX_EF_SEARCH",
    "build_hnsw",
    "create_schema",
    "drop_hnsw",
    "drop_schema",
    "hnsw_index",
    "hnsw_params",
    "read_manifest",
    "schema_oid",
]
