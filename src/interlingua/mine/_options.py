"""The mining job as one spec: ``MineOptions`` (what to compute on two sides) and ``MineJob``
(the same, on files: inputs, precomputed vectors, output, work folder).

Groups: ``knn`` (neighbours), ``margin`` (scoring and selection), ``filters`` (what is removed
after scoring), ``input`` (how the files are read) and ``space`` (the model). A CLI flag, a
``--set knn.k=8`` override, a TOML file and an HTTP body all fill the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._faiss import is_factory
from .._spec import REQUIRED, Spec, group, param
from .._validation import Each, Interval, Named, NoneOr, Options, Text
from ..encoders import ENCODERS, looks_like_model_reference
from ..errors import SpecError
from ..io import InputOptions
from ..neutral import Encoding
from ._filters import FILTERS, MINE_FILTERS
from ._knn import KNN_BACKENDS
from ._margin import MARGINS

MODES = ("forward", "backward", "intersection", "max")
PAIR_FORMATS = ("tsv", "jsonl")


@dataclass(frozen=True, kw_only=True)
class KnnOptions(Spec):
    k: int = param(
        4, Interval(int, 1, None), help="neighbours each sentence is compared with (the margin's k)"
    )
    backend: str = param(
        "auto",
        Named(
            KNN_BACKENDS,
            extra=("auto",),
            accept=is_factory,
            accept_hint="or a faiss factory string such as 'IVF4096,Flat'",
        ),
        help="exact (numpy, streamed), faiss (flat), hnsw, ivf, a faiss factory string, or auto (flat when small, ivf when large)",
    )
    block_size: int = param(
        16384, Interval(int, 1, None), help="queries per k-NN block (a block is the unit a rerun resumes)"
    )
    nprobe: int | None = param(
        None, NoneOr(Interval(int, 1, None)), help="IVF cells searched per query (default 16)"
    )


@dataclass(frozen=True, kw_only=True)
class MarginOptions(Spec):
    kind: str = param("ratio", Named(MARGINS), help="ratio (LASER), distance, or absolute (plain cosine)")
    mode: str = param(
        "max", Options(MODES), help="forward, backward, intersection or max (LASER's selection modes)"
    )
    threshold: float | None = param(
        None, NoneOr(Interval(float)), help="minimum score (default: calibrated for the space)"
    )
    top: int | None = param(
        None, NoneOr(Interval(int, 1, None)), help="keep the N best pairs (no default threshold then)"
    )
    calibration: str | None = param(
        None,
        NoneOr(Text(nonempty=True)),
        help="take the threshold from this calibration file (`mine calibrate -o`); 'shipped': the shipped "
        "default only (default: your calibration of the space if there is one, else the shipped one)",
    )

    def check_fields(self, caller: str, prefix: str) -> None:
        if self.calibration is not None and (self.threshold is not None or self.top is not None):
            raise self.fail(
                "calibration",
                "says where the threshold comes from: give it, or threshold / top, not both",
                caller,
                prefix,
            )


@dataclass(frozen=True, kw_only=True)
class FilterOptions(Spec):
    enabled: tuple[str, ...] = param(
        FILTERS, Each(Named(MINE_FILTERS)), help=f"filters applied to mined pairs ({', '.join(FILTERS)})"
    )
    max_length_ratio: float = param(3.0, Interval(float, 1.0, None), help="the length filter's bound")


@dataclass(frozen=True, kw_only=True)
class CandidateOptions(Spec):
    """Two-stage mining (:mod:`._two_stage`): a cheap model finds the candidate pairs, the job's
    model scores them. The defaults were measured on SIB-200 *train* pools (see that module)."""

    model: str | None = param(
        None,
        NoneOr(Named(ENCODERS, accept=looks_like_model_reference, accept_hint="or a model path")),
        help="the cheap model whose k-NN proposes the candidate pairs (e.g. e5-static); None: one stage",
    )
    per_source: int = param(
        4,
        Interval(int, 1, None),
        help="a sentence's nearest neighbours (by the cheap model) it may pair with",
    )
    bound: float = param(
        1.1,
        Interval(float),
        help="a candidate pair's ratio margin in the cheap model's space must reach this (loose: the job's "
        "model makes the decision)",
    )
    context: int = param(
        2,
        Interval(int, 1, None),
        help="a candidate's nearest neighbours (by the cheap model) the job's model also embeds: its "
        "neighbourhood for the margin is the top k of them",
    )


@dataclass(frozen=True, kw_only=True)
class MineOptions(Encoding):
    """Mining two sides already in memory (texts or vectors)."""

    caller = "mine()"
    knn: KnnOptions = group(KnnOptions)
    margin: MarginOptions = group(MarginOptions)
    filters: FilterOptions = group(FilterOptions)
    candidates: CandidateOptions = group(
        CandidateOptions, help="two-stage mining: the cheap model's candidates"
    )
    src_lang: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="expected source language (enables the lang filter)"
    )
    tgt_lang: str | None = param(None, NoneOr(Text(nonempty=True)), help="expected target language")


@dataclass(frozen=True, kw_only=True)
class MineJob(MineOptions):
    """Mine the files ``src`` and ``tgt`` into ``output`` (TSV or JSONL; None: returned / stdout)."""

    src: str = param(REQUIRED, Text(nonempty=True), help="source texts: .txt, .tsv, .jsonl or .parquet")
    tgt: str = param(REQUIRED, Text(nonempty=True), help="target texts, same formats")
    output: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="pairs as .tsv or .jsonl (None or '-': standard output)"
    )
    output_format: str | None = param(
        None, NoneOr(Options(PAIR_FORMATS)), help="tsv or jsonl (default: from the extension)"
    )
    src_emb: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="precomputed source vectors (role query), one per text"
    )
    tgt_emb: str | None = param(None, NoneOr(Text(nonempty=True)), help="precomputed target vectors")
    input: InputOptions = group(InputOptions, help="how both files are read")
    work_dir: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="keep embeddings and k-NN blocks here; a rerun resumes"
    )

    def check_fields(self, caller: str, prefix: str) -> None:
        if self.candidates.model is not None and (self.src_emb or self.tgt_emb):
            raise self.fail(
                "src_emb" if self.src_emb else "tgt_emb",
                "gives the job's vectors already, so a candidate model would save nothing: drop "
                "candidates.model (--candidates) or the precomputed vectors",
                caller,
                prefix,
            )


@dataclass(frozen=True, kw_only=True)
class CalibrateJob(MineOptions):
    """Find the threshold of a space on a parallel sample (or corpora with a gold list) and store it."""

    caller = "calibrate()"
    src: str = param(
        REQUIRED,
        Text(nonempty=True),
        help="source side of a parallel sample (row i translates TGT's row i), or a corpus with gold",
    )
    tgt: str = param(REQUIRED, Text(nonempty=True), help="target side, same formats")
    gold: str | None = param(
        None,
        NoneOr(Text(nonempty=True)),
        help="gold pairs, src_id<TAB>tgt_id a line (BUCC's .gold): SRC and TGT are then corpora, mined whole",
    )
    src_distractors: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="source-language texts with no translation in TGT"
    )
    tgt_distractors: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="target-language texts with no translation in SRC"
    )
    true_share: float = param(
        1 / 3,
        Interval(float, 0.0, 1.0, closed="right"),
        help="without distractors: the share of the sample kept as pairs; the rest gives sources without "
        "targets and targets without sources, half each",
    )
    min_precision: float | None = param(
        None,
        NoneOr(Interval(float, 0.0, 1.0)),
        help="choose the loosest threshold with at least this precision (default: the best F1)",
    )
    seed: int = param(0, Interval(int, 0, None), help="seed of the sample's split")
    output: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="also write the calibration here (JSON)"
    )
    save: bool = param(True, help="store it in the user cache, where mine finds it for this space")
    input: InputOptions = group(InputOptions, help="how the files are read")

    def check_fields(self, caller: str, prefix: str) -> None:
        m = self.margin
        if m.threshold is not None or m.top is not None or m.calibration is not None:
            raise SpecError(
                f"The 'margin.threshold', 'margin.top' and 'margin.calibration' parameters of {caller} are "
                "not taken: calibration finds the threshold.",
                field=prefix + "margin.threshold",
            )
        if self.candidates.model is not None:
            raise SpecError(
                f"The 'candidates.model' parameter of {caller} is not taken: a calibration is of one space, "
                f"mined in one stage. Got {self.candidates.model!r} instead.",
                field=prefix + "candidates.model",
            )
        if self.gold is not None and (self.src_distractors or self.tgt_distractors):
            raise self.fail(
                "gold", "mines SRC and TGT whole: it does not take distractors as well", caller, prefix
            )


# shorthand keyword names of the Python wrappers -> dotted spec paths
ALIASES = {
    "model": "space.encoder",
    "margin": "margin.kind",
    "knn": "knn.backend",
    "filters": "filters.enabled",
    "use_cache": "cache",
    "fmt": "output_format",
    "candidates": "candidates.model",
    "text_field": "input.text_field",
    "id_field": "input.id_field",
}

__all__ = [
    "ALIASES",
    "CalibrateJob",
    "CandidateOptions",
    "MODES",
    "PAIR_FORMATS",
    "FilterOptions",
    "KnnOptions",
    "MarginOptions",
    "MineJob",
    "MineOptions",
]
