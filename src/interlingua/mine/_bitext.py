"""Bitext mining on embeddings: k-NN both ways, margin scores, LASER's four selection modes.

The method of Artetxe & Schwenk (2019) as LASER's ``mine_bitexts.py`` runs it: each source
``x`` has its ``k`` nearest targets and each target ``y`` its ``k`` nearest sources; a candidate's
margin compares its cosine with the mean cosine of ``x`` and of ``y`` to their neighbours
(:mod:`._margin`). Then

- ``forward``: each source with its best-scoring target among its ``k`` candidates;
- ``backward``: each target with its best-scoring source;
- ``intersection``: the pairs found by both;
- ``max``: the forward and backward pairs together, best score first, a pair kept only when
  neither its source nor its target was taken already (each sentence used at most once).

Memory: the inputs may be ``np.memmap`` arrays; the k-NN runs block by block (resumable in a
work folder, :mod:`._stream`) and keeps ``O((n_src + n_tgt) * k)`` numbers, nothing quadratic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .._validation import check_float, check_int
from ..errors import InputError
from ..progress import ProgressFn, task
from ._knn import KNN_BACKENDS, LARGE_BACKEND, check_embeddings, factory_of, uses_nprobe
from ._margin import MARGINS, score_candidates
from ._options import ALIASES, MODES, KnnOptions, MineOptions
from ._stream import BlockStats, blockwise_knn, fingerprint, open_work_dir

KNN_CHOICES = (*KNN_BACKENDS.names(), "auto")
#: Above this many (n_src * n_tgt) score computations, ``knn="auto"`` picks the IVF index.
AUTO_EXACT_LIMIT = 4_000_000_000
#: ... or when a side has more rows than this (a flat index holds the whole side in memory).
AUTO_FLAT_MAX_ROWS = 500_000


@dataclass(frozen=True)
class BitextPair:
    """One mined pair: ids, margin ``score``, texts (empty when unknown) and plain ``cosine``."""

    src_id: str
    tgt_id: str
    score: float
    src_text: str
    tgt_text: str
    cosine: float


class Candidates(NamedTuple):
    """Mined pairs as parallel arrays (row indices into each side), best score first."""

    src: np.ndarray
    tgt: np.ndarray
    score: np.ndarray
    cosine: np.ndarray

    def __len__(self) -> int:  # type: ignore[override]
        return int(self.src.shape[0])

    def take(self, keep: np.ndarray) -> Candidates:
        return Candidates(self.src[keep], self.tgt[keep], self.score[keep], self.cosine[keep])


class Neighbours(NamedTuple):
    """``k`` nearest neighbours both ways, ``(scores, indices)`` each, and how they were found."""

    fwd: tuple[np.ndarray, np.ndarray]
    bwd: tuple[np.ndarray, np.ndarray]
    backend: str
    blocks: BlockStats


class Mined(NamedTuple):
    candidates: Candidates
    backend: str
    blocks: BlockStats


def resolve_backend(knn: str, n_src: int, n_tgt: int) -> str:
    """``auto``: faiss ``IndexFlatIP`` (exact, fastest) while both sides are small enough to hold
    in memory; centered cells scanned by matrix products (``ivf-blas``: 34x exhaustive at 1M x 1M,
    F1 -0.2 on the hard synthetic set, benchmarks/mine.py) for large inputs; numpy block-wise exact when a side is too small to
    train an IVF index on. A name or factory string is kept as it is."""
    if knn != "auto":
        factory_of(knn)  # an unknown name lists the known ones
        return knn
    if n_src * n_tgt <= AUTO_EXACT_LIMIT and max(n_src, n_tgt) <= AUTO_FLAT_MAX_ROWS:
        return "faiss"
    return "exact" if min(n_src, n_tgt) < 40 * 64 else LARGE_BACKEND


def _knn_options(options: KnnOptions | int | None, legacy: dict[str, Any]) -> KnnOptions:
    if isinstance(options, KnnOptions):
        if legacy:
            raise InputError(f"Give either a KnnOptions or keyword options, not both ({', '.join(legacy)}).")
        return options.validate("neighbours()")
    opts = KnnOptions() if options is None else KnnOptions(k=options)
    renames = {"knn": "backend"}
    return opts.replace(**{renames.get(k, k): v for k, v in legacy.items()}).validate("neighbours()")


def neighbours(
    src: np.ndarray,
    tgt: np.ndarray,
    options: KnnOptions | int | None = None,
    *,
    work_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    **legacy: Any,
) -> Neighbours:
    """``k`` nearest neighbours both ways. ``options`` is a :class:`KnnOptions`, or ``k`` with the
    other options as keywords (``backend`` or ``knn``, ``block_size``, ``nprobe``)."""
    opts = _knn_options(options, legacy)
    src = check_embeddings(src, "source")
    tgt = check_embeddings(tgt, "target", dim=src.shape[1])
    backend = resolve_backend(opts.backend, src.shape[0], tgt.shape[0])
    wd = Path(work_dir) if work_dir is not None else None
    if wd is not None:
        open_work_dir(
            wd,
            {
                "src": {"rows": src.shape[0], "fingerprint": fingerprint(src)},
                "tgt": {"rows": tgt.shape[0], "fingerprint": fingerprint(tgt)},
                "dim": src.shape[1],
                "k": opts.k,
                "backend": backend,
                "block_size": opts.block_size,
                "nprobe": opts.nprobe if uses_nprobe(backend) else None,
            },
        )
    out = []
    blocks = BlockStats()
    for tag, q, db in (("fwd", src, tgt), ("bwd", tgt, src)):
        kk = min(opts.k, db.shape[0])
        with task(progress, f"k-NN {tag}", q.shape[0], "vec") as bar:
            scores, idx, st = blockwise_knn(
                q, db, kk, opts, backend=backend, work_dir=wd, tag=tag, progress=bar.advance
            )
        out.append((scores, idx))
        blocks = blocks + st
    return Neighbours(out[0], out[1], backend, blocks)


def neighbour_means(scores: np.ndarray) -> np.ndarray:
    """Each row's mean cosine to its neighbours (missing ones, score -inf, left out): the margin's
    neighbourhood term. Row by row, so a shard of rows gives the rows' values of the whole."""
    valid = np.isfinite(scores)
    total = np.where(valid, scores, 0).sum(axis=1)
    return (total / np.maximum(valid.sum(axis=1), 1)).astype(np.float32)


