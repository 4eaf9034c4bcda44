"""Sentence alignment of two documents that translate each other (vecalign style).

Thompson & Koehn (2019), "Vecalign: Improved Sentence Alignment in Linear Time and Space":
embed every window of up to ``max_size`` consecutive sentences of each document, then find
the cheapest monotone sequence of links by dynamic programming. What is implemented here:

- **Links** ``a-b``: ``1-0`` and ``0-1`` (deletion, insertion) and every ``a-b`` with
  ``1 <= a, b <= max_size`` and ``a + b <= max_size + 1`` (``max_size=3``: 1-1, 1-2, 2-1, 1-3,
  3-1, 2-2).
- **Cost of a link** between a source window ``x`` and a target window ``y``:
  ``(1 - cos(x, y)) * a * b / (r(x) + r(y))``, where ``r(x)`` is the mean of ``1 - cos``
  between ``x`` and ``samples`` sentences of the other document drawn at random (seeded).
  Normalizing by the cost against random sentences makes hub-like windows (short, generic,
  or long concatenations that resemble everything) no cheaper than others; the factor
  ``a * b`` is the penalty on many-to-many links. An unrelated 1-1 pair costs about 0.5.
- **Deletion penalty** (``1-0`` and ``0-1``): ``del_factor`` times the median, over (up to
  256 sampled) source sentences, of the cost of their best 1-1 link anywhere in the target
  document: a scale set by how well translations match for this encoder and language pair,
  so one default serves close and distant pairs. ``del_factor=1.4`` was chosen on documents
  built from SIB-200 *train* sentences (de-fr, en-de, en-zh) with links planted at the rates of
  vecalign's de-fr dev gold, sentences cut unevenly included (``benchmarks/align.py
  --sweep-del-factor``): it leaves 52 sentences unaligned where the gold has 57 (1.2 left 70)
  and has the best strict and lax F1 there; a fixed ``del_penalty`` overrides it.
- **Search**: exact DP when the grid has at most ``full_cells`` points; otherwise coarse to
  fine, as vecalign does: average pairs of consecutive sentence vectors (recursively, until
  the grid is small), align the coarse documents with 1-1 links and deletions, then search
  the fine grid only within ``width`` sentences of the projected coarse path. Time and memory
  are linear in the document length.

``score`` of an :class:`Alignment` is the cost of the link, as vecalign prints it: lower is
better; a deletion costs the deletion penalty.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_int, check_texts
from ..errors import InputError
from ..neutral import Space
from ._align_dp import band_around, banded_dp, downsample


@dataclass(frozen=True)
class Alignment:
    """One link: source sentence indices, target sentence indices, and its cost (lower is better).

    A deletion has an empty ``tgt`` (``1-0``), an insertion an empty ``src`` (``0-1``).
    """

    src: tuple[int, ...]
    tgt: tuple[int, ...]
    score: float


def alignment_moves(max_size: int) -> list[tuple[int, int]]:
    """The link types allowed with at most ``max_size`` sentences on a side."""
    max_size = check_int(max_size, "max_size", low=1, high=8)
    moves = [(1, 0), (0, 1)]
    moves += [(a, b) for a in range(1, max_size + 1) for b in range(1, max_size + 1) if a + b <= max_size + 1]
    return moves


def window_texts(sentences: Sequence[str], max_size: int = 3) -> list[list[str]]:
    """``out[k - 1][i]`` is sentences ``i .. i+k-1`` joined by a space, for ``k = 1 .. max_size``."""
    sents = list(sentences)
    return [[" ".join(sents[i : i + k]) for i in range(len(sents) - k + 1)] for k in range(1, max_size + 1)]


def embed_windows(
    sentences: Sequence[str],
    encoder: Any = "e5-small",
    *,
    max_size: int = 3,
    role: str = "query",
    encode: Callable[[list[str]], np.ndarray] | None = None,
) -> np.ndarray:
    """Window embeddings of shape ``(max_size, n, d)``: row ``[k-1, i]`` embeds sentences ``i .. i+k-1``.

    Rows whose window would run past the end of the document are zero. Each distinct window
    text is encoded once, by ``encode(texts)`` when given (e.g. through a cache), else by
    ``encoder.encode(texts, role=role)``.
    """
    sents = check_texts(sentences, "sentences", allow_empty_list=False)
    max_size = check_int(max_size, "max_size", low=1, high=8)
    windows = window_texts(sents, max_size)
    flat = [t for w in windows for t in w]
    unique = list(dict.fromkeys(flat))
    if encode is None:
        enc = Space.of(encoder)
        vecs = enc.encode(unique, role=role)
    else:
        vecs = np.asarray(encode(unique), dtype=np.float32)
    where = {t: r for r, t in enumerate(unique)}
    out = np.zeros((max_size, len(sents), vecs.shape[1]), dtype=np.float32)
    for k, w in enumerate(windows):
        if w:
            out[k, : len(w)] = vecs[[where[t] for t in w]]
    return out


def align_sentences(
    src_sents: Sequence[str],
    tgt_sents: Sequence[str],
    *,
    encoder: Any = "e5-small",
    max_size: int = 3,
    role: str = "query",
    **options: Any,
) -> list[Alignment]:
    """Align two documents given as lists of sentences; see the module docstring for the method.

    ``options`` go to :func:`align_window_embeddings` (``del_factor``, ``del_penalty``,
    ``samples``, ``search``, ``width``, ``seed``).
    """
    src = check_texts(src_sents, "src_sents")
    tgt = check_texts(tgt_sents, "tgt_sents")
    for name, side in (("src_sents", src), ("tgt_sents", tgt)):
        if not any(s.strip() for s in side):
            raise InputError(f"The {name!r} parameter must hold at least one non-blank sentence. Got none.")
    enc = Space.of(encoder)
    src_win = embed_windows(src, enc, max_size=max_size, role=role)
    tgt_win = embed_windows(tgt, enc, max_size=max_size, role=role)
    return align_window_embeddings(src_win, tgt_win, **options)


def align_window_embeddings(
    src_windows: np.ndarray, tgt_windows: np.ndarray, options: Any = None, **legacy: Any
) -> list[Alignment]:
    """Align from precomputed window embeddings of shape ``(max_size, n, d)`` (see :func:`embed_windows`).

    ``options`` is a :class:`~interlingua.mine.SentenceOptions` (or its fields as keywords:
    ``del_factor``, ``del_penalty``, ``samples``, ``search``, ``width``, ``full_cells``, ``seed``).
    A 2-d array ``(n, d)`` is taken as ``max_size=1`` (1-1 links and deletions only).
    """
    from ._align_options import SentenceOptions

    o = (options or SentenceOptions()).with_flat(legacy) if legacy else (options or SentenceOptions())
    o.validate("align_window_embeddings()")
    del_factor, del_penalty, samples, search = o.del_factor, o.del_penalty, o.samples, o.search
    width, full_cells, seed = o.width, o.full_cells, o.seed
    src_w = _check_windows(src_windows, "src_windows")
    tgt_w = _check_windows(tgt_windows, "tgt_windows")
    if src_w.shape[0] != tgt_w.shape[0] or src_w.shape[2] != tgt_w.shape[2]:
        raise InputError(
            "The 'src_windows' and 'tgt_windows' parameters must have the same max_size and dimension. "
            f"Got shapes {src_w.shape} and {tgt_w.shape} instead."
        )

    max_size, n, _ = src_w.shape
    m = tgt_w.shape[1]
    rng = np.random.default_rng(seed)
    cost = _WindowCost(src_w, tgt_w, samples, rng, del_factor, del_penalty)
    band = None
    if search == "banded" or (search == "auto" and (n + 1) * (m + 1) > full_cells):
        coarse = _coarse_path(
            downsample(src_w[0]), downsample(tgt_w[0]), width, full_cells, samples, rng, del_factor
        )
        band = band_around(coarse, 2, n, m, width)
    points, costs = banded_dp(n, m, alignment_moves(max_size), cost, band)
    out = []
    for (i0, j0), (i1, j1), c in zip(points[:-1], points[1:], costs):
        out.append(Alignment(tuple(range(i0, i1)), tuple(range(j0, j1)), round(float(c), 6)))
    return out


class _WindowCost:
    """The link cost of the module docstring, evaluated one row of the grid at a time."""

    def __init__(
        self,
        src_w: np.ndarray,
        tgt_w: np.ndarray,
        samples: int,
        rng: np.random.Generator,
        del_factor: float,
        del_penalty: float | None,
    ) -> None:
        self.src_w, self.tgt_w = src_w, tgt_w
        n, m = src_w.shape[1], tgt_w.shape[1]
        tgt_s = tgt_w[0, rng.choice(m, size=min(samples, m), replace=False)]
        src_s = src_w[0, rng.choice(n, size=min(samples, n), replace=False)]
        # r[k, i]: mean (1 - cos) of window (k+1, i) against random sentences of the other side
        self.r_src = np.clip(1.0 - src_w @ tgt_s.T, 0.0, None).mean(axis=-1).astype(np.float32)
        self.r_tgt = np.clip(1.0 - tgt_w @ src_s.T, 0.0, None).mean(axis=-1).astype(np.float32)
        if del_penalty is None:
            del_penalty = _best_match_penalty(
                src_w[0], tgt_w[0], self.r_src[0], self.r_tgt[0], rng, del_factor
            )
        self.del_penalty = float(del_penalty)

    @classmethod
    def given(
        cls, src_w: np.ndarray, tgt_w: np.ndarray, r_src: np.ndarray, r_tgt: np.ndarray, del_penalty: float
    ) -> _WindowCost:
        """The cost over windows whose normalizers and deletion penalty were found elsewhere (the
        two-stage alignment finds them on samples of the whole documents, then aligns pieces)."""
        cost = cls.__new__(cls)
        cost.src_w, cost.tgt_w, cost.r_src, cost.r_tgt = src_w, tgt_w, r_src, r_tgt
        cost.del_penalty = float(del_penalty)
        return cost

    def __call__(self, a: int, b: int, i0: int, js: int, je: int) -> np.ndarray:
        if a == 0 or b == 0:
            return np.full(je - js, self.del_penalty)
        sims = self.tgt_w[b - 1, js:je] @ self.src_w[a - 1, i0]
        norm = self.r_src[a - 1, i0] + self.r_tgt[b - 1, js:je]
        return np.clip(1.0 - sims, 0.0, None) * (a * b) / np.maximum(norm, 1e-6)


def _best_match_penalty(
    src: np.ndarray,
    tgt: np.ndarray,
    r_src: np.ndarray,
    r_tgt: np.ndarray,
    rng: np.random.Generator,
    factor: float,
) -> float:
    """``factor`` times the median cost of the best 1-1 link of (up to 256) sampled source sentences."""
    rows = rng.choice(len(src), size=min(256, len(src)), replace=False)
    costs = np.clip(1.0 - src[rows] @ tgt.T, 0.0, None) / np.maximum(r_src[rows, None] + r_tgt[None, :], 1e-6)
    return factor * float(np.median(costs.min(axis=1)))


def _coarse_path(
    src: np.ndarray,
    tgt: np.ndarray,
    width: int,
    full_cells: int,
    samples: int,
    rng: np.random.Generator,
    del_factor: float,
) -> list[tuple[int, int]]:
    """1-1 links and deletions on sentence vectors, itself coarse to fine when the grid is large."""
    n, m = len(src), len(tgt)
    band = None
    if (n + 1) * (m + 1) > max(full_cells, 64):
        coarse = _coarse_path(downsample(src), downsample(tgt), width, full_cells, samples, rng, del_factor)
        band = band_around(coarse, 2, n, m, width)
    cost = _WindowCost(src[None], tgt[None], samples, rng, del_factor, None)
    points, _ = banded_dp(n, m, [(1, 0), (0, 1), (1, 1)], cost, band)
    return points


def _check_windows(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or not np.issubdtype(arr.dtype, np.floating):
        raise InputError(
            f"The {name!r} parameter must be a float array of shape (max_size, n, dim) or (n, dim). "
            f"Got {arr.dtype} of shape {arr.shape} instead."
        )
    if arr.shape[1] == 0:
        raise InputError(f"The {name!r} parameter must hold at least one sentence. Got 0.")
    if not np.isfinite(arr).all():
        raise InputError(f"The {name!r} parameter must hold finite values only.")
    return arr.astype(np.float32, copy=False)
