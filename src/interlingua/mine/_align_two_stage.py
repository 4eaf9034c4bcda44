"""Two-stage sentence alignment: a cheap model aligns the documents, the job's model re-aligns
only the stretches where that alignment is in doubt.

Why not "the job's model scores a narrow band around the cheap path": every sentence of a
document lies near the path somewhere, so a band needs the job's vectors of every window of
both documents, which is the whole cost (two 10k-sentence documents: 60k windows, 22-34 minutes
of e5 on one thread). What can be saved is the sentences whose link nobody doubts. So:

1. The cheap model (``candidates.model``) embeds every window and aligns the documents as the
   one-stage job would (:func:`~._sentalign.align_window_embeddings`, the same options).
2. A cheap link is **sure** when it links sentences (no deletion) and its cost per linked pair,
   ``cost / (a * b)``, is at most ``sure`` times the median cost of the cheap 1-1 links: costs are
   normalized by each window's cost against random sentences (~0.5 for unrelated sentences in
   any model), so the median 1-1 link is what a translation costs in that model.
3. Doubtful links, widened by ``context`` links on each side, form stretches whose ends are sure
   links (fixed points of the path). The job's model embeds the windows inside the stretches only,
   plus the ``samples`` random sentences of each document that normalize costs (drawn as the
   one-stage job draws them) and up to 256 sentence pairs of cheap 1-1 links for the deletion
   penalty (one stage takes the median best 1-1 match of 256 sampled sentences; on documents
   that translate each other the cheap 1-1 links are those matches).
4. Each stretch is aligned by the dynamic programming of one stage, with the job model's costs.

Sure links keep the cheap model's cost as their score: both models' costs are on the normalized
scale of step 2 (the report says how many links each model decided).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._align_dp import band_around, banded_dp
from ._sentalign import (
    Alignment,
    _WindowCost,
    align_window_embeddings,
    alignment_moves,
    embed_windows,
    window_texts,
)

Encode = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class AlignStages:
    """Who did what: windows each model embedded, links each decided, stretches re-aligned."""

    candidate_embedded: int = 0
    embedded: int = 0
    candidate_links: int = 0
    stretches: int = 0


def _points(links: Sequence[Alignment]) -> list[tuple[int, int]]:
    pts = [(0, 0)]
    for a in links:
        i, j = pts[-1]
        pts.append((i + len(a.src), j + len(a.tgt)))
    return pts


def _stretches(sure: np.ndarray, context: int) -> list[tuple[int, int]]:
    """Runs ``[l0, l1)`` of links to re-align: the doubtful ones widened by ``context`` each side."""
    open_ = ~sure
    if context:
        grown = open_.copy()
        for d in range(1, context + 1):
            grown[d:] |= open_[:-d]
            grown[:-d] |= open_[d:]
        open_ = grown
    runs, start = [], None
    for n, o in enumerate(open_.tolist() + [False]):
        if o and start is None:
            start = n
        elif not o and start is not None:
            runs.append((start, n))
            start = None
    return runs


def align_two_stage(
    src: Sequence[str],
    tgt: Sequence[str],
    options: object,
    candidates: object,
    cheap_encode: Encode,
    encode: Encode,
) -> tuple[list[Alignment], AlignStages]:
    """Align two documents (lists of sentences) as the module docstring says; ``options`` is the
    job's :class:`SentenceOptions`, ``candidates`` its :class:`AlignCandidateOptions`; the two
    ``encode`` functions embed lists of texts with the cheap model and with the job's."""
    o, co = options, candidates
    max_size, n, m = o.max_size, len(src), len(tgt)
    sw = embed_windows(src, max_size=max_size, encode=cheap_encode)
    tw = embed_windows(tgt, max_size=max_size, encode=cheap_encode)
    cheap_texts = sum(len(set(t for w in window_texts(d, max_size) for t in w)) for d in (src, tgt))
    cheap = align_window_embeddings(sw, tw, o)
    pts = _points(cheap)
    one_one = [n_ for n_, a in enumerate(cheap) if len(a.src) == 1 and len(a.tgt) == 1]
    base = float(np.median([cheap[n_].score for n_ in one_one])) if one_one else 0.0
    per_pair = np.array([a.score / max(1, len(a.src) * len(a.tgt)) for a in cheap])
    linked = np.array([bool(a.src) and bool(a.tgt) for a in cheap])
    sure = linked & (per_pair <= co.sure * base)
    runs = _stretches(sure, co.context)

    # what the job's model embeds: windows inside the stretches, the normalizing samples, the
    # sentence pairs of sampled 1-1 links (the deletion penalty)
    rng = np.random.default_rng(o.seed)
    tgt_samples = rng.choice(m, size=min(o.samples, m), replace=False)
    src_samples = rng.choice(n, size=min(o.samples, n), replace=False)
    picked = rng.choice(len(one_one), size=min(256, len(one_one)), replace=False) if one_one else []
    del_links = [cheap[one_one[int(p)]] for p in picked]
    want = {"src": [src[int(i)] for i in src_samples], "tgt": [tgt[int(j)] for j in tgt_samples]}
    want["src"] += [src[a.src[0]] for a in del_links]
    want["tgt"] += [tgt[a.tgt[0]] for a in del_links]
    for l0, l1 in runs:
        (i0, j0), (i1, j1) = pts[l0], pts[l1]
        want["src"] += [t for w in window_texts(src[i0:i1], max_size) for t in w]
        want["tgt"] += [t for w in window_texts(tgt[j0:j1], max_size) for t in w]
    vec: dict[str, dict[str, np.ndarray]] = {}
    for side, texts in want.items():
        uniq = list(dict.fromkeys(texts))
        v = np.asarray(encode(uniq), dtype=np.float32) if uniq else np.zeros((0, 1), dtype=np.float32)
        vec[side] = dict(zip(uniq, v))
    stages = AlignStages(cheap_texts, len(vec["src"]) + len(vec["tgt"]), int(len(cheap)), len(runs))
    if not runs:
        return cheap, stages

    s_samp = np.stack([vec["src"][src[int(i)]] for i in src_samples])
    t_samp = np.stack([vec["tgt"][tgt[int(j)]] for j in tgt_samples])

    def norm(w: np.ndarray, other: np.ndarray) -> np.ndarray:
        return np.clip(1.0 - w @ other.T, 0.0, None).mean(axis=-1).astype(np.float32)

    if o.del_penalty is not None:
        del_penalty = float(o.del_penalty)
    else:
        x = np.stack([vec["src"][src[a.src[0]]] for a in del_links])
        y = np.stack([vec["tgt"][tgt[a.tgt[0]]] for a in del_links])
        c = np.clip(1.0 - np.sum(x * y, axis=1), 0.0, None) / np.maximum(
            norm(x, t_samp) + norm(y, s_samp), 1e-6
        )
        del_penalty = o.del_factor * float(np.median(c))

    out: list[Alignment] = []
    done = 0
    moves = alignment_moves(max_size)
    for l0, l1 in runs:
        out.extend(cheap[done:l0])
        (i0, j0), (i1, j1) = pts[l0], pts[l1]
        a_w = _windows(src[i0:i1], max_size, vec["src"])
        b_w = _windows(tgt[j0:j1], max_size, vec["tgt"])
        cost = _WindowCost.given(a_w, b_w, norm(a_w, t_samp), norm(b_w, s_samp), del_penalty)
        ni, mj = i1 - i0, j1 - j0
        band = None
        if (ni + 1) * (mj + 1) > o.full_cells:
            local = [(i - i0, j - j0) for i, j in pts[l0 : l1 + 1]]
            band = band_around(local, 1, ni, mj, o.width)
        path, costs = banded_dp(ni, mj, moves, cost, band)
        for (p0, q0), (p1, q1), c_ in zip(path[:-1], path[1:], costs):
            out.append(
                Alignment(tuple(range(i0 + p0, i0 + p1)), tuple(range(j0 + q0, j0 + q1)), round(float(c_), 6))
            )
        done = l1
    out.extend(cheap[done:])
    kept = len(cheap) - sum(l1 - l0 for l0, l1 in runs)
    return out, AlignStages(stages.candidate_embedded, stages.embedded, kept, len(runs))


def _windows(sents: Sequence[str], max_size: int, vectors: dict[str, np.ndarray]) -> np.ndarray:
    """``(max_size, n, d)`` window vectors of a stretch, looked up (zero past its end)."""
    d = len(next(iter(vectors.values())))
    out = np.zeros((max_size, max(1, len(sents)), d), dtype=np.float32)
    for k, w in enumerate(window_texts(sents, max_size)):
        for i, t in enumerate(w):
            out[k, i] = vectors[t]
    return out


__all__ = ["AlignStages", "align_two_stage"]
