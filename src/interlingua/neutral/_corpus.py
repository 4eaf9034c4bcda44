"""Encode corpora larger than memory through a space: stream in, look up, encode, stream out.

Texts are taken in chunks; each chunk is looked up in the embedding cache (raw encoder vectors
under the encoder identity), the misses are encoded (in this process, or split across the
workers of an executor, each rebuilding the space from its spec), the adapters apply, and the
chunk's vectors are yielded in input order before the next chunk is read. Memory is bounded by
the chunk size, whatever the corpus size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from .._executors import Executor, make_executor
from .._reports import add_shards
from .._validation import check_choice, check_int
from ..encoders import ROLES, EmbeddingCache, EncodeStats, Role, text_key
from ..errors import InputError
from ..progress import ProgressFn, task
from ._space import Space, SpaceSpec, cached_space


@dataclass(frozen=True)
class CorpusStats:
    """Counts of one chunk (or, summed, of a corpus): records, encoded now, cache hits, tokens, truncated."""

    records: int = 0
    encoded: int = 0
    cache_hits: int = 0
    tokens: int = 0
    truncated: int = 0

    def __add__(self, other: CorpusStats) -> CorpusStats:
        return add_shards(self, other)


@dataclass(frozen=True)
class Batching:
    """How a corpus goes through the model: texts per forward pass (None: the encoder's), texts read
    and written at a time, worker processes (or an executor)."""

    batch_size: int | None = None
    chunk_size: int = 4096
    workers: int = 1
    executor: Any = None


@dataclass(frozen=True)
class Chunk:
    vectors: np.ndarray
    stats: CorpusStats


# -- worker side ------------------------------------------------------------------------------
def _encode_piece(args: tuple[dict[str, Any], Role, int | None, list[str]]) -> tuple[np.ndarray, EncodeStats]:
    """Raw (normalized) encoder vectors of one piece, in a worker: the space comes from its spec."""
    spec, role, batch_size, texts = args
    space = cached_space(SpaceSpec.from_dict(spec))
    return space.encoder.encode_counted(texts, role=role, batch_size=batch_size)


def _pieces(it: Iterable, size: int) -> Iterator[list]:
    it = iter(it)
    while chunk := list(islice(it, size)):
        yield chunk


def encode_corpus(
    texts: Iterable[str],
    space: Space,
    *,
    role: Role = "passage",
    langs: Iterable[str | None] | None = None,
    batching: Batching = Batching(),
    cache: EmbeddingCache | None = None,
    progress: ProgressFn | None = None,
    total: int | None = None,
    desc: str = "embed",
) -> Iterator[Chunk]:
    """Yield one :class:`Chunk` (``(n, dim)`` vectors and their counts) per chunk of ``texts``.

    With ``batching.workers > 1`` (or an executor given) the misses of each chunk are split across
    worker processes that rebuild the space from ``space.spec``: a space made of objects in code
    has no spec and is refused there, with the fix.
    """
    workers, chunk_size, batch_size, executor = (
        batching.workers,
        batching.chunk_size,
        batching.batch_size,
        batching.executor,
    )
    check_int(workers, "workers", low=1)
    check_int(chunk_size, "chunk_size", low=1)
    check_choice(role, ROLES, "role")
    if batch_size is not None:
        check_int(batch_size, "batch_size", low=1)
    remote = workers > 1 or (executor is not None and executor != "local")
    if remote and not space.portable:
        raise InputError(
            f"The space {space.identity!r} was built from objects in code, so worker processes cannot rebuild it; "
            "build it from a SpaceSpec (or an encoder name / model path), or use one worker."
        )
    pool, owned = (None, False)
    if remote:
        space.prepare()  # build cached model files once, not once per worker
        pool, owned = make_executor(executor, workers)
    lang_iter = iter(langs) if langs is not None else None
    bar = task(progress, desc, total, "text")
    try:
        for chunk in _pieces(texts, chunk_size):
            chunk_langs = list(islice(lang_iter, len(chunk))) if lang_iter is not None else None
            yield _encode_chunk(chunk, chunk_langs, space, role, batch_size, pool, cache)
            bar.advance(len(chunk))
    finally:
        bar.end()
        if owned and pool is not None:
            pool.close()


def _encode_chunk(
    chunk: list[str],
    langs: list[str | None] | None,
    space: Space,
    role: Role,
    batch_size: int | None,
    pool: Executor | None,
    cache: EmbeddingCache | None,
) -> Chunk:
    raw = np.empty((len(chunk), space.dim), dtype=np.float32)
    keys = [text_key(t, role) for t in chunk] if cache is not None else []
    found = cache.get_many(keys) if cache is not None else {}
    miss = [i for i, k in enumerate(keys) if k not in found] if cache is not None else list(range(len(chunk)))
    for i, k in enumerate(keys):
        if k in found:
            raw[i] = found[k]
    hits = len(chunk) - len(miss)
    truncated = _count_truncated([t for t, k in zip(chunk, keys) if k in found], space, role) if found else 0
    stats = EncodeStats()
    if miss:
        vecs, stats = _encode_missing([chunk[i] for i in miss], space, role, batch_size, pool)
        raw[miss] = vecs
        if cache is not None:
            cache.put_many([keys[i] for i in miss], vecs)
    out = space.apply(raw, role=role, langs=space.langs_for(chunk, langs))
    return Chunk(out, CorpusStats(len(chunk), stats.texts, hits, stats.tokens, stats.truncated + truncated))


def _count_truncated(texts: list[str], space: Space, role: Role) -> int:
    """Texts over the token limit among cache hits, so a cached rerun reports what a cold run did."""
    limit = space.info.max_tokens
    counts = space.count_tokens(texts, role) if limit else None
    return 0 if counts is None else sum(n > limit for n in counts)


def _encode_missing(
    texts: list[str], space: Space, role: Role, batch_size: int | None, pool: Executor | None
) -> tuple[np.ndarray, EncodeStats]:
    if pool is None:
        return space.encoder.encode_counted(texts, role=role, batch_size=batch_size)
    step = -(-len(texts) // pool.workers)
    spec = space.spec.to_dict() if space.spec is not None else {}
    parts = list(
        pool.map(
            _encode_piece, [(spec, role, batch_size, texts[i : i + step]) for i in range(0, len(texts), step)]
        )
    )
    total = EncodeStats()
    for _, st in parts:
        total.add(st)
    return np.concatenate([p[0] for p in parts]), total


def encode_texts(
    texts: Sequence[str],
    space: Space,
    *,
    role: Role = "passage",
    langs: Sequence[str | None] | None = None,
    cache: bool | str | Path = True,
    workers: int = 1,
    executor: str | Executor | None = None,
    progress: ProgressFn | None = None,
    desc: str = "embed",
) -> tuple[np.ndarray, CorpusStats]:
    """A list of texts (each distinct text encoded once) through the cache: ``(vectors, counts)``.

    ``cache``: True (the user cache directory), False, or the folder the cache lives in."""
    items = list(texts)
    if langs is not None:
        keyed = list(dict.fromkeys(zip(items, langs)))
        uniq, uniq_langs = [t for t, _ in keyed], [lang for _, lang in keyed]
        pos = {k: i for i, k in enumerate(keyed)}
        index = [pos[k] for k in zip(items, langs)]
    else:
        uniq, uniq_langs = list(dict.fromkeys(items)), None
        pos = {t: i for i, t in enumerate(uniq)}
        index = [pos[t] for t in items]
    if not uniq:
        return np.zeros((0, space.dim), dtype=np.float32), CorpusStats()
    store = open_cache(space, None if cache is True else Path(cache)) if cache is not False else None
    stats = CorpusStats()
    parts = []
    try:
        for chunk in encode_corpus(
            uniq,
            space,
            role=role,
            langs=uniq_langs,
            batching=Batching(workers=workers, executor=executor),
            cache=store,
            progress=progress,
            total=len(uniq),
            desc=desc,
        ):
            parts.append(chunk.vectors)
            stats = stats + chunk.stats
    finally:
        if store is not None:
            store.close()
    return np.concatenate(parts)[index], stats


def open_cache(space: Space, folder: Any = None) -> EmbeddingCache | None:
    """The embedding cache of the space's encoder (None for encoders with nothing to cache)."""
    if not getattr(space.encoder, "cacheable", True):
        return None
    return EmbeddingCache(space.encoder.identity, space.dim, folder)


__all__ = ["Batching", "Chunk", "CorpusStats", "encode_corpus", "encode_texts", "open_cache"]
