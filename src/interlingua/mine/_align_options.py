"""The alignment job as one spec: sentence alignment of two documents (vecalign style) or word
alignment of parallel lines (SimAlign style)."""

from __future__ import annotations

from dataclasses import dataclass

from .._spec import REQUIRED, Spec, group, param
from .._validation import Interval, Named, NoneOr, Options, Text
from ..encoders import ENCODERS, looks_like_model_reference
from ..errors import SpecError
from ..neutral import Encoding

SEARCHES = ("auto", "full", "banded")
WORD_METHODS = ("intersection", "forward", "backward", "itermax")
BLANK_LINES = ("skip", "keep")
SENTENCE_FORMATS = ("tsv", "jsonl", "vecalign")
WORD_FORMATS = ("pharaoh", "jsonl")


@dataclass(frozen=True, kw_only=True)
class SentenceOptions(Spec):
    max_size: int = param(
        3,
        Interval(int, 1, 8),
        help="most sentences on one side of a link: 3 allows 1-1, 1-2, 2-1, 1-3, 3-1 and 2-2. vecalign's "
        "-a (--alignment_max_size) counts both sides: vecalign -a 4 is --max-size 3 here",
    )
    split: bool = param(False, help="the inputs are raw text: cut them into sentences")
    blank_lines: str = param(
        "skip",
        Options(BLANK_LINES),
        help="skip: blank lines are dropped and indices count sentences; keep: indices count lines (0-based), a "
        "blank line is never linked",
    )
    del_factor: float = param(
        1.4,
        Interval(float, 0.0, None),
        help="deletion cost as a multiple of the median best link (chosen on SIB-200 train documents: "
        "benchmarks/align.py --sweep-del-factor)",
    )
    del_penalty: float | None = param(
        None, NoneOr(Interval(float, 0.0, None)), help="fixed 1-0/0-1 cost (overrides del_factor)"
    )
    samples: int = param(
        32, Interval(int, 1, None), help="random sentences that normalize each window's cost"
    )
    search: str = param("auto", Options(SEARCHES), help="auto, full (exact DP) or banded (coarse to fine)")
    width: int = param(
        8, Interval(int, 3, None), help="banded search: sentences either side of the coarse path"
    )
    full_cells: int = param(
        1_000_000, Interval(int, 0, None), help="auto: exact DP up to this many grid cells"
    )
    seed: int = param(0, Interval(int, 0, None), help="seed of the random samples")


@dataclass(frozen=True, kw_only=True)
class AlignCandidateOptions(Spec):
    """Two-stage sentence alignment (:mod:`._align_two_stage`): a cheap model aligns the whole
    documents, the job's model re-aligns only where the cheap alignment is in doubt."""

    model: str | None = param(
        None,
        NoneOr(Named(ENCODERS, accept=looks_like_model_reference, accept_hint="or a model path")),
        help="the cheap model that aligns first (e.g. e5-static); None: the job's model aligns everything",
    )
    sure: float = param(
        1.5,
        Interval(float, 0.0, None),
        help="a cheap link is kept when it links sentences (no deletion) and costs at most this times the "
        "cheap model's median 1-1 link",
    )
    context: int = param(
        1,
        Interval(int, 0, None),
        help="links either side of a doubtful one that the job's model re-aligns too",
    )


@dataclass(frozen=True, kw_only=True)
class WordOptions(Spec):
    method: str = param(
        "intersection", Options(WORD_METHODS), help="intersection, forward, backward or itermax"
    )
    center: bool = param(True, help="subtract each sentence's mean word vector first")
    pretokenized: bool = param(
        False, help="words are the whitespace-separated tokens (match a gold tokenization)"
    )


@dataclass(frozen=True, kw_only=True)
class AlignJob(Encoding):
    """Align ``src`` with ``tgt``: sentence links of two documents, or word links of parallel lines."""

    caller = "align()"
    src: str = param(
        REQUIRED, Text(nonempty=True), help="source document: one sentence a line (raw text with split)"
    )
    tgt: str = param(REQUIRED, Text(nonempty=True), help="target document, same form")
    output: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="where to write the links (None: returned / stdout)"
    )
    output_format: str | None = param(
        None,
        NoneOr(Options(SENTENCE_FORMATS + WORD_FORMATS[:1])),
        help="sentences: tsv (default), jsonl, vecalign; words: pharaoh (default), jsonl",
    )
    mode: str = param("sentences", Options(("sentences", "words")), help="sentences or words")
    src_lang: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="language of src (the splitter's abbreviations)"
    )
    tgt_lang: str | None = param(None, NoneOr(Text(nonempty=True)), help="language of tgt")
    with_text: bool = param(False, help="include the sentences (or words) in the output")
    src_emb: str | None = param(
        None,
        NoneOr(Text(nonempty=True)),
        help="precomputed vectors (role query) of src's windows, with their texts (embed --with-text), or one per "
        "sentence with max_size 1",
    )
    tgt_emb: str | None = param(
        None, NoneOr(Text(nonempty=True)), help="precomputed vectors of tgt's windows"
    )
    sentences: SentenceOptions = group(SentenceOptions)
    words: WordOptions = group(WordOptions)
    candidates: AlignCandidateOptions = group(
        AlignCandidateOptions, help="two-stage sentence alignment: the cheap model's alignment first"
    )

    def check_fields(self, caller: str, prefix: str) -> None:
        allowed = SENTENCE_FORMATS if self.mode == "sentences" else WORD_FORMATS
        if self.output_format is not None and self.output_format not in allowed:
            raise self.fail(
                "output_format", f"must be one of {', '.join(allowed)} in {self.mode} mode", caller, prefix
            )
        if self.candidates.model is not None and (self.mode == "words" or self.src_emb or self.tgt_emb):
            raise SpecError(
                f"The {prefix + 'candidates.model'!r} parameter of {caller} applies to sentence alignment of "
                "texts embedded here (not to --words, nor to precomputed --src-emb/--tgt-emb, which leave "
                f"nothing to save). Got {self.candidates.model!r} instead.",
                field=prefix + "candidates.model",
            )
        if self.mode == "words" and (self.src_emb or self.tgt_emb):
            raise self.fail(
                "src_emb", "applies to sentence alignment (word alignment needs token states)", caller, prefix
            )


ALIGN_ALIASES = {
    "model": "space.encoder",
    "fmt": "output_format",
    "use_cache": "cache",
    "method": "words.method",
    "candidates": "candidates.model",
}

__all__ = ["ALIGN_ALIASES", "AlignCandidateOptions", "AlignJob", "SentenceOptions", "WordOptions"]
