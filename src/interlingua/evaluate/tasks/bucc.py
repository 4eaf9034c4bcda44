"""BUCC 2018 bitext mining (zh-en sample split): precision, recall and F1 of margin mining
against plain cosine on the same embeddings, each at the threshold that is best on the gold.

Data folder: ``zh-en.dev.zh`` and ``zh-en.dev.en`` (``id<TAB>sentence``) and ``zh-en.dev.gold``
(``zh_id<TAB>en_id``), read with :func:`interlingua.evaluate.readers.read_bucc`. Both sides are encoded with role ``query``; neighbours are searched once
and every margin kind selects pairs from them (mode ``max`` by default, k = 4). The threshold
sweep walks the candidates best first, so the reported threshold is the score of the last pair
kept at the best F1 (the BUCC protocol of LASER's ``bucc.py``: threshold optimised on the gold).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...errors import InputError
from ...mine import MARGINS, neighbours, select_pairs
from .._task import TaskResult, register_task
from ..readers import lang_tag, read_bucc
from ._mining_common import best_f1, encode_texts


@register_task(
    "bucc", description="BUCC 2018 zh-en mining: P/R/F1, margin vs plain cosine", default_data="bucc2018"
)
def run(
    encoder: Any,
    data: Path,
    *,
    pair: str = "zh-en",
    split: str = "dev",
    k: int = 4,
    mode: str = "max",
    knn: str = "exact",
) -> TaskResult:
    sets = read_bucc(Path(data), [pair.split("-")[0]], split)
    if pair not in sets:
        raise InputError(f"No BUCC pair {pair!r} in {data}; found: {', '.join(sets)}")
    bucc = sets[pair]
    gold = bucc.gold
    src_ids, src_texts = list(bucc.source), list(bucc.source.values())
    tgt_ids, tgt_texts = list(bucc.target), list(bucc.target.values())
    src_lang, _, tgt_lang = pair.partition("-")
    enc, src = encode_texts(encoder, src_texts, lang_tag(src_lang))
    _, tgt = encode_texts(enc, tgt_texts, lang_tag(tgt_lang) if tgt_lang else None)
    fwd, bwd, _, _ = neighbours(src, tgt, k, knn=knn)
    metrics: dict[str, float] = {}
    for kind in MARGINS:
        c = select_pairs(fwd, bwd, margin=kind, mode=mode)
        found = np.array([(src_ids[s], tgt_ids[t]) in gold for s, t in zip(c.src.tolist(), c.tgt.tolist())])
        p, r, f, thr = best_f1(found, c.score, len(gold))
        name = "cosine" if kind == "absolute" else kind
        metrics.update(
            {f"{name}_precision": p, f"{name}_recall": r, f"{name}_f1": f, f"{name}_threshold": thr}
        )
    metrics["f1"] = metrics["ratio_f1"]
    metrics["margin_minus_cosine_f1"] = metrics["ratio_f1"] - metrics["cosine_f1"]
    return TaskResult(
        task="bucc",
        primary_metric="f1",
        metrics=metrics,
        per_language={pair: {"f1": metrics["ratio_f1"], "cosine_f1": metrics["cosine_f1"]}},
        details={"src_sentences": len(src_ids), "tgt_sentences": len(tgt_ids), "gold_pairs": len(gold)},
        config={
            "encoder": enc.name,
            "pair": pair,
            "split": split,
            "k": k,
            "mode": mode,
            "knn": knn,
            "role": "query",
        },
    )
