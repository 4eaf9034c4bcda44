"""Two-stage mining: a cheap model proposes, the job's model decides, on as few sentences as it can.

Encoding dominates mining (e5-small: ~110 short or ~25 long sentences/s on one thread), while a
static student embeds ~20k/s. So:

1. **Stage 1** embeds both sides with the cheap model (``candidates.model``) and runs its k-NN
   both ways, ``max(k, per_source, context)`` neighbours deep (resumable like one-stage k-NN).
2. **Candidate pairs**: each source with its ``per_source`` nearest targets, each target with
   its ``per_source`` nearest sources, kept when their ratio margin *in the cheap space* reaches
   ``bound``. The bound is loose on purpose: it only has to keep the true pairs, the job's model
   makes the decision. (Always the ratio margin: it is what the defaults were measured with, and
   it is scale-free, unlike a cosine, whatever ``margin.kind`` the job scores with.)
3. **What the job's model embeds**: the ends of the candidate pairs, and for each of them its
   ``context`` nearest neighbours on the other side (by the cheap model). Nothing else.
4. **Stage 2** is one-stage mining restricted to those sentences: the job's model gives each
   candidate sentence its ``k`` nearest among the embedded sentences of the other side, so its
   margin neighbourhood is the top ``k`` of a superset of its cheap ``context`` list re-scored
   (a subset of the whole side: the mean can only be under the exact one, and it is the exact one
   whenever the true ``k`` nearest were embedded); selection (LASER's modes) runs as one-stage
   does, a sentence pairing only with candidate sentences (whose neighbourhoods are known).

With the job's model as its own candidate model, ``per_source >= k``, ``context >= k`` and a
bound low enough to keep everything, this is exactly one-stage mining. Margins are the job
space's, so its calibrated threshold applies (``benchmarks/two_stage.py`` checks that the
two-stage margins of the pairs both runs find are those of one-stage).

Defaults (``per_source=4``, ``bound=1.1``, ``context=2``): chosen on SIB-200 *train* pools
(``benchmarks/two_stage.py --sweep``), never on BUCC or the pools the benchmark reports, as the
best F1 where e5 embeds at most a quarter of the sentences (what a 4x speed-up needs): with
e5-static, context 2 embedded 20.5% at F1 0.480, context 8 46% at 0.498. (``per_source``
changes nothing at a bound of 1.0 or more: only a near-first neighbour has such a margin.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..progress import ProgressFn, note
from ._bitext import Candidates, Mined, cut, neighbour_means, neighbours, resolve_backend, select_pairs
from ._knn import knn
from ._margin import score_candidates
from ._options import MineOptions

#: ``rows -> vectors`` of the job's model for those rows (sorted, unique) of one side
EncodeRows = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class StageCounts:
    """Sentences each stage touched: what the candidate model embedded (all of both sides), the
    candidate pairs and sentences, and what the job's model embedded (candidates + context)."""

    candidate_embedded: int = 0
    candidate_pairs: int = 0
    candidate_src: int = 0
    candidate_tgt: int = 0
    embedded_src: int = 0
    embedded_tgt: int = 0

    @property
    def embedded(self) -> int:
        return self.embedded_src + self.embedded_tgt


