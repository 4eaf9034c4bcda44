"""Tune a student on translation pairs, contrastively: no teacher pass, minutes on one core.

The regression of ``_static_refine`` makes the student imitate the teacher, which costs one
teacher pass over the text (30-45 minutes for SIB-200 train). Translation pairs can teach what
retrieval needs directly: each text should be nearer its own translation than the other
translations in a batch (symmetric InfoNCE, in-batch negatives, the recipe of sentence-transformers'
static-similarity models). Parameters, with ``A`` the piece-mean matrix of the texts and ``E0``
the table so far:

- one linear map ``W`` of the whole table (every row, also those no pair uses), and
- a delta ``D`` for the rows the pairs use: sentence vector ``normalize((A E0 + A D) W)``;

trained by Adam (lazy for ``D``: only the rows a batch touches), ``steps`` batches. Lines that
share a text are linked; the linked lines form a group of translations of one sentence (the
``text<TAB>English`` lines of SIB-200 make one group per English sentence), and a batch holds one
line from each of ``batch`` groups, so no text is its own negative.

Measured (pairs ``xx<TAB>English`` of SIB-200 *train*, 143,004 lines in 690 groups, on the default
student; xx->en top-1 on held-out dev sets, margin for STSb dev / XQuAD questions, cosine for SIB
dev; scratch runs but the last two rows, which are ``interlingua students build static --parallel``):

| | SIB dev | STSb dev | XQuAD q |
|---|---|---|---|
| default student (whitened, no data) | 62.3 | 78.5 | 75.2 |
| map ``W`` only, 250 steps of 256 | 70.5 | 80.1 | 80.1 |
| ``W`` + rows, 300 steps of 701 | 79.5 | 82.9 | 83.2 |
| the same, 800 steps (the rows over-fit the domain) | 80.9 | 80.6 | 81.0 |
| pairs drawn between any two languages instead of xx-English | 77.6 | 80.8 | 79.8 |
| temperature 0.1 / 0.02 (100 / 400 steps, their best) | 72.8 / 73.4 | 81.9 / 80.2 | 81.7 / 79.6 |
| the defaults: 300 steps of 512, temperature 0.05 (built in 115 s) | 78.8 | 82.9 | 83.4 |
| the same with UDHR articles paired with English added (12,739 lines) | 78.5 | 83.0 | 83.1 |

Tatoeba margin accuracy (80 languages; reported, never used to choose): 39.5% -> 47.4% with the
defaults (every one of the 80 languages gains, median +8.5 points), against 48.0% for the
regression on the same text (a 30-45 minute teacher pass); the regression then this fit: 48.9%.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError
from ..progress import ProgressFn, note, task
from ._static_spec import StaticSpec

#: Adam step sizes of the map and of the row deltas (chosen on the dev sets above)
_LR_MAP, _LR_ROWS = 3e-4, 1e-2
_BETA1, _BETA2, _EPS = 0.9, 0.999, 1e-8
#: the draws are seeded: the same inputs build the same student (its folder is a cache key)
_SEED = 0


def groups_of(pairs: list[tuple[str, str]]) -> np.ndarray:
    """Each line's group: lines sharing a text (either side) are one group (union-find)."""
    index: dict[str, int] = {}
    ends = np.array([[index.setdefault(a, len(index)), index.setdefault(b, len(index))] for a, b in pairs])
    parent = np.arange(len(index))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in ends:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([root(a) for a in ends[:, 0]])
    return np.unique(roots, return_inverse=True)[1]


