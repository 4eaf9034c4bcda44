"""Semantic textual similarity (STSb-multi-MT): Spearman correlation between cosine and the
gold score, for each language and for every pair of languages (sentence 1 in one language,
sentence 2 in another; the files are row-parallel)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import InputError
from .._embed import embed_texts
from .._task import TaskResult, register_task
from ..readers import lang_tag, read_stsb


@register_task(
    "sts",
    description="STSb-multi-MT: Spearman x100 per language and across language pairs.",
    default_data="stsb-multi-mt",
)
def sts(
    encoder, data: Path, *, languages=None, split: str = "test", pivot: str = "en", role: str = "query"
) -> TaskResult:
    from scipy.stats import spearmanr

    sets = read_stsb(data, languages, split)
    codes = list(sets)
    gold = np.array(sets[codes[0]].scores)
    for c in codes[1:]:
        if len(sets[c].scores) != len(gold):
            raise InputError(
                f"stsb-{c}-{split}.csv has {len(sets[c].scores)} rows, stsb-{codes[0]}-{split}.csv {len(gold)}: "
                "the files must be row-parallel.",
                path=str(data),
            )
    n = len(gold)
    texts = [t for c in codes for t in (*sets[c].sentence1, *sets[c].sentence2)]
    langs = [lang_tag(c) for c in codes for _ in range(2 * n)]
    vecs = embed_texts(encoder, texts, role, desc=f"sts {encoder.name}", langs=langs)
    s1 = {c: vecs[2 * i * n : (2 * i + 1) * n] for i, c in enumerate(codes)}
    s2 = {c: vecs[(2 * i + 1) * n : (2 * i + 2) * n] for i, c in enumerate(codes)}

    def rho(a: str, b: str) -> float:
        return 100 * float(spearmanr(np.sum(s1[a] * s2[b], axis=1), gold).statistic)

    values = [[rho(a, b) for b in codes] for a in codes]
    per_language = {c: {"spearman": values[i][i]} for i, c in enumerate(codes)}
    if pivot in codes:
        p = codes.index(pivot)
        for i, c in enumerate(codes):
            if c != pivot:
                per_language[c]["spearman_with_pivot"] = (values[i][p] + values[p][i]) / 2
    off = [values[i][j] for i in range(len(codes)) for j in range(len(codes)) if i != j]
    metrics = {
        "spearman": float(np.mean([r["spearman"] for r in per_language.values()])),
        "spearman_cross": float(np.mean(off)) if off else float("nan"),
        "n_languages": float(len(codes)),
    }
    return TaskResult(
        task="sts",
        primary_metric="spearman",
        metrics=metrics,
        per_language=per_language,
        matrices={
            "Spearman x100 (sentence 1 row, sentence 2 column)": {
                "rows": codes,
                "cols": codes,
                "values": values,
                "row_label": "sentence 1 language",
                "col_label": "sentence 2 language",
            }
        },
        details={"pairs": n, "split": split, "unit": "Spearman x100"},
        config={"languages": codes, "split": split, "pivot": pivot, "role": role},
    )
