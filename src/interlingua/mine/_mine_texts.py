"""Mining two lists of texts in memory: ``mine_texts`` (a report) and ``mine`` (the pairs)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .._validation import check_texts
from ..errors import InputError
from ..neutral import Space, SpaceSpec, cached_space, encode_texts
from ..progress import ProgressFn
from . import _mine_common as common
from ._bitext import BitextPair, mine_vectors
from ._mine_common import MineReport
from ._options import ALIASES, MineOptions
from ._two_stage import EncodeRows, mine_two_stage


def mine_texts(
    src_texts: Sequence[str],
    tgt_texts: Sequence[str],
    options: MineOptions | None = None,
    *,
    src_ids: Sequence[str] | None = None,
    tgt_ids: Sequence[str] | None = None,
    space: Any = None,
    progress: ProgressFn | None = None,
) -> MineReport:
    """Mine two lists of texts: the report, with the pairs (best first) in ``results``.

    ``space`` (a Space, an Encoder or a name) overrides ``options.space``, e.g. for an encoder
    built in code.
    """
    options = (options or MineOptions()).validate("mine()")
    start = time.perf_counter()
    sides = {}
    for name, texts, ids in (("src", src_texts, src_ids), ("tgt", tgt_texts, tgt_ids)):
        texts = check_texts(texts, f"{name}_texts")
        ids = [str(i) for i in range(1, len(texts) + 1)] if ids is None else list(ids)
        if not texts:
            raise InputError(f"The {name!r} side is empty: nothing to mine.")
        if len(ids) != len(texts):
            raise InputError(f"The {name!r} side has {len(texts)} texts but {len(ids)} ids.")
        sides[name] = (texts, ids)
    (src_texts, src_ids), (tgt_texts, tgt_ids) = sides["src"], sides["tgt"]
    sp = Space.of(space) if space is not None else cached_space(options.space)
    options = common.with_threshold(options, sp)
    said = common.language_warnings(options, src_texts[: common.LANG_SAMPLE], tgt_texts[: common.LANG_SAMPLE])
    common.warn_all(said)
    opts = {"role": common.ROLE, "cache": options.cache, "workers": options.workers, "progress": progress}
    stages = None
    if options.candidates.model is None:
        src, tgt = (
            encode_texts(texts, sp, desc=f"embed {name}", **opts)[0] for name, (texts, _) in sides.items()
        )
        mined = mine_vectors(src, tgt, options, progress=progress, top=False)
    else:
        cheap = cached_space(SpaceSpec(encoder=options.candidates.model))
        src, tgt = (
            encode_texts(texts, cheap, desc=f"candidates {name}", **opts)[0]
            for name, (texts, _) in sides.items()
        )

        def rows_of(texts: list[str], name: str) -> EncodeRows:
            return lambda rows: encode_texts([texts[r] for r in rows], sp, desc=f"embed {name}", **opts)[0]

        mined, stages = mine_two_stage(
            src,
            tgt,
            options,
            rows_of(src_texts, "src"),
            rows_of(tgt_texts, "tgt"),
            progress=progress,
            top=False,
        )
    c = mined.candidates
    pairs, filt = common.filtered_pairs(
        c, src_ids, tgt_ids, [src_texts[i] for i in c.src], [tgt_texts[i] for i in c.tgt], options
    )
    return common.mine_report(
        options,
        sp,
        mined,
        src_rows=len(src_texts),
        tgt_rows=len(tgt_texts),
        pairs=len(pairs),
        filters=filt,
        seconds=time.perf_counter() - start,
        output="",
        warnings=tuple(said),
        results=tuple(pairs),
        **common.stage_fields(stages, len(src_texts) + len(tgt_texts)),
    )


def mine(
    src_texts: Sequence[str],
    tgt_texts: Sequence[str],
    *,
    src_ids: Sequence[str] | None = None,
    tgt_ids: Sequence[str] | None = None,
    model: Any = None,
    progress: ProgressFn | None = None,
    **options: Any,
) -> list[BitextPair]:
    """Mine translation pairs from two lists of texts: best score first.

    ``model`` is an encoder name, an Encoder or a Space; ``options`` are MineOptions fields by name
    (``k``, ``margin``, ``mode``, ``knn``, ``threshold``, ``top``, ``filters``, ``src_lang``, ...).
    Without ``threshold`` and ``top``, the threshold calibrated for the space applies.
    """
    opts = MineOptions().with_flat(options, aliases=ALIASES)
    if isinstance(model, str):
        opts, model = opts.with_values({"space.encoder": model}), None
    return list(
        mine_texts(
            src_texts, tgt_texts, opts, src_ids=src_ids, tgt_ids=tgt_ids, space=model, progress=progress
        ).results
    )


__all__ = ["mine", "mine_texts"]
