"""Reading a PostgreSQL collection: documents, languages, filters and both searches (the reading
half of :class:`PostgresCollection`, kept apart to keep each file small). Every method runs on
the collection's one connection, serialized (``on_db``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ._catalog import Condition, Document
from ._manifest import dense_setting
from ._pg_connect import on_db
from ._pg_filter import keys_predicate, selection, where


class PgReading:
    """What a reader does; the class using it has ``_conn``, ``_mutex``, ``target``, ``manifest``,
    ``readonly``, ``_count`` (a writer's own count), ``_iterative``, ``exact_filtered`` and
    ``dense_stats``."""

    _conn: Any
    _count: int
    readonly: bool

    # -- reading -----------------------------------------------------------------------------------
    def _rows(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM docs").fetchone()[0])

    def _size(self) -> int:
        """About how many documents there are, without counting them (a reader asks before every
        search): the writer's own count, else the planner's estimate once the table has one."""
        if not self.readonly:
            return self._count
        row = self._conn.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = 'docs'::regclass"
        ).fetchone()
        return int(row[0]) if row and row[0] > 0 else self._rows()

    @on_db
    def __len__(self) -> int:
        return self._count if not self.readonly else self._rows()

    @on_db
    def get(self, ids: Iterable[str]) -> list[Document]:
        wanted = [str(i) for i in ids]
        rows = self._conn.execute(
            "SELECT id, text, lang, meta FROM docs WHERE id = ANY(%s)", (wanted,)
        ).fetchall()
        found = {r[0]: Document(r[0], r[1], r[2], r[3]) for r in rows}
        return [found[i] for i in dict.fromkeys(wanted) if i in found]

    @on_db
    def has_ids(self, ids: Iterable[str]) -> set[str]:
        rows = self._conn.execute("SELECT id FROM docs WHERE id = ANY(%s)", ([str(i) for i in ids],))
        return {r[0] for r in rows}

    @on_db
    def documents(self, keys: Iterable[int]) -> dict[int, Document]:
        rows = self._conn.execute(
            "SELECT key, id, text, lang, meta FROM docs WHERE key = ANY(%s::bigint[])",
            ([int(k) for k in keys],),
        )
        return {int(r[0]): Document(r[1], r[2], r[3], r[4]) for r in rows}

    @on_db
    def languages(self) -> dict[str, int]:
        return dict(self._conn.execute("SELECT lang, count(*) FROM docs GROUP BY lang ORDER BY 2 DESC, 1"))

    @on_db
    def languages_of(self, keys: Iterable[int]) -> dict[int, str]:
        rows = self._conn.execute(
            "SELECT key, lang FROM docs WHERE key = ANY(%s::bigint[])", ([int(k) for k in keys],)
        )
        return {int(k): lang for k, lang in rows}

    @on_db
    def fields(self) -> list[str]:
        return [n for (n,) in self._conn.execute("SELECT name FROM fields ORDER BY name")]

    @on_db
    def all_keys(self) -> np.ndarray:
        from psycopg import sql

        return fetch_keys(self._conn, sql.SQL("true"), [])

    @on_db
    def select(
        self, *, include_langs: Any = None, exclude_langs: Any = None, conditions: Iterable[Condition] = ()
    ) -> np.ndarray | None:
        """Keys passing a filter (carrying its SQL predicate for the searches), or None: no filter."""

        conditions = list(conditions)
        if include_langs is None and not exclude_langs and not conditions:
            return None
        pred, args = where(
            include_langs=include_langs,
            exclude_langs=exclude_langs,
            conditions=conditions,
            known_fields=set(self.fields()) if conditions else set(),
        )
        keys = fetch_keys(self._conn, pred, args)
        return selection(keys, pred, args, self._owner)

    @property
    def _owner(self) -> tuple[str, str]:
        return (self.target.conninfo, self.target.schema)

    @on_db
    def dense_search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None):
        """(scores, keys) for query vectors: exact for small filtered sets, else HNSW."""
        from ._pg_search import dense_search

        q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        return dense_search(
            self._conn,
            q,
            int(k),
            predicate=keys_predicate(allowed, self._owner),
            filtered=None if allowed is None else len(allowed),
            total=self._size(),
            exact_filtered=self.exact_filtered,
            ef_search=int(dense_setting(self.manifest.dense, "ef_search")),
            iterative=self._iterative,
            stats=self.dense_stats,
        )

    @on_db
    def lexical_search(self, tokens: list[str], k: int, allowed: np.ndarray | None = None):
        from ._pg_search import lexical_search

        if allowed is not None and len(allowed) == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        return lexical_search(
            self._conn, list(tokens), int(k), predicate=keys_predicate(allowed, self._owner)
        )

    @on_db
    def info(self) -> dict[str, Any]:
        from ._pg_check import info_pg

        return info_pg(self)

    @on_db
    def check(self) -> Any:
        """A :class:`CheckReport`; a writer first builds an HNSW index that is due (what it does on closing)."""
        from ._pg_check import check_pg

        if not self.readonly:
            self.flush()
        return check_pg(self)


def fetch_keys(conn: Any, where: Any, args: list[Any]) -> np.ndarray:
    """The keys of the rows passing ``where``, in order, as int64: one bytea of big-endian
    int64s made by the server (``int8send``), read by numpy, so a filter allowing a million
    documents costs one value, not a million tuples."""
    from psycopg import sql

    query = sql.SQL("SELECT string_agg(int8send(key), ''::bytea ORDER BY key) FROM docs WHERE {}").format(
        where
    )
    blob = conn.execute(query, args).fetchone()[0]
    return np.frombuffer(bytes(blob), dtype=">i8").astype(np.int64) if blob else np.zeros(0, np.int64)


__all__ = ["PgReading", "fetch_keys"]
