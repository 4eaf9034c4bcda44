"""Tatoeba bitext retrieval: for each language paired with English, accuracy in both
directions and the xsim error rate, with cosine and with ratio margin scoring."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..._validation import check_choice, check_int
from .._bitext import SCORINGS, bitext_retrieval
from .._embed import embed_texts
from .._task import TaskResult, register_task
from ..readers import read_tatoeba


def _scorings(scoring) -> list[str]:
    items = (
        list(SCORINGS)
        if scoring in (None, "both", "all")
        else [scoring]
        if isinstance(scoring, str)
        else list(scoring)
    )
    return [check_choice(s, SCORINGS, "scoring") for s in items]


@register_task(
    "tatoeba",
    description="Tatoeba bitext retrieval: accuracy both ways and xsim, cosine and margin.",
    default_data="tatoeba",
)
def tatoeba(
    encoder, data: Path, *, languages=None, scoring=None, k: int = 4, role: str = "query"
) -> TaskResult:
    scorings = _scorings(scoring)
    check_int(k, "k", low=1)
    sets = read_tatoeba(data, languages)
    texts = [t for s in sets for t in (*s.source, *s.target)]
    langs = [lang for s in sets for lang in (*[s.lang] * len(s.source), *["en"] * len(s.target))]
    vecs = embed_texts(encoder, texts, role, desc=f"tatoeba {encoder.name}", langs=langs)
    per_language: dict[str, dict[str, float]] = {}
    pos = 0
    for s in sets:
        n = len(s.source)
        src, tgt = vecs[pos : pos + n], vecs[pos + n : pos + 2 * n]
        pos += 2 * n
        row: dict[str, float] = {"n": n}
        for sc in scorings:
            m = bitext_retrieval(src, tgt, sc, k=k)
            row[f"acc_{sc}_xx2en"] = m["acc_src2tgt"]
            row[f"acc_{sc}_en2xx"] = m["acc_tgt2src"]
            row[f"acc_{sc}"] = m["acc"]
            row[f"xsim_{sc}"] = m["xsim_error"]
        per_language[s.code] = row
    keys = [key for key in next(iter(per_language.values())) if key != "n"]
    metrics = {key: float(np.mean([r[key] for r in per_language.values()])) for key in keys}
    metrics["n_languages"] = float(len(per_language))
    return TaskResult(
        task="tatoeba",
        primary_metric="acc_margin" if "margin" in scorings else "acc_cosine",
        metrics=metrics,
        per_language=per_language,
        details={"languages": {s.code: s.lang for s in sets}, "unit": "percent", "k": k},
        config={"scoring": scorings, "k": k, "role": role, "languages": [s.code for s in sets]},
    )