def select_pairs(
    fwd: tuple[np.ndarray, np.ndarray],
    bwd: tuple[np.ndarray, np.ndarray],
    *,
    margin: str = "ratio",
    mode: str = "max",
    means: tuple[np.ndarray, np.ndarray] | None = None,
) -> Candidates:
    """Score every candidate with ``margin`` and select pairs by ``mode``; best score first.
    ``means``: each side's :func:`neighbour_means`, when already computed (by the shards)."""
    MARGINS.entry(margin)
    if mode not in MODES:
        raise InputError(
            f"The 'mode' parameter must be one of {', '.join(map(repr, MODES))}. Got {mode!r} instead."
        )
    (xs, xi), (ys, yi) = fwd, bwd
    x_mean, y_mean = means if means is not None else (neighbour_means(xs), neighbour_means(ys))
    f_scores = score_candidates(xs, x_mean, y_mean[np.maximum(xi, 0)], margin)
    f_scores = np.where(xi >= 0, f_scores, -np.inf)
    b_scores = score_candidates(ys, y_mean, x_mean[np.maximum(yi, 0)], margin)
    b_scores = np.where(yi >= 0, b_scores, -np.inf)
    fb, bb = f_scores.argmax(axis=1), b_scores.argmax(axis=1)
    rows_x, rows_y = np.arange(xs.shape[0]), np.arange(ys.shape[0])
    fwd_c = Candidates(rows_x, xi[rows_x, fb], f_scores[rows_x, fb], xs[rows_x, fb])
    bwd_c = Candidates(yi[rows_y, bb], rows_y, b_scores[rows_y, bb], ys[rows_y, bb])
    fwd_c, bwd_c = fwd_c.take(fwd_c.tgt >= 0), bwd_c.take(bwd_c.src >= 0)
    if mode == "forward":
        return _sorted(fwd_c)
    if mode == "backward":
        return _sorted(bwd_c)
    if mode == "intersection":
        n_tgt = ys.shape[0]
        back_key = bwd_c.src.astype(np.int64) * n_tgt + bwd_c.tgt
        return _sorted(fwd_c.take(np.isin(fwd_c.src.astype(np.int64) * n_tgt + fwd_c.tgt, back_key)))
    both = Candidates(*(np.concatenate([a, b]) for a, b in zip(fwd_c, bwd_c)))
    both = _sorted(both)
    used_src = np.zeros(xs.shape[0], dtype=bool)
    used_tgt = np.zeros(ys.shape[0], dtype=bool)
    keep = np.zeros(len(both), dtype=bool)
    for n, (s, t) in enumerate(zip(both.src.tolist(), both.tgt.tolist())):
        if not used_src[s] and not used_tgt[t]:
            used_src[s] = used_tgt[t] = keep[n] = True
    return both.take(keep)


def _sorted(c: Candidates) -> Candidates:
    order = np.lexsort((c.tgt, c.src, -c.score))  # score descending, ties by position
    return c.take(order)


def cut(c: Candidates, *, threshold: float | None = None, top: int | None = None) -> Candidates:
    """Keep pairs scoring at least ``threshold``, then the ``top`` best (either may be None)."""
    if threshold is not None:
        c = c.take(c.score >= check_float(threshold, "threshold"))
    if top is not None:
        c = c.take(np.arange(min(len(c), check_int(top, "top", low=1))))
    return c


def mine_vectors(
    src: np.ndarray,
    tgt: np.ndarray,
    options: MineOptions,
    *,
    work_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    top: bool = True,
) -> Mined:
    """Mine two embedded corpora (arrays or memmaps): pairs best first, cut by threshold and (with
    ``top``) to ``options.margin.top``; jobs that filter pairs afterwards cut to top after filtering."""
    n = neighbours(src, tgt, options.knn, work_dir=work_dir, progress=progress)
    return mine_neighbours(n, options, top=top)


def mine_neighbours(
    n: Neighbours,
    options: MineOptions,
    *,
    top: bool = True,
    means: tuple[np.ndarray, np.ndarray] | None = None,
) -> Mined:
    """The scoring half of :func:`mine_vectors`, on neighbour lists found elsewhere (a sharded
    k-NN): margins, selection, the threshold and ``top`` cuts."""
    m = options.margin
    cands = cut(
        select_pairs(n.fwd, n.bwd, margin=m.kind, mode=m.mode, means=means),
        threshold=m.threshold,
        top=m.top if top else None,
    )
    return Mined(cands, n.backend, n.blocks)


def mine_embeddings(
    src: np.ndarray,
    tgt: np.ndarray,
    *,
    work_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    **options: Any,
) -> Candidates:
    """Keyword face of :func:`mine_vectors`: ``mine_embeddings(src, tgt, k=4, margin="ratio",
    mode="max", knn="auto", threshold=None, top=None, block_size=..., nprobe=...)``."""
    opts = MineOptions().with_flat(options, aliases=ALIASES).validate("mine_embeddings()")
    return mine_vectors(src, tgt, opts, work_dir=work_dir, progress=progress).candidates
