"""Margin scoring for cross-lingual similarity (Artetxe & Schwenk, 2019, "Margin-based
Parallel Corpus Mining with Multilingual Sentence Embeddings", ACL).

A candidate pair's cosine is compared with the average cosine of each side to its ``k``
nearest neighbours in the other language:

    margin(x, y) = f(cos(x, y),  sum_{z in NN_k(x)} cos(x, z) / 2k + sum_{z in NN_k(y)} cos(y, z) / 2k)

with ``f(a, b) = a / b`` (ratio, the default and LASER's choice), ``a - b`` (distance) or ``a``
(absolute: plain cosine). It removes the hubness and the per-language offset that make a
fixed cosine threshold useless for encoders such as e5 (unrelated ~0.8, translations ~0.9).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._registry import Registry

#: margin functions ``f(cos, neighbourhood_mean)`` by name
MARGINS: Registry[Any] = Registry("margins", kind="margin")


@MARGINS.register("ratio", description="cos / mean (Artetxe & Schwenk 2019; LASER's choice)")
def ratio_margin(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a / b


@MARGINS.register("distance", description="cos - mean")
def distance_margin(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a - b


@MARGINS.register("absolute", description="plain cosine")
def absolute_margin(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(a)


def margin(a: np.ndarray, b: np.ndarray, kind: str = "ratio") -> np.ndarray:
    """Combine cosine ``a`` with neighbourhood average ``b`` (same shapes, broadcastable)."""
    return MARGINS.get(kind)(a, b)


def neighbourhood_mean(knn_scores: np.ndarray, k: int) -> np.ndarray:
    """Average cosine of each row to its ``k`` nearest neighbours (the first ``k`` columns)."""
    return knn_scores[:, :k].mean(axis=1).astype(np.float32)


def score_candidates(
    cosines: np.ndarray, x_mean: np.ndarray, y_mean: np.ndarray, kind: str = "ratio"
) -> np.ndarray:
    """Margin scores for candidates: ``cosines[i, c]`` between x_i and y_{cand[i, c]}.

    ``x_mean`` is shape ``(n,)``; ``y_mean`` is already gathered to ``cosines``' shape.
    """
    b = (x_mean[:, None] + y_mean) / 2.0
    return margin(cosines, b, kind)
