"""Synthetic mining pools from Tatoeba: per language, 500 true pairs hidden among distractors.

Construction (per language X of ``languages``; data root: the Tatoeba folder,
``tatoeba.xxx-eng.{xxx,eng}``; and a SIB-200 folder, by default ``sib200`` beside it):

- true pairs: lines ``0 .. pairs-1`` of ``tatoeba.X-eng.X`` and ``.eng``;
- source side: the true X sentences, then X sentences that have no translation on the target
  side: the rest of the X Tatoeba file and every SIB-200 (FLORES) sentence of X. Tatoeba and
  SIB-200 hold about 1,500 such sentences a language, so the side is topped up to
  ``distractors`` with SIB-200 sentences of the languages outside the evaluated ones and English
  (a fixed shuffled sample, the same for every X). Foreign sentences are still distractors for an
  embedding miner, and FLORES's English is not on the target side. (Topping up with other
  languages' Tatoeba sentences was tried first and leaked: Tatoeba's English sentences recur
  across language files as near-paraphrases, "I'm learning Basque." / "I'm learning the Basque
  language.", so the top-up brought hundreds of unlabelled true pairs: precision fell by half.)
- target side: the true English sentences plus ``distractors`` English Tatoeba sentences drawn
  (fixed seed) from the files of languages outside the evaluated ones, without any text equal to
  an English sentence of an evaluated language's file or to another chosen sentence (compared on
  letters and digits only, case folded).

So the only translations present are the gold pairs, up to paraphrases of the X distractors'
English that Tatoeba holds under other wording: precision is a lower bound.
Mining: role ``query``, exact k-NN, k = 4, ratio margin, mode ``max``; F1 at the best threshold
(as in BUCC) and at the encoder's calibrated default threshold, and plain cosine for comparison.
The distractor sets are shared across languages, so the embedding cache encodes them once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...errors import InputError
from ...mine import DEFAULT_THRESHOLDS, neighbours, select_pairs
from .._task import TaskResult, register_task
from ._mining_common import best_f1, encode_texts

LANGUAGES = ("deu", "fra", "por", "rus", "ara", "heb", "tur", "cmn", "jpn", "kor")
SIB_CODES = {
    "deu": "deu_Latn",
    "fra": "fra_Latn",
    "por": "por_Latn",
    "rus": "rus_Cyrl",
    "ara": "arb_Arab",
    "heb": "heb_Hebr",
    "tur": "tur_Latn",
    "cmn": "zho_Hans",
    "jpn": "jpn_Jpan",
    "kor": "kor_Hang",
    "ukr": "ukr_Cyrl",
    "spa": "spa_Latn",
    "ita": "ita_Latn",
}


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise InputError(f"Tatoeba file not found: {path}")
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def _norm(text: str) -> str:
    """Letters and digits only, case folded: "Who's there?" and "who's there" are one sentence."""
    return "".join(c for c in text.casefold() if c.isalnum())


def _sib_sentences(sib: Path, code: str) -> list[str]:
    out = []
    for split in ("train", "dev", "test"):
        path = sib / "data" / "annotated" / code / f"{split}.tsv"
        if path.is_file():
            out += [line.split("\t", 2)[2] for line in _lines(path)[1:] if line.count("\t") >= 2]
    return out


def build_pools(
    data: Path,
    languages=LANGUAGES,
    *,
    pairs: int = 500,
    distractors: int = 10_000,
    sib200: Path | None = None,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Per language: ``src`` and ``tgt`` text lists and ``gold`` (src row, tgt row) pairs."""
    files = sorted(p.name.split(".")[1].split("-")[0] for p in data.glob("tatoeba.*-eng.eng"))
    missing = [x for x in languages if x not in files]
    if missing:
        raise InputError(f"No Tatoeba file for {', '.join(missing)} in {data}")
    sib = sib200 if sib200 is not None else data.parent / "sib200"
    if not (sib / "data" / "annotated").is_dir():
        raise InputError(
            f"SIB-200 not found at {sib} (expected data/annotated/<lang>/*.tsv); pass sib200=PATH"
        )
    unknown = [x for x in languages if x not in SIB_CODES]
    if unknown:
        raise InputError(
            f"No SIB-200 code known for {', '.join(unknown)}; known: {', '.join(sorted(SIB_CODES))}"
        )
    rng = np.random.default_rng(seed)
    sides = {
        x: (_lines(data / f"tatoeba.{x}-eng.{x}"), _lines(data / f"tatoeba.{x}-eng.eng")) for x in languages
    }
    evaluated_eng = {_norm(e) for _, es in sides.values() for e in es}
    skip = {SIB_CODES[x].split("_")[0] for x in languages} | {"eng", "zho", "arb"}
    topup = [
        t
        for code in sorted(p.name for p in (sib / "data" / "annotated").iterdir())
        if code.split("_")[0] not in skip
        for t in _sib_sentences(sib, code)
    ]
    topup = [topup[i] for i in rng.permutation(len(topup))[:distractors]]
    pool_eng = [e for x in files if x not in languages for e in _lines(data / f"tatoeba.{x}-eng.eng")]
    chosen, seen = [], set()
    for i in rng.permutation(len(pool_eng)):
        key = _norm(pool_eng[i])
        if key not in evaluated_eng and key not in seen:
            seen.add(key)
            chosen.append(pool_eng[i])
            if len(chosen) == distractors:
                break
    if len(chosen) < distractors:
        raise InputError(
            f"Only {len(chosen)} English distractors available in {data}; asked for {distractors}"
        )
    pools = {}
    for x, (xs, es) in sides.items():
        n = min(pairs, len(xs) // 2)
        own = xs[n:] + _sib_sentences(sib, SIB_CODES[x])
        src = xs[:n] + own[:distractors] + topup[: max(0, distractors - len(own))]
        tgt = es[:n] + chosen
        pools[x] = {
            "src": src,
            "tgt": tgt,
            "gold": {(i, i) for i in range(n)},
            "own_distractors": min(len(own), distractors),
        }
    return pools


@register_task(
    "mining_pools",
    description="Tatoeba pools: 500 true pairs among 10k distractors a side, F1 per language",
    default_data="tatoeba",
)
def run(
    encoder: Any,
    data: Path,
    *,
    languages=LANGUAGES,
    pairs: int = 500,
    distractors: int = 10_000,
    sib200: Path | None = None,
    k: int = 4,
) -> TaskResult:
    pools = build_pools(Path(data), tuple(languages), pairs=pairs, distractors=distractors, sib200=sib200)
    enc = encoder
    per: dict[str, dict[str, float]] = {}
    for x, pool in pools.items():
        enc, src = encode_texts(enc, pool["src"])
        _, tgt = encode_texts(enc, pool["tgt"])
        fwd, bwd, _, _ = neighbours(src, tgt, k, knn="exact")
        row: dict[str, float] = {"own_language_distractors": float(pool["own_distractors"])}
        for kind, name in (("ratio", "margin"), ("absolute", "cosine")):
            c = select_pairs(fwd, bwd, margin=kind, mode="max")
            found = np.array([(s, t) in pool["gold"] for s, t in zip(c.src.tolist(), c.tgt.tolist())])
            p, r, f, thr = best_f1(found, c.score, len(pool["gold"]))
            row.update(
                {f"{name}_f1": f, f"{name}_precision": p, f"{name}_recall": r, f"{name}_threshold": thr}
            )
            default = DEFAULT_THRESHOLDS.get((enc.identity, "query"), {}).get(kind)
            if default is not None:
                kept = c.score >= default
                tp = int(found[kept].sum())
                pd, rd = tp / max(int(kept.sum()), 1), tp / len(pool["gold"])
                row.update(
                    {
                        f"{name}_default_precision": pd,
                        f"{name}_default_recall": rd,
                        f"{name}_default_f1": 2 * pd * rd / (pd + rd) if tp else 0.0,
                    }
                )
        per[x] = row
    metrics = {
        "f1": float(np.mean([r["margin_f1"] for r in per.values()])),
        "cosine_f1": float(np.mean([r["cosine_f1"] for r in per.values()])),
    }
    if all("margin_default_f1" in r for r in per.values()):
        metrics["default_threshold_f1"] = float(np.mean([r["margin_default_f1"] for r in per.values()]))
        metrics["default_threshold_precision"] = float(
            np.mean([r["margin_default_precision"] for r in per.values()])
        )
    return TaskResult(
        task="mining_pools",
        primary_metric="f1",
        metrics=metrics,
        per_language=per,
        details={"pairs": pairs, "distractors": distractors},
        config={
            "encoder": enc.name,
            "k": k,
            "mode": "max",
            "knn": "exact",
            "role": "query",
            "languages": list(languages),
        },
    )
