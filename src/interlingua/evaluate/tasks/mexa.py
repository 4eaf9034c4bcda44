"""MEXA alignment (Kargaran et al. 2024, "MEXA: Multilingual Evaluation of English-Centric
LLMs via Cross-Lingual Alignment"): for parallel sentences in a language L and a pivot
(English), the share of sentences whose similarity to their own translation is higher than to
any other sentence in its row and column of the L x pivot cosine matrix:

    mexa(L) = 1/n * sum_i [ C_ii > max_{j != i} max(C_ij, C_ji) ]

on mean-pooled sentence vectors; per layer when the encoder has ``encode_layers`` (e5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._embed import embed_texts
from .._parallel import parallel_pairs
from .._task import TaskResult, register_task
from ..readers import lang_tag


def mexa_score(x: np.ndarray, y: np.ndarray) -> float:
    """Share (in percent) of rows i with ``x_i . y_i`` above every other entry of row i and column i."""
    c = x @ y.T
    n = c.shape[0]
    if n < 2:
        return float("nan")
    diag = np.diag(c).copy()
    off = c.copy()
    np.fill_diagonal(off, -np.inf)
    return 100 * float(np.mean(diag > np.maximum(off.max(axis=1), off.max(axis=0))))


@register_task(
    "mexa",
    description="MEXA: share of sentences closer to their pivot translation than to any other (per layer for e5).",
    default_data="sib200",
)
def mexa(
    encoder,
    data: Path,
    *,
    languages=None,
    pivot: str = "eng_Latn",
    split: str = "dev",
    limit: int | None = None,
    layers: bool = True,
    role: str = "query",
) -> TaskResult:
    pairs, piv = parallel_pairs(data, languages, pivot, split=split, limit=limit)
    per_language: dict[str, dict[str, float]] = {}
    texts = [t for src, tgt in pairs.values() for t in (*src, *tgt)]
    langs = [
        lang
        for code, (src, tgt) in pairs.items()
        for lang in (*[lang_tag(code)] * len(src), *[lang_tag(piv)] * len(tgt))
    ]
    vecs = embed_texts(encoder, texts, role, desc=f"mexa {encoder.name}", langs=langs)
    pos = 0
    for code, (src, _) in pairs.items():
        n = len(src)
        per_language[code] = {"mexa": mexa_score(vecs[pos : pos + n], vecs[pos + n : pos + 2 * n])}
        pos += 2 * n
    matrices = {}
    by_layer: list[list[float]] = []
    raw = getattr(encoder, "encoder", encoder)  # a Space's encoder
    if layers and hasattr(raw, "encode_layers") and not getattr(encoder, "adapters", ()):
        uniq = list(dict.fromkeys(texts))
        index = {t: i for i, t in enumerate(uniq)}
        lv = raw.encode_layers(uniq, role=role)  # (layers + 1, n, d)
        for code, (src, tgt) in pairs.items():
            si, ti = [index[t] for t in src], [index[t] for t in tgt]
            by_layer.append([mexa_score(lv[k][si], lv[k][ti]) for k in range(lv.shape[0])])
            per_language[code]["mexa_best_layer"] = float(np.argmax(by_layer[-1]))
            per_language[code]["mexa_max"] = float(np.max(by_layer[-1]))
        cols = ["emb"] + [str(k) for k in range(1, lv.shape[0])]
        matrices["MEXA by layer (language row, layer column)"] = {
            "rows": list(pairs),
            "cols": cols,
            "values": by_layer,
            "row_label": "language",
            "col_label": "layer",
        }
    metrics = {"mexa": float(np.nanmean([r["mexa"] for r in per_language.values()]))}
    if by_layer:
        for k, v in enumerate(np.nanmean(np.array(by_layer), axis=0)):
            metrics[f"mexa_layer_{k}"] = float(v)
    metrics["n_languages"] = float(len(per_language))
    return TaskResult(
        task="mexa",
        primary_metric="mexa",
        metrics=metrics,
        per_language=per_language,
        matrices=matrices,
        details={
            "pivot": piv,
            "unit": "percent",
            "per_layer": bool(by_layer),
            "note": "" if by_layer else "per-layer scores need an encoder with encode_layers (e5)",
        },
        config={
            "languages": list(pairs),
            "pivot": piv,
            "split": split,
            "limit": limit,
            "layers": layers,
            "role": role,
        },
    )
