"""``Collection``: the embedded backend. Documents in any mix of languages, with a catalog, a dense
index and a lexical index, in one folder.

Writes go to the catalog first, one SQLite transaction per batch: a batch is *acknowledged* when
:meth:`Collection.commit` has committed it. Batches are prepared (checked, labelled, encoded,
segmented) before anything is written, so a batch either index cannot take is never committed.
The indexes follow: the lexical index commits after every batch, the dense index is saved every
``flush_every`` changes and on :meth:`close`. Each index records the last catalog change it holds;
opening a collection replays what an index lacks from the catalog's change log, so a writer
killed at any moment loses no acknowledged batch. One writer at a time (``write.lock``); readers
need no lock. Nothing read from the folder can name a path outside it (``_paths``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ._catalog import CATALOG, Catalog, Condition, Document
from ._dense_faiss import exact_search
from ._indexes import (
    discard_new,
    new_folder,
    open_indexes,
    rebuild_indexes,
    remove_folder,
    resolve_space,
    save_dense,
)
from ._lock import LOCK_FILE, WriterLock, change_stamp
from ._manifest import MANIFEST, Manifest
from ._manifest_backed import ManifestBacked
from ._paths import check_own_files
from ._prepare import PreparedBatch
from ._spec import IndexSpec, creation_spec

#: a filtered set this small is searched exactly from the catalog's vectors
EXACT_FILTERED = 20_000


class Collection(ManifestBacked):
    """Open with :meth:`create` or :meth:`open`; use as a context manager (or call :meth:`close`)."""

    backend = "embedded"
    #: told (as a note) when a flush rebuilds the dense index as another factory: a minute or more
    #: for auto's IVF tier, inside an add that otherwise shows its own progress
    progress: Any = None

    def __init__(
        self,
        path: Path,
        manifest: Manifest,
        *,
        readonly: bool,
        lock_timeout: float = 0.0,
        flush_every: int = 50_000,
        create: bool = False,
    ):
        self.path, self.manifest, self.readonly = path, manifest, readonly
        self.uri = str(path)
        self.flush_every = flush_every
        check_own_files(path, [MANIFEST, CATALOG, LOCK_FILE])
        self._lock = None if readonly else WriterLock(path, timeout=lock_timeout)
        self.catalog = None
        try:
            self.catalog = Catalog(path, manifest.dim, readonly=readonly, create=create)
            self._space = None
            open_indexes(self)
        except BaseException:
            if self.catalog is not None:
                self.catalog.close()
                self.catalog = None
            if self._lock is not None:
                self._lock.release()
            raise

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | Path | IndexSpec,
        *,
        encoder: Any = None,
        space: Any = None,
        dense_index: str | None = None,
        flush_every: int = 50_000,
        **options: Any,
    ) -> Collection:
        """Make a new, empty collection (``path`` a folder that holds none yet, or an IndexSpec).

        ``space`` (or ``encoder``: a name, an Encoder, a Space) makes the vectors; its identity is
        recorded and any other is refused later. Other options are IndexSpec fields by name
        (``factory``, ``hnsw_threshold``, ``ef_search``, ``segmenter``, ``langid``); ``dense_index``
        "flat" / "hnsw" / "auto" is the old name of ``factory``.
        """
        from ..neutral import Space

        spec, given = creation_spec(
            path, options, dense_index=dense_index, given=space if space is not None else encoder
        )
        sp = Space.of(given) if given is not None else Space.of(spec.space)
        existed = Path(spec.uri).exists()
        folder, manifest = new_folder(spec, sp)
        try:
            col = cls(folder, manifest, readonly=False, flush_every=flush_every, create=True)
            try:
                manifest.write(folder)  # last: a folder without a manifest is not a collection yet
            except BaseException:
                col.close()
                raise
        except BaseException:
            discard_new(folder, existed)  # a create that fails leaves nothing behind
            raise
        col._space = sp
        return col

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        readonly: bool = False,
        encoder: Any = None,
        space: Any = None,
        lock_timeout: float = 0.0,
        flush_every: int = 50_000,
    ) -> Collection:
        """Open an existing collection. A writer takes ``write.lock`` (waiting up to
        ``lock_timeout`` seconds, else :class:`CollectionLockedError`); ``readonly`` takes none.
        ``space`` (or ``encoder``) replaces the collection's own space; its identity must match."""
        folder = Path(path)
        if not folder.is_dir():
            raise InputError(
                f"No collection at {folder}: the folder does not exist. Create one with "
                "`interlingua index create`."
            )
        col = cls(
            folder,
            Manifest.read(folder),
            readonly=readonly,
            lock_timeout=lock_timeout,
            flush_every=flush_every,
        )
        given = space if space is not None else encoder
        if given is not None:
            try:
                col.use_space(given)
            except BaseException:
                col.close()
                raise
        return col

    @classmethod
    def remove(cls, path: str | Path, *, lock_timeout: float = 0.0) -> None:
        """Delete the collection at ``path`` for good, once no other process writes it."""
        remove_folder(Path(path), lock_timeout)

    @property
    def _where(self) -> str:
        return str(self.path)

    def _space_spec(self) -> dict[str, Any] | None:
        # adapters named in the manifest live in the collection folder
        return resolve_space(self.path, self.manifest.space) if self.manifest.space else None

    def stamp(self) -> tuple:
        """Changes whenever any process writes the collection (see ``change_stamp``): a reader
        kept open compares it before each use and reopens when it differs."""
        return change_stamp(self.path, self.catalog)

    # -- writing ------------------------------------------------------------------------------
    def commit(self, batch: PreparedBatch, *, upsert: bool = False) -> int:
        """Write a prepared batch: one catalog transaction (acknowledged then), then both indexes."""
        self._writable()
        self.check_space(batch.space)
        docs = list(batch.docs)
        added, replaced = self.catalog.add(docs, batch.vectors, upsert=upsert)  # acknowledged here
        keys, gone = np.array(added, np.int64), np.array(replaced, np.int64)
        self.dense.remove(gone)
        self.dense.add(keys, batch.vectors)
        self.lexical.remove(gone)
        self.lexical.add(keys, [list(t) for t in batch.tokens])
        self._after_write(len(docs))
        return len(docs)

    def delete(self, ids: Iterable[str]) -> int:
        """Delete documents by id; returns how many were there (unknown ids are ignored)."""
        self._writable()
        keys = np.array(self.catalog.delete([str(i) for i in ids]), np.int64)
        self.dense.remove(keys)
        self.lexical.remove(keys)
        self._after_write(len(keys))
        return len(keys)

    def _after_write(self, n: int) -> None:
        self.lexical.commit()
        self.catalog.set_state({"lexical_seq": self.catalog.last_seq(), "lexical_dir": self._lexical_dir})
        self._pending += n
        if self._pending >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Save the dense index (rebuilt as auto's next tier, or with new IVF cells, when the
        collection has grown or shrunk past a threshold)."""
        self._writable()
        save_dense(self)

    def rebuild(self, *, force: bool = False) -> None:
        """Rebuild both indexes from the catalog (compacts HNSW tombstones, re-segments text); an
        index holding documents the catalog lacks is kept unless ``force``."""
        self._writable()
        rebuild_indexes(self, force=force)

    # -- reading ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.catalog.count()

    def get(self, ids: Iterable[str]) -> list[Document]:
        keys = self.catalog.keys_of(list(ids))
        docs = self.catalog.documents(list(keys.values()))
        return [docs[k] for k in keys.values()]

    def has_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` the collection holds."""
        return set(self.catalog.keys_of(list(ids)))

    def documents(self, keys: Iterable[int]) -> dict[int, Document]:
        return self.catalog.documents([int(k) for k in keys])

    def languages(self) -> dict[str, int]:
        """Documents per language, most first."""
        return self.catalog.languages()

    def languages_of(self, keys: Iterable[int]) -> dict[int, str]:
        """``{key: language}`` for the keys the collection holds (a key it lacks is left out)."""
        return self.catalog.langs_of([int(k) for k in keys])

    def all_keys(self) -> np.ndarray:
        return self.catalog.select_keys()

    def select(
        self, *, include_langs=None, exclude_langs=None, conditions: Iterable[Condition] = ()
    ) -> np.ndarray | None:
        """Keys passing a filter, or None when there is no filter (every document)."""
        conditions = list(conditions)
        if include_langs is None and not exclude_langs and not conditions:
            return None
        return self.catalog.select_keys(
            include_langs=include_langs, exclude_langs=exclude_langs, conditions=conditions
        )

    def dense_search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None):
        """(scores, keys) for query vectors; a small filtered set is searched exactly."""
        q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if allowed is not None and len(allowed) <= EXACT_FILTERED:
            return exact_search(q, self.catalog.vectors(allowed), np.asarray(allowed, np.int64), k)
        return self.dense.search(q, k, allowed)

    def lexical_search(self, tokens: list[str], k: int, allowed: np.ndarray | None = None):
        return self.lexical.search(tokens, k, allowed)

    def info(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "path": str(self.path),
            "backend": self.backend,
            "documents": len(self),
            "languages": self.languages(),
            "metadata_fields": self.catalog.fields(),
            "dense_kind": self.dense.kind,
            "dense_vectors": len(self.dense),
            "lexical_documents": len(self.lexical),
            "lexical_lag": self.lexical_lag,
            "manifest": asdict(self.manifest),
        }

    def check(self):
        from ._check import check_open_collection

        return check_open_collection(self)

    # -- closing ------------------------------------------------------------------------------
    def close(self) -> None:
        """Save the dense index and release everything; what cannot be saved is rebuilt from the
        catalog when the collection is next opened (the catalog already holds every batch)."""
        if getattr(self, "catalog", None) is None:
            return
        try:
            if not self.readonly:
                self.flush()
        finally:
            try:
                if not self.readonly:
                    self.lexical.close()
            finally:
                self.catalog.close()
                self.catalog = None
                if self._lock is not None:
                    self._lock.release()

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        try:
            self.close()
        except Exception:
            if exc_type is None:
                raise
            # the error already on its way is the one to report; this one would hide it

    def _writable(self) -> None:
        if self.readonly:
            raise InputError(f"The collection {self.path} was opened read-only.")
        if self.catalog is None:
            raise InputError(f"The collection {self.path} is closed.")


__all__ = ["Collection"]
