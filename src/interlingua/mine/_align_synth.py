"""Synthetic document pairs with a planted sentence alignment, for tests and benchmarks.

No model: every "meaning" is a random unit vector, each side sees it with its own noise, and
all vectors share a common direction so that unrelated sentences have a cosine near 0.8 and
translations near 0.93, the narrow range of e5 (DESIGN.md). A window of several sentences is
the normalized sum of their vectors, standing in for the embedding of their concatenation.
"""

from __future__ import annotations

import numpy as np

from ._sentalign import Alignment

#: link types drawn by :func:`synthetic_pair` and their probabilities
LINK_MIX = {(1, 1): 0.84, (1, 0): 0.04, (0, 1): 0.04, (2, 1): 0.04, (1, 2): 0.04}


def synthetic_pair(
    units: int,
    *,
    dim: int = 384,
    max_size: int = 3,
    noise: float = 0.35,
    seed: int = 0,
    mix: dict | None = None,
) -> tuple[np.ndarray, np.ndarray, list[Alignment]]:
    """``(src_windows, tgt_windows, gold)`` with ``units`` links drawn from ``mix``.

    A 2-1 link is two source sentences, each half of a meaning, against one target sentence
    holding the whole meaning; 1-0 and 0-1 are sentences with no counterpart. No two
    deletions are adjacent to a merge, so the gold alignment is the unique sensible one.
    """
    rng = np.random.default_rng(seed)
    mix = mix or LINK_MIX
    kinds = list(mix)
    probs = np.array([mix[k] for k in kinds], dtype=float)
    picks = rng.choice(len(kinds), size=units, p=probs / probs.sum())
    common = _unit(rng.standard_normal(dim))
    src: list[np.ndarray] = []
    tgt: list[np.ndarray] = []
    gold: list[Alignment] = []
    for p in picks:
        a, b = kinds[p]
        parts = [_unit(rng.standard_normal(dim)) for _ in range(max(a, b))]
        whole = _unit(sum(parts))
        s_vecs = parts if a > 1 else ([whole] if a == 1 else [])
        t_vecs = parts if b > 1 else ([whole] if b == 1 else [])
        gold.append(
            Alignment(tuple(range(len(src), len(src) + a)), tuple(range(len(tgt), len(tgt) + b)), 0.0)
        )
        src += [_view(v, common, noise, rng) for v in s_vecs]
        tgt += [_view(v, common, noise, rng) for v in t_vecs]
    return _windows(np.array(src), max_size), _windows(np.array(tgt), max_size), gold


def _view(v: np.ndarray, common: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    return _unit(2.0 * common + v + noise * _unit(rng.standard_normal(len(v))))


def _windows(x: np.ndarray, max_size: int) -> np.ndarray:
    n, d = x.shape
    out = np.zeros((max_size, n, d), dtype=np.float32)
    csum = np.vstack([np.zeros((1, d)), np.cumsum(x, axis=0)])
    for k in range(1, max_size + 1):
        if n - k + 1 > 0:
            w = csum[k:] - csum[:-k]
            out[k - 1, : n - k + 1] = w / np.linalg.norm(w, axis=1, keepdims=True)
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)
