"""Mine and align: k-NN, margin scoring, bitext mining, sentence and word alignment."""

from ._knn import BACKENDS, check_embeddings, knn
from ._margin import MARGINS, margin, neighbourhood_mean, score_candidates

__all__ = ["BACKENDS", "MARGINS", "check_embeddings", "knn", "margin", "neighbourhood_mean", "score_candidates"]
