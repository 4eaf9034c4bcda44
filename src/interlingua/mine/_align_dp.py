"""Monotone dynamic programming over a band of a (n+1) x (m+1) grid, for sentence alignment.

A point ``(i, j)`` of the grid means "the first ``i`` source and the first ``j`` target
sentences are aligned". A move ``(a, b)`` goes from ``(i - a, j - b)`` to ``(i, j)`` and links
source sentences ``i-a .. i-1`` with target sentences ``j-b .. j-1`` (``(1, 0)`` and
``(0, 1)`` are a deletion and an insertion). The search visits, in row ``i``, only the
columns ``lo[i] <= j < hi[i]``; a full search is the band ``[0, m + 1)`` in every row.

Rows are computed one at a time with numpy: every move but ``(0, 1)`` reads an earlier row,
and the chain of ``(0, 1)`` moves inside a row, which depends on the row itself, is a prefix
minimum (``D[j] = min_k (E[k] + (j - k) * p)``), so no Python loop runs over columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

#: ``cost(a, b, i0, j0_start, j0_stop)``: costs of linking source ``i0 .. i0+a-1`` with target
#: ``j .. j+b-1`` for every ``j`` in ``range(j0_start, j0_stop)``; ``a`` or ``b`` may be 0.
CostFn = Callable[[int, int, int, int, int], np.ndarray]

_NO_MOVE = -1


def full_band(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(n + 1, dtype=np.int64), np.full(n + 1, m + 1, dtype=np.int64)


def banded_dp(
    n: int,
    m: int,
    moves: Sequence[tuple[int, int]],
    cost: CostFn,
    band: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[list[tuple[int, int]], list[float]]:
    """Cheapest monotone path from ``(0, 0)`` to ``(n, m)`` inside ``band``.

    Returns the points of the path (``(0, 0)`` first, ``(n, m)`` last; consecutive points
    differ by one of ``moves``) and the cost of each step. Ties go to the earlier move in
    ``moves``. Memory: one float and one int8 per band cell.
    """
    lo, hi = band if band is not None else full_band(n, m)
    inner = [(a, b) for a, b in moves if a > 0]
    ins = (0, 1) in moves
    ins_cost = float(cost(0, 1, 0, 0, 1)[0]) if ins else np.inf
    rows: list[np.ndarray] = []
    back: list[np.ndarray] = []
    for i in range(n + 1):
        width = int(hi[i] - lo[i])
        e = np.full(width, np.inf)
        bp = np.full(width, _NO_MOVE, dtype=np.int8)
        if i == 0 and lo[0] == 0:
            e[0] = 0.0
        for k, (a, b) in enumerate(inner):
            p = i - a
            if p < 0:
                continue
            # columns j of this row whose start column j - b lies in row p's band
            start = max(int(lo[i]), int(lo[p]) + b, b)
            stop = min(int(hi[i]), int(hi[p]) + b)
            if start >= stop:
                continue
            prev = rows[p][start - b - lo[p] : stop - b - lo[p]]
            cand = prev + cost(a, b, p, start - b, stop - b)
            seg = slice(start - lo[i], stop - lo[i])
            better = cand < e[seg]
            e[seg] = np.where(better, cand, e[seg])
            bp[seg] = np.where(better, k, bp[seg])
        if ins and width > 1:
            shift = np.arange(width) * ins_cost
            g = e - shift
            f = np.minimum.accumulate(g)
            left = g > f
            e = np.where(left, f + shift, e)
            bp = np.where(left, len(inner), bp).astype(np.int8)
        rows.append(e)
        back.append(bp)
    if not (lo[n] <= m < hi[n]) or not np.isfinite(rows[n][m - lo[n]]):
        raise RuntimeError("the search band does not reach the end of both documents")
    all_moves = [*inner, (0, 1)]
    points = [(n, m)]
    costs: list[float] = []
    i, j = n, m
    while (i, j) != (0, 0):
        k = int(back[i][j - lo[i]])
        if k == _NO_MOVE:
            raise RuntimeError("broken back-pointer chain")  # pragma: no cover - a bug, not user error
        a, b = all_moves[k]
        pi, pj = i - a, j - b
        costs.append(float(rows[i][j - lo[i]] - rows[pi][pj - lo[pi]]))
        i, j = pi, pj
        points.append((i, j))
    points.reverse()
    costs.reverse()
    return points, costs


def band_around(
    points: Sequence[tuple[int, int]], factor: int, n: int, m: int, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """The band of a fine grid around a path found on a grid ``factor`` times coarser.

    Each coarse step ``(I0, J0) -> (I1, J1)`` covers fine rows ``factor*I0 .. factor*I1`` and
    columns ``factor*J0 .. factor*J1``; the band adds ``width`` columns on each side and is
    made monotone, so consecutive rows always overlap and the end point is inside.
    """
    pts = np.asarray(points, dtype=np.int64) * factor
    pts[:, 0] = np.minimum(pts[:, 0], n)
    pts[:, 1] = np.minimum(pts[:, 1], m)
    lo = np.full(n + 1, m + 1, dtype=np.int64)
    hi = np.zeros(n + 1, dtype=np.int64)
    for (i0, j0), (i1, j1) in zip(pts[:-1], pts[1:]):
        lo[i0 : i1 + 1] = np.minimum(lo[i0 : i1 + 1], j0)
        hi[i0 : i1 + 1] = np.maximum(hi[i0 : i1 + 1], j1 + 1)
    lo = np.minimum.accumulate(lo[::-1])[::-1]
    hi = np.maximum.accumulate(hi)
    lo = np.clip(lo - width, 0, m)
    hi = np.clip(hi + width, 1, m + 1)
    lo[0] = 0
    hi[n] = m + 1
    return lo, hi


def downsample(x: np.ndarray, factor: int = 2) -> np.ndarray:
    """Average each run of ``factor`` consecutive rows and L2-normalize (the last run may be short)."""
    n, d = x.shape
    groups = -(-n // factor)
    pad = np.zeros((groups * factor, d), dtype=np.float64)
    pad[:n] = x
    counts = np.full(groups, factor, dtype=np.float64)
    counts[-1] = n - (groups - 1) * factor
    out = pad.reshape(groups, factor, d).sum(axis=1) / counts[:, None]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.maximum(norms, 1e-12)).astype(np.float32)