def contrast_table(
    table: np.ndarray,
    pieces: np.ndarray,
    vocab: int,
    pairs: list[tuple[str, str]],
    tok: Any,
    spec: StaticSpec,
    path: str,
    progress: ProgressFn | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The tuned table and what was done (lines, groups, rows moved, loss at the start and end)."""
    from ._static_refine import mean_matrix, used_columns

    group = groups_of(pairs)
    n_groups = int(group.max()) + 1
    if n_groups < 2:
        raise InputError(
            "the parallel file's lines are all translations of one sentence (they share texts): "
            "a contrastive fit needs at least two different sentences",
            path=path,
        )
    texts = sorted({t for pair in pairs for t in pair})
    row_of = {t: i for i, t in enumerate(texts)}
    left = np.array([row_of[a] for a, _ in pairs])
    right = np.array([row_of[b] for _, b in pairs])
    a, used = used_columns(mean_matrix(texts, tok, pieces, vocab))
    base = np.asarray(a @ table[used], dtype=np.float32)  # A E0
    d = table.shape[1]
    w = np.eye(d, dtype=np.float32)
    delta = np.zeros((len(used), d), dtype=np.float32)
    adam_w = [np.zeros_like(w), np.zeros_like(w)]
    adam_d = [np.zeros_like(delta), np.zeros_like(delta)]
    members = np.split(np.argsort(group, kind="stable"), np.cumsum(np.bincount(group))[:-1])
    rng = np.random.default_rng(_SEED)
    size = min(spec.contrast_batch, n_groups)
    losses = []
    with task(progress, "contrastive fit on translation pairs", spec.contrast_steps, "step") as t:
        for step in range(1, spec.contrast_steps + 1):
            picked = rng.choice(n_groups, size=size, replace=False)
            lines = np.array([m[rng.integers(len(m))] for m in (members[g] for g in picked)])
            rows = np.concatenate([left[lines], right[lines]])
            sub = a[rows]
            h = base[rows] + np.asarray(sub @ delta)
            loss, grad_h = _info_nce(h, w, size, spec.temperature)
            losses.append(loss)
            grad_w = h.T @ grad_h[1]
            _adam(w, grad_w, adam_w, step, _LR_MAP)
            # the rows' gradient through the map as it was when h was made
            touched = sub.tocsc()
            keep = np.nonzero(np.diff(touched.indptr))[0]
            grad_d = np.asarray(touched[:, keep].T @ grad_h[0], dtype=np.float32)
            _adam_rows(delta, keep, grad_d, adam_d, step, _LR_ROWS)
            t.advance(1)
    table = table.copy()
    table[used] += delta
    table = (table @ w).astype(np.float32)
    first, last = float(np.mean(losses[:10])), float(np.mean(losses[-10:]))
    note(
        progress,
        f"contrastive fit on {len(pairs):,} translation pairs ({n_groups:,} groups): one map for all "
        f"{len(table):,} rows, {len(used):,} rows moved; loss {first:.3f} -> {last:.3f}",
    )
    return table, {
        "lines": len(pairs),
        "groups": n_groups,
        "texts": len(texts),
        "pieces_moved": len(used),
        "steps": spec.contrast_steps,
        "batch": size,
        "temperature": spec.temperature,
        "loss_first": round(first, 4),
        "loss_last": round(last, 4),
    }


def _info_nce(
    h: np.ndarray, w: np.ndarray, b: int, tau: float
) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
    """Symmetric InfoNCE of ``normalize(h W)``, the first ``b`` rows against the last ``b``
    (row i's positive is row b + i); the loss and its gradient with respect to ``h`` and to ``h W``."""
    r = h @ w
    n = np.maximum(np.linalg.norm(r, axis=1, keepdims=True), 1e-12)
    s = r / n
    sa, sb = s[:b], s[b:]
    logits = sa @ sb.T / tau
    by_row = np.exp(logits - logits.max(axis=1, keepdims=True))
    by_row /= by_row.sum(axis=1, keepdims=True)
    by_col = np.exp(logits - logits.max(axis=0, keepdims=True))
    by_col /= by_col.sum(axis=0, keepdims=True)
    diag = np.arange(b)
    loss = -0.5 * float(np.log(by_row[diag, diag] + 1e-30).mean() + np.log(by_col[diag, diag] + 1e-30).mean())
    g = 0.5 * (by_row + by_col)
    g[diag, diag] -= 1.0
    g /= b
    ds = np.vstack([g @ sb, g.T @ sa]) / tau
    dr = (ds - s * (s * ds).sum(axis=1, keepdims=True)) / n
    return loss, (dr @ w.T, dr)


def _adam(x: np.ndarray, grad: np.ndarray, state: list[np.ndarray], step: int, lr: float) -> None:
    m, v = state
    m *= _BETA1
    m += (1 - _BETA1) * grad
    v *= _BETA2
    v += (1 - _BETA2) * grad * grad
    x -= lr * (m / (1 - _BETA1**step)) / (np.sqrt(v / (1 - _BETA2**step)) + _EPS)


def _adam_rows(
    x: np.ndarray, rows: np.ndarray, grad: np.ndarray, state: list[np.ndarray], step: int, lr: float
) -> None:
    """Adam on the rows a batch touched only (the others keep their moments: lazy Adam)."""
    m, v = state
    mr = _BETA1 * m[rows] + (1 - _BETA1) * grad
    vr = _BETA2 * v[rows] + (1 - _BETA2) * grad * grad
    m[rows], v[rows] = mr, vr
    x[rows] -= lr * (mr / (1 - _BETA1**step)) / (np.sqrt(vr / (1 - _BETA2**step)) + _EPS)
