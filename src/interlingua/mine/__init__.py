"""Mine and align: k-NN, margin scoring, bitext mining, sentence and word alignment."""

from ._align_files import AlignReport, align_files, read_document, write_alignments
from ._bitext import MODES, BitextPair, Candidates, KnnInfo, mine_embeddings, neighbours, select_pairs
from ._calibration import DEFAULT_THRESHOLDS, default_threshold
from ._filters import FILTERS, FilterReport, apply_filters
from ._knn import BACKENDS, check_embeddings, knn
from ._margin import MARGINS, margin, neighbourhood_mean, score_candidates
from ._mine_files import MineReport, mine, mine_files
from ._sentalign import (
    Alignment,
    align_sentences,
    align_window_embeddings,
    alignment_moves,
    embed_windows,
    window_texts,
)
from ._wordalign import WordAlignment, align_words, links_from_similarity, word_spans

__all__ = [
    "AlignReport",
    "Alignment",
    "WordAlignment",
    "align_files",
    "align_sentences",
    "align_window_embeddings",
    "align_words",
    "alignment_moves",
    "embed_windows",
    "links_from_similarity",
    "read_document",
    "window_texts",
    "word_spans",
    "write_alignments",
    "BACKENDS",
    "DEFAULT_THRESHOLDS",
    "FILTERS",
    "MARGINS",
    "MODES",
    "BitextPair",
    "Candidates",
    "FilterReport",
    "KnnInfo",
    "MineReport",
    "apply_filters",
    "check_embeddings",
    "default_threshold",
    "knn",
    "margin",
    "mine",
    "mine_embeddings",
    "mine_files",
    "neighbourhood_mean",
    "neighbours",
    "score_candidates",
    "select_pairs",
]
