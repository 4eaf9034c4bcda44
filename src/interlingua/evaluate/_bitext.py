"""Bitext retrieval scoring: given vectors of ``n`` sentences and of their ``n`` translations,
how often is a sentence's best match its own translation?

Scores are cosine, or ratio margin (Artetxe & Schwenk 2019; ``k = 4`` neighbours in each
direction, as in LASER) computed with :mod:`interlingua.mine`. The xsim error rate is LASER's:
the percentage of source sentences whose best-scoring target is not their translation
(by position; identical target sentences at other positions count as errors).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_int
from ..errors import InputError
from ..mine import check_embeddings, knn, neighbourhood_mean, score_candidates

SCORINGS = ("cosine", "margin")


def bitext_scores(
    source: np.ndarray, target: np.ndarray, scoring: str = "cosine", *, k: int = 4
) -> np.ndarray:
    """``(n_source, n_target)`` scores: cosine, or ratio margin over ``k`` neighbours each way."""
    check_choice(scoring, SCORINGS, "scoring")
    check_int(k, "k", low=1)
    source = check_embeddings(source, "source")
    target = check_embeddings(target, "target", dim=source.shape[1])
    sims = source @ target.T
    if scoring == "cosine":
        return sims
    x_mean = neighbourhood_mean(knn(source, target, k)[0], k)
    y_mean = neighbourhood_mean(knn(target, source, k)[0], k)
    return score_candidates(sims, x_mean, y_mean[None, :], "ratio")


def top1_accuracy(scores: np.ndarray) -> float:
    """Share of rows whose best column is the row's own index (the diagonal)."""
    if scores.shape[0] != scores.shape[1]:
        raise InputError(f"Bitext retrieval needs as many sources as targets. Got {scores.shape}.")
    return float(np.mean(np.argmax(scores, axis=1) == np.arange(scores.shape[0])))


def bitext_retrieval(
    source: np.ndarray, target: np.ndarray, scoring: str = "cosine", *, k: int = 4
) -> dict[str, float]:
    """Accuracy in percent both ways and the xsim error rate (source -> target), in percent."""
    scores = bitext_scores(source, target, scoring, k=k)
    fwd, bwd = top1_accuracy(scores), top1_accuracy(scores.T)
    return {
        "acc_src2tgt": 100 * fwd,
        "acc_tgt2src": 100 * bwd,
        "acc": 50 * (fwd + bwd),
        "xsim_error": 100 * (1 - fwd),
    }
