"""Threshold sweeps: precision, recall and F1 of mined pairs at every cut of a score-sorted list.

Pairs come best score first; ``found[i]`` says whether the i-th pair is in the gold. A cut keeps
the pairs scoring at least a threshold, so only the places where the score drops are cuts (pairs
with equal scores are kept or dropped together). The threshold reported for a cut lies midway
between the last score kept and the first score dropped, so that a score a hair below the last
pair kept on the sample still passes on new data (LASER's ``bucc.py`` reports the last score kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..errors import InputError


class Curve(NamedTuple):
    """One row per cut: the threshold, the pairs kept, and their precision, recall and F1."""

    threshold: np.ndarray
    kept: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray

    def __len__(self) -> int:  # type: ignore[override]
        return int(self.threshold.shape[0])

    def row(self, i: int) -> dict[str, float]:
        return {
            "threshold": float(self.threshold[i]),
            "pairs": int(self.kept[i]),
            "precision": float(self.precision[i]),
            "recall": float(self.recall[i]),
            "f1": float(self.f1[i]),
        }

    def thinned(self, points: int = 101) -> dict[str, list[float]]:
        """At most ``points`` rows, evenly spaced along the list, the F1-best row among them (for files)."""
        n = len(self)
        if n == 0:
            return {name: [] for name in self._fields}
        rows = np.unique(
            np.concatenate([np.linspace(0, n - 1, min(points, n)).round(), [np.argmax(self.f1)]])
        )
        rows = rows.astype(np.int64)
        return {
            name: [round(float(v), 6) if name != "kept" else int(v) for v in getattr(self, name)[rows]]
            for name in self._fields
        }


def sweep(found: Sequence[bool] | np.ndarray, scores: Sequence[float] | np.ndarray, n_gold: int) -> Curve:
    """The curve of every cut of ``scores`` (sorted best first) against ``n_gold`` gold pairs."""
    hit = np.asarray(found, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if hit.shape != s.shape or hit.ndim != 1:
        raise InputError(f"found and scores must be two lists of one length. Got {hit.shape} and {s.shape}.")
    if len(s) > 1 and np.any(np.diff(s) > 0):
        raise InputError("scores must be sorted best first (descending).")
    if n_gold < 1:
        raise InputError(f"A threshold sweep needs at least one gold pair. Got {n_gold}.")
    if not len(s):
        return Curve(*(np.zeros(0) for _ in Curve._fields))
    tp = np.cumsum(hit)
    kept = np.arange(1, len(s) + 1)
    precision = tp / kept
    recall = tp / n_gold
    f1 = np.where(tp > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    ends = np.flatnonzero(np.append(s[1:] < s[:-1], True))  # the last pair of each run of equal scores
    nxt = np.append(s[1:], -np.inf)[ends]
    mid = np.where(np.isfinite(nxt), (s[ends] + nxt) / 2.0, s[ends])
    mid = np.where(mid > nxt, mid, s[ends])  # adjacent floats: keep the last score itself
    return Curve(mid, kept[ends], precision[ends], recall[ends], f1[ends])


def choose(curve: Curve, *, min_precision: float | None = None) -> int:
    """The row to use: the F1-best cut (the loosest of equal ones), or with ``min_precision`` the
    loosest cut whose precision is still at least that."""
    if not len(curve):
        raise InputError("No candidate pairs were mined, so no threshold can be chosen.")
    if min_precision is None:
        best = np.flatnonzero(curve.f1 == curve.f1.max())
        return int(best[-1])
    ok = np.flatnonzero(curve.precision >= min_precision)
    if not len(ok):
        raise InputError(
            f"No threshold reaches precision {min_precision:g} on this sample (the best is "
            f"{curve.precision.max():.3f}); lower --min-precision or calibrate on more data."
        )
    return int(ok[-1])


def f1_at(
    found: np.ndarray, scores: np.ndarray, n_gold: int, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(precision, recall, f1)`` of keeping the pairs that score at least each of ``thresholds``."""
    hit = np.asarray(found, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    tp = np.concatenate([[0], np.cumsum(hit)])
    kept = np.searchsorted(-s, -np.asarray(thresholds, dtype=np.float64), side="right")
    precision = np.where(kept > 0, tp[kept] / np.maximum(kept, 1), 0.0)
    recall = tp[kept] / max(n_gold, 1)
    f1 = np.where(tp[kept] > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    return precision, recall, f1


__all__ = ["Curve", "choose", "f1_at", "sweep"]
