"""Encode corpora larger than memory: stream in, encode in length-sorted batches, stream out.

Records are read in chunks; each chunk is looked up in the embedding cache, the misses are
encoded (in this process, or split across ``workers`` processes with one thread each: on
this class of machine two single-threaded processes beat one two-threaded one), and the
vectors are written in input order before the next chunk is read. Memory is bounded by the
chunk size, whatever the corpus size.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_choice, check_int
from ._base import Encoder, EncodeStats, Role, TruncationWarning
from ._embcache import EmbeddingCache, text_key


@dataclass
class EmbedReport:
    """What happened while encoding a corpus; printed by the CLI, returned by the API."""

    encoder: str
    output: str
    records: int = 0
    encoded: int = 0
    cache_hits: int = 0
    tokens: int = 0
    truncated: int = 0
    skipped_empty: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "per_second": round(self.per_second, 1)}


# -- worker processes ---------------------------------------------------------------------
_worker_encoder: Encoder | None = None


def _worker_init(name: str, options: dict[str, Any]) -> None:
    global _worker_encoder
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from ._registry import get_encoder

    _worker_encoder = get_encoder(name, **options)


def _encode_counted(encoder: Encoder, texts: list[str], role: Role, batch_size: int) -> tuple[np.ndarray, EncodeStats]:
    """Encode and return the stats of this call alone; truncation is reported by the caller."""
    before = EncodeStats(**asdict(encoder.stats))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncationWarning)
        vecs = encoder.encode(texts, role=role, batch_size=batch_size)
    after = encoder.stats
    return vecs, EncodeStats(after.texts - before.texts, after.tokens - before.tokens, after.truncated - before.truncated)


def _worker_encode(args: tuple[list[str], Role, int]) -> tuple[np.ndarray, EncodeStats]:
    texts, role, batch_size = args
    assert _worker_encoder is not None
    return _encode_counted(_worker_encoder, texts, role, batch_size)


def _chunks(it: Iterable, size: int) -> Iterator[list]:
    it = iter(it)
    while chunk := list(islice(it, size)):
        yield chunk


def encode_corpus(
    texts: Iterable[str],
    encoder: Encoder,
    *,
    role: Role = "passage",
    batch_size: int | None = None,
    chunk_size: int = 4096,
    workers: int = 1,
    cache: EmbeddingCache | None = None,
    encoder_options: dict[str, Any] | None = None,
    report: EmbedReport | None = None,
    progress: Any = None,
) -> Iterator[np.ndarray]:
    """Yield one ``(n, dim)`` array per chunk of ``texts``, in input order.

    With ``workers > 1`` the encoder is rebuilt in each worker process by its registered
    name (or model reference) with ``encoder_options`` and one thread.
    """
    check_int(workers, "workers", low=1)
    check_int(chunk_size, "chunk_size", low=1)
    bs = encoder.batch_size if batch_size is None else check_int(batch_size, "batch_size", low=1)
    report = report or EmbedReport(encoder.name, "")
    pool = None
    if workers > 1:
        opts = dict(encoder_options or {})
        opts.setdefault("threads", 1)
        encoder.prepare()
        pool = mp.get_context("spawn").Pool(workers, _worker_init, (encoder.name, opts))
    try:
        for chunk in _chunks(texts, chunk_size):
            out = np.empty((len(chunk), encoder.dim), dtype=np.float32)
            keys = [text_key(t, role) for t in chunk] if cache is not None else []
            found = cache.get_many(keys) if cache is not None else {}
            miss = [i for i, k in enumerate(keys) if k not in found] if cache is not None else list(range(len(chunk)))
            for i, k in enumerate(keys):
                if k in found:
                    out[i] = found[k]
            report.cache_hits += len(chunk) - len(miss)
            if found:
                report.truncated += _count_truncated([t for t, k in zip(chunk, keys) if k in found], encoder, role)
            if miss:
                vecs = _encode_missing([chunk[i] for i in miss], encoder, role, bs, pool, workers, report)
                out[miss] = vecs
                if cache is not None:
                    cache.put_many([keys[i] for i in miss], vecs)
            report.records += len(chunk)
            if progress is not None:
                progress.update(len(chunk))
            yield out
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


def _count_truncated(texts: list[str], encoder: Encoder, role: Role) -> int:
    """Texts over the token limit among cache hits, so a cached rerun reports what a cold run did."""
    limit = encoder.info.max_tokens
    counts = encoder.count_tokens(texts, role) if limit else None
    return 0 if counts is None else sum(n > limit for n in counts)


def _encode_missing(texts, encoder, role, bs, pool, workers, report: EmbedReport) -> np.ndarray:
    if pool is None:
        parts = [_encode_counted(encoder, texts, role, bs)]
    else:
        step = -(-len(texts) // workers)
        parts = pool.map(_worker_encode, [(texts[i : i + step], role, bs) for i in range(0, len(texts), step)])
    for _, st in parts:
        report.encoded += st.texts
        report.tokens += st.tokens
        report.truncated += st.truncated
    return np.concatenate([p[0] for p in parts])


def embed_file(
    input_path: str | Path,
    output_path: str | Path,
    *,
    model: str = "e5-small",
    role: Role = "passage",
    text_field: str = "text",
    id_field: str | None = None,
    skip_empty: bool = False,
    max_chars: int = 100_000,
    with_text: bool = False,
    workers: int = 1,
    batch_size: int | None = None,
    use_cache: bool = True,
    quiet: bool = False,
    model_options: dict[str, Any] | None = None,
) -> EmbedReport:
    """Encode every record of a txt / tsv / jsonl / parquet file into npy / parquet / jsonl.

    The output appears atomically when encoding finishes; a failure leaves no partial file
    and keeps an existing output intact.
    """
    from tqdm.auto import tqdm

    from ..io import EmbeddingWriter, check_output_path, count_records, read_records
    from ._registry import get_encoder

    # Everything that can be checked before loading a model is checked first.
    check_int(workers, "workers", low=1)
    check_choice(role, ("query", "passage"), "role")
    if batch_size is not None:
        check_int(batch_size, "batch_size", low=1)
    total = count_records(input_path)  # the file exists, is text and is not empty
    check_output_path(output_path, protect=(input_path,))
    records = read_records(input_path, text_field=text_field, id_field=id_field, skip_empty=skip_empty, max_chars=max_chars)
    encoder = get_encoder(model, **(model_options or {}))
    report = EmbedReport(encoder.name, str(output_path))
    cache = EmbeddingCache(encoder.identity, encoder.dim) if use_cache else None
    pending: list = []

    def texts() -> Iterator[str]:
        for rec in records:
            pending.append(rec)
            yield rec.text

    start = time.perf_counter()
    try:
        # disable=None: no bar when stderr is not a terminal (logs, CI, pipes)
        with tqdm(total=total, unit="text", disable=True if quiet else None, desc=f"embed {encoder.name}") as bar:
            with EmbeddingWriter(output_path, encoder.dim, with_text=with_text) as writer:
                for vecs in encode_corpus(
                    texts(), encoder, role=role, batch_size=batch_size, workers=workers, cache=cache,
                    encoder_options=model_options, report=report, progress=bar,
                ):
                    batch, pending[:] = pending[: len(vecs)], pending[len(vecs) :]
                    writer.write([r.id for r in batch], vecs, [r.text for r in batch] if with_text else None)
    finally:
        records.close()
        if cache is not None:
            cache.close()
    report.seconds = time.perf_counter() - start
    report.skipped_empty = records.stats.skipped_empty
    if report.truncated:
        report.warnings.append(
            f"{report.truncated} text(s) exceeded {encoder.info.max_tokens} tokens and were truncated."
        )
    return report
