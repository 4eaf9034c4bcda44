"""Preparing a batch (check, detect languages, encode, segment) apart from committing it.

Everything that can fail on a batch fails here, before anything is stored: a document without
text, a duplicate id, a vector of the wrong shape or with NaN, text that cannot be encoded. The
backend's commit then only writes. Preparing needs no lock, so a writer may prepare in worker
processes and commit in order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import surrogate_at
from ..errors import CollectionError, DuplicateIdError, InputError, SpaceMismatchError
from ._catalog import Document, as_document


@dataclass(frozen=True)
class PreparedBatch:
    """Documents ready to commit: canonical languages, vectors of the collection's space, tokens."""

    docs: tuple[Document, ...]
    vectors: np.ndarray
    tokens: tuple[tuple[str, ...], ...]
    space: str

    def __len__(self) -> int:
        return len(self.docs)


def prepare_batch(
    raw: Iterable[Any],
    *,
    space: Any,
    segmenter: str,
    langid: str,
    vectors: np.ndarray | None = None,
    identity: str | None = None,
    start: int = 0,
) -> PreparedBatch:
    """Check, label, encode and segment one batch. ``vectors`` (precomputed, from the space named by
    ``identity``) skip encoding; ``start`` numbers documents in messages."""
    from ..text import canonical_lang, detect_language, segment_words

    docs = [as_document(d, start + i) for i, d in enumerate(raw)]
    seen: set[str] = set()
    for d in docs:
        if not d.text.strip():
            raise InputError(f"The document {d.id!r} has no text; nothing of its batch was stored.")
        _check_text(d)
        if d.id in seen:
            raise DuplicateIdError(
                f"The document id {d.id!r} appears twice in one batch; nothing of it was stored."
            )
        seen.add(d.id)
    need = [i for i, d in enumerate(docs) if not d.lang]
    guesses = detect_language([docs[i].text for i in need], backend=langid) if need else []
    langs = [canonical_lang(d.lang) if d.lang else "" for d in docs]
    for i, g in zip(need, guesses):
        langs[i] = g.lang
    docs = [Document(d.id, d.text, lang, d.meta) for d, lang in zip(docs, langs)]
    if vectors is None:
        vecs = space.encode([d.text for d in docs], role="passage", langs=langs)
        ident = space.identity
    else:
        if identity is not None and identity != space.identity:
            raise SpaceMismatchError(
                f"The vectors come from the space {identity!r}; this collection's is "
                f"{space.identity!r}. Use the same model, or make a new collection."
            )
        vecs = check_vectors(vectors, len(docs), space.dim)
        ident = space.identity
    tokens = tuple(tuple(segment_words(d.text, method=segmenter)) for d in docs)
    return PreparedBatch(tuple(docs), vecs, tokens, ident)


def check_vectors(vectors: Any, n: int, dim: int) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim != 2 or v.shape != (n, dim):
        raise InputError(
            f"The 'vectors' parameter must have shape ({n}, {dim}) for this batch. Got {v.shape} instead."
        )
    bad = ~np.isfinite(v).all(axis=1)
    if bad.any():
        raise InputError(
            f"The vector of document {int(np.argmax(bad))} of the batch holds NaN or infinity; "
            "nothing of its batch was stored."
        )
    return v


def _check_text(d: Document) -> None:
    for name, value in (("id", d.id), ("text", d.text)):
        at = surrogate_at(value)
        if at is not None:
            raise InputError(
                f"The {name} of document {d.id!r} holds U+{ord(value[at]):04X} at column {at + 1}, a "
                "lone surrogate no UTF-8 text can hold; fix it (or read the file with --on-invalid replace)"
            )


#: the files of saved batches, after their base path: vectors, documents with tokens, the index
PREPARED_FILES = (".vectors.npy", ".docs.jsonl", ".batches.json")
_PREPARED_FORMAT = 1


