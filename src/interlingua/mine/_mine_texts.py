"""Mining two lists of texts in memory: ``mine_texts`` (a report) and ``mine`` (the pairs)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .._validation import check_texts
from ..errors import InputError
from ..neutral import Space, cached_space, encode_texts
from ..progress import ProgressFn
from ._bitext import BitextPair, mine_vectors
from ._mine_common import (
    LANG_SAMPLE,
    ROLE,
    MineReport,
    filtered_pairs,
    language_warnings,
    mine_report,
    warn_all,
    with_threshold,
)
from ._options import ALIASES, MineOptions


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
    src_texts = check_texts(src_texts, "src_texts")
    tgt_texts = check_texts(tgt_texts, "tgt_texts")
    src_ids = [str(i) for i in range(1, len(src_texts) + 1)] if src_ids is None else list(src_ids)
    tgt_ids = [str(i) for i in range(1, len(tgt_texts) + 1)] if tgt_ids is None else list(tgt_ids)
    for name, texts, ids in (("src", src_texts, src_ids), ("tgt", tgt_texts, tgt_ids)):
        if not texts:
            raise InputError(f"The {name!r} side is empty: nothing to mine.")
        if len(ids) != len(texts):
            raise InputError(f"The {name!r} side has {len(texts)} texts but {len(ids)} ids.")
    sp = Space.of(space) if space is not None else cached_space(options.space)
    options = with_threshold(options, sp)
    said = language_warnings(options, src_texts[:LANG_SAMPLE], tgt_texts[:LANG_SAMPLE])
    warn_all(said)
    src, _ = encode_texts(
        src_texts,
        sp,
        role=ROLE,
        cache=options.cache,
        workers=options.workers,
        progress=progress,
        desc="embed src",
    )
    tgt, _ = encode_texts(
        tgt_texts,
        sp,
        role=ROLE,
        cache=options.cache,
        workers=options.workers,
        progress=progress,
        desc="embed tgt",
    )
    mined = mine_vectors(src, tgt, options, progress=progress, top=False)
    c = mined.candidates
    pairs, filt = filtered_pairs(
        c, src_ids, tgt_ids, [src_texts[i] for i in c.src], [tgt_texts[i] for i in c.tgt], options
    )
    return mine_report(
        options,
        sp,
        mined,
        len(src_texts),
        len(tgt_texts),
        pairs,
        filt,
        start,
        "",
        said,
        [],
        results=tuple(pairs),
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
