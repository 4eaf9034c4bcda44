"""Preparing a batch (check, detect languages, encode, segment) apart from committing it.

Everything that can fail on a batch fails here, before anything is stored: a document without
text, a duplicate id, a vector of the wrong shape or with NaN, text that cannot be encoded. The
backend's commit then only writes. Preparing needs no lock, so a writer may prepare in worker
processes and commit in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import surrogate_at
from ..errors import DuplicateIdError, InputError, SpaceMismatchError
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


def batches(docs: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for d in docs:
        batch.append(d)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


__all__ = ["PreparedBatch", "batches", "check_vectors", "prepare_batch"]
