"""Mine and align: k-NN, margin scoring, bitext mining, sentence and word alignment.

``run(MineJob(src=..., tgt=...))`` mines two files, ``run(AlignJob(src=..., tgt=...))`` aligns
two documents, ``run(CalibrateJob(src=..., tgt=...))`` finds a space's mining threshold on a
parallel sample; with ``candidates.model`` (``--candidates e5-static``) mining and alignment run in
two stages, a cheap model proposing and the job's model deciding (``_two_stage``,
``_align_two_stage``); ``mine(src_texts, tgt_texts)`` and ``align_sentences(...)`` work in memory.
"""

from typing import Any

from .._executors import Executor
from .._lazy import lazy_exports
from ..progress import ProgressFn

# the options load with the package (they register the k-NN backends, margins and filters);
# the rest loads on first use, so that a CLI command pays only for what it runs
from ._align_options import AlignCandidateOptions, AlignJob, SentenceOptions, WordOptions
from ._filters import FILTERS, MINE_FILTERS, FilterReport, apply_filters, check_filters
from ._knn import KNN_BACKENDS, check_embeddings, knn
from ._margin import MARGINS, margin, neighbourhood_mean, score_candidates
from ._options import (
    MODES,
    CalibrateJob,
    CandidateOptions,
    FilterOptions,
    KnnOptions,
    MarginOptions,
    MineJob,
    MineOptions,
)

_EXPORTS = {
    "BACKENDS": "._knn",
    **dict.fromkeys(
        ["AlignReport", "align_files", "alignment_lines", "link_line", "read_document", "write_alignments"],
        "._align_files",
    ),
    **dict.fromkeys(
        [
            "BitextPair",
            "Candidates",
            "Mined",
            "Neighbours",
            "mine_embeddings",
            "mine_neighbours",
            "mine_vectors",
            "neighbour_means",
            "neighbours",
            "resolve_backend",
            "select_pairs",
        ],
        "._bitext",
    ),
    **dict.fromkeys(
        ["ADD_CHUNK", "DEFAULT_NPROBE", "add_rows", "factory_of", "release", "trained_index", "tune_index"],
        "._knn",
    ),
    "KnnSearcher": "._knn:Searcher",
    "BlockStats": "._stream",
    "vectors_fingerprint": "._stream:fingerprint",
    **dict.fromkeys(
        [
            "DEFAULT_THRESHOLDS",
            "default_threshold",
            "read_calibration",
            "resolve_threshold",
            "user_calibration_path",
        ],
        "._calibration",
    ),
    **dict.fromkeys(["CalibrationReport", "Scored", "calibrate_curves", "score_pool"], "._calibrate"),
    "run_calibrate": "._calibrate:run",
    **dict.fromkeys(["Pool", "pool_from_pairs"], "._pools"),
    **dict.fromkeys(["Curve", "choose", "f1_at", "sweep"], "._sweep"),
    "MineReport": "._mine_common",
    **dict.fromkeys(["StageCounts", "candidate_pairs", "mine_two_stage"], "._two_stage"),
    **dict.fromkeys(["AlignStages", "align_two_stage"], "._align_two_stage"),
    **dict.fromkeys(["mine", "mine_texts"], "._mine_texts"),
    **dict.fromkeys(["pair_lines", "write_pairs"], "._pairs"),
    **dict.fromkeys(["FORMATS_BY_KIND", "output_formats", "output_lines", "output_provenance"], "._outputs"),
    "mine_files": "._run",
    "MineSteps": "._run",
    "run_align": "._align_files:run",
    "run_mine": "._run:run",
    **dict.fromkeys(
        [
            "Alignment",
            "align_sentences",
            "align_window_embeddings",
            "alignment_moves",
            "embed_windows",
            "window_texts",
        ],
        "._sentalign",
    ),
    **dict.fromkeys(["WordAlignment", "align_words", "links_from_similarity", "word_spans"], "._wordalign"),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


def run(
    job: MineJob | AlignJob | CalibrateJob,
    *,
    progress: ProgressFn | None = None,
    executor: str | Executor | None = None,
) -> Any:
    """The stage's one entry: a :class:`MineJob` gives a :class:`MineReport`, an :class:`AlignJob` an
    :class:`AlignReport`, a :class:`CalibrateJob` a :class:`CalibrationReport`."""
    if isinstance(job, CalibrateJob):
        from ._calibrate import run as run_calibrate

        return run_calibrate(job, progress=progress, executor=executor)
    if isinstance(job, AlignJob):
        from ._align_files import run as run_align

        return run_align(job, progress=progress, executor=executor)
    if isinstance(job, MineJob):
        from ._run import run as run_mine

        return run_mine(job, progress=progress, executor=executor)
    raise TypeError(f"run() takes a MineJob, an AlignJob or a CalibrateJob. Got {type(job).__name__}.")


__all__ = [
    "ADD_CHUNK",
    "BACKENDS",
    "DEFAULT_NPROBE",
    "DEFAULT_THRESHOLDS",
    "FILTERS",
    "FORMATS_BY_KIND",
    "KNN_BACKENDS",
    "MARGINS",
    "MINE_FILTERS",
    "MODES",
    "AlignCandidateOptions",
    "AlignJob",
    "AlignReport",
    "AlignStages",
    "Alignment",
    "BitextPair",
    "BlockStats",
    "CalibrateJob",
    "CalibrationReport",
    "CandidateOptions",
    "Candidates",
    "Curve",
    "FilterOptions",
    "FilterReport",
    "KnnOptions",
    "KnnSearcher",
    "MarginOptions",
    "MineJob",
    "MineOptions",
    "MineReport",
    "MineSteps",
    "Mined",
    "Neighbours",
    "Pool",
    "Scored",
    "SentenceOptions",
    "StageCounts",
    "WordAlignment",
    "WordOptions",
    "add_rows",
    "align_files",
    "align_sentences",
    "align_two_stage",
    "align_window_embeddings",
    "align_words",
    "alignment_lines",
    "alignment_moves",
    "apply_filters",
    "calibrate_curves",
    "candidate_pairs",
    "check_embeddings",
    "check_filters",
    "choose",
    "default_threshold",
    "embed_windows",
    "f1_at",
    "factory_of",
    "knn",
    "link_line",
    "links_from_similarity",
    "margin",
    "mine",
    "mine_embeddings",
    "mine_files",
    "mine_neighbours",
    "mine_two_stage",
    "mine_texts",
    "mine_vectors",
    "neighbour_means",
    "neighbourhood_mean",
    "neighbours",
    "output_formats",
    "output_lines",
    "output_provenance",
    "pair_lines",
    "pool_from_pairs",
    "read_calibration",
    "read_document",
    "release",
    "resolve_backend",
    "resolve_threshold",
    "run",
    "run_align",
    "run_calibrate",
    "run_mine",
    "score_candidates",
    "score_pool",
    "select_pairs",
    "sweep",
    "trained_index",
    "tune_index",
    "user_calibration_path",
    "vectors_fingerprint",
    "window_texts",
    "word_spans",
    "write_alignments",
    "write_pairs",
]