def candidate_pairs(
    fwd: tuple[np.ndarray, np.ndarray],
    bwd: tuple[np.ndarray, np.ndarray],
    k: int,
    per_source: int,
    bound: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``(src rows, tgt rows)`` of the pairs the cheap model proposes (step 2 of the module
    docstring), unique, from its neighbour lists both ways."""
    (xs, xi), (ys, yi) = fwd, bwd
    x_mean, y_mean = neighbour_means(xs[:, :k]), neighbour_means(ys[:, :k])
    c = per_source
    out_s, out_t = [], []
    for scores, idx, own, other, forward in ((xs, xi, x_mean, y_mean, True), (ys, yi, y_mean, x_mean, False)):
        s, i = scores[:, :c], idx[:, :c]
        m = score_candidates(s, own, other[np.maximum(i, 0)], "ratio")
        keep = (i >= 0) & (m >= bound)
        rows = np.nonzero(keep)[0]
        cols = i[keep]
        out_s.append(rows if forward else cols)
        out_t.append(cols if forward else rows)
    src = np.concatenate(out_s).astype(np.int64)
    tgt = np.concatenate(out_t).astype(np.int64)
    n_tgt = max(int(xi.max(initial=0)), int(tgt.max(initial=0))) + 1
    key = np.unique(src * n_tgt + tgt)
    return key // n_tgt, key % n_tgt


def _context(rows: np.ndarray, idx: np.ndarray, depth: int) -> np.ndarray:
    """The other side's rows among the ``depth`` nearest neighbours of ``rows``."""
    near = idx[rows, :depth].ravel()
    return near[near >= 0]


def mine_two_stage(
    cheap_src: np.ndarray,
    cheap_tgt: np.ndarray,
    options: MineOptions,
    encode_src: EncodeRows,
    encode_tgt: EncodeRows,
    *,
    work_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    top: bool = True,
) -> tuple[Mined, StageCounts]:
    """Mine with the cheap model's vectors of both sides (arrays or memmaps) and the job's model
    called through ``encode_src`` / ``encode_tgt`` on the rows it needs; pairs best first, as
    :func:`~._bitext.mine_vectors` gives them (row indices of the whole sides)."""
    co, k = options.candidates, options.knn.k
    depth = max(k, co.per_source, co.context)
    stage1 = neighbours(
        cheap_src, cheap_tgt, options.knn.replace(k=depth), work_dir=work_dir, progress=progress
    )
    (_, xi), (_, yi) = stage1.fwd, stage1.bwd
    pair_src, pair_tgt = candidate_pairs(stage1.fwd, stage1.bwd, k, co.per_source, co.bound)
    cand_src, cand_tgt = np.unique(pair_src), np.unique(pair_tgt)
    emb_src = np.union1d(cand_src, _context(cand_tgt, yi, co.context))
    emb_tgt = np.union1d(cand_tgt, _context(cand_src, xi, co.context))
    note(
        progress,
        f"{len(pair_src):,} candidate pairs over {len(cand_src):,} x {len(cand_tgt):,} sentences; the job's model "
        f"embeds {len(emb_src):,} + {len(emb_tgt):,} of {cheap_src.shape[0]:,} + {cheap_tgt.shape[0]:,}",
        "mine",
    )
    counts = StageCounts(
        candidate_embedded=cheap_src.shape[0] + cheap_tgt.shape[0],
        candidate_pairs=len(pair_src),
        candidate_src=len(cand_src),
        candidate_tgt=len(cand_tgt),
        embedded_src=len(emb_src),
        embedded_tgt=len(emb_tgt),
    )
    empty = Candidates(*(np.zeros(0, dtype=t) for t in (np.int64, np.int64, np.float32, np.float32)))
    if len(cand_src) == 0 or len(cand_tgt) == 0:
        return Mined(empty, stage1.backend, stage1.blocks), counts
    src_v = np.asarray(encode_src(emb_src), dtype=np.float32)
    tgt_v = np.asarray(encode_tgt(emb_tgt), dtype=np.float32)
    picked = _stage2(src_v, tgt_v, emb_src, emb_tgt, cand_src, cand_tgt, options)
    m = options.margin
    cands = cut(picked, threshold=m.threshold, top=m.top if top else None)
    return Mined(cands, f"{stage1.backend} (candidates), exact (scores)", stage1.blocks), counts


def _stage2(
    src_v: np.ndarray,
    tgt_v: np.ndarray,
    emb_src: np.ndarray,
    emb_tgt: np.ndarray,
    cand_src: np.ndarray,
    cand_tgt: np.ndarray,
    options: MineOptions,
) -> Candidates:
    """Step 4: one-stage scoring and selection over the candidate sentences, each one's
    neighbourhood being its ``k`` nearest among everything embedded on the other side."""
    k = options.knn.k
    at_src, at_tgt = np.searchsorted(emb_src, cand_src), np.searchsorted(emb_tgt, cand_tgt)
    ks, kt = min(k, len(emb_tgt)), min(k, len(emb_src))
    backend = resolve_backend("auto", len(cand_src), len(emb_tgt))
    xs, xi = knn(src_v[at_src], tgt_v, ks, backend=backend)
    backend = resolve_backend("auto", len(cand_tgt), len(emb_src))
    ys, yi = knn(tgt_v[at_tgt], src_v, kt, backend=backend)
    means = (neighbour_means(xs), neighbour_means(ys))
    # embedded rows -> position among the candidates of that side (-1: context only, never paired)
    tgt_pos = np.full(len(emb_tgt), -1, dtype=np.int64)
    tgt_pos[at_tgt] = np.arange(len(cand_tgt))
    src_pos = np.full(len(emb_src), -1, dtype=np.int64)
    src_pos[at_src] = np.arange(len(cand_src))
    fx = np.where(xi >= 0, tgt_pos[np.maximum(xi, 0)], -1)
    fy = np.where(yi >= 0, src_pos[np.maximum(yi, 0)], -1)
    m = options.margin
    c = select_pairs((xs, fx), (ys, fy), margin=m.kind, mode=m.mode, means=means)
    return Candidates(cand_src[c.src], cand_tgt[c.tgt], c.score, c.cosine)


__all__ = ["EncodeRows", "StageCounts", "candidate_pairs", "mine_two_stage"]
