"""``PostgresCollection``: a collection in PostgreSQL + pgvector, behind the same protocol as the
embedded backend (one contract suite checks both).

Opened by URI (``postgresql://...?collection=NAME``; see ``_pg_connect``), a collection is one
schema (``_pg_schema``). Each batch is one transaction (``_pg_write``): acknowledged when
:meth:`commit` returns; documents, vectors and tsvectors are rows of one table, so there is no
index to catch up after a crash. One writer at a time: a session advisory lock keyed by the
schema's oid (the server drops it when the writer's connection ends, ``kill -9`` included);
readers take none and may be many, in any process.

Bulk loads: the HNSW index is built once after loading rather than row by row (measured: see
``REBUILD_SHARE``): a collection gets it when its writer flushes or closes, and a writer that has
added more than a few percent of an indexed collection drops it first (rebuilt at flush). Until
then searches are exact, so results never depend on the index being there.
"""

from __future__ import annotations

import functools
import threading
import time
import warnings
from collections.abc import Iterable
from typing import Any

from ..errors import CollectionLockedError, DatabaseWarning, InputError
from ._collection import EXACT_FILTERED
from ._manifest import Manifest
from ._manifest_backed import ManifestBacked
from ._pg_connect import (
    ITERATIVE_PGVECTOR,
    LOCK_CLASS,
    PgTarget,
    connect,
    db_errors,
    ensure_pgvector,
    on_db,
    parse_uri,
)
from ._pg_reads import PgReading
from ._pg_schema import (
    build_hnsw,
    create_schema,
    drop_hnsw,
    drop_schema,
    hnsw_index,
    hnsw_params,
    read_manifest,
    schema_oid,
)
from ._prepare import PreparedBatch, check_vectors
from ._spec import IndexSpec, creation_spec

#: a writer that has put this share of the collection (and at least REBUILD_MIN_ROWS rows) into
#: the HNSW graph since it opened drops the index before its next commit and builds it again at
#: flush/close: measured on 200k x 384-d (pgvector 0.8.6, m 32, ef_construction 100, a shared
#: 2-core machine), rows went into the indexed table at 9/s, into an unindexed one at 9,000/s,
#: and a whole build ran at 137 rows/s: past ~7% new rows one build is cheaper
REBUILD_SHARE = 0.05
REBUILD_MIN_ROWS = 1000


