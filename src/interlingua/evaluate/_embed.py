"""Embedding for evaluation: through the on-disk cache, so re-scoring a run costs seconds.

Tasks call :func:`embed_texts`; how (cache or not, worker processes, progress bars) is set
once per run with :func:`embedding_settings`, so task signatures stay ``(encoder, data,
**options)``. :class:`PrecomputedEncoder` serves vectors given in advance (tests, or vectors
computed elsewhere) through the same path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..encoders import Encoder, EncoderInfo, EncodeStats, Role
from ..errors import InputError
from ..neutral import CorpusStats, Space, encode_texts
from ..progress import ProgressFn


@dataclass
class EmbedSettings:
    cache: bool = True
    #: where the embedding cache lives (default: the user cache directory)
    cache_folder: Path | None = None
    workers: int = 1
    progress: ProgressFn | None = None
    #: what happened, one entry per call in the run (summed by :attr:`stats`)
    calls: list[CorpusStats] = field(default_factory=list)

    @property
    def stats(self) -> CorpusStats:
        total = CorpusStats()
        for c in self.calls:
            total = total + c
        return total


_SETTINGS: ContextVar[EmbedSettings | None] = ContextVar("interlingua_eval_embedding", default=None)


def _current() -> EmbedSettings:
    return _SETTINGS.get() or EmbedSettings()


def current_progress() -> ProgressFn | None:
    return _current().progress


@contextmanager
def embedding_settings(**changes: Any) -> Iterator[EmbedSettings]:
    """Use these settings for every :func:`embed_texts` call inside the block (this context only)."""
    settings = replace(_current(), calls=[], **changes)
    token = _SETTINGS.set(settings)
    try:
        yield settings
    finally:
        _SETTINGS.reset(token)


def embed_texts(
    encoder: Any,
    texts: Sequence[str],
    role: Role = "query",
    *,
    desc: str = "embed",
    langs: Sequence[str | None] | None = None,
) -> np.ndarray:
    """``(len(texts), dim)`` float32 vectors of the run's space, L2-normalized; each distinct text is
    encoded once, through the cache (``encoder`` is a Space, an Encoder or a name)."""
    s = _current()
    space = Space.of(encoder)
    items = list(texts)
    workers = s.workers if len(set(items)) > 2000 and space.portable else 1
    vecs, stats = encode_texts(
        items,
        space,
        role=role,
        langs=langs,
        cache=(s.cache_folder or True) if s.cache else False,
        workers=workers,
        progress=s.progress,
        desc=desc,
    )
    s.calls.append(stats)
    return vecs


class PrecomputedEncoder(Encoder):
    """An encoder that looks vectors up in a mapping ``text -> vector`` (normalized on output)."""

    #: its vectors are given, not computed: nothing to cache
    cacheable = False

    def __init__(self, vectors: Mapping[str, np.ndarray], name: str = "precomputed"):
        super().__init__()
        self._vectors = {t: np.asarray(v, dtype=np.float32) for t, v in vectors.items()}
        dims = {v.shape for v in self._vectors.values()}
        if len(dims) != 1 or len(next(iter(dims))) != 1:
            raise InputError(f"Precomputed vectors must all be 1-D of one length. Got shapes {sorted(dims)}.")
        self._dim = next(iter(dims))[0]
        self._name = name
        h = hashlib.blake2b(digest_size=8)
        for t in sorted(self._vectors):
            h.update(t.encode("utf-8", "surrogatepass") + self._vectors[t].tobytes())
        self._hash = h.hexdigest()

    @property
    def info(self) -> EncoderInfo:
        return EncoderInfo(
            self._name, self._dim, None, None, "vectors given in advance", f"precomputed:{self._hash}"
        )

    def _encode_batch(self, texts: list[str], role: Role) -> tuple[np.ndarray, EncodeStats]:
        missing = [t for t in texts if t not in self._vectors]
        if missing:
            raise InputError(f"No precomputed vector for {len(missing)} text(s), e.g. {missing[0]!r}.")
        return np.stack([self._vectors[t] for t in texts]), EncodeStats(texts=len(texts))
