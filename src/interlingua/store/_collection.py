"""``Collection``: documents in any mix of languages, with a catalog, a dense index and a
lexical index, in one folder (the embedded backend).

Writes go to the catalog first, one SQLite transaction per batch: a batch is *acknowledged*
when :meth:`Collection.add` has committed it (``on_batch`` is called then). The indexes follow:
the lexical index commits after every batch, the dense index is saved every ``flush_every``
changes and on :meth:`close`. Each index records the last catalog change it holds; opening a
collection replays what an index lacks from the catalog's change log, so a writer killed at any
moment loses no acknowledged batch. One writer at a time (``write.lock``); readers need no lock.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_choice, check_int
from ..errors import InputError
from ._catalog import Catalog, Condition, Document, as_document
from ._dense_faiss import STORAGES, FaissDense, exact_search, tombstone_path
from ._lexical_tantivy import TantivyLexical, remove_index
from ._lock import WriterLock
from ._manifest import MANIFEST, Manifest

DENSE_INDEXES = ("auto", "flat", "hnsw")


class EncoderMismatchError(InputError):
    """Vectors from another encoder than the one that built the collection."""


class Collection:
    """Open with :meth:`create` or :meth:`open`; use as a context manager (or call :meth:`close`)."""

    def __init__(self, path: Path, manifest: Manifest, *, readonly: bool, lock_timeout: float = 0.0,
                 flush_every: int = 50_000):
        self.path, self.manifest, self.readonly = path, manifest, readonly
        self.flush_every = flush_every
        self._lock = None if readonly else WriterLock(path, timeout=lock_timeout)
        try:
            self.catalog = Catalog(path, manifest.dim, readonly=readonly)
            self._encoder = None
            self._open_indexes()
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, *, encoder: Any = "e5-small", dense_index: str = "auto", storage: str = "fp32",
               hnsw_threshold: int = 50_000, hnsw_m: int = 32, ef_search: int = 512, segmenter: str = "bigram",
               flush_every: int = 50_000) -> Collection:
        """Make a new, empty collection in ``path`` (which must not hold one already).

        ``encoder`` is a name for :func:`~interlingua.encoders.get_encoder` or an Encoder; its
        identity is recorded and any other encoder is refused later. ``dense_index`` "auto" is
        exact search up to ``hnsw_threshold`` documents and HNSW above; ``storage`` is fp32, fp16
        or sq8 (8-bit scalar quantization).
        """
        from ..encoders import get_encoder
        from ..text._segment import METHODS

        check_choice(dense_index, DENSE_INDEXES, "dense_index")
        check_choice(storage, STORAGES, "storage")
        check_choice(segmenter, METHODS, "segmenter")
        check_int(hnsw_threshold, "hnsw_threshold", low=0)
        check_int(hnsw_m, "hnsw_m", low=4)
        check_int(ef_search, "ef_search", low=1)
        enc = get_encoder(encoder) if isinstance(encoder, str) else encoder
        folder = Path(path)
        if (folder / MANIFEST).exists():
            raise InputError(f"{folder} already holds a collection; open it instead, or choose another folder.")
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{folder} exists and is not a folder.")
        folder.mkdir(parents=True, exist_ok=True)
        manifest = Manifest(encoder=enc.identity, encoder_name=enc.name, dim=int(enc.dim),
                            dense={"index": dense_index, "storage": storage, "hnsw_threshold": hnsw_threshold,
                                   "hnsw_m": hnsw_m, "ef_construction": 100, "ef_search": ef_search},
                            lexical={"engine": "tantivy", "scoring": "bm25", "segmenter": segmenter})
        manifest.write(folder)
        col = cls(folder, manifest, readonly=False, flush_every=flush_every)
        col._encoder = enc
        return col

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False, encoder: Any = None, lock_timeout: float = 0.0,
             flush_every: int = 50_000) -> Collection:
        """Open an existing collection. A writer takes ``write.lock`` (waiting up to
        ``lock_timeout`` seconds, else :class:`CollectionLockedError`); ``readonly`` takes none."""
        folder = Path(path)
        if not folder.is_dir():
            raise InputError(f"No collection at {folder}: the folder does not exist. Create one with "
                             "`interlingua index create`.")
        col = cls(folder, Manifest.read(folder), readonly=readonly, lock_timeout=lock_timeout, flush_every=flush_every)
        if encoder is not None:
            try:
                col.check_encoder(encoder if isinstance(encoder, str) and "|" in encoder else _identity(encoder))
            except BaseException:
                col.close()
                raise
            if not isinstance(encoder, str):
                col._encoder = encoder
        return col

    def _open_indexes(self) -> None:
        state = self.catalog.state()
        last = self.catalog.last_seq()
        cfg = self.manifest.dense
        self._dense_file = state.get("dense_file")
        self._dense_seq = int(state.get("dense_seq", 0))
        self.dense = None
        if self._dense_file:
            try:
                self.dense = FaissDense.load(self.path / self._dense_file, self.manifest.dim, kind=state["dense_kind"],
                                             storage=cfg["storage"], ef_search=cfg["ef_search"])
            except (InputError, OSError) as exc:  # e.g. replaced by a writer's save while we opened
                warnings.warn(f"{exc}; the dense index is rebuilt from the catalog.", stacklevel=3)
        if self.dense is None or self._dense_seq > last:
            self.dense, self._dense_seq = self._build_dense(self._dense_kind_for(self.catalog.count())), last
            self._dense_file = None
        else:
            self._replay_dense(self._dense_seq)
        self._lexical_dir = state.get("lexical_dir", "lexical-0")
        lex_seq = int(state.get("lexical_seq", 0))
        fresh = not (self.path / self._lexical_dir / "meta.json").exists()
        if self.readonly and fresh and self.catalog.count():
            raise InputError(f"The collection {self.path} has lost its lexical index; open it for writing once "
                             "(e.g. `interlingua index check`) to rebuild it from the catalog.")
        self.lexical = TantivyLexical(self.path / self._lexical_dir, writable=not self.readonly)
        if not self.readonly and fresh and self.catalog.count():  # lost or never built: index everything
            self._lexical_apply(self.catalog.select_keys(), np.zeros(0, np.int64))
            self.catalog.set_state({"lexical_seq": last, "lexical_dir": self._lexical_dir})
            lex_seq = last
        if not self.readonly and lex_seq < last:
            live, gone = self.catalog.changed_since(lex_seq)
            self._lexical_apply(live, gone)
            self.catalog.set_state({"lexical_seq": last, "lexical_dir": self._lexical_dir})
        self.lexical_lag = last - lex_seq if self.readonly and lex_seq < last else 0
        self._pending = 0

    def _dense_kind_for(self, n: int) -> str:
        cfg = self.manifest.dense
        if cfg["index"] != "auto":
            return cfg["index"]
        return "hnsw" if n > cfg["hnsw_threshold"] else "flat"

    def _build_dense(self, kind: str) -> FaissDense:
        cfg = self.manifest.dense
        dense = FaissDense(self.manifest.dim, kind=kind, storage=cfg["storage"], hnsw_m=cfg["hnsw_m"],
                           ef_construction=cfg["ef_construction"], ef_search=cfg["ef_search"])
        if cfg["storage"] == "sq8" and self.catalog.count():  # train the quantizer on a sample of all vectors
            keys = self.catalog.select_keys()
            sample = np.random.default_rng(0).choice(keys, size=min(len(keys), 100_000), replace=False)
            dense.index.train(self.catalog.vectors(sample))
        for keys, _, vecs in self.catalog.iter_rows():
            dense.add(keys, vecs)
        return dense

    def _replay_dense(self, since: int) -> None:
        live, gone = self.catalog.changed_since(since)
        self.dense.remove(np.concatenate([live, gone]))
        for keys, _, vecs in self.catalog.iter_rows(keys=live):
            self.dense.add(keys, vecs)
        self._dense_seq = self.catalog.last_seq()

    def _lexical_apply(self, live: np.ndarray, gone: np.ndarray) -> None:
        from ..text._segment import segment_words

        method = self.manifest.lexical.get("segmenter", "bigram")
        self.lexical.remove(gone)
        for keys, texts, _ in self.catalog.iter_rows(keys=live):
            self.lexical.add(keys, [segment_words(t, method=method) for t in texts])
        self.lexical.commit()

    # -- the encoder -------------------------------------------------------------------------
    @property
    def encoder(self):
        """The encoder recorded in the manifest (loaded on first use, its identity checked)."""
        if self._encoder is None:
            from ..encoders import get_encoder

            enc = get_encoder(self.manifest.encoder_name)
            self.check_encoder(enc.identity)
            self._encoder = enc
        return self._encoder

    def check_encoder(self, identity: str) -> None:
        if identity != self.manifest.encoder:
            raise EncoderMismatchError(
                f"The collection {self.path} holds vectors from encoder {self.manifest.encoder!r}; refusing "
                f"vectors from {identity!r}. Use the same encoder, or make a new collection.")

    # -- writing ------------------------------------------------------------------------------
    def add(self, docs: Iterable[Any], *, vectors: np.ndarray | None = None, upsert: bool = False,
            identity: str | None = None, batch_size: int = 1000,
            on_batch: Callable[[int, int], None] | None = None) -> int:
        """Add documents (``Document``, io ``Record``, dicts with id/text/lang/meta, or strings).

        Each batch of ``batch_size`` is checked, language-detected (where no language is given),
        encoded (unless ``vectors`` gives precomputed vectors, which must come from this
        collection's encoder: pass its ``identity`` to have that checked), and committed in one
        transaction; ``on_batch(done, total_so_far)`` is called after each commit. A bad
        document (no text, duplicate id without ``upsert``) stops with an error before its batch
        is stored; earlier batches stay. Returns the number of documents added.
        """
        self._writable()
        check_int(batch_size, "batch_size", low=1)
        if identity is not None:
            self.check_encoder(identity)
        if vectors is not None:
            vectors = np.asarray(vectors, dtype=np.float32)
            if vectors.ndim != 2 or vectors.shape[1] != self.manifest.dim:
                raise InputError(f"The 'vectors' parameter must have shape (n, {self.manifest.dim}). "
                                 f"Got {vectors.shape} instead.")
        done, batch = 0, []
        for i, raw in enumerate(docs):
            batch.append(as_document(raw, i))
            if len(batch) == batch_size:
                done += self._add_batch(batch, vectors, done, upsert)
                batch = []
                if on_batch:
                    on_batch(batch_size, done)
        if batch:
            n = self._add_batch(batch, vectors, done, upsert)
            done += n
            if on_batch:
                on_batch(n, done)
        if vectors is not None and done != len(vectors):
            raise InputError(f"{len(vectors)} vectors were given for {done} documents.")
        return done

    def _add_batch(self, batch: list[Document], vectors, offset: int, upsert: bool) -> int:
        from ..text import canonical_lang, detect_language
        from ..text._segment import segment_words

        for d in batch:
            if not d.text.strip():
                raise InputError(f"The document {d.id!r} has no text; nothing of its batch was stored.")
        if vectors is not None:
            vecs = vectors[offset : offset + len(batch)]
            if len(vecs) != len(batch):
                raise InputError(f"{len(vectors)} vectors were given for more documents than that.")
        else:
            vecs = self.encoder.encode([d.text for d in batch], role="passage")
        need = [i for i, d in enumerate(batch) if not d.lang]
        guesses = detect_language([batch[i].text for i in need]) if need else []
        langs = [canonical_lang(d.lang) if d.lang else "" for d in batch]
        for i, g in zip(need, guesses):
            langs[i] = g.lang
        docs = [Document(d.id, d.text, lang, d.meta) for d, lang in zip(batch, langs)]
        old = self.catalog.keys_of([d.id for d in docs]) if upsert else {}
        keys = np.array(self.catalog.add(docs, vecs, upsert=upsert), np.int64)  # acknowledged here
        gone = np.array(list(old.values()), np.int64)
        self.dense.remove(gone)
        self.dense.add(keys, vecs)
        self.lexical.remove(gone)
        method = self.manifest.lexical.get("segmenter", "bigram")
        self.lexical.add(keys, [segment_words(d.text, method=method) for d in docs])
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
        """Save the dense index (switching to HNSW when "auto" has grown past the threshold)."""
        self._writable()
        last = self.catalog.last_seq()
        kind = self._dense_kind_for(self.catalog.count())
        if kind != self.dense.kind:
            self.dense = self._build_dense(kind)
        elif self._dense_file == f"dense-{last}.faiss":
            self._pending = 0
            return
        self.lexical.commit()
        name = f"dense-{last}.faiss"
        self.dense.save(self.path / name)
        previous = self._dense_file
        self.catalog.set_state({"dense_file": name, "dense_seq": last, "dense_kind": self.dense.kind,
                                "lexical_seq": last, "lexical_dir": self._lexical_dir}, trim_upto=last)
        self._dense_file, self._dense_seq, self._pending = name, last, 0
        if previous and previous != name:
            for p in (self.path / previous, tombstone_path(self.path / previous)):
                p.unlink(missing_ok=True)

    def rebuild(self) -> None:
        """Rebuild both indexes from the catalog (compacts HNSW tombstones, re-segments text)."""
        self._writable()
        self.dense = self._build_dense(self._dense_kind_for(self.catalog.count()))
        old_dir = self._lexical_dir
        n = int(old_dir.rsplit("-", 1)[-1]) + 1 if old_dir.rsplit("-", 1)[-1].isdigit() else 1
        new_dir = f"lexical-{n}"
        remove_index(self.path / new_dir)
        self.lexical.close()
        self.lexical = TantivyLexical(self.path / new_dir, writable=True)
        self._lexical_dir = new_dir
        self._lexical_apply(self.catalog.select_keys(), np.zeros(0, np.int64))
        self._dense_file = None
        self.flush()
        remove_index(self.path / old_dir)

    # -- reading ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.catalog.count()

    def get(self, ids: Iterable[str]) -> list[Document]:
        keys = self.catalog.keys_of(list(ids))
        docs = self.catalog.documents(list(keys.values()))
        return [docs[k] for k in keys.values()]

    def documents(self, keys: Iterable[int]) -> dict[int, Document]:
        return self.catalog.documents([int(k) for k in keys])

    def select(self, *, include_langs=None, exclude_langs=None, conditions: Iterable[Condition] = ()) -> np.ndarray | None:
        """Keys passing a filter, or None when there is no filter (every document)."""
        conditions = list(conditions)
        if include_langs is None and not exclude_langs and not conditions:
            return None
        return self.catalog.select_keys(include_langs=include_langs, exclude_langs=exclude_langs, conditions=conditions)

    def dense_search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None):
        """(scores, keys) for query vectors; a small filtered set is searched exactly."""
        q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if allowed is not None and len(allowed) <= 20_000:
            return exact_search(q, self.catalog.vectors(allowed), np.asarray(allowed, np.int64), k)
        return self.dense.search(q, k, allowed)

    def lexical_search(self, tokens: list[str], k: int, allowed: np.ndarray | None = None):
        return self.lexical.search(tokens, k, allowed)

    def info(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {"path": str(self.path), "documents": len(self), "languages": self.catalog.languages(),
                "metadata_fields": self.catalog.fields(), "dense_kind": self.dense.kind,
                "dense_vectors": len(self.dense), "lexical_documents": len(self.lexical),
                "lexical_lag": self.lexical_lag,
                "manifest": asdict(self.manifest)}

    # -- closing ------------------------------------------------------------------------------
    def close(self) -> None:
        if getattr(self, "catalog", None) is None:
            return
        try:
            if not self.readonly:
                self.flush()
                self.lexical.close()
        finally:
            self.catalog.close()
            self.catalog = None
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _writable(self) -> None:
        if self.readonly:
            raise InputError(f"The collection {self.path} was opened read-only.")
        if self.catalog is None:
            raise InputError(f"The collection {self.path} is closed.")


def _identity(encoder: Any) -> str:
    if isinstance(encoder, str):
        from ..encoders import get_encoder

        return get_encoder(encoder).identity
    return encoder.identity


__all__ = ["DENSE_INDEXES", "Collection", "EncoderMismatchError"]
