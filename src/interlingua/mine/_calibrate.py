"""``run(CalibrateJob)``: the mining threshold of a space, found on the user's own parallel data.

1. The data: a line-aligned parallel sample made into a pool with distractors
   (:func:`._pools.pool_from_pairs`: a share of it as pairs, the rest as sentences whose
   translation is missing), or with ``gold`` two corpora and the list of their true pairs
   (BUCC's layout), mined whole.
2. Both sides embedded with the job's space, role ``query`` (through the embedding cache), the
   k-NN searched once, and pairs selected with every registered margin by the job's ``mode`` and
   cleaned by its filters, as ``mine`` does.
3. For each margin, the threshold sweep (:mod:`._sweep`): the F1-best cut, or with
   ``min_precision`` the loosest cut that keeps that precision.
4. The calibration (JSON: the space, role, k, mode, one threshold per margin with its precision,
   recall, F1 and a thinned curve, the checksum of the input files, the filled job) is written
   atomically to ``output`` and, with ``save``, to the user cache, keyed by space identity, role, k
   and mode, where ``mine`` finds it (:mod:`._calibration`).

Everything is held in memory: this is for a sample of a few thousand pairs, not a corpus.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import numpy as np

from .._atomic import atomic_write_text
from .._paths import check_outputs
from ..errors import InputError
from ..io import read_records
from ..neutral import cached_space, encode_texts, provenance
from ..progress import ProgressFn, note
from . import _mine_common as common
from ._bitext import neighbours, select_pairs
from ._calibration import KIND, user_calibration_path
from ._filters import apply_filters
from ._margin import MARGINS
from ._mine_common import ROLE
from ._options import CalibrateJob, MineOptions
from ._pools import Pool, pool_from_pairs
from ._sweep import Curve, choose, sweep


class Scored(NamedTuple):
    """Mined candidates of one margin after the filters, best first: which are gold, their scores."""

    found: np.ndarray
    score: np.ndarray
    n_gold: int


@dataclass(frozen=True)
class CalibrationReport:
    """What a calibration found; ``margins`` holds, per margin, the chosen row of its curve."""

    space: str = ""
    encoder: str = ""
    role: str = ROLE
    k: int = 4
    mode: str = "max"
    knn: str = ""
    criterion: str = ""
    thresholds: dict[str, float] = field(default_factory=dict)
    margins: dict[str, dict[str, float]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    output: str = ""
    saved: str = ""
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["warnings"] = list(self.warnings)
        return out


def score_pool(
    src: np.ndarray,
    tgt: np.ndarray,
    src_texts: Sequence[str],
    tgt_texts: Sequence[str],
    gold: frozenset[tuple[int, int]] | set[tuple[int, int]],
    options: MineOptions,
    *,
    progress: ProgressFn | None = None,
) -> tuple[dict[str, Scored], str]:
    """Mine embedded sides as ``mine`` does (k-NN once, every margin, the job's mode and filters):
    per margin the :class:`Scored` candidates, and the k-NN backend used."""
    n = neighbours(src, tgt, options.knn, progress=progress)
    f = options.filters
    out: dict[str, Scored] = {}
    for kind in MARGINS.names():
        c = select_pairs(n.fwd, n.bwd, margin=kind, mode=options.margin.mode)
        keep, _ = apply_filters(
            [src_texts[i] for i in c.src.tolist()],
            [tgt_texts[i] for i in c.tgt.tolist()],
            filters=f.enabled,
            src_lang=common._lang(options.src_lang),
            tgt_lang=common._lang(options.tgt_lang),
            max_length_ratio=f.max_length_ratio,
        )
        c = c.take(np.asarray(keep, dtype=bool))
        found = np.array([(s, t) in gold for s, t in zip(c.src.tolist(), c.tgt.tolist())], dtype=bool)
        out[kind] = Scored(found, c.score.astype(np.float64), len(gold))
    return out, n.backend


def calibrate_curves(
    scored: dict[str, Scored], *, min_precision: float | None = None
) -> dict[str, tuple[Curve, int]]:
    """Per margin, its curve and the chosen row."""
    out = {}
    for kind, s in scored.items():
        curve = sweep(s.found, s.score, s.n_gold)
        out[kind] = (curve, choose(curve, min_precision=min_precision))
    return out


def run(job: CalibrateJob, *, progress: ProgressFn | None = None, executor: Any = None) -> CalibrationReport:
    """Run a :class:`CalibrateJob` (``executor`` is accepted for the stage's one signature; encoding
    uses ``job.workers``)."""
    job.validate()
    start = time.perf_counter()
    inputs = [job.src, job.tgt, job.gold, job.src_distractors, job.tgt_distractors]
    check_outputs([job.output] if job.output else [], inputs)
    space = cached_space(job.space)
    pool = _pool(job)
    said = common.language_warnings(job, pool.src[: common.LANG_SAMPLE], pool.tgt[: common.LANG_SAMPLE])
    common.warn_all(said)
    note(
        progress,
        f"{len(pool.gold):,} gold pairs among {len(pool.src):,} x {len(pool.tgt):,} sentences",
        "calibrate",
    )
    opts = {"role": ROLE, "cache": job.cache, "workers": job.workers, "progress": progress}
    src, _ = encode_texts(pool.src, space, desc="embed src", **opts)
    tgt, _ = encode_texts(pool.tgt, space, desc="embed tgt", **opts)
    scored, backend = score_pool(src, tgt, pool.src, pool.tgt, pool.gold, job, progress=progress)
    curves = calibrate_curves(scored, min_precision=job.min_precision)
    criterion = "best F1" if job.min_precision is None else f"loosest with precision >= {job.min_precision:g}"
    margins = {kind: curve.row(i) for kind, (curve, i) in curves.items()}
    thresholds = {kind: round(row["threshold"], 6) for kind, row in margins.items()}
    data = {
        **pool.describe(),
        "sha256": _checksum([p for p in inputs if p is not None]),
        "files": {
            k: v for k, v in zip(("src", "tgt", "gold", "src_distractors", "tgt_distractors"), inputs) if v
        },
        "construction": _construction(job),
    }
    record = provenance(
        KIND,
        space,
        role=ROLE,
        job=job,
        k=job.knn.k,
        mode=job.margin.mode,
        knn=backend,
        criterion=criterion,
        thresholds=thresholds,
        margins={kind: {**margins[kind], "curve": curve.thinned()} for kind, (curve, _) in curves.items()},
        data=data,
    )
    text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    if job.output:
        atomic_write_text(job.output, text)
    saved = ""
    if job.save:
        path = user_calibration_path(space.identity, ROLE, job.knn.k, job.margin.mode)
        atomic_write_text(path, text)
        saved = str(path)
    return CalibrationReport(
        space=space.identity,
        encoder=space.name,
        k=job.knn.k,
        mode=job.margin.mode,
        knn=backend,
        criterion=criterion,
        thresholds=thresholds,
        margins=margins,
        data=data,
        output=job.output or "",
        saved=saved,
        seconds=time.perf_counter() - start,
        warnings=tuple(said),
    )


def _pool(job: CalibrateJob) -> Pool:
    src_ids, src_texts = _read(job.src, job)
    tgt_ids, tgt_texts = _read(job.tgt, job)
    if job.gold is not None:
        return Pool(src_texts, tgt_texts, _read_gold(job.gold, src_ids, tgt_ids))
    if len(src_texts) != len(tgt_texts):
        raise InputError(
            f"A parallel sample is line-aligned: {job.src} has {len(src_texts):,} texts but {job.tgt} has "
            f"{len(tgt_texts):,}; give aligned files, or corpora with --gold",
            path=job.tgt,
        )
    return pool_from_pairs(
        src_texts,
        tgt_texts,
        true_share=job.true_share,
        seed=job.seed,
        src_distractors=_read(job.src_distractors, job)[1] if job.src_distractors else None,
        tgt_distractors=_read(job.tgt_distractors, job)[1] if job.tgt_distractors else None,
    )


def _read(path: str, job: CalibrateJob) -> tuple[list[str], list[str]]:
    ids, texts = [], []
    with read_records(path, job.input) as records:
        for rec in records:
            ids.append(rec.id)
            texts.append(rec.text)
    if not texts:
        raise InputError("holds no texts", path=path)
    return ids, texts


def _read_gold(path: str, src_ids: list[str], tgt_ids: list[str]) -> frozenset[tuple[int, int]]:
    """``src_id<TAB>tgt_id`` lines (``#`` comments and blank lines skipped) as row pairs."""
    s_row = {i: n for n, i in enumerate(src_ids)}
    t_row = {i: n for n, i in enumerate(tgt_ids)}
    gold = set()
    try:
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                line = line.rstrip("\r\n")
                if not line.strip() or line.startswith("#"):
                    continue
                parts = line.split("\t")
                if len(parts) != 2:
                    raise InputError("a gold line is src_id<TAB>tgt_id", path=path, line=line_no)
                a, b = parts[0].strip(), parts[1].strip()
                for side, key, rows in (("source", a, s_row), ("target", b, t_row)):
                    if key not in rows:
                        raise InputError(
                            f"the {side} id {key!r} is not in the {side} corpus", path=path, line=line_no
                        )
                gold.add((s_row[a], t_row[b]))
    except FileNotFoundError:
        raise InputError("no such gold file", path=path) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text ({exc.reason})", path=path) from None
    if not gold:
        raise InputError("holds no gold pairs", path=path)
    return frozenset(gold)


def _checksum(paths: list[str]) -> str:
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        h.update(b"\x00")
    return h.hexdigest()


def _construction(job: CalibrateJob) -> str:
    if job.gold is not None:
        return "corpora mined whole against the gold list"
    if job.src_distractors or job.tgt_distractors:
        return "every sample pair gold, the distractor files added to their side"
    return (
        f"sample split (seed {job.seed}): {job.true_share:.3g} as pairs, the rest half sources without "
        "targets, half targets without sources"
    )


__all__ = ["CalibrationReport", "Scored", "calibrate_curves", "run", "score_pool"]
