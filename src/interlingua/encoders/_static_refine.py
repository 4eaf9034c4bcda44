"""Refine a distilled piece table on parallel text, toward the teacher's vectors of the pivots.

Each line of the refinement file is ``text<TAB>pivot``; the teacher encodes each distinct pivot
once (the only teacher cost), and both the text and the pivot itself get that vector, projected
by the student's PCA, as their target. The table ``E`` then solves the ridge problem

    min ||A E - T||^2 + lam ||E - E0||^2

where ``A`` is the ``(texts, pieces)`` sparse matrix of piece means (the student's pooling) and
``E0`` the distilled table: only the pieces that occur move, rare ones little. The normal
equations ``(AᵀA + lam I) E = AᵀT + lam E0`` are solved by conjugate gradients, all columns at
once, with the diagonal as preconditioner.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..progress import ProgressFn, note, task
from ._static_spec import StaticSpec

_PIVOT_CHUNK = 256


def refine_table(
    table: np.ndarray,
    pieces: np.ndarray,
    vocab: int,
    pairs: list[tuple[str, str]],
    tok: Any,
    spec: StaticSpec,
    mean: np.ndarray,
    components: np.ndarray,
    pool: Any,
    model_file: str,
    progress: ProgressFn | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The refined table and what was done (pairs, pivots, pieces moved, fit before and after)."""
    from ._static_teacher import pivot_rows

    pivots = sorted({p for _, p in pairs})
    chunks = [pivots[i : i + _PIVOT_CHUNK] for i in range(0, len(pivots), _PIVOT_CHUNK)]
    with task(progress, "teacher over pivots", len(pivots), "sentence") as t:
        parts = pool.map(
            pivot_rows,
            [(model_file, c, spec.target_role) for c in chunks],
            lambda i: t.advance(len(chunks[i])),
        )
    teacher = np.concatenate(parts)
    if spec.center:
        teacher = teacher - teacher.mean(axis=0) + mean  # what every sentence shares is dropped
    targets_of = dict(zip(pivots, ((teacher - mean) @ components.T).astype(np.float32)))
    # a text paired with several pivots (or a pivot that is also a text) gets the mean target
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for text, pivot in pairs:
        sums[text] = sums.get(text, 0) + targets_of[pivot]
        counts[text] = counts.get(text, 0) + 1
    for pivot in pivots:
        if pivot not in sums:
            sums[pivot], counts[pivot] = targets_of[pivot], 1
    texts = list(sums)
    targets = np.stack([sums[t] / counts[t] for t in texts]).astype(np.float32)

    a = _mean_matrix(texts, tok, pieces, vocab)
    from scipy import sparse

    used = np.unique(a.indices)  # only the pieces that occur move (and are solved for)
    col_of = np.full(a.shape[1], -1, dtype=np.int64)
    col_of[used] = np.arange(len(used))
    a = sparse.csr_matrix((a.data, col_of[a.indices], a.indptr), shape=(a.shape[0], len(used)))
    e0 = table[used].astype(np.float32)
    fitted = a @ e0
    scale = float((fitted * targets).sum() / max(float((fitted * fitted).sum()), 1e-30))
    table = table * np.float32(scale)  # the student's directions are unchanged by a global scale
    e0 *= np.float32(scale)
    before = _fit_error(a @ e0, targets)
    with task(progress, "refine", spec.iterations, "iteration") as t:
        e, iterations = _solve(a, targets, e0, spec.ridge, spec.iterations, t.advance)
    table[used] = e
    after = _fit_error(a @ e, targets)
    note(
        progress,
        f"refined {len(used):,} pieces on {len(texts):,} texts ({len(pivots):,} pivots): "
        f"fit cosine {before:.3f} -> {after:.3f} in {iterations} iterations",
    )
    return table, {
        "pairs": len(pairs),
        "texts": len(texts),
        "pivots": len(pivots),
        "pieces_moved": len(used),
        "scale": scale,
        "fit_cosine_before": round(before, 4),
        "fit_cosine_after": round(after, 4),
        "iterations": iterations,
    }


def _mean_matrix(texts: list[str], tok: Any, pieces: np.ndarray, vocab: int):
    """``(texts, rows)`` CSR: ``1 / len`` per piece occurrence; pieces outside the table count in
    the length (they are zero rows for the student too) but have no column."""
    from scipy import sparse

    ids = [e.ids for e in tok.encode_batch_fast(texts, add_special_tokens=False)]
    lens = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lens.sum()))
    row_of = np.full(vocab, -1, dtype=np.int64)
    row_of[pieces] = np.arange(len(pieces))
    cols = row_of[flat]
    data = np.repeat(1.0 / np.maximum(lens, 1), lens).astype(np.float32)
    keep = cols >= 0
    rows = np.repeat(np.arange(len(ids)), lens)[keep]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(ids)))])
    a = sparse.csr_matrix((data[keep], cols[keep], indptr), shape=(len(ids), len(pieces)))
    a.sum_duplicates()
    return a


def _fit_error(pred: np.ndarray, targets: np.ndarray) -> float:
    """Mean cosine between the student's (unnormalized) sentence vectors and their targets."""
    num = (pred * targets).sum(axis=1)
    den = np.linalg.norm(pred, axis=1) * np.linalg.norm(targets, axis=1)
    return float(np.mean(num / np.maximum(den, 1e-12)))


def _solve(
    a, targets: np.ndarray, e0: np.ndarray, lam: float, iterations: int, tick
) -> tuple[np.ndarray, int]:
    """Jacobi-preconditioned conjugate gradients on ``(AᵀA + lam I) E = AᵀT + lam E0``, one
    independent CG per column, run together (a column stops moving once it has converged)."""
    at = a.T.tocsr()

    def apply(x: np.ndarray) -> np.ndarray:
        return at @ (a @ x) + lam * x

    diag = np.asarray(a.multiply(a).sum(axis=0)).ravel().astype(np.float32) + lam
    b = at @ targets + lam * e0
    x = e0.copy()
    r = b - apply(x)
    z = r / diag[:, None]
    p = z.copy()
    rz = (r * z).sum(axis=0)
    stop = 1e-4 * np.linalg.norm(b, axis=0)
    done = 0
    for step in range(1, iterations + 1):
        done = step
        q = apply(p)
        alpha = rz / np.maximum((p * q).sum(axis=0), 1e-30)
        x += alpha * p
        r -= alpha * q
        tick(1)
        if np.all(np.linalg.norm(r, axis=0) <= stop):
            break
        z = r / diag[:, None]
        rz_new = (r * z).sum(axis=0)
        p = z + (rz_new / np.maximum(rz, 1e-30)) * p
        rz = rz_new
    return x.astype(np.float32), done
