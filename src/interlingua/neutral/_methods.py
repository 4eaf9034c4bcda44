"""The adapter methods: how each is fit from vectors, and how it transforms (or re-scores) them.

Every method fits on raw encoder vectors (or on the output of the adapters before it in the
chain), grouped by role and language, and keeps plain arrays (saved as ``.npz``, never
pickled). Statistics are kept per role because e5's ``query:`` and ``passage:`` prefixes move
the language means.

- ``center``: subtract the language's mean vector (Libovický et al., 2020).
- ``lir``: remove the language's top ``rank`` singular directions (Yang et al., 2021, LIR).
- ``lsar``: remove one low-rank subspace spanned by many languages' means (Xie et al., 2022);
  it needs no language at apply time.
- ``linear``: map each language onto a pivot with an orthogonal Procrustes (or ridge) map fit on
  parallel rows.
- ``balance``: a score-level step: a query's scores are z-normalized within each document
  language before ranking; the vectors themselves are left as they are. The mean and spread
  come from the query's own ``top_k`` scores in that language (``estimate="top"``, default) or
  from the language's mean and (low-rank) covariance fit on training text (``"fitted"``). On
  XQuAD-R-style pools the top-k estimate ranks better: what decides a ranking is the head of
  each language's scores, not their bulk.

A language the adapter has not seen gets the documented fallback of its method (the mean over
the languages seen, the directions of all languages pooled, the identity map) and one warning
naming it (see :mod:`._adapter`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError

#: per-role, per-language vectors: role -> language -> (n, d) float32 rows
Groups = Mapping[str, Mapping[str, np.ndarray]]

#: the key of the fallback entry in a method's per-language state
FALLBACK = "*"
#: how ``balance`` estimates a query's score distribution in a language: from the query's own
#: ``top_k`` scores there (the default: no statistics of any corpus needed), or from the mean and
#: covariance fit on training text (also the fallback where a language has fewer candidates)
ESTIMATES = ("top", "fitted")


@dataclass(frozen=True)
class Method:
    """One adapter method: its parameters, whether it needs parallel rows, and its fallback."""

    name: str
    description: str
    fallback: str
    params: dict[str, Any] = field(default_factory=dict)
    parallel: bool = False
    #: a score-level step (the vectors pass unchanged)
    scores: bool = False
    #: whether ``apply`` needs the texts' languages
    needs_langs: bool = True


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            "center",
            "subtract each language's mean vector",
            "the mean of the languages' means",
        ),
        Method(
            "lir",
            "remove each language's top `rank` singular directions (LIR)",
            "the top directions of all languages' vectors pooled",
            {"rank": 1},
        ),
        Method(
            "lsar",
            "remove a low-rank subspace of the languages' means (LSAR)",
            "none needed: the same projection applies to every language",
            {"rank": 0},
            needs_langs=False,
        ),
        Method(
            "linear",
            "map each language onto a pivot language (orthogonal Procrustes or ridge)",
            "the identity: vectors of an unseen language are not mapped",
            {"pivot": "en", "kind": "procrustes", "ridge": 1.0},
            parallel=True,
        ),
        Method(
            "balance",
            "z-normalize a query's scores within each document language before ranking",
            "the mean and covariance of all languages' vectors pooled",
            {"estimate": "top", "top_k": 10, "rank": 64},
            scores=True,
        ),
    )
}


def check_params(method: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The method's parameters with defaults filled; an unknown or bad value is an InputError."""
    known = METHODS[method].params
    unknown = sorted(set(params) - set(known))
    if unknown:
        names = ", ".join(known) or "none"
        raise InputError(f"The {method} adapter has no parameter {unknown[0]!r}; its parameters: {names}.")
    out = {**known, **params}
    if "rank" in out and (
        not isinstance(out["rank"], int) or isinstance(out["rank"], bool) or out["rank"] < 0
    ):
        raise InputError(f"The {method} adapter's 'rank' must be an int >= 0. Got {out['rank']!r} instead.")
    if method == "balance":
        if out["estimate"] not in ESTIMATES:
            raise InputError(
                f"The balance adapter's 'estimate' must be top or fitted. Got {out['estimate']!r}."
            )
        k = out["top_k"]
        if not isinstance(k, int) or isinstance(k, bool) or k < 2:
            raise InputError(f"The balance adapter's 'top_k' must be an int >= 2. Got {k!r} instead.")
    if method == "linear":
        if out["kind"] not in ("procrustes", "ridge"):
            raise InputError(f"The linear adapter's 'kind' must be procrustes or ridge. Got {out['kind']!r}.")
        if not isinstance(out["ridge"], int | float) or out["ridge"] < 0:
            raise InputError(f"The linear adapter's 'ridge' must be a number >= 0. Got {out['ridge']!r}.")
    return out


# -- fitting ------------------------------------------------------------------------------------
def fit_state(
    method: str, groups: Groups, params: Mapping[str, Any], *, pairs: Mapping[str, Any] | None = None
) -> dict[str, np.ndarray]:
    """Fit ``method`` and return its state as named arrays: ``<role>/<lang>/<name>`` keys.

    ``groups``: vectors by role and language. ``pairs`` (``linear``): role -> language ->
    (vectors, pivot vectors), row i of one the translation of row i of the other.
    """
    state: dict[str, np.ndarray] = {}
    for role, by_lang in groups.items():
        if method == "linear":
            fitted = _fit_linear((pairs or {}).get(role, {}), params)
        else:
            fitted = _FITTERS[method](by_lang, params)
        for (lang, name), array in fitted.items():
            state[f"{role}/{lang}/{name}"] = np.ascontiguousarray(array, dtype=np.float32)
    return state


