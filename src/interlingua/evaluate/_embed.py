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

import numpy as np

from ..encoders import EmbeddingCache, EmbedReport, Encoder, EncodeStats, encode_corpus
from ..encoders._base import EncoderInfo, Role
from ..errors import InputError


@dataclass
class EmbedSettings:
    cache: bool = True
    cache_folder: Path | None = None
    workers: int = 1
    quiet: bool = True
    encoder_options: dict = field(default_factory=dict)
    #: what happened, summed over every call in the run
    report: EmbedReport = field(default_factory=lambda: EmbedReport("", ""))


_SETTINGS: ContextVar[EmbedSettings | None] = ContextVar("interlingua_eval_embedding", default=None)


def _current() -> EmbedSettings:
    return _SETTINGS.get() or EmbedSettings()


@contextmanager
def embedding_settings(**changes) -> Iterator[EmbedSettings]:
    """Use these settings for every :func:`embed_texts` call inside the block."""
    settings = replace(_current(), report=EmbedReport("", ""), **changes)
    token = _SETTINGS.set(settings)
    try:
        yield settings
    finally:
        _SETTINGS.reset(token)


def embed_texts(encoder: Encoder, texts: Sequence[str], role: Role = "query", *, desc: str = "embed") -> np.ndarray:
    """``(len(texts), dim)`` float32 vectors, L2-normalized; each distinct text is encoded once."""
    from tqdm.auto import tqdm

    s = _current()
    uniq = list(dict.fromkeys(texts))
    if not uniq:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    use_cache = s.cache and not isinstance(encoder, PrecomputedEncoder)
    cache = EmbeddingCache(encoder.identity, encoder.dim, s.cache_folder) if use_cache else None
    s.report.encoder = encoder.name
    try:
        with tqdm(total=len(uniq), unit="text", desc=desc, disable=True if s.quiet else None) as bar:
            parts = list(
                encode_corpus(
                    uniq, encoder, role=role, workers=s.workers if len(uniq) > 2000 else 1, cache=cache,
                    encoder_options=s.encoder_options, report=s.report, progress=bar,
                )
            )
    finally:
        if cache is not None:
            cache.close()
    vecs = np.concatenate(parts)
    pos = {t: i for i, t in enumerate(uniq)}
    return vecs[[pos[t] for t in texts]]


class PrecomputedEncoder(Encoder):
    """An encoder that looks vectors up in a mapping ``text -> vector`` (normalized on output)."""

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
        return EncoderInfo(self._name, self._dim, None, None, "vectors given in advance", f"precomputed:{self._hash}")

    def _encode_batch(self, texts: list[str], role: Role) -> tuple[np.ndarray, EncodeStats]:
        missing = [t for t in texts if t not in self._vectors]
        if missing:
            raise InputError(f"No precomputed vector for {len(missing)} text(s), e.g. {missing[0]!r}.")
        return np.stack([self._vectors[t] for t in texts]), EncodeStats(texts=len(texts))
