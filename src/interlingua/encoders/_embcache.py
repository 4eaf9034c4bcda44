"""On-disk embedding cache: re-encoding a corpus costs a lookup, not a forward pass.

One SQLite file per encoder identity (stdlib, atomic commits, safe with several readers);
rows are keyed by a 16-byte BLAKE2 hash of role and text, values are raw float32 bytes.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._paths import cache_dir


def _wal(db: sqlite3.Connection, attempts: int = 200) -> None:
    """Switch the file to WAL. Two processes opening a new cache at once (dask workers of one
    machine) can both try; SQLite answers the loser "database is locked" at once, without its
    busy timeout, so the switch is retried (WAL is a property of the file: the winner's holds)."""
    for attempt in range(attempts):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.01 * (1 + attempt % 10))


def text_key(text: str, role: str) -> bytes:
    return hashlib.blake2b(f"{role}\0{text}".encode("utf-8", "surrogatepass"), digest_size=16).digest()


class EmbeddingCache:
    """Vectors by (encoder identity, role, text)."""

    def __init__(self, identity: str, dim: int, folder: Path | None = None):
        name = hashlib.blake2b(identity.encode(), digest_size=12).hexdigest()
        self.path = (folder or cache_dir("embeddings")) / f"{name}.sqlite"
        self.dim = dim
        self._db = sqlite3.connect(self.path, timeout=60)
        _wal(self._db)
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (k BLOB PRIMARY KEY, v BLOB NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('identity', ?)", (identity,))
        self._db.commit()

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), 500):  # SQLite's bound-parameter limit
            part = list(keys[start : start + 500])
            q = f"SELECT k, v FROM vec WHERE k IN ({','.join('?' * len(part))})"
            for k, v in self._db.execute(q, part):
                found[k] = np.frombuffer(v, dtype=np.float32)
        return found

    def put_many(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        rows = [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors)]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM vec").fetchone()[0]

    def close(self) -> None:
        self._db.close()
