"""Refine a student on the teacher's vectors of real sentences: tokenlearn's idea, without torch.

Each line of the refinement file is a sentence, whose own teacher vector is its target, or
``text<TAB>translation``, which targets the translation's vector instead. The teacher encodes
each distinct target once (the only teacher cost). Targets are L2-normalized and whitened with
their own statistics, so that they live in a space of the same kind as the student's (already
whitened, ``_static_whiten``). Then, with ``A`` the ``(texts, pieces)`` sparse matrix of piece
means (the student's pooling):

1. one linear map ``M`` for the whole table, ``min ||A E M - Y||^2`` (ridge): every row moves,
   also those of pieces the text never uses, so the table stays one space;
2. the rows that occur, ``min ||A E - Y||^2 + ridge ||E - E0 M||^2``, by conjugate gradients on
   the normal equations, all columns at once, the diagonal as preconditioner.

Measured (fit on SIB-200 train, 143,705 sentences in 205 languages, own targets; xx->en margin
top-1 on held-out STSb dev / XQuAD questions): whitened student 72.9% / 75.1%, + map 76.8% /
82.0%, + rows (ridge 1) 77.7% / 81.2%. Translation targets did worse than own ones (map: 69.7% /
73.3%); a small ridge over-fits the rows to the domain (ridge 0.1: XQuAD 76.8%).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..progress import ProgressFn, note, task
from ._static_spec import StaticSpec
from ._static_whiten import map_rows, reduced_whitening, text_statistics

_TARGET_CHUNK = 256
#: whitening floor of the targets, relative to their largest eigenvalue (STSb dev 76.0% at
#: 1e-4, 76.2% at 1e-3, 76.8% at 1e-2, after the map)
_TARGET_EPS = 1e-2
#: the map's ridge, relative to the mean eigenvalue of the student's Gram matrix
_MAP_RIDGE = 1e-2


def refine_table(
    table: np.ndarray,
    pieces: np.ndarray,
    vocab: int,
    pairs: list[tuple[str, str]],
    tok: Any,
    spec: StaticSpec,
    pool: Any,
    model_file: str,
    progress: ProgressFn | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The refined table and what was done (lines, targets, pieces moved, fit after each step)."""
    from ._static_teacher import cached_rows, pivot_rows

    wanted = sorted({t for _, t in pairs})

    def compute() -> np.ndarray:
        chunks = [wanted[i : i + _TARGET_CHUNK] for i in range(0, len(wanted), _TARGET_CHUNK)]
        with task(progress, "teacher over the refinement text", len(wanted), "sentence") as t:
            parts = pool.map(
                pivot_rows,
                [(model_file, c, spec.target_role) for c in chunks],
                lambda i: t.advance(len(chunks[i])),
            )
        return np.concatenate(parts)

    # kept, so a rebuild with another ridge or dim skips the teacher (30 minutes for SIB-200 train)
    teacher = cached_rows(
        model_file,
        ["targets", spec.target_role],
        "\0".join(wanted).encode("utf-8", "surrogatepass"),
        len(wanted),
        compute,
        lambda path: note(progress, f"teacher vectors of the refinement text from the cache: {path}"),
    ).astype(np.float64)
    teacher /= np.maximum(np.linalg.norm(teacher, axis=1, keepdims=True), 1e-12)
    # whitened, and reduced to the student's width (the top principal directions)
    mu, cov = text_statistics(teacher)
    # shrunk toward a multiple of the identity as the texts get few against the dimensions: a
    # handful of sentences whitened in 384 dimensions would come out all equally far apart
    shrink = len(cov) / (len(teacher) + len(cov))
    cov = (1 - shrink) * cov + shrink * np.trace(cov) / len(cov) * np.eye(len(cov))
    w = reduced_whitening(cov, _TARGET_EPS, min(table.shape[1], len(cov)))
    targets_of = dict(zip(wanted, ((teacher - mu) @ w).astype(np.float32)))
    # a text with several targets gets their mean; a translation is also a text of its own
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for text, target in pairs:
        sums[text] = sums.get(text, 0) + targets_of[target]
        counts[text] = counts.get(text, 0) + 1
    for target in wanted:
        if target not in sums:
            sums[target], counts[target] = targets_of[target], 1
    texts = list(sums)
    targets = np.stack([sums[t] / counts[t] for t in texts]).astype(np.float32)

    # only the pieces that occur get rows of their own fitted
    a, used = used_columns(mean_matrix(texts, tok, pieces, vocab))
    student = np.asarray(a @ table[used], dtype=np.float64)
    gram = student.T @ student
    ridge = _MAP_RIDGE * np.trace(gram) / len(gram)
    linear = np.linalg.solve(gram + ridge * np.eye(len(gram)), student.T @ targets)
    table = map_rows(table, linear)
    e0 = table[used]
    mapped = _fit_cosine(a @ e0, targets)
    with task(progress, "refine", spec.iterations, "iteration") as t:
        e, iterations = _solve(a, targets, e0, spec.ridge, spec.iterations, t.advance)
    table[used] = e
    after = _fit_cosine(a @ e, targets)
    note(
        progress,
        f"refined on {len(texts):,} texts ({len(wanted):,} teacher targets): one linear map for all "
        f"{len(table):,} rows, then {len(used):,} rows; fit cosine {mapped:.3f} -> {after:.3f}",
    )
    return table, {
        "lines": len(pairs),
        "pairs": sum(text != target for text, target in pairs),
        "texts": len(texts),
        "targets": len(wanted),
        "pieces_moved": len(used),
        "fit_cosine_map": round(mapped, 4),
        "fit_cosine_after": round(after, 4),
        "iterations": iterations,
    }


def mean_matrix(texts: list[str], tok: Any, pieces: np.ndarray, vocab: int):
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


def used_columns(a):
    """``(a restricted to the columns that hold an entry, those columns)``: the rows of the table
    a fit moves."""
    from scipy import sparse

    used = np.unique(a.indices)
    col_of = np.full(a.shape[1], -1, dtype=np.int64)
    col_of[used] = np.arange(len(used))
    return sparse.csr_matrix((a.data, col_of[a.indices], a.indptr), shape=(a.shape[0], len(used))), used


def _fit_cosine(pred: np.ndarray, targets: np.ndarray) -> float:
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
