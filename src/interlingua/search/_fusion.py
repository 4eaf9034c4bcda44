"""Fusion of ranked lists: small pure functions, one per name.

Each run is a mapping ``doc key -> score`` (higher is better). Scores of different retrievers
live on different scales (BM25 is unbounded, cosine sits in a narrow band for e5), so they are
either fused by rank (RRF) or normalized first, as a separate step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._registry import Registry

RRF_K = 60  # Cormack, Clarke & Buettcher (2009) found k = 60 near-optimal; we state it, never k = 0


def reciprocal_rank_fusion(
    runs: Sequence[Mapping[int, float]], *, k: int = RRF_K, weights: Sequence[float] | None = None
) -> dict[int, float]:
    """RRF (Cormack, Clarke & Buettcher, SIGIR 2009): ``sum_r w_r / (k + rank_r(d))``, rank from 1."""
    weights = weights or [1.0] * len(runs)
    out: dict[int, float] = {}
    for run, w in zip(runs, weights):
        for rank, key in enumerate(sorted(run, key=run.__getitem__, reverse=True), start=1):
            out[key] = out.get(key, 0.0) + w / (k + rank)
    return out


def minmax_normalize(run: Mapping[int, float]) -> dict[int, float]:
    """Scale scores to [0, 1] within one run (all 1.0 when every score is equal)."""
    if not run:
        return {}
    lo, hi = min(run.values()), max(run.values())
    if hi == lo:
        return {key: 1.0 for key in run}
    return {key: (s - lo) / (hi - lo) for key, s in run.items()}


def weighted_sum(
    runs: Sequence[Mapping[int, float]], *, weights: Sequence[float] | None = None
) -> dict[int, float]:
    """Convex combination of min-max normalized scores (a document absent from a run scores 0
    there), the "CombSUM" family of Fox & Shaw (1994) with per-run weights."""
    weights = weights or [1.0 / len(runs)] * len(runs)
    out: dict[int, float] = {}
    for run, w in zip(runs, weights):
        for key, s in minmax_normalize(run).items():
            out[key] = out.get(key, 0.0) + w * s
    for run in runs:
        for key in run:
            out.setdefault(key, 0.0)
    return out


FUSIONS: Registry[Any] = Registry("fusions", kind="fusion method")
FUSIONS.register("weighted", weighted_sum, description="weighted sum of min-max normalized scores (default)")
FUSIONS.register("rrf", reciprocal_rank_fusion, description=f"reciprocal rank fusion, k = {RRF_K}")


def fuse(
    name: str, runs: Sequence[Mapping[int, float]], *, weights: Sequence[float] | None = None
) -> dict[int, float]:
    return FUSIONS.get(name)(runs, weights=weights)


__all__ = ["FUSIONS", "RRF_K", "fuse", "minmax_normalize", "reciprocal_rank_fusion", "weighted_sum"]
