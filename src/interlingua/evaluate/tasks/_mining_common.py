"""Shared by the mining tasks: encode a list of texts (through the cache), best-F1 threshold sweep."""

from __future__ import annotations

from typing import Any

import numpy as np


def encode_texts(encoder: Any, texts: list[str], lang: str | None = None) -> tuple[Any, np.ndarray]:
    """``(space, vectors)``; ``encoder`` may be a Space, a name or an Encoder. Role ``query`` (a
    symmetric task); through the evaluation run's embedding settings (cache, workers, progress).
    ``lang``, the texts' language when one is known, reaches the space's adapters."""
    from ...neutral import Space
    from .._embed import embed_texts

    space = Space.of(encoder)
    langs = None if lang is None else [lang] * len(texts)
    return space, embed_texts(space, texts, "query", desc=f"embed {space.name}", langs=langs)


def best_f1(found: np.ndarray, scores: np.ndarray, n_gold: int) -> tuple[float, float, float, float]:
    """``(precision, recall, f1, threshold)`` at the best cut of pairs sorted best first.

    ``found[i]`` says whether the i-th best pair is in the gold.
    """
    if not len(found) or not n_gold:
        return 0.0, 0.0, 0.0, float("inf")
    tp = np.cumsum(found)
    n = np.arange(1, len(found) + 1)
    precision, recall = tp / n, tp / n_gold
    f1 = np.where(tp > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    best = int(np.argmax(f1))
    return float(precision[best]), float(recall[best]), float(f1[best]), float(scores[best])