def save_prepared(base: str | Path, prepared: Sequence[PreparedBatch], *, dim: int) -> list[Path]:
    """Save batches prepared in one process for another to commit (a sharded add's worker to its
    client): vectors as one ``.npy`` (float32, bit for bit), documents and tokens as JSON lines,
    and an index of batch sizes, each file atomic, the index last. Returns the paths."""
    from .._atomic import atomic_open

    vecs, npy, docs, index = _stacked(prepared, dim), *prepared_paths(base)
    with atomic_open(npy, "wb") as fh:
        np.save(fh, vecs, allow_pickle=False)
    with atomic_open(docs, "w", newline="\n") as fh:
        for batch in prepared:
            for d, toks in zip(batch.docs, batch.tokens):
                row = {"id": d.id, "text": d.text, "lang": d.lang, "meta": d.meta, "tokens": list(toks)}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    meta = {
        "format": _PREPARED_FORMAT,
        "dim": dim,
        "sizes": [len(b) for b in prepared],
        "spaces": [b.space for b in prepared],
    }
    with atomic_open(index, "w") as fh:
        fh.write(json.dumps(meta))
    return [npy, docs, index]


def load_prepared(base: str | Path) -> list[PreparedBatch]:
    """The batches :func:`save_prepared` saved under ``base``, as they were."""
    npy, docs_path, index = prepared_paths(base)
    try:
        meta = json.loads(index.read_text(encoding="utf-8"))
        vecs = np.load(npy, allow_pickle=False)
        with open(docs_path, "rb") as fh:
            rows = [json.loads(line) for line in fh.read().split(b"\n") if line]
        sizes, spaces = [int(n) for n in meta["sizes"]], [str(s) for s in meta["spaces"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CollectionError(
            f"{index}: saved batches that cannot be read ({exc}); remove them to prepare them again"
        ) from None
    if meta.get("format") != _PREPARED_FORMAT or len(rows) != sum(sizes) or vecs.shape[0] != sum(sizes):
        raise CollectionError(
            f"{index}: saved batches that do not match their files; remove them to prepare them again"
        )
    out, at = [], 0
    for n, space in zip(sizes, spaces):
        part = rows[at : at + n]
        docs = tuple(Document(r["id"], r["text"], r["lang"], r["meta"]) for r in part)
        tokens = tuple(tuple(r["tokens"]) for r in part)
        out.append(PreparedBatch(docs, np.ascontiguousarray(vecs[at : at + n]), tokens, space))
        at += n
    return out


def prepared_paths(base: str | Path) -> list[Path]:
    return [Path(f"{base}{suffix}") for suffix in PREPARED_FILES]


def empty_batch(space: Any) -> PreparedBatch:
    """A batch of no documents (every one of them already there, with ``skip_existing``)."""
    return PreparedBatch((), np.zeros((0, space.dim), np.float32), (), space.identity)


def _stacked(prepared: Sequence[PreparedBatch], dim: int) -> np.ndarray:
    parts = [np.asarray(b.vectors, np.float32).reshape(len(b), dim) for b in prepared]
    return np.concatenate(parts) if parts else np.zeros((0, dim), np.float32)


def batches(docs: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for d in docs:
        batch.append(d)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


__all__ = [
    "PREPARED_FILES",
    "PreparedBatch",
    "batches",
    "check_vectors",
    "empty_batch",
    "load_prepared",
    "prepare_batch",
    "prepared_paths",
    "save_prepared",
]


def add_in_batches(
    col: Any,
    docs: Iterable[Any],
    *,
    vectors: np.ndarray | None,
    upsert: bool,
    identity: str | None,
    batch_size: int,
    on_batch: Callable[[int, int], None] | None,
) -> int:
    """Every backend's ``add``: batches of ``batch_size``, each prepared then committed through the
    backend's own ``prepare`` / ``commit``; a bad document stops before its batch is stored."""
    from .._validation import check_int

    check_int(batch_size, "batch_size", low=1)
    dim = col.manifest.dim
    if vectors is not None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != dim:
            raise InputError(
                f"The 'vectors' parameter must have shape (n, {dim}). Got {vectors.shape} instead."
            )
    done = 0
    for batch in batches(docs, batch_size):
        vecs = None if vectors is None else vectors[done : done + len(batch)]
        if vecs is not None and len(vecs) != len(batch):
            raise InputError(f"{len(vectors)} vectors were given for more documents than that.")
        done += col.commit(col.prepare(batch, vectors=vecs, identity=identity, start=done), upsert=upsert)
        if on_batch:
            on_batch(len(batch), done)
    if vectors is not None and done != len(vectors):
        raise InputError(f"{len(vectors)} vectors were given for {done} documents.")
    return done
