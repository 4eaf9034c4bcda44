"""How the catalog talks to SQLite: opening it (read-only media included), one transaction per
batch, and turning SQLite's errors into the two a user can act on.

A full disk or a read-only file is a :class:`StorageError` (what the catalog held is kept); any
other database error means the file is damaged or crafted, and says how to recover.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sqlite3
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import CollectionError, RepairWarning, StorageError


def damaged(path: Path, why: object) -> CollectionError:
    return CollectionError(
        f"{path}: the catalog is damaged ({why}). It is the collection's source of truth and cannot be rebuilt "
        "from the indexes: restore catalog.sqlite from a backup, or make a new collection and add the documents again"
    )


def sqlite_error(path: Path, exc: sqlite3.DatabaseError) -> Exception:
    """A full disk or a read-only file is a storage error (the catalog is fine); the rest is damage."""
    text = str(exc)
    if "disk is full" in text or "readonly" in text or "read-only" in text or "disk I/O error" in text:
        why = "the disk is full or cannot be written (disk I/O error)" if "I/O" in text else text
        return StorageError(f"{path}: cannot write the catalog: {why}; what it held before is kept")
    return damaged(path, exc)


def guarded(method: Callable) -> Callable:
    """Turn SQLite's "file is not a database" / "malformed" / "disk full" errors of a method of an
    object with a ``path`` into one clear error; a generator method is guarded while it is consumed."""
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def gen_wrapper(self: Any, *args: Any, **kwargs: Any) -> Iterator:
            try:
                yield from method(self, *args, **kwargs)
            except sqlite3.IntegrityError:
                raise
            except sqlite3.DatabaseError as exc:
                raise sqlite_error(self.path, exc) from None

        return gen_wrapper

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.DatabaseError as exc:
            raise sqlite_error(self.path, exc) from None

    return wrapper


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Cursor]:
    """One write transaction, taken up front (``BEGIN IMMEDIATE``) so a second writer waits rather
    than failing half-way; anything raised inside rolls it back."""
    cur = db.cursor()
    cur.execute("BEGIN IMMEDIATE")
    try:
        yield cur
        cur.execute("COMMIT")
    except BaseException:
        _rollback(db)
        raise


def _rollback(db: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already (a full disk aborts it itself): the
    error worth reporting is the one that stopped the batch, not a failed rollback."""
    if db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            pass


def connect(uri: str, readonly: bool) -> sqlite3.Connection:
    """A connection; a reader on a folder it cannot write (read-only media) opens the file immutably,
    since SQLite's WAL mode needs to write its shared-memory file even to read."""
    db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    if not readonly:
        return db
    try:
        db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        return db
    except sqlite3.OperationalError as exc:
        if "unable to open" not in str(exc) and "readonly" not in str(exc):
            raise
        db.close()
    warnings.warn(
        f"{uri}: the folder cannot be written, so the catalog is read as it is on disk (changes still in its "
        "write-ahead log, from a writer that did not close, are not seen)",
        RepairWarning,
        stacklevel=4,
    )
    return sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None, check_same_thread=False)