def _fit_center(by_lang: Mapping[str, np.ndarray], params: Mapping[str, Any]) -> dict:
    means = {lang: x.mean(axis=0) for lang, x in by_lang.items()}
    out = {(lang, "mean"): m for lang, m in means.items()}
    out[(FALLBACK, "mean")] = np.mean(list(means.values()), axis=0)
    return out


def _top_directions(x: np.ndarray, rank: int) -> np.ndarray:
    """The top ``rank`` right singular vectors of ``x`` as ``(rank, d)`` rows."""
    if rank == 0:
        return np.zeros((0, x.shape[1]), np.float32)
    _, _, vt = np.linalg.svd(np.asarray(x, np.float64), full_matrices=False)
    return vt[:rank]


def _fit_lir(by_lang: Mapping[str, np.ndarray], params: Mapping[str, Any]) -> dict:
    rank = params["rank"]
    out = {(lang, "directions"): _top_directions(x, rank) for lang, x in by_lang.items()}
    # the pooled fallback weighs every language alike: the same number of rows from each
    n = min(len(x) for x in by_lang.values())
    pooled = np.concatenate([x[:n] for x in by_lang.values()])
    out[(FALLBACK, "directions")] = _top_directions(pooled, rank)
    return out


def _fit_lsar(by_lang: Mapping[str, np.ndarray], params: Mapping[str, Any]) -> dict:
    means = np.stack([x.mean(axis=0) for x in by_lang.values()]).astype(np.float64)
    if len(means) < 2:
        raise InputError(
            "The lsar adapter needs vectors of at least two languages (it removes what their means share)."
        )
    rank = params["rank"] or max(1, min(len(means) - 1, len(means) // 2))
    if rank > len(means) - 1:
        raise InputError(
            f"The lsar adapter's rank is {rank}, but {len(means)} languages span at most {len(means) - 1} "
            "directions around their mean; give a smaller rank or more languages."
        )
    centered = means - means.mean(axis=0)
    return {(FALLBACK, "directions"): _top_directions(centered, rank)}


def _fit_linear(pairs: Mapping[str, tuple[np.ndarray, np.ndarray]], params: Mapping[str, Any]) -> dict:
    out = {}
    for lang, (x, y) in pairs.items():
        x64, y64 = np.asarray(x, np.float64), np.asarray(y, np.float64)
        if params["kind"] == "procrustes":
            u, _, vt = np.linalg.svd(x64.T @ y64)
            w = u @ vt
        else:
            d = x64.shape[1]
            w = np.linalg.solve(x64.T @ x64 + params["ridge"] * np.eye(d), x64.T @ y64)
        out[(lang, "map")] = w
    return out


def _covariance_parts(x: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Mean, top ``rank`` eigenvectors and eigenvalues of the covariance, and the mean of the rest."""
    x64 = np.asarray(x, np.float64)
    mean = x64.mean(axis=0)
    centered = x64 - mean
    cov = centered.T @ centered / max(1, len(x64) - 1)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    r = min(rank, len(values))
    rest = float(values[r:].mean()) if r < len(values) else 0.0
    return mean, vectors[:, :r].T, values[:r], rest


def _fit_balance(by_lang: Mapping[str, np.ndarray], params: Mapping[str, Any]) -> dict:
    out = {}
    n = min(len(x) for x in by_lang.values())
    items = [*by_lang.items(), (FALLBACK, np.concatenate([x[:n] for x in by_lang.values()]))]
    for lang, x in items:
        if len(x) < 2:
            raise InputError(
                f"The balance adapter needs at least 2 texts in each language; {lang} has {len(x)}."
            )
        mean, vectors, values, rest = _covariance_parts(x, params["rank"])
        out[(lang, "mean")] = mean
        out[(lang, "eigvecs")] = vectors
        out[(lang, "eigvals")] = values
        out[(lang, "rest")] = np.asarray([rest])
    return out


_FITTERS = {"center": _fit_center, "lir": _fit_lir, "lsar": _fit_lsar, "balance": _fit_balance}


# -- applying -----------------------------------------------------------------------------------
def transform(method: str, vectors: np.ndarray, state: Mapping[str, np.ndarray]) -> np.ndarray:
    """One language's vectors through the method, with that language's (or the fallback's) state."""
    if method == "center":
        return vectors - state["mean"]
    if method in ("lir", "lsar"):
        d = state["directions"]
        return vectors - (vectors @ d.T) @ d
    if method == "linear":
        return vectors @ state["map"]
    return vectors  # balance: a score-level step


def top_moments(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each row's ``k`` highest scores."""
    top = -np.partition(-scores, k - 1, axis=1)[:, :k]
    return top.mean(axis=1), np.maximum(top.std(axis=1), 1e-6)


def score_moments(queries: np.ndarray, state: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each query's scores against one language's documents:
    ``q . mean`` and ``sqrt(q' C q)``, the covariance ``C`` kept as its top eigenpairs plus the
    mean of the remaining eigenvalues."""
    mean = queries @ state["mean"]
    proj = queries @ state["eigvecs"].T
    top = (proj**2) @ state["eigvals"]
    rest = float(state["rest"][0]) * np.clip((queries**2).sum(axis=1) - (proj**2).sum(axis=1), 0.0, None)
    return mean, np.sqrt(np.maximum(top + rest, 1e-12))


__all__ = [
    "FALLBACK",
    "METHODS",
    "Groups",
    "Method",
    "check_params",
    "fit_state",
    "score_moments",
    "transform",
]
