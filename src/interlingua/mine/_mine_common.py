"""What mining in memory and mining files share: the report, the calibrated threshold, the
same-language warning, filtering the candidates into pairs."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .._reports import add_shards
from ..embed import MINING_ROLE
from ..errors import SameLanguageWarning
from ..neutral import Space
from ._bitext import BitextPair, Candidates
from ._calibration import resolve_threshold
from ._filters import FilterReport, apply_filters
from ._options import MineOptions

#: the role both sides are embedded with: mining compares sentences symmetrically
ROLE = MINING_ROLE
#: Texts per side whose detected languages decide whether both sides look like one language.
LANG_SAMPLE = 200


@dataclass(frozen=True)
class MineReport:
    """What a mining run did; printed by the CLI, returned by the API. ``results`` holds the pairs
    when they were not written to a file."""

    src_rows: int = 0
    tgt_rows: int = 0
    space: str = ""
    encoder: str = ""
    role: str = ROLE
    k: int = 4
    margin: str = "ratio"
    mode: str = "max"
    knn: str = ""
    threshold: float | None = None
    #: where the threshold came from: "given", a calibration file, or the shipped default
    threshold_source: str = ""
    #: the filled ``margin.calibration``: the calibration file used, "shipped", or None (given)
    calibration: str | None = None
    top: int | None = None
    candidates: int = 0
    pairs: int = 0
    filters: FilterReport = field(default_factory=FilterReport)
    blocks_computed: int = 0
    blocks_reused: int = 0
    embeddings_reused: int = 0
    #: sentences the job's model embedded (cache hits included): both sides whole in one stage,
    #: the candidates and their context with a candidate model
    embedded: int = 0
    #: two-stage mining: the candidate model, what it embedded (both sides whole), its pairs
    candidate_model: str = ""
    candidate_embedded: int = 0
    candidate_pairs: int = 0
    seconds: float = 0.0
    output: str = ""
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    results: tuple[BitextPair, ...] = ()

    def to_dict(self, *, results: bool = False) -> dict[str, Any]:
        from dataclasses import asdict

        out = asdict(self)
        out.update(warnings=list(self.warnings), notes=list(self.notes))
        if not results:
            out.pop("results")
        return out

    def __add__(self, other: MineReport) -> MineReport:
        """Merge the reports of two shards of one job (counts add, settings are the first's)."""
        return add_shards(self, other, keep=("k", "threshold", "calibration", "top"))


def with_threshold(options: MineOptions, space: Space) -> MineOptions:
    """The options with the space's calibrated threshold filled in when neither cut was given, and
    ``margin.calibration`` naming where it came from (a file, or "shipped"), so that the filled job
    in the provenance says it (order: :mod:`._calibration`)."""
    m = options.margin
    if m.threshold is None and m.top is None:
        value, used = resolve_threshold(
            space.identity, ROLE, m.kind, k=options.knn.k, mode=m.mode, calibration=m.calibration
        )
        return options.replace(margin=m.replace(threshold=value, calibration=used))
    return options


def threshold_source(options: MineOptions) -> str:
    """One line saying where the filled options' threshold came from."""
    m = options.margin
    if m.threshold is None:
        return ""
    if m.calibration is None:
        return "given"
    if m.calibration == "shipped":
        return "shipped default (SIB-200 train pools)"
    return f"calibration {m.calibration}"


def language_warnings(
    options: MineOptions, src_sample: Sequence[str], tgt_sample: Sequence[str]
) -> list[str]:
    """Both sides in one language: margin mining finds paraphrases there, not translations."""
    from ..text import canonical_lang, detect_language, same_language

    if options.src_lang and options.tgt_lang:
        a, b = canonical_lang(options.src_lang), canonical_lang(options.tgt_lang)
        if same_language(a, b):
            return [
                f"Both sides are expected in the same language ({a}); margin mining finds paraphrases there, "
                "not translations."
            ]
        return []
    if options.src_lang or options.tgt_lang or not src_sample or not tgt_sample:
        return []
    found = []
    for sample in (src_sample, tgt_sample):
        langs = Counter(g.lang for g in detect_language(list(sample)) if g.lang != "und")
        lang, count = langs.most_common(1)[0] if langs else ("und", 0)
        found.append(lang if count >= 0.8 * len(sample) else None)
    if found[0] and found[0] == found[1]:
        return [
            f"Both sides look like the same language ({found[0]}, detected on up to {LANG_SAMPLE} texts a side); "
            "margin mining finds paraphrases there, not translations."
        ]
    return []


def warn_all(messages: list[str]) -> None:
    for m in messages:
        warnings.warn(m, SameLanguageWarning, stacklevel=3)


def filtered_pairs(
    cands: Candidates,
    src_ids: Sequence[str],
    tgt_ids: Sequence[str],
    src_texts: Sequence[str],
    tgt_texts: Sequence[str],
    options: MineOptions,
) -> tuple[list[BitextPair], FilterReport]:
    """Filter (texts given for each candidate, in order) and cut to ``top``."""
    f = options.filters
    keep, report = apply_filters(
        src_texts,
        tgt_texts,
        filters=f.enabled,
        src_lang=_lang(options.src_lang),
        tgt_lang=_lang(options.tgt_lang),
        max_length_ratio=f.max_length_ratio,
    )
    rows = [i for i, ok in enumerate(keep) if ok][: options.margin.top]
    pairs = [
        BitextPair(
            src_ids[int(cands.src[i])],
            tgt_ids[int(cands.tgt[i])],
            float(cands.score[i]),
            src_texts[i],
            tgt_texts[i],
            float(cands.cosine[i]),
        )
        for i in rows
    ]
    return pairs, report


def stage_fields(stages: Any, rows: int, *, given: int = 0) -> dict[str, Any]:
    """The report's counts of who embedded what: ``stages`` a two-stage run's counts (None: one
    stage over ``rows`` sentences, ``given`` of them precomputed)."""
    if stages is None:
        return {"embedded": rows - given}
    return {
        "embedded": stages.embedded,
        "candidate_embedded": stages.candidate_embedded,
        "candidate_pairs": stages.candidate_pairs,
    }


def _lang(code: str | None) -> str | None:
    from ..text import canonical_lang

    return canonical_lang(code) if code else None


def mine_report(options: MineOptions, space: Space, mined: Any, **counts: Any) -> MineReport:
    """The report of a run: its settings (from the options, the space and the k-NN), and ``counts``
    (rows, pairs, filters, output, warnings, ... as MineReport fields)."""
    m = options.margin
    if options.candidates.model is not None:
        counts.setdefault("candidate_model", options.candidates.model)
    return MineReport(
        space=space.identity,
        encoder=space.name,
        role=ROLE,
        k=options.knn.k,
        margin=m.kind,
        mode=m.mode,
        knn=mined.backend,
        threshold=m.threshold,
        threshold_source=threshold_source(options),
        calibration=m.calibration if m.threshold is not None else None,
        top=m.top,
        candidates=len(mined.candidates),
        blocks_computed=mined.blocks.computed,
        blocks_reused=mined.blocks.reused,
        **counts,
    )


__all__ = [
    "LANG_SAMPLE",
    "ROLE",
    "MineReport",
    "filtered_pairs",
    "language_warnings",
    "mine_report",
    "stage_fields",
    "threshold_source",
    "warn_all",
    "with_threshold",
]
