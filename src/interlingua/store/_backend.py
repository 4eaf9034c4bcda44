"""The two small interfaces a collection's indexes implement (one shared contract test checks
every implementation: ``tests/store/test_store_backends.py``).

Both are keyed by the catalog's integer document keys, hold no text of their own that cannot be
rebuilt from the catalog, and persist as files in the collection folder. ``allowed`` restricts
a search to a set of keys (a language or metadata filter); ``None`` means all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class DenseBackend(Protocol):
    kind: str

    def __len__(self) -> int: ...

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, keys: np.ndarray) -> None: ...

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, keys), each ``(n_queries, k)``; missing places hold key -1."""
        ...

    def save(self, path: Path) -> None: ...


@runtime_checkable
class LexicalBackend(Protocol):
    def __len__(self) -> int: ...

    def add(self, keys: np.ndarray, tokens: list[list[str]]) -> None:
        """Index documents given as token lists (replaces a key already present)."""
        ...

    def remove(self, keys: np.ndarray) -> None: ...

    def commit(self) -> None: ...

    def search(
        self, tokens: list[str], k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, keys) of the best ``k`` documents, best first (fewer when fewer match)."""
        ...

    def close(self) -> None: ...


__all__ = ["DenseBackend", "LexicalBackend"]
