"""Collection backends behind one protocol, opened by URI through a registry.

A folder path is the embedded backend (SQLite catalog + faiss + tantivy in one folder);
``postgresql://...?collection=NAME`` the PostgreSQL one (``_postgres``). Search, check and evaluation use only the
protocol, so a backend is a seam at collection level: catalog, dense and lexical indexes, lock
and change log together.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._registry import Registry
from ..errors import InputError
from ._catalog import Condition, Document
from ._prepare import PreparedBatch
from ._spec import IndexSpec


@runtime_checkable
class CollectionBackend(Protocol):
    """What every collection backend does (one contract test suite checks each)."""

    uri: str
    backend: str
    readonly: bool

    @property
    def space(self) -> Any: ...

    @property
    def segmenter(self) -> str:
        """How the collection cuts words for its lexical index (documents and queries alike)."""
        ...

    @property
    def langid(self) -> str:
        """The language-ID backend that labels documents and queries given without a language."""
        ...

    def use_space(self, space: Any) -> None: ...

    def check_space(self, identity: str) -> None: ...

    def segment(self, text: str) -> list[str]: ...

    def prepare(
        self,
        docs: Iterable[Any],
        *,
        vectors: np.ndarray | None = None,
        identity: str | None = None,
        start: int = 0,
    ) -> PreparedBatch: ...

    def commit(self, batch: PreparedBatch, *, upsert: bool = False) -> int: ...

    def add(self, docs: Iterable[Any], **options: Any) -> int: ...

    def delete(self, ids: Iterable[str]) -> int: ...

    def get(self, ids: Iterable[str]) -> list[Document]: ...

    def has_ids(self, ids: Iterable[str]) -> set[str]: ...

    def documents(self, keys: Iterable[int]) -> dict[int, Document]: ...

    def languages(self) -> dict[str, int]: ...

    def languages_of(self, keys: Iterable[int]) -> dict[int, str]: ...

    def all_keys(self) -> np.ndarray: ...

    def select(
        self, *, include_langs: Any = None, exclude_langs: Any = None, conditions: Iterable[Condition] = ()
    ) -> np.ndarray | None: ...

    def dense_search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...

    def lexical_search(
        self, tokens: list[str], k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...

    def info(self) -> dict[str, Any]: ...

    def stamp(self) -> Any:
        """A value that changes whenever any process writes the collection (a long-lived reader
        compares it to know it must reopen)."""
        ...

    def check(self) -> Any: ...

    def rebuild(self, *, force: bool = False) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...

    def __len__(self) -> int: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: Any) -> None: ...


def _load() -> None:
    from ._collection import Collection
    from ._postgres import PostgresCollection

    STORE_BACKENDS.register("embedded", Collection, description="one folder: SQLite catalog, faiss, tantivy")
    STORE_BACKENDS.register(
        "postgres",
        PostgresCollection,
        description="postgresql://...?collection=NAME: PostgreSQL + pgvector (HNSW), tsvector lexical search",
    )


#: backend name -> class with ``create(spec)`` and ``open(uri, ...)``
STORE_BACKENDS: Registry[Any] = Registry("store-backends", kind="store backend", loader=_load)
#: URI scheme -> backend name
SCHEMES = {"postgresql": "postgres", "postgres": "postgres"}


def backend_for(uri: Any) -> str:
    text = str(uri)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if not scheme:
        return "embedded"
    if scheme not in SCHEMES:
        raise InputError(
            f"Unknown collection URI scheme {scheme!r} in {text!r}; give a folder path"
            f" or one of {', '.join(sorted(SCHEMES))}://..."
        )
    return SCHEMES[scheme]


def open_collection(uri: Any, *, readonly: bool = False, lock_timeout: float = 0.0, space: Any = None) -> Any:
    """Open a collection by URI (a folder path: the embedded backend)."""
    if not isinstance(uri, str) and hasattr(uri, "commit"):
        return uri  # already open
    cls = STORE_BACKENDS.get(backend_for(uri))
    return cls.open(uri, readonly=readonly, lock_timeout=lock_timeout, space=space)


def create_collection(spec: IndexSpec, *, space: Any = None) -> Any:
    """Make a new collection from an :class:`IndexSpec` (``space`` overrides ``spec.space``)."""
    spec.validate()
    cls = STORE_BACKENDS.get(backend_for(spec.uri))
    return cls.create(spec, space=space)


def is_collection(uri: Any) -> bool:
    """Whether ``uri`` names a collection: a URI of another backend is taken as one; a folder must
    hold a manifest (a folder of collections does not, nor a create that has not finished)."""
    if backend_for(uri) != "embedded":
        return True
    from ._manifest import MANIFEST

    folder = Path(str(uri))
    return folder.is_dir() and (folder / MANIFEST).is_file()


def remove_collection(uri: Any, *, lock_timeout: float = 0.0) -> None:
    """Delete a collection for good, once no other writer holds it (else :class:`CollectionLockedError`)."""
    STORE_BACKENDS.get(backend_for(uri)).remove(uri, lock_timeout=lock_timeout)


def check_collection(uri: Any, *, repair: bool = True, lock_timeout: float = 0.0) -> Any:
    """Check a collection (a :class:`CheckReport`); with ``repair`` (the default) it is opened as a
    writer, which catches its indexes up with the catalog first (what any writer does on opening)."""
    with open_collection(uri, readonly=not repair, lock_timeout=lock_timeout) as col:
        return col.check()


__all__ = [
    "STORE_BACKENDS",
    "check_collection",
    "CollectionBackend",
    "backend_for",
    "create_collection",
    "is_collection",
    "open_collection",
    "remove_collection",
]
