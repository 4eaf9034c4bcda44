"""Mine and align: k-NN, margin scoring, bitext mining, sentence and word alignment.

``run(MineJob(src=..., tgt=...))`` mines two files, ``run(AlignJob(src=..., tgt=...))`` aligns
two documents; ``mine(src_texts, tgt_texts)`` and ``align_sentences(...)`` work in memory.
"""

from typing import Any

from .._executors import Executor
from ..progress import ProgressFn
from ._align_files import AlignReport, align_files, alignment_lines, read_document, write_alignments
from ._align_files import run as run_align
from ._align_options import AlignJob, SentenceOptions, WordOptions
from ._bitext import (
    BitextPair,
    Candidates,
    Mined,
    Neighbours,
    mine_embeddings,
    mine_vectors,
    neighbours,
    select_pairs,
)
from ._calibration import DEFAULT_THRESHOLDS, default_threshold
from ._filters import FILTERS, MINE_FILTERS, FilterReport, apply_filters
from ._knn import BACKENDS, KNN_BACKENDS, check_embeddings, knn
from ._margin import MARGINS, margin, neighbourhood_mean, score_candidates
from ._mine_common import MineReport
from ._mine_texts import mine, mine_texts
from ._options import MODES, FilterOptions, KnnOptions, MarginOptions, MineJob, MineOptions
from ._pairs import pair_lines, write_pairs
from ._run import mine_files
from ._run import run as run_mine
from ._sentalign import (
    Alignment,
    align_sentences,
    align_window_embeddings,
    alignment_moves,
    embed_windows,
    window_texts,
)
from ._wordalign import WordAlignment, align_words, links_from_similarity, word_spans


def run(
    job: MineJob | AlignJob, *, progress: ProgressFn | None = None, executor: str | Executor | None = None
) -> Any:
    """The stage's one entry: a :class:`MineJob` gives a :class:`MineReport`, an :class:`AlignJob` an
    :class:`AlignReport`."""
    if isinstance(job, AlignJob):
        return run_align(job, progress=progress, executor=executor)
    if isinstance(job, MineJob):
        return run_mine(job, progress=progress, executor=executor)
    raise TypeError(f"run() takes a MineJob or an AlignJob. Got {type(job).__name__}.")


__all__ = [
    "BACKENDS",
    "DEFAULT_THRESHOLDS",
    "FILTERS",
    "KNN_BACKENDS",
    "MARGINS",
    "MINE_FILTERS",
    "MODES",
    "AlignJob",
    "AlignReport",
    "Alignment",
    "BitextPair",
    "Candidates",
    "FilterOptions",
    "FilterReport",
    "KnnOptions",
    "MarginOptions",
    "MineJob",
    "MineOptions",
    "MineReport",
    "Mined",
    "Neighbours",
    "SentenceOptions",
    "WordAlignment",
    "WordOptions",
    "align_files",
    "align_sentences",
    "align_window_embeddings",
    "align_words",
    "alignment_lines",
    "alignment_moves",
    "apply_filters",
    "check_embeddings",
    "default_threshold",
    "embed_windows",
    "knn",
    "links_from_similarity",
    "margin",
    "mine",
    "mine_embeddings",
    "mine_files",
    "mine_texts",
    "mine_vectors",
    "neighbourhood_mean",
    "neighbours",
    "pair_lines",
    "read_document",
    "run",
    "run_align",
    "run_mine",
    "score_candidates",
    "select_pairs",
    "window_texts",
    "word_spans",
    "write_alignments",
    "write_pairs",
]
