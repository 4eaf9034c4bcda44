"""The catalog: documents, their vectors and a change log in one SQLite file.

The catalog is the collection's source of truth. Each batch of writes is one SQLite
transaction (WAL journal, ``synchronous=FULL``): when :meth:`Catalog.add` returns, the batch is
on disk. Documents get an internal integer ``key`` that is never reused (``AUTOINCREMENT``);
an upsert gives the new text a new key. Every key written or removed is logged in
``changes``; the dense and lexical indexes record the last change they hold and catch up from
the log when a collection is opened, so an index file that lags behind (a writer killed before
it saved its indexes) loses nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CollectionError, DuplicateIdError, InputError
from ._filter_sql import Condition, where_clause
from ._sqlite import connect, damaged, guarded, sqlite_error, transaction

CATALOG = "catalog.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    key INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    lang TEXT NOT NULL,
    meta TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_lang ON docs(lang);
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, key INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fields (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Document:
    """One document of a collection: its id, text, BCP 47 language and JSON metadata."""

    id: str
    text: str
    lang: str = ""
    meta: dict[str, Any] = field(default_factory=dict, hash=False)


_TABLES = {"docs", "changes", "fields", "state"}
_CHUNK = 900  # values bound to one IN (...) query


class Catalog:
    """``create=True`` makes a new catalog; otherwise one must exist (a missing or damaged catalog
    is an error that says how to recover, never silently replaced by an empty one)."""

    def __init__(self, folder: Path, dim: int, *, readonly: bool = False, create: bool = False):
        self.path = folder / CATALOG
        self.dim = dim
        if create and self.path.exists():
            raise CollectionError(f"{self.path} already exists; refusing to overwrite a catalog")
        if not create:
            if not self.path.is_file():
                what = "is not a file" if self.path.exists() else "is missing"
                raise CollectionError(
                    f"{self.path}: the catalog {what}. It holds the documents and cannot be rebuilt from the indexes: "
                    "restore catalog.sqlite from a backup, or make a new collection and add the documents again"
                )
        uri = self.path.resolve().as_uri() + (
            "?mode=ro" if readonly else ("?mode=rwc" if create else "?mode=rw")
        )
        try:
            self.db = connect(uri, readonly)
            self.db.execute("PRAGMA busy_timeout=10000")
            if create:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.executescript(_SCHEMA)
            tables = {n for (n,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not readonly:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=FULL")
        except sqlite3.OperationalError as exc:
            if "unable to open" in str(exc):
                raise CollectionError(f"{self.path}: cannot open the catalog ({exc})") from None
            raise sqlite_error(self.path, exc) from None
        except sqlite3.DatabaseError as exc:
            raise sqlite_error(self.path, exc) from None
        missing = _TABLES - tables
        if missing:
            self.db.close()
            raise damaged(self.path, f"tables {', '.join(sorted(missing))} are missing")

    def close(self) -> None:
        self.db.close()

    # -- writes (each one transaction) -----------------------------------------------------
    @guarded
    def add(
        self, docs: Sequence[Document], vectors: np.ndarray, *, upsert: bool
    ) -> tuple[list[int], list[int]]:
        """Insert one batch atomically; returns the new keys and the keys an upsert replaced. A
        duplicate id aborts the batch."""
        seen: set[str] = set()
        for d in docs:
            if d.id in seen:
                raise DuplicateIdError(f"The document id {d.id!r} appears twice in one batch.")
            seen.add(d.id)
        blobs = np.ascontiguousarray(vectors, dtype=np.float32)
        keys: list[int] = []
        replaced: list[int] = []
        with transaction(self.db) as cur:
            for d, vec in zip(docs, blobs):
                old = cur.execute("SELECT key FROM docs WHERE id = ?", (d.id,)).fetchone()
                if old is not None:
                    if not upsert:
                        raise DuplicateIdError(
                            f"The document id {d.id!r} is already in the collection; use upsert to replace it."
                        )
                    cur.execute("DELETE FROM docs WHERE key = ?", old)
                    cur.execute("INSERT INTO changes(key) VALUES (?)", old)
                    replaced.append(old[0])
                cur.execute(
                    "INSERT INTO docs(id, text, lang, meta, vector) VALUES (?, ?, ?, ?, ?)",
                    (d.id, d.text, d.lang, json.dumps(d.meta, ensure_ascii=False), vec.tobytes()),
                )
                key = cur.lastrowid
                keys.append(key)
                cur.execute("INSERT INTO changes(key) VALUES (?)", (key,))
            names = {k for d in docs for k in d.meta}
            cur.executemany("INSERT OR IGNORE INTO fields(name) VALUES (?)", [(n,) for n in names])
        return keys, replaced

    @guarded
    def delete(self, ids: Sequence[str]) -> list[int]:
        keys = []
        with transaction(self.db) as cur:
            for i in ids:
                row = cur.execute("SELECT key FROM docs WHERE id = ?", (i,)).fetchone()
                if row is not None:
                    cur.execute("DELETE FROM docs WHERE key = ?", row)
                    cur.execute("INSERT INTO changes(key) VALUES (?)", row)
                    keys.append(row[0])
        return keys

    @guarded
    def set_state(self, values: dict[str, Any], *, trim_upto: int | None = None) -> None:
        with transaction(self.db) as cur:
            cur.executemany(
                "INSERT OR REPLACE INTO state(name, value) VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in values.items()],
            )
            if trim_upto is not None:
                cur.execute("DELETE FROM changes WHERE seq <= ?", (trim_upto,))

    # -- reads -----------------------------------------------------------------------------
    @guarded
    def state(self) -> dict[str, Any]:
        out = {}
        for k, v in self.db.execute("SELECT name, value FROM state"):
            try:
                out[k] = json.loads(v)
            except (TypeError, ValueError):
                raise CollectionError(
                    f"{self.path}: the catalog's state {k!r} holds {str(v)[:80]!r}, which is not "
                    "JSON; the collection is damaged or crafted"
                ) from None
        return out

    @guarded
    def data_version(self) -> int:
        """SQLite's ``PRAGMA data_version``: changes when another connection (any process) has
        committed since this connection last looked; no table is read, so a reader can ask before
        every use. Comparable only with values from this same connection."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    @guarded
    def last_seq(self) -> int:
        row = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
        return int(row[0]) if row else 0

    @guarded
    def changed_since(self, seq: int) -> tuple[np.ndarray, np.ndarray]:
        """Keys changed after ``seq``: (live keys to (re)add, keys no longer live)."""
        touched = [k for (k,) in self.db.execute("SELECT DISTINCT key FROM changes WHERE seq > ?", (seq,))]
        if not touched:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        live = set(self.existing(touched))
        return (np.array(sorted(live), np.int64), np.array(sorted(set(touched) - live), np.int64))

    @guarded
    def existing(self, keys: Sequence[int]) -> list[int]:
        return [k for rows in self._rows_in("key", "key", list(keys)) for (k,) in rows]

    @guarded
    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    @guarded
    def languages(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT lang, COUNT(*) FROM docs GROUP BY lang ORDER BY 2 DESC"))

    @guarded
    def fields(self) -> list[str]:
        return [n for (n,) in self.db.execute("SELECT name FROM fields ORDER BY name")]

    @guarded
    def has_id(self, doc_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM docs WHERE id = ?", (doc_id,)).fetchone() is not None

    @guarded
    def documents(self, keys: Sequence[int]) -> dict[int, Document]:
        out = {}
        for rows in self._rows_in("key, id, text, lang, meta", "key", [int(k) for k in keys]):
            for key, i, text, lang, meta in rows:
                out[key] = Document(i, text, lang, _meta(meta, self.path))
        return out

    @guarded
    def langs_of(self, keys: Sequence[int]) -> dict[int, str]:
        """The language of each key the catalog holds (no text, no metadata: cheap per query)."""
        out: dict[int, str] = {}
        for rows in self._rows_in("key, lang", "key", [int(k) for k in keys]):
            out.update(rows)
        return out

    @guarded
    def keys_of(self, ids: Sequence[str]) -> dict[str, int]:
        out = {}
        for rows in self._rows_in("id, key", "id", list(ids)):
            out.update(dict(rows))
        return out

    @guarded
    def vectors(self, keys: Sequence[int]) -> np.ndarray:
        """Vectors of ``keys``, in the order given (every key must exist)."""
        keys = [int(k) for k in keys]
        found: dict[int, bytes] = {}
        for rows in self._rows_in("key, vector", "key", keys):
            found.update(rows)
        return self._stack([found[k] for k in keys])

    @guarded
    def iter_rows(
        self, batch: int = 10_000, keys: np.ndarray | None = None
    ) -> Iterator[tuple[np.ndarray, list[str], np.ndarray]]:
        """(keys, texts, vectors) in batches: of the whole catalog, or of ``keys``."""
        if keys is not None:
            for rows in self._rows_in("key, text, vector", "key", [int(k) for k in keys], " ORDER BY key"):
                yield self._unzip(rows)
            return
        last = -1
        while True:
            rows = self.db.execute(
                "SELECT key, text, vector FROM docs WHERE key > ? ORDER BY key LIMIT ?", (last, batch)
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield self._unzip(rows)

    @guarded
    def select_keys(
        self,
        *,
        include_langs: Sequence[str] | None = None,
        exclude_langs: Sequence[str] | None = None,
        conditions: Sequence[Condition] = (),
    ) -> np.ndarray:
        """Keys of the documents that pass a language and metadata filter."""
        where, args = where_clause(
            include_langs=include_langs,
            exclude_langs=exclude_langs,
            conditions=conditions,
            known_fields=set(self.fields()) if conditions else set(),
        )
        return np.fromiter(
            (k for (k,) in self.db.execute("SELECT key FROM docs" + where, args)), dtype=np.int64
        )

    @guarded
    def integrity(self) -> list[str]:
        problems = [r for (r,) in self.db.execute("PRAGMA integrity_check") if r != "ok"]
        bad = self.db.execute(
            "SELECT COUNT(*) FROM docs WHERE length(vector) != ?", (4 * self.dim,)
        ).fetchone()[0]
        if bad:
            problems.append(f"{bad} vector(s) in {CATALOG} do not have dimension {self.dim}")
        bad_meta = self.db.execute("SELECT COUNT(*) FROM docs WHERE json_valid(meta) = 0").fetchone()[0]
        if bad_meta:
            problems.append(f"{bad_meta} document(s) in {CATALOG} have metadata that is not JSON")
        return problems

    # -- helpers -----------------------------------------------------------------------------
    def _rows_in(self, columns: str, column: str, values: list, order: str = "") -> Iterator[list[tuple]]:
        """The rows of ``SELECT columns FROM docs WHERE column IN (values)``, a list per chunk of
        ``values`` (SQLite bounds the number of parameters of one statement)."""
        for i in range(0, len(values), _CHUNK):
            chunk = values[i : i + _CHUNK]
            q = f"SELECT {columns} FROM docs WHERE {column} IN ({','.join('?' * len(chunk))}){order}"
            yield self.db.execute(q, chunk).fetchall()

    def _stack(self, blobs: list[bytes]) -> np.ndarray:
        if not blobs:
            return np.zeros((0, self.dim), np.float32)
        if any(not isinstance(b, bytes) or len(b) != 4 * self.dim for b in blobs):
            raise CollectionError(
                f"{self.path}: a stored vector does not have the manifest's dimension {self.dim}; "
                "the catalog is damaged or crafted"
            )
        return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), self.dim).copy()

    def _unzip(self, rows) -> tuple[np.ndarray, list[str], np.ndarray]:
        return (
            np.array([r[0] for r in rows], np.int64),
            [r[1] for r in rows],
            self._stack([r[2] for r in rows]),
        )


def _meta(raw: Any, path: Path) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        value = None
    if not isinstance(value, dict):
        raise CollectionError(
            f"{path}: a document's metadata is not a JSON object; the catalog is damaged or crafted"
        )
    return value


def as_document(raw: Any, i: int) -> Document:
    """A Document from a Document, an io Record, a dict (id/text/lang/meta) or a string."""
    if isinstance(raw, Document):
        return raw
    if isinstance(raw, str):
        return Document(str(i), raw)
    if isinstance(raw, dict):
        get = raw.get
    else:

        def get(name, default=None):
            return getattr(raw, name, default)

    text, doc_id = get("text"), get("id")
    if not isinstance(text, str):
        raise InputError(f"Document {i} has no text (its 'text' is {type(text).__name__}).")
    if doc_id is None or str(doc_id) == "":
        raise InputError(f"Document {i} has no id.")
    meta = get("meta") or {}
    if not isinstance(meta, dict):
        raise InputError(
            f"The metadata of document {doc_id!r} must be a JSON object. Got {type(meta).__name__}."
        )
    return Document(str(doc_id), text, get("lang") or "", meta)


__all__ = ["CATALOG", "Catalog", "Condition", "Document", "DuplicateIdError"]