class PostgresCollection(ManifestBacked, PgReading):
    """Open with :meth:`create` or :meth:`open`; use as a context manager (or call :meth:`close`)."""

    backend = "postgres"
    #: a filter allowing at most this many documents is searched exactly (as the embedded backend)
    exact_filtered = EXACT_FILTERED

    def __init__(
        self, target: PgTarget, conn: Any, manifest: Manifest, *, readonly: bool, lock_timeout: float
    ):
        from ._pg_connect import pgvector
        from ._pg_write import register_types

        self.target, self.manifest, self.readonly = target, manifest, readonly
        self.uri = target.uri
        self._conn, self._mutex, self._space = conn, threading.RLock(), None
        #: how many dense queries were answered exactly, by HNSW, or by HNSW then exactly
        self.dense_stats: dict[str, int] = {}
        try:
            with db_errors(target):
                self._oid = schema_oid(conn, target)
                found = pgvector(conn)
                if found is None:
                    from ..errors import DatabaseError

                    raise DatabaseError(
                        f"{target.server}: the pgvector extension was removed from the database"
                    )
                self.pgvector = found[1]
                register_types(conn)
                if not readonly:
                    self._take_lock(lock_timeout)
                self._count = self._rows()
                self._grown = 0  # rows this writer added since it opened, or last built the index
        except BaseException:
            conn.close()
            self._conn = None
            raise
        self._iterative = self.pgvector >= ITERATIVE_PGVECTOR
        if not self._iterative:
            warnings.warn(
                f"{target.server} has pgvector {'.'.join(map(str, self.pgvector))}: no iterative index scans, so "
                "filtered searches over-fetch (ef_search 1000) and fall back to exact search; update pgvector to "
                ">= 0.8 for full filtered results at HNSW speed.",
                DatabaseWarning,
                stacklevel=3,
            )

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        uri: str | IndexSpec,
        *,
        encoder: Any = None,
        space: Any = None,
        dense_index: str | None = None,
        **options: Any,
    ) -> PostgresCollection:
        """Make a new, empty collection (a URI naming none yet, or an IndexSpec); see
        ``Collection.create`` for the options. A space with adapters is refused: the embedded
        backend copies their files into its folder, this one does not store files yet."""
        from ..neutral import Space

        spec, given = creation_spec(
            uri, options, dense_index=dense_index, given=space if space is not None else encoder
        )
        target = parse_uri(spec.uri)
        sp = Space.of(given) if given is not None else Space.of(spec.space)
        if sp.adapters:
            raise InputError(
                f"PostgreSQL collections cannot hold a space's adapters yet ({len(sp.adapters)} given); make "
                f"{target.display} without adapters, or use a collection folder (the embedded backend) for this space."
            )
        manifest = Manifest.new(
            spec,
            sp,
            space=sp.spec.to_dict() if sp.spec is not None else {},
            lexical={"engine": "postgresql", "scoring": "ts_rank"},
            backend=cls.backend,
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        conn = connect(target, readonly=False)
        try:
            with db_errors(target, "create the collection's schema"):
                ensure_pgvector(conn, target)
                create_schema(conn, target, manifest)
        except BaseException:
            conn.close()
            raise
        col = cls(target, conn, manifest, readonly=False, lock_timeout=0.0)
        col._space = sp
        return col

    @classmethod
    def open(
        cls,
        uri: str,
        *,
        readonly: bool = False,
        encoder: Any = None,
        space: Any = None,
        lock_timeout: float = 0.0,
        **_: Any,
    ) -> PostgresCollection:
        """Open an existing collection; a writer takes the advisory lock (waiting up to
        ``lock_timeout`` seconds, else :class:`CollectionLockedError`), ``readonly`` none."""
        target = parse_uri(uri)
        conn = connect(target, readonly=readonly)
        try:
            with db_errors(target):
                manifest = read_manifest(conn, target)
        except BaseException:
            conn.close()
            raise
        col = cls(target, conn, manifest, readonly=readonly, lock_timeout=lock_timeout)
        given = space if space is not None else encoder
        if given is not None:
            try:
                col.use_space(given)
            except BaseException:
                col.close()
                raise
        return col

    @classmethod
    def remove(cls, uri: str, *, lock_timeout: float = 0.0) -> None:
        """Drop the collection's schema for good, once no other writer holds it."""
        col = cls.open(uri, lock_timeout=lock_timeout)
        try:
            with col._mutex, db_errors(col.target, "remove the collection"):
                drop_schema(col._conn, col.target)
        finally:
            col._conn.close()
            col._conn = None

    def _take_lock(self, timeout: float) -> None:
        key = (LOCK_CLASS << 32) | int(self._oid)
        deadline = time.monotonic() + max(0.0, timeout)
        while not self._conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
            if time.monotonic() >= deadline:
                row = self._conn.execute(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s"
                    " AND objid = %s AND objsubid = 1",
                    (LOCK_CLASS, int(self._oid)),
                ).fetchone()
                holder = f" (PostgreSQL backend {row[0]})" if row else ""
                raise CollectionLockedError(
                    f"The collection {self.target.display} is locked by another writer{holder}; wait for it to "
                    "finish (or pass a lock timeout to wait), then try again."
                )
            time.sleep(0.05)

    @on_db
    def stamp(self) -> tuple:
        """Changes whenever any process writes the collection (the change counter), or removes
        and makes it again (the schema's oid)."""
        row = self._conn.execute("SELECT changes FROM counter").fetchone()
        return (schema_oid(self._conn, self.target), int(row[0]) if row else -1)

    # -- writing ---------------------------------------------------------------------------------
    @on_db
    def commit(self, batch: PreparedBatch, *, upsert: bool = False) -> int:
        """Write a prepared batch in one transaction (binary COPY); nothing of it when it fails."""
        from ._pg_write import write_batch

        self._writable()
        self.check_space(batch.space)
        vectors = check_vectors(batch.vectors, len(batch.docs), self.manifest.dim)
        before = None
        grown = self._grown + len(batch)
        if (
            grown >= max(REBUILD_MIN_ROWS, REBUILD_SHARE * self._count)
            and hnsw_index(self._conn, self.target)[0]
        ):
            before = functools.partial(drop_hnsw, target=self.target)  # rebuilt at flush / close
        replaced = write_batch(self._conn, batch.docs, vectors, batch.tokens, upsert=upsert, before=before)
        self._count += len(batch) - len(replaced)
        self._grown = grown
        return len(batch)

    @on_db
    def delete(self, ids: Iterable[str]) -> int:
        from ._pg_write import delete_ids

        self._writable()
        gone = delete_ids(self._conn, [str(i) for i in ids])
        self._count -= len(gone)
        return len(gone)

    @on_db
    def flush(self) -> None:
        """Build the HNSW index when the collection should have one and has none (after a bulk load)."""
        self._writable()
        wanted = hnsw_params(self.manifest, self._count)
        present, valid = hnsw_index(self._conn, self.target)
        if wanted is not None and not (present and valid):
            build_hnsw(self._conn, self.target, *wanted, self._count, self.manifest.dim)
            self._grown = 0

    @on_db
    def rebuild(self, *, force: bool = False) -> None:
        """Re-segment every text and recompute its tsvector (one transaction), then build the HNSW
        index afresh (``force`` is accepted for the protocol: nothing here can hold documents the
        table lacks)."""
        from ._pg_write import retokenize

        self._writable()
        retokenize(self._conn, self.segment)
        wanted = hnsw_params(self.manifest, self._count)
        if wanted is not None:
            build_hnsw(self._conn, self.target, *wanted, self._count, self.manifest.dim)
        else:
            drop_hnsw(self._conn, self.target)
        self._grown = 0

    # -- closing -----------------------------------------------------------------------------------
    def close(self) -> None:
        """A writer builds the HNSW index when due, then releases its lock (with its connection)."""
        if getattr(self, "_conn", None) is None:
            return
        try:
            if not self.readonly:
                self.flush()
        finally:
            with self._mutex:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> PostgresCollection:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        try:
            self.close()
        except Exception:
            if exc_type is None:
                raise

    @property
    def _where(self) -> str:
        return self.target.display

    def _writable(self) -> None:
        if self.readonly:
            raise InputError(f"The collection {self.target.display} was opened read-only.")


__all__ = ["PostgresCollection"]
